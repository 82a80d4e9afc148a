// The late phase: allocated IR → eBPF instructions. Virtual registers become physical ones, helper
// arguments are moved into r1..r5 (as one parallel move), labels become jump offsets, and `ldmap`
// becomes an LD_IMM64 whose slot is recorded as a map relocation for the runtime to patch with an fd;
// `ldfunc` becomes an LD_IMM64 whose offset link() sets once every function has its place.

import type { Span } from '../../grammar/source.ts';
import { Insn, slots } from '../bpf/insn.ts';
import { R0, R1, R10 } from '../bpf/opcodes.ts';
import type { Allocation } from './regalloc.ts';
import type { Base, Located, Operand, VReg } from './ir.ts';
import { STACK_LIMIT } from './frame.ts';

export interface Finalized {
  insns: Insn[];
  relocations: { insn: number; map: string; valueOffset?: number }[];
  /** LD_IMM64s of a subprogram's address (BPF_PSEUDO_FUNC), by slot: link() sets their offsets. */
  funcRefs: { insn: number; func: string }[];
  /** Source span of every emitted slot (undefined for glue such as the final exit). */
  sourceMap: (Span | undefined)[];
  /** Label names by slot index, for the disassembler. */
  labels: Map<number, string>;
  stackSize: number;
}

export class StackOverflowError extends Error {
  constructor(readonly size: number, message = `the program needs ${size} bytes of stack; eBPF allows ${STACK_LIMIT}`) {
    super(message);
  }
}

export function finalize(alloc: Allocation): Finalized {
  if (alloc.frameSize > STACK_LIMIT) throw new StackOverflowError(alloc.frameSize);
  const out: { insn: Insn; span: Span | undefined; target?: string; map?: string; valueOffset?: number; func?: string }[] = [];
  const labelAt = new Map<string, number>(); // label → index into `out`
  const p = (v: VReg): number => {
    const r = alloc.phys.get(v);
    if (r === undefined) throw new Error(`virtual register %${v} has no physical register`);
    return r;
  };
  const base = (b: Base) => (b === 'fp' ? R10 : p(b));

  for (const i of alloc.insns) {
    const push = (insn: Insn, extra: { target?: string; map?: string; valueOffset?: number; func?: string } = {}) => out.push({ insn, span: i.span, ...extra });
    const movTo = (dst: number, src: Operand) => {
      if ('imm' in src) push(Insn.movImm(dst, src.imm));
      else if (p(src.reg) !== dst) push(Insn.mov(dst, p(src.reg)));
    };
    switch (i.op) {
      case 'mov': {
        if ('imm' in i.src) push(Insn.movImm(p(i.dst), i.src.imm, i.w32));
        else if (p(i.dst) !== p(i.src.reg) || i.w32) push(Insn.mov(p(i.dst), p(i.src.reg), i.w32));
        break;
      }
      case 'alu':
        push('imm' in i.src ? Insn.aluImm(i.alu, p(i.dst), i.src.imm, i.w32) : Insn.alu(i.alu, p(i.dst), p(i.src.reg), i.w32));
        break;
      case 'neg': push(Insn.neg(p(i.dst))); break;
      case 'bswap': push(Insn.toBigEndian(p(i.dst), i.bits)); break;
      case 'ldimm64': push(Insn.ldImm64(p(i.dst), i.value)); break;
      case 'ldmap': push(Insn.ldMapFd(p(i.dst)), { map: i.map }); break;
      case 'ldmapvalue': push(Insn.ldMapValue(p(i.dst), i.off), { map: i.map, valueOffset: i.off }); break;
      case 'ctx': if (p(i.dst) !== R1) push(Insn.mov(p(i.dst), R1)); break;
      case 'params': {
        const moves = i.dsts.flatMap((d, k) => (d === undefined ? [] : [{ dst: p(d), src: { reg: R1 + k } as Operand }]));
        for (const insn of parallelMove(moves)) push(insn);
        break;
      }
      case 'ldfunc': push(Insn.ldFunc(p(i.dst)), { func: i.func }); break;
      case 'addr':
        push(Insn.mov(p(i.dst), R10));
        push(Insn.aluImm('add', p(i.dst), i.off));
        break;
      case 'load': push(Insn.load(i.size, p(i.dst), base(i.base), i.off)); break;
      case 'store':
        push('imm' in i.src ? Insn.storeImm(i.size, base(i.base), i.off, i.src.imm) : Insn.store(i.size, base(i.base), i.off, p(i.src.reg)));
        break;
      case 'atomicAdd': push(Insn.atomicAdd(i.size, base(i.base), i.off, p(i.src))); break;
      case 'call': {
        for (const insn of parallelMove(i.args.map((a, k) => ({ dst: R1 + k, src: 'reg' in a ? { reg: p(a.reg) } : a })))) push(insn);
        push(Insn.call(i.helper));
        if (i.ret !== undefined && p(i.ret) !== R0) push(Insn.mov(p(i.ret), R0));
        break;
      }
      case 'jmp': push(Insn.ja(0), { target: i.target }); break;
      case 'jcond':
        push('imm' in i.b ? Insn.jmpImm(i.cond, p(i.a), i.b.imm, 0) : Insn.jmp(i.cond, p(i.a), p(i.b.reg), 0), { target: i.target });
        break;
      case 'label': labelAt.set(i.label, out.length); break;
      case 'exit':
        movTo(R0, i.value);
        push(Insn.exit());
        break;
    }
  }

  // Slot index of every emitted instruction (LD_IMM64 takes two), then jump offsets.
  const slotOf: number[] = [];
  let slot = 0;
  for (const o of out) {
    slotOf.push(slot);
    slot += slots(o.insn);
  }
  slotOf.push(slot);
  const labels = new Map<number, string>();
  for (const [label, index] of labelAt) labels.set(slotOf[index]!, label);
  const relocations: { insn: number; map: string; valueOffset?: number }[] = [];
  const funcRefs: { insn: number; func: string }[] = [];
  const sourceMap: (Span | undefined)[] = [];
  out.forEach((o, n) => {
    if (o.target !== undefined) {
      const index = labelAt.get(o.target);
      if (index === undefined) throw new Error(`jump to unknown label ${o.target}`);
      const off = slotOf[index]! - (slotOf[n]! + 1);
      if (off < -32768 || off > 32767) throw new Error('jump out of range');
      o.insn.off = off;
    }
    if (o.func !== undefined) funcRefs.push({ insn: slotOf[n]!, func: o.func });
    if (o.map !== undefined) relocations.push({ insn: slotOf[n]!, map: o.map, ...(o.valueOffset !== undefined ? { valueOffset: o.valueOffset } : {}) });
    for (let s = 0; s < slots(o.insn); s++) sourceMap.push(o.span);
  });
  return { insns: out.map((o) => o.insn), relocations, funcRefs, sourceMap, labels, stackSize: alloc.frameSize };
}

