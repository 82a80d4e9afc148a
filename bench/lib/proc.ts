// One run of a tool: start it (through the native runner when there is one), wait for its "attached"
// line, let the case do its work while the probes are live, stop it with SIGINT, and collect times,
// peak RSS, exit status and output. Never throws for a tool that fails: the result says why.

import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';

export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* not here */ }
  }
  return undefined;
}

export const now = (): bigint => process.hrtime.bigint();
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SessionSpec {
  argv: string[];
  env?: Record<string, string>;
  /** 'file': the tool writes to a file, read after it exits (for floods, so the harness is not the bottleneck). */
  stdout: 'pipe' | 'file';
  /** Wait for this line, then run whileAttached, then stop the tool with SIGINT. Without it the tool ends by itself. */
  marker?: { stream: 'stdout' | 'stderr'; re: RegExp };
  whileAttached?: (live: Live) => Promise<void>;
  /** Called for every stdout line (after the run when stdout is a file). */
  onStdoutLine?: (line: string) => void;
  timeoutMs: number;
  stopTimeoutMs?: number;
  runner?: string;
}

export interface Live {
  /** The tool's own pid (not the runner's). */
  pid: number;
}

export interface SessionResult {
  attached: boolean;
  /** Launch (fork) to the receipt of the attached line. */
  startNs?: number;
  /** CLOCK_MONOTONIC of the fork, in ns. */
  forkNs?: number;
  markerLine?: string;
  /** Launch (fork) to exit. */
  wallNs?: number;
  maxRssKb?: number;
  /** User + system CPU time of the tool's process over its whole life (runner only), in µs. */
  cpuUs?: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stderr: string;
  stdoutHead: string;
  stdoutLines: number;
  lostReported: number;
  error?: string;
  /** What whileAttached returned or threw. */
  caseError?: string;
}

const CAP = 64 * 1024;
/** Time between the attached line and SIGINT when the case has nothing to do while attached. */
const HOLD_MS = 30;
const LOST = /^Lost (\d+) events?\b/;

function lines(stream: Readable, onLine: (line: string, at: bigint) => void): Promise<void> {
  let carry = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const at = now();
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const p of parts) onLine(p, at);
  });
  return new Promise((resolve) => stream.on('close', () => {
    if (carry) onLine(carry, now());
    resolve();
  }));
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Process groups of the runs in progress, so that an interrupted benchmark leaves nothing behind. */
export const activeGroups = new Set<number>();

export function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch { /* already gone */ }
}

