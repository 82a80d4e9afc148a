// Errors from system calls: every failure carries the errno, its name and the call that failed, so a
// message reads "bpf(BPF_MAP_CREATE): EPERM (Operation not permitted)" rather than "failed".
import { ERRNO_MESSAGES, Errno, errnoName } from './constants.ts';

export class SysError extends Error {
  /** The errno name (`EPERM`, `ENOENT`…), or `errno N` for one we have no name for. */
  readonly code: string;

  constructor(
    /** The call that failed, e.g. `bpf(BPF_PROG_LOAD)`, `perf_event_open`, `mount`. */
    readonly syscall: string,
    readonly errno: number,
    detail?: string,
  ) {
    const code = errnoName(errno);
    const text = ERRNO_MESSAGES[errno];
    super(`${syscall}: ${code}${text ? ` (${text})` : ''}${detail ? `: ${detail}` : ''}`);
    this.name = 'SysError';
    this.code = code;
  }
}

/** BPF_PROG_LOAD failed; `log` is the verifier's text (empty when it was loaded without a log). */
export class ProgLoadError extends SysError {
  constructor(
    errno: number,
    readonly log: string,
    /** Kernel 6.4+: the buffer size that would have held the whole log (when it was truncated). */
    readonly logTrueSize?: number,
  ) {
    super('bpf(BPF_PROG_LOAD)', errno);
    this.name = 'ProgLoadError';
  }
}

/** BPF_BTF_LOAD refused a BTF blob; `log` is the kernel's reason (when loaded with a log). */
export class BtfLoadError extends SysError {
  constructor(errno: number, readonly log: string) {
    super('bpf(BPF_BTF_LOAD)', errno, log.trim().split('\n').pop() || undefined);
    this.name = 'BtfLoadError';
  }
}

export function isSysError(err: unknown, code?: keyof typeof Errno): err is SysError {
  return err instanceof SysError && (code === undefined || err.errno === Errno[code]);
}

/**
 * True when a command failed because this kernel or map type does not implement it: ENOTSUPP
 * (no batch ops for this map type), EOPNOTSUPP, or EINVAL (kernels before 5.6 reject the unknown
 * command itself). Callers fall back to the older way of doing the same thing.
 */
export function isUnsupported(err: unknown): boolean {
  return (
    err instanceof SysError &&
    (err.errno === Errno.ENOTSUPP || err.errno === Errno.EOPNOTSUPP || err.errno === Errno.EINVAL)
  );
}
