// `npm run bench`: tsbt against bpftrace, side by side, in one run on one machine (issue 7). Writes
// docs/benchmarks.md. Exits non-zero only when the benchmark cannot run at all, never over a timing.
//
//   npm run bench -- [--pairs N] [--cases start,tools,whole,perevent,throughput] [--out FILE]
//                    [--calls N] [--ref GIT-REF] [--no-build] [--quick]
//
// By default tsbt is built from the working tree (node build.mjs). --ref measures a commit instead: it
// is exported with `git archive` into .cache/bench/tree-SHA and built there, so that edits in progress
// in the working tree do not end up in the numbers.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { perEvent, baseline } from './cases/perevent.ts';
import { startBtf, startOneLiners, startTools } from './cases/start.ts';
import { throughput } from './cases/throughput.ts';
import { wholeRuns } from './cases/whole.ts';
import { BEGIN_EXIT, findTools } from './corpus.ts';
import { enableBpfStats, haveBpftool } from './lib/bpf.ts';
import type { Context } from './lib/context.ts';
import { buildNatives } from './lib/native.ts';
import { activeGroups, killGroup, runSession } from './lib/proc.ts';
import { render, verdicts, type Machine, type Results } from './lib/report.ts';
import { bpftraceTool, failureReason, tsbtTool, type Tool } from './lib/tools.ts';
import { prepareRef } from './lib/tree.ts';

const ALL_CASES = ['start', 'tools', 'whole', 'perevent', 'throughput'] as const;
type CaseName = (typeof ALL_CASES)[number];

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

