// The test harness that runs inside the guest kernel. The host bundles it with the batch files
// (test/kernels/batch/*.ts) into one .mjs, so the guest's node starts it without tsx or module
// resolution (node's start-up alone is ~1 s under TCG).
//
// Results go to $TSBT_RESULTS/results.jsonl, one JSON object a line, written as they happen, so the
// host sees partial results when the guest dies half-way:
//   {"type":"plan","tests":[{"group":"kprobe","name":"..."}]}
//   {"type":"result","group":"kprobe","name":"...","status":"pass"|"fail"|"skip","ms":1234,"message":"..."}
//   {"type":"done"}
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Status = 'pass' | 'fail' | 'skip';

export interface PlannedTest {
  group: string;
  name: string;
}

export interface ResultRecord extends PlannedTest {
  type: 'result';
  status: Status;
  ms: number;
  message?: string;
}

interface GuestTest extends PlannedTest {
  fn: () => Promise<void> | void;
}

const tests: GuestTest[] = [];
let currentGroup = 'tests';

/** Set by the generated entry point before each batch file is imported. */
export function setGroup(group: string): void {
  currentGroup = group;
}

/** Registers a test. Throwing fails it; throwing SkipError skips it. */
export function test(name: string, fn: () => Promise<void> | void): void {
  tests.push({ group: currentGroup, name, fn });
}

/** Throw from a test when this kernel cannot run it (say why). */
export class SkipError extends Error {}
export function skip(reason: string): never {
  throw new SkipError(reason);
}

export class AssertionFailed extends Error {}
export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new AssertionFailed(message);
}

// ---- running tsbt ----

/** The bundled CLI the tests run (the host's dist/, seen through the 9p root). */
export const CLI = process.env.TSBT_CLI ?? '/work/main/dist/tsbt.mjs';

export interface TsbtRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from starting tsbt to `Attached N probes` (undefined if it never attached). */
  attachMs?: number;
}

export interface RunOptions {
  /** Runs once `Attached N probes` is on stderr: generate the load here. */
  onAttached?: () => Promise<void> | void;
  /** Send SIGINT after onAttached has finished (default true; false for scripts that exit on their own). */
  interrupt?: boolean;
  /** Everything is slow under TCG: node alone takes a second or two to start. */
  timeoutMs?: number;
}

export function runTsbt(args: string[], options: RunOptions = {}): Promise<TsbtRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let attachMs: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new AssertionFailed(`tsbt ${args.join(' ')} timed out after ${options.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (attachMs === undefined && /Attached \d+ probes?/.test(stderr)) {
        attachMs = Date.now() - started;
        Promise.resolve(options.onAttached?.())
          .then(async () => {
            if (options.interrupt !== false) {
              await sleep(300); // let the last events reach the ring buffer and the maps
              child.kill('SIGINT');
            }
          })
          .catch((e) => {
            child.kill('SIGKILL');
            reject(e);
          });
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, attachMs });
    });
  });
}

/** Asserts a run ended normally and printed no stack trace; returns it for chaining. */
export function expectClean(r: TsbtRun): TsbtRun {
  check(r.attachMs !== undefined, `tsbt never printed "Attached": exit ${r.code}, stderr:\n${r.stderr}`);
  check(r.code === 0, `tsbt exited ${r.code ?? r.signal}, stderr:\n${r.stderr}`);
  check(!/\n\s+at /.test(r.stderr), `a stack trace on stderr:\n${r.stderr}`);
  return r;
}

export interface MapLine {
  map: string;
  /** The text between the brackets, or undefined for a scalar map. */
  key?: string;
  value: string;
}

/** The `@name[key]: value` lines tsbt prints at exit. */
export function mapLines(stdout: string): MapLine[] {
  const out: MapLine[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(@\w*)(?:\[(.*)\])?: (.*)$/.exec(line);
    if (m) out.push({ map: m[1]!, key: m[2], value: m[3]! });
  }
  return out;
}

/** The one entry of `map` with `key` (fails if there are none, or several: a key must be printed once). */
export function entry(stdout: string, map: string, key?: string): number {
  const lines = mapLines(stdout).filter((l) => l.map === map && l.key === key);
  const shown = `${map}${key === undefined ? '' : `[${key}]`}`;
  check(lines.length > 0, `no ${shown} line in the output:\n${stdout}`);
  check(lines.length === 1, `${shown} is printed ${lines.length} times (the same key must be one map entry):\n${stdout.split('\n').slice(0, 30).join('\n')}`);
  return Number(lines[0]!.value);
}

// ---- generating load ----

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const scratch = '/tmp/tsbt-kernel-tests';

/** A copy of `binary` under a name of our own, so its events can be told apart by comm. */
export function named(binary: string, name: string): string {
  mkdirSync(scratch, { recursive: true });
  const path = join(scratch, name);
  copyFileSync(binary, path);
  return path;
}

/** Runs a program to completion (no shell); throws if it fails to start or exits non-zero unless `allowFail`. */
export function exec(file: string, args: string[], allowFail = false): SpawnSyncReturns<string> {
  const r = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  if (!allowFail && r.status !== 0) throw new AssertionFailed(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

// ---- running the batch ----

function record(results: string, obj: object): void {
  appendFileSync(results, JSON.stringify(obj) + '\n');
}

/** Runs the registered tests; with `listOnly`, prints them as JSON instead. */
export async function runBatch(listOnly = false): Promise<void> {
  const filter = process.env.TSBT_KERNEL_FILTER;
  const selected = tests.filter((t) => !filter || `${t.group}: ${t.name}`.includes(filter));
  if (listOnly) {
    console.log(JSON.stringify(selected.map(({ group, name }) => ({ group, name }))));
    return;
  }
  const results = join(process.env.TSBT_RESULTS ?? '/tmp', 'results.jsonl');
  record(results, { type: 'plan', kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), tests: selected.map(({ group, name }) => ({ group, name })) });
  for (const t of selected) {
    const started = Date.now();
    let status: Status = 'pass';
    let message: string | undefined;
    try {
      await t.fn();
    } catch (e) {
      status = e instanceof SkipError ? 'skip' : 'fail';
      message = e instanceof AssertionFailed || e instanceof SkipError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
    const r: ResultRecord = { type: 'result', group: t.group, name: t.name, status, ms: Date.now() - started, ...(message ? { message } : {}) };
    record(results, r);
    console.log(`${status} ${t.group}: ${t.name} (${r.ms} ms)${message ? `\n  ${message.replace(/\n/g, '\n  ')}` : ''}`);
  }
  record(results, { type: 'done' });
}
