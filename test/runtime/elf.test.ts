// ElfFile against binutils: C fixtures (test/fixtures/elf) are compiled with `cc` into a temp dir
// (PIE, non-PIE, a shared library with a moved text segment, a stripped copy), and every symbol
// table, file offset and segment is checked against `readelf`, `nm` and `objdump -F`. Also: libc
// on this machine and strlen's offset.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ET_DYN,
  ET_EXEC,
  EM_X86_64,
  ElfError,
  ElfFile,
  PT_LOAD,
  SHN_ABS,
  SHN_COMMON,
  symbolGlob,
  type ElfSymbol,
} from '../../runtime/kernel/elf/index.ts';
import { resolveBinary } from '../../runtime/kernel/elf/resolve.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/elf/', import.meta.url));
const t = suite('elf: symbols, segments and file offsets against readelf/nm/objdump');

let dir = '';
const bin: Record<'nopie' | 'pie' | 'lib' | 'stripped' | 'object', string> = { nopie: '', pie: '', lib: '', stripped: '', object: '' };
/** An ELF32 executable, when cc can target i386 (no libc needed); '' otherwise. */
let bin32 = '';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
}

function cc(out: string, args: string[]): string {
  const path = join(dir, out);
  run('cc', [...args, '-o', path]);
  return path;
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbt-elf-'));
  const target = join(FIXTURES, 'target.c');
  bin.nopie = cc('target-nopie', ['-O1', '-fno-pie', '-no-pie', target]);
  bin.pie = cc('target-pie', ['-O1', '-fPIE', '-pie', target]);
  // A text segment moved off its file offset, so vaddr != offset for functions of an ET_DYN file.
  bin.lib = cc('libtsbtfix.so', ['-O1', '-shared', '-fPIC', '-Wl,-soname,libtsbtfix.so.1', '-Wl,-Ttext-segment=0x20000', join(FIXTURES, 'lib.c')]);
  bin.stripped = join(dir, 'libtsbtfix-stripped.so');
  copyFileSync(bin.lib, bin.stripped);
  run('strip', ['--strip-all', bin.stripped]);
  bin.object = cc('target.o', ['-O1', '-c', target]);
  try {
    bin32 = cc('target-32', ['-m32', '-O1', '-nostdlib', '-static', '-fno-pie', '-no-pie', '-e', 'main', target]);
  } catch {
    console.log('    cc -m32 unavailable: skipping the ELF32 checks');
  }
});

t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ReadelfSym {
  value: number;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** `readelf -sW`, by table. .dynsym names lose the `@VERSION (N)` readelf adds from .gnu.version. */
function readelfSymbols(path: string): Map<string, ReadelfSym[]> {
  const tables = new Map<string, ReadelfSym[]>();
  let current: ReadelfSym[] | undefined;
  let currentName = '';
  for (const line of run('readelf', ['-sW', path]).split('\n')) {
    const head = /^Symbol table '([^']+)'/.exec(line);
    if (head) {
      currentName = head[1]!;
      current = [];
      tables.set(currentName, current);
      continue;
    }
    const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (!m || !current || m[1] === '0') continue;
    let name = m[8]!;
    if (currentName === '.dynsym') name = name.replace(/@.*$/, '');
    current.push({ value: parseInt(m[2]!, 16), size: Number(m[3]), type: m[4]!, bind: m[5]!, vis: m[6]!, ndx: m[7]!, name });
  }
  return tables;
}

function ndxText(shndx: number): string {
  return shndx === 0 ? 'UND' : shndx === SHN_ABS ? 'ABS' : shndx === SHN_COMMON ? 'COM' : String(shndx);
}

/** As readelf prints it: a nameless SECTION symbol shows its section's name. */
function asReadelf(elf: ElfFile, s: ElfSymbol): ReadelfSym {
  const name = s.type === 'SECTION' && s.name === '' ? elf.sections[s.shndx]?.name ?? '' : s.name;
  return { value: s.value, size: s.size, type: s.type, bind: s.binding, vis: s.visibility, ndx: ndxText(s.shndx), name };
}

/** `nm` (or `nm -D`) defined symbols: name -> address. */
function nmSymbols(path: string, dynamic = false): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of run('nm', [...(dynamic ? ['-D'] : []), '--defined-only', path]).split('\n')) {
    const m = /^([0-9a-f]+) \S (\S+)$/.exec(line);
    if (m) out.set(m[2]!.replace(/@.*$/, ''), parseInt(m[1]!, 16));
  }
  return out;
}

