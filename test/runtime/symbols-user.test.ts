// User symbols (runtime/kernel/symbols/user.ts) against live processes: C programs compiled here
// with cc (PIE, non-PIE, linked to a shared library whose text segment is moved so that link-time
// addresses differ from file offsets, and a stripped copy with a .gnu_debuglink debug file) print
// the addresses of their own functions (`&f`) and wait on stdin; each address must resolve to that
// function, through the process's /proc/PID/maps and the ELF files. Then: exited processes resolve
// nothing, uaddr's link-time addresses and load biases, perf maps, and C++ demangling.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMaps, parsePerfMap, SymbolTable, UserSymbols } from '../../runtime/kernel/symbols/user.ts';
import { renderStack, renderSymbol } from '../../runtime/format/stack.ts';

const PROGRAM = `
#include <stdio.h>
#include <unistd.h>
extern int lib_fn(int);
int counter = 42;
__attribute__((noinline)) int target_fn(int x) { return x * 3 + counter; }
__attribute__((noinline)) static int static_fn(int x) { return x + counter; }
int main(void) {
  printf("%d %p %p %p %p %p\\n", (int)getpid(), (void *)&target_fn, (void *)&static_fn, (void *)&main,
         (void *)&lib_fn, (void *)&counter);
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  return target_fn(static_fn(1)) + lib_fn(2) > 0 ? 0 : 1;
}
`;

const LIBRARY = `
__attribute__((noinline)) int lib_fn(int x) { return x * 7; }
int lib_other(int x) { return lib_fn(x) + 1; }
`;

const CXX = `
#include <cstdio>
#include <unistd.h>
namespace tsbt { __attribute__((noinline)) int twice(int x) { return 2 * x; } }
int main() {
  std::printf("%d %p\\n", (int)getpid(), (void *)&tsbt::twice);
  std::fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  return tsbt::twice(1) == 2 ? 0 : 1;
}
`;

let dir = '';
const bin = { pie: '', nopie: '', lib: '', stripped: '', cxx: '' };

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

interface Running {
  child: ChildProcess;
  pid: number;
  /** The addresses the program printed. */
  addrs: bigint[];
}

