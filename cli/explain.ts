// Runtime failures in plain words: one paragraph naming what failed, why, and what to do. A verifier
// rejection also shows the instruction the kernel stopped at, the script line it came from (through
// the artifact's source map) and the verifier's own last lines.

import { type Diagnostic, renderDiagnostic, type RenderStyle } from '../grammar/diagnostics.ts';
import type { SourceFile } from '../grammar/source.ts';
import type { Artifact } from '../runtime/artifact.ts';
import { VerifierError } from '../runtime/programs.ts';
import { ProgLoadError, SysError } from '../runtime/sys/errors.ts';

const isRoot = () => process.geteuid?.() === 0;

export interface ExplainContext {
  verbose: boolean;
  source?: SourceFile;
  artifact?: Artifact;
  style?: RenderStyle;
}

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

/** The common verifier complaints, in words a script author can act on. */
const VERDICTS: [RegExp, string][] = [
  [/invalid mem access 'map_value_or_null'|invalid mem access '.*or_null'/, 'a map value was used without checking that the key exists'],
  [/invalid mem access|invalid (read|write) from stack|invalid indirect read/, 'the program reads memory it may not read directly'],
  [/misaligned/, 'a memory access is not aligned to its size'],
  [/back-edge|infinite loop|unbounded/, 'a loop the verifier cannot prove ends: bound it with a counter (`while ($i < 100)`) or use unroll()'],
  [/BPF program is too large|too many instructions|complexity limit|jumps is too complex/, 'the program is too large or has too many paths for the verifier: split the probe or simplify loops'],
  [/stack (limit|depth)|combined stack size|invalid stack off/, 'the program uses more than the 512 bytes of stack eBPF allows'],
  [/unknown func bpf_(for_each_map_elem|map_lookup_percpu_elem)|missing btf func_info/,
    'this kernel cannot run `for ($kv : @map)` or `len(@map)`: they need Linux 5.13 (5.19 for count/sum/min/max values in the loop)'],
  [/unknown func|program of this type cannot use helper|helper call is not allowed/, 'a builtin used here calls a kernel helper this probe type may not use'],
  [/R\d+ type=.* expected=|invalid argument|arg#?\d .* expected/, 'a helper was called with an argument of the wrong kind'],
  [/R0 !read_ok|R\d+ !read_ok/, 'a register is read before it is set (a compiler bug: please report it)'],
];

function plainVerdict(log: string): string | undefined {
  for (const [re, text] of VERDICTS) if (re.test(log)) return text;
  return undefined;
}

/** The instruction index of the verifier's last processed instruction (`123: (79) r1 = ...`). */
export function failingInstruction(log: string): number | undefined {
  let last: number | undefined;
  for (const m of log.matchAll(/^(\d+): \(/gm)) last = Number(m[1]);
  return last;
}

function sourceLine(err: VerifierError, cx: ExplainContext): string[] {
  if (!cx.source || !cx.artifact) return [];
  const program = cx.artifact.programs.find((p) => p.name === err.program);
  const insn = failingInstruction(err.log);
  const span = insn === undefined ? undefined : program?.sourceSpans?.[insn];
  if (!span) return [];
  const d: Diagnostic = { severity: 'error', message: `the verifier stopped at instruction ${insn}, from here`, span: { start: span[0], end: span[1] } };
  return [renderDiagnostic(d, cx.source, cx.style)];
}

export function explainRuntimeError(err: unknown, cx: ExplainContext | boolean): string {
  const context: ExplainContext = typeof cx === 'boolean' ? { verbose: cx } : cx;
  const { verbose } = context;
  if (err instanceof VerifierError) {
    if ((err.code === 'EPERM' || err.code === 'EACCES') && err.log.trim() === '') {
      if (!isRoot()) return privilege(`loading ${err.probe}`, err.code);
      const hint = /^(fentry|fexit):/.test(err.probe)
        ? ' fentry and fexit need BPF trampolines, which this host refuses; kprobe/kretprobe or a tracepoint can often trace the same function.'
        : '';
      return `the kernel refused to load ${err.probe} (${err.code}) although tsbt runs as root: a security policy on this host forbids this program type.${hint}`;
    }
    const verdict = plainVerdict(err.log);
    return [
      `the kernel's verifier rejected ${err.probe} (${err.code})${verdict ? `: ${verdict}` : ''}.`,
      ...sourceLine(err, context),
      ...verifierLog(err.log, verbose),
    ].join('\n');
  }
  if (err instanceof ProgLoadError) {
    return [`the kernel's verifier rejected a program (${err.code}).`, ...verifierLog(err.log, verbose)].join('\n');
  }
  if (err instanceof SysError) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      if (isRoot()) {
        // Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK and answer EPERM when it is exceeded.
        const memlock = err.syscall.includes('MAP_CREATE')
          ? ' On kernels before 5.11 the cause is usually the locked-memory limit: raise it with `ulimit -l unlimited`.'
          : '';
        return `the kernel refused ${err.syscall} (${err.code}) even though tsbt runs as root: a security policy ` +
          `(kernel lockdown, an LSM, or the host's restrictions on this program type) forbids it.${memlock} Details: ${err.message}.`;
      }
      return privilege(err.syscall, err.code);
    }
    if (err.syscall === 'pidfd_open' && err.code === 'ESRCH') return `-p: there is no process ${/pid (\d+)/.exec(err.message)?.[1] ?? ''} to trace.`;
    if (err.syscall === 'pidfd_open' && err.code === 'ENOSYS') return '-p needs Linux 5.3 or newer (pidfd_open), to know when the process ends.';
    return `${err.message}.`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
