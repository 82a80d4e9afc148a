// Counting what a tsbt process holds in the kernel, and checking that none of it outlives the process.
//
// Other tests (and other people's test runs) create tsbt_* objects at the same time, so global counts
// prove nothing. Instead:
// - while the process runs, its /proc/PID/fdinfo is sampled every few milliseconds: every BPF program,
//   map and link id it holds, and how many perf events (probes attached) and BPF fds it has open;
// - every script run through here names one map with a tag unique to the run (`@<tag>`), used by
//   every probe: the kernel map `tsbt_<tag>` is alive exactly as long as any of the run's programs is
//   (a program holds the maps it uses, a link or perf event holds its program), so "no map named
//   tsbt_<tag>" after the run means nothing of the run is alive, even what sampling never saw;
// - after the process exited, every recorded id must be gone (BPF_*_GET_FD_BY_ID says ENOENT), and no
//   map named tsbt_<tag> may be alive (listed through BPF_MAP_GET_NEXT_ID).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { listBpfObjects } from '../../runtime/kernel/bpf-objects.ts';
import { realSys } from '../../runtime/sys/index.ts';
import { isSysError, type BpfObjectKind } from '../../runtime/sys/sys.ts';
import { CLI } from './harness.ts';

export interface Held {
  prog: Set<number>;
  map: Set<number>;
  link: Set<number>;
  /** Open fds by kind, at the moment of the sample. */
  fds: { perfEvent: number; bpf: number };
}

const emptyHeld = (): Held => ({ prog: new Set(), map: new Set(), link: new Set(), fds: { perfEvent: 0, bpf: 0 } });

/** What process `pid` holds right now (empty if it is gone). */
export function heldBy(pid: number | 'self'): Held {
  const held = emptyHeld();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return held;
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target === 'anon_inode:[perf_event]') held.fds.perfEvent++;
    if (!/^anon_inode:bpf[-_](prog|map|link)/.test(target)) continue;
    held.fds.bpf++;
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    // A link's fdinfo names its program too; the prog_id it shows is then the program's.
    const link = /^link_id:\s*(\d+)/m.exec(info);
    if (link) held.link.add(Number(link[1]));
    const prog = /^prog_id:\s*(\d+)/m.exec(info);
    if (prog) held.prog.add(Number(prog[1]));
    const map = /^map_id:\s*(\d+)/m.exec(info);
    if (map) held.map.add(Number(map[1]));
  }
  return held;
}

/** The fds of this process that are BPF objects (BTF included) or perf events, by number → what they are. */
export function ownKernelFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (/^anon_inode:(bpf[-_](prog|map|link)|btf|\[perf_event\])/.test(target)) out.set(Number(fd), target);
    } catch {
      // the fd readdir itself used
    }
  }
  return out;
}

/** Samples what a process holds until stopped; keeps the union of ids and the last sample. */
export class HeldSampler {
  readonly seen: Held = emptyHeld();
  last: Held = emptyHeld();
  private timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs = 5) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): Held {
    const now = heldBy(this.pid);
    for (const kind of ['prog', 'map', 'link'] as const) for (const id of now[kind]) this.seen[kind].add(id);
    if (now.fds.bpf > 0 || now.fds.perfEvent > 0 || this.last.fds.bpf === 0) this.last = now;
    return now;
  }

  stop(): Held {
    clearInterval(this.timer);
    return this.seen;
  }
}

/** Ids among `ids` whose object is still alive. */
export function alive(kind: BpfObjectKind, ids: Iterable<number>): number[] {
  const sys = realSys();
  const out: number[] = [];
  for (const id of ids) {
    try {
      sys.close(sys.getFdById(kind, id));
      out.push(id);
    } catch (err) {
      if (!isSysError(err, 'ENOENT')) throw err;
    }
  }
  return out;
}

/** Maps alive whose kernel name is `name`. */
export function mapsNamed(name: string): number[] {
  return listBpfObjects(realSys(), 'map').filter((o) => o.name === name).map((o) => o.id);
}

