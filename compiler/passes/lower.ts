// Lowering: one probe unit's AST → IR on virtual registers. Integers live in registers (or stay
// immediates); strings and tuples are written straight to where they are needed (a map key slot, an
// event record) and are always NUL-padded, so they compare word by word; maps are reached through their
// names, patched to fds at load time.

import { literalBytes } from '../../grammar/literals.ts';
import type { AssignStmt, Binary, Call, Expr, ForMapStmt, IncDec, MapRef, Stmt } from '../../grammar/ast.ts';
import { Helper } from '../bpf/helpers.ts';
import { type CondName, negateCond } from '../bpf/opcodes.ts';
import { IrBuilder, imm, reg } from '../ir/builder.ts';
import type { Base, IrProgram, Label, Operand, VReg } from '../ir/ir.ts';
import type { CompileContext } from '../context.ts';
import type { ConcreteProbe, EventArgPlan, Lowerer } from '../registry.ts';
import { INT_TYPES, type RecordField, type Type, arithmeticResult, elementSize, isBool, isPointer, recordStorage, storageSize } from '../types/types.ts';
import { constantValue, fold } from './constants.ts';
import { copyMemory, writeBytes, zeroMemory } from './memory.ts';
import { fillPair } from './lower-formap.ts';
import { LOOP_VARS_MAP, type MapPlan, type Resources } from './resources.ts';
import type { UnitTypes, VarInfo, VarSite } from './typecheck.ts';
import type { KernelMember } from '../types/kernel-types.ts';

const BPF_ANY = 0;

export function lowerUnit(ut: UnitTypes, res: Resources, cx: CompileContext): IrProgram {
  return new UnitLowerer(ut, res, cx).run();
}

/**
 * Where a variable lives: an integer in a register; or memory in this function's frame; or, written
 * by a loop body, at `shared` in this probe's region of the per-CPU LOOP_VARS_MAP value; or somewhere
 * an enclosing function keeps it (a loop callback reaching its caller's variables), whose address is
 * word `captured` of the callback's closure.
 */
type Storage = { reg: VReg } | { slot: number; size: number } | { shared: number; size: number } | { captured: number; size: number };
type ArgsField = { offset: number; size: number; type: Type; wholeSlot: boolean; dataLoc: boolean };
/** Kernel and user memory are read with probe_read helpers; 'local' memory (the stack) is loaded. */
type AddressSpace = 'kernel' | 'user' | 'local';
interface MemoryAddress {
  base: Base;
  off: number;
  space: AddressSpace;
}
type Loop = { breakTo: Label; continueTo: Label };

/**
 * One function being lowered: the probe's main function, or the callback a `for ($kv : @map)` body
 * becomes (bpf_for_each_map_elem calls it with map, key, value and the closure the caller built).
 */
interface FunctionContext {
  b: IrBuilder;
  storage: Map<VarInfo, Storage>;
  loops: Loop[];
  /** Where the function ends (main: exit 0 after the probe's body). */
  endLabel: Label;
  /** The main function: the probe's context pointer. */
  ctxReg?: VReg;
  /**
   * Callbacks: the closure, an array of u64 in the caller's frame: [0] the probe's context pointer,
   * [1] the address of the caller's stop flag, [2...] the address of each captured variable.
   */
  closure?: VReg;
  /** Callbacks: where `return` (and exit()) go: raise the caller's stop flag, stop iterating. */
  returnLabel?: Label;
  /** This CPU's LOOP_VARS_MAP value, when the function declares variables that loop bodies write. */
  shared?: VReg;
}

/** Closure words before the captured variables' addresses. */
const CLOSURE_CTX = 0;
const CLOSURE_STOP = 8;
const CLOSURE_VARS = 16;

class UnitLowerer implements Lowerer {
  readonly probe: ConcreteProbe;
  private fn: FunctionContext;
  private readonly main: FunctionContext;
  private readonly subprograms: IrProgram[] = [];
  /** Variables some loop callback reaches through a pointer: they live in memory, never in a register. */
  private readonly captured: Set<VarInfo>;
  private countCallback: string | undefined;
  /** Loop callbacks so far, for their names. */
  private callbacks = 0;

  constructor(private readonly ut: UnitTypes, private readonly res: Resources, private readonly cx: CompileContext) {
    this.probe = ut.unit.probe;
    const b = new IrBuilder();
    this.main = { b, storage: new Map(), loops: [], endLabel: b.label('end') };
    this.fn = this.main;
    this.captured = new Set([...ut.captures.values()].flat());
  }

  /** The builder of the function being lowered. */
  get b(): IrBuilder {
    return this.fn.b;
  }

  private get endLabel(): Label {
    return this.fn.endLabel;
  }

  private get storage(): Map<VarInfo, Storage> {
    return this.fn.storage;
  }

  private get loops(): Loop[] {
    return this.fn.loops;
  }

  /**
   * Give the variables declared in this function (`owner`: a loop body, or undefined for the probe)
   * their places. They live for the whole function: integers in registers (zero until assigned, so a
   * loop counter is bounded for the verifier), strings and tuples — and integers a loop callback
   * reaches — in stack slots allocated up front and zeroed; everything else a statement puts on the
   * stack is released when the statement ends.
   */
  private placeVariables(owner: ForMapStmt | undefined): void {
    const shared = this.res.loopVars.get(this.ut);
    for (const v of this.ut.vars) {
      if (!v.type || v.owner !== owner) continue;
      const at = shared?.get(v);
      if (at !== undefined) {
        const size = storageSize(v.type);
        zeroMemory(this.b, this.sharedValue(), at, Math.ceil(size / 8) * 8);
        this.storage.set(v, { shared: at, size });
      } else if (v.type.kind === 'int' && !this.captured.has(v)) {
        const r = this.b.reg();
        this.b.mov(r, imm(0));
        this.storage.set(v, { reg: r });
      } else {
        const size = storageSize(v.type);
        const slot = this.b.frame.alloc(size);
        zeroMemory(this.b, 'fp', slot, Math.ceil(size / 8) * 8);
        this.storage.set(v, { slot, size });
      }
    }
  }

