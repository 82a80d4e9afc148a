// Probe arguments: `args` (a tracepoint's record), `arg0`..`arg5` and `retval` (registers of a
// kprobe, read straight from pt_regs in the context: cheaper than a probe_read, and the verifier allows it).

import { reg } from '../../compiler/ir/builder.ts';
import type { BuiltinVariable } from '../../compiler/registry.ts';
import { u64 } from '../../compiler/types/types.ts';

export const args: BuiltinVariable = {
  name: 'args',
  summary: "the probe's arguments as a record (`args->field`)",
  type(probe) {
    if (probe.args) return probe.args;
    return {
      error: `\`args\` is not available in ${probe.provider.name} probes`,
      hint: probe.provider.name.startsWith('k') ? 'use arg0..arg5 in kprobes' : undefined,
    } as { error: string; hint?: string };
  },
};

// x86-64 struct pt_regs offsets of the argument registers (di, si, dx, cx, r8, r9) and of ax.
const ARG_OFFSETS = [112, 104, 96, 88, 72, 64];
const AX_OFFSET = 80;

function register(name: string, summary: string, offset: number, allowed: (p: string) => boolean, where: string): BuiltinVariable {
  return {
    name, summary,
    type: (probe) => allowed(probe.provider.name) ? u64
      : { error: `\`${name}\` is not available in ${probe.provider.name} probes`, hint: where },
    lower: (l) => reg(l.b.load(8, l.ctx(), offset)),
  };
}

const inKprobe = (p: string) => p === 'kprobe';
export const argRegisters: BuiltinVariable[] = ARG_OFFSETS.map((off, i) =>
  register(`arg${i}`, `argument ${i} of the probed function`, off, inKprobe, 'argN is available in kprobe probes; tracepoints have `args->name`'));

export const retval: BuiltinVariable = register('retval', 'the return value of the probed function', AX_OFFSET,
  (p) => p === 'kretprobe', '`retval` is available in kretprobe probes');

