// Lowering: one probe unit's AST → IR on virtual registers. Integers live in registers (or stay
// immediates); strings are written straight to where they are needed (a map key slot, an event record);
// maps are reached through their names, patched to fds at load time.

import type { AssignStmt, Binary, Call, Expr, MapRef, Stmt } from '../../grammar/ast.ts';
import { Helper } from '../bpf/helpers.ts';
import { type CondName, negateCond } from '../bpf/opcodes.ts';
import { IrBuilder, imm, reg } from '../ir/builder.ts';
import type { Base, IrProgram, Label, Operand, VReg } from '../ir/ir.ts';
import type { CompileContext } from '../context.ts';
import type { ConcreteProbe, EventArgPlan, Lowerer } from '../registry.ts';
import { type Type, arithmeticResult } from '../types/types.ts';
import type { MapPlan, Resources } from './resources.ts';
import type { UnitTypes } from './typecheck.ts';

const BPF_ANY = 0;
const BPF_NOEXIST = 1;

export function lowerUnit(ut: UnitTypes, res: Resources, cx: CompileContext): IrProgram {
  return new UnitLowerer(ut, res, cx).run();
}

class UnitLowerer implements Lowerer {
  readonly b = new IrBuilder();
  readonly probe: ConcreteProbe;
  private ctxReg: VReg | undefined;
  private readonly endLabel: Label;
  /** Scratch variables: integers in a register, strings in a stack slot. */
  private readonly vars = new Map<string, { reg: VReg } | { slot: number; size: number }>();

  constructor(private readonly ut: UnitTypes, private readonly res: Resources, private readonly cx: CompileContext) {
    this.probe = ut.unit.probe;
    this.endLabel = this.b.label('end');
  }

  run(): IrProgram {
    const { block } = this.ut.unit;
    // String variables live for the whole probe; everything else a statement puts on the stack (keys,
    // values, scratch) is released when the statement ends.
    for (const [name, t] of this.ut.vars) {
      if (t.kind === 'string') this.vars.set(name, { slot: this.b.frame.alloc(t.size), size: t.size });
    }
    this.ctxReg = this.b.reg();
    this.b.at(block.span, () => this.b.emit({ op: 'ctx', dst: this.ctxReg! }));
    if (block.filter) {
      const filter = block.filter;
      this.b.at(filter.span, () => this.branchUnless(filter, this.endLabel));
    }
    this.statements(block.body);
    this.b.span = undefined;
    this.b.place(this.endLabel);
    this.b.emit({ op: 'exit', value: imm(0) });
    return this.b.finish();
  }

  // ------------------------------------------------------------------------------ Lowerer interface

  ctx(): VReg {
    return this.ctxReg!;
  }

  typeOf(e: Expr): Type {
    const t = this.ut.types.get(e);
    if (!t) throw new Error(`no type for ${e.kind} at ${e.span.start}`);
    return t;
  }

  intReg(e: Expr): VReg {
    const v = this.int(e);
    if ('reg' in v) return v.reg;
    const r = this.b.reg();
    this.b.mov(r, v);
    return r;
  }

  int(e: Expr): Operand {
    return this.b.at(e.span, () => this.intUncached(e));
  }

  pointer(base: Base, off: number): VReg {
    if (base === 'fp') return this.b.addr(off);
    const r = this.b.reg();
    this.b.mov(r, reg(base));
    if (off !== 0) this.b.alu('add', r, imm(off));
    return r;
  }

