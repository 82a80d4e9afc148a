// The runtime's kernel layer against the real kernel: maps from user space, program load + test run,
// a verifier rejection, a tracepoint feeding a ring buffer and a counter, a sampling perf event, and
// a full detach that leaves no fd and no tsbt_ object behind. Programs are assembled by hand here.
// Needs root; skipped otherwise unless TSBT_REQUIRE_KERNEL=1, which makes a missing kernel a failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttachSpec, MapSpec, ProgramSpec } from '../../runtime/artifact.ts';
import { attach } from '../../runtime/attach/index.ts';
import { RingBufferReader } from '../../runtime/events/ringbuf.ts';
import { listBpfObjectsNamed } from '../../runtime/kernel/bpf-objects.ts';
import { onlineCpus, possibleCpuCount } from '../../runtime/kernel/cpus.ts';
import { createMap, type BpfMap } from '../../runtime/maps.ts';
import { loadProgram, VerifierError, type LoadedProgram } from '../../runtime/programs.ts';
import { BPF_NOEXIST, BpfProgType, PerfSwConfig, PerfType } from '../../runtime/sys/constants.ts';
import { KoffiSys } from '../../runtime/sys/koffi-sys.ts';
import { isSysError, type Sys } from '../../runtime/sys/sys.ts';

const t = suite('sys: real kernel');
const isRoot = process.getuid?.() === 0;
const required = process.env.TSBT_REQUIRE_KERNEL === '1';
// Not root: register the kernel tests not at all (uvu's skip counts confuse test/run.ts's totals)
// and one test in their place that fails only when the kernel is required.
const kernelTest = isRoot ? t : (_name: string, _fn: () => unknown) => {};
if (!isRoot) {
  t(`kernel tests ${required ? 'need' : 'skipped:'} root`, () => {
    if (required) assert.unreachable(`TSBT_REQUIRE_KERNEL=1 but running as uid ${process.getuid?.()}, not root`);
  });
}

// ---- a tiny assembler: opcode, dst, src, off, imm ----
const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R10 = 10;
type Insn = [op: number, dst: number, src: number, off: number, imm: number];
const mov = (dst: number, imm: number): Insn => [0xb7, dst, 0, 0, imm];
const movReg = (dst: number, src: number): Insn => [0xbf, dst, src, 0, 0];
const addImm = (dst: number, imm: number): Insn => [0x07, dst, 0, 0, imm];
const call = (helper: number): Insn => [0x85, 0, 0, 0, helper];
const exit = (): Insn => [0x95, 0, 0, 0, 0];
const jeqImm = (dst: number, imm: number, off: number): Insn => [0x15, dst, 0, off, imm];
const stxDw = (dst: number, off: number, src: number): Insn => [0x7b, dst, src, off, 0];
const stW = (dst: number, off: number, imm: number): Insn => [0x62, dst, 0, off, imm];
const atomicAddDw = (dst: number, off: number, src: number): Insn => [0xdb, dst, src, off, 0];
/** LD_IMM64 with imm 0: the two slots the runtime patches with a map fd. */
const ldMap = (dst: number): Insn[] => [[0x18, dst, 0, 0, 0], [0, 0, 0, 0, 0]];
const HELPER_MAP_LOOKUP_ELEM = 1;
const HELPER_GET_CURRENT_PID_TGID = 14;
const HELPER_RINGBUF_OUTPUT = 130;

