// Probe arguments: `args` (a tracepoint's record), `arg0`..`arg5` and `retval`, read straight from the
// context at offsets the probe type gives (pt_regs registers for kprobes and uprobes, the u64 array of
// a raw tracepoint): cheaper than a probe_read, and the verifier allows it. USDT probes say where each
// argument is instead: a register, memory in the traced process (read with probe_read_user), or a constant.

import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { Operand, VReg } from '../../compiler/ir/ir.ts';
import type { UsdtArgLocation } from '../../compiler/kernel-info.ts';
import type { BuiltinVariable, Lowerer } from '../../compiler/registry.ts';
import { int, u64 } from '../../compiler/types/types.ts';

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
    const usdt = probe.usdtArgs;
    if (usdt) {
      if (i < usdt.length) return int(8, usdt[i]!.signed);
      return { error: usdt.length === 0 ? `${probe.name} has no arguments` : `${probe.name} has arg0 to arg${usdt.length - 1}` };
    }
    const offsets = probe.argOffsets;
    if (offsets && i < offsets.length) return u64;
    if (offsets) return { error: `${probe.provider.name} probes have arg0 to arg${offsets.length - 1}` };
    return {
      error: `\`arg${i}\` is not available in ${probe.provider.name} probes`,
      hint: probe.args ? 'this probe has named arguments: `args->name`' : undefined,
    } as { error: string; hint?: string };
  },
  lower: (l) => (l.probe.usdtArgs ? usdtArg(l, l.probe.usdtArgs[i]!) : reg(l.b.load(8, l.ctx(), l.probe.argOffsets![i]!))),
}));

// USDT arguments, where the probe's note says they are. Values are `size` bytes, widened to 64 bits
// with sign extension when the note marks them signed (`-4@%edi`).

function usdtArg(l: Lowerer, loc: UsdtArgLocation): Operand {
  const bits = loc.size * 8;
  if (loc.kind === 'constant') {
    const v = loc.signed ? BigInt.asIntN(bits, loc.value) : BigInt.asUintN(bits, loc.value);
    return constant(l, v);
  }
  if (loc.kind === 'register') {
    const r = l.b.load(8, l.ctx(), loc.regsOffset);
    if (loc.shift) l.b.alu('rsh', r, imm(loc.shift));
    return reg(widen(l, r, loc.size, loc.signed));
  }
  // Memory: base + index * scale + offset, read from the traced process.
  let addr: VReg;
  if (loc.baseRegsOffset !== undefined) addr = l.b.load(8, l.ctx(), loc.baseRegsOffset);
  else addr = l.b.movImm(0);
  if (loc.indexRegsOffset !== undefined) {
    const index = l.b.load(8, l.ctx(), loc.indexRegsOffset);
    const scale = loc.scale ?? 1;
    if (scale > 1) l.b.alu('lsh', index, imm(Math.log2(scale)));
    l.b.alu('add', addr, reg(index));
  }
  if (loc.offset !== 0) l.b.alu('add', addr, constant(l, BigInt(loc.offset)));
  const slot = l.b.frame.alloc(8);
  // A failed read leaves zeros (the helper clears the buffer).
  l.b.call(Helper.probe_read_user, [reg(l.pointer('fp', slot)), imm(loc.size), reg(addr)], false);
  const size = loc.size === 1 || loc.size === 2 || loc.size === 4 ? loc.size : 8;
  const value = l.b.load(size, 'fp', slot);
  return reg(loc.signed ? widen(l, value, size, true) : value);
}

function constant(l: Lowerer, v: bigint): Operand {
  const s = BigInt.asIntN(64, v);
  if (s >= -(2n ** 31n) && s < 2n ** 31n) return imm(Number(s));
  const r = l.b.reg();
  l.b.emit({ op: 'ldimm64', dst: r, value: s });
  return reg(r);
}

/** The low `size` bytes of a register, zero- or sign-extended to 64 bits. */
function widen(l: Lowerer, r: VReg, size: number, signed: boolean): VReg {
  if (size >= 8) return r;
  const shift = 64 - size * 8;
  l.b.alu('lsh', r, imm(shift));
  l.b.alu(signed ? 'arsh' : 'rsh', r, imm(shift));
  return r;
}

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
