// The registry: every probe type and builtin tsbt knows, in one place. Adding one is a line here.

import type { BuiltinFunction, BuiltinVariable, ProbeProvider, Registry } from '../compiler/registry.ts';
import { avg, count, max, min, stats, sum } from './builtins/aggregations.ts';
import { hist, lhist } from './builtins/histograms.ts';
import { args, argRegisters, retval } from './builtins/args.ts';
import { cgroup, comm, cpid, cpu, curtask, elapsed, func, gid, jiffies, ncpus, nsecs, numaid, pid, ppid, probe, rand, tid, uid, username } from './builtins/context.ts';
import { del, hasKey, len } from './builtins/maps.ts';
import { cat, clear, exit, join, print, printf, signal, strftime, system, time, zero } from './builtins/output.ts';
import { buf, str, strcontains, strlen, strncmp } from './builtins/strings.ts';
import { kaddr, ksym, kstack, kstackVar, uaddr, usym, ustack, ustackVar } from './builtins/stacks.ts';
import { bswap, htonl, htons, ntohl, ntohs, ntop } from './builtins/network.ts';
import { kprobe, kretprobe } from './providers/kprobe.ts';
import { hardware, interval, profile, software } from './providers/perf.ts';
import { begin, end } from './providers/special.ts';
import { tracepoint } from './providers/tracepoint.ts';
import { rawTracepoint } from './providers/raw-tracepoint.ts';
import { fentry, fexit } from './providers/fentry.ts';
import { uprobe, uretprobe } from './providers/uprobe.ts';
import { usdt } from './providers/usdt.ts';

const providers: ProbeProvider[] = [begin, end, tracepoint, rawTracepoint, kprobe, kretprobe, fentry, fexit, uprobe, uretprobe, usdt, interval, profile, software, hardware];
const variables: BuiltinVariable[] = [kstackVar, ustackVar, cpid, pid, tid, uid, username, gid, comm, nsecs, cpu, rand, cgroup, curtask, elapsed, ncpus, probe, ppid, jiffies, numaid, func, args, ...argRegisters, retval];
const functions: BuiltinFunction[] = [count, sum, min, max, avg, stats, hist, lhist, printf, print, time, cat, exit, clear, zero, del, hasKey, len, str, ntop, ntohs, ntohl, htons, htonl, bswap, kstack, ustack, ksym, usym, kaddr, uaddr, strftime, system, signal, strncmp, strcontains, strlen, buf, join];

const byName = new Map<string, ProbeProvider>();
for (const p of providers) for (const n of [p.name, ...p.aliases]) byName.set(n, p);

export const stdlib: Registry = {
  providers,
  variables: new Map(variables.map((v) => [v.name, v])),
  functions: new Map(functions.map((f) => [f.name, f])),
  provider: (name) => byName.get(name),
};
