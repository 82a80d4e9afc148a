// The benchmark's small native helpers (bench/native/*.c), compiled once into .cache/bench/ with the
// system's C compiler. Without a compiler the benchmark still runs, with the fallbacks named here.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from './proc.ts';

export interface Natives {
  /** fork/exec with nanosecond times and wait4's peak RSS, reported on fd 3. */
  runner?: string;
  /** LD_PRELOAD shim: tells when bpftrace has attached (first epoll_wait after the attach ioctls). */
  attachedShim?: string;
  /** The syscall workload: [program, ...leading args]. */
  load: string[];
  compiler?: string;
  notes: string[];
}

export function buildNatives(root: string): Natives {
  const src = join(root, 'bench', 'native');
  const out = join(root, '.cache', 'bench');
  mkdirSync(out, { recursive: true });
  const notes: string[] = [];
  const cc = ['cc', 'gcc', 'clang'].map((c) => findExecutable(c)).find((c) => c !== undefined);
  const compile = (file: string, name: string, extra: string[]): string | undefined => {
    if (!cc) return undefined;
    const text = readFileSync(join(src, file));
    const hash = createHash('sha256').update(text).update(extra.join(' ')).digest('hex').slice(0, 12);
    const target = join(out, `${name}-${hash}`);
    if (existsSync(target)) return target;
    try {
      execFileSync(cc, ['-O2', '-Wall', '-o', target, join(src, file), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
      return target;
    } catch (e) {
      notes.push(`could not compile bench/native/${file}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0]}`);
      return undefined;
    }
  };
  const runner = compile('runner.c', 'runner', []);
  const attachedShim = compile('attached.c', 'attached.so', ['-shared', '-fPIC', '-ldl']);
  const load = compile('load.c', 'load', []);
  if (!cc) notes.push('no C compiler (cc/gcc/clang): bpftrace\'s attach moment falls back to its "Attaching N probes..." line (printed before it attaches), peak RSS to /proc VmHWM, the workload to Python');
  const python = findExecutable('python3');
  let loadCmd: string[];
  if (load) loadCmd = [load];
  else if (python) loadCmd = [python, join(src, 'load.py')];
  else throw new Error('no workload: neither a C compiler nor python3 is available');
  return { runner, attachedShim, load: loadCmd, compiler: cc, notes };
}
