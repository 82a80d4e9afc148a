// `npm run test:kernels`: boots each kernel of the matrix (test/kernels/kernels.ts) under qemu, once,
// and runs the guest test batch (test/kernels/batch/*.ts) in it with the host's node and dist/tsbt.mjs.
// Prints each test's result per kernel, then the closing line CI reads: `N passed, N failed`.
//
//   npm run test:kernels                     the whole batch on every kernel
//   npm run test:kernels -- kretprobe        only tests whose "group: name" contains the text
//   npm run test:kernels -- --exec 'CMD'     run a shell command in each guest instead (prints its
//                                            output; exits with its status)
//   npm run test:kernels -- --console        also show the guest's serial console
//
// The kernel is fetched with apt on first use and cached in .cache/kernels/. Without the kernel or
// qemu the run is skipped, unless TSBT_REQUIRE_KERNEL=1 (CI): then it fails.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBatch } from './bundle.ts';
import { ensureKernel, KernelUnavailableError, type CachedKernel } from './fetch.ts';
import type { PlannedTest, ResultRecord } from './guest/harness.ts';
import { KERNELS } from './kernels.ts';
import { runInGuest, type GuestResult } from './qemu.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../..');
const cacheRoot = join(repo, '.cache/kernels');
const required = process.env.TSBT_REQUIRE_KERNEL === '1';

function parseArgs(argv: string[]): { filter?: string; exec?: string; console: boolean } {
  const out: { filter?: string; exec?: string; console: boolean } = { console: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--exec') out.exec = argv[++i];
    else if (a === '--console') out.console = true;
    else out.filter = a;
  }
  return out;
}

const secs = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

/** True for an ELF executable without a program interpreter (PT_INTERP), i.e. statically linked. */
function isStaticElf(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF, 64-bit
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    closeSync(fd);
  }
}

/** What the harness needs on the host; each missing piece with the package that provides it. */
function missingTools(): string[] {
  const missing: string[] = [];
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (!has('qemu-system-x86_64')) missing.push('qemu-system-x86_64 (qemu-system-x86)');
  if (!isStaticElf('/bin/busybox')) missing.push('a static /bin/busybox (busybox-static)');
  if (!has('cpio')) missing.push('cpio (cpio)');
  if (!has('depmod') || !has('modprobe')) missing.push('depmod and modprobe (kmod)');
  return missing;
}

interface KernelReport {
  kernel: string;
  passed: number;
  failed: number;
  skipped: number;
}

function readResults(path: string): { plan?: PlannedTest[]; results: ResultRecord[]; done: boolean } {
  const out: { plan?: PlannedTest[]; results: ResultRecord[]; done: boolean } = { results: [], done: false };
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let rec: { type: string; tests?: PlannedTest[] };
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line cut short by a dying guest
    }
    if (rec.type === 'plan') out.plan = rec.tests;
    else if (rec.type === 'result') out.results.push(rec as ResultRecord);
    else if (rec.type === 'done') out.done = true;
  }
  return out;
}

function printResult(r: ResultRecord): void {
  const mark = r.status === 'pass' ? 'pass' : r.status === 'skip' ? 'skip' : 'FAIL';
  console.log(`  ${mark}  ${r.group}: ${r.name} (${secs(r.ms)})`);
  if (r.message && r.status !== 'pass') console.log(r.message.replace(/^/gm, '        '));
}

function describeGuestFailure(g: GuestResult): string {
  const why = g.timedOut ? 'the guest timed out and was killed'
    : g.bootToCommandMs === undefined ? 'the guest never reached the command (boot failure)'
    : g.status === null ? 'the guest stopped before the command finished'
    : `the batch exited with status ${g.status}`;
  const tail = (s: string, n: number) => s.trimEnd().split('\n').slice(-n).join('\n');
  return [
    why,
    g.stderr.trim() ? `batch stderr (last lines):\n${tail(g.stderr, 20)}` : '',
    `guest console (last lines):\n${tail(g.console, 25)}`,
  ].filter(Boolean).join('\n').replace(/^/gm, '        ');
}

