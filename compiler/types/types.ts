// The type model of the language. Integers compute in 64-bit registers; their declared width and sign
// decide loads, sign extension, comparisons and how they print. Strings are fixed-size NUL-padded
// byte buffers (bpftrace's model). Aggregations are the value types of maps assigned `count()` etc.

export type IntSize = 1 | 2 | 4 | 8;

export type Type =
  | { kind: 'int'; size: IntSize; signed: boolean }
  | { kind: 'string'; size: number }
  /** A tracepoint's `args`: a record whose fields are read from the probe context. */
  | { kind: 'record'; name: string; fields: RecordField[] }
  | { kind: 'aggregation'; agg: AggregationKind; signed: boolean }
  | { kind: 'void' };

export type AggregationKind = 'count' | 'sum';

export interface RecordField {
  name: string;
  offset: number;
  type: Type;
}

export const u64: Type = { kind: 'int', size: 8, signed: false };
export const s64: Type = { kind: 'int', size: 8, signed: true };
export const u32: Type = { kind: 'int', size: 4, signed: false };
export const voidType: Type = { kind: 'void' };

export function int(size: IntSize, signed: boolean): Type {
  return { kind: 'int', size, signed };
}

export function str(size: number): Type {
  return { kind: 'string', size };
}

export function typeName(t: Type): string {
  switch (t.kind) {
    case 'int': return `${t.signed ? 'int' : 'uint'}${t.size * 8}`;
    case 'string': return `string[${t.size}]`;
    case 'record': return t.name;
    case 'aggregation': return `${t.agg}()`;
    case 'void': return 'void';
  }
}

/**
 * The type of a binary arithmetic or comparison on two integers (C's usual conversions at 64 bits):
 * the result is 64-bit, unsigned only when an operand is an unsigned 64-bit integer.
 */
export function arithmeticResult(a: Type & { kind: 'int' }, b: Type & { kind: 'int' }): Type & { kind: 'int' } {
  const unsigned = (!a.signed && a.size === 8) || (!b.signed && b.size === 8);
  return { kind: 'int', size: 8, signed: !unsigned };
}

export function sameType(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'int' && b.kind === 'int') return true;
  if (a.kind === 'string' && b.kind === 'string') return true;
  if (a.kind === 'aggregation' && b.kind === 'aggregation') return a.agg === b.agg;
  return a.kind === b.kind;
}
