// uprobe:<path>:<offset> through the uprobe PMU (no tracefs writes, nothing left behind on exit):
// perf type from sysfs, config1 = pointer to the path, config2 = file offset of the probed
// instruction, and the `retprobe` format bit in config for uretprobes. A USDT semaphore's file offset
// goes in the `ref_ctr_offset` format field (config:32-63, Linux 4.20+): the kernel then counts the
// semaphore up in every process mapping the file while the probe is attached.
//
// Without a pid the event is opened once, on CPU 0 with pid -1, and the program fires on every CPU
// (libbpf opens the same single event). With a pid (-p) it is opened for that process on any CPU:
// the kernel then plants the breakpoint only in that process's memory.
import { pmuFormat, type PmuFormatField } from '../kernel/pmu.ts';
import { encodeRefCtrOffset } from '../kernel/elf/usdt.ts';
import { Errno } from '../sys/constants.ts';
import { SysError } from '../sys/errors.ts';
import type { Sys } from '../sys/sys.ts';
import { PerfEventAttachment, type Attachment } from './attachment.ts';
import { ProbeUnavailableError } from './kprobe.ts';

export interface UprobeTarget {
  path: string;
  offset: number;
  retprobe: boolean;
  /** File offset of a USDT semaphore. */
  refCtrOffset?: number;
  /** Only this process. */
  pid?: number;
}

export interface UprobePmu {
  type: number;
  /** Bit of perf_event_attr.config that asks for a return probe. */
  retprobeBit: number;
  /** Where the semaphore offset goes; read from sysfs when absent and a probe needs it. */
  refCtrOffset?: PmuFormatField;
}

export function attachUprobe(sys: Sys, probe: string, progFd: number, target: UprobeTarget, pmu: UprobePmu): Attachment {
  let config = target.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n;
  if (target.refCtrOffset) config |= refCtrBits(probe, target.refCtrOffset, pmu);
  const attr = {
    type: pmu.type,
    config,
    config1String: target.path,
    config2: target.offset,
    samplePeriod: 1,
    wakeupEvents: 1,
  };
  const where = target.pid === undefined ? { pid: -1, cpu: 0 } : { pid: target.pid, cpu: -1 };
  try {
    return PerfEventAttachment.open(sys, probe, progFd, [{ attr, ...where }]);
  } catch (err) {
    throw uprobeOpenError(err, probe, target) ?? err;
  }
}

function refCtrBits(probe: string, offset: number, pmu: UprobePmu): bigint {
  let field = pmu.refCtrOffset;
  if (!field) {
    try {
      field = pmuFormat('uprobe', 'ref_ctr_offset');
    } catch {
      throw new ProbeUnavailableError(`${probe}: this USDT probe has a semaphore, and this kernel's uprobe PMU cannot set one ` +
        '(no /sys/bus/event_source/devices/uprobe/format/ref_ctr_offset; Linux 4.20 added it)');
    }
  }
  if (field.field !== 'config') throw new Error(`uprobe ref_ctr_offset is in ${field.field}, expected config`);
  return encodeRefCtrOffset(offset, field);
}

/** What perf_event_open's errno means for a uprobe, in words; undefined for errors not specific to uprobes. */
function uprobeOpenError(err: unknown, probe: string, target: UprobeTarget): ProbeUnavailableError | undefined {
  if (!(err instanceof SysError)) return undefined;
  if (err.errno === Errno.ESRCH && target.pid !== undefined) {
    return new ProbeUnavailableError(`${probe}: there is no process ${target.pid} (ESRCH)`);
  }
  if (err.errno === Errno.ENOENT) return new ProbeUnavailableError(`${probe}: ${target.path} does not exist (ENOENT)`);
  if (err.errno === Errno.EINVAL) {
    return new ProbeUnavailableError(`${probe}: the kernel refused a uprobe at offset 0x${target.offset.toString(16)} of ${target.path} (EINVAL): ` +
      'the offset is past the end of the file or not at an instruction it can probe' +
      (target.refCtrOffset ? ', or the semaphore offset is wrong or used with a different offset by another tracer' : ''));
  }
  return undefined;
}
