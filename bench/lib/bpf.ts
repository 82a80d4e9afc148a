// The kernel's view of the programs a tool loaded: which ones (the bpf-prog fds it holds, and the
// perf events it attached, as `bpftool perf` lists them), their size (`bytes_xlated` = xlated_prog_len
// from BPF_OBJ_GET_INFO_BY_FD, via `bpftool prog show`), and their run statistics (run_time_ns,
// run_cnt; counted only while kernel.bpf_stats_enabled = 1).

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { findExecutable } from './proc.ts';

const execFileAsync = promisify(execFile);

export interface ProgInfo {
  id: number;
  type: string;
  name: string;
  /** xlated_prog_len / 8: instructions after the kernel's rewrites (what the issue asks for). */
  xlatedInsns: number;
  jitedBytes?: number;
  /** Instructions the verifier processed, when the kernel says (fdinfo verified_insns). */
  verifiedInsns?: number;
}

export interface ProgStats {
  runTimeNs: number;
  runCnt: number;
}

const bpftool = findExecutable('bpftool') ?? ['/usr/sbin/bpftool', '/sbin/bpftool'].find((p) => existsSync(p));

export const haveBpftool = (): boolean => bpftool !== undefined;

function fdinfo(pid: number, fd: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n')) {
    const m = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Programs the process holds a file descriptor for: prog id → fd. */
export function progFds(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const id = Number(fdinfo(pid, fd).get('prog_id'));
      if (id) out.set(id, fd);
    } catch { /* closed meanwhile */ }
  }
  return out;
}

async function bpftoolJson(args: string[]): Promise<unknown> {
  if (!bpftool) throw new Error('bpftool is not installed');
  const { stdout } = await execFileAsync(bpftool, ['-j', ...args], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout || 'null');
}

/** Program ids of a process: the bpf-prog fds it holds, plus the perf events bpftool sees it attach. */
export async function progIdsOf(pid: number): Promise<number[]> {
  const ids = new Set(progFds(pid).keys());
  try {
    const perf = (await bpftoolJson(['perf', 'show'])) as Array<{ pid: number; prog_id: number }> | null;
    for (const p of perf ?? []) if (p.pid === pid && p.prog_id) ids.add(p.prog_id);
  } catch { /* bpftool perf is a second source only */ }
  return [...ids].sort((a, b) => a - b);
}

export async function progInfo(ids: number[], pid?: number): Promise<ProgInfo[]> {
  const all = (await bpftoolJson(['prog', 'show'])) as Array<Record<string, unknown>>;
  const fds = pid !== undefined ? progFds(pid) : new Map<number, string>();
  const out: ProgInfo[] = [];
  for (const p of all) {
    const id = p.id as number;
    if (!ids.includes(id)) continue;
    let verifiedInsns: number | undefined;
    const fd = fds.get(id);
    if (fd !== undefined && pid !== undefined) {
      try {
        const v = fdinfo(pid, fd).get('verified_insns');
        if (v !== undefined) verifiedInsns = Number(v);
      } catch { /* gone */ }
    }
    out.push({
      id, type: String(p.type), name: String(p.name ?? ''), xlatedInsns: Number(p.bytes_xlated) / 8,
      ...(p.bytes_jited !== undefined ? { jitedBytes: Number(p.bytes_jited) } : {}),
      ...(verifiedInsns !== undefined ? { verifiedInsns } : {}),
    });
  }
  return out;
}

/** Run statistics of one program, from the fd the tool holds (no process spawned), else bpftool. */
export async function progStats(pid: number, id: number): Promise<ProgStats | undefined> {
  const fd = progFds(pid).get(id);
  if (fd !== undefined) {
    try {
      const info = fdinfo(pid, fd);
      if (info.has('run_cnt')) return { runTimeNs: Number(info.get('run_time_ns')), runCnt: Number(info.get('run_cnt')) };
    } catch { /* fall back to bpftool */ }
  }
  try {
    const p = (await bpftoolJson(['prog', 'show', 'id', String(id)])) as Record<string, unknown>;
    return { runTimeNs: Number(p.run_time_ns ?? 0), runCnt: Number(p.run_cnt ?? 0) };
  } catch {
    return undefined;
  }
}

const STATS = '/proc/sys/kernel/bpf_stats_enabled';

/** Turn kernel.bpf_stats_enabled on; returns how to put the old value back (or undefined if impossible). */
export function enableBpfStats(): (() => void) | undefined {
  try {
    const old = readFileSync(STATS, 'utf8').trim();
    writeFileSync(STATS, '1');
    return () => {
      try {
        writeFileSync(STATS, old);
      } catch { /* nothing more to do */ }
    };
  } catch {
    return undefined;
  }
}