async function runKernel(kernel: CachedKernel, filter: string | undefined, showConsole: boolean): Promise<KernelReport> {
  const report: KernelReport = { kernel: kernel.spec.name, passed: 0, failed: 0, skipped: 0 };
  const resultsDir = mkdtempSync(join(tmpdir(), `tsbt-kernels-${kernel.spec.name}-`));
  const bundle = join(resultsDir, 'batch.mjs');
  await bundleBatch(bundle);
  // The guest runs a snapshot of the CLI (dist/tsbt.mjs loads dist/tsbt.cjs with dist/tsbt.v8cache):
  // other work in this tree may rebuild dist/ while the batch runs. koffi, left out of the bundle,
  // still resolves through a node_modules link.
  const cli = join(resultsDir, 'tsbt.mjs');
  for (const f of ['tsbt.mjs', 'tsbt.cjs', 'tsbt.v8cache']) copyFileSync(join(repo, 'dist', f), join(resultsDir, f));
  symlinkSync(join(repo, 'node_modules'), join(resultsDir, 'node_modules'));
  const resultsFile = join(resultsDir, 'results.jsonl');

  let shown = 0;
  const showNew = () => {
    const { results } = readResults(resultsFile);
    for (; shown < results.length; shown++) printResult(results[shown]!);
  };
  const poll = setInterval(showNew, 500);
  const started = Date.now();
  let guest: GuestResult;
  try {
    guest = await runInGuest(kernel, `exec ${process.execPath} ${bundle}`, {
      cwd: repo,
      resultsDir,
      // Bounded so that .ci/run stays under 15 minutes even when every test hangs.
      timeoutMs: Number(process.env.TSBT_KERNEL_TIMEOUT ?? 480) * 1000,
      env: {
        TSBT_CLI: cli,
        ...(filter ? { TSBT_KERNEL_FILTER: filter } : {}),
      },
      onConsoleLine: (line) => {
        if (line.includes('TSBT-GUEST-COMMAND-START')) console.log(`  booted to the command in ${secs(Date.now() - started)}`);
        else if (showConsole) console.log(`  | ${line}`);
      },
    });
  } finally {
    clearInterval(poll);
  }
  showNew();

  const { plan, results, done } = readResults(resultsFile);
  for (const r of results) report[r.status === 'pass' ? 'passed' : r.status === 'skip' ? 'skipped' : 'failed']++;
  if (!plan) {
    console.log(`  FAIL  the batch did not start\n${describeGuestFailure(guest)}`);
    report.failed++;
  } else {
    const finished = new Set(results.map((r) => `${r.group}: ${r.name}`));
    const unfinished = plan.filter((t) => !finished.has(`${t.group}: ${t.name}`));
    for (const t of unfinished) {
      console.log(`  FAIL  ${t.group}: ${t.name} (did not finish)`);
      report.failed++;
    }
    if (unfinished.length || !done || guest.status !== 0) {
      if (!unfinished.length && report.failed === 0) report.failed++; // the batch failed outside any test
      console.log(describeGuestFailure(guest));
    }
    if (plan.length === 0) console.log(`  no test matches ${JSON.stringify(filter)}`);
  }
  console.log(
    `  ${kernel.spec.name}: boot to command ${secs(guest.bootToCommandMs)} (guest uptime ${guest.guestUptimeAtCommand ?? '?'} s), ` +
    `batch ${secs(guest.commandMs)}, qemu start to power-off ${secs(guest.totalMs)}`,
  );
  console.log(`  ${kernel.spec.name}: ${report.passed} passed, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`);
  if (report.failed === 0) rmSync(resultsDir, { recursive: true, force: true });
  else console.log(`  results kept in ${resultsDir}`);
  return report;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const reports: KernelReport[] = [];
  let unavailable = 0;

  const missing = missingTools();
  if (missing.length) {
    const msg = `the kernel matrix needs ${missing.join(', ')}: apt-get install qemu-system-x86 busybox-static cpio kmod`;
    if (required) throw new KernelUnavailableError(msg);
    console.log(`skipping the kernel matrix: ${msg}`);
    console.log('\n0 passed, 0 failed');
    return 0;
  }

  for (const spec of KERNELS) {
    let kernel: CachedKernel;
    try {
      kernel = ensureKernel(spec, cacheRoot, (l) => console.log(`  ${l}`));
    } catch (e) {
      if (!(e instanceof KernelUnavailableError)) throw e;
      unavailable++;
      if (required) {
        console.log(`== ${spec.name}\n  FAIL  the kernel is unavailable and TSBT_REQUIRE_KERNEL=1: ${e.message}`);
        reports.push({ kernel: spec.name, passed: 0, failed: 1, skipped: 0 });
      } else {
        console.log(`== ${spec.name}\n  skipped: ${e.message}`);
      }
      continue;
    }
    console.log(`== ${spec.name}: ${kernel.package} ${kernel.version} (${kernel.release}), qemu TCG`);

    if (args.exec !== undefined) {
      const g = await runInGuest(kernel, args.exec, {
        cwd: process.cwd(),
        onConsoleLine: args.console ? (l) => console.log(`  | ${l}`) : undefined,
      });
      process.stdout.write(g.stdout);
      process.stderr.write(g.stderr);
      console.log(`  status ${g.status ?? 'none'}; boot to command ${secs(g.bootToCommandMs)}, command ${secs(g.commandMs)}, total ${secs(g.totalMs)}`);
      if (g.status === null) console.log(describeGuestFailure(g));
      rmSync(g.resultsDir, { recursive: true, force: true });
      if (g.status !== 0) return g.status ?? 1;
      continue;
    }
    reports.push(await runKernel(kernel, args.filter, args.console));
  }
  if (args.exec !== undefined) return 0;

  const passed = reports.reduce((n, r) => n + r.passed, 0);
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  const skipped = reports.reduce((n, r) => n + r.skipped, 0);
  console.log(`\nkernel matrix: ${reports.map((r) => `${r.kernel} ${r.passed}/${r.passed + r.failed}`).join(', ') || 'no kernel ran'}` +
    `${unavailable ? ` (${unavailable} kernel${unavailable === 1 ? '' : 's'} unavailable)` : ''} in ${secs(Date.now() - started)}`);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.log(`kernel matrix: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof KernelUnavailableError) && err instanceof Error) console.log(err.stack);
    console.log('\n0 passed, 1 failed');
    process.exitCode = 1;
  },
);
