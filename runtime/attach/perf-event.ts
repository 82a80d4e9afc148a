// Sampling perf events (interval:, profile:, software/hardware counters): one event on CPU 0
// (`cpus: 'one'`, e.g. interval) or one per online CPU (`cpus: 'all'`, e.g. profile). The program runs
// on each overflow, every `period` events (ns for the clocks) or `frequency` times a second.
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';

export interface PerfEventTarget {
  perfType: number;
  config: number;
  period?: number;
  frequency?: number;
  cpus: 'one' | 'all';
}

export function attachPerfEvent(
  sys: Sys,
  probe: string,
  progFd: number,
  target: PerfEventTarget,
  onlineCpus: () => number[],
): Attachment {
  if ((target.period === undefined) === (target.frequency === undefined)) {
    throw new Error(`${probe}: a perf event needs exactly one of period and frequency`);
  }
  const cpus = target.cpus === 'one' ? [0] : onlineCpus();
  const attr = {
    type: target.perfType,
    config: target.config,
    samplePeriod: target.period,
    frequency: target.frequency,
    // PERF_SAMPLE_CALLCHAIN: the kernel records each sample's call chain, which is what
    // bpf_get_stackid reads in a perf-event program (kstack/ustack in profile probes).
    sampleType: 1 << 5,
  };
  return PerfEventAttachment.open(sys, probe, progFd, cpus.map((cpu) => ({ attr, pid: -1, cpu })));
}