export async function runSession(spec: SessionSpec): Promise<SessionResult> {
  const dir = spec.stdout === 'file' ? mkdtempSync(join(tmpdir(), 'tsbt-bench-')) : undefined;
  const outPath = dir ? join(dir, 'stdout') : undefined;
  const outFd = outPath ? openSync(outPath, 'w') : undefined;
  const argv = spec.runner ? [spec.runner, ...spec.argv] : spec.argv;
  const t0 = now();
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', outFd ?? 'pipe', 'pipe', spec.runner ? 'pipe' : 'ignore'],
  });
  if (outFd !== undefined) closeSync(outFd);
  const pgid = child.pid;
  if (pgid !== undefined) activeGroups.add(pgid);
  const res: SessionResult = {
    attached: false, exitCode: null, signal: null, timedOut: false, stderr: '', stdoutHead: '', stdoutLines: 0, lostReported: 0,
  };
  if (pgid === undefined) {
    res.error = `cannot start ${argv[0]}`;
    return res;
  }

  let forkAt: bigint | undefined = spec.runner ? undefined : t0;
  let toolPid: number | undefined = spec.runner ? undefined : pgid;
  let endAt: bigint | undefined;
  let markerAt: bigint | undefined;
  let hwm: number | undefined;
  let onMarker: (() => void) | undefined;
  const markerSeen = new Promise<void>((resolve) => (onMarker = resolve));

  const check = (stream: 'stdout' | 'stderr', line: string, at: bigint) => {
    const lost = LOST.exec(line);
    if (lost) res.lostReported += Number(lost[1]);
    if (spec.marker && markerAt === undefined && spec.marker.stream === stream && spec.marker.re.test(line)) {
      markerAt = at;
      res.markerLine = line;
      onMarker!();
    }
  };
  const done: Promise<void>[] = [];
  done.push(lines(child.stderr!, (line, at) => {
    if (res.stderr.length < CAP) res.stderr += line + '\n';
    check('stderr', line, at);
  }));
  if (child.stdout) {
    done.push(lines(child.stdout, (line, at) => {
      res.stdoutLines++;
      if (res.stdoutHead.length < CAP) res.stdoutHead += line + '\n';
      check('stdout', line, at);
      spec.onStdoutLine?.(line);
    }));
  }
  if (spec.runner) {
    done.push(lines(child.stdio[3] as Readable, (line) => {
      const f = line.split(' ');
      if (f[0] === 'fork') {
        toolPid = Number(f[1]);
        forkAt = BigInt(f[2]!);
      } else if (f[0] === 'exit') {
        res.exitCode = Number(f[1]) >= 0 ? Number(f[1]) : null;
        res.signal = Number(f[2]) ? `signal ${f[2]}` : null;
        res.maxRssKb = Number(f[3]);
        endAt = BigInt(f[4]!);
        if (f[5] !== undefined) res.cpuUs = Number(f[5]);
      }
    }));
  }
  const exited = new Promise<void>((resolve) => child.on('exit', (code, signal) => {
    if (!spec.runner) {
      endAt = now();
      res.exitCode = code;
      res.signal = signal;
    }
    resolve();
  }));
  // Without the runner, peak RSS is VmHWM, sampled while the tool lives.
  const poll = spec.runner ? undefined : setInterval(() => {
    const v = vmHwmKb(pgid);
    if (v !== undefined) hwm = Math.max(hwm ?? 0, v);
  }, 10);

  let alive = true;
  void exited.then(() => (alive = false));
  const overall = setTimeout(() => {
    res.timedOut = true;
    killGroup(pgid, 'SIGKILL');
  }, spec.timeoutMs);

  if (spec.marker) {
    await Promise.race([markerSeen, exited]);
    if (markerAt !== undefined && alive) {
      res.attached = true;
      if (spec.whileAttached) {
        while (toolPid === undefined && alive) await sleep(1);
        try {
          await spec.whileAttached({ pid: toolPid ?? pgid });
        } catch (e) {
          res.caseError = (e as Error).message;
        }
      }
      else await sleep(HOLD_MS);
      const v = vmHwmKb(toolPid ?? pgid);
      if (v !== undefined) hwm = Math.max(hwm ?? 0, v);
      killGroup(pgid, 'SIGINT');
      // bpftrace 0.17 notices SIGINT only when it interrupts epoll_wait: a signal that lands between two
      // waits is remembered but not acted on until the next event. Ask again until it stops.
      const again = setInterval(() => killGroup(pgid, 'SIGINT'), 2000);
      const stopTimer = setTimeout(() => {
        res.error = 'did not stop within the time limit after SIGINT';
        killGroup(pgid, 'SIGKILL');
      }, spec.stopTimeoutMs ?? 15_000);
      await exited;
      clearInterval(again);
      clearTimeout(stopTimer);
    }
  }
  await exited;
  await Promise.all(done);
  activeGroups.delete(pgid);
  clearTimeout(overall);
  if (poll) clearInterval(poll);
  if (!spec.runner) res.maxRssKb = hwm;

  if (forkAt !== undefined) res.forkNs = Number(forkAt);
  if (forkAt !== undefined && markerAt !== undefined) res.startNs = Number(markerAt - forkAt);
  if (forkAt !== undefined && endAt !== undefined) res.wallNs = Number(endAt - forkAt);
  if (outPath) {
    const text = readFileSync(outPath, 'utf8');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      res.stdoutLines++;
      if (res.stdoutHead.length < CAP) res.stdoutHead += line + '\n';
      const lost = LOST.exec(line);
      if (lost) res.lostReported += Number(lost[1]);
      spec.onStdoutLine?.(line);
      start = end + 1;
    }
    rmSync(dir!, { recursive: true, force: true });
  }
  if (res.timedOut) res.error = spec.marker && !res.attached ? 'no "attached" line within the time limit' : 'did not finish within the time limit';
  else if (spec.marker && !res.attached) res.error = 'exited before attaching';
  else if (!spec.marker && res.exitCode !== 0) res.error = `exit status ${res.exitCode ?? res.signal}`;
  return res;
}
