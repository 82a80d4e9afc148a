// A quick A/B of tsbt's start-up, for work on it (the full comparison with bpftrace is `npm run bench`):
// start to attached of a few scripts, the whole run of `BEGIN { exit(); }`, and peak RSS, for the
// working tree and for any number of git commits, run round-robin so that a noisy machine hurts every
// tree alike. Medians of --runs runs (default 15); CPU time is the steadier measure when the machine is busy.
//
//   node --import tsx bench/startup.ts [--runs N] [--ref GIT-REF]... [--no-build] [--only count,begin,...]

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildNatives } from './lib/native.ts';
import { runSession, type SessionSpec } from './lib/proc.ts';
import { summarize } from './lib/stats.ts';
import { prepareRef } from './lib/tree.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Case {
  id: string;
  args: string[];
  /** Wait for the attached line (start time); otherwise the run ends by itself (whole run). */
  attached: boolean;
}

const CASES: Case[] = [
  { id: 'count', args: ['-e', 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }'], attached: true },
  { id: 'struct', args: ['-e', 'tracepoint:syscalls:sys_enter_getppid { @ = sum(curtask->real_parent->tgid); }'], attached: true },
  { id: 'opensnoop', args: ['/usr/sbin/opensnoop.bt'], attached: true },
  { id: 'begin', args: ['-e', 'BEGIN { exit(); }'], attached: false },
];

async function main(): Promise<void> {
  const { values: opt } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      ref: { type: 'string', multiple: true, default: [] },
      only: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'no-tree': { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(opt.runs));
  const only = opt.only?.split(',');
  const cases = CASES.filter((c) => (only ? only.includes(c.id) : true) && (c.args[0] === '-e' || existsSync(c.args[0]!)));
  const trees: Array<{ name: string; dir: string }> = [];
  for (const ref of opt.ref!) {
    const r = prepareRef(root, ref, (l) => process.stderr.write(`${l}\n`));
    trees.push({ name: `${ref} (${r.sha.slice(0, 8)})`, dir: r.dir });
  }
  if (!opt['no-tree']) {
    if (!opt['no-build']) execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
    trees.push({ name: 'working tree', dir: root });
  }
  const natives = buildNatives(root);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const table = new Map<string, { ms: number[]; cpu: number[]; rss: number[] }>();
  const one = async (dir: string, c: Case) => {
    const spec: SessionSpec = {
      argv: [process.execPath, join(dir, 'dist', 'tsbt.mjs'), ...c.args],
      stdout: 'pipe',
      timeoutMs: 30_000,
      ...(natives.runner ? { runner: natives.runner } : {}),
      ...(c.attached ? { marker: { stream: 'stderr' as const, re: /^Attached \d+ probes?$/ } } : {}),
    };
    const r = await runSession(spec);
    if (r.error) throw new Error(`${c.id} in ${dir}: ${r.error}\n${r.stderr}`);
    return { ms: (c.attached ? r.startNs! : r.wallNs!) / 1e6, cpu: (r.cpuUs ?? 0) / 1000, rss: (r.maxRssKb ?? 0) / 1024 };
  };
  for (const c of cases) {
    for (const t of trees) await one(t.dir, c); // warm-up
    for (let i = 0; i < runs; i++) {
      for (const t of trees) {
        const v = await one(t.dir, c);
        const key = `${c.id}\t${t.name}`;
        let e = table.get(key);
        if (!e) table.set(key, (e = { ms: [], cpu: [], rss: [] }));
        e.ms.push(v.ms);
        e.cpu.push(v.cpu);
        e.rss.push(v.rss);
      }
    }
  }
  const fmt = (x: number) => x.toFixed(1);
  process.stdout.write(`load average before: ${load}; after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${runs} runs each\n`);
  process.stdout.write('case\ttree\tms min / median / max\tCPU ms min / median (whole run)\tpeak RSS MB (median)\n');
  for (const [key, e] of table) {
    const ms = summarize(e.ms)!;
    const cpu = summarize(e.cpu)!;
    process.stdout.write(`${key}\t${fmt(ms.min)} / ${fmt(ms.median)} / ${fmt(ms.max)}\t${fmt(cpu.min)} / ${fmt(cpu.median)}\t${fmt(summarize(e.rss)!.median)}\n`);
  }
}

await main();
