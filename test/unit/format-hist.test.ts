// The histogram bucket functions (runtime/format/hist.ts): value → index as bpftrace's eBPF computes
// it, index → label as bpftrace prints it. Each expected label was printed by bpftrace v0.17.0 for the
// value next to it (the command is above each table); hist(n, k) with k > 0 is newer than 0.17, so
// those expectations come from the newest bpftrace's own tests and docs, as noted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  hist2BucketEnd,
  hist2BucketStart,
  hist2Index,
  hist2Label,
  hist2MaxIndex,
  lhistBucketCount,
  lhistIndex,
  lhistLabel,
} from '../../runtime/format/index.ts';

const h = suite('format: hist() buckets');

// bpftrace -e 'BEGIN { @h[0] = hist(-9223372036854775807); @h[1] = hist(-5); ... exit(); }', one
// key per value below; each key's histogram has a single bucket, whose label is the expectation.
const HIST_017: [bigint, string][] = [
  [-9223372036854775807n, '(..., 0)'],
  [-5n, '(..., 0)'],
  [-1n, '(..., 0)'],
  [0n, '[0]'],
  [1n, '[1]'],
  [2n, '[2, 4)'],
  [3n, '[2, 4)'],
  [4n, '[4, 8)'],
  [5n, '[4, 8)'],
  [7n, '[4, 8)'],
  [8n, '[8, 16)'],
  [15n, '[8, 16)'],
  [16n, '[16, 32)'],
  [100n, '[64, 128)'],
  [1023n, '[512, 1K)'],
  [1024n, '[1K, 2K)'],
  [1025n, '[1K, 2K)'],
  [65535n, '[32K, 64K)'],
  [65536n, '[64K, 128K)'],
  [1000000n, '[512K, 1M)'],
  [1048576n, '[1M, 2M)'],
  [2147483647n, '[1G, 2G)'],
  [2147483648n, '[2G, 4G)'],
  [4294967295n, '[2G, 4G)'],
];

h('hist(n): every value lands in the bucket bpftrace 0.17 prints it in', () => {
  for (const [value, label] of HIST_017) assert.is(hist2Label(hist2Index(value, 0), 0), label, `hist(${value})`);
});

h('hist(n): the index is 0 below zero, 1 for zero, then 2 + floor(log2 n)', () => {
  assert.equal(
    [-1n, 0n, 1n, 2n, 3n, 4n, 7n, 8n, 1n << 20n].map((v) => hist2Index(v, 0)),
    [0, 1, 2, 3, 3, 4, 4, 5, 22],
  );
});

// bpftrace 0.17 finds the highest bit with five shift steps (16, 8, 4, 2, 1), so every value from
// 2^32 up lands in [2G, 4G): `bpftrace -e 'BEGIN { @k = hist(0x7fffffffffffffff); exit(); }'` prints
// `[2G, 4G)`. The newest codegen (createLog2Function, six steps from 32) fixed that; we follow it.
h('hist(n): values of 2^32 and more get their own buckets (newest bpftrace, not 0.17)', () => {
  assert.is(hist2Label(hist2Index(1n << 32n, 0), 0), '[4G, 8G)');
  assert.is(hist2Label(hist2Index(1n << 40n, 0), 0), '[1T, 2T)');
  assert.is(hist2Label(hist2Index((1n << 63n) - 1n, 0), 0), '[4E, 8E)');
  assert.is(hist2MaxIndex(0), 64);
});

// The value is the 64-bit pattern, compared as signed: `bpftrace -e 'BEGIN { @j =
// hist(0xffffffffffffffff); exit(); }'` prints `(..., 0)`, and an unsigned 2^63 does the same.
h('hist(n): an unsigned value of 2^63 or more counts as negative', () => {
  assert.is(hist2Index(0xffffffffffffffffn, 0), 0);
  assert.is(hist2Index(1n << 63n, 0), 0);
  assert.is(hist2Index(-1n, 3), 0);
});

// createLog2Function's own example: "if VAL = 225 (0b11100001) and K = 2 ... the returned value is 28".
h('hist(n, k): the worked example of bpftrace’s codegen', () => {
  assert.is(hist2Index(225n, 2), 28);
  assert.is(hist2Label(28, 2), '[224, 256)');
  assert.equal([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n].map((v) => hist2Index(v, 2)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]);
});

