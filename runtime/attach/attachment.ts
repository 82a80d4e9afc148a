// What attaching produces, and the perf-event-backed implementation every current mechanism shares.
import { PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_BPF } from '../sys/constants.ts';
import type { PerfEventAttr, Sys } from '../sys/sys.ts';

/** A program attached to its event source. Created inert; enable() makes the program start firing. */
export interface Attachment {
  /** The probe it serves, for messages. */
  readonly probe: string;
  enable(): void;
  /** Stops the program firing and closes every fd; safe to call more than once. */
  detach(): void;
}

/** An attachment that does nothing: BEGIN/END run through BPF_PROG_TEST_RUN instead. */
export class NoAttachment implements Attachment {
  constructor(readonly probe: string) {}
  enable(): void {}
  detach(): void {}
}

export interface PerfEventRequest {
  attr: PerfEventAttr;
  pid: number;
  cpu: number;
}

/**
 * A program on one or more perf events. The events are opened disabled at attach; enable() sets the
 * program on each (PERF_EVENT_IOC_SET_BPF) and then enables it. SET_BPF waits for enable() because for
 * trace events (tracepoints, uprobes) the program runs from the moment it is set, whatever the event's
 * enabled state: measured on 6.18, a disabled tracepoint event still ran its program on every hit.
 * Closing the fd is what detaches the program.
 */
export class PerfEventAttachment implements Attachment {
  private fds: number[];
  private programSet = false;

  private constructor(
    private readonly sys: Sys,
    readonly probe: string,
    private readonly progFd: number,
    fds: number[],
  ) {
    this.fds = fds;
  }

  /** Opens every requested event; on any failure closes the ones already open and rethrows. */
  static open(sys: Sys, probe: string, progFd: number, requests: PerfEventRequest[]): PerfEventAttachment {
    const fds: number[] = [];
    try {
      for (const r of requests) fds.push(sys.perfEventOpen({ ...r.attr, disabled: true }, r.pid, r.cpu));
    } catch (err) {
      closeAll(sys, fds);
      throw err;
    }
    return new PerfEventAttachment(sys, probe, progFd, fds);
  }

  get perfEventFds(): readonly number[] {
    return this.fds;
  }

  enable(): void {
    if (!this.programSet) {
      for (const fd of this.fds) this.sys.ioctl(fd, PERF_EVENT_IOC_SET_BPF, this.progFd);
      this.programSet = true;
    }
    for (const fd of this.fds) this.sys.ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  }

  detach(): void {
    const fds = this.fds;
    this.fds = [];
    closeAll(this.sys, fds);
  }
}

/** Closes every fd even when some close fails; rethrows the first failure afterwards. */
export function closeAll(sys: Sys, fds: readonly number[]): void {
  let first: unknown;
  for (const fd of fds) {
    try {
      sys.close(fd);
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
