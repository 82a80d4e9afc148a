// bpftrace's print order for map entries (BPFtrace::print_map and sort_by_key).
import type { FieldLayout, ValueKind } from '../artifact.ts';
import type { MapEntry, MapValue, Primitive } from './model.ts';
import { textToBytes } from './strings.ts';

/**
 * What bpftrace (0.17, checked) sorts a map's entries by, ascending: count, sum, min, max, avg and
 * plain integer maps by value (signed for signed kinds); stats by average; hist and lhist by the
 * sum of their buckets; string and tuple maps by key. bpftrace sorts by value with an unstable
 * std::sort over hash-table order, so its order for equal values changes from run to run; we break
 * those ties by key to print the same thing every time.
 */
export function sortEntries(entries: MapEntry[], keyFields: FieldLayout[], kind: ValueKind): MapEntry[] {
  const byKey = (a: MapEntry, b: MapEntry) => compareKeys(a.key, b.key, keyFields);
  if (!sortsByValue(kind)) return [...entries].sort(byKey);
  return [...entries].sort((a, b) => compareBigints(sortValue(a.value), sortValue(b.value)) || byKey(a, b));
}

function sortsByValue(kind: ValueKind): boolean {
  switch (kind.kind) {
    case 'count':
    case 'sum':
    case 'int':
    case 'min':
    case 'max':
    case 'avg':
    case 'stats':
    case 'hist':
    case 'lhist':
      return true;
    case 'string':
    case 'tuple':
    case 'field':
      return false;
  }
}

/** The number an entry sorts by: the value itself (already decoded with its kind's signedness), a stats' average, a histogram's total. */
export function sortValue(value: MapValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return 0n;
  switch (value.kind) {
    case 'stats':
      return value.average;
    case 'hist':
      return value.buckets.reduce((sum, b) => sum + b.count, 0n);
    case 'symbolic':
      return value.value;
    default:
      return 0n;
  }
}

/** The number an integer key field holds (an enum's or a pointer's too). */
function numberOf(p: Primitive | undefined): bigint {
  return typeof p === 'bigint' ? p : typeof p === 'object' && p.kind === 'symbolic' ? p.value : 0n;
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Field by field, the first field first. bpftrace compares integer fields as unsigned (so -1 comes
 * after 5) and string fields bytewise with strncmp; a tuple field compares its own fields the same way.
 */
export function compareKeys(a: Primitive[], b: Primitive[], fields: FieldLayout[]): number {
  for (let i = 0; i < fields.length; i++) {
    const order = compareField(a[i], b[i], fields[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

function compareField(a: Primitive | undefined, b: Primitive | undefined, field: FieldLayout): number {
  if (field.kind === 'int') return compareUnsigned(numberOf(a), numberOf(b), field.size * 8);
  if (field.kind === 'tuple') return compareKeys(elementsOf(a), elementsOf(b), field.fields);
  return compareBytes(textToBytes(a as string), textToBytes(b as string));
}

function elementsOf(p: Primitive | undefined): Primitive[] {
  return typeof p === 'object' && p.kind === 'tuple' ? p.values : [];
}

function compareUnsigned(a: bigint, b: bigint, bits: number): number {
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, b);
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
