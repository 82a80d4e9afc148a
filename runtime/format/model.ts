// The value model between decoding and rendering (bpftrace keeps the same split): decoders turn raw
// map and event bytes into these plain values; the text and JSON renderers only read them.
import type { FieldLayout, ValueKind } from '../artifact.ts';

/**
 * One decoded value: integers as bigint (sign already applied), strings as text, and the values that
 * print differently from what they hold (symbolic), structs (record), arrays and tuples. Strings are decoded
 * losslessly (strings.ts): a byte that is not valid UTF-8 is kept as a lone surrogate U+DC80..U+DCFF,
 * which `textToBytes` turns back into the byte.
 */
export type Primitive = bigint | string | SymbolicValue | RecordValue | ArrayValue | TupleValue;

/**
 * A number that prints as text: an enum's value by name (`TCP_LISTEN`), a pointer in hex. %d and the
 * JSON output use the number (bpftrace's Primitive::Symbolic).
 */
export interface SymbolicValue {
  kind: 'symbolic';
  text: string;
  value: bigint;
  /** A bool (`false`/`true`): JSON writes it as a JSON boolean, as the newest bpftrace does. */
  boolean?: true;
}

/** A struct or union: its fields in order, printed `{ .a = 1, .b = abc }`. */
export interface RecordValue {
  kind: 'record';
  fields: { name: string; value: Primitive }[];
}

/** A C array, printed `[1,2,3]`. */
export interface ArrayValue {
  kind: 'array';
  values: Primitive[];
}

/** A tuple, printed `(1, abc)`; its elements may be tuples (`(1, (2, a))`). */
export interface TupleValue {
  kind: 'tuple';
  values: Primitive[];
}

/** A buf() value as printf receives it: its bytes, which %r, %rx and %rh render. */
export interface BufferArg {
  kind: 'buffer';
  bytes: Uint8Array;
}

/**
 * A printf argument: strings may stay raw bytes so widths and precisions count bytes, as in C;
 * buffers keep their bytes for %r; an enum stays symbolic (%s prints its name, %d its number).
 */
export type PrintfArg = bigint | string | Uint8Array | BufferArg | SymbolicValue;

/** stats(): the count, the total and the integer average (total / count, truncated; 0 when count is 0). */
export interface StatsValue {
  kind: 'stats';
  count: bigint;
  average: bigint;
  total: bigint;
}

/** One bucket of a hist or lhist: its index (hist.ts says what it covers) and its count over all CPUs. */
export interface HistBucket {
  index: number;
  count: bigint;
}

/** hist() and lhist(): the buckets that have a map entry, ascending by index (counts may be 0). */
export interface HistValue {
  kind: 'hist';
  buckets: HistBucket[];
}

/**
 * A map value once its per-CPU copies are reduced: count, sum, min, max, avg (the average) and plain
 * integers are bigints, strings are text, and stats, hist/lhist and tuples are objects with a `kind`.
 */
export type MapValue = Primitive | StatsValue | HistValue;

export interface MapEntry {
  /**
   * One element per key field (a key part that is a tuple is one TupleValue); empty for a scalar map.
   * For hist/lhist: the script's key, without the bucket.
   */
  key: Primitive[];
  value: MapValue;
}

/** Everything needed to print one map, entries already in bpftrace's print order. */
export interface MapDump {
  /** The name in the script: `@`, `@bytes`. */
  name: string;
  /** False for a scalar map (`@x: 5`), true for one indexed by a key (`@x[k]: 5`). */
  keyed: boolean;
  /** The script's key fields, for renderers that need types (JSON); empty for a scalar map. */
  keyFields: FieldLayout[];
  valueKind: ValueKind;
  entries: MapEntry[];
}
