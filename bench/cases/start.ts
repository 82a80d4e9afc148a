// Case 1 (start to attached) and case 3 (peak RSS): one-liners and the bpftrace tools corpus. Each run
// starts the tool, waits for its attached line, and stops it with SIGINT at once.

import { ONE_LINERS, type ToolScript } from '../corpus.ts';
import { compare, type Context } from '../lib/context.ts';
import type { Runs } from '../lib/pairs.ts';
import type { SessionResult } from '../lib/proc.ts';

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
