// One eBPF instruction and its 8-byte encoding. Builders read like assembly (after cilium/ebpf's asm
// package): `Insn.movImm(R0, 0)`, `Insn.jmpImm('jeq', R0, 0, 3)`. LD_IMM64 is two slots; the second
// slot is carried by the same Insn and written by `encode`.

import {
  AluOp, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_ADD_ATOMIC, BPF_DW, BPF_IMM, BPF_JMP, BPF_K, BPF_LD, BPF_LDX,
  BPF_MEM, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_ST, BPF_STX, BPF_X, JmpOp, sizeCode,
  type AluOpName, type CondName, type Size,
} from './opcodes.ts';

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** Upper 32 bits of an LD_IMM64 constant (second slot). Present only on LD_IMM64. */
  imm2?: number;
}

export function slots(insn: Insn): number {
  return insn.imm2 === undefined ? 1 : 2;
}

export const Insn = {
  alu(op: AluOpName, dst: number, src: number, w32 = false): Insn {
    return { code: (w32 ? BPF_ALU : BPF_ALU64) | AluOp[op] | BPF_X, dst, src, off: 0, imm: 0 };
  },
  aluImm(op: AluOpName, dst: number, imm: number, w32 = false): Insn {
    return { code: (w32 ? BPF_ALU : BPF_ALU64) | AluOp[op] | BPF_K, dst, src: 0, off: 0, imm };
  },
  mov(dst: number, src: number, w32 = false): Insn {
    return Insn.alu('mov', dst, src, w32);
  },
  movImm(dst: number, imm: number, w32 = false): Insn {
    return Insn.aluImm('mov', dst, imm, w32);
  },
  neg(dst: number): Insn {
    return { code: BPF_ALU64 | AluOp.neg | BPF_K, dst, src: 0, off: 0, imm: 0 };
  },
  /** BPF_END to big-endian: on a little-endian host, swaps the low `bits` bits and zero-extends. */
  toBigEndian(dst: number, bits: 16 | 32 | 64): Insn {
    return { code: BPF_ALU | AluOp.end | BPF_X, dst, src: 0, off: 0, imm: bits };
  },
  ldImm64(dst: number, value: bigint): Insn {
    const v = BigInt.asUintN(64, value);
    return {
      code: BPF_LD | BPF_DW | BPF_IMM, dst, src: 0, off: 0,
      imm: Number(BigInt.asIntN(32, v & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, v >> 32n)),
    };
  },
  /** LD_IMM64 of a map fd; the runtime patches `imm` with the fd (relocation). */
  ldMapFd(dst: number): Insn {
    return { code: BPF_LD | BPF_DW | BPF_IMM, dst, src: BPF_PSEUDO_MAP_FD, off: 0, imm: 0, imm2: 0 };
  },
  /** LD_IMM64 of the address of a map's value at `off` (BPF_PSEUDO_MAP_VALUE); the runtime sets the fd. */
  ldMapValue(dst: number, off: number): Insn {
    return { code: BPF_LD | BPF_DW | BPF_IMM, dst, src: 2, off: 0, imm: 0, imm2: off };
  },
  /**
   * LD_IMM64 of a subprogram's address (BPF_PSEUDO_FUNC): `imm` is the offset in slots from the next
   * instruction to the subprogram's first, set when the functions are linked.
   */
  ldFunc(dst: number, imm = 0): Insn {
    return { code: BPF_LD | BPF_DW | BPF_IMM, dst, src: BPF_PSEUDO_FUNC, off: 0, imm, imm2: 0 };
  },
  load(size: Size, dst: number, base: number, off: number): Insn {
    return { code: BPF_LDX | BPF_MEM | sizeCode(size), dst, src: base, off, imm: 0 };
  },
  store(size: Size, base: number, off: number, src: number): Insn {
    return { code: BPF_STX | BPF_MEM | sizeCode(size), dst: base, src, off, imm: 0 };
  },
  storeImm(size: Size, base: number, off: number, imm: number): Insn {
    return { code: BPF_ST | BPF_MEM | sizeCode(size), dst: base, src: 0, off, imm };
  },
  atomicAdd(size: 4 | 8, base: number, off: number, src: number): Insn {
    return { code: BPF_STX | BPF_ATOMIC | sizeCode(size), dst: base, src, off, imm: BPF_ADD_ATOMIC };
  },
  ja(off: number): Insn {
    return { code: BPF_JMP | JmpOp.ja, dst: 0, src: 0, off, imm: 0 };
  },
  jmp(cond: CondName, dst: number, src: number, off: number): Insn {
    return { code: BPF_JMP | JmpOp[cond] | BPF_X, dst, src, off, imm: 0 };
  },
  jmpImm(cond: CondName, dst: number, imm: number, off: number): Insn {
    return { code: BPF_JMP | JmpOp[cond] | BPF_K, dst, src: 0, off, imm };
  },
  call(helper: number): Insn {
    return { code: BPF_JMP | JmpOp.call, dst: 0, src: 0, off: 0, imm: helper };
  },
  exit(): Insn {
    return { code: BPF_JMP | JmpOp.exit, dst: 0, src: 0, off: 0, imm: 0 };
  },
};

export function encode(insns: readonly Insn[]): Uint8Array {
  let n = 0;
  for (const i of insns) n += slots(i);
  const out = new Uint8Array(n * 8);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const i of insns) {
    writeSlot(view, at, i.code, i.dst, i.src, i.off, i.imm);
    at += 8;
    if (i.imm2 !== undefined) {
      writeSlot(view, at, 0, 0, 0, 0, i.imm2);
      at += 8;
    }
  }
  return out;
}

function writeSlot(view: DataView, at: number, code: number, dst: number, src: number, off: number, imm: number): void {
  view.setUint8(at, code);
  view.setUint8(at + 1, ((src & 0xf) << 4) | (dst & 0xf));
  view.setInt16(at + 2, off, true);
  view.setInt32(at + 4, imm, true);
}

export function decode(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    const code = view.getUint8(at);
    const regs = view.getUint8(at + 1);
    const insn: Insn = { code, dst: regs & 0xf, src: regs >> 4, off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) };
    if (code === (BPF_LD | BPF_DW | BPF_IMM) && at + 16 <= bytes.length) {
      insn.imm2 = view.getInt32(at + 12, true);
      at += 8;
    }
    out.push(insn);
  }
  return out;
}
