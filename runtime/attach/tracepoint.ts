// tracepoint:<category>:<event> — a PERF_TYPE_TRACEPOINT perf event whose config is the tracepoint id.
// One event (pid -1, cpu 0) is enough: the program hangs off the tracepoint itself, not the per-CPU
// perf event, so it runs on every CPU (measured on 6.18: hits on CPU 1 counted through a CPU 0 event;
// libbpf attaches the same way).
import { PerfType } from '../sys/constants.ts';
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';

export interface TracepointTarget {
  category: string;
  event: string;
}

export function attachTracepoint(
  sys: Sys,
  probe: string,
  progFd: number,
  target: TracepointTarget,
  tracepointId: (category: string, event: string) => number,
): Attachment {
  const id = tracepointId(target.category, target.event);
  return PerfEventAttachment.open(sys, probe, progFd, [
    { attr: { type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 }, pid: -1, cpu: 0 },
  ]);
}
