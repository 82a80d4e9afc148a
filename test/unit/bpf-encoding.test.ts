import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Insn, decode, encode } from '../../compiler/bpf/insn.ts';
import { disassemble } from '../../compiler/bpf/disasm.ts';
import { R0, R1, R10, R6 } from '../../compiler/bpf/opcodes.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';

const t = suite('eBPF instruction encoding');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t('mov r0, 7; exit', () => {
  assert.is(hex(encode([Insn.movImm(R0, 7), Insn.exit()])), 'b700000007000000' + '9500000000000000');
});

t('registers pack dst in the low nibble, src in the high nibble; offsets and immediates are little-endian', () => {
  assert.is(hex(encode([Insn.load(8, R1, R6, -16)])), '7961f0ff00000000');
  assert.is(hex(encode([Insn.storeImm(4, R10, -8, -1)])), '620af8ffffffffff');
  assert.is(hex(encode([Insn.jmpImm('jeq', R0, 0, 3)])), '1500030000000000');
});

t('LD_IMM64 takes two slots, the high half in the second', () => {
  const bytes = encode([Insn.ldImm64(R1, 0x1122334455667788n)]);
  assert.is(bytes.length, 16);
  assert.is(hex(bytes), '1801000088776655' + '0000000044332211');
  const back = decode(bytes);
  assert.is(back.length, 1);
  assert.is(back[0]!.imm2, 0x11223344);
});

t('a map load is LD_IMM64 with src = BPF_PSEUDO_MAP_FD', () => {
  assert.is(hex(encode([Insn.ldMapFd(R1)])).slice(0, 4), '1811');
});

t('the disassembler speaks the verifier dialect, with helper and map names', () => {
  const lines = disassemble([
    Insn.ldMapFd(R1), Insn.mov(R6, R1), Insn.call(Helper.map_lookup_elem), Insn.jmpImm('jne', R0, 0, 1),
    Insn.atomicAdd(8, R0, 0, R1), Insn.store(8, R10, -8, R6), Insn.exit(),
  ], { mapAt: (slot) => (slot === 0 ? 'tsbt_x' : undefined) });
  assert.equal(lines, [
    '   0: r1 = map[tsbt_x] ll',
    '   2: r6 = r1',
    '   3: call map_lookup_elem#1',
    '   4: if r0 != 0x0 goto +1',
    '   5: lock *(u64 *)(r0 +0) += r1',
    '   6: *(u64 *)(r10 -8) = r6',
    '   7: exit',
  ]);
});

t.run();
