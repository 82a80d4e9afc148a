// Constant folding over the AST: literals, positional parameters, and arithmetic on them. Used where a
// value must be known at compile time (unroll counts, histogram shapes) and to avoid emitting code.

import type { Expr } from '../../grammar/ast.ts';
import { type Type, elementSize, isBool, isPointer } from '../types/types.ts';

/** `known`: values the type checker fixed (sizeof, offsetof, kernel enumerators such as `TCP_LISTEN`). */
export function constantValue(e: Expr, positional: readonly string[], typeOf: (e: Expr) => Type, known?: ReadonlyMap<Expr, bigint>): bigint | undefined {
  const value = (x: Expr): bigint | undefined => constantValue(x, positional, typeOf, known);
  const fixed = known?.get(e);
  if (fixed !== undefined) return fixed;
  switch (e.kind) {
    case 'Int': return e.value;
    case 'Bool': return e.value ? 1n : 0n;
    case 'Positional': {
      if (e.count) return BigInt(positional.length);
      const arg = positional[e.index - 1];
      return arg !== undefined && /^-?(0x[0-9a-fA-F]+|\d+)$/.test(arg) ? BigInt(arg.startsWith('-') ? -BigInt(arg.slice(1)) : BigInt(arg)) : undefined;
    }
    case 'Unary': {
      // `*p` reads memory and `&s->f` is an address: neither is known before the probe runs.
      if (e.op === '*' || e.op === '&') return undefined;
      const v = value(e.operand);
      if (v === undefined) return undefined;
      return e.op === '-' ? BigInt.asIntN(64, -v) : e.op === '~' ? BigInt.asIntN(64, ~v) : v === 0n ? 1n : 0n;
    }
    case 'Binary': {
      let a = value(e.left);
      let b = value(e.right);
      if (a === undefined || b === undefined) return undefined;
      // `(int32 *)32 + 1` is 36: a pointer moves by whole elements.
      if (e.op === '+' || e.op === '-') {
        const lt = typeOf(e.left) as Type | undefined;
        const rt = typeOf(e.right) as Type | undefined;
        if (lt && isPointer(lt)) b *= BigInt(elementSize(lt.pointee) ?? 1);
        else if (rt && isPointer(rt)) a *= BigInt(elementSize(rt.pointee) ?? 1);
      }
      const r = fold(e.op, a, b);
      return r === undefined ? undefined : BigInt.asIntN(64, r);
    }
    case 'Cast': {
      const v = value(e.expr);
      const t = typeOf(e);
      if (v === undefined || t.kind !== 'int') return undefined;
      if (isBool(t)) return v !== 0n ? 1n : 0n;
      return t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v);
    }
    default:
      return undefined;
  }
}

export function fold(op: string, a: bigint, b: bigint): bigint | undefined {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0n ? undefined : a / b;
    case '%': return b === 0n ? undefined : a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return b < 0n || b > 63n ? undefined : a << b;
    case '>>': return b < 0n || b > 63n ? undefined : a >> b;
    case '==': return a === b ? 1n : 0n;
    case '!=': return a !== b ? 1n : 0n;
    case '<': return a < b ? 1n : 0n;
    case '<=': return a <= b ? 1n : 0n;
    case '>': return a > b ? 1n : 0n;
    case '>=': return a >= b ? 1n : 0n;
    case '&&': return a !== 0n && b !== 0n ? 1n : 0n;
    case '||': return a !== 0n || b !== 0n ? 1n : 0n;
    default: return undefined;
  }
}