/** The `(File Offset: 0x...)` objdump -F prints for a function. */
function objdumpFileOffset(path: string, sym: string): number {
  const text = run('objdump', ['-d', '-F', `--disassemble=${sym}`, path]);
  const m = new RegExp(`<${sym.replace(/[.$]/g, '\\$&')}(?:@[^>]*)?> \\(File Offset: 0x([0-9a-f]+)\\):`).exec(text);
  if (!m) throw new Error(`objdump printed no file offset for ${sym}:\n${text.slice(0, 500)}`);
  return parseInt(m[1]!, 16);
}

/** `readelf -lW` LOAD lines. */
function readelfLoads(path: string): { offset: number; vaddr: number; filesz: number; memsz: number }[] {
  return run('readelf', ['-lW', path])
    .split('\n')
    .map((l) => /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ offset: parseInt(m[1]!, 16), vaddr: parseInt(m[2]!, 16), filesz: parseInt(m[3]!, 16), memsz: parseInt(m[4]!, 16) }));
}

/** `readelf -SW` sections: name -> { addr, offset, size, type }. */
function readelfSections(path: string): { name: string; type: string; addr: number; offset: number; size: number }[] {
  return run('readelf', ['-SW', path])
    .split('\n')
    .map((l) => /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] !== '0')
    .map((m) => ({ name: m[2]!, type: m[3]!, addr: parseInt(m[4]!, 16), offset: parseInt(m[5]!, 16), size: parseInt(m[6]!, 16) }));
}

t('headers: class, byte order, type and machine of each build', () => {
  const nopie = ElfFile.open(bin.nopie);
  const pie = ElfFile.open(bin.pie);
  const lib = ElfFile.open(bin.lib);
  assert.equal([nopie.header.class, nopie.header.littleEndian, nopie.header.machine], [64, true, EM_X86_64]);
  assert.equal([nopie.header.type, nopie.isExecutable, nopie.isDynamic], [ET_EXEC, true, false]);
  assert.equal([pie.header.type, pie.isDynamic], [ET_DYN, true]);
  assert.is(lib.header.type, ET_DYN);
  const entry = /Entry point address:\s+0x([0-9a-f]+)/.exec(run('readelf', ['-hW', bin.pie]))![1]!;
  assert.is(pie.header.entry, parseInt(entry, 16));
});

t('sections match readelf -S (names, types, addresses, offsets, sizes)', () => {
  for (const path of [bin.nopie, bin.pie, bin.lib, bin.stripped]) {
    const elf = ElfFile.open(path);
    const ours = elf.sections.slice(1).map((s) => ({ name: s.name, addr: s.addr, offset: s.offset, size: s.size }));
    const theirs = readelfSections(path).map(({ name, addr, offset, size }) => ({ name, addr, offset, size }));
    assert.equal(ours, theirs, path);
  }
  const elf = ElfFile.open(bin.pie);
  assert.ok(elf.section('.text'));
  assert.is(elf.section('.nope'), undefined);
  assert.is(elf.sectionData(elf.section('.bss')!).length, 0, '.bss has no file bytes');
  const comment = elf.sectionData(elf.section('.comment')!).toString('latin1');
  assert.match(comment, /GCC/);
});

t('PT_LOAD segments match readelf -l', () => {
  for (const path of [bin.nopie, bin.pie, bin.lib]) {
    const ours = ElfFile.open(path).loadSegments.map(({ offset, vaddr, filesz, memsz }) => ({ offset, vaddr, filesz, memsz }));
    assert.equal(ours, readelfLoads(path), path);
    assert.ok(ElfFile.open(path).programHeaders.some((p) => p.type !== PT_LOAD));
  }
});

t('every .symtab and .dynsym entry matches readelf -s', () => {
  for (const path of [bin.nopie, bin.pie, bin.lib, bin.stripped, bin.object]) {
    const elf = ElfFile.open(path);
    const theirs = readelfSymbols(path);
    for (const table of ['.symtab', '.dynsym'] as const) {
      const ours = elf.symbolTable(table).map((s) => asReadelf(elf, s));
      assert.equal(ours, theirs.get(table) ?? [], `${path} ${table}`);
    }
  }
  assert.is(ElfFile.open(bin.stripped).symbolTable('.symtab').length, 0, 'strip removed .symtab');
});

t('symbol addresses agree with nm', () => {
  for (const path of [bin.nopie, bin.pie]) {
    const elf = ElfFile.open(path);
    const nm = nmSymbols(path);
    for (const name of ['tsbt_target', 'tsbt_target_alias', 'tsbt_weak', 'tsbt_local', 'main', 'tsbt_global', 'tsbt_bss']) {
      assert.is(elf.findSymbol(name)?.value, nm.get(name), `${path} ${name}`);
    }
  }
  const nmD = nmSymbols(bin.stripped, true);
  const stripped = ElfFile.open(bin.stripped);
  for (const name of ['tsbt_lib_fn', 'tsbt_lib_fn_alias', 'tsbt_lib_other', 'tsbt_lib_counter']) {
    assert.is(stripped.findSymbol(name)?.value, nmD.get(name), name);
  }
});

