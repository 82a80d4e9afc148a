// uprobe:<path>:<offset> through the uprobe PMU (no tracefs writes, nothing left behind on exit):
// perf type from sysfs, config1 = pointer to the path, config2 = file offset of the probed
// instruction, and the `retprobe` format bit in config for uretprobes. pid -1 needs a CPU; as with
// tracepoints the program fires on every CPU (libbpf opens the same single event).
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';

export interface UprobeTarget {
  path: string;
  offset: number;
  retprobe: boolean;
}

export interface UprobePmu {
  type: number;
  /** Bit of perf_event_attr.config that asks for a return probe. */
  retprobeBit: number;
}

export function attachUprobe(sys: Sys, probe: string, progFd: number, target: UprobeTarget, pmu: UprobePmu): Attachment {
  const attr = {
    type: pmu.type,
    config: target.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n,
    config1String: target.path,
    config2: target.offset,
    samplePeriod: 1,
    wakeupEvents: 1,
  };
  return PerfEventAttachment.open(sys, probe, progFd, [{ attr, pid: -1, cpu: 0 }]);
}
