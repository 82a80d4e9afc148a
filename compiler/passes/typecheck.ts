// Type checking: the type of every expression in every probe unit, the key and value types of every
// map (unified across the whole script), and the errors a user should see before anything is loaded.
// Maps may be read in one probe and written in another, so the script is walked twice: the first walk
// only learns map types from assignments, the second checks everything.

import type { AssignStmt, Call, Expr, MapRef, Stmt } from '../../grammar/ast.ts';
import { type Diagnostic, error } from '../../grammar/diagnostics.ts';
import type { Span } from '../../grammar/source.ts';
import type { CompileContext } from '../context.ts';
import type { Checker, ConcreteProbe } from '../registry.ts';
import { didYouMean } from '../suggest.ts';
import { type Type, arithmeticResult, s64, typeName, u64 } from '../types/types.ts';
import type { ProbeUnit } from './resolve.ts';

export interface MapInfo {
  name: string;
  /** Key part types (integers normalized to 64 bits); empty for a scalar map. */
  keys: Type[];
  value: Type;
  span: Span;
}

export interface UnitTypes {
  unit: ProbeUnit;
  types: Map<Expr, Type>;
  /** Scratch variable types, per probe. */
  vars: Map<string, Type>;
}

export interface Typed {
  units: UnitTypes[];
  maps: Map<string, MapInfo>;
}

export function typecheck(units: ProbeUnit[], cx: CompileContext): Typed {
  const maps = new Map<string, MapInfo>();
  // First walk: learn map types; its diagnostics are dropped (the second walk reports them in order).
  for (const unit of units) new UnitChecker(unit, cx, maps, []).check();
  const result: UnitTypes[] = [];
  for (const unit of units) {
    const checker = new UnitChecker(unit, cx, maps, cx.diagnostics);
    checker.check();
    result.push({ unit, types: checker.types, vars: checker.vars });
  }
  return { units: result, maps };
}

const ERROR: Type = { kind: 'void' };

class UnitChecker implements Checker {
  readonly types = new Map<Expr, Type>();
  readonly vars = new Map<string, Type>();
  readonly probe: ConcreteProbe;

  constructor(
    private readonly unit: ProbeUnit,
    private readonly cx: CompileContext,
    private readonly maps: Map<string, MapInfo>,
    private readonly diagnostics: Diagnostic[],
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

  check(): void {
    const { filter, body } = this.unit.block;
    if (filter) this.expectInt(filter, 'a filter');
    this.statements(body);
  }

  private statements(stmts: Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case 'Assign':
        this.assign(s);
        break;
      case 'ExprStmt': {
        const e = s.expr;
        if (e.kind === 'Call') {
          const fn = this.cx.registry.functions.get(e.callee);
          if (fn?.role === 'aggregation') {
            this.error(`\`${e.callee}()\` must be assigned to a map`, e.span, `write \`@name = ${e.callee}(...)\``);
            return;
          }
          this.call(e, true);
        } else {
          this.expr(e);
        }
        break;
      }
      case 'If':
        this.expectInt(s.cond, 'an `if` condition');
        this.statements(s.then);
        if (s.else) this.statements(s.else);
        break;
    }
  }

  private assign(s: AssignStmt): void {
    const value = s.value;
    let type: Type;
    if (value.kind === 'Call' && this.cx.registry.functions.get(value.callee)?.role === 'aggregation') {
      if (s.target.kind === 'Var') {
        this.error(`\`${value.callee}()\` is an aggregation and can only be assigned to a map`, value.span,
          `write \`@${s.target.name.replace(/^\$/, '')} = ${value.callee}(...)\``);
        return;
      }
      type = this.call(value, false);
    } else {
      type = this.expr(value);
      if (type.kind === 'int') type = type.signed ? s64 : u64;
    }
    if (type === ERROR) return;
    if (type.kind === 'void' || type.kind === 'record') {
      this.error(`cannot store a value of type ${typeName(type)}`, value.span);
      return;
    }
    if (s.target.kind === 'Var') {
      const previous = this.vars.get(s.target.name);
      if (previous && previous.kind !== type.kind) {
        this.error(`\`${s.target.name}\` holds ${typeName(previous)}; cannot assign ${typeName(type)}`, value.span);
        return;
      }
      if (previous?.kind === 'string' && type.kind === 'string' && type.size > previous.size) previous.size = type.size;
      this.vars.set(s.target.name, previous ?? { ...type });
      this.types.set(s.target, this.vars.get(s.target.name)!);
      return;
    }
    this.mapAssign(s.target, type, value.span);
  }

