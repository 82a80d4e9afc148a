// Kernel maps created from the artifact's MapSpecs, with raw-byte access from user space. Decoding
// keys and values is runtime/format's job; this file only moves bytes.
import { isPerCpuMap, type MapSpec, type MapType } from './artifact.ts';
import { possibleCpuCount } from './kernel/cpus.ts';
import { BpfMapType } from './sys/constants.ts';
import { SysError, isSysError, isUnsupported, type Sys } from './sys/sys.ts';

export const MAP_TYPES: Record<MapType, number> = {
  hash: BpfMapType.HASH,
  percpu_hash: BpfMapType.PERCPU_HASH,
  array: BpfMapType.ARRAY,
  percpu_array: BpfMapType.PERCPU_ARRAY,
  ringbuf: BpfMapType.RINGBUF,
  lru_hash: BpfMapType.LRU_HASH,
  lru_percpu_hash: BpfMapType.LRU_PERCPU_HASH,
  stack_trace: BpfMapType.STACK_TRACE,
};

export const roundUp8 = (n: number) => (n + 7) & ~7;

export const isPerCpu = isPerCpuMap;

export interface CreateMapOptions {
  /** Copies in a per-CPU value (default: possible CPUs from sysfs). */
  possibleCpus?: number;
}

/**
 * One raw map entry (for per-CPU maps, `value` holds every CPU's copy, each padded to 8 bytes). Batched
 * reads return views into the batch's buffers (mind byteOffset), not one buffer per entry: a copy per
 * key and value made reading 100,000 entries twice as slow and 60 MB bigger.
 */
export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** Entries fetched per BPF_MAP_LOOKUP_BATCH call (grown when a hash bucket does not fit). */
const BATCH_ENTRIES = 256;

export class BpfMap {
  /** Bytes per CPU copy of a per-CPU value: the kernel pads each to 8. */
  readonly perCpuStride: number;
  /** Bytes of a value as user space reads and writes it (all CPU copies for per-CPU maps). */
  readonly valueBufferSize: number;
  private batchUnsupported = false;
  private closed = false;

  constructor(
    private readonly sys: Sys,
    readonly fd: number,
    readonly spec: MapSpec,
    readonly possibleCpus: number,
  ) {
    this.perCpuStride = roundUp8(spec.valueSize);
    this.valueBufferSize = isPerCpu(spec.type) ? this.perCpuStride * possibleCpus : spec.valueSize;
  }

  get name(): string {
    return this.spec.name;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length !== this.spec.keySize) {
      throw new Error(`map ${this.name}: key is ${key.length} bytes, expected ${this.spec.keySize}`);
    }
  }

  /** The value bytes for `key`, or undefined when absent. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const value = new Uint8Array(this.valueBufferSize);
    return this.sys.mapLookup(this.fd, key, value) ? value : undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags?: number): void {
    this.checkKey(key);
    if (value.length !== this.valueBufferSize) {
      throw new Error(`map ${this.name}: value is ${value.length} bytes, expected ${this.valueBufferSize}`);
    }
    this.sys.mapUpdate(this.fd, key, value, flags);
  }

  /** False when the key was absent. */
  delete(key: Uint8Array): boolean {
    this.checkKey(key);
    return this.sys.mapDelete(this.fd, key);
  }

  /** Every key, through BPF_MAP_GET_NEXT_KEY. */
  keys(): Uint8Array[] {
    const keys: Uint8Array[] = [];
    let prev: Uint8Array | null = null;
    for (;;) {
      const next = new Uint8Array(this.spec.keySize);
      if (!this.sys.mapGetNextKey(this.fd, prev, next)) return keys;
      keys.push(next);
      prev = next;
    }
  }

  /**
   * Every key/value pair as raw bytes: batched where the kernel supports it, else one key at a
   * time (a key deleted between get_next_key and lookup is skipped).
   */
  entries(): MapEntry[] {
    if (!this.batchUnsupported) {
      try {
        return this.entriesBatched();
      } catch (err) {
        if (!isUnsupported(err)) throw err;
        this.batchUnsupported = true;
      }
    }
    const out: MapEntry[] = [];
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value) out.push({ key, value });
    }
    return out;
  }

  private entriesBatched(): MapEntry[] {
    const { keySize } = this.spec;
    const out: MapEntry[] = [];
    // The batch token is a u32 bucket index for hash maps and a key for arrays.
    const tokenSize = Math.max(keySize, 8);
    let inBatch: Uint8Array | null = null;
    let count = Math.min(BATCH_ENTRIES, Math.max(1, this.spec.maxEntries));
    for (;;) {
      const outBatch: Uint8Array = new Uint8Array(tokenSize);
      const keys = new Uint8Array(count * keySize);
      const values = new Uint8Array(count * this.valueBufferSize);
      let result;
      try {
        result = this.sys.mapLookupBatch(this.fd, { inBatch, outBatch, keys, values, count });
      } catch (err) {
        // ENOSPC: one hash bucket holds more entries than `count`; retry the same batch bigger.
        if (isSysError(err, 'ENOSPC')) {
          count *= 2;
          continue;
        }
        throw err;
      }
      for (let i = 0; i < result.count; i++) {
        out.push({
          key: keys.subarray(i * keySize, (i + 1) * keySize),
          value: values.subarray(i * this.valueBufferSize, (i + 1) * this.valueBufferSize),
        });
      }
      if (result.done) return out;
      inBatch = outBatch;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sys.close(this.fd);
  }
}

/**
 * Creates the kernel map for a spec. Hash maps keep the kernel's default preallocation (no
 * BPF_F_NO_PREALLOC): updates from probe context then never allocate, and kernels before 6.1 reject
 * non-preallocated hash maps in perf_event programs (which can run in NMI context). The cost is
 * memory for maxEntries elements up front.
 */
export function createMap(sys: Sys, spec: MapSpec, opts: CreateMapOptions = {}): BpfMap {
  const type = MAP_TYPES[spec.type];
  if (type === undefined) throw new Error(`map ${spec.name}: unknown map type '${spec.type}'`);
  const ring = spec.type === 'ringbuf';
  let fd: number;
  try {
    fd = sys.mapCreate({
      mapType: type,
      // A ring buffer has no keys or values; its size is max_entries.
      keySize: ring ? 0 : spec.keySize,
      valueSize: ring ? 0 : spec.valueSize,
      maxEntries: spec.maxEntries,
      name: spec.name,
    });
  } catch (err) {
    if (!(err instanceof SysError)) throw err;
    const shape = ring ? `${spec.maxEntries} bytes` : `key ${spec.keySize}, value ${spec.valueSize}, ${spec.maxEntries} entries`;
    throw new SysError(err.syscall, err.errno, `map ${spec.name} (${spec.type}, ${shape})`);
  }
  const cpus = isPerCpu(spec.type) ? (opts.possibleCpus ?? possibleCpuCount()) : 1;
  return new BpfMap(sys, fd, spec, cpus);
}
