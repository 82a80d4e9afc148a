// Where a running script's text goes (stdout or -o FILE), batched, flushed before exit, and never the
// cause of a crash, of a stalled event loop or of unbounded memory:
// - pieces are joined and written once per turn of the event loop (a flood of printf is a few large
//   writes, not millions of small ones);
// - the fd is written with fs.write, from libuv's thread pool: a reader that does not keep up never
//   blocks the event loop, so a second Ctrl-C is seen even then. (process.stdout would block when
//   the pipe is in blocking mode, which a `-c` command inheriting it switches it to; a non-blocking fd
//   that is full answers EAGAIN and is tried again shortly);
// - when more than `highWater` bytes wait, `onPressure(true)` asks the session to stop reading events
//   (the kernel then counts what it drops, reported as `Lost N events`), and `onPressure(false)` once
//   half of that was written;
// - a write error (EPIPE, ENOSPC, EIO...) is reported once through `onError`; later text is dropped;
// - end() resolves when everything written so far reached the file or pipe (or failed), and closes
//   the fd unless it is stdout.
// Text is written as UTF-8, except that bytes a traced string held that are not UTF-8 (kept as lone
// surrogates by the lossless decoding, runtime/format/strings.ts) are written back as those bytes.

import { close, write } from 'node:fs';
import { textToBytes } from '../runtime/format/strings.ts';

export interface OutputOptions {
  onError(error: NodeJS.ErrnoException): void;
  onPressure?(full: boolean): void;
  /** Bytes waiting above which onPressure(true) is called. */
  highWater?: number;
  /** Close the fd at end() (a file tsbt opened). */
  closeAtEnd?: boolean;
}

/** Text joined before it is queued for writing, at most. */
const BATCH_CHARS = 1 << 16;
/** A non-blocking fd that is full is tried again after this long. */
const EAGAIN_RETRY_MS = 5;

export class Output {
  private pieces: string[] = [];
  private pendingChars = 0;
  private scheduled: NodeJS.Immediate | undefined;
  /** Encoded batches waiting to be written, the first possibly in part. */
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private idle: (() => void)[] = [];
  private failed = false;
  private pressured = false;
  private ended: Promise<void> | undefined;
  private readonly highWater: number;

  constructor(private readonly fd: number, private readonly options: OutputOptions) {
    this.highWater = options.highWater ?? 1 << 23;
  }

  write(text: string): void {
    if (this.failed || this.ended || text.length === 0) return;
    this.pieces.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= BATCH_CHARS) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Queue everything written so far for the fd. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pieces.length === 0 || this.failed) return;
    const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
    this.pieces = [];
    this.pendingChars = 0;
    const bytes = textToBytes(text);
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (!this.pressured && this.queuedBytes > this.highWater) {
      this.pressured = true;
      this.options.onPressure?.(true);
    }
    this.pump();
  }

  /** Resolves once every byte written before the call reached the fd, or writing failed. */
  drained(): Promise<void> {
    this.flush();
    if (!this.writing || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Flush, then close the fd if asked to; resolves when everything is written or writing failed. */
  end(): Promise<void> {
    this.ended ??= this.drained().then(() => {
      if (!this.options.closeAtEnd) return;
      return new Promise<void>((resolve) => close(this.fd, () => resolve()));
    });
    return this.ended;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  private pump(): void {
    if (this.writing || this.failed) return;
    const chunk = this.queue[0];
    if (!chunk) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.writing = true;
    write(this.fd, chunk, 0, chunk.length, null, (err, written) => {
      this.writing = false;
      if (err) {
        if (err.code === 'EAGAIN') {
          this.writing = true;
          setTimeout(() => {
            this.writing = false;
            this.pump();
          }, EAGAIN_RETRY_MS);
          return;
        }
        this.fail(err);
        return;
      }
      this.queuedBytes -= written;
      if (written >= chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(written);
      if (this.pressured && this.queuedBytes <= this.highWater / 2) {
        this.pressured = false;
        this.options.onPressure?.(false);
      }
      this.pump();
    });
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = true;
    this.pieces = [];
    this.queue = [];
    this.queuedBytes = 0;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.options.onError(error);
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
