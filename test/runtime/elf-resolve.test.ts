// Target resolution for uprobe:TARGET:fn: /etc/ld.so.cache decoding (against `ldconfig -p` and
// synthetic caches in every layout), and resolveBinary on paths, $PATH, the cache, library
// directories and a process's mappings.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BinaryNotFoundError,
  DL_CACHE_HWCAP_EXTENSION,
  ElfFile,
  findLibraryInCache,
  findLibraryInProcess,
  ldCacheFlagsForArch,
  libraryNameRank,
  looksLikeLibrary,
  parseLdSoCache,
  readLdSoCache,
  resolveBinary,
  type LdCacheEntry,
} from '../../runtime/kernel/elf/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/elf/', import.meta.url));
const t = suite('elf: ld.so.cache and resolving uprobe targets');

let dir = '';
let lib = '';

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' }, ...opts });
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbt-resolve-'));
  mkdirSync(join(dir, 'lib'));
  // libtsbtfix.so.1.2.3 with the usual symlink chain: libtsbtfix.so.1 -> libtsbtfix.so.1.2.3.
  lib = join(dir, 'lib', 'libtsbtfix.so.1.2.3');
  run('cc', ['-O1', '-shared', '-fPIC', '-Wl,-soname,libtsbtfix.so.1', '-o', lib, join(FIXTURES, 'lib.c')]);
  symlinkSync('libtsbtfix.so.1.2.3', join(dir, 'lib', 'libtsbtfix.so.1'));
  // A look-alike that must not answer for `tsbtfix`.
  copyFileSync(lib, join(dir, 'lib', 'libtsbtfixture.so.9'));
  mkdirSync(join(dir, 'bin'));
  run('cc', ['-O1', '-o', join(dir, 'bin', 'tsbt-target'), join(FIXTURES, 'target.c')]);
  writeFileSync(join(dir, 'bin', 'tsbt-script'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  symlinkSync(join(dir, 'bin', 'tsbt-target'), join(dir, 'bin', 'tsbt-link'));
});

t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Entry {
  flags: number;
  name: string;
  path: string;
  hwcap?: bigint;
}

