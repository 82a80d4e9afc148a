// rawtracepoint:<name> — a kernel tracepoint without the perf-event record: the handler's arguments are
// a u64 array in the context (arg0, arg1, ...), attached with BPF_RAW_TRACEPOINT_OPEN. Where the kernel
// has BTF, `args->name` are the same arguments typed from the `btf_trace_<name>` prototype (a pointer to
// a function whose first parameter, the tracepoint's private data, is not passed), as bpftrace does:
// `rawtracepoint:sched_switch { args->next->comm }`.

import { error } from '../../grammar/diagnostics.ts';
import type { ConcreteProbe, ProbeProvider } from '../../compiler/registry.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import { fromKernel } from '../../compiler/types/from-kernel.ts';
import type { RecordField, Type } from '../../compiler/types/types.ts';

const MAX_RAW_ARGS = 12;

export const rawTracepoint: ProbeProvider = {
  name: 'rawtracepoint',
  aliases: ['rt'],
  summary: 'a kernel tracepoint, raw: arg0, arg1... are its handler arguments; `args->name` typed from BTF',
  usage: 'rawtracepoint:[<module>:]<name>',
  expand(spec, kernel) {
    const name = spec.parts[spec.parts.length - 1];
    if (spec.parts.length < 1 || spec.parts.length > 2 || !name || !/^\w+$/.test(name)) {
      return error(`\`${spec.text}\` is not a raw tracepoint`, spec.span, `write ${this.usage}, e.g. rawtracepoint:sched_switch`);
    }
    const probe: ConcreteProbe = {
      provider: this, spec, name: `rawtracepoint:${name}`, programType: 'raw_tracepoint',
      attach: { kind: 'raw_tracepoint', name },
      argOffsets: Array.from({ length: MAX_RAW_ARGS }, (_, i) => i * 8),
    };
    // Looked up when a script reads `args`: a script that only uses arg0... never indexes BTF.
    let args: { value: ReturnType<typeof typedArgs> } | undefined;
    Object.defineProperty(probe, 'args', { enumerable: true, get: () => (args ??= { value: typedArgs(kernel, name) }).value });
    return [probe];
  },
};

/**
 * `args` of a raw tracepoint: argument i is the i-th u64 of the context, narrowed to its type (a bool
 * or an int fills the whole slot). Undefined without BTF or without `btf_trace_<name>`: arg0... remain.
 */
function typedArgs(kernel: KernelInfo, name: string): Type & { kind: 'record' } | undefined {
  const kt = kernel.kernelTypes();
  if ('unavailable' in kt) return undefined;
  const params = kt.rawTracepointArgs(name);
  if (!params || params.length > MAX_RAW_ARGS) return undefined;
  const fields: RecordField[] = params.map((p, i) => ({
    name: p.name || `arg${i}`, offset: 8 * i, type: fromKernel(kt, p.type, false), wholeSlot: true,
  }));
  return { kind: 'record', name: `rawtracepoint:${name} arguments`, fields };
}