function fail(msg: string): never {
  log(`bench: cannot run: ${msg}`);
  process.exit(1);
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function prepare(ref: string): { dir: string; sha: string } {
  try {
    return prepareRef(root, ref, log);
  } catch (e) {
    fail((e as Error).message);
  }
}

function machine(tsbt: Tool, bpftrace: Tool | undefined, started: number, commit: string): Machine {
  const osRelease = (() => {
    try {
      return /PRETTY_NAME="?([^"\n]*)"?/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
    } catch {
      return '';
    }
  })();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: sh('uname', ['-rvm']),
    os: osRelease,
    tsbt: tsbt.version,
    commit,
    bpftrace: bpftrace?.version ?? 'not installed',
    bpftool: sh('bpftool', ['version']).split('\n')[0] || 'not installed',
    loadBefore: '',
    loadAfter: loadavg().map((x) => x.toFixed(2)).join(' '),
    durationS: (Date.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const { values: opt } = parseArgs({
    options: {
      pairs: { type: 'string' },
      cases: { type: 'string' },
      out: { type: 'string' },
      calls: { type: 'string' },
      ref: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (opt.help) {
    log('npm run bench -- [--pairs N] [--cases start,tools,whole,perevent,throughput] [--out FILE] [--calls N] [--ref GIT-REF] [--no-build] [--quick]');
    return;
  }
  const pairs = Math.max(1, Number(opt.pairs ?? (opt.quick ? 2 : 5)));
  const calls = Math.max(1000, Number(opt.calls ?? (opt.quick ? 100_000 : 300_000)));
  const selected = new Set<CaseName>((opt.cases?.split(',').map((s) => s.trim()) ?? ALL_CASES) as CaseName[]);
  for (const c of selected) if (!ALL_CASES.includes(c)) fail(`unknown case ${c} (cases: ${ALL_CASES.join(', ')})`);
  const partial = selected.size < ALL_CASES.length;
  const outPath = opt.out ?? (partial || opt.quick ? undefined : join(root, 'docs', 'benchmarks.md'));
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');

  if (process.geteuid?.() !== 0) fail('tracing needs root (CAP_BPF and CAP_PERFMON); run it as root');
  let tree = root;
  let commit: string;
  if (opt.ref !== undefined) {
    const r = prepare(opt.ref);
    tree = r.dir;
    commit = `${r.sha.slice(0, 12)} (\`--ref ${opt.ref}\`: git archive, built apart from the working tree)`;
  } else {
    if (!opt['no-build']) {
      log('bench: building tsbt (node build.mjs)');
      try {
        execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
      } catch {
        fail('node build.mjs failed');
      }
    }
    const dirty = sh('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']) ? ' + uncommitted changes of the working tree' : '';
    commit = `${sh('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD']) || 'unknown'}${dirty}`;
  }
  if (!existsSync(join(tree, 'dist', 'tsbt.mjs'))) fail(`${join(tree, 'dist', 'tsbt.mjs')} is missing (node build.mjs)`);
  const natives = buildNatives(root);
  for (const n of natives.notes) log(`bench: ${n}`);
  const tsbt = tsbtTool(tree, natives);
  let bpftrace = bpftraceTool(natives);
  const notes = [...natives.notes];
  if (!bpftrace) {
    log('bench: bpftrace is not installed (Debian: apt-get install bpftrace); measuring tsbt alone, without ratios');
    notes.push('bpftrace is not installed: tsbt alone is measured');
  }
  if (!haveBpftool()) notes.push('bpftool is not installed: no program sizes and no cost per event');

  // Preflight: a tool that cannot run even `BEGIN { exit(); }` cannot be benchmarked.
  for (const tool of [tsbt, ...(bpftrace ? [bpftrace] : [])]) {
    const r = await runSession({ ...tool.session({ text: BEGIN_EXIT }, { marker: false }), stdout: 'pipe', timeoutMs: 60_000 });
    if (r.error) {
      const why = failureReason(tool.name, r.stderr, r.error);
      if (tool === tsbt) fail(`tsbt cannot run \`${BEGIN_EXIT}\`: ${why}`);
      log(`bench: bpftrace cannot run \`${BEGIN_EXIT}\` (${why}); measuring tsbt alone`);
      notes.push(`bpftrace is installed but cannot run \`${BEGIN_EXIT}\`: ${why}`);
      bpftrace = undefined;
    }
  }
  const tools = [tsbt, ...(bpftrace ? [bpftrace] : [])];
  log(`bench: ${tools.map((t) => `${t.name} ${t.version}`).join(' vs ')}; ${pairs} pairs per script; load average ${loadBefore}`);

  const cx: Context = {
    root, tools, natives, log, tsbtErrors: new Map(),
    pairs: { pairs, warmup: true, soloRuns: Math.min(3, pairs) },
  };
  const restoreStats = selected.has('perevent') && haveBpftool() ? enableBpfStats() : undefined;
  if (selected.has('perevent') && haveBpftool() && !restoreStats) notes.push('cannot set kernel.bpf_stats_enabled: no cost per event');
  const cleanup = () => {
    for (const g of activeGroups) killGroup(g, 'SIGKILL');
    restoreStats?.();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      log(`bench: ${sig}, stopping`);
      cleanup();
      process.exit(130);
    });
  }

  const { tools: corpus, skipped } = findTools();
  const res: Results = {
    machine: machine(tsbt, bpftrace, started, commit), tools, pairs, notes, start: [], skippedTools: skipped, whole: [], perEvent: [],
    perEventCalls: calls, tsbtErrors: cx.tsbtErrors, partial,
  };
  try {
    const step = async (name: CaseName, title: string, fn: () => Promise<void>) => {
      if (!selected.has(name)) return;
      const t = Date.now();
      log(`bench: ${title}`);
      await fn();
      log(`bench: ${title}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };
    await step('start', 'case 1, start to attached: one-liners', async () => {
      res.start.push(...(await startOneLiners(cx)));
      res.btf = await startBtf(cx);
    });
    await step('tools', `case 1, start to attached: ${corpus.length} tools of /usr/sbin without kprobes`, async () => {
      if (corpus.length === 0) notes.push('no /usr/sbin/*.bt tools found (Debian\'s bpftrace package ships them)');
      res.start.push(...(await startTools(cx, corpus)));
    });
    await step('whole', 'case 2, whole run', async () => {
      res.whole.push(...(await wholeRuns(cx)));
    });
    await step('perevent', 'cases 4 and 5, program size and cost per event', async () => {
      if (!haveBpftool() || !restoreStats) return;
      res.baseline = await baseline(cx, calls);
      res.perEvent.push(...(await perEvent(cx, calls)));
    });
    await step('throughput', 'case 6, printf throughput', async () => {
      const plan: Array<[number, number]> = opt.quick
        ? [[50_000, 10_000], [200_000, 40_000], [0, 100_000]]
        : [[25_000, 5_000], [50_000, 10_000], [100_000, 20_000], [200_000, 40_000], [400_000, 80_000], [800_000, 160_000], [0, 300_000]];
      const saved = cx.pairs;
      cx.pairs = { ...saved, pairs: Math.min(saved.pairs, 3) };
      res.throughput = await throughput(cx, plan);
      cx.pairs = saved;
    });
  } finally {
    cleanup();
  }

  res.machine = { ...machine(tsbt, bpftrace, started, commit), loadBefore };
  const notesPath = join(root, 'bench', 'notes.md');
  if (existsSync(notesPath)) res.handNotes = readFileSync(notesPath, 'utf8');
  const md = render(res);
  writeFileSync(join(root, '.cache', 'bench', 'last.md'), md);
  writeFileSync(join(root, '.cache', 'bench', 'last.json'), JSON.stringify(res, (k, v) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : k === 'stderr' || k === 'stdoutHead' ? undefined : v), 2));
  if (outPath) {
    writeFileSync(outPath, md);
    log(`bench: wrote ${outPath}`);
  } else {
    log('bench: partial or quick run: docs/benchmarks.md left as it is (see .cache/bench/last.md, or pass --out FILE)');
  }
  const v = verdicts(res);
  log(`bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s; start geomean ${v.startToolsGeo?.toFixed(2) ?? '–'} (tools), trivial ${v.startTrivial?.toFixed(2) ?? '–'}; load average ${loadBefore} → ${res.machine.loadAfter}`);
  process.stdout.write(md);
}

main().catch((e: unknown) => {
  for (const g of activeGroups) killGroup(g, 'SIGKILL');
  fail((e as Error).stack ?? String(e));
});
