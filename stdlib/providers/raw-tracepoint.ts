// rawtracepoint:<name> — a kernel tracepoint without the perf-event record: the handler's arguments are
// a u64 array in the context (arg0, arg1, ...), attached with BPF_RAW_TRACEPOINT_OPEN. Where the kernel
// has BTF, `args->name` are the same arguments typed from the `btf_trace_<name>` prototype (a pointer to
// a function whose first parameter, the tracepoint's private data, is not passed), as bpftrace does:
// `rawtracepoint:sched_switch { args->next->comm }`.

import { error } from '../../grammar/diagnostics.ts';
import type { ConcreteProbe, ProbeProvider } from '../../compiler/registry.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import { fromKernel } from '../../compiler/types/from-kernel.ts';
import { closest } from '../../compiler/suggest.ts';
import type { RecordField, Type } from '../../compiler/types/types.ts';

const MAX_RAW_ARGS = 12;

export const rawTracepoint: ProbeProvider = {
  name: 'rawtracepoint',
  aliases: ['rt'],
  summary: 'a kernel tracepoint, raw: arg0, arg1... are its handler arguments; `args->name` typed from BTF',
  usage: 'rawtracepoint:[<module>:]<name>',
  list: (kernel) => rawTracepointNames(kernel).map((r) => `rawtracepoint:${qualified(r)}`).sort(),
  expand(spec, kernel) {
    const name = spec.parts[spec.parts.length - 1];
    if (spec.parts.length < 1 || spec.parts.length > 2 || !name || !/^\w+$/.test(name)) {
      return error(`\`${spec.text}\` is not a raw tracepoint`, spec.span, `write ${this.usage}, e.g. rawtracepoint:sched_switch`);
    }
    const module = spec.parts.length === 2 ? spec.parts[0] : undefined;
    const missing = unknownName(kernel, name, module);
    if (missing) return error(missing.message, spec.span, missing.hint);
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

/** Trace event categories whose events are not kernel tracepoints (system call events, ftrace's own, dynamic events). */
const NOT_RAW = new Set(['syscalls', 'ftrace', 'kprobes', 'uprobes', 'synthetic', 'eprobes', 'fprobes', 'tracepoints']);

/** Tracefs events that are tracepoints of the same name. */
function tracefsNames(kernel: KernelInfo, eventGlob: string): string[] {
  if (kernel.tracingUnavailable()) return [];
  return kernel.listTracepoints('*', eventGlob).filter((t) => !NOT_RAW.has(t.category)).map((t) => t.event);
}

/** Raw tracepoints: from BTF's `btf_trace_<name>` typedefs, or, without BTF, tracefs's events. */
function rawTracepointNames(kernel: KernelInfo): { module?: string; name: string }[] {
  const kt = kernel.kernelTypes();
  if (!('unavailable' in kt)) return kt.rawTracepoints();
  return [...new Set(tracefsNames(kernel, '*'))].sort().map((name) => ({ name }));
}

/**
 * Why `name` is no raw tracepoint of this kernel, or undefined when it is (or nothing can tell). An
 * event tracefs lists is one without reading BTF (a script that only reads arg0... never indexes it);
 * other names (tracepoints without a trace event, `sched_update_nr_running_tp`) are looked up in BTF.
 */
function unknownName(kernel: KernelInfo, name: string, module: string | undefined): { message: string; hint: string } | undefined {
  if (module === undefined && tracefsNames(kernel, name).length > 0) return undefined;
  const kt = kernel.kernelTypes();
  let known: { module?: string; name: string }[];
  if (!('unavailable' in kt)) {
    if (kt.rawTracepointArgs(name) !== undefined && (module === undefined || kt.rawTracepoints().some((r) => r.name === name && (r.module ?? 'vmlinux') === module))) return undefined;
    known = kt.rawTracepoints();
  } else {
    if (kernel.tracingUnavailable()) return undefined;
    known = tracefsNames(kernel, '*').map((n) => ({ name: n }));
    if (module !== undefined && known.some((r) => r.name === name)) return undefined;
  }
  const wanted = module === undefined ? name : `${module}:${name}`;
  const near = closest(wanted, new Set(known.map(qualified)));
  return {
    message: `no raw tracepoint \`${wanted}\` in this kernel`,
    hint: near ? `did you mean \`rawtracepoint:${near}\`?` : 'list them with `tsbt -l \'rawtracepoint:*\'`',
  };
}

/** `name`, or `module:name` for a module's tracepoint. */
function qualified(r: { module?: string; name: string }): string {
  return r.module ? `${r.module}:${r.name}` : r.name;
}
