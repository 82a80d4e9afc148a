// A map's raw contents (as the runtime reads them from the kernel) → a sorted MapDump.
import { isPerCpuMap, type FieldLayout, type MapSpec } from '../artifact.ts';
import { decodeField, decodeKey, decodeValue } from './decode.ts';
import { hist2MaxIndex, lhistBucketCount } from './hist.ts';
import type { HistBucket, MapDump, MapEntry, Primitive } from './model.ts';
import { sortEntries } from './order.ts';
import { presentEntries } from './present.ts';

export interface RawMapEntry {
  key: Uint8Array;
  /** For a per-CPU map: one copy per possible CPU, each padded to 8 bytes. */
  value: Uint8Array;
}

/**
 * `nCpus` is the number of possible CPUs (/sys/devices/system/cpu/possible), which per-CPU lookups
 * return. hist and lhist maps keep one kernel entry per (script key, bucket): the bucket index is the
 * last key field, so their entries are grouped by the other fields into one entry with its buckets.
 */
export function buildMapDump(spec: MapSpec, raw: RawMapEntry[], nCpus: number): MapDump {
  if (!spec.value) throw new Error(`map ${spec.name} has no value layout to print`);
  if (spec.presentOffset !== undefined) raw = presentEntries(spec, raw, nCpus);
  const valueKind = spec.value;
  // percpu_hash, percpu_array, lru_percpu_hash: a lookup returns one copy per possible CPU.
  const perCpu = isPerCpuMap(spec.type);
  const name = spec.scriptName ?? spec.name;

  if (valueKind.kind === 'hist' || valueKind.kind === 'lhist') {
    const fields = spec.key?.fields ?? [];
    const bucketField = fields[fields.length - 1];
    if (!bucketField || bucketField.kind !== 'int') {
      throw new Error(`${valueKind.kind} map ${spec.name} has no bucket index as its last key field`);
    }
    const keyFields = fields.slice(0, -1);
    const maxIndex =
      valueKind.kind === 'hist' ? hist2MaxIndex(valueKind.k) : lhistBucketCount(valueKind.min, valueKind.max, valueKind.step) - 1;
    const entries = groupBuckets(
      spec.name,
      maxIndex,
      raw.map((e) => {
        const view = new DataView(e.key.buffer, e.key.byteOffset, e.key.byteLength);
        return {
          key: keyFields.map((f) => decodeField(view, 0, f)),
          index: decodeField(view, 0, { ...bucketField, signed: false }) as bigint,
          count: decodeValue(valueKind, e.value, perCpu, nCpus) as bigint,
        };
      }),
    );
    return {
      name,
      keyed: keyFields.length > 0,
      keyFields,
      valueKind,
      entries: sortEntries(entries, keyFields, valueKind),
    };
  }

  const keyFields: FieldLayout[] = spec.key?.fields ?? [];
  const entries = raw.map((e) => ({
    key: decodeKey(spec.key, e.key),
    value: decodeValue(valueKind, e.value, perCpu, nCpus),
  }));
  return { name, keyed: spec.key !== undefined, keyFields, valueKind, entries: sortEntries(entries, keyFields, valueKind) };
}

/** A key part as a string that equal parts share (bigints do not go through JSON.stringify). */
function keyId(p: Primitive): string {
  if (typeof p === 'bigint') return `i${p}`;
  if (typeof p === 'string') return `s${JSON.stringify(p)}`;
  return `o${JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
}

interface RawBucket {
  key: Primitive[];
  index: bigint;
  count: bigint;
}

// Entries with equal script keys (compared by value, so padding bytes never split a key) become one
// entry; a bucket seen twice adds up.
// An index past the last bucket can only come from a program that computes buckets differently
// from hist.ts: that is a bug to report, not a row to print.
function groupBuckets(map: string, maxIndex: number, rows: RawBucket[]): MapEntry[] {
  const groups = new Map<string, { key: Primitive[]; buckets: Map<number, bigint> }>();
  for (const row of rows) {
    if (row.index > BigInt(maxIndex)) {
      throw new Error(`map ${map} has a bucket index ${row.index}, past its last bucket ${maxIndex}`);
    }
    const id = row.key.map(keyId).join(',');
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: row.key, buckets: new Map() }));
    const index = Number(row.index);
    group.buckets.set(index, BigInt.asUintN(64, (group.buckets.get(index) ?? 0n) + row.count));
  }
  return [...groups.values()].map(({ key, buckets }) => {
    const list: HistBucket[] = [...buckets].map(([index, count]) => ({ index, count })).sort((a, b) => a.index - b.index);
    return { key, value: { kind: 'hist', buckets: list } };
  });
}
