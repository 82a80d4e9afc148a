// Renders the results as docs/benchmarks.md: machine, versions, one table per case, the targets of
// issue 7, what tsbt could not run and why, and the method.

import type { BtfPairRow, StartRow } from '../cases/start.ts';
import type { WholeRow } from '../cases/whole.ts';
import type { Baseline, PerEventRow } from '../cases/perevent.ts';
import type { ThroughputRow, ThroughputValue } from '../cases/throughput.ts';
import type { Runs } from './pairs.ts';
import { fmt, fmtRatio, fmtSummary, geomean, ratio, summarize, type Summary } from './stats.ts';
import type { Tool, ToolName } from './tools.ts';

export interface Machine {
  date: string;
  cpu: string;
  cpus: number;
  memory: string;
  kernel: string;
  os: string;
  tsbt: string;
  commit: string;
  bpftrace: string;
  bpftool: string;
  loadBefore: string;
  loadAfter: string;
  durationS: number;
}

export interface Results {
  machine: Machine;
  tools: Tool[];
  pairs: number;
  notes: string[];
  start: StartRow[];
  /** Issue 4: the one-liner with struct access against the same one-liner without it. */
  btf?: BtfPairRow;
  skippedTools: Array<{ name: string; probes: string[] }>;
  whole: WholeRow[];
  perEvent: PerEventRow[];
  perEventCalls: number;
  baseline?: Baseline;
  throughput?: ThroughputRow;
  tsbtErrors: Map<string, { names: Set<string>; scripts: Set<string> }>;
  handNotes?: string;
  partial: boolean;
}

const T: ToolName = 'tsbt';
const B: ToolName = 'bpftrace';

function values<V, K extends keyof V>(runs: Runs<V>, tool: ToolName, key: K): number[] {
  const out: number[] = [];
  for (const s of runs.samples.get(tool) ?? []) {
    const x: unknown = s.value?.[key];
    if (typeof x === 'number') out.push(x);
  }
  return out;
}