/** A fresh tag: the script uses the map `@<tag>`, which the kernel names `tsbt_<tag>` (15 characters at most). */
export function uniqueTag(): string {
  return `lk${randomBytes(4).toString('hex')}`;
}

export interface Leaks {
  /** Objects the process held that are still alive, by kind. */
  prog: number[];
  map: number[];
  link: number[];
  /** Maps named tsbt_<tag> still alive. */
  tagged: number[];
}

/**
 * What is left of a run: the recorded ids still alive and maps still named tsbt_<tag>. The kernel frees
 * some objects from a work queue after the last reference goes, so this waits up to `graceMs` for
 * them to go.
 */
export async function leftBehind(seen: Held, tag: string, graceMs = 2000): Promise<Leaks> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const leaks: Leaks = {
      prog: alive('prog', seen.prog),
      map: alive('map', seen.map),
      link: alive('link', seen.link),
      tagged: mapsNamed(`tsbt_${tag}`),
    };
    const total = leaks.prog.length + leaks.map.length + leaks.link.length + leaks.tagged.length;
    if (total === 0 || Date.now() > deadline) return leaks;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TracedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Every id the process was seen holding, and its fds at the last sample that had any. */
  seen: Held;
  leaks: Leaks;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

export interface TracedOptions {
  tag: string;
  /** Called once `Attached N probe(s)` is on stderr. */
  onAttached?(proc: ChildProcess, sampler: HeldSampler): Promise<void> | void;
  /** Called as soon as the process is started (with -f json and a held stdout, nothing says "attached"). */
  onSpawn?(proc: ChildProcess): Promise<void> | void;
  /** Don't read stdout until the process exits (a reader that does not keep up). */
  holdStdout?: boolean;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs the CLI, sampling what it holds, and reports what it left behind after it exited. */
export function runTraced(args: string[], options: TracedOptions): Promise<TracedRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const sampler = new HeldSampler(proc.pid!);
    const out: Buffer[] = [];
    let stderr = '';
    let attached = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`tsbt ${args.join(' ')} timed out\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    if (options.holdStdout) proc.stdout.pause();
    Promise.resolve(options.onSpawn?.(proc)).catch((e) => {
      proc.kill('SIGKILL');
      reject(e);
    });
    proc.stdout.on('data', (d: Buffer) => out.push(d));
    proc.stderr.on('data', (d) => {
      stderr += d;
      if (!attached && /Attached \d+ probes?/.test(stderr)) {
        attached = true;
        sampler.sample();
        Promise.resolve(options.onAttached?.(proc, sampler)).catch((e) => {
          proc.kill('SIGKILL');
          reject(e);
        });
      }
    });
    proc.on('error', reject);
    // 'exit' comes before the pipes are drained; 'close' after both: wait for the latter, with the code
    // of the former. A held stdout is resumed once the process is gone, to read what it wrote.
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      if (options.holdStdout) proc.stdout.resume();
    });
    proc.on('close', async () => {
      clearTimeout(timer);
      const seen = sampler.stop();
      const ms = Date.now() - started;
      const leaks = await leftBehind(seen, options.tag);
      resolve({ ...exited!, stdout: Buffer.concat(out).toString('utf8'), stderr, seen, leaks, ms });
    });
  });
}

/** Nothing left behind, or a message that says what was. */
export function leakReport(r: { leaks: Leaks; seen: Held }): string {
  const { leaks, seen } = r;
  return `left behind: progs ${leaks.prog} maps ${leaks.map} links ${leaks.link} tsbt_<tag> maps ${leaks.tagged} ` +
    `(held while running: ${seen.prog.size} progs, ${seen.map.size} maps, ${seen.link.size} links)`;
}

export function noLeaks(r: { leaks: Leaks }): boolean {
  const { leaks } = r;
  return leaks.prog.length + leaks.map.length + leaks.link.length + leaks.tagged.length === 0;
}
