// Case 6 (event throughput): a child makes getpgid(seq) calls in steps of rising, paced rates and then
// as fast as it can; each tool prints one line per call. Lines delivered are counted per step (the
// sequence number says which step a line belongs to), and compared with what the tool says it lost.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PRINTF_FLOOD } from '../corpus.ts';
import { compare, type Context } from '../lib/context.ts';
import type { Runs } from '../lib/pairs.ts';
import { sleep } from '../lib/proc.ts';

const execFileAsync = promisify(execFile);

export interface Step {
  rate: number;
  sent: number;
  ns: number;
  delivered: number;
}

export interface ThroughputValue {
  steps: Step[];
  lostReported: number;
  /** Highest paced rate (calls/s actually achieved) delivered without loss. */
  zeroLossRate: number;
  /** The unpaced step: lines delivered per second of the flood. */
  floodDeliveredPerSec: number;
  floodSentPerSec: number;
  lostMeasured: number;
}

export interface ThroughputRow {
  script: string;
  plan: string;
  runs: Runs<ThroughputValue>;
}

export async function throughput(cx: Context, plan: Array<[rate: number, count: number]>): Promise<ThroughputRow> {
  const delivered = new Map<number, number>();
  let steps: Array<Omit<Step, 'delivered'>> = [];
  const runs = await compare<ThroughputValue>(cx, 'printf throughput', 'printf flood', { text: PRINTF_FLOOD }, {
    timeoutMs: 120_000,
    stdout: 'file',
    stopTimeoutMs: 30_000,
    whileAttached: async () => {
      delivered.clear();
      const [cmd, ...pre] = cx.natives.load;
      const { stdout } = await execFileAsync(cmd!, [...pre, 'steps', ...plan.map(([r, c]) => `${r}:${c}`)], { env: { ...process.env, LOAD_PAUSE_MS: '300' } });
      steps = stdout.trim().split('\n').map((l) => JSON.parse(l) as Omit<Step, 'delivered'>);
      await sleep(300);
    },
    onStdoutLine: (line) => {
      const v = Number(line);
      if (!Number.isInteger(v) || v < 10_000_000) return;
      const step = Math.floor(v / 10_000_000) - 1;
      delivered.set(step, (delivered.get(step) ?? 0) + 1);
    },
  }, (_, r) => {
    if (steps.length === 0) return undefined;
    const s: Step[] = steps.map((x, i) => ({ ...x, delivered: delivered.get(i) ?? 0 }));
    steps = [];
    const paced = s.filter((x) => x.rate > 0);
    const flood = s.find((x) => x.rate === 0);
    let zeroLossRate = 0;
    for (const x of paced) if (x.delivered >= x.sent) zeroLossRate = Math.max(zeroLossRate, x.sent / (x.ns / 1e9));
    return {
      steps: s,
      lostReported: r.lostReported,
      zeroLossRate,
      floodDeliveredPerSec: flood ? flood.delivered / (flood.ns / 1e9) : 0,
      floodSentPerSec: flood ? flood.sent / (flood.ns / 1e9) : 0,
      lostMeasured: s.reduce((a, x) => a + Math.max(0, x.sent - x.delivered), 0),
    };
  });
  return { script: PRINTF_FLOOD, plan: plan.map(([r, c]) => (r ? `${c.toLocaleString('en-US')} at ${r.toLocaleString('en-US')}/s` : `${c.toLocaleString('en-US')} unpaced`)).join(', '), runs };
}
