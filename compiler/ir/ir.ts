// The intermediate representation: eBPF-shaped instructions on unlimited virtual registers, with
// symbolic labels and map names instead of jump offsets and fds (ply's design). Arithmetic is two-address
// like eBPF itself (`dst op= src`), so register allocation maps it one-to-one onto instructions.
// Stack slots are fixed frame offsets (negative, from the frame pointer r10).

import type { Span } from '../../grammar/source.ts';
import type { AluOpName, CondName, Size } from '../bpf/opcodes.ts';
import { helperName } from '../bpf/helpers.ts';

/** A virtual register. */
export type VReg = number;
export type Operand = { reg: VReg } | { imm: number };
/** A memory base: a virtual register holding a pointer, or the frame pointer. */
export type Base = VReg | 'fp';
export type Label = string;

export type IrInsn =
  /** dst = src */
  | { op: 'mov'; dst: VReg; src: Operand; w32?: boolean }
  /** dst op= src */
  | { op: 'alu'; alu: Exclude<AluOpName, 'mov' | 'neg' | 'end'>; dst: VReg; src: Operand; w32?: boolean }
  | { op: 'neg'; dst: VReg }
  /** Reverse the byte order of the low `bits` bits (zero-extending): ntohs, ntohl, bswap. */
  | { op: 'bswap'; dst: VReg; bits: 16 | 32 | 64 }
  /** dst = 64-bit constant */
  | { op: 'ldimm64'; dst: VReg; value: bigint }
  /** dst = address of a map (relocated to its fd at load time) */
  | { op: 'ldmap'; dst: VReg; map: string }
  /** dst = address of an array map's value at `off` (BPF_PSEUDO_MAP_VALUE): global state, no helper call */
  | { op: 'ldmapvalue'; dst: VReg; map: string; off: number }
  /** dst = the context pointer the program was called with (r1 at entry). Only first in a program. */
  | { op: 'ctx'; dst: VReg }
  /**
   * A subprogram's arguments: dsts[k] = r(k+1) at entry (undefined: not used). Only first in a
   * subprogram; one instruction so that the moves out of r1..r5 happen as one parallel move.
   */
  | { op: 'params'; dsts: (VReg | undefined)[] }
  /** dst = address of a subprogram (LD_IMM64, BPF_PSEUDO_FUNC), to pass as a callback to a helper */
  | { op: 'ldfunc'; dst: VReg; func: string }
  /** dst = fp + off */
  | { op: 'addr'; dst: VReg; off: number }
  | { op: 'load'; dst: VReg; base: Base; off: number; size: Size }
  | { op: 'store'; base: Base; off: number; size: Size; src: Operand }
  /** *(base + off) += src, atomically */
  | { op: 'atomicAdd'; base: Base; off: number; size: 4 | 8; src: VReg }
  /** Helper call: arguments go to r1..r5, the result comes back in r0; r0-r5 are clobbered. */
  | { op: 'call'; helper: number; args: Operand[]; ret?: VReg }
  | { op: 'jmp'; target: Label }
  | { op: 'jcond'; cond: CondName; a: VReg; b: Operand; target: Label }
  | { op: 'label'; label: Label }
  | { op: 'exit'; value: Operand };

/** An instruction plus where it came from, for source maps and `--emit ir`. */
export type Located = IrInsn & { span?: Span; comment?: string };

export interface IrProgram {
  /** Subprograms: the name of the function (its BTF FUNC name); absent for a program's main function. */
  name?: string;
  insns: Located[];
  /** Number of virtual registers used (they are 0..count-1). */
  vregCount: number;
  /** Bytes of stack used by frame slots (before spills). */
  frameSize: number;
  /**
   * BPF-to-BPF subprograms called back by helpers (the bodies of `for ($kv : @map)`, `len(@map)`'s
   * counter), each with its own registers and stack frame. Only on a program's main function; nested
   * loops' callbacks are listed here too, flat, as the kernel sees them.
   */
  subprograms?: IrProgram[];
}

