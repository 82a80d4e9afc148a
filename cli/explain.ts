// Runtime failures in plain words: one paragraph naming what failed, why, and what to do.

import { ProgLoadError, SysError } from '../runtime/sys/errors.ts';

export function explainRuntimeError(err: unknown, verbose: boolean): string {
  if (err instanceof ProgLoadError) {
    const log = err.log.trim().split('\n');
    const shown = verbose ? log : log.slice(-12);
    return [
      `the kernel's verifier rejected a program (${err.code}).`,
      verbose || log.length <= 12 ? 'Verifier log:' : `Last ${shown.length} lines of the verifier log (-v shows all of it):`,
      ...shown.map((l) => `  ${l}`),
    ].join('\n');
  }
  if (err instanceof SysError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      if (process.geteuid?.() === 0) {
        return `the kernel refused ${err.syscall} (${err.code}) even though tsbt runs as root: a security policy ` +
          `(kernel lockdown, an LSM, or the host's restrictions on this program type) forbids it. Details: ${err.message}.`;
      }
      return `root (or the CAP_BPF and CAP_PERFMON capabilities) is needed to load BPF programs: the kernel refused ${err.syscall} (${err.code}); run tsbt with sudo.`;
    }
    return `${err.message}.`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
