// Alternating runs: a warm-up run of each tool, then A B A B ... pairs. A tool whose warm-up fails is
// not run again for that case; the failure (and why) is kept for the table.

import type { SessionResult } from './proc.ts';
import type { Tool, ToolName } from './tools.ts';

export interface Sample<T> {
  result: SessionResult;
  value?: T;
}

export interface Runs<T> {
  /** Measured runs (the warm-up is not among them), per tool. */
  samples: Map<ToolName, Sample<T>[]>;
  /** The first failed run of each tool that failed, with the reason. */
  failed: Map<ToolName, { result: SessionResult; reason: string }>;
  warmup: Map<ToolName, Sample<T>>;
}

export interface PairOptions {
  pairs: number;
  warmup: boolean;
  /** When the other tool fails, run this one only `soloRuns` times (a reference value, to save time). */
  soloRuns: number;
}

export async function alternate<T>(
  tools: Tool[],
  opts: PairOptions,
  runOne: (tool: Tool) => Promise<Sample<T>>,
  isFailure: (tool: Tool, s: Sample<T>) => string | undefined,
  log: (line: string) => void,
): Promise<Runs<T>> {
  const runs: Runs<T> = { samples: new Map(), failed: new Map(), warmup: new Map() };
  for (const t of tools) runs.samples.set(t.name, []);
  const record = (t: Tool, s: Sample<T>, warm: boolean): boolean => {
    const why = isFailure(t, s);
    if (why !== undefined) {
      if (!runs.failed.has(t.name)) runs.failed.set(t.name, { result: s.result, reason: why });
      log(`    ${t.name}: FAILED ${why}`);
      return false;
    }
    if (warm) runs.warmup.set(t.name, s);
    else runs.samples.get(t.name)!.push(s);
    return true;
  };
  // The first run of each tool fills caches (page cache, BTF, the tools' own files) and tells which
  // tools can run the case at all; with a warm-up it is not counted.
  const live: Tool[] = [];
  for (const t of tools) if (record(t, await runOne(t), opts.warmup)) live.push(t);
  const already = opts.warmup ? 0 : 1;
  const rounds = live.length === tools.length ? opts.pairs - already : opts.soloRuns - already;
  for (let i = 0; i < rounds; i++) for (const t of live) record(t, await runOne(t), false);
  return runs;
}
