// A map's raw contents (as the runtime reads them from the kernel) → a sorted MapDump.
import type { MapSpec } from '../artifact.ts';
import { decodeKey, decodeValue } from './decode.ts';
import type { MapDump } from './model.ts';
import { sortEntries } from './order.ts';

export interface RawMapEntry {
  key: Uint8Array;
  /** For a per-CPU map: one copy per possible CPU, each padded to 8 bytes. */
  value: Uint8Array;
}

/** `nCpus` is the number of possible CPUs (/sys/devices/system/cpu/possible), which per-CPU lookups return. */
export function buildMapDump(spec: MapSpec, raw: RawMapEntry[], nCpus: number): MapDump {
  if (!spec.value) throw new Error(`map ${spec.name} has no value layout to print`);
  const valueKind = spec.value;
  const keyFields = spec.key?.fields ?? [];
  const perCpu = spec.type === 'percpu_hash' || spec.type === 'percpu_array';
  const entries = raw.map((e) => ({
    key: decodeKey(spec.key, e.key),
    value: decodeValue(valueKind, e.value, perCpu, nCpus),
  }));
  return {
    name: spec.scriptName ?? spec.name,
    keyed: spec.key !== undefined,
    keyFields,
    valueKind,
    entries: sortEntries(entries, keyFields, valueKind),
  };
}
