// The type model of the language. Integers compute in 64-bit registers; their declared width and sign
// decide loads, sign extension, comparisons and how they print. Strings are fixed-size NUL-padded
// byte buffers (bpftrace's model). Aggregations are the value types of maps assigned `count()` etc.

export type IntSize = 1 | 2 | 4 | 8;

export type Type =
  /**
   * An integer. A pointer is an unsigned 64-bit integer that knows what it points to (`pointee`) and
   * in which address space (`user`): `+` and `-` move it by whole elements, comparisons treat it as a
   * number, `*` and `->` read through it. `void *` points to `void`. An integer of an enum type keeps
   * the enum (`enum`), so that printf's %s and print() show its values by name.
   */
  | { kind: 'int'; size: IntSize; signed: boolean; pointee?: Type; user?: boolean; enum?: EnumType }
  /** A struct or union in memory (kernel BTF type `id`), reached through a pointer; read field by field. */
  | { kind: 'kstruct'; id: number; name: string; size: number; user: boolean }
  /** A fixed array of integers, e.g. a tracepoint's `__u8 saddr[4]`. */
  | { kind: 'array'; elem: Type & { kind: 'int' }; count: number }
  /** An IPv4 or IPv6 address from ntop(): { u64 family; u8 addr[16] }, formatted in user space. */
  | { kind: 'inet' }
  /** kstack / ustack: { s64 stack id in the stack-trace map; u64 pid (ustack) }, symbolized in user space. */
  | { kind: 'stack'; user: boolean; mode: StackMode; limit: number }
  /** ksym(addr) / usym(addr): { u64 address; u64 pid (usym) }, resolved to a name in user space. */
  | { kind: 'symbol'; user: boolean }
  /** strftime(fmt, ns): a boot-time timestamp, formatted as local time in user space (printf %s). */
  | { kind: 'timestamp'; format: string }
  /** buf(p, n): { u64 length; u8 data[capacity] }, printed hex-escaped (printf %r) in user space. */
  | { kind: 'buffer'; capacity: number }
  /** username: { u64 uid }, shown as the user's name (from /etc/passwd) in user space. */
  | { kind: 'username' }
  | { kind: 'string'; size: number }
  /** A tracepoint's `args`: a record whose fields are read from the probe context. */
  | { kind: 'record'; name: string; fields: RecordField[] }
  | { kind: 'aggregation'; agg: AggregationKind; signed: boolean; hist?: HistShape }
  /** A tuple, laid out like a C struct: each element at its offset. */
  | { kind: 'tuple'; elems: Type[]; offsets: number[]; size: number }
  | { kind: 'void' };

export type StackMode = 'bpftrace' | 'perf' | 'raw';

/** A C enum: its name (`''` when anonymous) and its values, which print by name. */
export interface EnumType {
  name: string;
  values: readonly { name: string; value: bigint }[];
}

/**
 * `bool` (newest bpftrace): a one-byte unsigned integer that is 0 or 1 and prints as `false`/`true`
 * in print(), maps and %s — an enum with those two names, so it prints wherever enums do.
 */
export const BOOL_ENUM: EnumType = { name: 'bool', values: [{ name: 'false', value: 0n }, { name: 'true', value: 1n }] };
export const boolType: Type & { kind: 'int' } = { kind: 'int', size: 1, signed: false, enum: BOOL_ENUM };

/** By name, not identity: types are cloned (structuredClone) as they flow into maps. */
export function isBool(t: Type): boolean {
  return t.kind === 'int' && !t.pointee && t.enum?.name === BOOL_ENUM.name;
}

export type AggregationKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist';

/** The bucket layout of hist()/lhist(), fixed by the first call's constant arguments. */
export type HistShape = { kind: 'hist'; k: number } | { kind: 'lhist'; min: number; max: number; step: number };

export interface RecordField {
  name: string;
  offset: number;
  type: Type;
  /** The field fills an 8-byte slot whatever its type (fentry arguments): load 8 bytes, then narrow. */
  wholeSlot?: boolean;
  /** A tracepoint `__data_loc` string: the field holds (length << 16 | offset of the text in the record). */
  dataLoc?: boolean;
}

export const u64: Type = { kind: 'int', size: 8, signed: false };
export const s64: Type = { kind: 'int', size: 8, signed: true };
export const u32: Type = { kind: 'int', size: 4, signed: false };
export const voidType: Type = { kind: 'void' };

export function int(size: IntSize, signed: boolean): Type & { kind: 'int' } {
  return { kind: 'int', size, signed };
}

