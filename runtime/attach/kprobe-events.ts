// kprobes through tracefs `kprobe_events`, for kernels that have kprobes but no kprobe PMU (before
// 4.17): define `p:kprobes/tsbt_<pid>_<n> func+off` (or `r:` for a return probe), open its
// tracepoint id as a perf event, and remove the definition on detach. The PMU is preferred: a
// definition outlives a process killed with -9, a PMU event does not.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SysError } from '../sys/errors.ts';
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';
import type { KprobeTarget } from './kprobe.ts';

const PERF_TYPE_TRACEPOINT = 2;
let next = 0;

export function attachKprobeThroughTracefs(sys: Sys, probe: string, progFd: number, target: KprobeTarget, tracefs: string): Attachment {
  const name = `tsbt_${process.pid}_${next++}`;
  const events = join(tracefs, 'kprobe_events');
  const definition = `${target.retprobe ? 'r' : 'p'}:kprobes/${name} ${target.func}${target.offset ? `+${target.offset}` : ''}`;
  // Appending (O_APPEND) adds a definition; opening for writing without it would delete them all.
  try {
    appendFileSync(events, `${definition}\n`);
  } catch (err) {
    // Node's errno is negative; the kernel's word for "no such function" here is ENOENT, as with the PMU.
    throw new SysError(`write ${events} (${definition})`, Math.abs((err as NodeJS.ErrnoException).errno ?? 0));
  }
  const remove = () => {
    try {
      appendFileSync(events, `-:kprobes/${name}\n`);
    } catch {
      // Already gone (or tracefs unmounted): nothing left to remove.
    }
  };
  let perf: PerfEventAttachment;
  try {
    const id = Number(readFileSync(join(tracefs, 'events', 'kprobes', name, 'id'), 'utf8').trim());
    perf = PerfEventAttachment.open(sys, probe, progFd, [{
      attr: { type: PERF_TYPE_TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 }, pid: -1, cpu: 0,
    }]);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    probe,
    enable: () => perf.enable(),
    detach() {
      perf.detach();
      remove();
    },
  };
}
