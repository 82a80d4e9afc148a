// Shared by the uprobe end-to-end tests: the C programs of test/fixtures/uprobe compiled at test time
// (no binaries are committed), and reading a traced process's code to see where breakpoints are.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/uprobe/', import.meta.url));

/** A scratch directory for builds; `cleanup` removes it. */
export function buildDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-uprobe-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** cc with the fixture sources (names relative to test/fixtures/uprobe); returns the output path. */
export function cc(dir: string, out: string, sources: string[], flags: string[] = []): string {
  const path = join(dir, out);
  execFileSync('cc', [...flags, ...sources.map((s) => join(FIXTURES, s)), '-o', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  return path;
}

/** Can cc build against <sys/sdt.h> (systemtap-sdt-dev)? */
export function haveSysSdt(): boolean {
  try {
    execFileSync('cc', ['-E', '-x', 'c', '-'], { input: '#include <sys/sdt.h>\n', stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}

/** Link-time address of a symbol, from `nm`. */
export function symbolAddress(binary: string, name: string): number {
  const out = execFileSync('nm', [binary], { encoding: 'utf8' });
  const m = new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(out);
  if (!m) throw new Error(`nm ${binary}: no ${name}`);
  return parseInt(m[1]!, 16);
}

/** Offset (from the function's start) of its second instruction, from `objdump -d`. */
export function secondInstructionOffset(binary: string, func: string): number {
  const out = execFileSync('objdump', ['-d', `--disassemble=${func}`, binary], { encoding: 'utf8' });
  const addrs = [...out.matchAll(/^\s+([0-9a-f]+):\t/gm)].map((m) => parseInt(m[1]!, 16));
  if (addrs.length < 2) throw new Error(`objdump ${binary}: ${func} has fewer than two instructions`);
  return addrs[1]! - addrs[0]!;
}

/** The byte of `binary` at file offset `offset` as process `pid` sees it (0xcc where a uprobe sits). */
export function codeByte(pid: number, binary: string, offset: number): number {
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(\S+)$/.exec(line);
    if (!m || m[4] !== binary) continue;
    const start = parseInt(m[1]!, 16);
    const end = parseInt(m[2]!, 16);
    const fileOffset = parseInt(m[3]!, 16);
    if (offset < fileOffset || offset >= fileOffset + (end - start)) continue;
    const fd = openSync(`/proc/${pid}/mem`, 'r');
    try {
      const buf = Buffer.alloc(1);
      readSync(fd, buf, 0, 1, start + offset - fileOffset);
      return buf[0]!;
    } finally {
      closeSync(fd);
    }
  }
  throw new Error(`process ${pid} does not map offset 0x${offset.toString(16)} of ${binary}`);
}
