// Type checking: the type of every expression in every probe unit, the variable each `$name` refers
// to (block-scoped with `let`, probe-scoped otherwise, as in bpftrace), the key and value types of every
// map (unified across the whole script), and the errors a user should see before anything is loaded.
// Maps may be read in one probe and written in another, so the script is walked twice: the first walk
// only learns map types from assignments, the second checks everything.

import { literalBytes } from '../../grammar/literals.ts';
import type {
  AssignStmt, Call, Expr, ForMapStmt, ForRangeStmt, IncDec, LetStmt, MapRef, Stmt, TypeExpr, VarRef,
} from '../../grammar/ast.ts';
import { type Diagnostic, error, warning } from '../../grammar/diagnostics.ts';
import type { Span } from '../../grammar/source.ts';
import type { CompileContext } from '../context.ts';
import type { Checker, ConcreteProbe } from '../registry.ts';
import type { KernelInfo } from '../kernel-info.ts';
import { didYouMean } from '../suggest.ts';
import { INT_TYPES, type Type, boolType, isBool, arithmeticResult, elementSize, isPointer, s64, storageSize, tupleOf, typeName, u64, voidType } from '../types/types.ts';
import { fromKernel } from '../types/from-kernel.ts';
import type { KernelMember, KernelTypes } from '../types/kernel-types.ts';
import { constantValue } from './constants.ts';
import type { ProbeUnit } from './resolve.ts';

export interface MapInfo {
  name: string;
  /** Key part types (integers normalized to 64 bits); empty for a scalar map. */
  keys: Type[];
  value: Type;
  span: Span;
}

/** One scratch variable. Several `$x` in one probe may be different variables (block scopes). */
export interface VarInfo {
  name: string;
  id: number;
  type: Type | undefined;
  span: Span;
  /** Read somewhere (for the unused-variable warning). */
  read?: boolean;
  /** A loop counter: never warned about. */
  loop?: boolean;
  /** The `for ($kv : @map)` whose body declares it (it lives in that loop's callback); absent: the probe. */
  owner?: ForMapStmt;
}

export type VarSite = VarRef | LetStmt | ForRangeStmt | ForMapStmt;

export interface UnitTypes {
  unit: ProbeUnit;
  types: Map<Expr, Type>;
  /** Kernel struct members that `->` / `.` expressions read. */
  members: Map<Expr, KernelMember>;
  /** Values known at compile time that only the checker can compute (sizeof/offsetof of kernel types). */
  constants: Map<Expr, bigint>;
  /** The variable each `$name` use, `let` and `for` refers to. */
  varOf: Map<VarSite, VarInfo>;
  vars: VarInfo[];
  /**
   * Per `for ($kv : @map)`: the variables of enclosing scopes its body (nested loops included) reads or
   * writes. The body is a callback with its own stack frame, so these are reached through pointers.
   */
  captures: Map<ForMapStmt, VarInfo[]>;
  /**
   * Captured variables some loop body writes. They live in a per-CPU scratch map rather than on the
   * stack: the verifier walks a callback once per possible iteration while a variable it changes has a
   * value it tracks (a counter), but it does not track what is in map memory.
   */
  writtenInLoops: Set<VarInfo>;
}

export interface Typed {
  units: UnitTypes[];
  maps: Map<string, MapInfo>;
}

export function typecheck(units: ProbeUnit[], cx: CompileContext): Typed {
  const maps = new Map<string, MapInfo>();
  // First walk: learn map types; its diagnostics are dropped (the second walk reports them in order).
  for (const unit of units) new UnitChecker(unit, cx, maps, [], true).check();
  const result: UnitTypes[] = [];
  for (const unit of units) {
    const checker = new UnitChecker(unit, cx, maps, cx.diagnostics);
    checker.check();
    result.push({
      unit, types: checker.types, varOf: checker.varOf, vars: checker.vars, members: checker.members, constants: checker.constants,
      captures: checker.captures, writtenInLoops: checker.writtenInLoops,
    });
  }
  return { units: result, maps };
}

const ERROR: Type = { kind: 'void' };
const MAX_UNROLL_COPIES = 1000;
/** The largest struct or array a variable or map value may hold: they live on the 512-byte BPF stack. */
const MAX_STORED_BYTES = 256;
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||']);
/** Values that can be map keys besides integers: they are compared and hashed as their bytes. */
const KEY_KINDS = new Set<Type['kind']>(['string', 'tuple', 'inet', 'stack', 'symbol', 'buffer', 'username', 'timestamp']);

/** An integer as variables, map values and keys keep it: 64 bits wide, sign and enum kept. */
function storedInt(t: Type & { kind: 'int' }): Type {
  return { ...(t.signed ? s64 : u64), ...(t.enum ? { enum: t.enum } : {}) };
}

/**
 * The pointer expression a field chain reads through (`$sk` in `$sk->a.b` and `$sk.a.b`, `$p` in
 * `(*$p).a`), or undefined when the struct is a copy (a variable or map value), which has no address a
 * probe can use.
 */
function addressBase(e: Expr, typeOf: (e: Expr) => Type): Expr | undefined {
  let at = e;
  while (at.kind === 'Field' && !at.arrow && !isPointer(typeOf(at.object))) at = at.object;
  if (at.kind === 'Field') return at.object;
  if (at.kind === 'Unary' && at.op === '*') return at.operand;
  return undefined;
}

class UnitChecker implements Checker {
  readonly types = new Map<Expr, Type>();
  readonly members = new Map<Expr, KernelMember>();
  readonly constants = new Map<Expr, bigint>();
  readonly varOf = new Map<VarSite, VarInfo>();
  readonly vars: VarInfo[] = [];
  readonly captures = new Map<ForMapStmt, VarInfo[]>();
  readonly writtenInLoops = new Set<VarInfo>();
  readonly probe: ConcreteProbe;
  private readonly scopes: Map<string, VarInfo>[] = [new Map()];
  /** The function each scope belongs to: a `for ($kv : @map)` body, or undefined for the probe itself. */
  private readonly scopeOwners: (ForMapStmt | undefined)[] = [undefined];
  /** The `for ($kv : @map)` bodies being checked, innermost last. */
  private readonly functions: ForMapStmt[] = [];
  private loopDepth = 0;
  private unrollCopies = 1;

