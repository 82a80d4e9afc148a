// Runs fuzz inputs 0..count-1 in worker threads (one per CPU, at most `workers`), each input a pure
// function of (seed, index). A watchdog stops a worker that has been on one input for `hangMs` (an
// infinite loop, or a blow-up the compiler does not bound) and one that dies (out of memory, a stack
// overflow outside `compile`), blames that input, and starts a new worker on the next index, so that
// one hang neither stalls the run nor hides the inputs after it.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { InputKind } from './inputs.ts';

export interface WorkerTask {
  seed: number;
  start: number;
  step: number;
  end: number;
  slowMs: number;
  progress: SharedArrayBuffer;
  slot: number;
}

export interface KindStats {
  inputs: number;
  compiled: number;
  diagnosed: number;
  failed: number;
  ms: number;
  maxMs: number;
  maxIndex: number;
  bytes: number;
}

export interface Failure {
  index: number;
  /** `unknown` until a stopped worker's input is looked up; `worker` when a worker could not start at all. */
  kind: InputKind | 'unknown' | 'worker';
  problems: string[];
  ms?: number;
}

/** One message per input (so that nothing is lost when a later input hangs), then `done`. */
export type WorkerMessage =
  | { type: 'result'; index: number; kind: InputKind; outcome: 'compiled' | 'diagnosed' | 'failed'; ms: number; bytes: number; problems?: string[] }
  | { type: 'done' };

export interface RunOptions {
  seed: number;
  count: number;
  /** First index (default 0). */
  from?: number;
  workers?: number;
  /** Time one input may take before it is a failure (measured around `compile`). */
  slowMs?: number;
  /** Time without progress after which the worker is stopped and its input blamed. */
  hangMs?: number;
  /** Memory limit of each worker's old generation. */
  memoryMb?: number;
}

export interface Summary {
  seed: number;
  inputs: number;
  compiled: number;
  diagnosed: number;
  failed: number;
  byKind: Record<string, KindStats>;
  failures: Failure[];
  wallMs: number;
  /** CPU time of the whole process (all workers), which a loaded machine does not inflate as it does wall time. */
  cpuMs: number;
  workers: number;
}

const tsxApi = import.meta.resolve('tsx/esm/api');
/** Time a new worker may take to load the compiler (tsx compiles it on first load). */
const STARTUP_MS = 60_000;

function startWorker(task: WorkerTask, memoryMb: number): Worker {
  // Workers do not inherit `--import tsx`: register it first, then load the TypeScript worker.
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData: task, resourceLimits: { maxOldGenerationSizeMb: memoryMb, stackSizeMb: 1 } });
}