  writeInto(e: Expr, base: Base, off: number, size: number): void {
    this.b.at(e.span, () => {
      const t = this.typeOf(e);
      if (t.kind === 'int') {
        this.b.store(8, base, off, this.int(e));
        return;
      }
      if (t.kind !== 'string') throw new Error(`cannot write ${t.kind}`);
      switch (e.kind) {
        case 'Str':
          this.writeStringLiteral(e.value, base, off, size);
          return;
        case 'Ident': {
          const v = this.cx.registry.variables.get(e.name)!;
          if (!v.lowerInto) throw new Error(`builtin ${e.name} cannot be written to memory`);
          v.lowerInto(this, base, off, size);
          return;
        }
        case 'Var': {
          const slot = this.vars.get(e.name);
          if (!slot || !('slot' in slot)) throw new Error(`string variable ${e.name} has no slot`);
          this.copy({ base: 'fp', off: slot.slot }, { base, off }, Math.min(size, slot.size), size);
          return;
        }
        case 'Map': {
          const value = this.mapValuePointer(e);
          const done = this.b.label('strdone');
          const found = this.b.label('strfound');
          this.b.jcond('jne', value, imm(0), found);
          this.zeroMemory(base, off, size);
          this.b.jmp(done);
          this.b.place(found);
          const plan = this.res.maps.get(e.name)!;
          this.copy({ base: value, off: 0 }, { base, off }, Math.min(size, plan.spec.valueSize), size);
          this.b.place(done);
          return;
        }
        case 'Field': {
          const field = this.argsField(e);
          if (!field) throw new Error('string field outside args');
          // A char[N] in the tracepoint record: copy it out of the context.
          const n = Math.min(size, field.size);
          this.b.call(Helper.probe_read_kernel, [reg(this.pointer(base, off)), imm(n), reg(this.pointer(this.ctx(), field.offset))], false);
          if (size > n) this.zeroMemory(base, off + n, size - n);
          return;
        }
        case 'Call': {
          throw new Error(`string-valued call ${e.callee} is not lowered yet`);
        }
        default:
          throw new Error(`cannot write ${e.kind} to memory`);
      }
    });
  }

