// Case 4 (program size) and case 5 (cost per event). While each tool runs a one-liner, the kernel is
// asked which programs the tool loaded and how big they are; then a child makes N getppid() calls and
// the programs' run_time_ns / run_cnt (kernel.bpf_stats_enabled = 1) give the cost of one event.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ONE_LINERS } from '../corpus.ts';
import { progIdsOf, progInfo, progStats, type ProgInfo, type ProgStats } from '../lib/bpf.ts';
import { compare, type Context } from '../lib/context.ts';
import type { Runs } from '../lib/pairs.ts';

const execFileAsync = promisify(execFile);

export interface PerEventValue {
  progs: ProgInfo[];
  /** Sum over the one-liner's programs. */
  insns: number;
  events: number;
  nsPerEvent?: number;
  /** Wall time per getppid() call of the workload while traced. */
  workloadNsPerCall: number;
}

export interface PerEventRow {
  label: string;
  script: string;
  runs: Runs<PerEventValue>;
}

export interface Baseline {
  /** Wall time per getppid() call with nothing attached (median of 3). */
  nsPerCall: number;
}

async function workload(cx: Context, n: number): Promise<{ ns: number }> {
  const [cmd, ...pre] = cx.natives.load;
  const { stdout } = await execFileAsync(cmd!, [...pre, 'getppid', String(n)]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ns: number };
}

export async function baseline(cx: Context, n: number): Promise<Baseline> {
  const v: number[] = [];
  for (let i = 0; i < 3; i++) v.push((await workload(cx, n)).ns / n);
  v.sort((a, b) => a - b);
  return { nsPerCall: v[1]! };
}

export async function perEvent(cx: Context, n: number): Promise<PerEventRow[]> {
  const rows: PerEventRow[] = [];
  for (const o of ONE_LINERS.filter((x) => x.perEvent)) {
    let value: PerEventValue | undefined;
    let problem: string | undefined;
    const runs = await compare<PerEventValue>(cx, `size and cost: ${o.id}`, `one-liner "${o.id}"`, { text: o.text }, {
      timeoutMs: 60_000,
      // printf writes one line per event: to a file, so that the harness does not slow the tool down.
      stdout: 'file',
      whileAttached: async ({ pid }) => {
        value = undefined;
        problem = undefined;
        const ids = await progIdsOf(pid);
        if (ids.length === 0) throw new Error('no BPF program found for the process');
        const progs = (await progInfo(ids, pid)).filter((p) => !/BEGIN|END/.test(p.name));
        const before = new Map<number, ProgStats | undefined>();
        for (const p of progs) before.set(p.id, await progStats(pid, p.id));
        const w = await workload(cx, n);
        let dt = 0;
        let dc = 0;
        for (const p of progs) {
          const a = before.get(p.id);
          const b = await progStats(pid, p.id);
          if (a && b) {
            dt += b.runTimeNs - a.runTimeNs;
            dc += b.runCnt - a.runCnt;
          }
        }
        if (dc < n) problem = `the programs ran ${dc} times for ${n} calls`;
        value = {
          progs, insns: progs.reduce((s, p) => s + p.xlatedInsns, 0), events: dc,
          ...(dc > 0 ? { nsPerEvent: dt / dc } : {}),
          workloadNsPerCall: w.ns / n,
        };
      },
    }, () => value, () => problem);
    rows.push({ label: o.id, script: o.text, runs });
  }
  return rows;
}
