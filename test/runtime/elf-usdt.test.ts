// USDT: .note.stapsdt probes of programs compiled at test time (with <sys/sdt.h> when
// systemtap-sdt-dev is installed, and always with the hand-written test/fixtures/elf/mini-sdt.h),
// checked against `readelf -n`, `readelf -S`, `nm` and `objdump -F`; the .stapsdt.base (prelink)
// adjustment on a patched copy; argument spec parsing; and the uprobe PMU's ref_ctr_offset bits.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePmuFormat } from '../../runtime/kernel/pmu.ts';
import {
  EM_AARCH64,
  EM_386,
  ElfFile,
  encodeRefCtrOffset,
  parseUsdtArg,
  parseUsdtArgs,
  PT_LOAD,
  x86PtRegsOffset,
  type UsdtProbe,
} from '../../runtime/kernel/elf/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/elf/', import.meta.url));
const t = suite('elf: USDT notes against readelf -n, argument specs, semaphores');

let dir = '';
/** name -> path of each build; the `sdt` ones only when <sys/sdt.h> is installed. */
const builds = new Map<string, string>();
let haveSysSdt = false;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
}

function cc(out: string, args: string[]): string {
  const path = join(dir, out);
  run('cc', [...args, '-o', path]);
  return path;
}

/** Does `cc` see <sys/sdt.h>? */
function sysSdtAvailable(): boolean {
  try {
    execFileSync('cc', ['-E', '-x', 'c', '-'], { input: '#include <sys/sdt.h>\n', stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbt-usdt-'));
  const srcs = [join(FIXTURES, 'usdt.c'), join(FIXTURES, 'usdt-sema.c')];
  haveSysSdt = sysSdtAvailable();
  if (!haveSysSdt) console.log('    <sys/sdt.h> not installed (apt-get install systemtap-sdt-dev): testing the hand-written notes only');
  const variants: [string, string[]][] = [['mini', ['-DTSBT_MINI_SDT']]];
  if (haveSysSdt) variants.push(['sdt', []]);
  for (const [v, defs] of variants) {
    builds.set(`${v}-O0-pie`, cc(`usdt-${v}-O0-pie`, ['-O0', '-fPIE', '-pie', ...defs, ...srcs]));
    builds.set(`${v}-O2-nopie`, cc(`usdt-${v}-O2-nopie`, ['-O2', '-fno-pie', '-no-pie', ...defs, ...srcs]));
    // A shared library whose segments are moved off their file offsets: the semaphore's file
    // offset and address differ by more than the usual page.
    builds.set(`${v}-lib`, cc(`libusdt-${v}.so`, ['-O2', '-shared', '-fPIC', '-Wl,-Ttext-segment=0x40000', ...defs, srcs[1]!]));
  }
  // 32-bit (ELF32, 4-byte note words) where the compiler can target it; no libc needed.
  try {
    builds.set('mini-32-lib', cc('libusdt-32.so', ['-m32', '-O2', '-shared', '-nostdlib', '-fPIC', '-DTSBT_MINI_SDT', srcs[1]!]));
  } catch {
    console.log('    cc -m32 unavailable: skipping the ELF32 USDT build');
  }
});

t.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ReadelfNote {
  provider: string;
  name: string;
  location: number;
  base: number;
  semaphore: number;
  args: string;
}

function readelfStapsdt(path: string): ReadelfNote[] {
  const out: ReadelfNote[] = [];
  const text = run('readelf', ['-nW', path]);
  const re = /Provider: (\S+)\n\s+Name: (\S+)\n\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\n\s+Arguments: ?(.*)/g;
  for (const m of text.matchAll(re)) {
    out.push({ provider: m[1]!, name: m[2]!, location: parseInt(m[3]!, 16), base: parseInt(m[4]!, 16), semaphore: parseInt(m[5]!, 16), args: m[6]!.trim() });
  }
  return out;
}

function nmAddress(path: string, sym: string): number | undefined {
  const m = new RegExp(`^([0-9a-f]+) \\S ${sym}$`, 'm').exec(run('nm', [path]));
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** objdump -F names the file offset of the instruction at an address. */
function objdumpFileOffsetAt(path: string, addr: number): number {
  const text = run('objdump', ['-d', '-F', `--start-address=0x${addr.toString(16)}`, `--stop-address=0x${(addr + 1).toString(16)}`, path]);
  const m = /\(File Offset: 0x([0-9a-f]+)\):/.exec(text);
  if (!m) throw new Error(`objdump gave no file offset at 0x${addr.toString(16)}:\n${text}`);
  return parseInt(m[1]!, 16);
}

function probe(elf: ElfFile, name: string): UsdtProbe {
  const p = elf.usdtProbes().find((x) => x.name === name);
  if (!p) throw new Error(`${elf.path} has no probe ${name}`);
  return p;
}

t('every note matches readelf -n: provider, name, pc, base, semaphore, argument string', () => {
  for (const [name, path] of builds) {
    const elf = ElfFile.open(path);
    const ours = elf.usdtProbes().map((p) => ({ provider: p.provider, name: p.name, location: p.pc, base: p.base, semaphore: p.semaphore, args: p.argsText }));
    const theirs = readelfStapsdt(path);
    assert.ok(theirs.length > 0, `${name}: readelf found notes`);
    assert.equal(ours, theirs, name);
    for (const p of elf.usdtProbes()) assert.is(p.argsError, undefined, `${name} ${p.name}: ${p.argsError}`);
  }
  const exe = ElfFile.open(builds.get('mini-O0-pie')!);
  assert.equal(exe.usdtProbes().map((p) => `${p.provider}:${p.name}`), ['tsbt:start', 'tsbt:args', 'tsbt:consts', 'tsbt:gated']);
});

t('pc file offsets: a nop there, and objdump -F agrees', () => {
  for (const [name, path] of builds) {
    const elf = ElfFile.open(path);
    const file = readFileSync(path);
    for (const p of elf.usdtProbes()) {
      assert.is(file[p.pcOffset], 0x90, `${name} ${p.name}: nop at the offset`);
      assert.is(p.pcOffset, objdumpFileOffsetAt(path, p.pc), `${name} ${p.name}`);
    }
  }
  const nopie = ElfFile.open(builds.get('mini-O2-nopie')!);
  const start = probe(nopie, 'start');
  assert.is(start.pc - start.pcOffset, 0x400000, 'non-PIE: the address is translated to an offset');
});

t('semaphores: address is the nm symbol, file offset through .probes and its segment', () => {
  for (const [name, path] of builds) {
    const elf = ElfFile.open(path);
    const gated = probe(elf, 'gated');
    assert.is(gated.semaphore, nmAddress(path, 'tsbt_gated_semaphore'), name);
    const probes = elf.section('.probes')!;
    const sec = run('readelf', ['-SW', path]).split('\n').find((l) => /\s\.probes\s/.test(l))!;
    const m = /\.probes\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(sec)!;
    assert.equal([probes.addr, probes.offset], [parseInt(m[1]!, 16), parseInt(m[2]!, 16)], name);
    assert.is(gated.semaphoreOffset, gated.semaphore - probes.addr + probes.offset, name);
    // The segment holding it is writable data, not text.
    const seg = elf.loadSegments.find((s) => gated.semaphore >= s.vaddr && gated.semaphore < s.vaddr + s.filesz)!;
    assert.ok(seg.flags & 2, `${name}: writable segment`);
    for (const p of elf.usdtProbes().filter((x) => x.name !== 'gated')) assert.equal([p.semaphore, p.semaphoreOffset], [0, 0]);
  }
  const lib = ElfFile.open(builds.get('mini-lib')!);
  const g = probe(lib, 'gated');
  assert.ok(g.semaphore - g.semaphoreOffset >= 0x40000, 'shared library: offset really translated');
});

t('argument specs of the -O0 build: stack slots off %rbp, a register, constants', () => {
  for (const v of haveSysSdt ? ['mini', 'sdt'] : ['mini']) {
    const elf = ElfFile.open(builds.get(`${v}-O0-pie`)!);
    const args = probe(elf, 'args').args;
    assert.is(args.length, 5);
    const bp = x86PtRegsOffset('bp');
    const [a0, a1, a2, a3, a4] = args;
    assert.equal(a0, { text: '-4@-20(%rbp)', size: 4, signed: true, kind: 'memory', offset: -20, baseRegister: 'bp', baseRegsOffset: bp });
    assert.equal([a1!.kind, a1!.size, a1!.signed], ['memory', 8, false]);
    assert.equal([a2!.kind, a2!.size, a2!.signed], ['memory', 1, true]);
    assert.equal(a3, { text: '-4@%eax', size: 4, signed: true, kind: 'register', register: 'ax', regsOffset: 80, shift: 0 });
    assert.equal([a4!.kind, a4!.size, a4!.signed], ['memory', 8, true]);
    const consts = probe(elf, 'consts').args;
    assert.equal(consts[0], { text: '-4@$42', size: 4, signed: true, kind: 'constant', constant: 42n });
    assert.equal(consts[3], { text: '-4@$7', size: 4, signed: true, kind: 'constant', constant: 7n });
    assert.equal(probe(elf, 'start').args, []);
  }
});

t('argument specs of the -O2 build: registers, a %rip-relative global, a 64-bit constant', () => {
  for (const v of haveSysSdt ? ['mini', 'sdt'] : ['mini']) {
    const path = builds.get(`${v}-O2-nopie`)!;
    const elf = ElfFile.open(path);
    const [a0, a1, a2, a3, a4] = probe(elf, 'args').args;
    assert.equal([a0!.kind, a0!.size, a0!.signed], ['register', 4, true]);
    assert.equal([a1!.kind, a1!.size, a1!.signed], ['register', 8, false]);
    assert.equal([a2!.kind, a2!.size, a2!.signed], ['register', 1, true]);
    assert.equal(a3, {
      text: '-4@tsbt_usdt_global(%rip)', size: 4, signed: true, kind: 'memory', offset: 0,
      symbol: 'tsbt_usdt_global', baseRegister: 'ip', baseRegsOffset: 128, symbolAddress: nmAddress(path, 'tsbt_usdt_global'),
    });
    assert.equal(a4, { text: '-8@$-1234567890123', size: 8, signed: true, kind: 'constant', constant: -1234567890123n });
    const gated = probe(elf, 'gated').args;
    assert.equal(gated, [{ text: '-4@%edi', size: 4, signed: true, kind: 'register', register: 'di', regsOffset: 112, shift: 0 }]);
  }
});

t('ELF32: 4-byte note words', () => {
  const path = builds.get('mini-32-lib');
  if (!path) return;
  const elf = ElfFile.open(path);
  assert.is(elf.header.class, 32);
  assert.is(elf.header.machine, EM_386);
  const g = probe(elf, 'gated');
  const theirs = readelfStapsdt(path)[0]!;
  assert.equal([g.pc, g.base, g.semaphore, g.argsText], [theirs.location, theirs.base, theirs.semaphore, theirs.args]);
  assert.is(readFileSync(path)[g.pcOffset], 0x90);
  assert.is(g.semaphore, nmAddress(path, 'tsbt_gated_semaphore'));
  // 32-bit registers land in the 64-bit kernel's pt_regs slots.
  assert.equal(g.args.map((a) => a.kind === 'register' && a.register), ['ax']);
});

/** A copy of the file as prelink would leave it: every PT_LOAD and .stapsdt.base moved by delta. */
function prelinked(path: string, delta: number): ElfFile {
  const buf = Buffer.from(readFileSync(path));
  const elf = ElfFile.fromBuffer(buf);
  const h = elf.header;
  for (let i = 0; i < h.phnum; i++) {
    const off = h.phoff + i * h.phentsize;
    if (buf.readUInt32LE(off) !== PT_LOAD) continue;
    buf.writeBigUInt64LE(buf.readBigUInt64LE(off + 16) + BigInt(delta), off + 16);
    buf.writeBigUInt64LE(buf.readBigUInt64LE(off + 24) + BigInt(delta), off + 24);
  }
  const base = elf.section('.stapsdt.base')!;
  const shdr = h.shoff + base.index * h.shentsize;
  buf.writeBigUInt64LE(buf.readBigUInt64LE(shdr + 16) + BigInt(delta), shdr + 16);
  return ElfFile.fromBuffer(buf, `${path} (prelinked)`);
}

t('.stapsdt.base: a moved base shifts pc and semaphore by the same amount, file offsets stay', () => {
  for (const key of ['mini-O0-pie', 'mini-lib', ...(haveSysSdt ? ['sdt-O0-pie'] : [])]) {
    const path = builds.get(key)!;
    const orig = ElfFile.open(path).usdtProbes();
    const delta = 0x7000_0000;
    const moved = prelinked(path, delta).usdtProbes();
    assert.equal(
      moved.map((p) => [p.pc, p.pcOffset, p.semaphore, p.semaphoreOffset, p.base]),
      orig.map((p) => [p.pc + delta, p.pcOffset, p.semaphore && p.semaphore + delta, p.semaphoreOffset, p.base]),
      key,
    );
  }
});

t('a file without USDT notes has no probes', () => {
  assert.equal(ElfFile.open(process.execPath).usdtProbes().filter((p) => p.provider === 'tsbt'), []);
  const lib = ElfFile.open(builds.get('mini-lib')!);
  assert.equal(lib.usdtProbes().map((p) => p.name), ['gated']);
});

t('parseUsdtArg: x86 forms', () => {
  const ax = 80;
  assert.equal(parseUsdtArg('8@%rax'), { text: '8@%rax', size: 8, signed: false, kind: 'register', register: 'ax', regsOffset: ax, shift: 0 });
  assert.equal(parseUsdtArg('-1@%ah'), { text: '-1@%ah', size: 1, signed: true, kind: 'register', register: 'ax', regsOffset: ax, shift: 8 });
  const regs: [string, string, number][] = [
    ['%r15', 'r15', 0], ['%r12d', 'r12', 24], ['%bpl', 'bp', 32], ['%bx', 'bx', 40], ['%r11w', 'r11', 48], ['%r8b', 'r8', 72],
    ['%ecx', 'cx', 88], ['%dl', 'dx', 96], ['%sil', 'si', 104], ['%edi', 'di', 112], ['%rip', 'ip', 128], ['%esp', 'sp', 152],
  ];
  for (const [op, reg, off] of regs) {
    const a = parseUsdtArg(`4@${op}`);
    assert.equal(a.kind === 'register' && [a.register, a.regsOffset], [reg, off], op);
  }
  assert.equal(parseUsdtArg('4@$5'), { text: '4@$5', size: 4, signed: false, kind: 'constant', constant: 5n });
  assert.equal(parseUsdtArg('-8@$-1'), { text: '-8@$-1', size: 8, signed: true, kind: 'constant', constant: -1n });
  assert.equal(parseUsdtArg('8@$0xffffffffffffffff'), { text: '8@$0xffffffffffffffff', size: 8, signed: false, kind: 'constant', constant: 0xffffffffffffffffn });
  assert.equal(parseUsdtArg('8@-16(%rbp)'), { text: '8@-16(%rbp)', size: 8, signed: false, kind: 'memory', offset: -16, baseRegister: 'bp', baseRegsOffset: 32 });
  assert.equal(parseUsdtArg('8@(%rsp)'), { text: '8@(%rsp)', size: 8, signed: false, kind: 'memory', offset: 0, baseRegister: 'sp', baseRegsOffset: 152 });
  assert.equal(parseUsdtArg('-4@0x10(%r9)'), { text: '-4@0x10(%r9)', size: 4, signed: true, kind: 'memory', offset: 16, baseRegister: 'r9', baseRegsOffset: 64 });
  assert.equal(parseUsdtArg('-4@-1204(%rbp,%rax,4)'), {
    text: '-4@-1204(%rbp,%rax,4)', size: 4, signed: true, kind: 'memory', offset: -1204, baseRegister: 'bp', baseRegsOffset: 32,
    indexRegister: 'ax', indexRegsOffset: 80, scale: 4,
  });
  assert.equal(parseUsdtArg('8@counter+8(%rip)'), {
    text: '8@counter+8(%rip)', size: 8, signed: false, kind: 'memory', offset: 8, symbol: 'counter', baseRegister: 'ip', baseRegsOffset: 128,
  });
  assert.equal(parseUsdtArg('4@tbl'), { text: '4@tbl', size: 4, signed: false, kind: 'memory', offset: 0, symbol: 'tbl' });
  // Without a size (pre-v3 sdt.h): 8 bytes, unsigned.
  assert.equal(parseUsdtArg('%rdi'), { text: '%rdi', size: 8, signed: false, kind: 'register', register: 'di', regsOffset: 112, shift: 0 });
  assert.throws(() => parseUsdtArg('3@%eax'), /size 3/);
  assert.throws(() => parseUsdtArg('4@%xmm0'), /unknown x86 register/);
  assert.throws(() => parseUsdtArg('4@%fs:0x28'), /thread-local/);
  assert.throws(() => parseUsdtArg('4@16(%rip)'), /needs a symbol/);
  assert.throws(() => parseUsdtArg('4@(%rax,%rbx,3)'), /scale 3/);
  assert.throws(() => parseUsdtArg('4@what?'), /unrecognized/);
  assert.equal(parseUsdtArgs('  -4@%edi   8@$1 ').map((a) => a.kind), ['register', 'constant']);
  assert.equal(parseUsdtArgs(''), []);
});

t('parseUsdtArg: arm64 forms', () => {
  assert.equal(parseUsdtArg('-4@w1', EM_AARCH64), { text: '-4@w1', size: 4, signed: true, kind: 'register', register: 'regs[1]', regsOffset: 8, shift: 0 });
  assert.equal(parseUsdtArg('8@x29', EM_AARCH64), { text: '8@x29', size: 8, signed: false, kind: 'register', register: 'regs[29]', regsOffset: 232, shift: 0 });
  assert.equal(parseUsdtArg('8@[sp, 16]', EM_AARCH64), { text: '8@[sp, 16]', size: 8, signed: false, kind: 'memory', offset: 16, baseRegister: 'sp', baseRegsOffset: 248 });
  assert.equal(parseUsdtArg('-4@[x0]', EM_AARCH64), { text: '-4@[x0]', size: 4, signed: true, kind: 'memory', offset: 0, baseRegister: 'regs[0]', baseRegsOffset: 0 });
  assert.equal(parseUsdtArg('4@5', EM_AARCH64), { text: '4@5', size: 4, signed: false, kind: 'constant', constant: 5n });
  assert.equal(parseUsdtArgs('-4@[x29, -4] 8@x0', EM_AARCH64).map((a) => a.text), ['-4@[x29, -4]', '8@x0']);
  assert.throws(() => parseUsdtArg('4@x31', EM_AARCH64), /unknown arm64 register/);
  assert.throws(() => parseUsdtArg('4@%r0', 8), /not supported for ELF machine 8/);
});

t('uprobe PMU: ref_ctr_offset goes in config bits 32-63', () => {
  const fmt = parsePmuFormat('config:32-63');
  assert.is(encodeRefCtrOffset(0x4014, fmt), 0x4014n << 32n);
  assert.is(encodeRefCtrOffset(0x4014), 0x4014n << 32n, 'default is config:32-63');
  // ORed with the retprobe bit (config:0), the two do not overlap.
  assert.is(encodeRefCtrOffset(0x2e38) | 1n, 0x2e3800000001n);
  assert.throws(() => encodeRefCtrOffset(2 ** 32), /does not fit/);
  assert.throws(() => encodeRefCtrOffset(-1), /does not fit/);
  const sysfs = '/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset';
  if (existsSync(sysfs)) assert.equal(parsePmuFormat(readFileSync(sysfs, 'utf8')), { field: 'config', firstBit: 32, lastBit: 63 });
});

t.run();
