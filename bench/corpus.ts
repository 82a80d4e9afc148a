// What the benchmark runs: one-liners (the same text for both tools) and the bpftrace tools shipped in
// /usr/sbin/*.bt that need no kprobes, run unchanged.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OneLiner {
  id: string;
  text: string;
  /** Part of the program-size / cost-per-event cases (they fire on the getppid workload). */
  perEvent: boolean;
}

// Every per-event one-liner fires once per getppid() call of the workload.
export const ONE_LINERS: OneLiner[] = [
  { id: 'count', text: 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }', perEvent: true },
  { id: 'count by comm', text: 'tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }', perEvent: true },
  { id: 'sum of a tracepoint field', text: 'tracepoint:syscalls:sys_exit_getppid { @ = sum(args->ret); }', perEvent: true },
  { id: 'hist', text: 'tracepoint:syscalls:sys_exit_getppid { @ = hist(args->ret); }', perEvent: true },
  { id: 'printf', text: 'tracepoint:syscalls:sys_enter_getppid { printf("%d %s\\n", pid, comm); }', perEvent: true },
  { id: 'struct access (BTF)', text: 'tracepoint:syscalls:sys_enter_getppid { @ = sum(curtask->real_parent->tgid); }', perEvent: true },
  { id: 'wildcard, 4+ probes', text: 'tracepoint:syscalls:sys_enter_open* { @[probe] = count(); }', perEvent: false },
];

/**
 * Issue 4's start-up check: the same one-liner with and without struct access through BTF, so that the
 * ratio is what reading the kernel's types adds to a start (tsbt parses /sys/kernel/btf/vmlinux lazily).
 */
export const BTF_PAIR = {
  without: 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }',
  with: 'tracepoint:syscalls:sys_enter_openat { @[curtask->real_parent->comm] = count(); }',
};

/** `BEGIN { exit(); }`: the whole run of the smallest script. */
export const BEGIN_EXIT = 'BEGIN { exit(); }';

// 100,000 keys: one BEGIN loop of 100,000 map updates is over the verifier's 1,000,000 processed
// instructions (and bpftrace 0.17 allows only one BEGIN), so an interval probe adds 5,000 keys per
// firing and exits once @n reaches 100,000. 5,000, not 10,000: tsbt's loop of 10,000 map updates hits
// the verifier's limit of 8,192 jumps in one path ("The sequence of 8193 jumps is too complex"), where
// bpftrace's verifies. @n is set in BEGIN: tsbt rejects a map that is read before any assignment in
// the text ("`@n` is read but never assigned"), where bpftrace reads zero.
export const MAP_KEYS = 100_000;
export const MAP_100K =
  'BEGIN { @n = 0; } interval:ms:1 { if (@n < 100000) { $b = @n; $j = 0; while ($j < 5000) { @m[$b + $j] = $b + $j; $j++; } @n = $b + 5000; } else { exit(); } }';

/** printf flood: one line per getpgid(seq) call of the stepped workload, seq >= 10,000,000. */
export const PRINTF_FLOOD = 'tracepoint:syscalls:sys_enter_getpgid /args->pid >= 10000000/ { printf("%d\\n", args->pid); }';

export interface ToolScript {
  name: string;
  path: string;
  probes: string[];
}

const KERNEL_FUNCTION_PROBES = /^(kprobe|kretprobe|k|kr|kfunc|kretfunc|fentry|fexit|f|fr)$/;

/** Probe providers a script uses (the word before the first ':' of each probe spec). */
export function probeProviders(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const out = new Set<string>();
  // A probe spec starts a line (or follows a ',' of a probe list) outside blocks.
  let depth = 0;
  for (const line of code.split('\n')) {
    if (depth === 0 && !line.startsWith('#')) {
      for (const m of line.matchAll(/(?:^|,)\s*([A-Za-z_]+):/g)) out.add(m[1]!);
      const special = /^\s*(BEGIN|END)\b/.exec(line);
      if (special) out.add(special[1]!);
    }
    for (const ch of line) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
  }
  return [...out];
}

export function findTools(dir = '/usr/sbin'): { tools: ToolScript[]; skipped: ToolScript[] } {
  const tools: ToolScript[] = [];
  const skipped: ToolScript[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.bt')).sort();
  } catch { /* no tools */ }
  for (const n of names) {
    const path = join(dir, n);
    const probes = probeProviders(readFileSync(path, 'utf8'));
    const t = { name: n.replace(/\.bt$/, ''), path, probes };
    (probes.some((p) => KERNEL_FUNCTION_PROBES.test(p)) ? skipped : tools).push(t);
  }
  return { tools, skipped };
}
