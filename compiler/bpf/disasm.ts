// Disassembly in the kernel verifier's syntax (`r1 = *(u64 *)(r10 -8)`, `if r0 == 0x0 goto +3`), with
// helper names instead of numbers, map names instead of fds and, when labels are given, jump targets
// as labels. Used by `--emit asm` and by golden tests.

import { helperName } from './helpers.ts';
import { type Insn, slots } from './insn.ts';
import {
  AluOp, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_ST, BPF_STX, BPF_X,
  JmpOp, codeSize,
} from './opcodes.ts';

const aluSymbol: Record<number, string> = {
  [AluOp.add]: '+=', [AluOp.sub]: '-=', [AluOp.mul]: '*=', [AluOp.div]: '/=', [AluOp.or]: '|=',
  [AluOp.and]: '&=', [AluOp.lsh]: '<<=', [AluOp.rsh]: '>>=', [AluOp.mod]: '%=', [AluOp.xor]: '^=',
  [AluOp.mov]: '=', [AluOp.arsh]: 's>>=',
};
const jmpSymbol: Record<number, string> = {
  [JmpOp.jeq]: '==', [JmpOp.jgt]: '>', [JmpOp.jge]: '>=', [JmpOp.jset]: '&', [JmpOp.jne]: '!=',
  [JmpOp.jsgt]: 's>', [JmpOp.jsge]: 's>=', [JmpOp.jlt]: '<', [JmpOp.jle]: '<=', [JmpOp.jslt]: 's<',
  [JmpOp.jsle]: 's<=',
};
const sizeName = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

export interface DisasmContext {
  /** Map name for an LD_IMM64 at this slot index (from the relocations). */
  mapAt?: (slot: number) => string | undefined;
  /** Label to show for a jump target slot. */
  labelAt?: (slot: number) => string | undefined;
}

function hex(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}
function signedOff(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}

/** One instruction at slot index `slot`. */
export function disassembleOne(i: Insn, slot: number, ctx: DisasmContext = {}): string {
  const cls = i.code & 0x07;
  const isReg = (i.code & BPF_X) !== 0;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const op = i.code & 0xf0;
    const r = (n: number) => (cls === BPF_ALU ? `w${n}` : `r${n}`);
    if (op === AluOp.neg) return `${r(i.dst)} = -${r(i.dst)}`;
    if (op === AluOp.end) return `r${i.dst} = ${isReg ? 'be' : 'le'}${i.imm} r${i.dst}`;
    const src = isReg ? r(i.src) : hex(i.imm);
    return `${r(i.dst)} ${aluSymbol[op] ?? '?='} ${src}`;
  }
  if (cls === BPF_LD && i.imm2 !== undefined) {
    if (i.src === 1) return `r${i.dst} = map[${ctx.mapAt?.(slot) ?? `fd ${i.imm}`}] ll`;
    if (i.src === 2) return `r${i.dst} = &map[${ctx.mapAt?.(slot) ?? `fd ${i.imm}`}][${i.imm2}] ll`;
    // BPF_PSEUDO_FUNC: a subprogram's address, `imm` slots after the next instruction.
    if (i.src === 4) return `r${i.dst} = func[${ctx.labelAt?.(slot + 1 + i.imm) ?? signedOff(i.imm)}] ll`;
    const value = (BigInt(i.imm2 >>> 0) << 32n) | BigInt(i.imm >>> 0);
    return `r${i.dst} = 0x${value.toString(16)} ll`;
  }
  if (cls === BPF_LDX && (i.code & 0xe0) === BPF_MEM) {
    return `r${i.dst} = *(${sizeName[codeSize(i.code)]} *)(r${i.src} ${signedOff(i.off)})`;
  }
  if (cls === BPF_STX && (i.code & 0xe0) === BPF_MEM) {
    return `*(${sizeName[codeSize(i.code)]} *)(r${i.dst} ${signedOff(i.off)}) = r${i.src}`;
  }
  if (cls === BPF_STX && (i.code & 0xe0) === BPF_ATOMIC) {
    return `lock *(${sizeName[codeSize(i.code)]} *)(r${i.dst} ${signedOff(i.off)}) += r${i.src}`;
  }
  if (cls === BPF_ST && (i.code & 0xe0) === BPF_MEM) {
    return `*(${sizeName[codeSize(i.code)]} *)(r${i.dst} ${signedOff(i.off)}) = ${hex(i.imm)}`;
  }
  if (cls === BPF_JMP || cls === BPF_JMP32) {
    const op = i.code & 0xf0;
    if (op === JmpOp.exit) return 'exit';
    if (op === JmpOp.call) return `call ${helperName(i.imm)}#${i.imm}`;
    const target = slot + 1 + i.off;
    const where = ctx.labelAt?.(target) ?? signedOff(i.off);
    if (op === JmpOp.ja) return `goto ${where}`;
    const r = cls === BPF_JMP32 ? 'w' : 'r';
    const src = isReg ? `${r}${i.src}` : hex(i.imm);
    return `if ${r}${i.dst} ${jmpSymbol[op] ?? '?'} ${src} goto ${where}`;
  }
  return `.insn 0x${i.code.toString(16)}`;
}

/** Every instruction, one per line, prefixed by its slot index. */
export function disassemble(insns: readonly Insn[], ctx: DisasmContext = {}): string[] {
  const out: string[] = [];
  let slot = 0;
  for (const i of insns) {
    out.push(`${String(slot).padStart(4)}: ${disassembleOne(i, slot, ctx)}`);
    slot += slots(i);
  }
  return out;
}