  private mapAssign(target: MapRef, value: Type, valueSpan: Span): void {
    const keys = target.keys.map((k) => this.keyPart(k));
    if (keys.includes(ERROR)) return;
    const info = this.maps.get(target.name);
    if (!info) {
      this.maps.set(target.name, { name: target.name, keys, value: { ...value }, span: target.span });
    } else {
      if (!this.sameValue(info.value, value)) {
        this.error(`\`${target.name}\` was assigned ${typeName(info.value)} before; cannot assign ${typeName(value)} here`, valueSpan,
          'a map holds one type of value; use another map name');
        return;
      }
      if (info.value.kind === 'string' && value.kind === 'string' && value.size > info.value.size) info.value.size = value.size;
      this.unifyKeys(target, info, keys);
    }
    this.types.set(target, this.maps.get(target.name)!.value);
  }

  private sameValue(a: Type, b: Type): boolean {
    if (a.kind === 'aggregation' && b.kind === 'aggregation') return a.agg === b.agg;
    return a.kind === b.kind;
  }

  private keyPart(k: Expr): Type {
    const t = this.expr(k);
    if (t.kind === 'int') return t.signed ? s64 : u64;
    if (t.kind === 'string') return { ...t };
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
      if (have.kind !== got.kind) {
        this.error(`key ${i + 1} of \`${target.name}\` is ${typeName(have)} elsewhere, ${typeName(got)} here`, target.keys[i]!.span);
        return false;
      }
      if (have.kind === 'string' && got.kind === 'string' && got.size > have.size) have.size = got.size;
    }
    return true;
  }

  private expectInt(e: Expr, what: string): void {
    const t = this.expr(e);
    if (t !== ERROR && t.kind !== 'int') this.error(`${what} must be an integer, not ${typeName(t)}`, e.span);
  }

  private expr(e: Expr): Type {
    const t = this.exprUncached(e);
    this.types.set(e, t);
    return t;
  }

  private exprUncached(e: Expr): Type {
    switch (e.kind) {
      case 'Int':
        return s64;
      case 'Str':
        return { kind: 'string', size: Buffer.byteLength(e.value) + 1 };
      case 'Ident': {
        const v = this.cx.registry.variables.get(e.name);
        if (!v) {
          const fn = this.cx.registry.functions.get(e.name);
          if (fn) {
            this.error(`\`${e.name}\` is a function`, e.span, `call it: \`${e.name}(...)\``);
            return ERROR;
          }
          this.error(`unknown identifier \`${e.name}\``, e.span, didYouMean(e.name, this.cx.registry.variables.keys()));
          return ERROR;
        }
        const t = v.type(this.probe);
        if ('error' in t) {
          this.error(t.error, e.span, t.hint);
          return ERROR;
        }
        return t;
      }
      case 'Var': {
        const t = this.vars.get(e.name);
        if (!t) {
          this.error(`\`${e.name}\` is used before it is assigned`, e.span, `assign it first: \`${e.name} = ...;\``);
          return ERROR;
        }
        return t;
      }
      case 'Map': {
        const info = this.maps.get(e.name);
        const keys = e.keys.map((k) => this.keyPart(k));
        if (!info) {
          this.error(`\`${e.name}\` is read but never assigned`, e.span, didYouMean(e.name, this.maps.keys()));
          return ERROR;
        }
        if (keys.includes(ERROR) || !this.unifyKeys(e, info, keys)) return ERROR;
        if (info.value.kind === 'aggregation') {
          this.error(`\`${e.name}\` holds a ${info.value.agg}() aggregation, which is kept per CPU and can only be printed`, e.span,
            `for a value you can read in a probe, keep a plain counter: \`${e.name} = ${e.name} + 1\``);
          return ERROR;
        }
        return info.value;
      }
      case 'Call':
        return this.call(e, false);
      case 'Unary': {
        const t = this.expr(e.operand);
        if (t === ERROR) return ERROR;
        if (t.kind !== 'int') {
          this.error(`\`${e.op}\` needs an integer, not ${typeName(t)}`, e.span);
          return ERROR;
        }
        return e.op === '!' ? s64 : arithmeticResult(t, { kind: 'int', size: 8, signed: true });
      }
      case 'Binary': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        if (l === ERROR || r === ERROR) return ERROR;
        if (l.kind === 'int' && r.kind === 'int') {
          if (['==', '!=', '<', '<=', '>', '>=', '&&', '||'].includes(e.op)) return s64;
          return arithmeticResult(l, r);
        }
        this.error(`\`${e.op}\` cannot combine ${typeName(l)} and ${typeName(r)}`, e.opSpan,
          l.kind === 'string' || r.kind === 'string' ? 'strings cannot be used in arithmetic' : undefined);
        return ERROR;
      }
      case 'Field': {
        const t = this.expr(e.object);
        if (t === ERROR) return ERROR;
        if (t.kind !== 'record') {
          this.error(`${typeName(t)} has no fields`, e.fieldSpan);
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
    for (const a of e.args) this.expr(a);
    if (e.args.some((a) => this.typeOf(a) === ERROR)) return ERROR;
    const t = fn.check(e, this);
    return t;
  }
}
