// BPF-to-BPF subprograms without a kernel: the BTF blob that describes a program's functions, the
// linking of functions into one instruction stream, and what `for ($kv : @map)` and `len(@map)`
// compile to (checked against the kernel's rules for func_info and BPF_PSEUDO_FUNC).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../api/index.ts';
import { encodeFunctionBtf } from '../../compiler/bpf/btf.ts';
import { disassembleOne } from '../../compiler/bpf/disasm.ts';
import { decode, slots } from '../../compiler/bpf/insn.ts';
import { IrBuilder, imm, reg } from '../../compiler/ir/builder.ts';
import { allocateRegisters } from '../../compiler/ir/regalloc.ts';
import { finalize } from '../../compiler/ir/finalize.ts';
import { frameCost, link } from '../../compiler/ir/link.ts';
import { encodeFuncInfo } from '../../runtime/programs.ts';
import { BtfSpec } from '../../runtime/kernel/btf/spec.ts';
import { fuzzKernel } from '../fuzz/kernel.ts';

const t = suite('subprograms: BTF, func_info, linking, loops over maps');
const build = (src: string) => compile(src, { kernel: fuzzKernel() });

t('the functions\' BTF: header, long, void *, then a FUNC_PROTO and a FUNC per function', () => {
  const { bytes, funcTypeIds } = encodeFunctionBtf([
    { name: 'tsbt_BEGIN', params: ['ctx'], linkage: 'global' },
    { name: 'tsbt_for1', params: ['map', 'key', 'value', 'ctx'], linkage: 'static' },
  ]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  // struct btf_header: magic 0xeB9F, version 1, flags 0, hdr_len 24, type_off, type_len, str_off, str_len.
  assert.equal([view.getUint16(0, true), bytes[2], bytes[3], view.getUint32(4, true), view.getUint32(8, true)], [0xeb9f, 1, 0, 24, 0]);
  const typeLen = view.getUint32(12, true);
  assert.is(view.getUint32(16, true), typeLen, 'strings right after the types');
  assert.is(24 + typeLen + view.getUint32(20, true), bytes.length, 'nothing after the strings');
  // Types: long (3 words + 1), void * (3), then per function FUNC_PROTO (3 + 2 per param) and FUNC (3).
  assert.is(typeLen, 4 * (4 + 3 + (3 + 2) + 3 + (3 + 8) + 3));
  assert.is(bytes[24 + typeLen], 0, 'the string section starts with the empty name');
  assert.is(bytes[bytes.length - 1], 0, 'and ends with a NUL');
  assert.equal(funcTypeIds, [4, 6]);

  const btf = new BtfSpec(bytes);
  assert.equal(btf.type(1), { kind: 'int', name: 'long', size: 8, signed: true, char: false, bool: false, bits: 64, offset: 0 });
  assert.equal(btf.type(2), { kind: 'ptr', target: 0 });
  assert.equal(btf.type(4), { kind: 'func', name: 'tsbt_BEGIN', proto: 3, linkage: 'global' });
  assert.equal(btf.type(6), { kind: 'func', name: 'tsbt_for1', proto: 5, linkage: 'static' });
  const proto = btf.proto(6)!;
  assert.is(proto.ret, 1);
  assert.equal(proto.params, [{ name: 'map', type: 2 }, { name: 'key', type: 2 }, { name: 'value', type: 2 }, { name: 'ctx', type: 2 }]);
  assert.throws(() => encodeFunctionBtf([{ name: 'tsbt-bad', params: [], linkage: 'static' }]), /invalid BTF function name/);
});

t('func_info records: struct bpf_func_info { u32 insn_off; u32 type_id; } per function', () => {
  const bytes = encodeFuncInfo({ btf: '', funcInfo: [{ insn: 0, typeId: 4, name: 'a', stackSize: 8 }, { insn: 37, typeId: 6, name: 'b', stackSize: 8 }] });
  assert.equal([...new Uint32Array(bytes.buffer)], [0, 4, 37, 6]);
});

/** One finalized function: `exit 0`, with `ldfunc` of `callee` first if given. */
function fn(callee?: string, stack = 0) {
  const b = new IrBuilder();
  if (stack > 0) b.store(8, 'fp', b.frame.alloc(stack), imm(0));
  if (callee) {
    const r = b.reg();
    b.emit({ op: 'ldfunc', dst: r, func: callee });
    b.call(164, [reg(b.ldmap('tsbt_m')), reg(r), imm(0), imm(0)], false);
  }
  b.place(b.label('end'));
  b.emit({ op: 'exit', value: imm(0) });
  return finalize(allocateRegisters(b.finish()));
}

t('link: functions one after another, relocations and labels moved, LD_IMM64 of a function points at its start', () => {
  const linked = link([{ name: 'tsbt_main', code: fn('tsbt_for1') }, { name: 'tsbt_for1', code: fn('tsbt_for2') }, { name: 'tsbt_for2', code: fn() }]);
  const mainLength = fn('tsbt_for1').insns.reduce((n, i) => n + slots(i), 0);
  assert.equal(linked.functions.map((f) => [f.name, f.start]), [['tsbt_main', 0], ['tsbt_for1', mainLength], ['tsbt_for2', 2 * mainLength]]);
  assert.equal(linked.relocations.map((r) => r.insn), [2, mainLength + 2], 'each function\'s map load, in its own place');
  assert.equal(linked.labels.get(mainLength), 'tsbt_for1');
  assert.ok([...linked.labels.values()].includes('tsbt_for1.end0'), 'local labels are prefixed with their function');
  for (const ref of linked.funcRefs) {
    let slot = 0;
    const insn = linked.insns.find((i) => (slot += slots(i)) - slots(i) === ref.insn)!;
    assert.is(insn.src, 4, 'BPF_PSEUDO_FUNC');
    assert.is(ref.insn + 1 + insn.imm, linked.functions.find((f) => f.name === ref.func)!.start);
  }
  assert.is(linked.sourceMap.length, 2 * mainLength + fn().insns.reduce((n, i) => n + slots(i), 0));
});

t('link: the frames of a call chain add up (rounded to 32 bytes each) and must fit in 512 bytes', () => {
  assert.is(frameCost(0), 32);
  assert.is(frameCost(40), 64);
  assert.not.throws(() => link([{ name: 'tsbt_main', code: fn('tsbt_for1', 256) }, { name: 'tsbt_for1', code: fn(undefined, 256) }]));
  assert.throws(() => link([{ name: 'tsbt_main', code: fn('tsbt_for1', 264) }, { name: 'tsbt_for1', code: fn(undefined, 256) }]),
    /need 544 bytes of stack together; eBPF allows 512/);
  // Siblings do not add up: only one callback runs at a time.
  const siblings = (() => {
    const b = new IrBuilder();
    b.store(8, 'fp', b.frame.alloc(200), imm(0));
    for (const f of ['tsbt_for1', 'tsbt_for2']) {
      const r = b.reg();
      b.emit({ op: 'ldfunc', dst: r, func: f });
      b.call(164, [reg(b.ldmap('tsbt_m')), reg(r), imm(0), imm(0)], false);
    }
    b.emit({ op: 'exit', value: imm(0) });
    return finalize(allocateRegisters(b.finish()));
  })();
  assert.not.throws(() => link([{ name: 'tsbt_main', code: siblings }, { name: 'tsbt_for1', code: fn(undefined, 280) }, { name: 'tsbt_for2', code: fn(undefined, 280) }]));
});

function disassembly(src: string): string[] {
  const r = build(src);
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const p = r.programs![0]!;
  const maps = new Map(p.code.relocations.map((x) => [x.insn, x.map]));
  const out: string[] = [];
  let slot = 0;
  for (const i of decode(Buffer.from(p.spec.bytecode, 'base64'))) {
    const fnStart = p.code.functions.find((f) => f.start === slot && slot > 0);
    if (fnStart) out.push(`${fnStart.name}:`);
    out.push(disassembleOne(i, slot, { mapAt: (s) => maps.get(s), labelAt: (s) => p.code.labels.get(s) }));
    slot += slots(i);
  }
  return out;
}

t('for over a map: a closure on the stack, bpf_for_each_map_elem with the callback\'s address, and the callback copying (key, value)', () => {
  const lines = disassembly('BEGIN < @m[1] = 2; $n = 0; for ($kv : @m) < $n += $kv.1; > printf("%d\\n", $n); >');
  const call = lines.indexOf('call for_each_map_elem#164');
  assert.ok(call > 0, lines.join('\n'));
  const before = lines.slice(call - 12, call);
  // closure: [0] the probe's ctx, [1] no stop flag (no return in the body), [2] &$n.
  assert.ok(before.some((l) => /^\*\(u64 \*\)\(r10 -\d+\) = r6$/.test(l)), before.join('\n'));
  assert.ok(before.includes('r2 = func[tsbt_for1] ll'), before.join('\n'));
  const body = lines.slice(lines.indexOf('tsbt_for1:') + 1);
  // $kv = (key, value): 8 bytes each from r2 (key) and r3 (value); $n through the closure (r4).
  assert.ok(body.some((l) => /= \*\(u64 \*\)\(r2 \+0\)/.test(l)), body.join('\n'));
  assert.ok(body.some((l) => /= \*\(u64 \*\)\(r3 \+0\)/.test(l)), body.join('\n'));
  assert.ok(body.some((l) => /= \*\(u64 \*\)\(r\d \+16\)/.test(l)), 'the address of $n, closure word 2');
  assert.equal(body.slice(-2), ['r0 = 0x0', 'exit'], 'the end of an iteration: 0, go on');

  const spec = build('BEGIN < @m[1] = 2; for ($kv : @m) < print($kv); > >').artifact!.programs[0]!;
  assert.equal(spec.functions!.funcInfo.map((f) => [f.name, f.insn > 0, f.typeId]), [['tsbt_BEGIN', false, 4], ['tsbt_for1', true, 6]]);
  assert.is(spec.sourceSpans!.length, Buffer.from(spec.bytecode, 'base64').length / 8, 'the source map covers every function');
  assert.is(build('BEGIN < @m[1] = 2; print(@m); >').artifact!.programs[0]!.functions, undefined, 'no subprograms, no BTF');
});

t('break returns 1, continue 0; return raises the caller\'s stop flag, which the caller checks', () => {
  const body = (src: string) => {
    const lines = disassembly(src);
    return { main: lines.slice(0, lines.indexOf('tsbt_for1:')), body: lines.slice(lines.indexOf('tsbt_for1:') + 1) };
  };
  const brk = body('BEGIN < @m[1] = 2; for ($kv : @m) < if ($kv.0 == 1) < break; > printf("x\\n"); > >').body;
  assert.equal(brk.slice(-4), ['r0 = 0x0', 'exit', 'r0 = 0x1', 'exit']);
  const cont = body('BEGIN < @m[1] = 2; for ($kv : @m) < if ($kv.0 == 1) < continue; > printf("x\\n"); > >').body;
  assert.equal(cont.slice(-2), ['r0 = 0x0', 'exit'], 'continue jumps to the end: no code for break');
  const ret = body('BEGIN < @m[1] = 2; for ($kv : @m) < return; > printf("after\\n"); >');
  // return: *(closure[1]) = 1, then stop iterating.
  assert.equal(ret.body.slice(-4).map((l) => l.replace(/r\d/g, 'rN')), ['rN = *(u64 *)(rN +8)', '*(u64 *)(rN +0) = 0x1', 'rN = 0x1', 'exit']);
  const call = ret.main.indexOf('call for_each_map_elem#164');
  assert.ok(/^rN = \*\(u64 \*\)\(r10 -\d+\)$/.test(ret.main[call + 1]!.replace(/^r\d/, 'rN')), ret.main.slice(call).join('\n'));
  assert.ok(/^if r\d == 0x0 goto/.test(ret.main[call + 2]!), 'the caller checks the flag');
});

t('variables a loop body writes live in the per-CPU tsbt_loopvars value (one region per probe); ones it only reads stay on the stack', () => {
  const r = build(`BEGIN < @m[1] = 1; $count = 0; $limit = 10; $name = "x"; for ($kv : @m) < if ($kv.1 < $limit) < $count++; $name = "y"; > > printf("%d %s\\n", $count, $name); >
    END < @m[2] = 2; $seen = 0; for ($kv : @m) < $seen += $kv.1; > printf("%d\\n", $seen); >`);
  assert.equal(r.diagnostics, []);
  const loopVars = r.artifact!.maps.find((m) => m.name === 'tsbt_loopvars')!;
  // BEGIN: $count (8) and $name (string[2] → 8); END: $seen (8). $limit is only read: not there.
  assert.equal([loopVars.type, loopVars.keySize, loopVars.valueSize, loopVars.maxEntries], ['percpu_array', 4, 24, 1]);
  const begin = disassembly('BEGIN < @m[1] = 1; $count = 0; for ($kv : @m) < $count++; > printf("%d\\n", $count); >');
  const lookup = begin.indexOf('r1 = map[tsbt_loopvars] ll');
  assert.ok(lookup >= 0 && lookup < 5, 'looked up at the probe\'s entry');
  assert.not.ok(build('BEGIN < @m[1] = 1; $limit = 10; for ($kv : @m) < printf("%d\\n", $kv.1 + $limit); > >').artifact!.maps.some((m) => m.name === 'tsbt_loopvars'));
});

t('nested loops: each body its own callback; the inner one reaches the outer $kv and the probe\'s variables', () => {
  const r = build('BEGIN < @a[1] = 1; @b[2] = 2; $s = 0; for ($x : @a) < for ($y : @b) < $s += $x.1 * $y.1; > > printf("%d\\n", $s); >');
  assert.equal(r.diagnostics, []);
  const p = r.programs![0]!;
  assert.equal(p.code.functions.map((f) => f.name), ['tsbt_BEGIN', 'tsbt_for2', 'tsbt_for1']);
  // Only the outer callback is called from the probe; the inner one from the outer one.
  const callers = p.code.funcRefs.map((ref) => [p.code.functions.filter((f) => f.start <= ref.insn).pop()!.name, ref.func]);
  assert.equal(callers, [['tsbt_BEGIN', 'tsbt_for1'], ['tsbt_for1', 'tsbt_for2']]);
  assert.equal(p.ir.subprograms!.map((s) => s.name), ['tsbt_for2', 'tsbt_for1']);
});

t('per-CPU count/sum/min/max values are folded over the possible CPUs with map_lookup_percpu_elem', () => {
  const count = disassembly('BEGIN < @c[1] = count(); for ($kv : @c) < printf("%d\\n", $kv.1); > >');
  const body = count.slice(count.indexOf('tsbt_for1:'));
  assert.ok(body.includes('call map_lookup_percpu_elem#195'), body.join('\n'));
  // The fuzz kernel has 2 possible CPUs: the loop stops at 2.
  assert.ok(body.some((l) => /^if r\d >= 0x2 goto/.test(l)), body.join('\n'));
  const plain = disassembly('BEGIN < @c[1] = 5; for ($kv : @c) < printf("%d\\n", $kv.1); > >');
  assert.not.ok(plain.includes('call map_lookup_percpu_elem#195'), 'a plain map\'s value is read as it is');
});

t('len(@m): bpf_for_each_map_elem with an empty callback, shared by every len() of the program', () => {
  const lines = disassembly('BEGIN < @m[1] = 1; @n[2] = 2; printf("%d %d\\n", len(@m), len(@n)); >');
  assert.is(lines.filter((l) => l === 'call for_each_map_elem#164').length, 2);
  assert.is(lines.filter((l) => l === 'r2 = func[tsbt_count] ll').length, 2);
  assert.equal(lines.slice(lines.indexOf('tsbt_count:') + 1), ['r0 = 0x0', 'exit']);
  assert.ok(lines.some((l) => /^\*\(u64 \*\)\(r0 \+8\) = r0$/.test(l)) || lines.some((l) => /^r\d = r0$/.test(l)), 'the helper\'s result is the count');
});

t('misuse of for and len: located errors with hints', () => {
  const errors = (src: string) => build(src).diagnostics.filter((d) => d.severity === 'error').map((d) => [d.message, d.hint]);
  assert.equal(errors('BEGIN < @x = 1; for ($kv : @x) < > >'), [['`@x` has no keys: there is nothing to iterate over', 'read its value directly: `@x`']]);
  assert.equal(errors('BEGIN < for ($kv : @nope) < > >'), [['`@nope` is iterated but never assigned', undefined]]);
  assert.equal(errors('BEGIN < @a[1] = avg(3); for ($kv : @a) < > >'), [['cannot iterate over `@a`: its values are avg() aggregations',
    'only count(), sum(), min() and max() maps can be iterated; print it with print(@a)']]);
  assert.equal(errors('BEGIN < @h[1] = hist(3); for ($kv : @h) < > >')[0]![0], 'cannot iterate over `@h`: its values are hist() aggregations');
  assert.equal(errors('BEGIN < @m[1] = 1; for ($kv : @m) < $kv.2; > >'), [['a 2-tuple has no element `2`', 'use .0 to .1']]);
  assert.equal(errors('BEGIN < @m[1] = 1; $x = len(@m[1]); >'), [['`len()` counts a whole map: write `len(@m)`', undefined]]);
  assert.equal(errors('BEGIN < @h[1] = hist(1); $x = len(@h); >')[0]![0], '`len()` cannot count `@h`: its hist() buckets are entries of their own');
  assert.equal(errors('BEGIN < $x = len(5); >'), [['`len()` takes a map or a stack, not an integer', undefined]]);
  assert.equal(errors('BEGIN < $x = len(); >'), [['`len()` takes one map (`len(@m)`) or stack (`len(kstack)`)', undefined]]);
  assert.equal(errors('BEGIN < $s = kstack; $x = len($s); >'), [['`len()` of a stack needs `kstack` or `ustack` itself', 'a stored stack keeps only its id; write `len(kstack)`']]);
  assert.equal(errors('BEGIN < @m[1] = 1; for ($kv : @m) < > break; >'), [['`break` outside a loop', undefined]]);
  const long = 'x'.repeat(150);
  assert.match(errors(`BEGIN < @m[1] = 1; $a = "${long}"; $b = "${long}"; for ($kv : @m) < let $x = "${long}"; let $y = "${long}"; printf("%s%s%s%s", $a, $b, $x, $y); > >`)[0]![0]!,
    /the program and its loop callbacks need \d+ bytes of stack together; eBPF allows 512/);
});

t('len(kstack): bpf_get_stack into a per-CPU scratch buffer, no stack-trace map', () => {
  const r = build('BEGIN < printf("%d\\n", len(kstack)); >');
  assert.equal(r.artifact!.maps.map((m) => [m.name, m.type, m.valueSize]).filter(([n]) => n === 'tsbt_stackbuf' || n === 'tsbt_stacks'),
    [['tsbt_stackbuf', 'percpu_array', 8 * 127]]);
  const lines = disassembly('BEGIN < printf("%d %d\\n", len(kstack), len(ustack(5))); >');
  assert.is(lines.filter((l) => l === 'call get_stack#67').length, 2);
  assert.ok(lines.includes('r3 = 0x3f8') && lines.includes('r3 = 0x28'), '127 and 5 frames of 8 bytes');
  assert.ok(lines.includes('r4 = 0x100'), 'BPF_F_USER_STACK for ustack');
});

t.run();
