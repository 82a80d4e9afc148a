// kprobe:<function>[+offset] and kretprobe:<function> — dynamic probes on kernel functions.
// Arguments are read straight from the saved registers (pt_regs) in the context.

import { error } from '../../grammar/diagnostics.ts';
import type { ProbeProvider } from '../../compiler/registry.ts';
import { PT_REGS_ARG_OFFSETS, PT_REGS_RETVAL_OFFSET } from '../arch/x86_64.ts';

function kprobeProvider(name: 'kprobe' | 'kretprobe', alias: string, retprobe: boolean): ProbeProvider {
  return {
    name,
    aliases: [alias],
    summary: retprobe ? 'the return of a kernel function; `retval` holds its result' : 'entry to a kernel function; arg0..arg5 hold its arguments',
    usage: retprobe ? 'kretprobe:<function>' : 'kprobe:<function>[+<offset>]',
    list: (kernel) => kernel.kernelFunctions().map((f) => `${name}:${f}`),
    expand(spec, kernel) {
      const target = spec.parts.length === 2 ? spec.parts[1] : spec.parts[0];
      const m = target ? /^([A-Za-z_.*?][\w.*?]*)(?:\+(\d+|0x[0-9a-fA-F]+))?$/.exec(target) : null;
      if (spec.parts.length < 1 || spec.parts.length > 2 || !m || (retprobe && m[2])) {
        return error(`\`${spec.text}\` is not a ${name}`, spec.span, `write ${this.usage}`);
      }
      const offset = m[2] ? Number(m[2]) : 0;
      let funcs = [m[1]!];
      if (/[*?]/.test(m[1]!)) {
        // A wildcard: every probeable function that matches (tracefs available_filter_functions).
        if (offset) return error('a wildcard cannot have an offset', spec.span);
        const re = new RegExp(`^${m[1]!.replace(/[.]/g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        funcs = kernel.kernelFunctions().filter((f) => re.test(f));
        if (funcs.length === 0) return error(`no kernel function matches \`${m[1]}\``, spec.span, 'list them with `tsbt -l \'kprobe:*\'`');
      }
      return funcs.map((func) => ({
        provider: this, spec, name: `${name}:${func}${offset ? `+${m[2]}` : ''}`, programType: 'kprobe' as const, funcName: func,
        attach: { kind: 'kprobe' as const, func, offset, retprobe },
        ...(retprobe ? { retvalOffset: PT_REGS_RETVAL_OFFSET } : { argOffsets: PT_REGS_ARG_OFFSETS }),
      }));
    },
  };
}

export const kprobe = kprobeProvider('kprobe', 'k', false);
export const kretprobe = kprobeProvider('kretprobe', 'kr', true);
