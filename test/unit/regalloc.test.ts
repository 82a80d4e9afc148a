import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IrBuilder, imm, reg } from '../../compiler/ir/builder.ts';
import { allocateRegisters } from '../../compiler/ir/regalloc.ts';
import { finalize, parallelMove } from '../../compiler/ir/finalize.ts';
import { disassembleOne } from '../../compiler/bpf/disasm.ts';

const t = suite('register allocation and finalization');

function asm(b: IrBuilder): string[] {
  const f = finalize(allocateRegisters(b.finish()));
  return f.insns.map((i, n) => disassembleOne(i, n));
}

t('a value live across a helper call is kept in r6..r9', () => {
  const b = new IrBuilder();
  const ctx = b.reg();
  b.emit({ op: 'ctx', dst: ctx });
  const t0 = b.call(5, [])!; // ktime_get_ns
  const v = b.load(8, ctx, 16);
  b.alu('add', v, reg(t0));
  b.emit({ op: 'exit', value: reg(v) });
  const out = asm(b);
  assert.is(out[0], 'r6 = r1', 'ctx moves to a callee-saved register');
  assert.ok(out.includes('call ktime_get_ns#5'));
  assert.ok(out.some((l) => /r\d = \*\(u64 \*\)\(r6 \+16\)/.test(l)));
});

t('call arguments land in r1..r5 and results come from r0 without extra moves', () => {
  const b = new IrBuilder();
  const m = b.ldmap('tsbt_x');
  const key = b.addr(-8);
  b.store(8, 'fp', -8, imm(0));
  const r = b.call(1, [reg(m), reg(key)])!;
  b.emit({ op: 'exit', value: reg(r) });
  const out = asm(b);
  assert.equal(out, ['r1 = map[fd 0] ll', 'r2 = r10', 'r2 += -0x8', '*(u64 *)(r10 -8) = 0x0', 'call map_lookup_elem#1', 'exit']);
  assert.ok(!out.some((l) => l.startsWith('r0 = r')), 'no copy of the result');
  assert.ok(!out.some((l) => /^r[1-5] = r[0-9]$/.test(l)), `no argument shuffling: ${out.join(' | ')}`);
});

t('more live values than registers spill to the stack and still allocate', () => {
  const b = new IrBuilder();
  const vals = Array.from({ length: 14 }, (_, i) => b.movImm(i + 1));
  b.call(5, [], false); // clobbers r0..r5: everything live must survive it
  const acc = b.movImm(0);
  for (const v of vals) b.alu('add', acc, reg(v));
  b.emit({ op: 'exit', value: reg(acc) });
  const alloc = allocateRegisters(b.finish());
  assert.ok(alloc.spilled > 0, 'something spilled');
  assert.ok(alloc.frameSize >= alloc.spilled * 8);
  const f = finalize(alloc);
  const text = f.insns.map((i, n) => disassembleOne(i, n));
  const callAt = text.indexOf('call ktime_get_ns#5');
  // After the call nothing may read r1..r5 before writing it.
  const written = new Set<string>();
  for (const line of text.slice(callAt + 1)) {
    const m = /^(r\d) (?:=|\+=)/.exec(line);
    for (const src of line.matchAll(/\br([0-5])\b/g)) {
      const r = `r${src[1]}`;
      const isDst = m?.[1] === r && !line.includes('+=');
      if (!isDst && !written.has(r) && r !== 'r0') assert.unreachable(`${r} read after the call before being written: ${line}`);
    }
    if (m) written.add(m[1]!);
  }
});

t('parallel moves resolve a swap with xor and order a chain correctly', () => {
  const swap = parallelMove([{ dst: 1, src: { reg: 2 } }, { dst: 2, src: { reg: 1 } }]);
  // A cycle goes through r0, which the call overwrites anyway (an xor swap is refused on pointers).
  assert.equal(swap.map((i) => disassembleOne(i, 0)), ['r0 = r1', 'r1 = r2', 'r2 = r0']);
  // With r0..r5 all in use, the xor swap is the last resort.
  const full = parallelMove([0, 1, 2, 3, 4, 5].map((r) => ({ dst: r, src: { reg: (r + 1) % 6 } })));
  assert.equal(full.slice(0, 3).map((i) => disassembleOne(i, 0)), ['r0 ^= r1', 'r1 ^= r0', 'r0 ^= r1']);
  const chain = parallelMove([{ dst: 1, src: { reg: 2 } }, { dst: 2, src: { reg: 3 } }, { dst: 3, src: { imm: 9 } }]);
  assert.equal(chain.map((i) => disassembleOne(i, 0)), ['r1 = r2', 'r2 = r3', 'r3 = 0x9']);
  assert.equal(parallelMove([{ dst: 1, src: { reg: 1 } }]), []);
});

t('jumps resolve to slot offsets, counting LD_IMM64 as two slots', () => {
  const b = new IrBuilder();
  const x = b.movImm(1);
  const l = b.label();
  b.jcond('jeq', x, imm(0), l);
  const big = b.reg();
  b.emit({ op: 'ldimm64', dst: big, value: 1n << 40n });
  b.emit({ op: 'exit', value: reg(big) });
  b.place(l);
  b.emit({ op: 'exit', value: imm(0) });
  const f = finalize(allocateRegisters(b.finish()));
  // The constant is loaded straight into r0 (the exit value), so the jump skips LD_IMM64 (2) + exit (1).
  assert.is(f.insns[1]!.off, 3);
  assert.is(f.labels.get(5), 'L0');
});

t('many values live across a call: the ones beyond r6..r9 are spilled, all in one round', () => {
  const b = new IrBuilder();
  const values = Array.from({ length: 40 }, () => b.call(5, [])!); // 40 ktime_get_ns results...
  const sum = b.movImm(0);
  for (const v of values) b.alu('add', sum, reg(v)); // ...all read after the last call
  b.emit({ op: 'exit', value: reg(sum) });
  const alloc = allocateRegisters(b.finish());
  // 39 results live across a later call; 4 fit in r6..r9 (the last needs no call-safe register).
  assert.is(alloc.spilled, 35);
  const f = finalize(alloc);
  const stores = new Set(f.insns.map((i, n) => disassembleOne(i, n)).filter((l) => /^\*\(u64 \*\)\(r10 -\d+\) = r0$/.test(l)));
  assert.is(stores.size, 35, 'each spilled result is stored in a slot of its own');
});

t.run();
