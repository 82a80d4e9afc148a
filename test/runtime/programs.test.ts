import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProgramSpec } from '../../runtime/artifact.ts';
import { loadProgram, patchRelocations, VerifierError, verifierReason } from '../../runtime/programs.ts';
import { BpfProgType, Errno } from '../../runtime/sys/constants.ts';
import { FakeSys } from '../../runtime/sys/fake-sys.ts';
import { isSysError } from '../../runtime/sys/sys.ts';
import { encodeFunctionBtf } from '../../compiler/bpf/btf.ts';

const t = suite('program loader against the fake Sys');

/** r0 = 0 (slot 0), LD_IMM64 r3 (slots 1–2), LD_IMM64 r1 (slots 3–4), exit (slot 5). */
function bytecode(): Uint8Array {
  const b = new Uint8Array(6 * 8);
  b.set([0xb7, 0x00], 0);
  b.set([0x18, 0x03, 0, 0, 0xff, 0xff, 0xff, 0xff], 8);
  b.set([0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee], 16);
  b.set([0x18, 0x01], 24);
  b.set([0x95], 40);
  return b;
}

function spec(over: Partial<ProgramSpec> = {}): ProgramSpec {
  return {
    name: 'tsbt_p0',
    probe: 'tracepoint:syscalls:sys_enter_openat',
    type: 'tracepoint',
    license: 'GPL',
    bytecode: Buffer.from(bytecode()).toString('base64'),
    relocations: [{ insn: 1, map: 'tsbt_a' }, { insn: 3, map: 'tsbt_b' }],
    attach: { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' },
    stackSize: 0,
    ...over,
  };
}
const fds = new Map([['tsbt_a', 41], ['tsbt_b', 42]]);
const imm = (b: Uint8Array, slot: number) => new DataView(b.buffer).getInt32(slot * 8 + 4, true);

t('relocations: src_reg = BPF_PSEUDO_MAP_FD, dst kept, imm = fd, upper half zeroed', () => {
  const fake = new FakeSys();
  const prog = loadProgram(fake, spec(), fds);
  const loaded = fake.programs[0]!;
  assert.is(loaded.insns[9], 0x13, 'r3, pseudo map fd');
  assert.is(loaded.insns[25], 0x11, 'r1, pseudo map fd');
  assert.equal([imm(loaded.insns, 1), imm(loaded.insns, 2), imm(loaded.insns, 3), imm(loaded.insns, 4)], [41, 0, 42, 0]);
  assert.equal([loaded.progType, loaded.name, loaded.license, loaded.logLevel], [BpfProgType.TRACEPOINT, 'tsbt_p0', 'GPL', 0]);
  assert.is(prog.log, '');
  prog.close();
  assert.equal(fake.openFds(), []);
});

t('bad relocations are caught before loading', () => {
  const insns = bytecode();
  assert.throws(() => patchRelocations('p', insns, [{ insn: 1, map: 'nope' }], fds), /unknown map nope/);
  assert.throws(() => patchRelocations('p', insns, [{ insn: 0, map: 'tsbt_a' }], fds), /opcode 0xb7, not LD_IMM64/);
  assert.throws(() => patchRelocations('p', insns, [{ insn: 5, map: 'tsbt_a' }], fds), /outside the program/);
  const fake = new FakeSys();
  assert.throws(() => loadProgram(fake, spec({ bytecode: 'AAAA' }), fds), /not a whole number/);
  assert.is(fake.programs.length, 0);
});

t('a rejected program is loaded again with a log; VerifierError carries log, name, first errno', () => {
  const fake = new FakeSys();
  const attempts: number[] = [];
  fake.rejectProgram = (attr) => (attempts.push(attr.logLevel ?? 0), { errno: Errno.EACCES, log: '0: (95) exit\nR0 !read_ok\n' });
  try {
    loadProgram(fake, spec(), fds);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, VerifierError);
    const v = err as VerifierError;
    assert.equal([v.program, v.errno, v.code, v.log], ['tsbt_p0', Errno.EACCES, 'EACCES', '0: (95) exit\nR0 !read_ok\n']);
    assert.match(v.message, /cannot load program tsbt_p0 \(tracepoint:syscalls:sys_enter_openat\): EACCES/);
    assert.match(v.message, /verifier: R0 !read_ok/);
  }
  assert.equal(attempts, [0, 1]);
  assert.equal(fake.openFds(), []);
});

