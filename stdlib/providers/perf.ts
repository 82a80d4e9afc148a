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
