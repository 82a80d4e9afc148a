// Timed probes on perf events: interval (one CPU) and profile (every CPU), both on the CPU clock.

import { error } from '../../grammar/diagnostics.ts';
import type { ProbeSpec } from '../../grammar/ast.ts';
import type { Diagnostic } from '../../grammar/diagnostics.ts';
import type { ProbeProvider } from '../../compiler/registry.ts';

const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_CPU_CLOCK = 0;
const NS_PER_UNIT: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3, ns: 1 };

/** `s:1`, `ms:500`, `us:100`, `hz:99`, or the newer one-part `1s`, `500ms`. */
function parseRate(spec: ProbeSpec, usage: string): { period: number } | { frequency: number } | Diagnostic {
  let unit: string | undefined;
  let count: string | undefined;
  if (spec.parts.length === 2) [unit, count] = spec.parts;
  else if (spec.parts.length === 1) {
    const m = /^(\d+)([a-z]+)$/.exec(spec.parts[0]!);
    if (m) [, count, unit] = m;
  }
  const n = Number(count);
  if (!unit || !count || !/^\d+$/.test(count) || n <= 0) {
    return error(`\`${spec.text}\` needs a unit and a positive count`, spec.span, `write ${usage}`);
  }
  if (unit === 'hz') return { frequency: n };
  const scale = NS_PER_UNIT[unit];
  if (!scale) return error(`unknown unit \`${unit}\` in \`${spec.text}\``, spec.span, 'units: s, ms, us, hz');
  return { period: n * scale };
}

function perfTimer(name: string, alias: string, cpus: 'one' | 'all', summary: string): ProbeProvider {
  return {
    name,
    aliases: [alias],
    summary,
    usage: `${name}:s|ms|us|hz:<count>`,
    expand(spec) {
      const rate = parseRate(spec, this.usage);
      if ('severity' in rate) return rate;
      return [{
        provider: this, spec, name: `${name}:${spec.parts.join(':')}`, programType: 'perf_event',
        attach: { kind: 'perf_event', perfType: PERF_TYPE_SOFTWARE, config: PERF_COUNT_SW_CPU_CLOCK, cpus, ...rate },
      }];
    },
  };
}

export const interval = perfTimer('interval', 'i', 'one', 'fires on one CPU at a fixed interval');
export const profile = perfTimer('profile', 'p', 'all', 'fires on every CPU at a fixed rate');

/** bpftrace's event names (and short aliases) → perf config, with the default sample period. */
const SOFTWARE_EVENTS: Record<string, { config: number; period: number }> = {
  'cpu-clock': { config: 0, period: 1_000_000 }, cpu: { config: 0, period: 1_000_000 },
  'task-clock': { config: 1, period: 1_000_000 },
  'page-faults': { config: 2, period: 100 }, faults: { config: 2, period: 100 },
  'context-switches': { config: 3, period: 1000 }, cs: { config: 3, period: 1000 },
  'cpu-migrations': { config: 4, period: 1 },
  'minor-faults': { config: 5, period: 100 },
  'major-faults': { config: 6, period: 1 },
  'alignment-faults': { config: 7, period: 1 },
  'emulation-faults': { config: 8, period: 1 },
  dummy: { config: 9, period: 1 },
  'bpf-output': { config: 10, period: 1 },
};

const HARDWARE_EVENTS: Record<string, { config: number; period: number }> = {
  'cpu-cycles': { config: 0, period: 1_000_000 }, cycles: { config: 0, period: 1_000_000 },
  instructions: { config: 1, period: 1_000_000 },
  'cache-references': { config: 2, period: 1_000_000 },
  'cache-misses': { config: 3, period: 1_000_000 },
  'branch-instructions': { config: 4, period: 100_000 }, branches: { config: 4, period: 100_000 },
  'branch-misses': { config: 5, period: 100_000 },
  'bus-cycles': { config: 6, period: 100_000 },
  'frontend-stalls': { config: 7, period: 1_000_000 },
  'backend-stalls': { config: 8, period: 1_000_000 },
  'ref-cycles': { config: 9, period: 1_000_000 },
};

function perfCounter(name: 'software' | 'hardware', alias: string, perfType: number, events: Record<string, { config: number; period: number }>): ProbeProvider {
  return {
    name,
    aliases: [alias],
    summary: `a ${name} perf event on every CPU, every <count> occurrences`,
    usage: `${name}:<event>[:<count>]`,
    list: () => Object.keys(events).map((e) => `${name}:${e}:`),
    expand(spec) {
      const [event, count] = spec.parts;
      const known = event ? events[event] : undefined;
      if (!known || spec.parts.length > 2) {
        return error(`unknown ${name} event \`${event ?? ''}\``, spec.span, `events: ${Object.keys(events).join(', ')}`);
      }
      const period = count === undefined ? known.period : Number(count);
      if (!Number.isInteger(period) || period <= 0) return error(`the count in \`${spec.text}\` must be a positive integer`, spec.span);
      return [{
        provider: this, spec, name: `${name}:${event}:${period}`, programType: 'perf_event',
        attach: { kind: 'perf_event', perfType, config: known.config, period, cpus: 'all' },
      }];
    },
  };
}

export const software = perfCounter('software', 's', 1, SOFTWARE_EVENTS);
export const hardware = perfCounter('hardware', 'h', 0, HARDWARE_EVENTS);
