// kprobe:<func>[+off] / kretprobe:<func> through the kprobe PMU: config1 = pointer to the function
// name, config2 = offset, the `retprobe` format bit in config. Kernels built without kprobes have no
// such PMU (and no tracefs kprobe_events); that is reported as the probe being unavailable, in words.
import { existsSync } from 'node:fs';
import { pmuFormat, pmuType } from '../kernel/pmu.ts';
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';
import type { UprobePmu as ProbePmu } from './uprobe.ts';

export interface KprobeTarget {
  func: string;
  offset: number;
  retprobe: boolean;
}

/** A probe this kernel cannot provide; the message is one paragraph meant for the user. */
export class ProbeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeUnavailableError';
  }
}

export function kprobeUnavailableReason(pmuDir = '/sys/bus/event_source/devices', tracefs = '/sys/kernel/tracing'): string | undefined {
  if (existsSync(`${pmuDir}/kprobe/type`)) return undefined;
  if (existsSync(`${tracefs}/kprobe_events`)) return undefined;
  return 'this kernel has no kprobes: it was built without CONFIG_KPROBES, so there is no kprobe PMU in ' +
    `${pmuDir} and no kprobe_events in tracefs. Tracepoints (tsbt -l 'tracepoint:*') often trace the same ` +
    'events, e.g. tracepoint:syscalls:sys_enter_openat for the openat system call.';
}

/** The kprobe PMU, or undefined when this kernel has none (the error then explains why). */
export function systemKprobePmu(): ProbePmu | undefined {
  if (!existsSync('/sys/bus/event_source/devices/kprobe/type')) return undefined;
  return { type: pmuType('kprobe'), retprobeBit: pmuFormat('kprobe', 'retprobe').firstBit };
}

export function attachKprobe(sys: Sys, probe: string, progFd: number, target: KprobeTarget, pmu: ProbePmu | undefined): Attachment {
  if (!pmu) {
    // TODO(issue 3): fall back to tracefs kprobe_events where the PMU is missing but kprobes exist.
    throw new ProbeUnavailableError(`${probe}: ${kprobeUnavailableReason() ?? 'this kernel has no kprobe PMU'}`);
  }
  const { type, retprobeBit } = pmu;
  const attr = {
    type,
    config: target.retprobe ? 1n << BigInt(retprobeBit) : 0n,
    config1String: target.func,
    config2: target.offset,
    samplePeriod: 1,
    wakeupEvents: 1,
  };
  return PerfEventAttachment.open(sys, probe, progFd, [{ attr, pid: -1, cpu: 0 }]);
}