t('the reason is the last log line before the statistics', () => {
  const log = '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0\nverification time 12 usec\nstack depth 0\n';
  assert.is(verifierReason(log), 'R0 !read_ok');
  assert.is(verifierReason(''), '');
});

t('a truncated log (ENOSPC) is retried with a bigger buffer', () => {
  const fake = new FakeSys();
  const sizes: number[] = [];
  fake.rejectProgram = (attr) => {
    if (!attr.logLevel) return { errno: Errno.EINVAL, log: '' };
    sizes.push(attr.logSize!);
    return attr.logSize! < 4096 ? { errno: Errno.ENOSPC, log: '...truncated' } : { errno: Errno.EINVAL, log: 'whole log' };
  };
  try {
    loadProgram(fake, spec(), fds, { logSize: 1024 });
    assert.unreachable();
  } catch (err) {
    assert.equal([(err as VerifierError).log, (err as VerifierError).code], ['whole log', 'EINVAL']);
  }
  assert.equal(sizes, [1024, 4096]);
});

t('with logLevel the first load keeps the log', () => {
  const fake = new FakeSys();
  const prog = loadProgram(fake, spec(), fds, { logLevel: 2 });
  assert.is(fake.programs.length, 1);
  assert.is(fake.programs[0]!.logLevel, 2);
  assert.match(prog.log, /processed/);
});

t('a load refused for lack of privilege is a VerifierError with code EPERM and an empty log', () => {
  const fake = new FakeSys();
  fake.failNext('progLoad', Errno.EPERM);
  fake.failNext('progLoad', Errno.EPERM);
  assert.throws(() => loadProgram(fake, spec(), fds), (e: unknown) => e instanceof VerifierError && e.code === 'EPERM' && e.log === '');
  assert.equal(fake.openFds(), []);
});

t('testRun returns r0 and names the program on failure', () => {
  const fake = new FakeSys();
  fake.testRunRetval = () => 7;
  const prog = loadProgram(fake, spec({ type: 'raw_tracepoint', relocations: [] }), fds);
  assert.is(prog.testRun(), 7);
  assert.is(fake.programs[0]!.testRuns, 1);
  fake.failNext('progTestRun', Errno.ENOTSUPP);
  assert.throws(() => prog.testRun(), (e: unknown) => isSysError(e, 'ENOTSUPP') && /program tsbt_p0/.test((e as Error).message));
});

t('a program with subprograms: its BTF is loaded first, given with the func_info records, and closed with the program', () => {
  const functions = {
    btf: Buffer.from(encodeFunctionBtf([{ name: 'tsbt_p0', params: ['ctx'], linkage: 'global' }, { name: 'tsbt_for1', params: ['map', 'key', 'value', 'ctx'], linkage: 'static' }]).bytes).toString('base64'),
    funcInfo: [{ insn: 0, typeId: 4, name: 'tsbt_p0', stackSize: 0 }, { insn: 5, typeId: 6, name: 'tsbt_for1', stackSize: 0 }],
  };
  const fake = new FakeSys();
  const prog = loadProgram(fake, spec({ functions }), fds);
  assert.is(fake.btfs.length, 1);
  const loaded = fake.programs[0]!;
  assert.is(loaded.btfFd, prog.btfFd);
  assert.equal([...new Uint32Array(loaded.funcInfo!.slice().buffer)], [0, 4, 5, 6]);
  assert.equal(fake.openFds().sort(), [prog.fd, prog.btfFd!].sort());
  prog.close();
  assert.equal(fake.openFds(), [], 'the BTF fd is closed with the program');

  // Rejected by the verifier: the BTF is closed too.
  const rejecting = new FakeSys();
  rejecting.rejectProgram = () => ({ errno: Errno.EINVAL, log: 'func_info BTF section doesn\'t match subprog layout in BPF program\n' });
  assert.throws(() => loadProgram(rejecting, spec({ functions }), fds), (e: unknown) => e instanceof VerifierError && /func_info/.test(e.message));
  assert.equal(rejecting.openFds(), []);
  // A BTF the kernel refuses never reaches BPF_PROG_LOAD.
  const noBtf = new FakeSys();
  noBtf.failNext('btfLoad', Errno.EINVAL);
  noBtf.failNext('btfLoad', Errno.EINVAL);
  assert.throws(() => loadProgram(noBtf, spec({ functions }), fds), /cannot load the BTF of program tsbt_p0/);
  assert.is(noBtf.programs.length, 0);
});

t.run();
