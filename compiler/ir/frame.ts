// Stack frame slots. The eBPF stack is 512 bytes below r10; slots are handed out downwards, aligned,
// and the total is checked against the limit when the program is finalized.

export const STACK_LIMIT = 512;

export class Frame {
  private size = 0;
  private peak = 0;

  /** Reserve `bytes` (rounded up to 8, so every slot is 8-aligned) and return its offset from fp. */
  alloc(bytes: number): number {
    this.size += Math.ceil(bytes / 8) * 8;
    this.peak = Math.max(this.peak, this.size);
    return -this.size;
  }

  /** Slots allocated after `mark()` are given back by `release(mark)`: statements reuse each other's stack. */
  mark(): number {
    return this.size;
  }

  release(mark: number): void {
    this.size = mark;
  }

  /** The most stack ever in use at once. */
  get used(): number {
    return this.peak;
  }
}
