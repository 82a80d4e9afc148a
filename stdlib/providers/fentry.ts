// fentry:<func> / fexit:<func> (aliases kfunc / kretfunc): BPF trampolines on kernel functions, typed
// from the function's BTF prototype: `args->name` for each parameter and, in fexit, a typed `retval`.
// The context is a u64 array: parameter i at 8*i, the return value after the last parameter.

import { error } from '../../grammar/diagnostics.ts';
import type { ProbeProvider } from '../../compiler/registry.ts';
import { fromKernel } from '../../compiler/types/from-kernel.ts';
import type { RecordField } from '../../compiler/types/types.ts';

function tracingProvider(name: 'fentry' | 'fexit', aliases: string[]): ProbeProvider {
  return {
    name,
    aliases,
    summary: name === 'fentry'
      ? 'entry to a kernel function through a BPF trampoline; `args->name` are its typed parameters'
      : 'return from a kernel function; typed `args->name` and `retval`',
    usage: `${name}:[<module>:]<function>`,
    expand(spec, kernel) {
      const func = spec.parts[spec.parts.length - 1];
      if (!func || spec.parts.length > 2 || /[*?]/.test(func)) {
        return error(`\`${spec.text}\` is not a ${name} probe`, spec.span, `write ${this.usage}; wildcards are not supported yet`);
      }
      const kt = kernel.kernelTypes();
      if ('unavailable' in kt) return error(`${name} probes need kernel type information: ${kt.unavailable}`, spec.span);
      const info = kt.findFunc(func);
      if (!info) return error(`no kernel function \`${func}\` in the kernel's types`, spec.span, 'list them with `tsbt -l \'kprobe:*\'`');
      const fields: RecordField[] = info.params.map((p, i) => ({
        name: p.name || `arg${i}`, offset: 8 * i, type: fromKernel(kt, p.type, false), wholeSlot: true,
      }));
      const retIsVoid = kt.type(kt.resolve(info.ret)).kind === 'void';
      return [{
        provider: this, spec, name: `${name}:${func}`, programType: 'tracing', funcName: func,
        attach: { kind: 'tracing', func },
        tracing: { btfId: info.id, hook: name },
        args: { kind: 'record', name: `${func}() arguments`, fields },
        ...(name === 'fexit' && !retIsVoid ? { retvalOffset: 8 * info.params.length, retvalType: fromKernel(kt, info.ret, false) } : {}),
      }];
    },
  };
}

export const fentry = tracingProvider('fentry', ['kfunc', 'f']);
export const fexit = tracingProvider('fexit', ['kretfunc', 'fr']);