  emitEvent(id: number, size: number, write: (record: VReg) => void): void {
    const ring = this.b.ldmap(this.res.eventRing!);
    const record = this.b.call(Helper.ringbuf_reserve, [reg(ring), imm(size), imm(0)])!;
    const lost = this.b.label('lost');
    const done = this.b.label('sent');
    this.b.jcond('jeq', record, imm(0), lost);
    this.b.store(8, record, 0, imm(id));
    write(record);
    this.b.call(Helper.ringbuf_submit, [reg(record), imm(0)], false);
    this.b.jmp(done);
    // The ring buffer is full: count the loss so the user hears about it.
    this.b.place(lost);
    const key = this.b.frame.alloc(4);
    this.b.store(4, 'fp', key, imm(0));
    const counter = this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(this.res.lostCounter!)), reg(this.b.addr(key))])!;
    this.b.jcond('jeq', counter, imm(0), done);
    const one = this.b.movImm(1);
    this.b.emit({ op: 'atomicAdd', base: counter, off: 0, size: 8, src: one });
    this.b.place(done);
  }

  returnFromProbe(): void {
    this.b.jmp(this.endLabel);
  }

  eventFor(call: Call): { id: number; args: EventArgPlan[]; size: number } {
    const plan = this.res.events.get(this.ut)?.get(call);
    if (!plan) throw new Error(`no event planned for ${call.callee}()`);
    return plan;
  }

  // ------------------------------------------------------------------------------------ statements

  private statements(stmts: Stmt[]): void {
    for (const s of stmts) {
      const mark = this.b.frame.mark();
      this.b.at(s.span, () => this.statement(s));
      this.b.frame.release(mark);
    }
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case 'Assign':
        this.assign(s);
        return;
      case 'ExprStmt': {
        const e = s.expr;
        if (e.kind === 'Call') {
          const fn = this.cx.registry.functions.get(e.callee)!;
          if (fn.lowerStatement) {
            fn.lowerStatement(e, this);
            return;
          }
        }
        this.int(e);
        return;
      }
      case 'If': {
        const otherwise = this.b.label('else');
        this.b.at(s.cond.span, () => this.branchUnless(s.cond, otherwise));
        this.statements(s.then);
        if (s.else) {
          const after = this.b.label('endif');
          this.b.jmp(after);
          this.b.place(otherwise);
          this.statements(s.else);
          this.b.place(after);
        } else {
          this.b.place(otherwise);
        }
        return;
      }
    }
  }

  private assign(s: AssignStmt): void {
    const { target, value } = s;
    if (target.kind === 'Var') {
      const t = this.typeOf(target);
      if (t.kind === 'int') {
        let slot = this.vars.get(target.name);
        if (!slot) {
          slot = { reg: this.b.reg() };
          this.vars.set(target.name, slot);
        }
        this.b.mov((slot as { reg: VReg }).reg, this.int(value));
      } else if (t.kind === 'string') {
        const slot = this.vars.get(target.name) as { slot: number; size: number };
        this.writeInto(value, 'fp', slot.slot, slot.size);
      }
      return;
    }
    const plan = this.res.maps.get(target.name)!;
    if (value.kind === 'Call') {
      const fn = this.cx.registry.functions.get(value.callee)!;
      if (fn.role === 'aggregation') {
        const ptr = this.aggregationPointer(target, plan);
        if (ptr === undefined) return;
        fn.lowerUpdate!(value, this, ptr.value);
        this.b.place(ptr.skip);
        return;
      }
    }
    const key = this.buildKey(target, plan);
    const slot = this.b.frame.alloc(plan.spec.valueSize);
    this.writeInto(value, 'fp', slot, plan.spec.valueSize);
    this.b.call(Helper.map_update_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key)), reg(this.b.addr(slot)), imm(BPF_ANY)], false);
  }

  /**
   * A pointer to this CPU's value of an aggregation, creating the entry (zeroed) when absent. The
   * insert uses NOEXIST so that two CPUs creating the same key do not wipe each other's counts.
   */
  private aggregationPointer(target: MapRef, plan: MapPlan): { value: VReg; skip: Label } | undefined {
    const key = this.buildKey(target, plan);
    const value = this.b.reg();
    const have = this.b.label('have');
    const skip = this.b.label('skip');
    const lookup = () => {
      const r = this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key))])!;
      this.b.mov(value, reg(r));
    };
    lookup();
    this.b.jcond('jne', value, imm(0), have);
    const zero = this.b.frame.alloc(plan.spec.valueSize);
    this.zeroMemory('fp', zero, plan.spec.valueSize);
    this.b.call(Helper.map_update_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key)), reg(this.b.addr(zero)), imm(BPF_NOEXIST)], false);
    lookup();
    this.b.jcond('jeq', value, imm(0), skip);
    this.b.place(have);
    return { value, skip };
  }

  /** Build a map's key on the stack and return its frame offset. */
  private buildKey(m: MapRef, plan: MapPlan): number {
    const slot = this.b.frame.alloc(plan.spec.keySize);
    if (m.keys.length === 0) {
      this.b.store(8, 'fp', slot, imm(0));
      return slot;
    }
    const fields = plan.spec.key!.fields;
    // Zero only what the key parts leave unwritten: padding between and after them.
    let covered = 0;
    const gaps: [number, number][] = [];
    fields.forEach((f) => {
      if (f.offset > covered) gaps.push([covered, f.offset]);
      covered = f.offset + f.size;
    });
    if (plan.spec.keySize > covered) gaps.push([covered, plan.spec.keySize]);
    for (const [from, to] of gaps) this.zeroMemory('fp', slot + from, to - from);
    m.keys.forEach((k, i) => this.writeInto(k, 'fp', slot + fields[i]!.offset, fields[i]!.size));
    return slot;
  }

  /** Pointer to a (non-aggregation) map value for the key, or 0 when absent. */
  private mapValuePointer(m: MapRef): VReg {
    const plan = this.res.maps.get(m.name)!;
    const key = this.buildKey(m, plan);
    return this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key))])!;
  }

  // ----------------------------------------------------------------------------------- expressions

  private intUncached(e: Expr): Operand {
    switch (e.kind) {
      case 'Int': {
        const v = BigInt.asIntN(64, e.value);
        if (v >= -(2n ** 31n) && v < 2n ** 31n) return imm(Number(v));
        const r = this.b.reg();
        this.b.emit({ op: 'ldimm64', dst: r, value: v });
        return reg(r);
      }
      case 'Ident': {
        const v = this.cx.registry.variables.get(e.name)!;
        if (!v.lower) throw new Error(`builtin ${e.name} has no integer value`);
        return v.lower(this, e.span);
      }
      case 'Var': {
        const slot = this.vars.get(e.name);
        if (!slot || !('reg' in slot)) throw new Error(`variable ${e.name} has no register`);
        return reg(slot.reg);
      }
      case 'Map': {
        const value = this.mapValuePointer(e);
        const out = this.b.reg();
        const done = this.b.label('mapdone');
        this.b.mov(out, imm(0));
        this.b.jcond('jeq', value, imm(0), done);
        this.b.emit({ op: 'load', dst: out, base: value, off: 0, size: 8 });
        this.b.place(done);
        return reg(out);
      }
      case 'Call': {
        const fn = this.cx.registry.functions.get(e.callee)!;
        if (!fn.lower) throw new Error(`function ${e.callee} has no value`);
        return fn.lower(e, this);
      }
      case 'Unary': {
        if (e.op === '!') return this.boolean(e);
        const v = this.int(e.operand);
        if ('imm' in v) return imm(e.op === '-' ? -v.imm : ~v.imm);
        const r = this.b.reg();
        this.b.mov(r, v);
        if (e.op === '-') this.b.emit({ op: 'neg', dst: r });
        else this.b.alu('xor', r, imm(-1));
        return reg(r);
      }
      case 'Binary':
        return this.binary(e);
      case 'Field': {
        const field = this.argsField(e);
        if (!field) throw new Error('field access outside args');
        const t = field.type;
        if (t.kind !== 'int') throw new Error('integer field expected');
        const r = this.b.load(t.size, this.ctx(), field.offset);
        if (t.signed && t.size < 8) {
          const shift = 64 - t.size * 8;
          this.b.alu('lsh', r, imm(shift));
          this.b.alu('arsh', r, imm(shift));
        }
        return reg(r);
      }
      case 'Str':
        throw new Error('string literal used as an integer');
    }
  }

  private binary(e: Binary): Operand {
    switch (e.op) {
      case '==': case '!=': case '<': case '<=': case '>': case '>=': case '&&': case '||':
        return this.boolean(e);
    }
    const l = this.int(e.left);
    const r = this.int(e.right);
    if ('imm' in l && 'imm' in r) {
      const folded = fold(e.op, BigInt(l.imm), BigInt(r.imm));
      if (folded !== undefined && folded >= -(2n ** 31n) && folded < 2n ** 31n) return imm(Number(folded));
    }
    const out = this.b.reg();
    this.b.mov(out, l);
    const t = this.typeOf(e);
    const signed = t.kind === 'int' && t.signed;
    const alu = ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '&': 'and', '|': 'or', '^': 'xor', '<<': 'lsh', '>>': signed ? 'arsh' : 'rsh' } as const)[e.op];
    this.b.alu(alu, out, r);
    return reg(out);
  }

  /** 1 or 0 in a register, from a condition. */
  private boolean(e: Expr): Operand {
    const out = this.b.reg();
    const no = this.b.label('false');
    this.b.mov(out, imm(0));
    this.branchUnless(e, no);
    this.b.mov(out, imm(1));
    this.b.place(no);
    return reg(out);
  }

  /** Jump to `target` when the condition is false; fall through when it is true. */
  private branchUnless(e: Expr, target: Label): void {
    if (e.kind === 'Binary') {
      if (e.op === '&&') {
        this.branchUnless(e.left, target);
        this.branchUnless(e.right, target);
        return;
      }
      if (e.op === '||') {
        const yes = this.b.label('or');
        const next = this.b.label('ornext');
        this.branchUnless(e.left, next);
        this.b.jmp(yes);
        this.b.place(next);
        this.branchUnless(e.right, target);
        this.b.place(yes);
        return;
      }
      const cond = this.comparison(e);
      if (cond) {
        let a = this.int(e.left);
        let b = this.int(e.right);
        let c = cond;
        if ('imm' in a && !('imm' in b)) {
          [a, b] = [b, a];
          c = swapCond[c];
        }
        const left = 'reg' in a ? a.reg : this.intReg(e.left);
        this.b.jcond(negateCond[c], left, b, target);
        return;
      }
    }
    if (e.kind === 'Unary' && e.op === '!') {
      const r = this.intReg(e.operand);
      this.b.jcond('jne', r, imm(0), target);
      return;
    }
    const v = this.int(e);
    if ('imm' in v) {
      if (v.imm === 0) this.b.jmp(target);
      return;
    }
    this.b.jcond('jeq', v.reg, imm(0), target);
  }

  /** The jump condition of a comparison: signed unless an operand is an unsigned 64-bit integer. */
  private comparison(e: Binary): CondName | undefined {
    const pair = comparisons[e.op];
    if (!pair) return undefined;
    const l = this.typeOf(e.left);
    const r = this.typeOf(e.right);
    const signed = l.kind === 'int' && r.kind === 'int' && arithmeticResult(l, r).signed;
    return pair[signed ? 1 : 0];
  }

  // ---------------------------------------------------------------------------------------- memory

  private argsField(e: Expr): { offset: number; size: number; type: Type } | undefined {
    if (e.kind !== 'Field' || e.object.kind !== 'Ident' || e.object.name !== 'args') return undefined;
    const rec = this.probe.args;
    const f = rec?.fields.find((x) => x.name === e.field);
    if (!f) return undefined;
    const size = f.type.kind === 'string' ? f.type.size : f.type.kind === 'int' ? f.type.size : 8;
    return { offset: f.offset, size, type: f.type };
  }

  private writeStringLiteral(value: string, base: Base, off: number, size: number): void {
    const bytes = new Uint8Array(size + 8);
    bytes.set(Buffer.from(value).subarray(0, size - 1));
    const view = new DataView(bytes.buffer);
    for (const [at, width] of alignedChunks(off, size)) {
      if (width === 8) this.storeWord(base, off + at, view.getBigInt64(at, true));
      else {
        const v = width === 4 ? view.getInt32(at, true) : width === 2 ? view.getInt16(at, true) : view.getInt8(at);
        this.b.store(width, base, off + at, imm(v));
      }
    }
  }

  private storeWord(base: Base, off: number, v: bigint): void {
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      this.b.store(8, base, off, imm(Number(v)));
      return;
    }
    const r = this.b.reg();
    this.b.emit({ op: 'ldimm64', dst: r, value: v });
    this.b.store(8, base, off, reg(r));
  }

  private zeroMemory(base: Base, off: number, size: number): void {
    for (const [at, width] of alignedChunks(off, size)) this.b.store(width, base, off + at, imm(0));
  }

  /** Copy `n` bytes and zero the rest up to `size` (strings are NUL-padded). */
  private copy(from: { base: Base; off: number }, to: { base: Base; off: number }, n: number, size: number): void {
    const misaligned = (from.off - to.off) % 8 !== 0;
    for (const [at, width] of alignedChunks(to.off, n, misaligned ? 1 : 8)) {
      this.b.store(width, to.base, to.off + at, reg(this.b.load(width, from.base, from.off + at)));
    }
    if (size > n) this.zeroMemory(to.base, to.off + n, size - n);
  }
}

