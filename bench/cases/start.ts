// Case 1 (start to attached) and case 3 (peak RSS): one-liners and the bpftrace tools corpus. Each run
// starts the tool, waits for its attached line, and stops it with SIGINT at once.

import { BTF_PAIR, ONE_LINERS, type ToolScript } from '../corpus.ts';
import { compare, noteFailure, reasonOf, type Context } from '../lib/context.ts';
import { alternate, type Runs } from '../lib/pairs.ts';
import { runSession, type SessionResult } from '../lib/proc.ts';

export interface StartRow {
  label: string;
  kind: 'one-liner' | 'tool';
  script: string;
  runs: Runs<StartValue>;
}

export interface StartValue {
  startMs: number;
  rssKb?: number;
  /** bpftrace with the shim: from its last attach ioctl to the harness receiving the line (ms). */
  lagMs?: number;
}

function measure(_: unknown, r: SessionResult): StartValue | undefined {
  if (r.startNs === undefined) return undefined;
  const v: StartValue = { startMs: r.startNs / 1e6 };
  if (r.maxRssKb !== undefined) v.rssKb = r.maxRssKb;
  const m = /^__BENCH_ATTACHED (\d+) (\d+) (\d+)/.exec(r.markerLine ?? '');
  if (m && r.forkNs !== undefined && Number(m[2]) > 0) v.lagMs = (r.startNs - (Number(m[2]) - r.forkNs)) / 1e6;
  return v;
}

export async function startOneLiners(cx: Context): Promise<StartRow[]> {
  const rows: StartRow[] = [];
  for (const o of ONE_LINERS) {
    const runs = await compare(cx, `start: ${o.id}`, `one-liner "${o.id}"`, { text: o.text }, { timeoutMs: 30_000 }, measure);
    rows.push({ label: o.id, kind: 'one-liner', script: o.text, runs });
  }
  return rows;
}

export async function startTools(cx: Context, tools: ToolScript[]): Promise<StartRow[]> {
  const rows: StartRow[] = [];
  for (const t of tools) {
    const runs = await compare(cx, `start: ${t.name}.bt`, `${t.name}.bt`, { file: t.path }, { timeoutMs: 30_000 }, measure);
    rows.push({ label: `${t.name}.bt`, kind: 'tool', script: t.path, runs });
  }
  return rows;
}

/** One run of each script of BTF_PAIR, back to back. */
export interface BtfPairValue {
  withoutMs: number;
  withMs: number;
}

export interface BtfPairRow {
  without: string;
  with: string;
  runs: Runs<BtfPairValue>;
}

/**
 * The one-liner with struct access and the same one-liner without it, run back to back by the same tool
 * (in turn first or second), in the usual alternation of the tools: the ratio of the medians is what
 * BTF adds to a start, and the two halves of a pair see the same load.
 */
export async function startBtf(cx: Context): Promise<BtfPairRow> {
  cx.log('  start: struct access through BTF against the same one-liner without it');
  let round = 0;
  const runs = await alternate<BtfPairValue>(
    cx.tools,
    cx.pairs,
    async (tool) => {
      const one = (text: string) => runSession({ stdout: 'pipe', ...tool.session({ text }), timeoutMs: 30_000 });
      // Both tools go without-first in one round and with-first in the next.
      const order = round++ % 4 < 2 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      const r = {} as { without: SessionResult; with: SessionResult };
      for (const which of order) r[which] = await one(BTF_PAIR[which]);
      const result = r.with.error ? r.with : r.without;
      const value = r.without.startNs !== undefined && r.with.startNs !== undefined
        ? { withoutMs: r.without.startNs / 1e6, withMs: r.with.startNs / 1e6 }
        : undefined;
      return { result, value };
    },
    (tool, s) => {
      if (!s.result.error && !s.result.caseError) return undefined;
      noteFailure(cx, tool, 'struct access (BTF) pair', s.result);
      return reasonOf(tool, s.result);
    },
    cx.log,
  );
  return { without: BTF_PAIR.without, with: BTF_PAIR.with, runs };
}