export async function runFuzz(options: RunOptions): Promise<Summary> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const from = options.from ?? 0;
  const end = from + options.count;
  const n = Math.max(1, Math.min(options.workers ?? Math.min(availableParallelism(), 4), options.count));
  const slowMs = options.slowMs ?? 2000;
  const hangMs = options.hangMs ?? 10_000;
  const memoryMb = options.memoryMb ?? 1024;
  const progress = new SharedArrayBuffer(4 * n);
  const cells = new Int32Array(progress);
  const failures: Failure[] = [];
  const byKind: Record<string, KindStats> = {};
  const count = (kind: string, outcome: 'compiled' | 'diagnosed' | 'failed', ms: number, bytes: number, index: number) => {
    const t = (byKind[kind] ??= { inputs: 0, compiled: 0, diagnosed: 0, failed: 0, ms: 0, maxMs: 0, maxIndex: -1, bytes: 0 });
    t.inputs++;
    t[outcome]++;
    t.ms += ms;
    t.bytes += bytes;
    if (ms > t.maxMs) {
      t.maxMs = ms;
      t.maxIndex = index;
    }
  };
  let blamed = 0;

  /** Run slot `slot`'s share from `start`; resolves when that share is done, restarting after hangs. */
  const lane = (slot: number): Promise<void> => new Promise((resolve) => {
    const run = (start: number) => {
      if (start >= end) {
        resolve();
        return;
      }
      // -1 until the worker has loaded and started its first input: loading is not a hang.
      Atomics.store(cells, slot, -1);
      const worker = startWorker({ seed: options.seed, start, step: n, end, slowMs, progress, slot }, memoryMb);
      let finished = false;
      let seen = -1;
      let since = performance.now();
      const blame = (problem: string) => {
        if (finished) return;
        finished = true;
        clearInterval(watchdog);
        const index = Atomics.load(cells, slot);
        if (index === -1) {
          // The worker could not even start: nothing to blame on an input, and nothing to retry.
          failures.push({ index: start, kind: 'worker', problems: [`a worker failed to start: ${problem}`] });
          void worker.terminate();
          resolve();
          return;
        }
        blamed++;
        failures.push({ index, kind: 'unknown', problems: [problem] });
        void worker.terminate();
        run(index + n);
      };
      const watchdog = setInterval(() => {
        const now = Atomics.load(cells, slot);
        if (now !== seen) {
          seen = now;
          since = performance.now();
        } else if (performance.now() - since > (now === -1 ? STARTUP_MS : hangMs)) {
          blame(`no result after ${hangMs} ms: a hang, or a blow-up the compiler does not bound`);
        }
      }, 100);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'result') {
          count(m.kind, m.outcome, m.ms, m.bytes, m.index);
          if (m.problems) failures.push({ index: m.index, kind: m.kind, problems: m.problems, ms: m.ms });
        } else {
          finished = true;
          clearInterval(watchdog);
          void worker.terminate();
          resolve();
        }
      });
      worker.on('error', (e) => blame(`the worker died: ${(e as Error).stack ?? e}`));
      worker.on('exit', (code) => {
        if (!finished) blame(`the worker exited with code ${code}`);
      });
    };
    run(from + slot);
  });

  await Promise.all(Array.from({ length: n }, (_, slot) => lane(slot)));
  // Inputs whose worker was stopped count as failed inputs of their own kind.
  if (blamed > 0) {
    const { makeInput } = await import('./inputs.ts');
    for (const f of failures) {
      if (f.kind !== 'unknown') continue;
      const input = makeInput(options.seed, f.index);
      f.kind = input.kind;
      count(input.kind, 'failed', hangMs, input.text.length, f.index);
    }
  }
  failures.sort((a, b) => a.index - b.index);
  const total = (k: keyof KindStats) => Object.values(byKind).reduce((sum, s) => sum + s[k], 0);
  return {
    seed: options.seed,
    inputs: total('inputs'),
    compiled: total('compiled'),
    diagnosed: total('diagnosed'),
    failed: total('failed'),
    byKind,
    failures,
    wallMs: performance.now() - started,
    cpuMs: (() => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    })(),
    workers: n,
  };
}

/** The first line of a problem, with locations, numbers and names made generic: one cause, one signature. */
export function signature(problem: string): string {
  return problem.split('\n')[0]!.replace(/\s*\[[^\]]*\]/g, '').replace(/\b(map|program) [\w.]+/g, '$1 …').replace(/\d+/g, 'N')
    .replace(/`[^`]*`/g, '`…`').slice(0, 160);
}

export function formatSummary(s: Summary): string {
  const lines = [`compiler fuzz, seed ${s.seed}: ${s.inputs} inputs in ${(s.wallMs / 1000).toFixed(1)} s (${(s.cpuMs / 1000).toFixed(1)} s of CPU) ` +
    `on ${s.workers} workers: ${s.compiled} compiled, ${s.diagnosed} diagnosed, ${s.failed} failed`];
  for (const [kind, k] of Object.entries(s.byKind).sort()) {
    lines.push(`  ${kind.padEnd(9)} ${String(k.inputs).padStart(5)} inputs ${String(k.compiled).padStart(5)} compiled ${String(k.diagnosed).padStart(5)} diagnosed ` +
      `${String(k.failed).padStart(4)} failed   avg ${(k.ms / Math.max(1, k.inputs)).toFixed(1)} ms, max ${k.maxMs.toFixed(0)} ms (#${k.maxIndex}), ` +
      `avg ${Math.round(k.bytes / Math.max(1, k.inputs))} chars`);
  }
  return lines.join('\n');
}