/**
 * Split `size` bytes at offset `off` into naturally aligned accesses of at most `max` bytes (the
 * verifier rejects misaligned stack access): e.g. off -22, size 6 → 2 bytes at -22, 4 at -20.
 */
function alignedChunks(off: number, size: number, max: 1 | 2 | 4 | 8 = 8): [at: number, width: 1 | 2 | 4 | 8][] {
  const out: [number, 1 | 2 | 4 | 8][] = [];
  let at = 0;
  while (at < size) {
    let width: 1 | 2 | 4 | 8 = max;
    while (width > 1 && (((off + at) % width) + width) % width !== 0) width = (width / 2) as 1 | 2 | 4;
    while (width > size - at) width = (width / 2) as 1 | 2 | 4;
    out.push([at, width]);
    at += width;
  }
  return out;
}

const comparisons: Partial<Record<Binary['op'], [unsigned: CondName, signed: CondName]>> = {
  '==': ['jeq', 'jeq'], '!=': ['jne', 'jne'], '<': ['jlt', 'jslt'], '<=': ['jle', 'jsle'],
  '>': ['jgt', 'jsgt'], '>=': ['jge', 'jsge'],
};

const swapCond: Record<CondName, CondName> = {
  jeq: 'jeq', jne: 'jne', jgt: 'jlt', jlt: 'jgt', jge: 'jle', jle: 'jge',
  jsgt: 'jslt', jslt: 'jsgt', jsge: 'jsle', jsle: 'jsge', jset: 'jset',
};

function fold(op: string, a: bigint, b: bigint): bigint | undefined {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0n ? undefined : a / b;
    case '%': return b === 0n ? undefined : a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return b < 0n || b > 63n ? undefined : BigInt.asIntN(64, a << b);
    case '>>': return b < 0n || b > 63n ? undefined : a >> b;
    default: return undefined;
  }
}
