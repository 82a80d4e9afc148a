// hist(n[, k]) and lhist(n, min, max, step): per-CPU counts keyed by (script key, bucket index). The
// bucket index is computed in eBPF exactly as runtime/format/hist.ts documents it (bpftrace's log2()
// and linear()), so user space can label the buckets.

import type { Call } from '../../grammar/ast.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { VReg } from '../../compiler/ir/ir.ts';
import type { BuiltinFunction, Checker, Lowerer } from '../../compiler/registry.ts';
import type { HistShape, Type } from '../../compiler/types/types.ts';

const HIST_MAX_K = 5;

function constArg(call: Call, i: number, c: Checker, what: string, min: number, max: number): number | undefined {
  const e = call.args[i];
  if (!e) return undefined;
  const v = c.constantOf(e);
  if (v === undefined || v < BigInt(min) || v > BigInt(max)) {
    c.error(`${what} must be a constant from ${min} to ${max}`, e.span);
    return undefined;
  }
  return Number(v);
}

function countUp(l: Lowerer, value: VReg): void {
  const v = l.b.load(8, value, 0);
  l.b.alu('add', v, imm(1));
  l.b.store(8, value, 0, reg(v));
}

export const hist: BuiltinFunction = {
  name: 'hist', signature: 'hist(int n[, int k])', role: 'aggregation', aggregation: 'hist',
  summary: 'a log2 histogram of n; k (0-5) splits each power of two into 2^k buckets',
  check(call, c) {
    const [n] = call.args;
    if (!n || call.args.length > 2 || c.typeOf(n).kind !== 'int') c.error('`hist()` takes an integer and an optional constant k', call.span);
    const k = call.args.length > 1 ? constArg(call, 1, c, 'k', 0, HIST_MAX_K) ?? 0 : 0;
    const shape: HistShape = { kind: 'hist', k };
    return { kind: 'aggregation', agg: 'hist', signed: true, hist: shape } satisfies Type;
  },
  lowerBucket(call, l, base, off) {
    const shape = histShape(call, l);
    l.b.store(8, base, off, reg(log2Index(l, l.intReg(call.args[0]!), shape.k)));
  },
  lowerUpdate: (_call, l, value) => countUp(l, value),
};

export const lhist: BuiltinFunction = {
  name: 'lhist', signature: 'lhist(int n, int min, int max, int step)', role: 'aggregation', aggregation: 'lhist',
  summary: 'a linear histogram of n from min to max in steps',
  check(call, c) {
    const [n] = call.args;
    if (!n || call.args.length !== 4 || c.typeOf(n).kind !== 'int') {
      c.error('`lhist()` takes an integer and constant min, max and step', call.span);
      return { kind: 'aggregation', agg: 'lhist', signed: true, hist: { kind: 'lhist', min: 0, max: 1, step: 1 } };
    }
    const min = constArg(call, 1, c, 'min', 0, 2 ** 52) ?? 0;
    const max = constArg(call, 2, c, 'max', 0, 2 ** 52) ?? min + 1;
    const step = constArg(call, 3, c, 'step', 1, 2 ** 52) ?? 1;
    if (max <= min) c.error('max must be larger than min', call.args[2]!.span);
    else if ((max - min) / step > 1000) c.error('lhist would have more than 1000 buckets', call.span, 'use a larger step');
    return { kind: 'aggregation', agg: 'lhist', signed: true, hist: { kind: 'lhist', min, max, step } };
  },
  lowerBucket(call, l, base, off) {
    const min = Number(l.constantOf(call.args[1]!));
    const max = Number(l.constantOf(call.args[2]!));
    const step = Number(l.constantOf(call.args[3]!));
    l.b.store(8, base, off, reg(linearIndex(l, l.intReg(call.args[0]!), min, max, step)));
  },
  lowerUpdate: (_call, l, value) => countUp(l, value),
};

function histShape(call: Call, l: Lowerer): { k: number } {
  return { k: call.args[1] ? Number(l.constantOf(call.args[1]) ?? 0n) : 0 };
}

/** Steps 1–6 of hist2Index (runtime/format/hist.ts), branch by branch. */
function log2Index(l: Lowerer, n: VReg, k: number): VReg {
  const b = l.b;
  const out = b.reg();
  const done = b.label('h2done');
  const mask = (1 << k) - 1;
  b.mov(out, imm(0));
  b.jcond('jslt', n, imm(0), done);
  b.mov(out, reg(n));
  b.alu('add', out, imm(1));
  b.jcond('jsle', n, imm(mask), done);
  // Highest set bit: six compare-and-shift steps on a copy.
  const v = b.reg();
  const bit = b.reg();
  b.mov(v, reg(n));
  b.mov(bit, imm(0));
  for (let i = 5; i >= 0; i--) {
    const shift = 1 << i;
    const skip = b.label('h2s');
    // Only 2^32 needs a 64-bit constant; the smaller limits fit a jump's immediate.
    if (shift === 32) {
      const limit = b.reg();
      b.emit({ op: 'ldimm64', dst: limit, value: 1n << 32n });
      b.jcond('jlt', v, reg(limit), skip);
    } else {
      b.jcond('jlt', v, imm(2 ** shift), skip);
    }
    b.alu('rsh', v, imm(shift));
    b.alu('add', bit, imm(shift));
    b.place(skip);
  }
  if (k === 0) {
    // No sub-buckets: the index is (l + 1) + 0 + 1.
    b.mov(out, reg(bit));
    b.alu('add', out, imm(2));
    b.place(done);
    return out;
  }
  b.alu('sub', bit, imm(k));
  const x = b.reg();
  b.mov(x, reg(n));
  b.alu('rsh', x, reg(bit));
  b.alu('and', x, imm(mask));
  b.mov(out, reg(bit));
  b.alu('add', out, imm(1));
  b.alu('lsh', out, imm(k));
  b.alu('add', out, reg(x));
  b.alu('add', out, imm(1));
  b.place(done);
  return out;
}

/** lhistIndex (runtime/format/hist.ts): below, within (1 + (n - min) / step), above. */
function linearIndex(l: Lowerer, n: VReg, min: number, max: number, step: number): VReg {
  const b = l.b;
  const out = b.reg();
  const done = b.label('lhdone');
  const inRange = b.label('lhin');
  b.mov(out, imm(0));
  const lo = constant(l, min);
  const hi = constant(l, max);
  b.jcond('jslt', n, lo, done);
  b.jcond('jsle', n, hi, inRange);
  b.mov(out, imm(1 + Math.floor((max - min) / step)));
  b.jmp(done);
  b.place(inRange);
  b.mov(out, reg(n));
  if (min !== 0) b.alu('sub', out, lo);
  if (step !== 1) b.alu('div', out, constant(l, step));
  b.alu('add', out, imm(1));
  b.place(done);
  return out;
}

function constant(l: Lowerer, v: number): { imm: number } | { reg: VReg } {
  if (v < 2 ** 31) return imm(v);
  const r = l.b.reg();
  l.b.emit({ op: 'ldimm64', dst: r, value: BigInt(v) });
  return reg(r);
}