function assemble(insns: Insn[]): string {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach(([op, dst, src, off, imm], i) => {
    bytes[i * 8] = op;
    bytes[i * 8 + 1] = (src << 4) | dst;
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return Buffer.from(bytes).toString('base64');
}

/** `*counter[0] += 1` through map_lookup_elem, then r0 = 0. The LD_IMM64 sits at `at`. */
function incrementSlotZero(): Insn[] {
  return [
    ...ldMap(R1),
    stW(R10, -12, 0),
    movReg(R2, R10),
    addImm(R2, -12),
    call(HELPER_MAP_LOOKUP_ELEM),
    jeqImm(R0, 0, 2),
    mov(R1, 1),
    atomicAddDw(R0, 0, R1),
    mov(R0, 0),
    exit(),
  ];
}

function program(name: string, type: ProgramSpec['type'], insns: Insn[], relocations: ProgramSpec['relocations'], attachSpec: AttachSpec): ProgramSpec {
  return { name, probe: `test:${name}`, type, license: 'GPL', bytecode: assemble(insns), relocations, attach: attachSpec, stackSize: 16 };
}

const counterSpec: MapSpec = { name: 'tsbt_t_count', type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 };
const ringSpec: MapSpec = { name: 'tsbt_t_ring', type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 64 * 1024 };

const u64 = (n: number | bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const readU64 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);
const readCounter = (map: BpfMap) => readU64(map.lookup(new Uint8Array(4))!);
const openFdCount = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until no tsbt_t_ object is alive (closing is synchronous, but stay robust to deferred frees). */
async function tsbtTestObjects(sys: Sys) {
  for (let i = 0; i < 50; i++) {
    const left = listBpfObjectsNamed(sys, 'tsbt_t_');
    if (left.length === 0) return left;
    await sleep(20);
  }
  return listBpfObjectsNamed(sys, 'tsbt_t_');
}

const sys = new KoffiSys();
let fdsAtStart = 0;

t.before(() => {
  if (!isRoot) return;
  sys.pageSize(); // load koffi before counting fds
  fdsAtStart = openFdCount();
});

kernelTest('hash map: update, lookup, delete, iterate, batch lookup', () => {
  const calls = { batch: 0 };
  const spy: Sys = Object.create(sys, {
    mapLookupBatch: { value: (fd: number, req: any) => (calls.batch++, sys.mapLookupBatch(fd, req)) },
  });
  const map = createMap(spy, { name: 'tsbt_t_hash', type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1024 });
  try {
    for (let i = 1; i <= 600; i++) map.update(u64(i), u64(i * 10));
    assert.is(readU64(map.lookup(u64(7))!), 70n);
    assert.is(map.lookup(u64(9999)), undefined);
    assert.throws(() => map.update(u64(7), u64(1), BPF_NOEXIST), (e: unknown) => isSysError(e, 'EEXIST'));
    assert.ok(map.delete(u64(600)));
    assert.not.ok(map.delete(u64(600)));
    assert.is(map.keys().length, 599);
    const entries = map.entries();
    assert.ok(calls.batch >= 3, `batch lookup used (${calls.batch} calls for 599 entries)`);
    assert.is(entries.length, 599);
    for (const { key, value } of entries) assert.is(readU64(value), readU64(key) * 10n);
    const info = sys.mapGetInfo(map.fd);
    assert.equal([info.name, info.keySize, info.valueSize, info.maxEntries], ['tsbt_t_hash', 8, 8, 1024]);
  } finally {
    map.close();
  }
});

kernelTest('per-CPU hash and array maps: one 8-byte-padded copy per possible CPU', () => {
  const cpus = possibleCpuCount();
  const pcpu = createMap(sys, { name: 'tsbt_t_pcpu', type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 16 });
  const array = createMap(sys, { name: 'tsbt_t_array', type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
  try {
    assert.is(pcpu.valueBufferSize, cpus * 8);
    const value = new Uint8Array(cpus * 8);
    for (let c = 0; c < cpus; c++) value[c * 8] = c + 1;
    pcpu.update(new Uint8Array([1, 0, 0, 0]), value);
    const entries = pcpu.entries();
    assert.is(entries.length, 1);
    assert.equal([...entries[0]!.value], [...value]);
    const arr = array.entries();
    assert.is(arr.length, 4, 'an array map always has max_entries entries');
  } finally {
    pcpu.close();
    array.close();
  }
});

kernelTest('raw_tracepoint program `r0 = 7; exit` test-runs to 7; info reads back', () => {
  const spec = program('tsbt_t_seven', 'raw_tracepoint', [mov(R0, 7), exit()], [], { kind: 'begin' });
  const prog = loadProgram(sys, spec, new Map());
  try {
    assert.is(prog.testRun(), 7);
    const info = prog.info();
    assert.is(info.name, 'tsbt_t_seven');
    assert.is(info.type, BpfProgType.RAW_TRACEPOINT);
    assert.is(info.xlatedProgLen, 16);
    assert.ok(info.verifiedInsns >= 2);
    assert.ok(info.jitedProgLen > 0);
  } finally {
    prog.close();
  }
});

kernelTest('a BEGIN-style program writes a ring buffer record during its test run', () => {
  const ring = createMap(sys, ringSpec);
  const insns: Insn[] = [
    mov(R1, 42),
    stxDw(R10, -8, R1),
    ...ldMap(R1), // insn 2
    movReg(R2, R10),
    addImm(R2, -8),
    mov(R3, 8),
    mov(R4, 0),
    call(HELPER_RINGBUF_OUTPUT),
    mov(R0, 0),
    exit(),
  ];
  const spec = program('tsbt_t_begin', 'raw_tracepoint', insns, [{ insn: 2, map: ringSpec.name }], { kind: 'begin' });
  const prog = loadProgram(sys, spec, new Map([[ringSpec.name, ring.fd]]));
  const reader = new RingBufferReader(sys, ring.fd, ringSpec.maxEntries);
  try {
    assert.is(prog.testRun(), 0);
    const values: bigint[] = [];
    assert.is(reader.drain((r) => values.push(r.getBigUint64(0, true))), 1);
    assert.equal(values, [42n]);
  } finally {
    reader.close();
    prog.close();
    ring.close();
  }
});

kernelTest('a rejected program throws VerifierError with the log, program name and errno', () => {
  const spec = program('tsbt_t_bad', 'raw_tracepoint', [exit()], [], { kind: 'begin' });
  try {
    loadProgram(sys, spec, new Map()).close();
    assert.unreachable('loaded a program that returns an unset r0');
  } catch (err) {
    assert.instance(err, VerifierError);
    const v = err as VerifierError;
    assert.is(v.program, 'tsbt_t_bad');
    assert.is(v.code, 'EACCES');
    assert.match(v.log, /R0 !read_ok/);
    assert.match(v.message, /tsbt_t_bad .*EACCES[^]*verifier: R0 !read_ok/);
  }
});

kernelTest('tracepoint program: nothing before enable(), then ring buffer records and a counter', async () => {
  const counter = createMap(sys, counterSpec);
  const ring = createMap(sys, ringSpec);
  const insns: Insn[] = [
    call(HELPER_GET_CURRENT_PID_TGID),
    stxDw(R10, -8, R0),
    ...ldMap(R1), // insn 2: the ring buffer
    movReg(R2, R10),
    addImm(R2, -8),
    mov(R3, 8),
    mov(R4, 0),
    call(HELPER_RINGBUF_OUTPUT),
    ...incrementSlotZero(), // insn 9: the counter
  ];
  const spec = program('tsbt_t_openat', 'tracepoint', insns,
    [{ insn: 2, map: ringSpec.name }, { insn: 9, map: counterSpec.name }],
    { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' });
  const prog = loadProgram(sys, spec, new Map([[ringSpec.name, ring.fd], [counterSpec.name, counter.fd]]));
  const reader = new RingBufferReader(sys, ring.fd, ringSpec.maxEntries);
  const attachment = attach(sys, prog, spec);
  try {
    spawnSync('cat', ['/etc/hostname']);
    assert.is(readCounter(counter), 0n, 'attached but not enabled: the program must not run');
    assert.not.ok(reader.pending());

    attachment.enable();
    let woke = 0;
    const watch = sys.watchReadable(ring.fd, () => woke++);
    const child = spawn('cat', ['/etc/hostname'], { stdio: 'ignore' });
    const childPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 50 && woke === 0; i++) await sleep(10);
    watch.close();
    assert.ok(woke > 0, 'epoll on the ring buffer fd reported it readable');

    const tgids: number[] = [];
    const n = reader.drain((record) => {
      assert.is(record.byteLength, 8);
      tgids.push(Number(record.getBigUint64(0, true) >> 32n));
    });
    assert.is(n, tgids.length);
    assert.ok(tgids.includes(childPid), `a record from the child ${childPid} among ${n}`);
    assert.ok(readCounter(counter) >= BigInt(n), 'the counter saw at least as many hits as records');
    assert.is(reader.drain(() => {}), 0, 'drained');
  } finally {
    attachment.detach();
    reader.close();
    prog.close();
    ring.close();
    counter.close();
  }
});

kernelTest('perf_event program on a 10 ms CPU clock (cpus: one) counts after enable()', async () => {
  const counter = createMap(sys, counterSpec);
  const spec = program('tsbt_t_tick', 'perf_event', incrementSlotZero(), [{ insn: 0, map: counterSpec.name }], {
    kind: 'perf_event', perfType: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, period: 10_000_000, cpus: 'one',
  });
  const prog = loadProgram(sys, spec, new Map([[counterSpec.name, counter.fd]]));
  const attachment = attach(sys, prog, spec);
  try {
    await sleep(50);
    assert.is(readCounter(counter), 0n, 'disabled events do not fire');
    attachment.enable();
    await sleep(200);
    const ticks = readCounter(counter);
    assert.ok(ticks > 0n && ticks < 100n, `~20 ticks in 200 ms, got ${ticks}`);
  } finally {
    attachment.detach();
    prog.close();
    counter.close();
  }
});

kernelTest('perf_event with cpus: all opens one event per online CPU', async () => {
  const fdsBefore = openFdCount();
  const counter = createMap(sys, counterSpec);
  const spec = program('tsbt_t_prof', 'perf_event', incrementSlotZero(), [{ insn: 0, map: counterSpec.name }], {
    kind: 'perf_event', perfType: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, frequency: 99, cpus: 'all',
  });
  const prog = loadProgram(sys, spec, new Map([[counterSpec.name, counter.fd]]));
  const beforeAttach = openFdCount();
  const attachment = attach(sys, prog, spec);
  try {
    assert.is(openFdCount() - beforeAttach, onlineCpus().length);
    attachment.enable();
    await sleep(100);
    assert.ok(readCounter(counter) > 0n);
  } finally {
    attachment.detach();
    prog.close();
    counter.close();
  }
  assert.is(openFdCount(), fdsBefore);
});

/** File offset of an ELF executable's entry point (e_entry mapped through its PT_LOAD segment). */
function entryFileOffset(path: string): number {
  const elf = readFileSync(path);
  const entry = elf.readBigUInt64LE(0x18);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * phentsize;
    const [offset, vaddr, filesz] = [elf.readBigUInt64LE(ph + 8), elf.readBigUInt64LE(ph + 16), elf.readBigUInt64LE(ph + 32)];
    if (elf.readUInt32LE(ph) === 1 && entry >= vaddr && entry < vaddr + filesz) return Number(entry - vaddr + offset);
  }
  throw new Error(`${path}: entry point outside every PT_LOAD segment`);
}

kernelTest('uprobe through the uprobe PMU: fires on /bin/true\'s entry point after enable()', () => {
  const path = realpathSync('/bin/true');
  const counter = createMap(sys, counterSpec);
  const spec = program('tsbt_t_uprobe', 'kprobe', incrementSlotZero(), [{ insn: 0, map: counterSpec.name }], {
    kind: 'uprobe', path, offset: entryFileOffset(path), retprobe: false,
  });
  const prog = loadProgram(sys, spec, new Map([[counterSpec.name, counter.fd]]));
  const attachment = attach(sys, prog, spec);
  try {
    spawnSync(path);
    assert.is(readCounter(counter), 0n, 'not before enable()');
    attachment.enable();
    for (let i = 0; i < 3; i++) spawnSync(path);
    assert.ok(readCounter(counter) >= 3n, `3 runs of ${path}, counted ${readCounter(counter)}`);
  } finally {
    attachment.detach();
    prog.close();
    counter.close();
  }
});

kernelTest('tracefs is mounted when absent (in a private mount namespace)', () => {
  if (!existsSync('/usr/bin/unshare') && !existsSync('/bin/unshare')) return;
  const script = [
    "import { systemTracefs } from './runtime/kernel/tracefs.ts';",
    "import { KoffiSys } from './runtime/sys/koffi-sys.ts';",
    "const sys = new KoffiSys();",
    "const fs = systemTracefs((s, t, f) => sys.mount(s, t, f));",
    "console.log(fs.root, fs.tracepointId('syscalls', 'sys_enter_openat'));",
  ].join('\n');
  const res = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; test ! -e /sys/kernel/tracing/events && node --import tsx --input-type=module -e "$0"`, script],
    { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
  assert.is(res.status, 0, `child failed: ${res.stderr}`);
  assert.match(res.stdout, /^\/sys\/kernel\/tracing \d+\n$/);
});

kernelTest('everything closed: no fd and no tsbt_t_ object left', async () => {
  assert.is(openFdCount(), fdsAtStart);
  assert.equal(await tsbtTestObjects(sys), []);
});

t.run();