t('symbol types and bindings', () => {
  const elf = ElfFile.open(bin.nopie);
  const s = (n: string) => elf.findSymbol(n)!;
  assert.equal([s('tsbt_target').type, s('tsbt_target').binding], ['FUNC', 'GLOBAL']);
  assert.equal([s('tsbt_weak').type, s('tsbt_weak').binding], ['FUNC', 'WEAK']);
  assert.equal([s('tsbt_local').type, s('tsbt_local').binding], ['FUNC', 'LOCAL']);
  assert.equal([s('tsbt_global').type, s('tsbt_global').size], ['OBJECT', 4]);
  const lib = ElfFile.open(bin.lib);
  assert.is(lib.findSymbol('tsbt_lib_hidden')?.table, '.symtab', 'hidden: not exported, only in .symtab');
  assert.is(ElfFile.open(bin.stripped).findSymbol('tsbt_lib_hidden'), undefined);
  // An import is listed but not defined, and findSymbol skips it.
  const puts = elf.symbols.find((x) => x.name.startsWith('__libc_start_main'));
  assert.equal([puts?.defined, puts?.shndx], [false, 0]);
  assert.is(elf.findSymbol('__libc_start_main'), undefined);
});

t('symbolFileOffset equals objdump -F for executables, PIE and shared libraries', () => {
  const cases: [string, string[]][] = [
    [bin.nopie, ['tsbt_target', 'tsbt_weak', 'tsbt_local', 'main']],
    [bin.pie, ['tsbt_target', 'tsbt_weak', 'tsbt_local', 'main']],
    [bin.lib, ['tsbt_lib_fn', 'tsbt_lib_hidden', 'tsbt_lib_other']],
  ];
  for (const [path, names] of cases) {
    const elf = ElfFile.open(path);
    for (const name of names) {
      const sym = elf.findSymbol(name)!;
      assert.is(elf.symbolFileOffset(sym), objdumpFileOffset(path, name), `${path} ${name}`);
    }
  }
  // The non-PIE's addresses are 0x400000-based and the library's text is moved to 0x21000: the
  // offsets really are translated, not copied.
  const nopie = ElfFile.open(bin.nopie);
  const t1 = nopie.findSymbol('tsbt_target')!;
  assert.is(t1.value - nopie.symbolFileOffset(t1), 0x400000);
  const lib = ElfFile.open(bin.lib);
  const f = lib.findSymbol('tsbt_lib_fn')!;
  assert.is(f.value - lib.symbolFileOffset(f), 0x20000);
  // Stripped (only .dynsym) gives the same offset.
  const stripped = ElfFile.open(bin.stripped);
  assert.is(stripped.symbolFileOffset(stripped.findSymbol('tsbt_lib_fn')!), lib.symbolFileOffset(f));
  // The bytes at the offset are the function's first bytes as objdump shows them.
  const bytes = /:\s+((?:[0-9a-f]{2} )+)/.exec(run('objdump', ['-d', '--disassemble=tsbt_target', bin.nopie]).split('<tsbt_target>:')[1]!)![1]!.trim();
  const file = readFileSync(bin.nopie);
  const off = nopie.symbolFileOffset(t1);
  assert.is(file.subarray(off, off + bytes.split(' ').length).toString('hex'), bytes.replace(/ /g, ''));
});

t('symbolFileOffset refuses imports, .bss objects and relocatable objects', () => {
  const elf = ElfFile.open(bin.nopie);
  const imp = elf.symbols.find((s) => !s.defined && s.name.startsWith('__libc_start_main'))!;
  assert.throws(() => elf.symbolFileOffset(imp), /not defined/);
  assert.throws(() => elf.symbolFileOffset(elf.findSymbol('tsbt_bss')!), /no loadable segment/);
  assert.ok(elf.symbolFileOffset(elf.findSymbol('tsbt_global')!) > 0, '.data has file bytes');
  const obj = ElfFile.open(bin.object);
  assert.throws(() => obj.symbolFileOffset(obj.findSymbol('tsbt_target')!), /relocatable/);
});