export function str(size: number): Type {
  return { kind: 'string', size };
}

export function typeName(t: Type): string {
  switch (t.kind) {
    case 'int': return t.pointee ? `${typeName(t.pointee)} *` : isBool(t) ? 'bool' : t.enum ? `enum ${t.enum.name || '(anonymous)'}` : `${t.signed ? 'int' : 'uint'}${t.size * 8}`;
    case 'kstruct': return t.name;
    case 'array': return `${typeName(t.elem)}[${t.count}]`;
    case 'inet': return 'inet';
    case 'stack': return t.user ? 'ustack' : 'kstack';
    case 'symbol': return t.user ? 'usym' : 'ksym';
    case 'timestamp': return 'timestamp';
    case 'buffer': return `buffer[${t.capacity}]`;
    case 'username': return 'username';
    case 'string': return `string[${t.size}]`;
    case 'record': return t.name;
    case 'aggregation': return `${t.agg}()`;
    case 'tuple': return `(${t.elems.map(typeName).join(', ')})`;
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

/** A typed pointer: an integer that knows what it points to. */
export function isPointer(t: Type): t is Type & { kind: 'int'; pointee: Type } {
  return t.kind === 'int' && t.pointee !== undefined;
}

/**
 * Bytes one element of what a pointer points to takes, which `p + 1` steps over; undefined for `void *`
 * and pointers to structs declared but not defined.
 */
export function elementSize(pointee: Type): number | undefined {
  switch (pointee.kind) {
    case 'int': return pointee.size;
    case 'kstruct': return pointee.size > 0 ? pointee.size : undefined;
    case 'void': return undefined;
    default: return storageSize(pointee);
  }
}

/** Bytes a value of this type takes in memory (integers: 8, as they are stored in maps and records). */
export function storageSize(t: Type): number {
  switch (t.kind) {
    case 'int': return 8;
    case 'string': return t.size;
    case 'tuple': return t.size;
    case 'array': return t.elem.size * t.count;
    case 'inet': return 24;
    case 'stack': case 'symbol': return 16;
    case 'buffer': return 8 + t.capacity;
    case 'kstruct': return t.size;
    case 'record': return recordStorage(t).size;
    default: return 8;
  }
}

/**
 * How a probe's `args` is stored when written out whole (`print(args)`): its fields one after the
 * other, laid out as a tuple of their types is (integers as 8 bytes).
 */
export function recordStorage(t: Type & { kind: 'record' }): { offsets: number[]; size: number } {
  const { offsets, size } = tupleOf(t.fields.map((f) => f.type));
  return { offsets, size };
}

/** A tuple type with C layout: integers 8-aligned, strings byte-aligned, total padded to 8. */
export function tupleOf(elems: Type[]): Type & { kind: 'tuple' } {
  const offsets: number[] = [];
  let at = 0;
  for (const e of elems) {
    const align = e.kind === 'string' ? 1 : 8;
    at = Math.ceil(at / align) * align;
    offsets.push(at);
    at += storageSize(e);
  }
  return { kind: 'tuple', elems, offsets, size: Math.ceil(at / 8) * 8 };
}

/** Integer type names of the language and their C aliases. */
export const INT_TYPES: Record<string, Type & { kind: 'int' }> = Object.fromEntries([
  ...([1, 2, 4, 8] as const).flatMap((size) => [
    [`int${size * 8}`, int(size, true)], [`uint${size * 8}`, int(size, false)],
    [`s${size * 8}`, int(size, true)], [`u${size * 8}`, int(size, false)],
    [`__s${size * 8}`, int(size, true)], [`__u${size * 8}`, int(size, false)],
  ]),
  ['bool', boolType], ['char', int(1, true)], ['unsigned char', int(1, false)], ['short', int(2, true)],
  ['unsigned short', int(2, false)], ['int', int(4, true)], ['unsigned int', int(4, false)], ['unsigned', int(4, false)],
  ['long', int(8, true)], ['unsigned long', int(8, false)], ['long long', int(8, true)],
  ['unsigned long long', int(8, false)], ['size_t', int(8, false)], ['pid_t', int(4, true)],
]) as Record<string, Type & { kind: 'int' }>;

export function sameType(a: Type, b: Type): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'int' && b.kind === 'int') return true;
  if (a.kind === 'string' && b.kind === 'string') return true;
  if (a.kind === 'aggregation' && b.kind === 'aggregation') return a.agg === b.agg;
  return a.kind === b.kind;
}
