// A queue of values read with `for await`: the producer pushes and ends (or fails) it, the consumer
// takes values in order at its own pace. The producer is told how many values wait (`onLevel`) so it
// can stop producing when the consumer falls behind, and when the consumer stops early (`onClose`).

export interface EventStreamHooks {
  /** Called after each push and each take, with the number of values waiting. */
  onLevel?(waiting: number): void;
  /** The consumer is gone (broke out of its loop) or the stream ended: nothing more is wanted. */
  onClose?(): void;
}

export class EventStream<T> implements AsyncIterableIterator<T> {
  private queue: T[] = [];
  /** Index of the next value in `queue` (taken values are dropped in batches, not one by one). */
  private head = 0;
  private reader: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(private readonly hooks: EventStreamHooks = {}) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  push(value: T): void {
    if (this.ended || this.closed) return;
    if (this.reader) {
      const reader = this.reader;
      this.reader = undefined;
      reader.resolve({ value, done: false });
      return;
    }
    this.queue.push(value);
    this.hooks.onLevel?.(this.waiting);
  }

  /** No more values: the consumer gets the waiting ones, then the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleReader();
  }

  /** No more values: the consumer gets the waiting ones, then `error` is thrown from its loop. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.settleReader();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.hooks.onLevel?.(this.waiting);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended || this.closed) return this.finish();
    if (this.reader) return Promise.reject(new Error('next() called again before the previous call resolved'));
    return new Promise((resolve, reject) => (this.reader = { resolve, reject }));
  }

  /** The consumer left its loop (break, return, throw): drop what waits and take nothing more. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private settleReader(): void {
    if (!this.reader || this.head < this.queue.length) return;
    const reader = this.reader;
    this.reader = undefined;
    this.finish().then(reader.resolve, reader.reject);
  }

  private finish(): Promise<IteratorResult<T>> {
    const failure = this.failure;
    this.failure = undefined;
    this.close();
    return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.hooks.onClose?.();
  }
}
