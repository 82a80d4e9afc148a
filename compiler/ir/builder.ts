// Emits IR: fresh virtual registers and labels, and the source span of the AST node being lowered,
// which every emitted instruction carries (the source map behind `--emit asm` and verifier errors).

import { removeUnreachable } from './reachable.ts';
import type { Span } from '../../grammar/source.ts';
import type { AluOpName, CondName, Size } from '../bpf/opcodes.ts';
import { Frame } from './frame.ts';
import type { Base, IrInsn, IrProgram, Label, Located, Operand, VReg } from './ir.ts';

export class IrBuilder {
  readonly insns: Located[] = [];
  readonly frame = new Frame();
  private nextReg = 0;
  private nextLabel = 0;
  /** The span attached to instructions emitted now. */
  span: Span | undefined;

  reg(): VReg {
    return this.nextReg++;
  }

  label(hint = 'L'): Label {
    return `${hint}${this.nextLabel++}`;
  }

  emit(i: IrInsn, comment?: string): void {
    const located: Located = { ...i };
    if (this.span) located.span = this.span;
    if (comment) located.comment = comment;
    this.insns.push(located);
  }

  /** Run `fn` with `span` as the current source location. */
  at<T>(span: Span, fn: () => T): T {
    const saved = this.span;
    this.span = span;
    try {
      return fn();
    } finally {
      this.span = saved;
    }
  }

  // Assembly-like helpers.
  mov(dst: VReg, src: Operand): void { this.emit({ op: 'mov', dst, src }); }
  movImm(imm: number): VReg { const d = this.reg(); this.emit({ op: 'mov', dst: d, src: { imm } }); return d; }
  alu(alu: Exclude<AluOpName, 'mov' | 'neg' | 'end'>, dst: VReg, src: Operand): void { this.emit({ op: 'alu', alu, dst, src }); }
  load(size: Size, base: Base, off: number): VReg { const d = this.reg(); this.emit({ op: 'load', dst: d, base, off, size }); return d; }
  store(size: Size, base: Base, off: number, src: Operand): void { this.emit({ op: 'store', base, off, size, src }); }
  addr(off: number): VReg { const d = this.reg(); this.emit({ op: 'addr', dst: d, off }); return d; }
  ldmap(map: string): VReg { const d = this.reg(); this.emit({ op: 'ldmap', dst: d, map }); return d; }
  call(helper: number, args: Operand[], wantResult = true): VReg | undefined {
    const ret = wantResult ? this.reg() : undefined;
    this.emit(ret === undefined ? { op: 'call', helper, args } : { op: 'call', helper, args, ret });
    return ret;
  }
  jmp(target: Label): void { this.emit({ op: 'jmp', target }); }
  jcond(cond: CondName, a: VReg, b: Operand, target: Label): void { this.emit({ op: 'jcond', cond, a, b, target }); }
  place(label: Label): void { this.emit({ op: 'label', label }); }

  /** Zero `bytes` (a multiple of 8) of stack at `off`. */
  zero(off: number, bytes: number): void {
    for (let at = 0; at < bytes; at += 8) this.store(8, 'fp', off + at, { imm: 0 });
  }

  finish(): IrProgram {
    return { insns: removeUnreachable(this.insns), vregCount: this.nextReg, frameSize: this.frame.used };
  }
}

export function reg(r: VReg): Operand {
  return { reg: r };
}
export function imm(n: number): Operand {
  return { imm: n };
}