/** A new-format ("glibc-ld.so.cache1.1") image; string offsets count from its own start. */
function newFormat(entries: Entry[], bigEndian = false, endianFlag = bigEndian ? 3 : 2): Buffer {
  const header = Buffer.alloc(48);
  header.write('glibc-ld.so.cache1.1', 0, 'latin1');
  const table = Buffer.alloc(entries.length * 24);
  const strings: Buffer[] = [];
  let strOff = 48 + table.length;
  const addString = (s: string) => {
    const at = strOff;
    const b = Buffer.from(`${s}\0`);
    strings.push(b);
    strOff += b.length;
    return at;
  };
  const w32 = (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  entries.forEach((e, i) => {
    const o = i * 24;
    bigEndian ? table.writeInt32BE(e.flags, o) : table.writeInt32LE(e.flags, o);
    w32(table, addString(e.name), o + 4);
    w32(table, addString(e.path), o + 8);
    bigEndian ? table.writeBigUInt64BE(e.hwcap ?? 0n, o + 16) : table.writeBigUInt64LE(e.hwcap ?? 0n, o + 16);
  });
  w32(header, entries.length, 20);
  w32(header, strOff - 48 - table.length, 24);
  header[28] = endianFlag;
  return Buffer.concat([header, table, ...strings]);
}

/** An old-format ("ld.so-1.7.0") image, optionally followed by a new-format one (glibc < 2.32). */
function oldFormat(entries: Entry[], then?: Buffer): Buffer {
  const head = Buffer.alloc(16);
  head.write('ld.so-1.7.0', 0, 'latin1');
  head.writeUInt32LE(entries.length, 12);
  const table = Buffer.alloc(entries.length * 12);
  const strings: Buffer[] = [];
  let strOff = 0;
  const addString = (s: string) => {
    const at = strOff;
    const b = Buffer.from(`${s}\0`);
    strings.push(b);
    strOff += b.length;
    return at;
  };
  if (then) addString(''); // keep offsets non-zero like ldconfig; harmless
  entries.forEach((e, i) => {
    table.writeInt32LE(e.flags, i * 12);
    table.writeUInt32LE(addString(e.name), i * 12 + 4);
    table.writeUInt32LE(addString(e.path), i * 12 + 8);
  });
  const old = Buffer.concat([head, table]);
  if (!then) return Buffer.concat([old, ...strings]);
  // The new cache starts 8-byte aligned right after the old entries; old strings live inside it.
  const pad = Buffer.alloc(((old.length + 7) & ~7) - old.length);
  return Buffer.concat([old, pad, then]);
}

const SAMPLE: Entry[] = [
  { flags: 0x303, name: 'libz.so.1', path: '/lib/x86_64-linux-gnu/libz.so.1' },
  { flags: 0x303, name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6', hwcap: 0n },
  { flags: 0x003, name: 'libc.so.6', path: '/lib/i386-linux-gnu/libc.so.6' },
  { flags: 0x303, name: 'libcap.so.2', path: '/lib/x86_64-linux-gnu/libcap.so.2', hwcap: DL_CACHE_HWCAP_EXTENSION | 1n },
];

t('ld.so.cache: this machine\'s cache lists what ldconfig -p lists, in order', () => {
  const entries = readLdSoCache();
  const ldconfig = run('/sbin/ldconfig', ['-p']);
  const count = Number(/^(\d+) libs found/.exec(ldconfig)![1]);
  const listed = [...ldconfig.matchAll(/^\t(\S+) \(([^)]*)\) => (.+)$/gm)].map((m) => [m[1], m[3]]);
  assert.is(entries.length, count);
  assert.equal(entries.map((e) => [e.name, e.path]), listed);
  const libc = entries.find((e) => e.name === 'libc.so.6' && ldCacheFlagsForArch().includes(e.flags));
  assert.ok(libc, 'libc.so.6 for this machine is in the cache');
  assert.is(readLdSoCache(), entries, 'decoded once while the file is unchanged');
});

t('ld.so.cache: new format little and big endian, old format, old followed by new', () => {
  const expectNew = SAMPLE.map((e) => ({ flags: e.flags, name: e.name, path: e.path, osVersion: 0, hwcap: e.hwcap ?? 0n }));
  assert.equal(parseLdSoCache(newFormat(SAMPLE)), expectNew);
  assert.equal(parseLdSoCache(newFormat(SAMPLE, true)), expectNew);
  assert.equal(parseLdSoCache(newFormat(SAMPLE, false, 0)), expectNew, 'endianness unset: guessed');
  const expectOld = SAMPLE.map((e) => ({ flags: e.flags, name: e.name, path: e.path }));
  assert.equal(parseLdSoCache(oldFormat(SAMPLE)), expectOld);
  assert.equal(parseLdSoCache(oldFormat(SAMPLE.slice(0, 2), newFormat(SAMPLE))), expectNew, 'the new part wins');
  assert.throws(() => parseLdSoCache(Buffer.from('garbage garbage garbage')), /unknown magic/);
  const bad = newFormat(SAMPLE);
  bad.write('9.9', 17, 'latin1');
  assert.throws(() => parseLdSoCache(bad), /unsupported version/);
  assert.throws(() => parseLdSoCache(newFormat(SAMPLE).subarray(0, 60)), /do not fit/);
});

t('library names: libc answers for libc.so.6, not libcap; c and libc.so too', () => {
  assert.is(libraryNameRank('libc.so.6', 'libc.so.6'), 0);
  assert.is(libraryNameRank('libc.so.6', 'libc'), 1);
  assert.is(libraryNameRank('libc.so.6', 'libc.so'), 1);
  assert.is(libraryNameRank('libc.so.6', 'c'), 3);
  assert.is(libraryNameRank('libcap.so.2', 'libc'), undefined);
  assert.is(libraryNameRank('libcap.so.2', 'c'), undefined);
  assert.is(libraryNameRank('libc-2.31.so', 'libc-2.31'), 1);
  assert.is(libraryNameRank('libpython3.11.so.1.0', 'python3.11'), 3);
  assert.ok(looksLikeLibrary('libc') && looksLikeLibrary('foo.so.1') && !looksLikeLibrary('bash'));
  const entries: LdCacheEntry[] = parseLdSoCache(newFormat([
    { flags: 0x303, name: 'libtsbtfixture.so.9', path: join(dir, 'lib', 'libtsbtfixture.so.9') },
    { flags: 0x003, name: 'libtsbtfix.so.1', path: '/nonexistent/i386/libtsbtfix.so.1' },
    { flags: 0x303, name: 'libtsbtfix.so.1', path: join(dir, 'lib', 'libtsbtfix.so.1') },
  ]));
  assert.is(findLibraryInCache('tsbtfix', entries, [0x303]), join(dir, 'lib', 'libtsbtfix.so.1'));
  assert.is(findLibraryInCache('tsbtfix', entries, [0x003]), undefined, 'the i386 entry\'s file does not exist');
  assert.is(findLibraryInCache('tsbtfixture', entries, [0x303]), join(dir, 'lib', 'libtsbtfixture.so.9'));
  assert.is(findLibraryInCache('nothing', entries, [0x303]), undefined);
});

t('resolveBinary: paths relative to cwd, symlinks resolved', () => {
  const real = realpathSync(join(dir, 'bin', 'tsbt-target'));
  assert.is(resolveBinary(join(dir, 'bin', 'tsbt-link')), real);
  assert.is(resolveBinary('bin/tsbt-link', { cwd: dir }), real);
  assert.is(resolveBinary(`./${relative(process.cwd(), join(dir, 'bin', 'tsbt-target'))}`), real);
  assert.is(resolveBinary('lib/libtsbtfix.so.1', { cwd: dir }), realpathSync(lib));
  assert.throws(() => resolveBinary('bin/missing', { cwd: dir }), (e: unknown) => e instanceof BinaryNotFoundError && /ENOENT/.test((e as Error).message));
  assert.throws(() => resolveBinary(join(dir, 'bin') + '/'), /not a regular file/);
  assert.throws(() => resolveBinary(''), /an empty name/);
});

t('resolveBinary: bare names through $PATH, the cache and library directories', () => {
  const path = `${join(dir, 'bin')}:/usr/bin:/bin`;
  assert.is(resolveBinary('tsbt-target', { path, ldSoCache: null, libDirs: [] }), realpathSync(join(dir, 'bin', 'tsbt-target')));
  assert.is(resolveBinary('tsbt-link', { path, ldSoCache: null, libDirs: [] }), realpathSync(join(dir, 'bin', 'tsbt-target')));
  assert.throws(() => resolveBinary('tsbt-script', { path, ldSoCache: null, libDirs: [] }), /tried \$PATH/, 'a shell script is not ELF');
  // Library directories: the symlink chain is followed to the real file.
  const dirs = { path: '', ldSoCache: null, libDirs: [join(dir, 'lib')] };
  assert.is(resolveBinary('tsbtfix', dirs), realpathSync(lib));
  assert.is(resolveBinary('libtsbtfix', dirs), realpathSync(lib));
  assert.is(resolveBinary('libtsbtfix.so.1', dirs), realpathSync(lib));
  assert.is(resolveBinary('tsbtfixture', dirs), realpathSync(join(dir, 'lib', 'libtsbtfixture.so.9')));
  // A cache of our own.
  const cacheFile = join(dir, 'ld.so.cache');
  writeFileSync(cacheFile, newFormat([{ flags: ldCacheFlagsForArch()[0] ?? 0x303, name: 'libtsbtfix.so.1', path: join(dir, 'lib', 'libtsbtfix.so.1') }]));
  assert.is(resolveBinary('tsbtfix', { path: '', ldSoCache: cacheFile, libDirs: [] }), realpathSync(lib));
  const err = (() => {
    try {
      resolveBinary('tsbt-nothing-here', { path, ldSoCache: cacheFile, libDirs: [join(dir, 'lib')] });
    } catch (e) {
      return e as BinaryNotFoundError;
    }
    return undefined;
  })();
  assert.ok(err instanceof BinaryNotFoundError);
  assert.equal(err!.tried, ['$PATH', cacheFile, join(dir, 'lib')]);
});

t('resolveBinary: this machine (bash, libc by every name, a process\'s own mappings)', () => {
  const bash = run('sh', ['-c', 'command -v bash']).trim();
  assert.is(resolveBinary('bash'), realpathSync(bash));
  const libc = resolveBinary('libc');
  assert.ok(ElfFile.open(libc).findSymbol('strlen'));
  assert.is(resolveBinary('c'), libc);
  assert.is(resolveBinary('libc.so.6'), libc);
  // Node itself maps libc: found through /proc/self/maps, resolved to the same file.
  const mapped = findLibraryInProcess('libc', process.pid);
  assert.ok(mapped?.startsWith(`/proc/${process.pid}/root/`));
  assert.is(resolveBinary('libc', { pid: process.pid, ldSoCache: null, libDirs: [], path: '' }), libc);
  assert.is(resolveBinary(libc, { pid: process.pid }), libc);
  const maps = readFileSync(`/proc/${process.pid}/maps`, 'utf8');
  assert.ok(maps.includes(realpathSync(libc)) || maps.includes('libc.so.6'));
});

t.run();
