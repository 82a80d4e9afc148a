// Aggregations kept in per-CPU arrays (MapSpec.presentOffset): every slot exists, and each CPU's copy
// ends with a word the program sets to 1 when it updates the value. These functions turn such raw
// entries into what a hash map would have held, and say how clear()/zero() rewrite a slot.
import type { MapSpec } from '../artifact.ts';
import { roundUp8 } from './decode.ts';
import type { RawMapEntry } from './dump.ts';

/** Whether any CPU's copy of the slot has its present word set. */
export function isPresent(spec: MapSpec, value: Uint8Array, nCpus: number): boolean {
  const offset = spec.presentOffset!;
  const stride = roundUp8(spec.valueSize);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  for (let cpu = 0; cpu < nCpus; cpu++) if (view.getBigUint64(cpu * stride + offset, true) !== 0n) return true;
  return false;
}

/**
 * The slots some CPU wrote, each value repacked without the present words, so the decoders see the
 * layout of the value kind alone.
 */
export function presentEntries(spec: MapSpec, raw: RawMapEntry[], nCpus: number): RawMapEntry[] {
  const offset = spec.presentOffset!;
  const stride = roundUp8(spec.valueSize);
  const packedStride = roundUp8(offset);
  const out: RawMapEntry[] = [];
  for (const entry of raw) {
    if (!isPresent(spec, entry.value, nCpus)) continue;
    const value = new Uint8Array(packedStride * nCpus);
    for (let cpu = 0; cpu < nCpus; cpu++) value.set(entry.value.subarray(cpu * stride, cpu * stride + offset), cpu * packedStride);
    out.push({ key: entry.key, value });
  }
  return out;
}

/**
 * The value to write back for clear() (all zeros: the slot becomes absent) or zero() (zeros, with the
 * present word kept on every CPU so the slot still prints, as a zeroed hash entry does). Undefined when
 * zero() meets a slot nobody wrote: it stays absent.
 */
export function resetValue(spec: MapSpec, value: Uint8Array, nCpus: number, mode: 'clear' | 'zero'): Uint8Array | undefined {
  const out = new Uint8Array(value.length);
  if (mode === 'clear') return out;
  if (!isPresent(spec, value, nCpus)) return undefined;
  const stride = roundUp8(spec.valueSize);
  const view = new DataView(out.buffer);
  for (let cpu = 0; cpu < nCpus; cpu++) view.setBigUint64(cpu * stride + spec.presentOffset!, 1n, true);
  return out;
}