// The newest bpftrace's tests/runtime/outputs/hist_2args.json: every value from 0 to 1023 in
// hist(n, 3). Its buckets are [0]..[15] one value each, then 8 buckets per power of two: [16, 18),
// [18, 20) ... [960, 1024), each listed there with its inclusive min and max.
h('hist(n, 3): the buckets of 0..1023 match bpftrace’s hist_2args test', () => {
  const buckets = new Map<number, number>();
  for (let v = 0n; v < 1024n; v++) {
    const i = hist2Index(v, 3);
    buckets.set(i, (buckets.get(i) ?? 0) + 1);
  }
  const expected: [number, number, number][] = [];
  for (let v = 0; v < 16; v++) expected.push([v, v, 1]);
  for (let size = 2; size <= 64; size *= 2) {
    for (let j = 0; j < 8; j++) expected.push([size * (8 + j), size * (8 + j) + size - 1, size]);
  }
  const got = [...buckets].sort((a, b) => a[0] - b[0]).map(([i, count]) => [
    Number(hist2BucketStart(i, 3)),
    Number(hist2BucketEnd(i, 3) - 1n),
    count,
  ]);
  assert.equal(got, expected);
});

// The commit that added hist(n, k) (bpftrace PR #2831) shows `hist((nsecs & 0xff), 2)`:
// [0] [1] ... [7] [8, 10) [10, 12) [12, 14) [14, 16) [16, 20) ... [224, 256).
h('hist(n, 2): labels as in bpftrace’s example for hist(n, 2)', () => {
  const labels = new Set<string>();
  for (let v = 0n; v < 256n; v++) labels.add(hist2Label(hist2Index(v, 2), 2));
  const list = [...labels];
  assert.equal(list.slice(0, 12), ['[0]', '[1]', '[2]', '[3]', '[4]', '[5]', '[6]', '[7]', '[8, 10)', '[10, 12)', '[12, 14)', '[14, 16)']);
  assert.equal(list.slice(-4), ['[128, 160)', '[160, 192)', '[192, 224)', '[224, 256)']);
  assert.is(list.length, 8 + 5 * 4);
});

h('hist(n, k): suffixes follow the power of two of the bucket size', () => {
  assert.is(hist2Label(hist2Index(1536n, 1), 1), '[1536, 2K)');
  assert.is(hist2Label(hist2Index(3072n, 1), 1), '[3K, 4K)');
  assert.is(hist2Label(hist2Index(65n, 5), 5), '[64, 66)');
  assert.is(hist2Label(hist2Index(63n, 5), 5), '[63]');
  assert.is(hist2MaxIndex(5), (64 - 5) << 5);
});

h('hist(n, k): every bucket starts where the previous one ends', () => {
  for (let k = 0; k <= 5; k++) {
    for (let i = 1; i < hist2MaxIndex(k); i++) {
      assert.is(hist2BucketStart(i + 1, k), hist2BucketEnd(i, k), `k=${k} i=${i}`);
      const start = hist2BucketStart(i, k)!;
      assert.is(hist2Index(start, k), i, `k=${k} start of ${i}`);
      assert.is(hist2Index(hist2BucketEnd(i, k) - 1n, k), i, `k=${k} end of ${i}`);
    }
  }
});

h('hist(n, k): k outside 0..5 is refused', () => {
  assert.throws(() => hist2Index(1n, 6), /0 to 5/);
  assert.throws(() => hist2Label(1, -1), /0 to 5/);
});

h.run();

const l = suite('format: lhist() buckets');

