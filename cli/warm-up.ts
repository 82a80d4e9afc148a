// What build.mjs runs, once, in the process that writes the CLI bundle's V8 code cache: V8 caches the
// bytecode of every function compiled so far, and those are functions no start has to compile again
// (cli/boot.ts). So this does what a typical start does, short of the kernel: parse a command line,
// compile scripts of the common shapes (BEGIN, tracepoints with args and filters, maps, aggregations,
// printf, strings, struct access through BTF where the kernel has it) and print their --emit asm.
// Nothing is loaded into the kernel, and a script that cannot compile here (no BTF) is fine.

import { compile } from '../api/index.ts';
import { parseArgs } from './args.ts';
import { emit } from './emit.ts';

const SCRIPTS = [
  'BEGIN { printf("hello %s\\n", "world"); exit(); }',
  'tracepoint:syscalls:sys_enter_getppid { @ = count(); }',
  'tracepoint:syscalls:sys_enter_openat /pid != 0/ { @[comm, str(args->filename)] = count(); @s = sum(args->flags); }',
  'tracepoint:syscalls:sys_exit_read /args->ret > 0/ { @bytes = hist(args->ret); @l = lhist(args->ret, 0, 1000, 100); @m = max(args->ret); }',
  'tracepoint:syscalls:sys_enter_execve { printf("%-6d %-16s %s\\n", pid, comm, str(args->filename)); $t = nsecs; @start[tid] = $t; }',
  'tracepoint:syscalls:sys_enter_getppid { @ = sum(curtask->real_parent->tgid); }',
  'interval:s:1 { time("%H:%M:%S\\n"); print(@); clear(@); } END { printf("done\\n"); }',
];

export function warmUp(): void {
  parseArgs(['-e', SCRIPTS[0]!]);
  for (const text of SCRIPTS) {
    const result = compile(text, { name: '-e' });
    if (result.artifact) emit('asm', result);
  }
}
