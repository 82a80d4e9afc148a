// Dynamic perf PMUs (uprobe, kprobe) described in sysfs: their perf type number and where each named
// format field lives in perf_event_attr (e.g. uprobe's `retprobe` is `config:0`).
import { readFileSync } from 'node:fs';

export const PMU_DIR = '/sys/bus/event_source/devices';

export interface PmuFormatField {
  /** The perf_event_attr field: config, config1 or config2. */
  field: string;
  firstBit: number;
  lastBit: number;
}

/** Parses a sysfs PMU format file such as `config:0` or `config:32-63`. */
export function parsePmuFormat(text: string): PmuFormatField {
  const m = /^(config\d?):(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`malformed PMU format '${text.trim()}'`);
  const firstBit = Number(m[2]);
  return { field: m[1]!, firstBit, lastBit: m[3] === undefined ? firstBit : Number(m[3]) };
}

/** The perf_event_attr.type of a PMU, e.g. `uprobe`. */
export function pmuType(pmu: string, dir = PMU_DIR): number {
  const path = `${dir}/${pmu}/type`;
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch (err) {
    throw new Error(`this kernel has no ${pmu} PMU (cannot read ${path}: ${(err as NodeJS.ErrnoException).code})`);
  }
}

export function pmuFormat(pmu: string, field: string, dir = PMU_DIR): PmuFormatField {
  return parsePmuFormat(readFileSync(`${dir}/${pmu}/format/${field}`, 'utf8'));
}
