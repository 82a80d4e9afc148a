// rawtracepoint:<name> — a kernel tracepoint without the perf-event record: the handler's arguments are
// a u64 array in the context (arg0, arg1, ...), attached with BPF_RAW_TRACEPOINT_OPEN.

import { error } from '../../grammar/diagnostics.ts';
import type { ProbeProvider } from '../../compiler/registry.ts';

const MAX_RAW_ARGS = 12;

export const rawTracepoint: ProbeProvider = {
  name: 'rawtracepoint',
  aliases: ['rt'],
  summary: 'a kernel tracepoint, raw: arg0, arg1... are its handler arguments',
  usage: 'rawtracepoint:[<module>:]<name>',
  expand(spec) {
    const name = spec.parts[spec.parts.length - 1];
    if (spec.parts.length < 1 || spec.parts.length > 2 || !name || !/^\w+$/.test(name)) {
      return error(`\`${spec.text}\` is not a raw tracepoint`, spec.span, `write ${this.usage}, e.g. rawtracepoint:sched_switch`);
    }
    return [{
      provider: this, spec, name: `rawtracepoint:${name}`, programType: 'raw_tracepoint',
      attach: { kind: 'raw_tracepoint', name },
      argOffsets: Array.from({ length: MAX_RAW_ARGS }, (_, i) => i * 8),
    }];
  },
};
