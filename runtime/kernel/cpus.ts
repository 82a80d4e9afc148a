// CPU sets from sysfs. Per-CPU map values come back as one copy per *possible* CPU; per-CPU perf
// events are opened on each *online* CPU.
import { readFileSync } from 'node:fs';

const CPU_DIR = '/sys/devices/system/cpu';

/** Parses a kernel CPU list such as `0-3,6,8-9` into sorted CPU numbers. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`malformed CPU list '${text.trim()}'`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus.sort((a, b) => a - b);
}

function readCpuList(file: string): number[] {
  return parseCpuList(readFileSync(`${CPU_DIR}/${file}`, 'utf8'));
}

let possible: number[] | undefined;

/** CPUs that can ever be brought online (fixed at boot, so cached). */
export function possibleCpus(): number[] {
  return (possible ??= readCpuList('possible'));
}

/** How many per-CPU copies a per-CPU map value has. */
export function possibleCpuCount(): number {
  return possibleCpus().length;
}

/** CPUs online now (can change with hotplug, so read each time). */
export function onlineCpus(): number[] {
  return readCpuList('online');
}