// bpftrace -e 'BEGIN { @l[0] = lhist(-5, 0, 100, 10); @l[1] = lhist(-1, 0, 100, 10); ... exit(); }'
// and the same for each argument list below: one key per value, labelled as bpftrace 0.17 printed it.
const LHIST_017: [args: [number, number, number], value: bigint, label: string][] = [
  [[0, 100, 10], -5n, '(..., 0)'],
  [[0, 100, 10], -1n, '(..., 0)'],
  [[0, 100, 10], 0n, '[0, 10)'],
  [[0, 100, 10], 1n, '[0, 10)'],
  [[0, 100, 10], 9n, '[0, 10)'],
  [[0, 100, 10], 10n, '[10, 20)'],
  [[0, 100, 10], 55n, '[50, 60)'],
  [[0, 100, 10], 99n, '[90, 100)'],
  [[0, 100, 10], 100n, '[100, ...)'],
  [[0, 100, 10], 101n, '[100, ...)'],
  [[0, 100, 10], 1000n, '[100, ...)'],
  [[0, 100, 10], -9223372036854775807n, '(..., 0)'],
  [[20, 40, 5], 0n, '(..., 20)'],
  [[20, 40, 5], 19n, '(..., 20)'],
  [[20, 40, 5], 20n, '[20, 25)'],
  [[20, 40, 5], 24n, '[20, 25)'],
  [[20, 40, 5], 25n, '[25, 30)'],
  [[20, 40, 5], 39n, '[35, 40)'],
  [[20, 40, 5], 40n, '[40, ...)'],
  [[20, 40, 5], 41n, '[40, ...)'],
  // (max - min) is not a multiple of step: the last bucket also takes 20..24 and is labelled max.
  [[0, 25, 10], 0n, '[0, 10)'],
  [[0, 25, 10], 9n, '[0, 10)'],
  [[0, 25, 10], 10n, '[10, 20)'],
  [[0, 25, 10], 19n, '[10, 20)'],
  [[0, 25, 10], 20n, '[25, ...)'],
  [[0, 25, 10], 24n, '[25, ...)'],
  [[0, 25, 10], 25n, '[25, ...)'],
  [[0, 25, 10], 30n, '[25, ...)'],
  [[0, 8192, 1024], 0n, '[0, 1K)'],
  [[0, 8192, 1024], 1023n, '[0, 1K)'],
  [[0, 8192, 1024], 1024n, '[1K, 2K)'],
  [[0, 8192, 1024], 8191n, '[7K, 8K)'],
  [[0, 8192, 1024], 8192n, '[8K, ...)'],
  [[0, 8192, 1024], 9000n, '[8K, ...)'],
  [[3, 10, 1], 2n, '(..., 3)'],
  [[3, 10, 1], 3n, '[3, 4)'],
  [[3, 10, 1], 9n, '[9, 10)'],
  [[3, 10, 1], 10n, '[10, ...)'],
  [[3, 10, 1], 11n, '[10, ...)'],
];

l('lhist: every value lands in the bucket bpftrace 0.17 prints it in', () => {
  for (const [[min, max, step], value, label] of LHIST_017) {
    assert.is(lhistLabel(lhistIndex(value, min, max, step), min, max, step), label, `lhist(${value}, ${min}, ${max}, ${step})`);
  }
});

l('lhist: indexes are 0 below min, 1 + (n - min) / step in range, 1 + (max - min) / step above', () => {
  assert.equal([-1n, 0n, 9n, 10n, 99n, 100n, 5000n].map((v) => lhistIndex(v, 0, 100, 10)), [0, 1, 1, 2, 10, 11, 11]);
  assert.is(lhistBucketCount(0, 100, 10), 12);
  assert.is(lhistIndex(0xffffffffffffffffn, 0, 10, 1), 0, 'the value is compared as signed');
});

// bpftrace -e 'BEGIN { @p = lhist(1000, 0, 4096, 512); @p = lhist(2100, 0, 4096, 512); exit(); }'
// prints [512, 1K) [1K, 1536) [1536, 2K) [2K, 2560): 0.17 shortens multiples of 1024 whatever the step.
l('lhist: bounds that are multiples of 1K or 1M are shortened', () => {
  assert.equal([1, 2, 3, 4, 5].map((i) => lhistLabel(i, 0, 4096, 512)), ['[0, 512)', '[512, 1K)', '[1K, 1536)', '[1536, 2K)', '[2K, 2560)']);
  assert.is(lhistLabel(2, 0, 4194304, 1048576), '[1M, 2M)');
});

l('lhist: arguments bpftrace refuses are refused', () => {
  assert.throws(() => lhistIndex(1n, -1, 10, 1), /lhist/);
  assert.throws(() => lhistIndex(1n, 0, 10, 0), /lhist/);
  assert.throws(() => lhistIndex(1n, 10, 10, 1), /lhist/);
});

l.run();
