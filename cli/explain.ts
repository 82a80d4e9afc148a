// Runtime failures in plain words: one paragraph naming what failed, why, and what to do.

import { VerifierError } from '../runtime/programs.ts';
import { ProgLoadError, SysError } from '../runtime/sys/errors.ts';

const isRoot = () => process.geteuid?.() === 0;

function privilege(what: string, code: string): string {
  return `root (or the CAP_BPF and CAP_PERFMON capabilities) is needed to load BPF programs: the kernel refused ${what} (${code}); run tsbt with sudo.`;
}

function verifierLog(log: string, verbose: boolean): string[] {
  const lines = log.trim().split('\n');
  const shown = verbose ? lines : lines.slice(-12);
  return [
    verbose || lines.length <= 12 ? 'Verifier log:' : `Last ${shown.length} lines of the verifier log (-v shows all of it):`,
    ...shown.map((l) => `  ${l}`),
  ];
}

export function explainRuntimeError(err: unknown, verbose: boolean): string {
  if (err instanceof VerifierError) {
    if ((err.code === 'EPERM' || err.code === 'EACCES') && err.log.trim() === '') {
      if (!isRoot()) return privilege(`loading ${err.probe}`, err.code);
      const hint = /^(fentry|fexit):/.test(err.probe)
        ? ' fentry and fexit need BPF trampolines, which this host refuses; kprobe/kretprobe or a tracepoint can often trace the same function.'
        : '';
      return `the kernel refused to load ${err.probe} (${err.code}) although tsbt runs as root: a security policy on this host forbids this program type.${hint}`;
    }
    return [`the kernel's verifier rejected ${err.probe} (${err.code}).`, ...verifierLog(err.log, verbose)].join('\n');
  }
  if (err instanceof ProgLoadError) {
    return [`the kernel's verifier rejected a program (${err.code}).`, ...verifierLog(err.log, verbose)].join('\n');
  }
  if (err instanceof SysError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      if (isRoot()) {
        return `the kernel refused ${err.syscall} (${err.code}) even though tsbt runs as root: a security policy ` +
          `(kernel lockdown, an LSM, or the host's restrictions on this program type) forbids it. Details: ${err.message}.`;
      }
      return privilege(err.syscall, err.code);
    }
    return `${err.message}.`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
