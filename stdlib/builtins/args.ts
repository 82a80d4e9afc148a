// Probe arguments: `args` (a tracepoint's record), `arg0`..`arg5` and `retval`, read straight from the
// context at offsets the probe type gives (pt_regs registers for kprobes and uprobes, the u64 array of
// a raw tracepoint): cheaper than a probe_read, and the verifier allows it.

import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinVariable } from '../../compiler/registry.ts';
import { u64 } from '../../compiler/types/types.ts';

export const args: BuiltinVariable = {
  name: 'args',
  summary: "the probe's arguments as a record (`args->field`)",
  type(probe) {
    if (probe.args) return probe.args;
    return {
      error: `\`args\` is not available in ${probe.provider.name} probes`,
      hint: probe.argOffsets ? 'use arg0, arg1, ... here' : undefined,
    } as { error: string; hint?: string };
  },
};

const MAX_ARGS = 12;

export const argRegisters: BuiltinVariable[] = Array.from({ length: MAX_ARGS }, (_, i): BuiltinVariable => ({
  name: `arg${i}`,
  summary: `argument ${i} of the probed function`,
  type(probe) {
    const offsets = probe.argOffsets;
    if (offsets && i < offsets.length) return u64;
    if (offsets) return { error: `${probe.provider.name} probes have arg0 to arg${offsets.length - 1}` };
    return {
      error: `\`arg${i}\` is not available in ${probe.provider.name} probes`,
      hint: probe.args ? 'this probe has named arguments: `args->name`' : undefined,
    } as { error: string; hint?: string };
  },
  lower: (l) => reg(l.b.load(8, l.ctx(), l.probe.argOffsets![i]!)),
}));

export const retval: BuiltinVariable = {
  name: 'retval',
  summary: 'the return value of the probed function',
  type: (probe) => probe.retvalOffset !== undefined ? probe.retvalType ?? u64
    : { error: `\`retval\` is not available in ${probe.provider.name} probes`, hint: 'return probes (kretprobe, uretprobe, fexit) have it' },
  lower(l) {
    const r = l.b.load(8, l.ctx(), l.probe.retvalOffset!);
    const t = l.probe.retvalType;
    // A narrower return type: the register's upper bits are not part of the value.
    if (t?.kind === 'int' && t.size < 8) {
      const shift = 64 - t.size * 8;
      l.b.alu('lsh', r, imm(shift));
      l.b.alu(t.signed ? 'arsh' : 'rsh', r, imm(shift));
    }
    return reg(r);
  },
};
