// What every case gets: the tools, the natives, the pairing options, a log, and a place to note what
// tsbt could not run (and why) for the list of missing features.

import type { Natives } from './native.ts';
import { alternate, type PairOptions, type Runs, type Sample } from './pairs.ts';
import { runSession, type SessionResult, type SessionSpec } from './proc.ts';
import { allReasons, failureReason, type Script, type Tool } from './tools.ts';

export interface Context {
  root: string;
  tools: Tool[];
  natives: Natives;
  pairs: PairOptions;
  log: (line: string) => void;
  /** tsbt's error messages, grouped by their shape (names in backquotes taken out) → names and scripts. */
  tsbtErrors: Map<string, { names: Set<string>; scripts: Set<string> }>;
}

export function noteFailure(cx: Context, tool: Tool, script: string, r: SessionResult): void {
  if (tool.name !== 'tsbt') return;
  for (const msg of allReasons('tsbt', r.stderr)) {
    const names: string[] = [];
    const key = msg.slice(0, 300).replace(/`([^`]*)`/g, (_, name: string) => {
      names.push(name);
      return '`…`';
    });
    let entry = cx.tsbtErrors.get(key);
    if (!entry) cx.tsbtErrors.set(key, (entry = { names: new Set(), scripts: new Set() }));
    for (const n of names) entry.names.add(n);
    entry.scripts.add(script);
  }
}

export function reasonOf(tool: Tool, r: SessionResult): string {
  return failureReason(tool.name, r.stderr, r.error ?? r.caseError ?? 'failed');
}

/**
 * Run one script on every tool, alternating, and keep whatever `measure` extracts from each run.
 * `extra` adds to the session (stdout to a file, work while attached, ...).
 */
export async function compare<T>(
  cx: Context,
  caseName: string,
  scriptName: string,
  script: Script,
  extra: Partial<SessionSpec> & { timeoutMs: number; noMarker?: boolean },
  measure: (tool: Tool, r: SessionResult) => T | undefined,
  check?: (tool: Tool, r: SessionResult, value: T | undefined) => string | undefined,
): Promise<Runs<T>> {
  cx.log(`  ${caseName}`);
  const runs = await alternate<T>(
    cx.tools,
    cx.pairs,
    async (tool) => {
      const base = tool.session(script, { marker: !extra.noMarker });
      const result = await runSession({ stdout: 'pipe', ...base, ...extra, env: { ...base.env, ...extra.env } });
      return { result, value: measure(tool, result) };
    },
    (tool, s: Sample<T>) => {
      const r = s.result;
      let why: string | undefined;
      if (r.error || r.caseError) why = reasonOf(tool, r);
      else why = check?.(tool, r, s.value);
      if (why !== undefined) noteFailure(cx, tool, scriptName, r);
      return why;
    },
    cx.log,
  );
  return runs;
}
