// The value model between decoding and rendering (bpftrace keeps the same split): decoders turn raw
// map and event bytes into these plain values; the text (and later JSON) renderers only read them.
import type { FieldLayout, ValueKind } from '../artifact.ts';

/** One decoded scalar: integers as bigint (sign already applied), strings as text. */
export type Primitive = bigint | string;

/** A printf argument: strings may stay raw bytes so widths and precisions count bytes, as in C. */
export type PrintfArg = bigint | string | Uint8Array;

/** A map value once its per-CPU copies are reduced. New value kinds (hist, stats…) join this union. */
export type MapValue = Primitive;

export interface MapEntry {
  /** One element per key field; empty for a scalar map. */
  key: Primitive[];
  value: MapValue;
}

/** Everything needed to print one map, entries already in bpftrace's print order. */
export interface MapDump {
  /** The name in the script: `@`, `@bytes`. */
  name: string;
  /** False for a scalar map (`@x: 5`), true for one indexed by a key (`@x[k]: 5`). */
  keyed: boolean;
  /** The key fields, for renderers that need types (JSON); empty for a scalar map. */
  keyFields: FieldLayout[];
  valueKind: ValueKind;
  entries: MapEntry[];
}