function cell<V>(runs: Runs<V>, tool: ToolName, s: Summary | undefined, scale = 1, haveTool = true): string {
  if (!haveTool) return 'not installed';
  const f = runs.failed.get(tool);
  if (!s) return f ? `${tool}: ${tool === T ? 'unsupported' : 'fails'} (${esc(f.reason)})` : '–';
  const out = fmtSummary(s, scale);
  return s.n === 1 ? `${fmt(s.median / scale)} (1 run)` : s.n < 3 ? `${out} (${s.n} runs)` : out;
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function met(ok: boolean | undefined): string {
  return ok === undefined ? '–' : ok ? 'yes' : '**no**';
}

export interface Verdicts {
  startToolsGeo?: number;
  startToolsN: number;
  startTrivial?: number;
  /** Start to attached with struct access / without, per tool. */
  btfRatio: Partial<Record<ToolName, number>>;
  beginExit?: number;
  map100kMs?: number;
  rssGeo?: number;
  rssWorst?: { label: string; r: number };
  insnsWorst?: { label: string; r: number };
  costGeo?: number;
  costWorst?: { label: string; r: number };
  zeroLoss?: number;
  flood?: number;
  lossExact?: boolean;
}

export function verdicts(res: Results): Verdicts {
  const v: Verdicts = { startToolsN: 0, btfRatio: {} };
  const toolRatios: number[] = [];
  for (const row of res.start.filter((r) => r.kind === 'tool')) {
    const r = ratio(summarize(values(row.runs, T, 'startMs')), summarize(values(row.runs, B, 'startMs')));
    if (r !== undefined && (row.runs.samples.get(T)?.length ?? 0) > 1) toolRatios.push(r);
  }
  v.startToolsGeo = geomean(toolRatios);
  v.startToolsN = toolRatios.length;
  const trivial = res.start[0];
  if (trivial) v.startTrivial = ratio(summarize(values(trivial.runs, T, 'startMs')), summarize(values(trivial.runs, B, 'startMs')));
  if (res.btf) {
    for (const tool of [T, B]) {
      const r = ratio(summarize(values(res.btf.runs, tool, 'withMs')), summarize(values(res.btf.runs, tool, 'withoutMs')));
      if (r !== undefined) v.btfRatio[tool] = r;
    }
  }
  const be = res.whole[0];
  if (be) v.beginExit = ratio(summarize(values(be.runs, T, 'wallMs')), summarize(values(be.runs, B, 'wallMs')));
  const m = res.whole[1];
  if (m) v.map100kMs = summarize(values(m.runs, T, 'wallMs'))?.median;
  const rss: Array<{ label: string; r: number }> = [];
  for (const row of [...res.start, ...res.whole]) {
    const r = ratio(summarize(values(row.runs as Runs<{ rssKb?: number }>, T, 'rssKb')), summarize(values(row.runs as Runs<{ rssKb?: number }>, B, 'rssKb')));
    if (r !== undefined && (row.runs.samples.get(T)?.length ?? 0) > 1) rss.push({ label: row.label, r });
  }
  v.rssGeo = geomean(rss.map((x) => x.r));
  v.rssWorst = rss.sort((a, b) => b.r - a.r)[0];
  const ins: Array<{ label: string; r: number }> = [];
  const cost: Array<{ label: string; r: number }> = [];
  for (const row of res.perEvent) {
    const r = ratio(summarize(values(row.runs, T, 'insns')), summarize(values(row.runs, B, 'insns')));
    if (r !== undefined) ins.push({ label: row.label, r });
    const c = ratio(summarize(values(row.runs, T, 'nsPerEvent')), summarize(values(row.runs, B, 'nsPerEvent')));
    if (c !== undefined) cost.push({ label: row.label, r: c });
  }
  v.insnsWorst = ins.sort((a, b) => b.r - a.r)[0];
  v.costGeo = geomean(cost.map((x) => x.r));
  v.costWorst = cost.sort((a, b) => b.r - a.r)[0];
  if (res.throughput) {
    const runs = res.throughput.runs;
    v.zeroLoss = ratio(summarize(values(runs, T, 'zeroLossRate')), summarize(values(runs, B, 'zeroLossRate')));
    v.flood = ratio(summarize(values(runs, T, 'floodDeliveredPerSec')), summarize(values(runs, B, 'floodDeliveredPerSec')));
    const ts = runs.samples.get(T) ?? [];
    if (ts.length) v.lossExact = ts.every((s) => s.value && s.value.lostReported === s.value.lostMeasured);
  }
  return v;
}

export function render(res: Results): string {
  const have = new Set(res.tools.map((t) => t.name));
  const hasB = have.has(B);
  const m = res.machine;
  const v = verdicts(res);
  const out: string[] = [];
  const p = (s = '') => out.push(s);

  p('# Benchmarks: tsbt against bpftrace');
  p();
  p(`Generated by \`npm run bench\` (bench/run.ts) on ${m.date}, in ${Math.round(m.durationS)} s. Both tools run in the same`);
  p('benchmark run on the same machine, alternately. Do not edit the tables by hand: run the benchmark again.');
  if (res.partial) p('\n**Partial run**: only some cases were selected.');
  p();
  p(`> Load average before / after: ${m.loadBefore} / ${m.loadAfter} on ${m.cpus} CPUs. When it is well above 0, other work`);
  p('> shared the machine and the numbers are noisy (the spread between min and max shows how much).');
  p();
  p('## Machine and versions');
  p();
  p('| | |');
  p('|---|---|');
  p(`| CPU | ${esc(m.cpu)} × ${m.cpus} |`);
  p(`| Memory | ${m.memory} |`);
  p(`| Kernel | ${m.kernel} |`);
  p(`| OS | ${m.os} |`);
  p(`| tsbt | ${m.tsbt}, commit ${m.commit} |`);
  p(`| bpftrace | ${hasB ? m.bpftrace : 'not installed (`apt-get install bpftrace`): tsbt alone is measured'} |`);
  p(`| bpftool | ${m.bpftool} |`);
  p(`| Runs | a warm-up run of each tool, then ${res.pairs} alternating pairs (tsbt, bpftrace, tsbt, bpftrace, …) per script; min / **median** / max; ratio = median tsbt / median bpftrace (below 1: tsbt is better, except for throughput) |`);
  p();

  p('## Against the targets of issue 7');
  p();
  p('| target | goal | measured | met |');
  p('|---|---|---|---|');
  p(`| start to attached, tools corpus (geometric mean) | ≤ 0.5 | ${fmtRatio(v.startToolsGeo)} over the ${v.startToolsN} tools both run | ${met(v.startToolsGeo === undefined ? undefined : v.startToolsGeo <= 0.5)} |`);
  p(`| start to attached, trivial one-liner | ≤ 1.5 | ${fmtRatio(v.startTrivial)} | ${met(v.startTrivial === undefined ? undefined : v.startTrivial <= 1.5)} |`);
  if (res.btf) {
    const tr = v.btfRatio[T];
    p(`| start to attached with struct access (BTF) / the same one-liner without it, tsbt (issue 4) | < 1.5 | ${fmtRatio(tr)}${v.btfRatio[B] !== undefined ? ` (bpftrace: ${fmtRatio(v.btfRatio[B])})` : ''} | ${met(tr === undefined ? undefined : tr < 1.5)} |`);
  }
  p(`| \`BEGIN { exit(); }\` whole run | ≤ 0.4 | ${fmtRatio(v.beginExit)} | ${met(v.beginExit === undefined ? undefined : v.beginExit <= 0.4)} |`);
  p(`| print 100,000 keys (tsbt, whole run) | < 1 s | ${v.map100kMs === undefined ? '–' : `${fmt(v.map100kMs)} ms`} | ${met(v.map100kMs === undefined ? undefined : v.map100kMs < 1000)} |`);
  p(`| peak RSS (geometric mean of every script both run) | ≤ 0.7 | ${fmtRatio(v.rssGeo)}${v.rssWorst ? ` (worst ${fmtRatio(v.rssWorst.r)}: ${esc(v.rssWorst.label)})` : ''} | ${met(v.rssGeo === undefined ? undefined : v.rssGeo <= 0.7)} |`);
  p(`| instructions per program, every one-liner | ≤ 1.0 | worst ${fmtRatio(v.insnsWorst?.r)}${v.insnsWorst ? ` (${esc(v.insnsWorst.label)})` : ''} | ${met(v.insnsWorst === undefined ? undefined : v.insnsWorst.r <= 1.0)} |`);
  p(`| cost per event | ≤ 1.0 | geometric mean ${fmtRatio(v.costGeo)}, worst ${fmtRatio(v.costWorst?.r)}${v.costWorst ? ` (${esc(v.costWorst.label)})` : ''} | ${met(v.costWorst === undefined ? undefined : v.costWorst.r <= 1.0)} |`);
  p(`| printf throughput, loss reported exactly | ≥ 1.0 | zero-loss rate ${fmtRatio(v.zeroLoss)}, flood delivered/s ${fmtRatio(v.flood)}; loss exact: ${v.lossExact === undefined ? '–' : v.lossExact ? 'yes' : 'no'} | ${met(v.zeroLoss === undefined ? undefined : v.zeroLoss >= 1 && v.flood !== undefined && v.flood >= 1 && v.lossExact === true)} |`);
  p();

  if (res.handNotes) {
    p(res.handNotes.trim());
    p();
  }

  // 1. start
  if (res.start.length > 0) {
    p('## 1. Start: launch to every probe attached (ms)');
    p();
    p('| script | tsbt | bpftrace | ratio |');
    p('|---|---|---|---|');
    const startRow = (row: StartRow) => {
      const ts = summarize(values(row.runs, T, 'startMs'));
      const bs = summarize(values(row.runs, B, 'startMs'));
      const label = row.kind === 'one-liner' ? `${esc(row.label)}: \`${esc(row.script)}\`` : `\`${row.label}\``;
      p(`| ${label} | ${cell(row.runs, T, ts)} | ${cell(row.runs, B, bs, 1, hasB)} | ${ts && ts.n > 1 ? fmtRatio(ratio(ts, bs)) : '–'} |`);
    };
    for (const row of res.start.filter((r) => r.kind === 'one-liner')) startRow(row);
    const toolRows = res.start.filter((r) => r.kind === 'tool');
    if (toolRows.length) {
      p(`| **tools corpus** (/usr/sbin/*.bt without kprobes, run unchanged) | | | geometric mean **${fmtRatio(v.startToolsGeo)}** over ${v.startToolsN} |`);
      for (const row of toolRows) startRow(row);
    }
    if (res.skippedTools.length) {
      p();
      p(`Not in the corpus (they need kprobes/kretprobes): ${res.skippedTools.map((t) => t.name).join(', ')}.`);
    }
    p();
  }
  if (res.btf) {
    const runs = res.btf.runs;
    p('### Struct access through BTF against the same one-liner without it (issue 4)');
    p();
    p('Each tool runs the two one-liners back to back (in turn first or second), in the alternation of the tools above;');
    p('the ratio is median with / median without: what reading the kernel\'s types adds to a start.');
    p();
    p('| script | tsbt | bpftrace |');
    p('|---|---|---|');
    const both = (key: 'withoutMs' | 'withMs') =>
      `${cell(runs, T, summarize(values(runs, T, key)))} | ${cell(runs, B, summarize(values(runs, B, key)), 1, hasB)}`;
    p(`| without: \`${esc(res.btf.without)}\` | ${both('withoutMs')} |`);
    p(`| with: \`${esc(res.btf.with)}\` | ${both('withMs')} |`);
    p(`| **ratio with / without** | **${fmtRatio(v.btfRatio[T])}** | ${fmtRatio(v.btfRatio[B])} |`);
    p();
  }

  // 2. whole run
  if (res.whole.length > 0) {
    p('## 2. Whole run: launch to exit (ms)');
    p();
    p('| script | tsbt | bpftrace | ratio |');
    p('|---|---|---|---|');
    for (const row of res.whole) {
      const ts = summarize(values(row.runs, T, 'wallMs'));
      const bs = summarize(values(row.runs, B, 'wallMs'));
      p(`| ${row.label} | ${cell(row.runs, T, ts)} | ${cell(row.runs, B, bs, 1, hasB)} | ${fmtRatio(ratio(ts, bs))} |`);
    }
    p();
    for (const row of res.whole) if (row.note) p(`- ${row.label}: \`${esc(row.script)}\`; ${row.note}.`);
    p();
  }

  // 3. memory
  if (res.start.length + res.whole.length > 0) {
    p('## 3. Peak RSS (MB, median of the runs above)');
    p();
    p('| script | tsbt | bpftrace | ratio |');
    p('|---|---|---|---|');
    for (const row of [...res.start, ...res.whole]) {
      const runs = row.runs as Runs<{ rssKb?: number }>;
      const ts = summarize(values(runs, T, 'rssKb'));
      const bs = summarize(values(runs, B, 'rssKb'));
      if (!ts && !bs) continue;
      const mb = (s?: Summary) => (s ? fmt(s.median / 1024) : '–');
      const short = (tool: ToolName) => (runs.failed.has(tool) ? (tool === T ? 'unsupported' : 'fails') : hasB || tool === T ? '–' : 'not installed');
      p(`| ${esc(row.label)} | ${ts ? mb(ts) : short(T)} | ${bs ? mb(bs) : short(B)} | ${ts && ts.n > 1 ? fmtRatio(ratio(ts, bs)) : '–'} |`);
    }
    p(`| **geometric mean** | | | **${fmtRatio(v.rssGeo)}** |`);
    p();
  }

  // 4 and 5
  if (res.perEvent.length > 0) {
    p('## 4. Program size: instructions per loaded program (xlated_prog_len / 8)');
    p();
    p('| one-liner | tsbt | bpftrace | ratio |');
    p('|---|---|---|---|');
    for (const row of res.perEvent) {
      const first = (tool: ToolName) => (row.runs.samples.get(tool) ?? [])[0]?.value ?? row.runs.warmup.get(tool)?.value;
      const ti = first(T);
      const bi = first(B);
      const showProgs = (x: typeof ti) => x ? `${x.insns}${x.progs.length > 1 ? ` (${x.progs.length} programs)` : ''}` : undefined;
      p(`| ${esc(row.label)}: \`${esc(row.script)}\` | ${showProgs(ti) ?? cell(row.runs, T, undefined)} | ${showProgs(bi) ?? cell(row.runs, B, undefined, 1, hasB)} | ${fmtRatio(ratio(ti?.insns, bi?.insns))} |`);
    }
    p();
    p(`## 5. Cost per event: run_time_ns / run_cnt (ns), ${res.perEventCalls.toLocaleString('en-US')} getppid() calls per run`);
    p();
    p(`| one-liner | tsbt | bpftrace | ratio | workload ns per call, tsbt / bpftrace${res.baseline ? ` (untraced: ${fmt(res.baseline.nsPerCall)})` : ''} |`);
    p('|---|---|---|---|---|');
    for (const row of res.perEvent) {
      const ts = summarize(values(row.runs, T, 'nsPerEvent'));
      const bs = summarize(values(row.runs, B, 'nsPerEvent'));
      const tw = summarize(values(row.runs, T, 'workloadNsPerCall'));
      const bw = summarize(values(row.runs, B, 'workloadNsPerCall'));
      p(`| ${esc(row.label)} | ${cell(row.runs, T, ts)} | ${cell(row.runs, B, bs, 1, hasB)} | ${fmtRatio(ratio(ts, bs))} | ${fmt(tw?.median)} / ${fmt(bw?.median)} |`);
    }
    p(`| **geometric mean** | | | **${fmtRatio(v.costGeo)}** | |`);
    p();
  }

  // 6
  if (res.throughput) {
    const runs = res.throughput.runs;
    p('## 6. Event throughput: printf');
    p();
    p(`\`${esc(res.throughput.script)}\`, with a child making getpgid(seq) calls: ${res.throughput.plan}, a 300 ms pause after each step.`);
    p();
    const row = (label: string, key: keyof ThroughputValue, scale = 1, higher = true) => {
      const ts = summarize(values(runs, T, key as 'zeroLossRate'));
      const bs = summarize(values(runs, B, key as 'zeroLossRate'));
      p(`| ${label} | ${cell(runs, T, ts, scale)} | ${cell(runs, B, bs, scale, hasB)} | ${higher ? fmtRatio(ratio(ts, bs)) : '–'} |`);
    };
    p('| | tsbt | bpftrace | ratio |');
    p('|---|---|---|---|');
    row('highest paced rate delivered with zero loss (k events/s)', 'zeroLossRate', 1000);
    row('flood: events offered (k/s)', 'floodSentPerSec', 1000, false);
    row('flood: events delivered per second of flood (k/s)', 'floodDeliveredPerSec', 1000);
    row('events lost, counted by the benchmark', 'lostMeasured', 1, false);
    row('events lost, as the tool reports', 'lostReported', 1, false);
    p();
    const perStep = (tool: ToolName) => {
      const samples = runs.samples.get(tool) ?? [];
      if (!samples.length) return undefined;
      const n = samples[0]!.value!.steps.length;
      const cells: string[] = [];
      for (let i = 0; i < n; i++) {
        const d = summarize(samples.map((s) => {
          const st = s.value!.steps[i]!;
          return (100 * st.delivered) / st.sent;
        }));
        cells.push(fmt(d?.median));
      }
      return cells;
    };
    const tSteps = perStep(T);
    const bSteps = perStep(B);
    const any = (runs.samples.get(T) ?? runs.samples.get(B) ?? [])[0] ?? (runs.samples.get(B) ?? [])[0];
    if (any?.value && (tSteps || bSteps)) {
      const steps = any.value.steps;
      p('Delivered, % of sent, per step (median):');
      p();
      p(`| step | ${steps.map((s) => (s.rate ? `${fmt(s.rate / 1000)}k/s` : 'flood')).join(' | ')} |`);
      p(`|---|${steps.map(() => '---').join('|')}|`);
      if (tSteps) p(`| tsbt | ${tSteps.join(' | ')} |`);
      if (bSteps) p(`| bpftrace | ${bSteps.join(' | ')} |`);
      p();
    }
  }

  // unsupported
  const failures: string[] = [];
  const allRows: Array<{ label: string; runs: Runs<unknown> }> = [
    ...res.start.map((r) => ({ label: r.kind === 'tool' ? `${r.label}` : `one-liner "${r.label}"`, runs: r.runs as Runs<unknown> })),
    ...(res.btf ? [{ label: 'struct access (BTF) pair', runs: res.btf.runs as Runs<unknown> }] : []),
    ...res.whole.map((r) => ({ label: r.label, runs: r.runs as Runs<unknown> })),
    ...res.perEvent.map((r) => ({ label: `size/cost "${r.label}"`, runs: r.runs as Runs<unknown> })),
    ...(res.throughput ? [{ label: 'printf throughput', runs: res.throughput.runs as Runs<unknown> }] : []),
  ];
  for (const r of allRows) {
    const tf = r.runs.failed.get(T);
    const bf = r.runs.failed.get(B);
    if (tf || bf) failures.push(`| ${esc(r.label)} | ${tf ? esc(tf.reason) : 'runs'} | ${bf ? esc(bf.reason) : hasB ? 'runs' : '–'} |`);
  }
  if (failures.length) {
    p('## What did not run, and why');
    p();
    p('From each tool\'s own error message (first run). A tool that fails is not measured for that script.');
    p();
    p('| script | tsbt | bpftrace |');
    p('|---|---|---|');
    for (const f of failures) p(f);
    p();
  }
  if (res.tsbtErrors.size) {
    p('### tsbt errors met, by message (what the language or runtime is missing)');
    p();
    const sorted = [...res.tsbtErrors].sort((a, b) => b[1].scripts.size - a[1].scripts.size);
    for (const [msg, e] of sorted) {
      const names = e.names.size ? `: ${[...e.names].map((n) => `\`${n}\``).join(', ')}` : '';
      p(`- ${esc(msg)}${names} — in ${[...e.scripts].join(', ')}`);
    }
    p();
  }

  p('## Method');
  p();
  p('- **Pairing.** Every script is run by both tools alternately: a warm-up run of each (not counted; it also tells');
  p(`  whether the tool can run the script at all), then ${res.pairs} pairs tsbt, bpftrace, tsbt, bpftrace, …. When one tool`);
  p('  cannot run a script, the other is run a few times for reference only, and there is no ratio. Each case has a time');
  p('  limit; a run that hits it is a failure of that run, never of the benchmark.');
  p('- **Launch and end times** come from a tiny fork/exec runner (bench/native/runner.c): CLOCK_MONOTONIC just before');
  p('  fork, and when wait4 returns. The harness reads the same clock (process.hrtime), so "start" is the time from the');
  p("  fork to the moment the harness receives the tool's attached line. Both tools go through the same runner and the");
  p('  same pipe, so the constant costs are the same for both.');
  for (const t of res.tools) p(`- **Attached, ${t.name}:** ${t.attachedBy}.`);
  const lags = res.start.flatMap((r) => (r.runs.samples.get(B) ?? []).map((s) => s.value?.lagMs)).filter((x): x is number => x !== undefined);
  const lag = summarize(lags);
  if (lag) p(`  In this run bpftrace's line reached the harness ${fmt(lag.median)} ms (median; max ${fmt(lag.max)} ms) after its last attach ioctl.`);
  p('  After the attached line, the tool is stopped with SIGINT (sent to its process group) and its exit awaited.');
  p('- **Peak RSS** is `ru_maxrss` from wait4 for the tool process (the whole life of the run, including printing at exit),');
  p('  from the same runs as cases 1 and 2. For tsbt it is the Node process.');
  p('- **Program size** is `bytes_xlated / 8` from `bpftool prog show` (xlated_prog_len of BPF_OBJ_GET_INFO_BY_FD: the');
  p('  instructions after the kernel\'s own rewrites) for the programs the tool holds (its bpf-prog fds in /proc/PID/fd,');
  p('  and its perf-event attachments in `bpftool perf`), while it runs the one-liner.');
  p(`- **Cost per event**: kernel.bpf_stats_enabled is set to 1 for the benchmark (and restored after); run_time_ns and`);
  p('  run_cnt are read from /proc/PID/fdinfo of the program before and after a child (bench/native/load.c) makes');
  p(`  ${res.perEventCalls.toLocaleString('en-US')} getppid() calls; cost = Δrun_time_ns / Δrun_cnt. The column "workload ns per call" is the child's own`);
  p('  wall time per call while traced, so it includes the tracepoint and the helper calls around the program.');
  p('- **Throughput**: the child makes getpgid(seq) calls (a pid that does not exist: the call fails at once), in steps');
  p('  at rising paced rates and then unpaced; each tool prints `args->pid` per call into a file. Lines are counted per');
  p('  step afterwards, so the harness never slows the tool down; "lost" is sent − delivered, and is compared with the');
  p('  `Lost N events` lines the tool prints.');
  p('- **Whole run** output goes to a file, as `> out.txt` would; the benchmark checks that all 100,000 keys were printed.');
  p('- The tools corpus is every /usr/sbin/*.bt whose probes include no kprobe/kretprobe (or kfunc/fentry), passed to');
  p('  each tool as a file, unchanged.');
  for (const n of res.notes) p(`- Note: ${n}`);
  p();
  return out.join('\n');
}