/** Starts a program that prints its pid and addresses, then waits for stdin to close. */
function start(path: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const [pid, ...addrs] = out.slice(0, nl).trim().split(' ');
      resolve({ child, pid: Number(pid), addrs: addrs.map((a) => BigInt(a)) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${path} exited early (${code})`)));
  });
}

function stop(r: Running): Promise<void> {
  return new Promise((resolve) => {
    if (r.child.exitCode !== null) return resolve();
    r.child.removeAllListeners('exit');
    r.child.on('exit', () => resolve());
    r.child.stdin!.end();
  });
}

/** `nm` defined symbols: name -> value. */
function nm(path: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of run('nm', ['--defined-only', path]).split('\n')) {
    const m = /^([0-9a-f]+) \S (\S+)$/.exec(line);
    if (m) out.set(m[2]!, BigInt('0x' + m[1]));
  }
  return out;
}

const t = suite('symbols: user-space processes');

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbt-usym-'));
  const prog = join(dir, 'prog.c');
  const lib = join(dir, 'lib.c');
  writeFileSync(prog, PROGRAM);
  writeFileSync(lib, LIBRARY);
  bin.lib = join(dir, 'libtsbtsym.so');
  run('cc', ['-O1', '-shared', '-fPIC', '-Wl,-Ttext-segment=0x20000', '-o', bin.lib, lib]);
  const link = ['-L', dir, '-ltsbtsym', `-Wl,-rpath,${dir}`];
  bin.pie = join(dir, 'prog-pie');
  run('cc', ['-O1', '-g', '-fPIE', '-pie', '-o', bin.pie, prog, ...link]);
  bin.nopie = join(dir, 'prog-nopie');
  run('cc', ['-O1', '-fno-pie', '-no-pie', '-o', bin.nopie, prog, ...link]);
  // A stripped copy whose symbols live in a separate debug file found through .gnu_debuglink.
  bin.stripped = join(dir, 'prog-stripped');
  run('objcopy', ['--only-keep-debug', bin.pie, join(dir, 'prog-stripped.debug')]);
  run('objcopy', ['--strip-all', `--add-gnu-debuglink=${join(dir, 'prog-stripped.debug')}`, bin.pie, bin.stripped]);
  const cxx = join(dir, 'prog.cc');
  writeFileSync(cxx, CXX);
  const r = spawnSync('c++', ['-O1', '-o', join(dir, 'prog-cxx'), cxx], { encoding: 'utf8' });
  if (r.status === 0) bin.cxx = join(dir, 'prog-cxx');
});

t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

t('PIE: functions resolve to themselves with offsets; the library through its load bias', async () => {
  const p = await start(bin.pie);
  try {
    const [target, stat, main, libFn, counter] = p.addrs as [bigint, bigint, bigint, bigint, bigint];
    const u = new UserSymbols();
    assert.equal(u.resolve(p.pid, target), { name: 'target_fn', offset: 0n, module: bin.pie });
    assert.equal(u.resolve(p.pid, target + 3n), { name: 'target_fn', offset: 3n, module: bin.pie });
    assert.equal(u.resolve(p.pid, stat), { name: 'static_fn', offset: 0n, module: bin.pie }, 'a local symbol from .symtab');
    assert.equal(u.resolve(p.pid, main + 1n), { name: 'main', offset: 1n, module: bin.pie });
    assert.equal(u.resolve(p.pid, libFn + 2n), { name: 'lib_fn', offset: 2n, module: bin.lib });
    // Data is not in an executable mapping: bpftrace's usym prints it as a bare address.
    assert.is(u.resolve(p.pid, counter), undefined);
    assert.is(renderSymbol(counter, u.resolver(p.pid), false), '0x' + counter.toString(16));

    // uaddr: the link-time address, as bpftrace returns it; plus the load bias, the runtime one.
    const syms = nm(bin.pie);
    assert.is(u.address(bin.pie, 'target_fn'), syms.get('target_fn'));
    assert.is(u.address(bin.pie, 'counter'), syms.get('counter'));
    assert.is(u.address(bin.pie, 'counter', ['OBJECT']), syms.get('counter'), "bpftrace 0.17's uaddr: OBJECT symbols");
    assert.is(u.address(bin.pie, 'target_fn', ['OBJECT']), undefined);
    assert.is(u.address(bin.pie, 'no_such_symbol'), undefined);
    assert.is(u.loadBias(p.pid, bin.pie)! + u.address(bin.pie, 'target_fn')!, target);
    assert.is(u.loadBias(p.pid, bin.pie)! + u.address(bin.pie, 'counter')!, counter);
    const libSyms = nm(bin.lib);
    assert.ok(libSyms.get('lib_fn')! >= 0x20000n, 'the library is linked at 0x20000');
    assert.is(u.loadBias(p.pid, bin.lib)! + u.address(bin.lib, 'lib_fn')!, libFn);

    // A whole stack, as ustack and ustack(perf) print it.
    const frames = [target + 3n, main + 1n, 0x1234n, 0n, target];
    assert.is(
      renderStack(frames, { mode: 'bpftrace', resolve: u.resolver(p.pid), context: 'key' }),
      '\n    target_fn+3\n    main+1\n    0x1234\n',
    );
    assert.is(
      renderStack(frames, { mode: 'perf', resolve: u.resolver(p.pid), user: true }),
      `\n\t${(target + 3n).toString(16)} target_fn+3 (${bin.pie})\n\t${(main + 1n).toString(16)} main+1 (${bin.pie})\n\t1234 0x1234 ([unknown])\n`,
    );
  } finally {
    await stop(p);
  }
});

t('non-PIE: addresses are link-time addresses already', async () => {
  const p = await start(bin.nopie);
  try {
    const [target, stat, main] = p.addrs as [bigint, bigint, bigint];
    const u = new UserSymbols();
    const syms = nm(bin.nopie);
    assert.is(target, syms.get('target_fn'));
    assert.equal(u.resolve(p.pid, target + 1n), { name: 'target_fn', offset: 1n, module: bin.nopie });
    assert.equal(u.resolve(p.pid, stat), { name: 'static_fn', offset: 0n, module: bin.nopie });
    assert.equal(u.resolve(p.pid, main), { name: 'main', offset: 0n, module: bin.nopie });
    assert.is(u.loadBias(p.pid, bin.nopie), 0n);
  } finally {
    await stop(p);
  }
});

t('stripped: the symbols come from the .gnu_debuglink debug file (CRC checked)', async () => {
  const p = await start(bin.stripped);
  try {
    const [target, stat] = p.addrs as [bigint, bigint];
    assert.is(nm(bin.stripped).size, 0, 'no .symtab left');
    const u = new UserSymbols();
    assert.equal(u.resolve(p.pid, target + 4n), { name: 'target_fn', offset: 4n, module: bin.stripped });
    assert.equal(u.resolve(p.pid, stat), { name: 'static_fn', offset: 0n, module: bin.stripped });
    const noDebug = new UserSymbols({ debugFiles: false });
    assert.is(noDebug.resolve(p.pid, target), undefined);
  } finally {
    await stop(p);
  }
});

t('an exited process resolves nothing (bpftrace symbolizes at print time)', async () => {
  const p = await start(bin.pie);
  const [target] = p.addrs as [bigint];
  const u = new UserSymbols();
  assert.is(u.resolve(p.pid, target)?.name, 'target_fn');
  await stop(p);
  assert.is(u.resolve(p.pid, target), undefined);
  assert.is(renderStack([target], { mode: 'bpftrace', resolve: u.resolver(p.pid) }), `\n        0x${target.toString(16)}\n`);
  assert.is(
    renderStack([target], { mode: 'perf', resolve: u.resolver(p.pid), user: true }),
    `\n\t${target.toString(16)} 0x${target.toString(16)} ([unknown])\n`,
  );
  assert.is(u.readMaps(p.pid), undefined);
});

t('a perf map covers addresses no ELF symbol does (JIT code)', async () => {
  const p = await start(bin.pie);
  const mapPath = `/tmp/perf-${p.pid}.map`;
  try {
    writeFileSync(mapPath, '10000 100 jitted thing\n10100 0x80 LazyCompile:*foo /app/x.js:1\nnot a line\n');
    const u = new UserSymbols();
    assert.equal(u.resolve(p.pid, 0x10010n), { name: 'jitted thing', offset: 16n, module: mapPath });
    assert.equal(u.resolve(p.pid, 0x1017fn), { name: 'LazyCompile:*foo /app/x.js:1', offset: 0x7fn, module: mapPath });
    assert.is(u.resolve(p.pid, 0x10180n), undefined);
    assert.is(new UserSymbols({ perfMaps: false }).resolve(p.pid, 0x10010n), undefined);
  } finally {
    try {
      unlinkSync(mapPath);
    } catch {
      // already gone
    }
    await stop(p);
  }
});

t('C++ names are demangled, as bpftrace does by default', async () => {
  if (!bin.cxx) {
    console.log('    c++ unavailable: skipped');
    return;
  }
  const p = await start(bin.cxx);
  try {
    const [twice] = p.addrs as [bigint];
    const u = new UserSymbols();
    const r = u.resolve(p.pid, twice);
    assert.is(r?.offset, 0n);
    if (spawnSync('c++filt', ['--version']).status === 0) assert.is(r?.name, 'tsbt::twice(int)');
    assert.is(new UserSymbols({ demangle: false }).resolve(p.pid, twice)?.name, '_ZN4tsbt5twiceEi');
    assert.is(new UserSymbols({ demangle: (n) => `<${n}>` }).resolve(p.pid, twice)?.name, '<_ZN4tsbt5twiceEi>');
  } finally {
    await stop(p);
  }
});

const parse = suite('symbols: maps, perf maps, symbol tables');

parse('parseMaps: fields, paths with spaces, pseudo files, deleted files', () => {
  const maps = parseMaps(
    [
      '561a47588000-561a47589000 r--p 00000000 fe:00 2171101                    /tmp/sx/prog',
      '7fe37afdb000-7fe37b131000 r-xp 00026000 fe:00 339380                     /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7fe37b1a3000-7fe37b1a5000 rw-p 00000000 00:00 0 ',
      '7fe37b1ab000-7fe37b1ad000 r-xp 00000000 00:00 0                          [vdso]',
      '7f0000000000-7f0000001000 r-xp 00001000 fe:01 42                         /opt/my app/lib x.so (deleted)',
    ].join('\n'),
  );
  assert.is(maps.length, 5);
  assert.equal(maps[1], {
    start: 0x7fe37afdb000n,
    end: 0x7fe37b131000n,
    perms: 'r-xp',
    offset: 0x26000n,
    dev: 'fe:00',
    inode: 339380,
    path: '/usr/lib/x86_64-linux-gnu/libc.so.6',
  });
  assert.is(maps[2]!.path, '');
  assert.is(maps[3]!.path, '[vdso]');
  assert.is(maps[4]!.path, '/opt/my app/lib x.so (deleted)');
});

parse('parsePerfMap: hex start and size, the rest of the line is the name', () => {
  assert.equal(parsePerfMap('7f00 10 a b c\n0x7f10 0x8 d\n0 10 zero\nbad\n'), [
    { name: 'a b c', value: 0x7f00, size: 0x10 },
    { name: 'd', value: 0x7f10, size: 8 },
  ]);
});

parse("SymbolTable.find: bcc's walk back through nested symbols, sizes, aliases", () => {
  // goo [0,6) foo [6,0x16) bar [8,0xc) baz [0x16,0x26): 0x12 is in foo (bar is nested and too short).
  const table = SymbolTable.fromList([
    { name: 'goo', value: 0x1, size: 6 },
    { name: 'foo', value: 0x6, size: 0x10 },
    { name: 'bar', value: 0x8, size: 4 },
    { name: 'baz', value: 0x16, size: 0x10 },
    { name: 'alias_a', value: 0x40, size: 8 },
    { name: 'alias_b', value: 0x40, size: 8 },
    { name: 'plt_like', value: 0x60, size: 0 },
  ]);
  assert.equal(table.find(0x12), { name: 'foo', offset: 0xc });
  assert.equal(table.find(0x9), { name: 'bar', offset: 1 });
  assert.equal(table.find(0x16), { name: 'baz', offset: 0 });
  assert.is(table.find(0x0), undefined);
  assert.is(table.find(0x30), undefined, 'past the end of baz');
  assert.equal(table.find(0x41), { name: 'alias_b', offset: 1 }, 'the last of equal addresses after std::sort');
  assert.is(table.find(0x60), undefined, 'a zero-size symbol covers nothing');
});

t.run();
parse.run();