/** Registers an instruction reads and writes. Two-address ALU reads its destination too. */
export function usesAndDefs(i: IrInsn): { uses: VReg[]; defs: VReg[] } {
  const reg = (o: Operand) => ('reg' in o ? [o.reg] : []);
  const base = (b: Base) => (b === 'fp' ? [] : [b]);
  switch (i.op) {
    case 'mov': return { uses: reg(i.src), defs: [i.dst] };
    case 'alu': return { uses: [i.dst, ...reg(i.src)], defs: [i.dst] };
    case 'neg': case 'bswap': return { uses: [i.dst], defs: [i.dst] };
    case 'ldimm64': case 'ldmap': case 'ldmapvalue': case 'ctx': case 'addr': case 'ldfunc': return { uses: [], defs: [i.dst] };
    case 'params': return { uses: [], defs: i.dsts.filter((d): d is VReg => d !== undefined) };
    case 'load': return { uses: base(i.base), defs: [i.dst] };
    case 'store': return { uses: [...base(i.base), ...reg(i.src)], defs: [] };
    case 'atomicAdd': return { uses: [...base(i.base), i.src], defs: [] };
    case 'call': return { uses: i.args.flatMap(reg), defs: i.ret === undefined ? [] : [i.ret] };
    case 'jcond': return { uses: [i.a, ...reg(i.b)], defs: [] };
    case 'exit': return { uses: reg(i.value), defs: [] };
    case 'jmp': case 'label': return { uses: [], defs: [] };
  }
}

/** Rewrite every register an instruction mentions (used by spilling and by allocation). */
export function mapRegs(i: Located, use: (r: VReg) => VReg, def: (r: VReg) => VReg): Located {
  const op = (o: Operand): Operand => ('reg' in o ? { reg: use(o.reg) } : o);
  const base = (b: Base): Base => (b === 'fp' ? b : use(b));
  switch (i.op) {
    case 'mov': return { ...i, src: op(i.src), dst: def(i.dst) };
    case 'alu': return { ...i, src: op(i.src), dst: def(use(i.dst)) };
    case 'neg': case 'bswap': return { ...i, dst: def(use(i.dst)) };
    case 'ldimm64': case 'ldmap': case 'ldmapvalue': case 'ctx': case 'addr': case 'ldfunc': return { ...i, dst: def(i.dst) };
    case 'params': return { ...i, dsts: i.dsts.map((d) => (d === undefined ? d : def(d))) };
    case 'load': return { ...i, base: base(i.base), dst: def(i.dst) };
    case 'store': return { ...i, base: base(i.base), src: op(i.src) };
    case 'atomicAdd': return { ...i, base: base(i.base), src: use(i.src) };
    case 'call': return { ...i, args: i.args.map(op), ...(i.ret === undefined ? {} : { ret: def(i.ret) }) };
    case 'jcond': return { ...i, a: use(i.a), b: op(i.b) };
    case 'exit': return { ...i, value: op(i.value) };
    case 'jmp': case 'label': return i;
  }
}

/** `--emit ir`: one instruction per line, `%N` for virtual registers. */
export function formatIr(i: IrInsn): string {
  const r = (v: VReg) => `%${v}`;
  const o = (x: Operand) => ('reg' in x ? r(x.reg) : String(x.imm));
  const b = (x: Base) => (x === 'fp' ? 'fp' : r(x));
  const m = (x: Base, off: number) => `[${b(x)}${off < 0 ? off : `+${off}`}]`;
  switch (i.op) {
    case 'mov': return `${r(i.dst)} = ${o(i.src)}${i.w32 ? ' (32)' : ''}`;
    case 'alu': return `${r(i.dst)} ${i.alu}= ${o(i.src)}${i.w32 ? ' (32)' : ''}`;
    case 'neg': return `${r(i.dst)} = -${r(i.dst)}`;
    case 'bswap': return `${r(i.dst)} = bswap${i.bits} ${r(i.dst)}`;
    case 'ldimm64': return `${r(i.dst)} = ${i.value} ll`;
    case 'ldmap': return `${r(i.dst)} = map ${i.map}`;
    case 'ldmapvalue': return `${r(i.dst)} = &${i.map}[${i.off}]`;
    case 'ctx': return `${r(i.dst)} = ctx`;
    case 'params': return `${i.dsts.map((d) => (d === undefined ? '_' : r(d))).join(', ')} = params`;
    case 'ldfunc': return `${r(i.dst)} = func ${i.func}`;
    case 'addr': return `${r(i.dst)} = fp${i.off}`;
    case 'load': return `${r(i.dst)} = u${i.size * 8} ${m(i.base, i.off)}`;
    case 'store': return `u${i.size * 8} ${m(i.base, i.off)} = ${o(i.src)}`;
    case 'atomicAdd': return `lock u${i.size * 8} ${m(i.base, i.off)} += ${r(i.src)}`;
    case 'call': return `${i.ret === undefined ? '' : `${r(i.ret)} = `}call ${helperName(i.helper)}(${i.args.map(o).join(', ')})`;
    case 'jmp': return `goto ${i.target}`;
    case 'jcond': return `if ${r(i.a)} ${i.cond} ${o(i.b)} goto ${i.target}`;
    case 'label': return `${i.label}:`;
    case 'exit': return `exit ${o(i.value)}`;
  }
}
