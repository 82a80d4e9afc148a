// A fuzz worker: checks the inputs start, start + step, ... below end, and writes the index it is on
// into shared memory before each one, so that the main thread can tell a hang from slow progress and
// knows which input to blame when it has to stop the worker.

import { parentPort, workerData } from 'node:worker_threads';
import { checkInput } from './check.ts';
import { POSITIONAL } from './generate.ts';
import { makeInput } from './inputs.ts';
import { fuzzKernel } from './kernel.ts';
import type { WorkerMessage, WorkerTask } from './runner.ts';

const task = workerData as WorkerTask;
const progress = new Int32Array(task.progress);
const kernels = { btf: fuzzKernel(), none: fuzzKernel({ types: false }) };
for (let index = task.start; index < task.end; index += task.step) {
  Atomics.store(progress, task.slot, index);
  const input = makeInput(task.seed, index);
  const options = {
    kernel: input.options.btf === false ? kernels.none : kernels.btf, positional: POSITIONAL, slowMs: task.slowMs,
    targetPid: input.options.targetPid, childPid: input.options.childPid,
  };
  let outcome = checkInput(input.text, options);
  // Slow only: once more, so that a pause of the machine (other processes, a GC) does not fail the run.
  if (outcome.kind === 'failed' && outcome.problems.every((p) => p.startsWith('took '))) {
    const again = checkInput(input.text, options);
    if (again.ms < outcome.ms) outcome = again;
  }
  parentPort!.postMessage({
    type: 'result', index, kind: input.kind, outcome: outcome.kind, ms: outcome.ms, bytes: input.text.length,
    ...(outcome.kind === 'failed' ? { problems: outcome.problems } : {}),
  } satisfies WorkerMessage);
}
Atomics.store(progress, task.slot, task.end);
parentPort!.postMessage({ type: 'done' } satisfies WorkerMessage);
