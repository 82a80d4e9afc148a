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
      return `${err.message}.\ntsbt needs root (or the CAP_BPF and CAP_PERFMON capabilities) to load BPF programs; run it with sudo.`;
    }
    return `${err.message}.`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