  constructor(
    private readonly unit: ProbeUnit,
    readonly cx: CompileContext,
    private readonly maps: Map<string, MapInfo>,
    private readonly diagnostics: Diagnostic[],
    /** The first walk: only learning map types, so a map read before its assignment (`@n = @n + 1`) reads as an integer. */
    private readonly learning = false,
  ) {
    this.probe = unit.probe;
  }

  error(message: string, span: Span, hint?: string): void {
    // The same block compiled for several probes must not repeat identical errors.
    if (this.diagnostics.some((d) => d.span.start === span.start && d.span.end === span.end && d.message === message)) return;
    this.diagnostics.push(error(message, span, hint));
  }

  typeOf(e: Expr): Type {
    return this.types.get(e) ?? ERROR;
  }

  unsafe(): boolean {
    return this.cx.options.unsafe === true;
  }

  get kernel(): KernelInfo {
    return this.cx.kernel;
  }

  kernelSymbol(name: string): bigint | undefined {
    return this.cx.kernel.kernelSymbol?.(name);
  }

  positional(index: number): string | undefined {
    return this.cx.options.positional[index - 1];
  }

  maxStrlen(): number {
    return this.cx.options.maxStrlen;
  }

  warn(message: string, span: Span, hint?: string): void {
    if (this.diagnostics.some((d) => d.span.start === span.start && d.message === message)) return;
    this.diagnostics.push(warning(message, span, hint));
  }

  constantOf(e: Expr): bigint | undefined {
    return constantValue(e, this.cx.options.positional, (x) => this.typeOf(x), this.constants);
  }

  check(): void {
    const { filter, body, span } = this.unit.block;
    if (filter) this.expectInt(filter, 'a filter');
    this.statements(body);
    if (body.length === 0) this.warn('this probe does nothing', span, 'an empty probe still costs an attach; remove it');
    for (const v of this.vars) {
      if (!v.read && !v.loop) this.warn(`\`${v.name}\` is assigned but never used`, v.span);
    }
  }


  // ------------------------------------------------------------------------------------ statements

  private block(stmts: Stmt[]): void {
    this.pushScope();
    this.statements(stmts);
    this.popScope();
  }

  private pushScope(): void {
    this.scopes.push(new Map());
    this.scopeOwners.push(this.functions[this.functions.length - 1]);
  }

  private popScope(): void {
    this.scopes.pop();
    this.scopeOwners.pop();
  }

