// The two tools under test, and how each runs a script and says "every probe is attached".

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Natives } from './native.ts';
import { findExecutable, type SessionSpec } from './proc.ts';

export type ToolName = 'tsbt' | 'bpftrace';

export interface Script {
  /** Program text (-e) or a script file. */
  text?: string;
  file?: string;
  /** Size of every map, when the default (4096 in both tools) is too small. */
  mapKeys?: number;
}

export interface Tool {
  name: ToolName;
  version: string;
  /** How the attached moment is observed, for the method section. */
  attachedBy: string;
  /** Whether that moment is exact (false: a fallback that is only a bound). */
  attachedExact: boolean;
  session(script: Script, extra?: { marker?: boolean }): Pick<SessionSpec, 'argv' | 'env' | 'marker' | 'runner'>;
}

export function tsbtTool(root: string, natives: Natives): Tool {
  const cli = join(root, 'dist', 'tsbt.mjs');
  return {
    name: 'tsbt',
    version: `${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}, Node ${process.version}`,
    attachedBy: 'its own `Attached N probes` line on stderr, written after every probe is attached and enabled and BEGIN has run',
    attachedExact: true,
    session(script, extra) {
      // The same text and the same BPFTRACE_MAP_KEYS_MAX as bpftrace (tsbt reads it too).
      const args = script.text !== undefined ? ['-e', script.text] : [script.file!];
      return {
        argv: [process.execPath, cli, ...args],
        env: (script.mapKeys ? { BPFTRACE_MAP_KEYS_MAX: String(script.mapKeys) } : {}) as Record<string, string>,
        runner: natives.runner,
        ...(extra?.marker === false ? {} : { marker: { stream: 'stderr' as const, re: /^Attached \d+ probes?$/ } }),
      };
    },
  };
}

export function bpftraceTool(natives: Natives): Tool | undefined {
  const bin = process.env.BPFTRACE ?? findExecutable('bpftrace');
  if (!bin) return undefined;
  let version = 'unknown';
  try {
    version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch { /* keep unknown */ }
  const shim = natives.attachedShim;
  return {
    name: 'bpftrace',
    version,
    attachedBy: shim
      ? 'an LD_PRELOAD shim (bench/native/attached.c): bpftrace 0.17 has no __BPFTRACE_NOTIFY_PROBES_ATTACHED and prints ' +
        '"Attaching N probes..." before it attaches; the shim writes a line at its first epoll_wait, i.e. when it enters its ' +
        'event loop after the last attach ioctl (PERF_EVENT_IOC_SET_BPF/ENABLE) and after BEGIN'
      : 'its "Attaching N probes..." line (no C compiler for the shim): printed *before* attaching, so a lower bound',
    attachedExact: shim !== undefined,
    session(script, extra) {
      const args = script.text !== undefined ? ['-e', script.text] : [script.file!];
      const env: Record<string, string> = {};
      if (script.mapKeys) env.BPFTRACE_MAP_KEYS_MAX = String(script.mapKeys);
      const wantMarker = extra?.marker !== false;
      if (wantMarker && shim) env.LD_PRELOAD = shim;
      return {
        argv: [bin, ...args],
        env,
        runner: natives.runner,
        ...(!wantMarker ? {} : shim
          ? { marker: { stream: 'stderr' as const, re: /^__BENCH_ATTACHED / } }
          : { marker: { stream: 'stdout' as const, re: /^Attaching \d+ probes?\.\.\./ } }),
      };
    },
  };
}

/** Why a run failed, in one line, from the tool's own error messages. */
export function failureReason(tool: ToolName, stderr: string, fallback: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const found: string[] = [];
  for (const l of lines) {
    if (/RLIMIT_MEMLOCK/.test(l) || l.startsWith('__BENCH_')) continue;
    let m: RegExpExecArray | null;
    if (tool === 'tsbt') {
      if ((m = /\berror: (.*)$/.exec(l))) found.push(m[1]!);
      else if ((m = /^tsbt: (.*)$/.exec(l))) found.push(m[1]!);
    } else {
      if ((m = /\bERROR: (.*)$/.exec(l))) found.push(m[1]!);
      else if ((m = /\berror: (.*)$/.exec(l))) found.push(m[1]!);
    }
  }
  const unique = [...new Set(found)];
  if (unique.length === 0) return fallback;
  const shown = unique.slice(0, 3).join('; ');
  return unique.length > 3 ? `${shown}; +${unique.length - 3} more` : shown;
}

/** Every distinct error message of a failed run (for the list of what tsbt is missing). */
export function allReasons(tool: ToolName, stderr: string): string[] {
  const out = new Set<string>();
  for (const l of stderr.split('\n')) {
    if (/RLIMIT_MEMLOCK/.test(l)) continue;
    const m = (tool === 'tsbt' ? /\berror: (.*)$|^tsbt: (.*)$/ : /\bERROR: (.*)$|\berror: (.*)$/).exec(l.trim());
    if (m) out.add((m[1] ?? m[2])!);
  }
  return [...out];
}