  /** This CPU's LOOP_VARS_MAP value, looked up once per function (it is always there: an array map). */
  private sharedValue(): VReg {
    if (this.fn.shared !== undefined) return this.fn.shared;
    const mark = this.b.frame.mark();
    const key = this.b.frame.alloc(8);
    this.b.store(4, 'fp', key, imm(0));
    const value = this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(LOOP_VARS_MAP)), reg(this.b.addr(key))])!;
    this.b.frame.release(mark);
    this.b.jcond('jeq', value, imm(0), this.endLabel);
    this.fn.shared = value;
    return value;
  }

  run(): IrProgram {
    const { block } = this.ut.unit;
    this.main.ctxReg = this.b.reg();
    this.b.at(block.span, () => {
      this.b.emit({ op: 'ctx', dst: this.main.ctxReg! });
      this.placeVariables(undefined);
    });
    const kind = this.probe.attach.kind;
    if (this.res.state.usesExit && kind !== 'begin' && kind !== 'end') {
      // After exit(), probes still attached until user space detaches them do nothing.
      this.b.at(block.span, () => {
        const state = this.stateAddress(this.res.state.exitingOffset);
        const exiting = this.b.load(8, state, 0);
        this.b.jcond('jne', exiting, imm(0), this.endLabel);
      });
    }
    const pidFilter = this.cx.options.targetPid;
    if (pidFilter !== undefined && kind !== 'begin' && kind !== 'end') {
      // -p PID: other processes return at once.
      const tgid = this.b.call(Helper.get_current_pid_tgid, [])!;
      this.b.alu('rsh', tgid, imm(32));
      this.b.jcond('jne', tgid, imm(pidFilter), this.endLabel);
    }
    if (block.filter) {
      const filter = block.filter;
      this.b.at(filter.span, () => this.branchUnless(filter, this.endLabel));
    }
    this.statements(block.body);
    this.b.span = undefined;
    this.b.place(this.endLabel);
    this.b.emit({ op: 'exit', value: imm(0) });
    return { ...this.b.finish(), ...(this.subprograms.length > 0 ? { subprograms: this.subprograms } : {}) };
  }

  // ------------------------------------------------------------------------------ Lowerer interface

  ctx(): VReg {
    // A callback reads the probe's context pointer from its closure (the verifier follows the spilled
    // pointer into the caller's frame and still knows it as the context).
    if (this.fn.closure !== undefined) return this.b.load(8, this.fn.closure, CLOSURE_CTX);
    return this.fn.ctxReg!;
  }

  typeOf(e: Expr): Type {
    const t = this.ut.types.get(e);
    if (!t) throw new Error(`no type for ${e.kind} at ${e.span.start}`);
    return t;
  }

  get kernel() {
    return this.cx.kernel;
  }

  childPid(): number {
    return this.cx.options.childPid ?? 0;
  }

  positional(index: number): string {
    return this.cx.options.positional[index - 1] ?? '';
  }

  constantOf(e: Expr): bigint | undefined {
    return constantValue(e, this.cx.options.positional, (x) => this.typeOf(x), this.ut.constants);
  }

  intReg(e: Expr): VReg {
    const v = this.int(e);
    if ('reg' in v) return v.reg;
    const r = this.b.reg();
    this.b.mov(r, v);
    return r;
  }

  int(e: Expr): Operand {
    return this.b.at(e.span, () => {
      const c = this.ut.constants.get(e) ?? this.constantOf(e);
      if (c !== undefined) return this.constant(c);
      return this.intUncached(e);
    });
  }

  pointer(base: Base, off: number): VReg {
    if (base === 'fp') return this.b.addr(off);
    const r = this.b.reg();
    this.b.mov(r, reg(base));
    if (off !== 0) this.b.alu('add', r, imm(off));
    return r;
  }

  writeInto(e: Expr, base: Base, off: number, size: number, padded = true): void {
    this.b.at(e.span, () => this.writeIntoUncached(e, base, off, size, padded));
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
    const counter = this.stateAddress(this.res.state.lostOffset!);
    const one = this.b.movImm(1);
    this.b.emit({ op: 'atomicAdd', base: counter, off: 0, size: 8, src: one });
    this.b.place(done);
  }

  returnFromProbe(): void {
    this.b.jmp(this.fn.returnLabel ?? this.endLabel);
  }

  startTimeAddress(): VReg {
    return this.stateAddress(this.res.state.startOffset);
  }

  setExiting(): void {
    this.b.store(8, this.stateAddress(this.res.state.exitingOffset), 0, imm(1));
  }

  private stateAddress(off: number): VReg {
    const r = this.b.reg();
    this.b.emit({ op: 'ldmapvalue', dst: r, map: this.res.state.map, off });
    return r;
  }

  /** `map_update_elem` into a user map, counting the updates a full map refuses. */
  private updateMap(plan: MapPlan, key: number, value: number, flags: number): void {
    const result = this.b.call(Helper.map_update_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key)), reg(this.b.addr(value)), imm(flags)])!;
    const ok = this.b.label('stored');
    this.b.jcond('jeq', result, imm(0), ok);
    const drop = this.res.state.drops.find((d) => d.map === plan.spec.name)!;
    const counter = this.stateAddress(drop.offset);
    const one = this.b.movImm(1);
    this.b.emit({ op: 'atomicAdd', base: counter, off: 0, size: 8, src: one });
    this.b.place(ok);
  }

  eventFor(call: Call): { id: number; args: EventArgPlan[]; size: number } {
    const plan = this.res.events.get(this.ut)?.get(call);
    if (!plan) throw new Error(`no event planned for ${call.callee}()`);
    return plan;
  }

  mapPlan(name: string): MapPlan {
    const plan = this.res.maps.get(name);
    if (!plan) throw new Error(`no map ${name}`);
    return plan;
  }

  /** Build a map's key on the stack and return its frame offset. */
  buildKey(m: MapRef, plan: MapPlan = this.mapPlan(m.name)): number {
    // At least 8 bytes: scalar keys and bucket indexes are written as u64s (an array's u32 index is
    // their low half).
    const slot = this.b.frame.alloc(Math.max(8, plan.spec.keySize));
    if (plan.info.keys.length === 0 && plan.bucketOffset === undefined) {
      this.b.store(8, 'fp', slot, imm(0));
      return slot;
    }
    const fields = plan.keyFields;
    // Zero only what the key parts leave unwritten: padding between and after them.
    let covered = 0;
    const gaps: [number, number][] = [];
    for (const f of [...fields, ...(plan.bucketOffset === undefined ? [] : [{ offset: plan.bucketOffset, size: 8 }])]) {
      if (f.offset > covered) gaps.push([covered, f.offset]);
      covered = Math.max(covered, f.offset + f.size);
    }
    if (plan.spec.keySize > covered) gaps.push([covered, plan.spec.keySize]);
    for (const [from, to] of gaps) zeroMemory(this.b, 'fp', slot + from, to - from);
    m.keys.forEach((k, i) => this.writeInto(k, 'fp', slot + fields[i]!.offset, fields[i]!.size));
    return slot;
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
      case 'Let': {
        const v = this.ut.varOf.get(s);
        if (v && s.value) this.storeVar(v, s.value);
        return;
      }
      case 'ExprStmt': {
        const e = s.expr;
        if (e.kind === 'Call') {
          const fn = this.cx.registry.functions.get(e.callee)!;
          if (fn.lowerStatement) {
            fn.lowerStatement(e, this);
            return;
          }
        }
        if (e.kind === 'Ternary' && this.typeOf(e).kind === 'void') {
          // `c ? printf(...) : exit()`: an if/else of two statements.
          const otherwise = this.b.label('telse');
          const after = this.b.label('tend');
          this.b.at(e.cond.span, () => this.branchUnless(e.cond, otherwise));
          this.statement({ kind: 'ExprStmt', expr: e.then, span: e.then.span });
          this.b.jmp(after);
          this.b.place(otherwise);
          this.statement({ kind: 'ExprStmt', expr: e.else, span: e.else.span });
          this.b.place(after);
          return;
        }
        if (e.kind === 'IncDec') {
          this.incDec(e, false);
          return;
        }
        const t = this.typeOf(e);
        if (t.kind === 'int') this.int(e);
        else {
          const slot = this.b.frame.alloc(storageSize(t));
          this.writeInto(e, 'fp', slot, storageSize(t));
        }
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
      case 'While': {
        const top = this.b.label('while');
        const exit = this.b.label('wend');
        this.b.place(top);
        this.b.at(s.cond.span, () => this.branchUnless(s.cond, exit));
        this.loopBody(s.body, { breakTo: exit, continueTo: top });
        this.b.jmp(top);
        this.b.place(exit);
        return;
      }
      case 'ForRange': {
        const v = this.ut.varOf.get(s)!;
        const end = this.b.reg();
        this.b.mov(end, this.int(s.to));
        this.writeIntVar(v, this.int(s.from));
        const top = this.b.label('for');
        const next = this.b.label('fnext');
        const exit = this.b.label('fend');
        this.b.place(top);
        this.b.jcond('jsge', this.readIntVar(v), reg(end), exit);
        this.loopBody(s.body, { breakTo: exit, continueTo: next });
        this.b.place(next);
        const i = this.readIntVar(v);
        this.b.alu('add', i, imm(1));
        this.writeIntVar(v, reg(i));
        this.b.jmp(top);
        this.b.place(exit);
        return;
      }
      case 'Unroll': {
        const n = Number(this.constantOf(s.count) ?? 1n);
        const exit = this.b.label('uend');
        for (let i = 0; i < n; i++) {
          const next = this.b.label('unext');
          this.loopBody(s.body, { breakTo: exit, continueTo: next });
          this.b.place(next);
        }
        this.b.place(exit);
        return;
      }
      case 'Jump': {
        const loop = this.loops[this.loops.length - 1];
        if (s.jump === 'return' || !loop) this.returnFromProbe();
        else this.b.jmp(s.jump === 'break' ? loop.breakTo : loop.continueTo);
        return;
      }
      case 'Block':
        this.statements(s.body);
        return;
      case 'ForMap':
        this.forMap(s);
        return;
    }
  }

  // ------------------------------------------------------------------------------ loops over maps

  /**
   * `for ($kv : @map) { body }`: the body becomes a callback subprogram; here, the closure it gets is
   * built in this frame (the probe's context, a stop flag, the address of each variable the body
   * reaches) and bpf_for_each_map_elem runs it on every entry. A `return` inside raised the flag.
   */
  private forMap(s: ForMapStmt): void {
    const plan = this.mapPlan(s.map.name);
    const callback = this.callback(s, plan);
    const captures = this.ut.captures.get(s) ?? [];
    const closure = this.b.frame.alloc(CLOSURE_VARS + 8 * captures.length);
    this.b.store(8, 'fp', closure + CLOSURE_CTX, reg(this.ctx()));
    const stop = callback.stops ? this.b.frame.alloc(8) : undefined;
    if (stop !== undefined) {
      this.b.store(8, 'fp', stop, imm(0));
      this.b.store(8, 'fp', closure + CLOSURE_STOP, reg(this.b.addr(stop)));
    } else this.b.store(8, 'fp', closure + CLOSURE_STOP, imm(0));
    captures.forEach((v, i) => {
      const at = this.varAddress(v);
      this.b.store(8, 'fp', closure + CLOSURE_VARS + 8 * i, reg(this.pointer(at.base, at.off)));
    });
    const fn = this.b.reg();
    this.b.emit({ op: 'ldfunc', dst: fn, func: callback.name });
    this.b.call(Helper.for_each_map_elem, [reg(this.b.ldmap(plan.spec.name)), reg(fn), reg(this.b.addr(closure)), imm(0)], false);
    if (stop !== undefined) {
      const go = this.b.label('fmnext');
      this.b.jcond('jeq', this.b.load(8, 'fp', stop), imm(0), go);
      this.returnFromProbe();
      this.b.place(go);
    }
  }

  /** Lower a loop body into its own subprogram: `(map, key, value, closure) → 0 (go on) | 1 (stop)`. */
  private callback(s: ForMapStmt, plan: MapPlan): { name: string; stops: boolean } {
    const name = `tsbt_for${++this.callbacks}`;
    const b = new IrBuilder();
    const fn: FunctionContext = { b, storage: new Map(), loops: [], endLabel: b.label('next'), closure: b.reg(), returnLabel: b.label('return') };
    const outer = this.fn;
    this.fn = fn;
    try {
      const key = b.reg();
      const value = b.reg();
      b.at(s.span, () => {
        b.emit({ op: 'params', dsts: [undefined, key, value, fn.closure] });
        (this.ut.captures.get(s) ?? []).forEach((v, i) => fn.storage.set(v, { captured: i, size: v.type ? storageSize(v.type) : 8 }));
        this.placeVariables(s);
        const pair = this.ut.varOf.get(s)!;
        const at = this.storage.get(pair) as { slot: number };
        fillPair(b, plan, pair.type!, { key, value, slot: at.slot }, this.cx.kernel.possibleCpuCount?.() ?? this.cx.kernel.onlineCpuCount());
      });
      const stopHere = b.label('break');
      this.loopBody(s.body, { breakTo: stopHere, continueTo: fn.endLabel });
      b.span = undefined;
      b.place(fn.endLabel);
      b.emit({ op: 'exit', value: imm(0) });
      // Only code something jumps to: the verifier refuses unreachable instructions.
      const jumpedTo = (label: Label) => b.insns.some((i) => (i.op === 'jmp' || i.op === 'jcond') && i.target === label);
      if (jumpedTo(stopHere)) {
        b.place(stopHere);
        b.emit({ op: 'exit', value: imm(1) });
      }
      const stops = jumpedTo(fn.returnLabel!);
      if (stops) {
        b.place(fn.returnLabel!);
        b.store(8, b.load(8, fn.closure!, CLOSURE_STOP), 0, imm(1));
        b.emit({ op: 'exit', value: imm(1) });
      }
      this.subprograms.push({ ...b.finish(), name });
      return { name, stops };
    } finally {
      this.fn = outer;
    }
  }

  /** `len(@map)`: bpf_for_each_map_elem with a callback that does nothing returns the number of entries. */
  mapLength(name: string): VReg {
    if (this.countCallback === undefined) {
      this.countCallback = 'tsbt_count';
      const b = new IrBuilder();
      b.emit({ op: 'exit', value: imm(0) });
      this.subprograms.push({ ...b.finish(), name: this.countCallback });
    }
    const fn = this.b.reg();
    this.b.emit({ op: 'ldfunc', dst: fn, func: this.countCallback });
    return this.b.call(Helper.for_each_map_elem, [reg(this.b.ldmap(this.mapPlan(name).spec.name)), reg(fn), imm(0), imm(0)])!;
  }

  private loopBody(body: Stmt[], loop: Loop): void {
    this.loops.push(loop);
    this.statements(body);
    this.loops.pop();
  }

  private storageOf(v: VarInfo): Storage {
    const s = this.storage.get(v);
    if (!s) throw new Error(`variable ${v.name} has no storage`);
    return s;
  }

  /** Where a variable kept in memory is: a slot of this frame, or (captured) what the closure points to. */
  private varAddress(v: VarInfo): { base: Base; off: number } {
    const s = this.storageOf(v);
    if ('slot' in s) return { base: 'fp', off: s.slot };
    if ('shared' in s) return { base: this.fn.shared!, off: s.shared };
    if ('captured' in s) return { base: this.b.load(8, this.fn.closure!, CLOSURE_VARS + 8 * s.captured), off: 0 };
    throw new Error(`variable ${v.name} is in a register`);
  }

  /** An integer variable's value: its register itself, or loaded from memory. */
  private readIntVar(v: VarInfo): VReg {
    const s = this.storageOf(v);
    if ('reg' in s) return s.reg;
    const at = this.varAddress(v);
    return this.b.load(8, at.base, at.off);
  }

  private writeIntVar(v: VarInfo, value: Operand): void {
    const s = this.storageOf(v);
    if ('reg' in s) this.b.mov(s.reg, value);
    else {
      const at = this.varAddress(v);
      this.b.store(8, at.base, at.off, value);
    }
  }

  /** `$x = value` for an integer variable, wrapping as its declared width does. */
  private assignIntVar(v: VarInfo, value: Operand): void {
    const s = this.storageOf(v);
    if ('reg' in s) {
      this.b.mov(s.reg, value);
      this.narrow(v, s.reg);
      return;
    }
    const r = this.b.reg();
    this.b.mov(r, value);
    this.narrow(v, r);
    this.writeIntVar(v, reg(r));
  }

  private storeVar(v: VarInfo, value: Expr): void {
    const s = this.storageOf(v);
    if ('reg' in s || v.type?.kind === 'int') this.assignIntVar(v, this.int(value));
    else {
      const at = this.varAddress(v);
      this.writeInto(value, at.base, at.off, s.size);
    }
  }

  /** A variable declared narrower than 64 bits (`let $x: uint8`) wraps as its type does. */
  private narrow(v: VarInfo, r: VReg): void {
    if (v.type?.kind === 'int' && v.type.size < 8 && !v.type.pointee) this.truncate(r, v.type.size, v.type.signed);
  }

  private assign(s: AssignStmt): void {
    const { target, value } = s;
    if (s.op) {
      const current = this.int(target);
      const out = this.arith(s.op, current, this.scaled(this.int(value), this.step(this.typeOf(target))), this.typeOf(target), this.typeOf(value));
      if (target.kind === 'Var') this.assignIntVar(this.ut.varOf.get(target)!, out);
      else this.storeMapInt(target, out);
      return;
    }
    if (target.kind === 'Var') {
      this.storeVar(this.ut.varOf.get(target)!, value);
      return;
    }
    const plan = this.mapPlan(target.name);
    if (value.kind === 'Call') {
      const fn = this.cx.registry.functions.get(value.callee)!;
      if (fn.role === 'aggregation') {
        this.updateAggregation(
          target,
          plan,
          (key) => {
            if (plan.bucketOffset !== undefined) fn.lowerBucket!(value, this, 'fp', key + plan.bucketOffset);
          },
          (pointer) => fn.lowerUpdate!(value, this, pointer),
        );
        return;
      }
    }
    const key = this.buildKey(target, plan);
    const slot = this.b.frame.alloc(plan.spec.valueSize);
    this.writeInto(value, 'fp', slot, plan.spec.valueSize);
    this.updateMap(plan, key, slot, BPF_ANY);
  }

  private storeMapInt(target: MapRef, value: Operand): void {
    const plan = this.mapPlan(target.name);
    const key = this.buildKey(target, plan);
    const slot = this.b.frame.alloc(8);
    this.b.store(8, 'fp', slot, value);
    this.updateMap(plan, key, slot, BPF_ANY);
  }

  /** `x++` / `--x`: the new value is stored; the expression's value is the old one for postfix. */
  private incDec(e: IncDec, wantValue: boolean): Operand {
    const delta = (e.op === '++' ? 1 : -1) * this.step(this.typeOf(e.target));
    if (e.target.kind === 'Var') {
      const v = this.ut.varOf.get(e.target)!;
      const r = this.readIntVar(v);
      let old: VReg | undefined;
      if (wantValue && !e.prefix) {
        old = this.b.reg();
        this.b.mov(old, reg(r));
      }
      this.b.alu('add', r, imm(delta));
      this.narrow(v, r);
      if (!('reg' in this.storageOf(v))) this.writeIntVar(v, reg(r));
      return reg(old ?? r);
    }
    const current = this.intReg(e.target);
    const next = this.b.reg();
    this.b.mov(next, reg(current));
    this.b.alu('add', next, imm(delta));
    this.storeMapInt(e.target, reg(next));
    return reg(e.prefix ? next : current);
  }

  /**
   * Update this CPU's value of an aggregation in place: `update` changes the value through a pointer.
   * When the key is absent (a hash's first event for it), the pointer is to a zeroed stack copy
   * instead, and the result is inserted with BPF_ANY. That is safe on per-CPU hashes: if another CPU
   * inserted the key meanwhile, the kernel writes only this CPU's copy, which was zero.
   */
  private updateAggregation(target: MapRef, plan: MapPlan, completeKey: (key: number) => void, update: (value: VReg) => void): void {
    const key = this.buildKey(target, plan);
    completeKey(key);
    const done = this.b.label('updated');
    const found = this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key))])!;
    const value = this.b.reg();
    this.b.mov(value, reg(found));
    const present = plan.spec.presentOffset;
    if (present !== undefined) {
      // A per-CPU array slot: always there (the check is for the verifier); mark it written.
      this.b.jcond('jeq', value, imm(0), done);
      this.b.store(8, value, present, imm(1));
      update(value);
      this.b.place(done);
      return;
    }
    const cold = this.b.movImm(0);
    const have = this.b.label('have');
    this.b.jcond('jne', value, imm(0), have);
    const initial = this.b.frame.alloc(plan.spec.valueSize);
    zeroMemory(this.b, 'fp', initial, plan.spec.valueSize);
    this.b.emit({ op: 'addr', dst: value, off: initial });
    this.b.mov(cold, imm(1));
    this.b.place(have);
    update(value);
    this.b.jcond('jeq', cold, imm(0), done);
    this.updateMap(plan, key, initial, BPF_ANY);
    this.b.place(done);
  }

  /** Pointer to a (non-aggregation) map value for the key, or 0 when absent. */
  private mapValuePointer(m: MapRef): VReg {
    const plan = this.mapPlan(m.name);
    const key = this.buildKey(m, plan);
    return this.b.call(Helper.map_lookup_elem, [reg(this.b.ldmap(plan.spec.name)), reg(this.b.addr(key))])!;
  }

  // ----------------------------------------------------------------------------------- expressions

  private constant(c: bigint): Operand {
    const v = BigInt.asIntN(64, c);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) return imm(Number(v));
    const r = this.b.reg();
    this.b.emit({ op: 'ldimm64', dst: r, value: v });
    return reg(r);
  }

  private intUncached(e: Expr): Operand {
    switch (e.kind) {
      case 'Ident': {
        const v = this.cx.registry.variables.get(e.name)!;
        if (!v.lower) throw new Error(`builtin ${e.name} has no integer value`);
        return v.lower(this, e.span);
      }
      case 'Var':
        return reg(this.readIntVar(this.ut.varOf.get(e)!));
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
        if (!fn.lower) throw new Error(`function ${e.callee} has no integer value`);
        return fn.lower(e, this);
      }
      case 'Unary': {
        if (e.op === '!') return this.boolean(e);
        if (e.op === '*') return reg(this.readPointee(e));
        if (e.op === '&') {
          if (e.operand.kind === 'Unary' && e.operand.op === '*') return this.int(e.operand.operand);
          const at = this.memberAddress(e.operand);
          return reg(this.pointer(at.base, at.off));
        }
        const r = this.b.reg();
        this.b.mov(r, this.int(e.operand));
        if (e.op === '-') this.b.emit({ op: 'neg', dst: r });
        else this.b.alu('xor', r, imm(-1));
        return reg(r);
      }
      case 'Binary':
        return this.binary(e);
      case 'Ternary': {
        const out = this.b.reg();
        const otherwise = this.b.label('telse');
        const done = this.b.label('tend');
        this.branchUnless(e.cond, otherwise);
        this.b.mov(out, this.int(e.then));
        this.b.jmp(done);
        this.b.place(otherwise);
        this.b.mov(out, this.int(e.else));
        this.b.place(done);
        return reg(out);
      }
      case 'Cast': {
        const t = this.typeOf(e);
        if (t.kind !== 'int') throw new Error('integer cast expected');
        const r = this.b.reg();
        if (isBool(t)) {
          // (bool)x is x != 0, as in C; truncating would make (bool)256 false.
          const value = this.intReg(e.expr);
          const done = this.b.label('bool');
          this.b.mov(r, imm(0));
          this.b.jcond('jeq', value, imm(0), done);
          this.b.mov(r, imm(1));
          this.b.place(done);
          return reg(r);
        }
        this.b.mov(r, this.int(e.expr));
        this.truncate(r, t.size, t.signed);
        return reg(r);
      }
      case 'IncDec':
        return this.incDec(e, true);
      case 'Sizeof': {
        if (e.type) {
          const int = INT_TYPES[e.type.name];
          return imm(e.type.arrayLen !== undefined ? e.type.arrayLen * (int?.kind === 'int' ? int.size : 1) : int?.kind === 'int' ? int.size : this.cx.options.maxStrlen);
        }
        const t = this.typeOf(e.expr!);
        return imm(t.kind === 'int' ? t.size : storageSize(t));
      }
      case 'Index':
        return reg(this.readIndex(e));
      case 'Field': {
        const field = this.argsField(e);
        if (field) return reg(this.argsInt(field));
        const member = this.ut.members.get(e);
        if (member) return reg(this.readMember(e, member));
        // A tuple element.
        const tuple = this.typeOf(e.object);
        if (tuple.kind !== 'tuple') throw new Error('field of a non-tuple');
        const at = this.materialize(e.object);
        return reg(this.b.load(8, at.base, at.off + tuple.offsets[Number(e.field)]!));
      }
      default:
        throw new Error(`${e.kind} is not an integer expression`);
    }
  }

  /** Keep the low `size` bytes, sign- or zero-extending back to 64 bits. */
  private truncate(r: VReg, size: number, signed: boolean): void {
    if (size === 8) return;
    if (signed) {
      const shift = 64 - size * 8;
      this.b.alu('lsh', r, imm(shift));
      this.b.alu('arsh', r, imm(shift));
    } else if (size === 4) {
      this.b.emit({ op: 'mov', dst: r, src: reg(r), w32: true });
    } else {
      this.b.alu('and', r, imm(size === 2 ? 0xffff : 0xff));
    }
  }

  private binary(e: Binary): Operand {
    switch (e.op) {
      case '==': case '!=': case '<': case '<=': case '>': case '>=': case '&&': case '||':
        return this.boolean(e);
    }
    const lt = this.typeOf(e.left);
    const rt = this.typeOf(e.right);
    if (isPointer(lt) || isPointer(rt)) {
      // `p + n`, `n + p`, `p - n`: the integer counts elements.
      const pointerLeft = isPointer(lt);
      const scale = elementSize((pointerLeft ? lt : rt as Type & { kind: 'int'; pointee: Type }).pointee as Type) ?? 1;
      const l = pointerLeft ? this.int(e.left) : this.scaled(this.int(e.left), scale);
      const r = pointerLeft ? this.scaled(this.int(e.right), scale) : this.int(e.right);
      return this.arith(e.op, l, r, lt, rt);
    }
    return this.arith(e.op, this.int(e.left), this.int(e.right), lt, rt);
  }

  /** An element count times the element size, for pointer arithmetic. */
  private scaled(n: Operand, size: number): Operand {
    if (size === 1) return n;
    if ('imm' in n) return this.constant(BigInt(n.imm) * BigInt(size));
    const r = this.b.reg();
    this.b.mov(r, n);
    this.b.alu('mul', r, imm(size));
    return reg(r);
  }

  /** How far `++`, `+= 1` move a value of this type: an element for a pointer, 1 for an integer. */
  private step(t: Type): number {
    return isPointer(t) ? elementSize(t.pointee) ?? 1 : 1;
  }

  /** `a op b` on integers, with C's signedness: signed division truncates toward zero. */
  private arith(op: string, l: Operand, r: Operand, lt: Type, rt: Type): Operand {
    if ('imm' in l && 'imm' in r) {
      const folded = fold(op, BigInt(l.imm), BigInt(r.imm));
      if (folded !== undefined) return this.constant(folded);
    }
    const signed = lt.kind === 'int' && rt.kind === 'int' && arithmeticResult(lt, rt).signed;
    const out = this.b.reg();
    this.b.mov(out, l);
    if ((op === '/' || op === '%') && signed) {
      // Operands that cannot be negative need no sign fixing: non-negative constants, and unsigned
      // values narrower than 64 bits (kept zero-extended in their registers).
      const nonNegative = (o: Operand, t: Type) => ('imm' in o ? o.imm >= 0 : t.kind === 'int' && !t.signed && t.size < 8);
      const divisorPositive = 'imm' in r && r.imm > 0;
      if (!(nonNegative(l, lt) && divisorPositive)) {
        this.signedDivide(op, out, r, divisorPositive);
        return reg(out);
      }
    }
    const alu = ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '&': 'and', '|': 'or', '^': 'xor', '<<': 'lsh', '>>': signed ? 'arsh' : 'rsh' } as const)[op as '+'];
    // An immediate shift outside 0..63 (a value known only here, like cpid) is refused by the verifier;
    // through a register it is a plain shift. Likewise an immediate divisor of 0.
    if ('imm' in r && (((op === '<<' || op === '>>') && (r.imm < 0 || r.imm > 63)) || ((op === '/' || op === '%') && r.imm === 0))) {
      const amount = this.b.reg();
      this.b.mov(amount, r);
      this.b.alu(alu, out, reg(amount));
      return reg(out);
    }
    this.b.alu(alu, out, r);
    return reg(out);
  }

  /**
   * eBPF's div/mod are unsigned (sdiv needs cpu v4). Divide magnitudes and fix the sign: the quotient
   * is negative when the signs differ, the remainder takes the dividend's sign (C semantics); x/0 is 0
   * and x%0 is x, as eBPF defines them.
   */
  private signedDivide(op: string, out: VReg, divisor: Operand, divisorPositive: boolean): void {
    const negDividend = this.b.reg();
    this.b.mov(negDividend, imm(0));
    const a = this.b.label('sdivA');
    this.b.jcond('jsge', out, imm(0), a);
    this.b.emit({ op: 'neg', dst: out });
    this.b.mov(negDividend, imm(1));
    this.b.place(a);
    if (divisorPositive) {
      // A positive constant divisor: only the dividend's sign matters.
      this.b.alu(op === '/' ? 'div' : 'mod', out, divisor);
      const done = this.b.label('sdivC');
      this.b.jcond('jeq', negDividend, imm(0), done);
      this.b.emit({ op: 'neg', dst: out });
      this.b.place(done);
      return;
    }
    const d = this.b.reg();
    this.b.mov(d, divisor);
    const negDivisor = this.b.reg();
    this.b.mov(negDivisor, imm(0));
    const b = this.b.label('sdivB');
    this.b.jcond('jsge', d, imm(0), b);
    this.b.emit({ op: 'neg', dst: d });
    this.b.mov(negDivisor, imm(1));
    this.b.place(b);
    this.b.alu(op === '/' ? 'div' : 'mod', out, reg(d));
    const sign = this.b.reg();
    this.b.mov(sign, reg(negDividend));
    if (op === '/') this.b.alu('xor', sign, reg(negDivisor));
    const done = this.b.label('sdivC');
    this.b.jcond('jeq', sign, imm(0), done);
    this.b.emit({ op: 'neg', dst: out });
    this.b.place(done);
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
    const c = this.constantOf(e);
    if (c !== undefined) {
      if (c === 0n) this.b.jmp(target);
      return;
    }
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
      if ((e.op === '==' || e.op === '!=') && this.typeOf(e.left).kind !== 'int') {
        this.compareMemory(e, target);
        return;
      }
      const cond = this.comparison(e);
      if (cond) {
        let a = this.int(e.left);
        let b = this.int(e.right);
        let c2 = cond;
        if ('imm' in a && !('imm' in b)) {
          [a, b] = [b, a];
          c2 = swapCond[c2];
        }
        const left = 'reg' in a ? a.reg : this.intReg(e.left);
        this.b.jcond(negateCond[c2], left, b, target);
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

  /**
   * String (and tuple) equality: both sides are written NUL-padded into stack buffers of the same size,
   * then compared a word at a time.
   */
  private compareMemory(e: Binary, target: Label): void {
    const size = Math.ceil(Math.max(storageSize(this.typeOf(e.left)), storageSize(this.typeOf(e.right))) / 8) * 8;
    const a = this.b.frame.alloc(size);
    const b = this.b.frame.alloc(size);
    this.writeInto(e.left, 'fp', a, size);
    this.writeInto(e.right, 'fp', b, size);
    const differ = e.op === '==' ? target : this.b.label('differ');
    for (let at = 0; at < size; at += 8) {
      const x = this.b.load(8, 'fp', a + at);
      const y = this.b.load(8, 'fp', b + at);
      this.b.jcond('jne', x, reg(y), differ);
    }
    if (e.op === '!=') {
      this.b.jmp(target);
      this.b.place(differ);
    }
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

  /**
   * Where a struct member is: a base plus a constant offset, and its address space. `.` adds offsets
   * without reading; `->` (and `*p`) read the pointer first. A struct that is a copy (a variable, a map
   * value) is on the stack: its members are loaded directly ('local').
   */
  private memberAddress(e: Expr): MemoryAddress {
    if (e.kind === 'Unary' && e.op === '*') return this.pointerAddress(e.operand);
    if (e.kind !== 'Field' || !this.ut.members.get(e)) {
      const at = this.materialize(e);
      return { base: at.base, off: at.off, space: 'local' };
    }
    const m = this.ut.members.get(e)!;
    // `p->f`, and `p.f` on a pointer: read through it.
    if (e.arrow || isPointer(this.typeOf(e.object))) {
      const at = this.pointerAddress(e.object);
      return { ...at, off: m.offset };
    }
    const inner = this.memberAddress(e.object);
    return { ...inner, off: inner.off + m.offset };
  }

  /** What a typed pointer points to: its value in a register, in the pointer's address space. */
  private pointerAddress(p: Expr): MemoryAddress {
    const t = this.typeOf(p);
    return { base: this.intReg(p), off: 0, space: t.kind === 'int' && t.user === true ? 'user' : 'kernel' };
  }

  /** Read `size` bytes (1, 2, 4 or 8) of memory into a register, zero-extended (0 if unreadable). */
  private readMemory(base: Base, off: number, size: 1 | 2 | 4 | 8, space: AddressSpace): VReg {
    // The verifier refuses misaligned stack loads (a packed struct, a bitfield's bytes): those go
    // through the helper, which copies from any address.
    if (space === 'local' && off % size === 0) return this.b.load(size, base, off);
    const slot = this.b.frame.alloc(8);
    const helper = space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel;
    this.b.call(helper, [reg(this.pointer('fp', slot)), imm(size), reg(this.pointer(base, off))], false);
    return this.b.load(size, 'fp', slot);
  }

  /**
   * Copy `n` bytes from memory into `base + off` and zero the rest up to `size`: probe_read (or its
   * `_str` form for strings, which stops at the NUL) from kernel or user memory, loads and stores from
   * the stack. A failed read leaves zeros (the helpers clear the destination).
   */
  private copyFrom(at: MemoryAddress, n: number, base: Base, off: number, size: number, string: boolean): void {
    if (at.space === 'local') {
      copyMemory(this.b, { base: at.base, off: at.off }, { base, off }, n, size);
      return;
    }
    // The _str helpers stop at the NUL and leave the rest: zero it first so strings stay NUL-padded.
    if (string) zeroMemory(this.b, base, off, size);
    else if (size > n) zeroMemory(this.b, base, off + n, size - n);
    const helper = string
      ? (at.space === 'user' ? Helper.probe_read_user_str : Helper.probe_read_kernel_str)
      : (at.space === 'user' ? Helper.probe_read_user : Helper.probe_read_kernel);
    this.b.call(helper, [reg(this.pointer(base, off)), imm(n), reg(this.pointer(at.base, at.off))], false);
  }

  /** `*p` for a pointer to an integer (or to another pointer): one read of its size. */
  private readPointee(e: Expr & { kind: 'Unary' }): VReg {
    const t = this.typeOf(e);
    if (t.kind !== 'int') throw new Error('integer pointee expected');
    const at = this.pointerAddress(e.operand);
    const r = this.readMemory(at.base, at.off, t.size, at.space);
    if (t.signed && t.size < 8) this.truncate(r, t.size, true);
    return r;
  }

  private readMember(e: Expr, m: KernelMember): VReg {
    const t = this.typeOf(e);
    if (t.kind !== 'int') throw new Error('integer member expected');
    const at = this.memberAddress(e);
    if (m.bitSize === 0) {
      const r = this.readMemory(at.base, at.off, t.size, at.space);
      if (t.signed && t.size < 8) this.truncate(r, t.size, true);
      return r;
    }
    // A bitfield: read the bytes that hold it, shift it down, mask it.
    const shift = m.bitOffset - m.offset * 8;
    const bytes = Math.ceil((shift + m.bitSize) / 8);
    const size = bytes <= 1 ? 1 : bytes <= 2 ? 2 : bytes <= 4 ? 4 : 8;
    const r = this.readMemory(at.base, at.off, size, at.space);
    if (shift > 0) this.b.alu('rsh', r, imm(shift));
    if (m.bitSize < 32) this.b.alu('and', r, imm((1 << m.bitSize) - 1));
    else if (m.bitSize < 64) {
      const mask = this.b.reg();
      this.b.emit({ op: 'ldimm64', dst: mask, value: (1n << BigInt(m.bitSize)) - 1n });
      this.b.alu('and', r, reg(mask));
    }
    if (t.signed) this.truncate(r, 8, true);
    return r;
  }

  /** `a[i]`: an element of an array (tracepoint field or struct member) or of memory a pointer points to. */
  private readIndex(e: Expr & { kind: 'Index' }): VReg {
    const t = this.typeOf(e);
    if (t.kind !== 'int') throw new Error('integer element expected');
    const objType = this.typeOf(e.object);
    const index = this.constantOf(e.index);
    const field = this.argsField(e.object);
    if (field && index !== undefined) {
      // Straight from the context, as the verifier allows for constant offsets.
      const r = this.b.load(t.size, this.ctx(), field.offset + Number(index) * t.size);
      if (t.signed && t.size < 8) this.truncate(r, t.size, true);
      return r;
    }
    let at: MemoryAddress;
    if (field) at = { base: this.ctx(), off: field.offset, space: 'kernel' };
    else if (objType.kind === 'array') at = this.memberAddress(e.object);
    else at = this.pointerAddress(e.object);
    if (at.space === 'local') {
      // An array copied to the stack: a constant index loads straight; a variable one (the verifier
      // wants stack offsets it can bound) reads through probe_read_kernel from the stack address.
      if (index !== undefined) {
        const r = this.b.load(t.size, at.base, at.off + Number(index) * t.size);
        if (t.signed && t.size < 8) this.truncate(r, t.size, true);
        return r;
      }
      at = { ...at, space: 'kernel' };
    }
    const address = this.pointer(at.base, at.off);
    if (index !== undefined) this.b.alu('add', address, imm(Number(index) * t.size));
    else {
      const scaled = this.b.reg();
      this.b.mov(scaled, this.int(e.index));
      if (t.size > 1) this.b.alu('mul', scaled, imm(t.size));
      this.b.alu('add', address, reg(scaled));
    }
    const r = this.readMemory(address, 0, t.size, at.space);
    if (t.signed && t.size < 8) this.truncate(r, t.size, true);
    return r;
  }

  /** Where a string or tuple value is in memory: its variable's slot, or a fresh slot written now. */
  private materialize(e: Expr): { base: Base; off: number } {
    if (e.kind === 'Var') {
      const v = this.ut.varOf.get(e)!;
      if (!('reg' in this.storageOf(v))) return this.varAddress(v);
    }
    const size = storageSize(this.typeOf(e));
    const slot = this.b.frame.alloc(size);
    this.writeInto(e, 'fp', slot, size);
    return { base: 'fp', off: slot };
  }

  private writeIntoUncached(e: Expr, base: Base, off: number, size: number, padded: boolean): void {
    const t = this.typeOf(e);
    if (t.kind === 'int') {
      this.b.store(8, base, off, this.int(e));
      return;
    }
    switch (e.kind) {
      case 'Str':
        writeBytes(this.b, literalBytes(e.value), base, off, size);
        return;
      case 'Ident': {
        if (t.kind === 'record') {
          // `print(args)`: every field, each where the record's storage layout puts it (zeroed first,
          // padding included, so its strings need no zeroing of their own).
          const { offsets } = recordStorage(t);
          zeroMemory(this.b, base, off, size);
          t.fields.forEach((f, i) => this.writeArgsField(this.argsFieldOf(f), base, off + offsets[i]!, storageSize(f.type), false));
          return;
        }
        const v = this.cx.registry.variables.get(e.name)!;
        if (!v.lowerInto) throw new Error(`builtin ${e.name} cannot be written to memory`);
        v.lowerInto(this, base, off, size, padded);
        return;
      }
      case 'Var': {
        const v = this.ut.varOf.get(e)!;
        const s = this.storageOf(v);
        if ('reg' in s) throw new Error(`variable ${e.name} has no memory`);
        copyMemory(this.b, this.varAddress(v), { base, off }, Math.min(size, s.size), size);
        return;
      }
      case 'Map': {
        const value = this.mapValuePointer(e);
        const done = this.b.label('memdone');
        const found = this.b.label('memfound');
        this.b.jcond('jne', value, imm(0), found);
        zeroMemory(this.b, base, off, size);
        this.b.jmp(done);
        this.b.place(found);
        const plan = this.mapPlan(e.name);
        copyMemory(this.b, { base: value, off: 0 }, { base, off }, Math.min(size, plan.spec.valueSize), size);
        this.b.place(done);
        return;
      }
      case 'Tuple': {
        if (t.kind !== 'tuple') throw new Error('tuple type expected');
        // Padding between elements is zeroed: tuples are compared and hashed as raw bytes.
        if (padded) zeroMemory(this.b, base, off, size);
        e.elems.forEach((x, i) => this.writeInto(x, base, off + t.offsets[i]!, storageSize(t.elems[i]!), padded));
        return;
      }
      case 'Ternary': {
        const otherwise = this.b.label('telse');
        const done = this.b.label('tend');
        this.branchUnless(e.cond, otherwise);
        this.writeInto(e.then, base, off, size, padded);
        this.b.jmp(done);
        this.b.place(otherwise);
        this.writeInto(e.else, base, off, size, padded);
        this.b.place(done);
        return;
      }
      case 'Field': {
        const member = this.ut.members.get(e);
        if (member) {
          // A char[N], an integer array or a struct inside a struct.
          this.copyFrom(this.memberAddress(e), Math.min(size, storageSize(t)), base, off, size, t.kind === 'string');
          return;
        }
        const field = this.argsField(e);
        if (field) {
          this.writeArgsField(field, base, off, size, padded);
          return;
        }
        const tuple = this.typeOf(e.object);
        if (tuple.kind !== 'tuple') throw new Error('field of a non-tuple');
        const at = this.materialize(e.object);
        const i = Number(e.field);
        copyMemory(this.b, { base: at.base, off: at.off + tuple.offsets[i]! }, { base, off }, Math.min(size, storageSize(tuple.elems[i]!)), size);
        return;
      }
      case 'Call': {
        const fn = this.cx.registry.functions.get(e.callee)!;
        if (!fn.lowerInto) throw new Error(`function ${e.callee} cannot be written to memory`);
        fn.lowerInto(e, this, base, off, size, padded);
        return;
      }
      case 'Unary': {
        if (e.op !== '*') throw new Error(`cannot write ${e.op} of a non-integer to memory`);
        // `*p` for a struct or an array: one read of all of it, straight into place.
        this.copyFrom(this.pointerAddress(e.operand), Math.min(size, storageSize(t)), base, off, size, t.kind === 'string');
        return;
      }
      default:
        throw new Error(`cannot write ${e.kind} to memory`);
    }
  }

  private argsField(e: Expr): ArgsField | undefined {
    if (e.kind !== 'Field' || e.object.kind !== 'Ident' || e.object.name !== 'args') return undefined;
    const f = this.probe.args?.fields.find((x) => x.name === e.field);
    return f ? this.argsFieldOf(f) : undefined;
  }

  private argsFieldOf(f: RecordField): ArgsField {
    return { offset: f.offset, size: f.type.kind === 'int' ? f.type.size : storageSize(f.type), type: f.type, wholeSlot: f.wholeSlot === true, dataLoc: f.dataLoc === true };
  }

  /** An integer field of `args`, read straight from the context. */
  private argsInt(field: ArgsField): VReg {
    const t = field.type;
    if (t.kind !== 'int') throw new Error('integer field expected');
    // An fentry argument is a whole u64 slot, whose upper bits the caller may not have cleared.
    const r = this.b.load(field.wholeSlot ? 8 : t.size, this.ctx(), field.offset);
    if (field.wholeSlot || (t.signed && t.size < 8)) this.truncate(r, t.size, t.signed);
    return r;
  }

  /** A field of `args` written to memory: integers as 8 bytes, strings and arrays copied out of the context. */
  private writeArgsField(field: ArgsField, base: Base, off: number, size: number, padded: boolean): void {
    if (field.type.kind === 'int') {
      this.b.store(8, base, off, reg(this.argsInt(field)));
      return;
    }
    if (field.dataLoc) {
      // `__data_loc char[]`: the field says where in the record the text is (low 16 bits).
      const loc = this.b.load(4, this.ctx(), field.offset);
      this.b.alu('and', loc, imm(0xffff));
      const src = this.b.reg();
      this.b.mov(src, reg(this.ctx()));
      this.b.alu('add', src, reg(loc));
      if (padded) zeroMemory(this.b, base, off, size);
      this.b.call(Helper.probe_read_kernel_str, [reg(this.pointer(base, off)), imm(Math.min(size, field.size)), reg(src)], false);
      return;
    }
    // A char[N] or an array in the tracepoint record: copy it out of the context.
    const n = Math.min(size, field.size);
    this.b.call(Helper.probe_read_kernel, [reg(this.pointer(base, off)), imm(n), reg(this.pointer(this.ctx(), field.offset))], false);
    if (size > n) zeroMemory(this.b, base, off + n, size - n);
  }
}

const comparisons: Partial<Record<Binary['op'], [unsigned: CondName, signed: CondName]>> = {
  '==': ['jeq', 'jeq'], '!=': ['jne', 'jne'], '<': ['jlt', 'jslt'], '<=': ['jle', 'jsle'],
  '>': ['jgt', 'jsgt'], '>=': ['jge', 'jsge'],
};

const swapCond: Record<CondName, CondName> = {
  jeq: 'jeq', jne: 'jne', jgt: 'jlt', jlt: 'jgt', jge: 'jle', jle: 'jge',
  jsgt: 'jslt', jslt: 'jsgt', jsge: 'jsle', jsle: 'jsge', jset: 'jset',
};

export type { VarSite };
