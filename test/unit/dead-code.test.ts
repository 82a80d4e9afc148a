// ir/dead-code.ts: definitions nobody reads go; anything with an effect, and values read on some
// path, stay.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IrBuilder, imm, reg } from '../../compiler/ir/builder.ts';
import { removeDeadDefinitions } from '../../compiler/ir/dead-code.ts';

const t = suite('dead definitions');

const ops = (b: IrBuilder) => removeDeadDefinitions(b.finish()).insns.map((i) => i.op);

t('a zeroing overwritten on every path goes, with the chain that fed only it', () => {
  const b = new IrBuilder();
  const v = b.movImm(0); // a variable zeroed at entry...
  const unused = b.movImm(7);
  b.alu('add', unused, imm(1)); // ...a computation nobody reads
  const now = b.call(5, [])!;
  b.mov(v, reg(now)); // ...assigned before any read
  b.emit({ op: 'exit', value: reg(v) });
  assert.equal(ops(b), ['call', 'mov', 'exit']);
});

t('a value read on one path of a branch stays; stores and calls always stay', () => {
  const b = new IrBuilder();
  const v = b.movImm(0);
  const c = b.call(7, [])!; // get_prandom_u32
  const skip = b.label('skip');
  b.jcond('jeq', c, imm(0), skip);
  b.mov(v, imm(5));
  b.place(skip);
  b.store(8, 'fp', -8, reg(v)); // v is 0 or 5 here: the first zeroing is live
  b.call(7, []); // a call whose result nobody reads still runs
  b.emit({ op: 'exit', value: imm(0) });
  assert.equal(ops(b), ['mov', 'call', 'jcond', 'mov', 'label', 'store', 'call', 'exit']);
});

t('a loop counter read at the loop head keeps its zeroing', () => {
  const b = new IrBuilder();
  const i = b.movImm(0);
  const head = b.label('head');
  const out = b.label('out');
  b.place(head);
  b.jcond('jge', i, imm(10), out);
  b.alu('add', i, imm(1));
  b.jmp(head);
  b.place(out);
  b.emit({ op: 'exit', value: imm(0) });
  assert.equal(ops(b), ['mov', 'label', 'jcond', 'alu', 'jmp', 'label', 'exit']);
});

t.run();