  private statements(stmts: Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case 'Assign':
        this.assign(s);
        return;
      case 'Let':
        this.letStmt(s);
        return;
      case 'ExprStmt': {
        const e = s.expr;
        if (e.kind === 'Call') {
          const fn = this.cx.registry.functions.get(e.callee);
          if (fn?.role === 'aggregation') {
            this.error(`\`${e.callee}()\` must be assigned to a map`, e.span, `write \`@name = ${e.callee}(...)\``);
            return;
          }
          this.types.set(e, this.call(e, true));
        } else if (e.kind === 'Ternary' && this.statementTernary(e)) {
          return;
        } else {
          this.expr(e);
        }
        return;
      }
      case 'If':
        this.expectInt(s.cond, 'an `if` condition');
        this.block(s.then);
        if (s.else) this.block(s.else);
        return;
      case 'While':
        this.expectInt(s.cond, 'a `while` condition');
        this.loop(s.body);
        return;
      case 'ForRange': {
        this.expectInt(s.from, 'a range start');
        this.expectInt(s.to, 'a range end');
        this.pushScope();
        const v = this.declare(s.var, s64, s.span);
        v.loop = true;
        this.varOf.set(s, v);
        this.loop(s.body);
        this.popScope();
        return;
      }
      case 'ForMap': {
        // The body becomes a callback (its own function): variables declared in it belong to it.
        const pair = this.forMapPair(s);
        this.functions.push(s);
        this.pushScope();
        const v = this.declare(s.var, pair, s.span);
        v.loop = true;
        this.varOf.set(s, v);
        this.loop(s.body);
        this.popScope();
        this.functions.pop();
        return;
      }
      case 'Unroll': {
        this.expectInt(s.count, 'an unroll count');
        const n = this.constantOf(s.count);
        if (n === undefined || n < 1n || n > 100n) {
          this.error('`unroll` needs a constant count from 1 to 100', s.count.span);
          return;
        }
        // Nested unrolls multiply: bound the copies of the innermost body.
        if (this.unrollCopies * Number(n) > MAX_UNROLL_COPIES) {
          this.error(`nested unrolls would copy this body more than ${MAX_UNROLL_COPIES} times`, s.span, 'use a while or for loop');
          return;
        }
        this.unrollCopies *= Number(n);
        this.block(s.body);
        this.unrollCopies /= Number(n);
        return;
      }
      case 'Jump':
        if (s.jump !== 'return' && this.loopDepth === 0) this.error(`\`${s.jump}\` outside a loop`, s.span);
        return;
      case 'Block':
        this.block(s.body);
        return;
    }
  }

  /**
   * `c ? printf("a") : exit()` as a statement: branches that are statements (calls with no value)
   * run like `if (c) ... else ...` (bpftrace allows it). False when the branches are values: the
   * ternary is then checked as an expression.
   */
  private statementTernary(e: Expr & { kind: 'Ternary' }): boolean {
    const isStatement = (x: Expr): boolean =>
      (x.kind === 'Call' && this.cx.registry.functions.get(x.callee)?.role === 'statement') || (x.kind === 'Ternary' && isStatement(x.then) && isStatement(x.else));
    if (!isStatement(e.then) && !isStatement(e.else)) return false;
    this.expectInt(e.cond, 'a condition');
    for (const branch of [e.then, e.else]) {
      if (!isStatement(branch)) {
        this.expr(branch);
        this.error('a branch with a value next to a branch without one (like printf)', branch.span,
          'make both branches statements, or write an if/else');
        continue;
      }
      if (branch.kind === 'Ternary') this.statementTernary(branch);
      else this.types.set(branch, this.call(branch as Call, true));
    }
    this.types.set(e, voidType);
    return true;
  }

  private loop(body: Stmt[]): void {
    this.loopDepth++;
    this.block(body);
    this.loopDepth--;
  }

  private letStmt(s: LetStmt): void {
    const current = this.scopes[this.scopes.length - 1]!;
    if (current.has(s.name)) {
      this.error(`\`${s.name}\` is already declared in this block`, s.span);
      return;
    }
    let type: Type | undefined;
    if (s.type) type = this.typeFromExpr(s.type);
    if (s.value) {
      const value = this.storable(this.expr(s.value), s.value);
      if (value === ERROR) return;
      if (type && !this.assignable(type, value)) {
        this.error(`\`${s.name}\` is declared ${typeName(type)}; cannot assign ${typeName(value)}`, s.value.span);
        return;
      }
      type ??= value;
    }
    const v = this.declare(s.name, type, s.span);
    this.varOf.set(s, v);
  }

  private declare(name: string, type: Type | undefined, span: Span, scope = this.scopes[this.scopes.length - 1]!): VarInfo {
    const owner = this.scopeOwners[this.scopes.indexOf(scope)];
    const v: VarInfo = { name, id: this.vars.length, type: type && { ...type }, span, ...(owner ? { owner } : {}) };
    this.vars.push(v);
    scope.set(name, v);
    return v;
  }

  /** `v` is used here: every loop callback between here and where `v` lives must reach it through a pointer. */
  private use(v: VarInfo, write = false): void {
    for (let i = this.functions.length - 1; i >= 0 && this.functions[i] !== v.owner; i--) {
      const f = this.functions[i]!;
      const list = this.captures.get(f) ?? [];
      if (!list.includes(v)) list.push(v);
      this.captures.set(f, list);
      if (write) this.writtenInLoops.add(v);
    }
  }

  /**
   * The type of `$kv` in `for ($kv : @map)`: (key, value), the key a tuple when the map has several.
   * Per-CPU count/sum/min/max values are summed up over the CPUs in the loop, as bpftrace does; the
   * other aggregations have no single value to give.
   */
  private forMapPair(s: ForMapStmt): Type | undefined {
    const info = this.maps.get(s.map.name);
    if (!info) {
      if (!this.learning) this.error(`\`${s.map.name}\` is iterated but never assigned`, s.map.span, didYouMean(s.map.name, this.maps.keys()));
      return undefined;
    }
    if (info.keys.length === 0) {
      this.error(`\`${s.map.name}\` has no keys: there is nothing to iterate over`, s.map.span, `read its value directly: \`${s.map.name}\``);
      return undefined;
    }
    let value: Type = info.value;
    if (value.kind === 'aggregation') {
      if (value.agg !== 'count' && value.agg !== 'sum' && value.agg !== 'min' && value.agg !== 'max') {
        this.error(`cannot iterate over \`${s.map.name}\`: its values are ${value.agg}() aggregations`, s.map.span,
          `only count(), sum(), min() and max() maps can be iterated; print it with print(${s.map.name})`);
        return undefined;
      }
      value = value.agg === 'count' || !value.signed ? u64 : s64;
    }
    const key = info.keys.length === 1 ? info.keys[0]! : tupleOf(info.keys.map((k) => structuredClone(k)));
    return tupleOf([structuredClone(key), structuredClone(value)]);
  }

  private lookupVar(name: string): VarInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return undefined;
  }

  private assign(s: AssignStmt): void {
    const value = s.value;
    let type: Type;
    if (value.kind === 'Call' && this.cx.registry.functions.get(value.callee)?.role === 'aggregation') {
      if (s.target.kind === 'Var' || s.op) {
        this.error(`\`${value.callee}()\` is an aggregation and can only be assigned to a map with \`=\``, value.span,
          `write \`@${s.target.name.replace(/^[$@]/, '')} = ${value.callee}(...)\``);
        return;
      }
      type = this.call(value, false);
    } else {
      type = this.storable(this.expr(value), value);
    }
    if (type === ERROR) return;
    if (s.op) {
      // `x op= e` is `x = x op e`: both sides integers. A map not assigned before starts at 0.
      if (s.target.kind === 'Map' && !this.maps.has(s.target.name)) this.mapAssign(s.target, s64, s.span);
      const current = this.expr(s.target);
      if (current === ERROR) return;
      const written = s.target.kind === 'Var' ? this.varOf.get(s.target) : undefined;
      if (written) this.use(written, true);
      if (current.kind !== 'int' || type.kind !== 'int' || isPointer(type)) {
        this.error(`\`${s.op}=\` needs integers, not ${typeName(current)} and ${typeName(type)}`, s.span);
        return;
      }
      if (isPointer(current)) {
        // `$p += n` moves the pointer by n elements, as `$p = $p + n` does.
        this.pointerStep(current, s.op, s.span);
        return;
      }
      this.constantOperandOk(s.op, value);
      return;
    }
    if (s.target.kind === 'Var') {
      this.assignVar(s.target, type, value.span);
      return;
    }
    this.mapAssign(s.target, type, value.span);
  }

  private assignVar(target: VarRef, type: Type, valueSpan: Span): void {
    // Assigning an undeclared variable declares it for the whole probe (bpftrace's rule).
    const v = this.lookupVar(target.name) ?? this.declare(target.name, undefined, target.span, this.scopes[0]);
    this.varOf.set(target, v);
    this.use(v, true);
    if (!v.type) v.type = { ...type };
    else if (!this.assignable(v.type, type)) {
      this.error(`\`${target.name}\` holds ${typeName(v.type)}; cannot assign ${typeName(type)}`, valueSpan);
      return;
    } else this.widen(v.type, type);
    this.types.set(target, v.type);
  }

  /**
   * Integers fit integers; strings fit strings (the variable grows to the longest); tuples element-wise;
   * a struct only the same struct, an array only an array of the same shape.
   */
  private assignable(to: Type, from: Type): boolean {
    if (to.kind === 'tuple' && from.kind === 'tuple') {
      return to.elems.length === from.elems.length && to.elems.every((t, i) => this.assignable(t, from.elems[i]!));
    }
    if (to.kind === 'kstruct' && from.kind === 'kstruct') return to.id === from.id;
    if (to.kind === 'array' && from.kind === 'array') return to.count === from.count && to.elem.size === from.elem.size;
    // bool and the other integers do not mix (newest bpftrace): `(bool)x` converts.
    if (to.kind === 'int' && from.kind === 'int' && !to.pointee && !from.pointee && isBool(to) !== isBool(from)) return false;
    return to.kind === from.kind;
  }

  private widen(to: Type, from: Type): void {
    if (to.kind === 'string' && from.kind === 'string' && from.size > to.size) to.size = from.size;
    if (to.kind === 'tuple' && from.kind === 'tuple') {
      to.elems.forEach((t, i) => this.widen(t, from.elems[i]!));
      Object.assign(to, tupleOf(to.elems));
    }
  }

  /** What a value becomes when stored: integers widen to 64 bits (sign kept). */
  private storable(t: Type, e: Expr): Type {
    if (t === ERROR) return ERROR;
    // Pointers keep what they point to, so `$sk = (struct sock *)arg0; $sk->...` works; enums keep
    // their names, so the value still prints by name.
    if (t.kind === 'int') return t.pointee ? t : storedInt(t);
    if (t.kind === 'kstruct' || t.kind === 'array') {
      // A copy of a struct (`$s = *$sk`) or of an array: kept on the BPF stack, so it must be small.
      const size = storageSize(t);
      if (t.kind === 'kstruct' && size === 0) {
        this.error(`${t.name} is declared but not defined in the kernel's types`, e.span);
        return ERROR;
      }
      if (size > MAX_STORED_BYTES) {
        this.error(`${typeName(t)} is ${size} bytes, too big to keep in a variable or a map (at most ${MAX_STORED_BYTES})`, e.span,
          'print it directly (print(*$p) or printf("%s", *$p)), or keep only the fields you need');
        return ERROR;
      }
      return t;
    }
    if (t.kind === 'void' || t.kind === 'record' || t.kind === 'aggregation') {
      // (inet, stack and symbol values store as they are.)
      this.error(`cannot store a value of type ${typeName(t)}`, e.span);
      return ERROR;
    }
    return t;
  }

  private mapAssign(target: MapRef, value: Type, valueSpan: Span): void {
    const keys = target.keys.map((k) => this.keyPart(k));
    if (keys.includes(ERROR)) return;
    const info = this.maps.get(target.name);
    if (!info) {
      this.maps.set(target.name, { name: target.name, keys, value: structuredClone(value), span: target.span });
    } else {
      if (!this.sameValue(info.value, value)) {
        this.error(`\`${target.name}\` was assigned ${typeName(info.value)} before; cannot assign ${typeName(value)} here`, valueSpan,
          'a map holds one type of value; use another map name');
        return;
      }
      this.widen(info.value, value);
      this.unifyKeys(target, info, keys);
    }
    this.types.set(target, this.maps.get(target.name)!.value);
  }

  private sameValue(a: Type, b: Type): boolean {
    if (a.kind === 'aggregation' && b.kind === 'aggregation') {
      return a.agg === b.agg && JSON.stringify(a.hist) === JSON.stringify(b.hist);
    }
    return this.assignable(a, b);
  }

  private keyPart(k: Expr): Type {
    const t = this.expr(k);
    // Keys keep what makes them print differently: an enum's names, a pointer's hex.
    if (t.kind === 'int') return t.pointee ? { kind: 'int', size: 8, signed: false, pointee: t.pointee, ...(t.user ? { user: true } : {}) } : storedInt(t);
    if (KEY_KINDS.has(t.kind)) return structuredClone(t);
    if (t !== ERROR) this.error(`a map key cannot be ${typeName(t)}`, k.span);
    return ERROR;
  }

  private unifyKeys(target: MapRef, info: MapInfo, keys: Type[]): boolean {
    if (info.keys.length !== keys.length) {
      const want = info.keys.length === 0 ? 'no key' : `${info.keys.length} key${info.keys.length > 1 ? 's' : ''}`;
      this.error(`\`${target.name}\` is used with ${want} elsewhere; here with ${keys.length}`, target.span,
        'every use of a map must have the same number of keys');
      return false;
    }
    for (let i = 0; i < keys.length; i++) {
      const have = info.keys[i]!;
      const got = keys[i]!;
      if (!this.assignable(have, got)) {
        this.error(`key ${i + 1} of \`${target.name}\` is ${typeName(have)} elsewhere, ${typeName(got)} here`, target.keys[i]!.span);
        return false;
      }
      this.widen(have, got);
    }
    return true;
  }

  /** Constant right operands the verifier would refuse: shifts outside 0..63, division by zero. */
  private constantOperandOk(op: string, right: Expr): boolean {
    const c = this.constantOf(right);
    if ((op === '<<' || op === '>>') && c !== undefined && (c < 0n || c > 63n)) {
      this.error(`a shift by ${c} bits: shifts take 0 to 63`, right.span);
      return false;
    }
    if ((op === '/' || op === '%') && c === 0n) {
      this.error(`${op === '/' ? 'division' : 'modulo'} by zero`, right.span);
      return false;
    }
    return true;
  }

  private expectInt(e: Expr, what: string): void {
    const t = this.expr(e);
    if (t !== ERROR && t.kind !== 'int') this.error(`${what} must be an integer, not ${typeName(t)}`, e.span);
  }

  /** Kernel types, or an error at `span` saying why there are none. */
  kernelTypes(span: Span): KernelTypes | undefined {
    const kt = this.cx.kernel.kernelTypes();
    if ('unavailable' in kt) {
      this.error(`kernel types are not available: ${kt.unavailable}`, span);
      return undefined;
    }
    return kt;
  }

  /**
   * An identifier that is no builtin but an enumerator of the kernel's BTF (`TCP_LISTEN`), as in
   * bpftrace: that constant, typed as its enum so that %s prints its name. Without BTF, undefined.
   */
  private enumerator(e: Expr & { kind: 'Ident' }): Type | undefined {
    const kt = this.cx.kernel.kernelTypes();
    if ('unavailable' in kt) return undefined;
    const found = kt.findEnumerator(e.name);
    if (!found) return undefined;
    this.constants.set(e, found.value);
    return fromKernel(kt, found.type, false);
  }

  /** A written type; struct types come from the kernel's BTF, pointers point to user memory in user probes. */
  typeFromExpr(t: TypeExpr): Type | undefined {
    let base: Type | undefined;
    const struct = /^(struct|union) (\w+)$/.exec(t.name);
    const enumName = /^enum (\w+)$/.exec(t.name)?.[1];
    if (enumName !== undefined) {
      const kt = this.kernelTypes(t.span);
      if (!kt) return undefined;
      const id = kt.findType('enum', enumName);
      if (id === undefined) {
        this.error(`no enum ${enumName} in the kernel's types`, t.span);
        return undefined;
      }
      base = fromKernel(kt, id, this.probe.userPointers === true);
    } else if (struct) {
      const kt = this.kernelTypes(t.span);
      if (!kt) return undefined;
      const id = kt.findType(struct[1] as 'struct' | 'union', struct[2]!);
      if (id === undefined) {
        this.error(`no ${t.name} in the kernel's types`, t.span);
        return undefined;
      }
      base = fromKernel(kt, id, this.probe.userPointers === true);
    } else if (t.name === 'string' || (t.arrayLen !== undefined && t.name === 'char' && t.pointer === 0)) {
      base = { kind: 'string', size: t.arrayLen ?? this.cx.options.maxStrlen };
    } else if (t.name === 'void' && t.pointer > 0) {
      base = { kind: 'void' };
    } else {
      const int = INT_TYPES[t.name];
      if (!int) {
        this.error(`unknown type \`${t.name}\``, t.span, didYouMean(t.name, Object.keys(INT_TYPES)));
        return undefined;
      }
      base = t.arrayLen !== undefined && t.pointer === 0 ? { kind: 'array', elem: int, count: t.arrayLen } : int;
    }
    if (t.pointer === 0) return base;
    // T*: an address; `*`, `->` and `[i]` read what it points to.
    let p: Type = { kind: 'int', size: 8, signed: false, pointee: base, user: this.probe.userPointers === true };
    for (let i = 1; i < t.pointer; i++) p = { kind: 'int', size: 8, signed: false, pointee: p, user: this.probe.userPointers === true };
    return p;
  }

  private memberOf(e: Expr, m: { type: Type; member: KernelMember } | undefined): Type {
    if (!m) return ERROR;
    this.members.set(e, m.member);
    return m.type;
  }

  /** A member of a kernel struct, with a suggestion when it is not there. */
  private member(s: Type & { kind: 'kstruct' }, name: string, span: Span): { type: Type; member: KernelMember } | undefined {
    const kt = this.kernelTypes(span);
    if (!kt) return undefined;
    if (s.size === 0) {
      this.error(`${s.name} is declared but not defined in the kernel's types`, span);
      return undefined;
    }
    const m = kt.member(s.id, name);
    if (!m) {
      this.error(`${s.name} has no field \`${name}\``, span, didYouMean(name, kt.members(s.id).map((x) => x.name)));
      return undefined;
    }
    return { type: fromKernel(kt, m.type, s.user), member: m };
  }

  // ----------------------------------------------------------------------------------- expressions

  expr(e: Expr): Type {
    const t = this.exprUncached(e);
    this.types.set(e, t);
    return t;
  }

  private exprUncached(e: Expr): Type {
    switch (e.kind) {
      case 'Int':
        return s64;
      case 'Bool':
        return boolType;
      case 'Str':
        return { kind: 'string', size: literalBytes(e.value).length + 1 };
      case 'Positional': {
        if (e.count) return s64;
        const arg = this.cx.options.positional[e.index - 1];
        if (arg === undefined) {
          this.error(`\`$${e.index}\` is not given: the script has ${this.cx.options.positional.length} positional parameter(s)`, e.span,
            'pass them after the script: tsbt script.bt 1 two');
          return ERROR;
        }
        if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(arg)) {
          this.error(`\`$${e.index}\` is "${arg}", not a number`, e.span, `use str($${e.index}) for a string parameter`);
          return ERROR;
        }
        return s64;
      }
      case 'Ident': {
        const v = this.cx.registry.variables.get(e.name);
        if (!v) {
          const fn = this.cx.registry.functions.get(e.name);
          if (fn) {
            this.error(`\`${e.name}\` is a function`, e.span, `call it: \`${e.name}(...)\``);
            return ERROR;
          }
          const enumerator = this.enumerator(e);
          if (enumerator) return enumerator;
          this.error(`unknown identifier \`${e.name}\``, e.span, didYouMean(e.name, this.cx.registry.variables.keys()));
          return ERROR;
        }
        const t = v.type(this.probe, this.cx.options, this.cx.kernel);
        if ('error' in t) {
          this.error(t.error, e.span, t.hint);
          return ERROR;
        }
        return t;
      }
      case 'Var': {
        const v = this.lookupVar(e.name);
        if (!v || !v.type) {
          this.error(`\`${e.name}\` is used before it is assigned`, e.span, `assign it first: \`${e.name} = ...;\``);
          return ERROR;
        }
        v.read = true;
        this.varOf.set(e, v);
        this.use(v);
        return v.type;
      }
      case 'Map':
        return this.mapRead(e);
      case 'Call':
        return this.call(e, false);
      case 'Unary': {
        const t = this.expr(e.operand);
        if (t === ERROR) return ERROR;
        if (e.op === '*') return this.dereference(t, e);
        if (e.op === '&') return this.addressOf(e.operand, t, e);
        if (t.kind !== 'int') {
          this.error(`\`${e.op}\` needs an integer, not ${typeName(t)}`, e.span);
          return ERROR;
        }
        if (e.op !== '!' && isPointer(t)) {
          this.error(`\`${e.op}\` cannot be used on a pointer (${typeName(t)})`, e.span, 'cast it to an integer first, e.g. `(uint64)$p`');
          return ERROR;
        }
        return e.op === '!' ? s64 : arithmeticResult(t, { kind: 'int', size: 8, signed: true });
      }
      case 'Binary': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        if (l === ERROR || r === ERROR) return ERROR;
        if (l.kind === 'int' && r.kind === 'int') {
          if (isPointer(l) || isPointer(r)) return this.pointerArithmetic(e, l, r);
          if (!this.constantOperandOk(e.op, e.right)) return ERROR;
          return COMPARISONS.has(e.op) ? s64 : arithmeticResult(l, r);
        }
        if (l.kind === 'string' && r.kind === 'string' && (e.op === '==' || e.op === '!=')) return s64;
        this.error(`\`${e.op}\` cannot combine ${typeName(l)} and ${typeName(r)}`, e.opSpan,
          l.kind === 'string' || r.kind === 'string' ? 'strings can only be compared with == and !=' : undefined);
        return ERROR;
      }
      case 'Ternary': {
        this.expectInt(e.cond, 'a condition');
        const a = this.expr(e.then);
        const b = this.expr(e.else);
        if (a === ERROR || b === ERROR) return ERROR;
        return this.ternaryType(a, b, e.span);
      }
      case 'Cast': {
        const from = this.expr(e.expr);
        const to = this.typeFromExpr(e.type);
        if (from === ERROR || !to) return ERROR;
        if (to.kind !== 'int' || from.kind !== 'int') {
          this.error(`cannot cast ${typeName(from)} to ${typeName(to)}`, e.span, 'casts convert between integers and pointers');
          return ERROR;
        }
        // A pointer cast to another pointer type stays in its address space: `(struct task_struct *)curtask`
        // is a kernel pointer in a system call tracepoint too (bpftrace's naptime.bt relies on it).
        if (isPointer(from) && isPointer(to) && from.user !== undefined) return inAddressSpace(to, from.user);
        return to;
      }
      case 'Tuple': {
        if (e.elems.length < 2) {
          this.error('a tuple needs at least two elements', e.span);
          return ERROR;
        }
        const elems = e.elems.map((x) => this.storable(this.expr(x), x));
        if (elems.includes(ERROR)) return ERROR;
        return tupleOf(elems);
      }
      case 'IncDec':
        return this.incDec(e);
      case 'Sizeof': {
        if (e.type) {
          const t = this.typeFromExpr(e.type);
          if (!t) return ERROR;
          if (t.kind === 'kstruct' || (t.kind === 'int' && (e.type.pointer > 0 || t.enum)) || t.kind === 'array') {
            this.constants.set(e, BigInt(t.kind === 'kstruct' ? t.size : t.kind === 'array' ? t.elem.size * t.count : t.size));
          }
          return u64;
        }
        const t = this.expr(e.expr!);
        return t === ERROR ? ERROR : u64;
      }
      case 'Offsetof': {
        const t = this.typeFromExpr(e.type);
        if (!t) return ERROR;
        let cur: Type = t;
        let offset = 0;
        for (const f of e.field) {
          if (cur.kind !== 'kstruct') {
            this.error(`${typeName(cur)} has no fields`, e.span);
            return ERROR;
          }
          const m = this.member(cur, f, e.span);
          if (!m) return ERROR;
          offset += m.member.offset;
          cur = m.type;
        }
        this.constants.set(e, BigInt(offset));
        return u64;
      }
      case 'Index': {
        const t = this.expr(e.object);
        this.expectInt(e.index, 'an index');
        if (t === ERROR) return ERROR;
        const i = this.constantOf(e.index);
        if (t.kind === 'array') {
          if (i !== undefined && (i < 0n || i >= BigInt(t.count))) {
            this.error(`index ${i} is outside the array (${t.count} elements)`, e.index.span);
            return ERROR;
          }
          return t.elem;
        }
        if (t.kind === 'int' && t.pointee && t.pointee.kind === 'int') {
          if (i !== undefined && (i * BigInt(t.pointee.size) >= 2n ** 31n || i * BigInt(t.pointee.size) < -(2n ** 31n))) {
            this.error(`index ${i} is too far from the pointer`, e.index.span);
            return ERROR;
          }
          return t.pointee;
        }
        this.error(`${typeName(t)} cannot be indexed`, e.span, 'arrays and pointers to integers can');
        return ERROR;
      }
      case 'Field': {
        const t = this.expr(e.object);
        if (t === ERROR) return ERROR;
        if (t.kind === 'tuple') {
          const i = /^\d+$/.test(e.field) ? Number(e.field) : -1;
          if (i < 0 || i >= t.elems.length) {
            this.error(`a ${t.elems.length}-tuple has no element \`${e.field}\``, e.fieldSpan, `use .0 to .${t.elems.length - 1}`);
            return ERROR;
          }
          return t.elems[i]!;
        }
        if (t.kind === 'int' && t.pointee?.kind === 'kstruct') {
          // `p.f` reads through the pointer as `p->f` does (the newest bpftrace: `.` dereferences).
          return this.memberOf(e, this.member(t.pointee, e.field, e.fieldSpan));
        }
        if (t.kind === 'kstruct') {
          if (e.arrow) {
            this.error(`\`${t.name}\` is not a pointer: use \`.${e.field}\``, e.fieldSpan);
            return ERROR;
          }
          return this.memberOf(e, this.member(t, e.field, e.fieldSpan));
        }
        if (t.kind !== 'record') {
          this.error(`${typeName(t)} has no fields`, e.fieldSpan,
            t.kind === 'int' ? 'cast it to a struct pointer first, e.g. `((struct sock *)arg0)->sk_state`' : undefined);
          return ERROR;
        }
        const field = t.fields.find((f) => f.name === e.field);
        if (!field) {
          this.error(`${t.name} has no field \`${e.field}\``, e.fieldSpan, didYouMean(e.field, t.fields.map((f) => f.name))
            ?? `fields: ${t.fields.map((f) => f.name).join(', ')}`);
          return ERROR;
        }
        return field.type;
      }
    }
  }

  /**
   * The value of `c ? a : b`: both branches must be the same kind of value. Integers promote; strings,
   * buffers and tuples take the larger size; values printed by user space (stacks, timestamps) must
   * also print the same way, since their type carries how.
   */
  private ternaryType(a: Type, b: Type, span: Span): Type {
    if (a.kind === 'int' && b.kind === 'int') {
      // Two pointers to the same thing stay that pointer (`c ? $p : $q` can still be followed), two
      // values of one enum that enum (they still print by name).
      if (a.pointee && b.pointee && typeName(a) === typeName(b) && a.user === b.user) return a;
      if (a.enum && b.enum && !a.pointee && !b.pointee && a.enum.name === b.enum.name) return { ...arithmeticResult(a, b), enum: a.enum };
      return arithmeticResult(a, b);
    }
    if (a.kind === 'string' && b.kind === 'string') return { kind: 'string', size: Math.max(a.size, b.size) };
    if (a.kind === 'buffer' && b.kind === 'buffer') return { kind: 'buffer', capacity: Math.max(a.capacity, b.capacity) };
    if (a.kind === 'tuple' && b.kind === 'tuple' && this.assignable(a, b)) {
      const t = structuredClone(a);
      this.widen(t, b);
      return t;
    }
    if (a.kind === 'stack' && b.kind === 'stack' && a.user === b.user && (a.mode !== b.mode || a.limit !== b.limit)) {
      this.error(`the two branches are stacks printed differently (${a.mode}, ${a.limit} frames and ${b.mode}, ${b.limit} frames)`, span,
        'give both the same mode and limit');
      return ERROR;
    }
    if (a.kind === 'timestamp' && b.kind === 'timestamp' && a.format !== b.format) {
      this.error(`the two branches are strftime() values with different formats ("${a.format}" and "${b.format}")`, span,
        'a timestamp is formatted when it prints, with the format of its type: use one format');
      return ERROR;
    }
    const same = ['inet', 'username', 'stack', 'symbol', 'timestamp'].includes(a.kind) && JSON.stringify(a) === JSON.stringify(b);
    if (same) return a;
    this.error(`the two branches have different types: ${typeName(a)} and ${typeName(b)}`, span,
      a.kind === 'void' || b.kind === 'void' ? 'a branch with no value (like printf) needs the other one without a value too, as a statement' : undefined);
    return ERROR;
  }

  /** `*p`: what a typed pointer points to (read through probe_read_kernel/_user when lowered). */
  private dereference(t: Type, e: Expr & { kind: 'Unary' }): Type {
    if (!isPointer(t)) {
      this.error(`cannot dereference ${typeName(t)}: it is not a pointer`, e.span,
        t.kind === 'int' ? 'cast it to a pointer first, e.g. `*(uint32 *)$addr`' : undefined);
      return ERROR;
    }
    const target = t.pointee;
    if (target.kind === 'void') {
      this.error('cannot dereference a `void *`: what it points to has no type', e.span, 'cast it first, e.g. `*(uint64 *)$p`');
      return ERROR;
    }
    if (target.kind === 'kstruct' && target.size === 0) {
      this.error(`${target.name} is declared but not defined in the kernel's types`, e.span);
      return ERROR;
    }
    return target;
  }

  /**
   * `&s->field` / `&(*p).field`: the field's address, a pointer of the field's type in the same address
   * space, computed without reading it. `&*p` is `p`.
   */
  private addressOf(operand: Expr, t: Type, e: Expr): Type {
    if (operand.kind === 'Unary' && operand.op === '*') return this.typeOf(operand.operand);
    const member = operand.kind === 'Field' ? this.members.get(operand) : undefined;
    const base = member ? addressBase(operand, (x) => this.typeOf(x)) : undefined;
    if (!member || !base) {
      const what = operand.kind === 'Var' ? 'a variable' : operand.kind === 'Map' ? 'a map' : operand.kind === 'Field' ? 'this field (it is not in kernel or user memory)' : 'this expression';
      this.error(`cannot take the address of ${what}`, operand.span, '`&` takes the address of a struct field reached through a pointer, e.g. `&$sk->__sk_common`');
      return ERROR;
    }
    if (member.bitSize > 0) {
      this.error(`cannot take the address of the bitfield \`${member.name}\``, operand.span);
      return ERROR;
    }
    const pointer = this.typeOf(base);
    // `&t->comm` is a `char *` (C's array-to-pointer decay), `&a->ints` points to the first element.
    const pointee: Type = t.kind === 'string' ? { kind: 'int', size: 1, signed: true } : t.kind === 'array' ? t.elem : t;
    return { kind: 'int', size: 8, signed: false, pointee, ...(pointer.kind === 'int' && pointer.user ? { user: true } : {}) };
  }

  /**
   * Arithmetic with a typed pointer, as C and bpftrace allow it: `p + n`, `n + p` and `p - n` move by
   * n elements (n * sizeof(*p) bytes) and keep the pointer's type; comparisons and `&&`/`||` compare
   * addresses. Nothing else: no `p - q`, `p * 2` or `p & mask` (cast to an integer for those).
   */
  private pointerArithmetic(e: Expr & { kind: 'Binary' }, l: Type & { kind: 'int' }, r: Type & { kind: 'int' }): Type {
    if (COMPARISONS.has(e.op)) return s64;
    if (e.op === '+' || e.op === '-') {
      if (isPointer(l) && isPointer(r)) {
        this.error(`\`${e.op}\` cannot combine two pointers (${typeName(l)} and ${typeName(r)})`, e.opSpan,
          e.op === '-' ? 'for the distance in bytes, cast both to integers: `(uint64)$p - (uint64)$q`' : undefined);
        return ERROR;
      }
      if (isPointer(r) && e.op === '-') {
        this.error(`a pointer cannot be subtracted from an integer`, e.opSpan, 'write the pointer first: `$p - n`');
        return ERROR;
      }
      const pointer = isPointer(l) ? l : r as Type & { kind: 'int'; pointee: Type };
      if (!this.pointerStep(pointer, e.op, e.opSpan)) return ERROR;
      return pointer;
    }
    this.error(`\`${e.op}\` cannot be used on a pointer (${typeName(isPointer(l) ? l : r)})`, e.opSpan,
      'pointers take `+` and `-` (which move by whole elements) and comparisons; cast to an integer first, e.g. `(uint64)$p`');
    return ERROR;
  }

  /** Whether `op` (`+`, `-`, `+=`, `++`...) can move this pointer: only by elements of a known size. */
  private pointerStep(pointer: Type & { kind: 'int'; pointee: Type }, op: string, span: Span): boolean {
    if (op !== '+' && op !== '-' && op !== '++' && op !== '--') {
      this.error(`\`${op}=\` cannot be used on a pointer (${typeName(pointer)})`, span, 'pointers take `+=` and `-=`, which move by whole elements');
      return false;
    }
    if (elementSize(pointer.pointee) !== undefined) return true;
    if (pointer.pointee.kind === 'void') {
      this.error('arithmetic on a `void *`: the size of what it points to is unknown', span, 'cast it to `(uint8 *)` to move by bytes, or to an integer');
    } else {
      this.error(`arithmetic on ${typeName(pointer)}: ${typeName(pointer.pointee)} is declared but not defined`, span);
    }
    return false;
  }

  private mapRead(e: MapRef): Type {
    const info = this.maps.get(e.name);
    const keys = e.keys.map((k) => this.keyPart(k));
    if (!info) {
      if (this.learning) return s64;
      this.error(`\`${e.name}\` is read but never assigned`, e.span, didYouMean(e.name, this.maps.keys()));
      return ERROR;
    }
    if (keys.includes(ERROR) || !this.unifyKeys(e, info, keys)) return ERROR;
    if (info.value.kind === 'aggregation') {
      this.error(`\`${e.name}\` holds a ${info.value.agg}() aggregation, which is kept per CPU and can only be printed`, e.span,
        `for a value you can read in a probe, keep a plain counter: \`${e.name}++\``);
      return ERROR;
    }
    return info.value;
  }

  private incDec(e: IncDec): Type {
    if (e.target.kind === 'Var') {
      const v = this.lookupVar(e.target.name);
      if (!v) {
        // `$i++` on a new variable starts it at 0, like a map.
        const created = this.declare(e.target.name, s64, e.target.span, this.scopes[0]);
        this.varOf.set(e.target, created);
        this.use(created, true);
        this.types.set(e.target, s64);
        return s64;
      }
      const t = this.expr(e.target);
      this.use(v, true);
      if (t !== ERROR && t.kind !== 'int') this.error(`\`${e.op}\` needs an integer variable`, e.span);
      if (isPointer(t)) this.pointerStep(t, e.op, e.span);
      return t.kind === 'int' ? t : ERROR;
    }
    // `@x++` on a map not assigned elsewhere makes it an integer map.
    if (!this.maps.has(e.target.name)) this.mapAssign(e.target, s64, e.span);
    const t = this.expr(e.target);
    if (t !== ERROR && t.kind !== 'int') this.error(`\`${e.op}\` needs an integer map value`, e.span);
    if (isPointer(t)) this.pointerStep(t, e.op, e.span);
    return t.kind === 'int' ? t : ERROR;
  }

  private call(e: Call, asStatement: boolean): Type {
    const fn = this.cx.registry.functions.get(e.callee);
    if (!fn) {
      const v = this.cx.registry.variables.get(e.callee);
      if (v) this.error(`\`${e.callee}\` is not a function`, e.calleeSpan, `write \`${e.callee}\` without parentheses`);
      else this.error(`unknown function \`${e.callee}\``, e.calleeSpan, didYouMean(e.callee, this.cx.registry.functions.keys()));
      return ERROR;
    }
    if (fn.role === 'statement' && !asStatement) {
      this.error(`\`${e.callee}()\` is a statement and has no value`, e.span);
      return ERROR;
    }
    // Some functions take maps as such (`clear(@m)`, `delete(@m[k])`): they check their own arguments.
    if (!fn.rawArgs) {
      for (const a of e.args) this.expr(a);
      if (e.args.some((a) => this.typeOf(a) === ERROR)) return ERROR;
    }
    return fn.check(e, this);
  }

  /** For functions with raw arguments: type a map reference's keys without reading the map's value. */
  mapKeys(m: MapRef): MapInfo | undefined {
    const info = this.maps.get(m.name);
    if (!info) {
      this.error(`\`${m.name}\` is never assigned`, m.span, didYouMean(m.name, this.maps.keys()));
      return undefined;
    }
    const keys = m.keys.map((k) => this.keyPart(k));
    if (keys.includes(ERROR) || (m.keys.length > 0 && !this.unifyKeys(m, info, keys))) return undefined;
    return info;
  }
}

/** A pointer type whose reads (and those of the struct it points to) go to user or kernel memory. */
function inAddressSpace(t: Type & { kind: 'int'; pointee: Type }, user: boolean): Type {
  const p = t.pointee;
  const pointee: Type = p.kind === 'kstruct' ? { ...p, user } : isPointer(p) ? inAddressSpace(p, user) : p;
  return { ...t, pointee, user };
}
