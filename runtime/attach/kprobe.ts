// kprobe:<func>[+off] / kretprobe:<func> through the kprobe PMU: config1 = pointer to the function
// name, config2 = offset, the `retprobe` format bit in config. Kernels built without kprobes have no
// such PMU (and no tracefs kprobe_events); that is reported as the probe being unavailable, in words.
import { attachKprobeThroughTracefs } from './kprobe-events.ts';
import { existsSync } from 'node:fs';
import { pmuFormat, pmuType } from '../kernel/pmu.ts';
import { Errno } from '../sys/constants.ts';
import { SysError } from '../sys/errors.ts';
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

export function kprobeUnavailableReason(
  pmuDir = '/sys/bus/event_source/devices', tracefs = '/sys/kernel/tracing', target?: KprobeTarget,
): string | undefined {
  if (existsSync(`${pmuDir}/kprobe/type`)) return undefined;
  if (existsSync(`${tracefs}/kprobe_events`)) return undefined;
  const why = 'this kernel has no kprobes: it was built without CONFIG_KPROBES, so there is no kprobe PMU in ' +
    `${pmuDir} and no kprobe_events in tracefs.`;
  const twin = target && syscallTracepoint(target, tracefs);
  if (twin) return `${why} ${twin} traces the same call.`;
  return `${why} Tracepoints (tsbt -l 'tracepoint:*') often trace the same events, e.g. tracepoint:syscalls:sys_enter_openat for the openat system call.`;
}

/** A system call's entry (or exit) function → its syscalls tracepoint, when tracefs has it. */
function syscallTracepoint(target: KprobeTarget, tracefs: string): string | undefined {
  const m = /^(?:__x64_sys_|__ia32_sys_|__se_sys_|__do_sys_|ksys_|sys_)(\w+)$/.exec(target.func);
  if (!m) return undefined;
  const event = `sys_${target.retprobe ? 'exit' : 'enter'}_${m[1]}`;
  return existsSync(`${tracefs}/events/syscalls/${event}`) ? `tracepoint:syscalls:${event}` : undefined;
}

/** The kprobe PMU, or undefined when this kernel has none (the error then explains why). */
export function systemKprobePmu(): ProbePmu | undefined {
  if (!existsSync('/sys/bus/event_source/devices/kprobe/type')) return undefined;
  return { type: pmuType('kprobe'), retprobeBit: pmuFormat('kprobe', 'retprobe').firstBit };
}

export function attachKprobe(
  sys: Sys, probe: string, progFd: number, target: KprobeTarget, pmu: ProbePmu | undefined, tracefs: () => string,
): Attachment {
  // TSBT_KPROBE_TRACEFS=1 takes the fallback path even where the PMU exists (to test it).
  if (!pmu || process.env.TSBT_KPROBE_TRACEFS === '1') {
    const root = tracefsOrUndefined(tracefs);
    if (root && existsSync(`${root}/kprobe_events`)) {
      try {
        return attachKprobeThroughTracefs(sys, probe, progFd, target, root);
      } catch (err) {
        throw kprobeOpenError(err, probe, target) ?? err;
      }
    }
    throw new ProbeUnavailableError(`${probe}: ${kprobeUnavailableReason(undefined, root, target) ?? 'this kernel has no kprobe PMU'}`);
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
  try {
    return PerfEventAttachment.open(sys, probe, progFd, [{ attr, pid: -1, cpu: 0 }]);
  } catch (err) {
    throw kprobeOpenError(err, probe, target) ?? err;
  }
}

function tracefsOrUndefined(tracefs: () => string): string | undefined {
  try {
    return tracefs();
  } catch {
    return undefined;
  }
}

const EILSEQ = 84;

/** What perf_event_open's errno means for a kprobe, in words; undefined for errors not specific to kprobes. */
function kprobeOpenError(err: unknown, probe: string, target: KprobeTarget): ProbeUnavailableError | undefined {
  if (!(err instanceof SysError)) return undefined;
  if (err.errno === Errno.ENOENT) {
    return new ProbeUnavailableError(`${probe}: this kernel has no function named ${target.func} that can be probed (${err.code}): ` +
      'it is not in /proc/kallsyms, or it was inlined or renamed (look for it in /sys/kernel/tracing/available_filter_functions).');
  }
  if (err.errno === EILSEQ) {
    return new ProbeUnavailableError(`${probe}: offset ${target.offset} is not at an instruction boundary in ${target.func} (EILSEQ).`);
  }
  if (err.errno === Errno.EINVAL) {
    return new ProbeUnavailableError(`${probe}: the kernel refused a kprobe on ${target.func} (${err.code}): functions the ` +
      'kprobes code itself uses, or that run with kprobes disabled, cannot be probed (see /sys/kernel/debug/kprobes/blacklist).');
  }
  return undefined;
}