/**
 * Move several sources into a helper call's argument registers at once, as if simultaneously: emit a
 * move only when nothing still pending reads its destination. A cycle is broken by saving one
 * destination in a caller-saved register no pending move uses (r0 first: the call overwrites it
 * anyway). Only when there is none, an xor swap (eBPF has no exchange), which the verifier refuses on
 * pointers.
 */
export function parallelMove(moves: { dst: number; src: Operand }[]): Insn[] {
  const out: Insn[] = [];
  const regMoves = moves.filter((m) => 'reg' in m.src && m.src.reg !== m.dst) as { dst: number; src: { reg: number } }[];
  const pending = [...regMoves];
  while (pending.length > 0) {
    const self = pending.findIndex((m) => m.src.reg === m.dst);
    if (self >= 0) {
      pending.splice(self, 1);
      continue;
    }
    const ready = pending.findIndex((m) => !pending.some((o) => o !== m && o.src.reg === m.dst));
    if (ready >= 0) {
      const [m] = pending.splice(ready, 1);
      out.push(Insn.mov(m!.dst, m!.src.reg));
      continue;
    }
    // Every pending destination is still read: a cycle. Save the first destination, redirect its readers.
    const m = pending[0]!;
    const a = m.dst;
    const b = m.src.reg;
    const busy = new Set(pending.flatMap((o) => [o.dst, o.src.reg]));
    const scratch = [R0, R1, R1 + 1, R1 + 2, R1 + 3, R1 + 4].find((r) => !busy.has(r) && !moves.some((o) => o.dst === r));
    if (scratch !== undefined) {
      out.push(Insn.mov(scratch, a));
      for (const o of pending) if (o.src.reg === a) o.src = { reg: scratch };
      continue;
    }
    out.push(Insn.alu('xor', a, b), Insn.alu('xor', b, a), Insn.alu('xor', a, b));
    pending.shift();
    for (const o of pending) {
      if (o.src.reg === a) o.src = { reg: b };
      else if (o.src.reg === b) o.src = { reg: a };
    }
  }
  for (const m of moves) if ('imm' in m.src) out.push(Insn.movImm(m.dst, m.src.imm));
  return out;
}