t('findSymbols: globs, sorted, one probe point per address with its aliases', () => {
  const elf = ElfFile.open(bin.nopie);
  const all = elf.findSymbols('tsbt_*');
  assert.equal(all.map((s) => s.name), ['tsbt_local', 'tsbt_target', 'tsbt_weak']);
  assert.equal(all.find((s) => s.name === 'tsbt_target')!.aliases, ['tsbt_target_alias']);
  assert.equal(elf.findSymbols('*_alias').map((s) => [s.name, s.aliases]), [['tsbt_target_alias', []]]);
  assert.equal(elf.findSymbols('tsbt_*', { keepAliases: true }).map((s) => s.name), ['tsbt_local', 'tsbt_target', 'tsbt_target_alias', 'tsbt_weak']);
  assert.equal(elf.findSymbols('tsbt_target').map((s) => s.name), ['tsbt_target']);
  assert.equal(elf.findSymbols('tsbt_*', { types: ['OBJECT'] }).map((s) => s.name), ['tsbt_bss', 'tsbt_global']);
  assert.equal(elf.findSymbols('nothing*'), []);
  assert.ok(elf.findSymbols('*').length >= 8);
  assert.ok(elf.findSymbols('*').every((s) => s.value !== 0 && s.defined));
  // In a shared library the same name sits in .symtab and .dynsym: still one entry.
  const lib = ElfFile.open(bin.lib);
  const libMatches = lib.findSymbols('tsbt_lib_*');
  assert.equal(libMatches.map((s) => s.name), ['tsbt_lib_fn', 'tsbt_lib_hidden', 'tsbt_lib_other']);
  assert.equal(libMatches[0]!.aliases, ['tsbt_lib_fn_alias']);
  // Glob characters other than * are literal.
  assert.ok(symbolGlob('a.b*').test('a.bc'));
  assert.not.ok(symbolGlob('a.b*').test('axbc'));
  assert.not.ok(symbolGlob('a?').test('ab'));
});

t('ELF32: sections, segments, symbols and offsets match binutils', () => {
  if (!bin32) return;
  const elf = ElfFile.open(bin32);
  assert.equal([elf.header.class, elf.header.type], [32, ET_EXEC]);
  assert.equal(elf.sections.slice(1).map((s) => ({ name: s.name, addr: s.addr, offset: s.offset, size: s.size })),
    readelfSections(bin32).map(({ name, addr, offset, size }) => ({ name, addr, offset, size })));
  assert.equal(elf.loadSegments.map(({ offset, vaddr, filesz, memsz }) => ({ offset, vaddr, filesz, memsz })), readelfLoads(bin32));
  assert.equal(elf.symbolTable('.symtab').map((s) => asReadelf(elf, s)), readelfSymbols(bin32).get('.symtab'));
  for (const name of ['tsbt_target', 'tsbt_local', 'main']) {
    assert.is(elf.symbolFileOffset(elf.findSymbol(name)!), objdumpFileOffset(bin32, name), name);
  }
});

t('not ELF, truncated tables and fromBuffer', () => {
  assert.throws(() => ElfFile.fromBuffer(Buffer.from('#!/bin/sh\n'), 'script'), (e: unknown) => e instanceof ElfError && /not an ELF file/.test((e as Error).message));
  assert.throws(() => ElfFile.open(join(dir, 'missing')), /cannot read: ENOENT/);
  const whole = readFileSync(bin.pie);
  const cut = ElfFile.fromBuffer(whole.subarray(0, 200), 'cut');
  assert.throws(() => cut.sections, /runs past the end/);
  const copy = ElfFile.fromBuffer(Buffer.from(whole));
  assert.is(copy.findSymbol('tsbt_target')!.value, ElfFile.open(bin.pie).findSymbol('tsbt_target')!.value);
  assert.match(ElfFile.open(bin.pie).buildId ?? '', /^[0-9a-f]{40}$/);
  const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', bin.pie]))![1];
  assert.is(ElfFile.open(bin.pie).buildId, id);
});

t('libc on this machine: resolved by name, strlen found with its file offset', () => {
  const libc = resolveBinary('libc');
  const ldconfig = run('/sbin/ldconfig', ['-p']);
  const listed = /^\s+libc\.so\.6 \([^)]*x86-64[^)]*\) => (\S+)$/m.exec(ldconfig);
  if (process.arch === 'x64' && listed) assert.is(libc, run('realpath', [listed[1]!]).trim());
  const elf = ElfFile.open(libc);
  const strlen = elf.findSymbol('strlen')!;
  assert.ok(strlen, 'libc exports strlen');
  const re = readelfSymbols(libc).get('.dynsym')!.find((s) => s.name === 'strlen' && s.ndx !== 'UND')!;
  assert.equal([strlen.value, strlen.size, strlen.type], [re.value, re.size, re.type]);
  const off = elf.symbolFileOffset(strlen);
  assert.is(off, objdumpFileOffset(libc, 'strlen'));
  // glibc's strlen is an IFUNC: a uprobe on it fires in the resolver, at relocation time.
  console.log(`    libc: ${libc}, strlen ${strlen.type} at 0x${strlen.value.toString(16)}, file offset 0x${off.toString(16)}`);
});

t.run();
