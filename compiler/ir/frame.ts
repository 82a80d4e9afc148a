// Stack frame slots. The eBPF stack is 512 bytes below r10; slots are handed out downwards, aligned,
// and the total is checked against the limit when the program is finalized.

export const STACK_LIMIT = 512;

export class Frame {
  private size = 0;

  /** Reserve `bytes` (rounded up to 8, so every slot is 8-aligned) and return its offset from fp. */
  alloc(bytes: number): number {
    this.size += Math.ceil(bytes / 8) * 8;
    return -this.size;
  }

  get used(): number {
    return this.size;
  }
}
