// bpftrace's print order for map entries (BPFtrace::print_map and sort_by_key).
import type { FieldLayout, ValueKind } from '../artifact.ts';
import type { MapEntry, MapValue, Primitive } from './model.ts';

const utf8 = new TextEncoder();

/**
 * count, sum and plain integer maps ascend by value; every other map ascends by key. bpftrace sorts
 * by value with an unstable std::sort over hash-table order, so its order for equal values changes
 * from run to run; we break those ties by key to print the same thing every time.
 */
export function sortEntries(entries: MapEntry[], keyFields: FieldLayout[], kind: ValueKind): MapEntry[] {
  const byKey = (a: MapEntry, b: MapEntry) => compareKeys(a.key, b.key, keyFields);
  if (!sortsByValue(kind)) return [...entries].sort(byKey);
  return [...entries].sort((a, b) => compareValues(a.value, b.value) || byKey(a, b));
}

function sortsByValue(kind: ValueKind): boolean {
  switch (kind.kind) {
    case 'count':
    case 'sum':
    case 'int':
      return true;
    case 'string':
      return false;
  }
}

// Values that sort are integers, already decoded with their kind's signedness.
function compareValues(a: MapValue, b: MapValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Field by field, the first field first. bpftrace compares integer fields as unsigned (so -1 comes
 * after 5) and string fields bytewise with strncmp.
 */
export function compareKeys(a: Primitive[], b: Primitive[], fields: FieldLayout[]): number {
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const order =
      field.kind === 'int'
        ? compareUnsigned(a[i] as bigint, b[i] as bigint, field.size * 8)
        : compareBytes(utf8.encode(a[i] as string), utf8.encode(b[i] as string));
    if (order !== 0) return order;
  }
  return 0;
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
