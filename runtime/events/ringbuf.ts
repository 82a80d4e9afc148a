// Reading a BPF_MAP_TYPE_RINGBUF in place, the way libbpf's ring_buffer__consume does: the consumer
// page (read-write, offset 0) holds our position; the producer page (read-only, offset = page size)
// holds the kernel's, followed by the data area mapped twice in a row so a record that wraps around
// the end is still contiguous. Checking for data is a memory read, not a syscall; to sleep until data
// arrives, watch `fd` with Sys.watchReadable.
import {
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  PROT_READ,
  PROT_WRITE,
} from '../sys/constants.ts';
import type { MappedRegion, Sys } from '../sys/sys.ts';

const roundUp8 = (n: number) => (n + 7) & ~7;

export class RingBufferReader {
  private consumer: MappedRegion | undefined;
  private producer: MappedRegion | undefined;
  /** Our position (consumer page, offset 0) and the kernel's (producer page, offset 0), u64 each. */
  private consumerPos: BigUint64Array;
  private producerPos: BigUint64Array;
  /** The data area (twice), as u32 words for the record headers and as bytes for the records. */
  private dataWords: Uint32Array;
  private dataBuffer: ArrayBuffer;
  private dataOffset: number;
  private readonly mask: bigint;

  /**
   * Maps the ring buffer behind `fd`; `size` is the map's max_entries (a power-of-two multiple of
   * the page size).
   */
  constructor(
    private readonly sys: Sys,
    readonly fd: number,
    readonly size: number,
  ) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new Error(`ring buffer size ${size} is not a power of two`);
    const page = sys.pageSize();
    this.mask = BigInt(size - 1);
    this.consumer = sys.mmap(fd, page, PROT_READ | PROT_WRITE, 0);
    try {
      this.producer = sys.mmap(fd, page + 2 * size, PROT_READ, page);
    } catch (err) {
      sys.munmap(this.consumer);
      throw err;
    }
    const c = this.consumer.bytes;
    const p = this.producer.bytes;
    this.consumerPos = new BigUint64Array(c.buffer, c.byteOffset, 1);
    this.producerPos = new BigUint64Array(p.buffer, p.byteOffset, 1);
    this.dataBuffer = p.buffer as ArrayBuffer;
    this.dataOffset = p.byteOffset + page;
    this.dataWords = new Uint32Array(p.buffer, this.dataOffset, (2 * size) / 4);
  }

  /** Whether committed or in-progress records are waiting (a memory read). */
  pending(): boolean {
    this.checkOpen();
    return Atomics.load(this.consumerPos, 0) < Atomics.load(this.producerPos, 0);
  }

  /**
   * Hands every committed record to `onRecord`, in order, and returns how many it handed over. Stops
   * at the first record still being written (BUSY); skips discarded ones. The DataView points into
   * the ring itself and is valid only during the call: the kernel reuses the space afterwards.
   * `limit` bounds the records looked at (discarded ones included), so that a producer faster than
   * the consumer cannot keep the caller in here forever; the rest stays pending for the next call.
   */
  drain(onRecord: (record: DataView) => void, limit = Infinity): number {
    this.checkOpen();
    let count = 0;
    let seen = 0;
    let cons = Atomics.load(this.consumerPos, 0);
    let prod = Atomics.load(this.producerPos, 0);
    while (cons < prod && seen++ < limit) {
      const offset = Number(cons & this.mask);
      const header = Atomics.load(this.dataWords, offset / 4);
      if (header & BPF_RINGBUF_BUSY_BIT) break;
      const length = header & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const next = cons + BigInt(roundUp8(length + BPF_RINGBUF_HDR_SZ));
      try {
        if (!(header & BPF_RINGBUF_DISCARD_BIT)) {
          count++;
          onRecord(new DataView(this.dataBuffer, this.dataOffset + offset + BPF_RINGBUF_HDR_SZ, length));
        }
      } finally {
        // Release each record as soon as it is read, so producers get the space back early.
        Atomics.store(this.consumerPos, 0, next);
      }
      cons = next;
      if (cons === prod) prod = Atomics.load(this.producerPos, 0);
    }
    return count;
  }

  close(): void {
    const regions = [this.consumer, this.producer];
    this.consumer = this.producer = undefined;
    for (const region of regions) if (region) this.sys.munmap(region);
  }

  private checkOpen(): void {
    // After munmap the views would point at unmapped memory: a crash, not an exception.
    if (!this.consumer || !this.producer) throw new Error('ring buffer reader is closed');
  }
}
