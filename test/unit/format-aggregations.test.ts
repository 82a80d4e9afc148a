// Aggregation maps (min, max, avg, stats, hist, lhist) and tuple values: decoding their per-CPU
// bytes, and printing them as text and as JSON. Unless a comment says otherwise, every expected string
// was printed by bpftrace v0.17.0 on a real kernel for the command above it (`Attaching 1 probe...`
// and, for the exit dump, its two leading newlines left out); the tests rebuild the same map contents
// as the raw bytes our eBPF maps hold and check that we print the same thing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FieldLayout, MapSpec, ValueKind } from '../../runtime/artifact.ts';
import {
  buildMapDump,
  decodeValue,
  hist2Index,
  jsonAttachedProbes,
  jsonExitMaps,
  jsonLostEvents,
  jsonMap,
  jsonPrintf,
  jsonTime,
  jsonValue,
  lhistIndex,
  renderExitMaps,
  renderMap,
  renderMaps,
  renderValue,
  type MapDump,
  type RawMapEntry,
} from '../../runtime/format/index.ts';

const NCPUS = 2;

const str = (offset: number, size = 16): FieldLayout => ({ kind: 'string', offset, size });
const s64 = (offset: number): FieldLayout => ({ kind: 'int', offset, size: 8, signed: true });
const HIST: ValueKind = { kind: 'hist', k: 0 };

type Key = (bigint | string)[];

// The bucket functions our eBPF programs use, to fill the maps as they would.
const hist2 = (v: bigint, k = 0) => hist2Index(v, k);
const lhistIdx = (v: bigint, min: number, max: number, step: number) => lhistIndex(v, min, max, step);

/** A C struct with the given fields, zero-padded to `size` bytes. */
function struct(size: number, fields: FieldLayout[], values: Key): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  fields.forEach((f, i) => {
    const v = values[i];
    if (f.kind === 'string') bytes.set(typeof v === 'string' ? new TextEncoder().encode(v).subarray(0, f.size - 1) : new Uint8Array(), f.offset);
    else if (f.size === 8) view.setBigUint64(f.offset, BigInt.asUintN(64, v as bigint), true);
    else if (f.size === 4) view.setUint32(f.offset, Number(BigInt.asUintN(32, v as bigint)), true);
    else if (f.size === 2) view.setUint16(f.offset, Number(BigInt.asUintN(16, v as bigint)), true);
    else view.setUint8(f.offset, Number(BigInt.asUintN(8, v as bigint)));
  });
  return bytes;
}

/** Per-CPU copies of a struct of u64 words, as a per-CPU lookup returns them. */
function perCpu(...copies: bigint[][]): Uint8Array {
  const words = copies[0].length;
  const bytes = new Uint8Array(8 * words * copies.length);
  const view = new DataView(bytes.buffer);
  copies.forEach((copy, cpu) => copy.forEach((w, i) => view.setBigUint64((cpu * words + i) * 8, BigInt.asUintN(64, w), true)));
  return bytes;
}

function keySize(fields: FieldLayout[]): number {
  const end = fields.length ? Math.max(...fields.map((f) => f.offset + f.size)) : 8;
  return (end + 7) & ~7;
}

function spec(scriptName: string, key: FieldLayout[] | undefined, value: ValueKind, keySize: number): MapSpec {
  const plain = value.kind === 'int' || value.kind === 'string' || value.kind === 'tuple';
  return {
    name: `tsbt_${scriptName.slice(1) || 'anon'}`,
    scriptName,
    type: plain ? 'hash' : 'percpu_hash',
    keySize,
    valueSize: plain ? value.size : value.kind === 'hist' || value.kind === 'lhist' ? 8 : 16,
    maxEntries: 4096,
    ...(key ? { key: { fields: key } } : {}),
    value,
  };
}

/**
 * A hist or lhist map: the script's key fields, then the u64 bucket index; each row gives one
 * script key and its non-zero buckets as [index, count] (spread over the two CPUs).
 */
function histDump(name: string, scriptKey: FieldLayout[], kind: ValueKind, rows: [Key, [number, bigint][]][]): MapDump {
  const end = scriptKey.length ? Math.max(...scriptKey.map((f) => f.offset + f.size)) : 0;
  const bucketOffset = (end + 7) & ~7;
  const fields = [...scriptKey, { kind: 'int', offset: bucketOffset, size: 8, signed: false } as FieldLayout];
  const s = spec(name, fields, kind, bucketOffset + 8);
  const raw: RawMapEntry[] = rows.flatMap(([key, buckets]) =>
    buckets.map(([index, count]) => ({
      key: struct(s.keySize, fields, [...key, BigInt(index)]),
      value: perCpu([count - count / 2n], [count / 2n]),
    })),
  );
  return buildMapDump(s, raw, NCPUS);
}

/** The buckets hist() fills for these values (as our eBPF program will, through hist2Index). */
function histOf(values: bigint[], index: (v: bigint) => number): [number, bigint][] {
  const counts = new Map<number, bigint>();
  for (const v of values) counts.set(index(v), (counts.get(index(v)) ?? 0n) + 1n);
  return [...counts];
}

/** A map whose per-CPU values are given as raw copies (16-byte structs for min/max/avg/stats). */
function aggDump(name: string, key: FieldLayout[] | undefined, kind: ValueKind, rows: [Key, Uint8Array][]): MapDump {
  const s = spec(name, key, kind, key ? keySize(key) : 8);
  return buildMapDump(s, rows.map(([k, value]) => ({ key: key ? struct(s.keySize, key, k) : new Uint8Array(8), value })), NCPUS);
}

const avgOf = (...values: bigint[]) => perCpu([values.reduce((a, b) => a + b, 0n), BigInt(values.length)], [0n, 0n]);
const setOn = (cpu0: bigint | undefined, cpu1: bigint | undefined) => perCpu([cpu0 ?? 0n, cpu0 === undefined ? 0n : 1n], [cpu1 ?? 0n, cpu1 === undefined ? 0n : 1n]);

const d = suite('format: decoding aggregations');

d('min and max keep the CPUs that set a value; none set reads 0', () => {
  const MIN: ValueKind = { kind: 'min', signed: true };
  const MAX: ValueKind = { kind: 'max', signed: true };
  assert.is(decodeValue(MIN, setOn(5n, -3n), true, 2), -3n);
  assert.is(decodeValue(MAX, setOn(-7n, undefined), true, 2), -7n, 'an unset CPU (value 0) does not count');
  assert.is(decodeValue(MAX, setOn(undefined, undefined), true, 2), 0n);
  assert.is(decodeValue({ kind: 'max', signed: false }, setOn(-1n, 5n), true, 2), 0xffffffffffffffffn);
});

d('avg and stats add totals and counts over the CPUs; the average truncates toward zero', () => {
  const raw = perCpu([-4n, 1n], [-3n, 1n]);
  assert.is(decodeValue({ kind: 'avg', signed: true }, raw, true, 2), -3n);
  assert.equal(decodeValue({ kind: 'stats', signed: true }, raw, true, 2), { kind: 'stats', count: 2n, average: -3n, total: -7n });
  assert.equal(decodeValue({ kind: 'stats', signed: true }, perCpu([0n, 0n], [0n, 0n]), true, 2), { kind: 'stats', count: 0n, average: 0n, total: 0n });
});

d('tuples decode field by field; hist entries group by script key', () => {
  const fields = [s64(0), str(8, 8)];
  assert.equal(decodeValue({ kind: 'tuple', size: 16, fields }, struct(16, fields, [-3n, 'ab']), false, 2), { kind: 'tuple', values: [-3n, 'ab'] });
  const dump = histDump('@h', [str(0)], HIST, [[['a'], [[3, 2n], [5, 1n]]], [['b'], [[0, 4n]]]]);
  assert.is(dump.keyed, true);
  assert.equal(dump.keyFields, [str(0)]);
  assert.equal(dump.entries, [
    { key: ['a'], value: { kind: 'hist', buckets: [{ index: 3, count: 2n }, { index: 5, count: 1n }] } },
    { key: ['b'], value: { kind: 'hist', buckets: [{ index: 0, count: 4n }] } },
  ]);
  assert.throws(() => histDump('@h', [], HIST, [[[], [[65, 1n]]]]), /past its last bucket 64/);
});

d.run();

const t = suite('format: aggregation text output');

// bpftrace -e 'BEGIN { @h = hist(0); @h = hist(1); @h = hist(5); @h = hist(-1); @h = hist(1000000);
//   exit(); }'
// bpftrace 0.17 ends the header with a space (`@h: `); the newest bpftrace docs (docs/stdlib.md: the
// print(), hist() and socket_cookie() examples) print `@h:`, and we follow them.
t('a scalar hist: header, buckets from the first to the last non-zero one, blank line', () => {
  const dump = histDump('@h', [], HIST, [[[], histOf([0n, 1n, 5n, -1n, 1000000n], (v) => hist2(v))]]);
  assert.is(
    renderExitMaps([dump]),
    '\n\n@h:\n' +
      '(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[2, 4)                 0 |                                                    |\n' +
      '[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[8, 16)                0 |                                                    |\n' +
      '[16, 32)               0 |                                                    |\n' +
      '[32, 64)               0 |                                                    |\n' +
      '[64, 128)              0 |                                                    |\n' +
      '[128, 256)             0 |                                                    |\n' +
      '[256, 512)             0 |                                                    |\n' +
      '[512, 1K)              0 |                                                    |\n' +
      '[1K, 2K)               0 |                                                    |\n' +
      '[2K, 4K)               0 |                                                    |\n' +
      '[4K, 8K)               0 |                                                    |\n' +
      '[8K, 16K)              0 |                                                    |\n' +
      '[16K, 32K)             0 |                                                    |\n' +
      '[32K, 64K)             0 |                                                    |\n' +
      '[64K, 128K)            0 |                                                    |\n' +
      '[128K, 256K)           0 |                                                    |\n' +
      '[256K, 512K)           0 |                                                    |\n' +
      '[512K, 1M)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n',
  );
});

// bpftrace -e 'BEGIN { @h["a"] = hist(3); @h["a"] = hist(3); @h["a"] = hist(3); @h["b"] = hist(100);
//   @h["c"] = hist(5); @h["c"] = hist(5); @h["c"] = hist(1000); exit(); }'
// (header spaces dropped as above)
t('keyed hists sort by their total count, smallest first', () => {
  const dump = histDump('@h', [str(0)], HIST, [
    [['a'], histOf([3n, 3n, 3n], hist2)],
    [['b'], histOf([100n], hist2)],
    [['c'], histOf([5n, 5n, 1000n], hist2)],
  ]);
  assert.is(
    renderMap(dump),
    '@h[b]:\n' +
      '[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@h[a]:\n' +
      '[2, 4)                 3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@h[c]:\n' +
      '[4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[8, 16)                0 |                                                    |\n' +
      '[16, 32)               0 |                                                    |\n' +
      '[32, 64)               0 |                                                    |\n' +
      '[64, 128)              0 |                                                    |\n' +
      '[128, 256)             0 |                                                    |\n' +
      '[256, 512)             0 |                                                    |\n' +
      '[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
      '\n',
  );
});

// bpftrace -e 'BEGIN { @l = lhist(5, 0, 100, 10); @l = lhist(-1, 0, 100, 10); @l = lhist(100, 0, 100, 10);
//   @l = lhist(150, 0, 100, 10); @d = lhist(1024, 0, 8192, 1024); @d = lhist(9000, 0, 8192, 1024);
//   @n = lhist(3, 0, 10, 1); @n = lhist(5, 0, 10, 1); exit(); }'
// (header spaces dropped as above; the `[3, 4)` form for step 1 is also what the newest docs show)
t('lhist: (..., min), [a, b) and [max, ...) buckets, K suffixes, step 1', () => {
  const lhist = (min: number, max: number, step: number): ValueKind => ({ kind: 'lhist', min, max, step });
  const lin = (min: number, max: number, step: number) => (v: bigint) => lhistIdx(v, min, max, step);
  const out = renderExitMaps([
    histDump('@l', [], lhist(0, 100, 10), [[[], histOf([5n, -1n, 100n, 150n], lin(0, 100, 10))]]),
    histDump('@d', [], lhist(0, 8192, 1024), [[[], histOf([1024n, 9000n], lin(0, 8192, 1024))]]),
    histDump('@n', [], lhist(0, 10, 1), [[[], histOf([3n, 5n], lin(0, 10, 1))]]),
  ]);
  assert.is(
    out,
    '\n\n@d:\n' +
      '[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[2K, 3K)               0 |                                                    |\n' +
      '[3K, 4K)               0 |                                                    |\n' +
      '[4K, 5K)               0 |                                                    |\n' +
      '[5K, 6K)               0 |                                                    |\n' +
      '[6K, 7K)               0 |                                                    |\n' +
      '[7K, 8K)               0 |                                                    |\n' +
      '[8K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@l:\n' +
      '(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
      '[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
      '[10, 20)               0 |                                                    |\n' +
      '[20, 30)               0 |                                                    |\n' +
      '[30, 40)               0 |                                                    |\n' +
      '[40, 50)               0 |                                                    |\n' +
      '[50, 60)               0 |                                                    |\n' +
      '[60, 70)               0 |                                                    |\n' +
      '[70, 80)               0 |                                                    |\n' +
      '[80, 90)               0 |                                                    |\n' +
      '[90, 100)              0 |                                                    |\n' +
      '[100, ...)             2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@n:\n' +
      '[3, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[4, 5)                 0 |                                                    |\n' +
      '[5, 6)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n',
  );
});

// bpftrace -e 'BEGIN { unroll(15) { @l = lhist(1, 0, 10, 1); } unroll(26) { @l = lhist(2, 0, 10, 1); }
//   unroll(15) { @m = hist(1); } unroll(52) { @m = hist(2); } exit(); }'
// In double precision 15 / 26 * 52 is 29.99…; bpftrace computes it in float and draws 30.
t('bars are computed in single precision, as bpftrace’s float', () => {
  const l = histDump('@l', [], { kind: 'lhist', min: 0, max: 10, step: 1 }, [[[], [[2, 15n], [3, 26n]]]]);
  const m = histDump('@m', [], HIST, [[[], [[2, 15n], [3, 52n]]]]);
  assert.is(
    renderMaps([l, m]),
    '@l:\n' +
      '[1, 2)                15 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                      |\n' +
      '[2, 3)                26 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@m:\n' +
      '[1]                   15 |@@@@@@@@@@@@@@@                                     |\n' +
      '[2, 4)                52 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n',
  );
});

// bpftrace -e 'BEGIN { @h["a"] = hist(3); @h["a"] = hist(3); @h["a"] = hist(3); @h["b"] = hist(100);
//   @h["c"] = hist(5); @h["c"] = hist(5); @h["c"] = hist(1000); print(@h, 2, 2);
//   @l["a"] = lhist(3, 0, 10, 1); @l["a"] = lhist(3, 0, 10, 1); @l["a"] = lhist(3, 0, 10, 1);
//   @l["b"] = lhist(5, 0, 10, 1); print(@l, 1, 2); clear(@h); clear(@l); exit(); }'
// top keeps the largest totals; div divides the printed counts but 0.17 draws the bars from the
// undivided ones (so `0` with 26 `@`); lhist ignores div.
t('print(@hist, top, div)', () => {
  const h = histDump('@h', [str(0)], HIST, [
    [['a'], histOf([3n, 3n, 3n], hist2)],
    [['b'], histOf([100n], hist2)],
    [['c'], histOf([5n, 5n, 1000n], hist2)],
  ]);
  assert.is(
    renderMap(h, { top: 2, div: 2 }),
    '@h[a]:\n' +
      '[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '\n' +
      '@h[c]:\n' +
      '[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
      '[8, 16)                0 |                                                    |\n' +
      '[16, 32)               0 |                                                    |\n' +
      '[32, 64)               0 |                                                    |\n' +
      '[64, 128)              0 |                                                    |\n' +
      '[128, 256)             0 |                                                    |\n' +
      '[256, 512)             0 |                                                    |\n' +
      '[512, 1K)              0 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
      '\n',
  );
  const l = histDump('@l', [str(0)], { kind: 'lhist', min: 0, max: 10, step: 1 }, [
    [['a'], [[4, 3n]]],
    [['b'], [[6, 1n]]],
  ]);
  assert.is(renderMap(l, { top: 1, div: 2 }), '@l[a]:\n[3, 4)                 3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n');
});

// bpftrace -e 'BEGIN { @t[1, "x"] = (-3, "ab"); @t[0, "y"] = (7, ""); @a["a"] = avg(10); @a["b"] = avg(1);
//   @a["b"] = avg(2); @a["c"] = avg(-4); @a["c"] = avg(-3); @s = stats(1); @s = stats(2); @s = stats(-9);
//   @n["a"] = min(10); @n["b"] = min(1); @n["b"] = min(-4); @x["a"] = max(3); @x["b"] = max(7); exit(); }'
t('avg, stats, min, max and tuple maps', () => {
  const tupleFields = [s64(0), str(8, 8)];
  const tupleKind: ValueKind = { kind: 'tuple', size: 16, fields: tupleFields };
  const out = renderExitMaps([
    aggDump('@t', [s64(0), str(8)], tupleKind, [
      [[1n, 'x'], struct(16, tupleFields, [-3n, 'ab'])],
      [[0n, 'y'], struct(16, tupleFields, [7n, ''])],
    ]),
    aggDump('@a', [str(0)], { kind: 'avg', signed: true }, [[['a'], avgOf(10n)], [['b'], avgOf(1n, 2n)], [['c'], avgOf(-4n, -3n)]]),
    aggDump('@s', undefined, { kind: 'stats', signed: true }, [[[], avgOf(1n, 2n, -9n)]]),
    aggDump('@n', [str(0)], { kind: 'min', signed: true }, [[['a'], setOn(10n, undefined)], [['b'], setOn(1n, -4n)]]),
    aggDump('@x', [str(0)], { kind: 'max', signed: true }, [[['a'], setOn(undefined, 3n)], [['b'], setOn(7n, 7n)]]),
  ]);
  assert.is(
    out,
    '\n\n@a[c]: -3\n@a[b]: 1\n@a[a]: 10\n\n' +
      '@n[b]: -4\n@n[a]: 10\n' +
      '@s: count 3, average -2, total -6\n\n' +
      '@t[0, y]: (7, )\n@t[1, x]: (-3, ab)\n' +
      '@x[a]: 3\n@x[b]: 7\n',
  );
});

// bpftrace -e 'BEGIN { @m["a"] = max(10); @m["b"] = max(1); @m["c"] = max(-4); @m["d"] = max(5); exit(); }'
// prints @m[b]: 1, @m[d]: 5, @m[a]: 10 — 0.17 starts max() from 0, so @m[c] never gets a value and is
// left out. The newest docs say "there is no default value. The first value you pass to max() will
// always be returned", and our maps keep an isSet flag: @m[c] prints -4.
t('max() of negative values is kept (newest docs, not 0.17)', () => {
  const dump = aggDump('@m', [str(0)], { kind: 'max', signed: true }, [
    [['a'], setOn(10n, undefined)],
    [['b'], setOn(1n, undefined)],
    [['c'], setOn(-4n, undefined)],
    [['d'], setOn(5n, undefined)],
  ]);
  assert.is(renderMap(dump), '@m[c]: -4\n@m[b]: 1\n@m[d]: 5\n@m[a]: 10\n');
});

// bpftrace -e 'BEGIN { @c[1] = sum(100); @c[2] = sum(7); @c[3] = sum(55); @c[4] = sum(-9); print(@c, 2);
//   print(@c, 2, 10); print(@c, 0, 10); print(@c, 10, 3);
//   @s["a"] = stats(10); @s["b"] = stats(1); @s["c"] = stats(-4); @s["d"] = stats(5); print(@s, 2, 3);
//   @a["a"] = avg(10); @a["b"] = avg(1); @a["c"] = avg(-4); @a["d"] = avg(5); print(@a, 3, 2);
//   @n["a"] = min(10); @n["b"] = min(1); @n["c"] = min(-4); @n["d"] = min(5); print(@n, 3, 2);
//   @x = 5; print(@x, 0, 2); @st[1] = "a"; @st[2] = "b"; @st[3] = "c"; print(@st, 2); ... exit(); }'
// (bpftrace warns at compile time that top and div are ignored for stats maps)
t('print(@m, top, div): the largest entries, divided, truncating toward zero', () => {
  const sum = aggDump('@c', [s64(0)], { kind: 'sum', signed: true }, [
    [[1n], perCpu([100n], [0n])],
    [[2n], perCpu([3n], [4n])],
    [[3n], perCpu([55n], [0n])],
    [[4n], perCpu([-10n], [1n])],
  ]);
  assert.is(renderMap(sum, { top: 2 }), '@c[3]: 55\n@c[1]: 100\n');
  assert.is(renderMap(sum, { top: 2, div: 10 }), '@c[3]: 5\n@c[1]: 10\n');
  assert.is(renderMap(sum, { top: 0, div: 10 }), '@c[4]: 0\n@c[2]: 0\n@c[3]: 5\n@c[1]: 10\n');
  assert.is(renderMap(sum, { top: 10, div: 3 }), '@c[4]: -3\n@c[2]: 2\n@c[3]: 18\n@c[1]: 33\n');
  const stats = aggDump('@s', [str(0)], { kind: 'stats', signed: true }, [
    [['a'], avgOf(10n)], [['b'], avgOf(1n)], [['c'], avgOf(-4n)], [['d'], avgOf(5n)],
  ]);
  assert.is(
    renderMap(stats, { top: 2, div: 3 }),
    '@s[c]: count 1, average -4, total -4\n@s[b]: count 1, average 1, total 1\n' +
      '@s[d]: count 1, average 5, total 5\n@s[a]: count 1, average 10, total 10\n\n',
  );
  const avg = aggDump('@a', [str(0)], { kind: 'avg', signed: true }, [
    [['a'], avgOf(10n)], [['b'], avgOf(1n)], [['c'], avgOf(-4n)], [['d'], avgOf(5n)],
  ]);
  assert.is(renderMap(avg, { top: 3, div: 2 }), '@a[b]: 0\n@a[d]: 2\n@a[a]: 5\n\n');
  const min = aggDump('@n', [str(0)], { kind: 'min', signed: true }, [
    [['a'], setOn(10n, undefined)], [['b'], setOn(1n, undefined)], [['c'], setOn(-4n, undefined)], [['d'], setOn(5n, undefined)],
  ]);
  assert.is(renderMap(min, { top: 3, div: 2 }), '@n[b]: 0\n@n[d]: 2\n@n[a]: 5\n');
  assert.is(renderMap(aggDump('@x', undefined, { kind: 'int', size: 8, signed: true }, [[[], struct(8, [s64(0)], [5n])]]), { div: 2 }), '@x: 2\n');
  const strings = aggDump('@st', [s64(0)], { kind: 'string', size: 8 }, [
    [[1n], struct(8, [str(0, 8)], ['a'])], [[2n], struct(8, [str(0, 8)], ['b'])], [[3n], struct(8, [str(0, 8)], ['c'])],
  ]);
  assert.is(renderMap(strings, { top: 2 }), '@st[2]: b\n@st[3]: c\n');
});

// bpftrace -e 'BEGIN { @h[1] = hist(5); zero(@h); print(@h); @g[1] = hist(5); clear(@g); print(@g);
//   @s = stats(3); clear(@s); print(@s); @st[1] = stats(4); zero(@st); print(@st); @m = max(4); zero(@m);
//   print(@m); exit(); }'
t('empty and zeroed aggregations', () => {
  assert.is(renderMap(histDump('@h', [s64(0)], HIST, [[[1n], [[4, 0n]]]])), '@h[1]:\n\n', 'a zeroed hist entry: header and blank line');
  assert.is(renderMap(histDump('@g', [s64(0)], HIST, [])), '\n', 'an empty hist map: a blank line');
  assert.is(renderMap(aggDump('@s', undefined, { kind: 'stats', signed: true }, [])), '\n\n', 'an empty stats map');
  assert.is(renderMap(aggDump('@st', [s64(0)], { kind: 'stats', signed: true }, [[[1n], perCpu([0n, 0n], [0n, 0n])]])), '@st[1]: count 0, average 0, total 0\n\n');
  assert.is(renderMap(aggDump('@m', undefined, { kind: 'max', signed: true }, [[[], setOn(undefined, undefined)]])), '@m: 0\n');
});

// bpftrace -e 'BEGIN { print((1, "abc")); print(5); print("str"); exit(); }'
t('print() of a value that is not a map', () => {
  assert.is(renderValue({ kind: 'tuple', values: [1n, 'abc'] }), '(1, abc)\n');
  assert.is(renderValue(5n), '5\n');
  assert.is(renderValue('str'), 'str\n');
});

// bpftrace -e 'BEGIN { @m["a\x1b[31mb"] = "c\td\n"; @n = "\xff\xfeok"; exit(); }' | od -c
// prints the bytes as they are: `@m[a 033 [31mb]: c \t d \n`, `@n: 377 376 ok`. We escape them by
// default (the terminal would otherwise obey the escape sequence), and print them as they are with
// `raw: true`.
t('strings in keys and values are escaped unless raw', () => {
  const m = aggDump('@m', [str(0)], { kind: 'string', size: 16 }, [[['a\x1b[31mb'], struct(16, [str(0)], ['c\td\n'])]]);
  const nBytes = new Uint8Array(16);
  nBytes.set([0xff, 0xfe, 0x6f, 0x6b]);
  const n = aggDump('@n', undefined, { kind: 'string', size: 16 }, [[[], nBytes]]);
  assert.is(renderMaps([m, n]), '@m[a\\x1b[31mb]: c\\x09d\\x0a\n@n: \\xff\\xfeok\n');
  assert.is(renderMaps([m, n], { raw: true }), '@m[a\x1b[31mb]: c\td\n\n@n: \udcff\udcfeok\n');
  assert.is(renderValue({ kind: 'tuple', values: [1n, 'x\x07'] }), '(1, x\\x07)\n');
});

t.run();

const j = suite('format: JSON output (golden, bpftrace 0.17 -f json)');

// bpftrace -f json -e 'BEGIN { printf("hi \"there\"\t\x01\\\n"); @x = 5; @c["a"] = count(); @c["b"] = count();
//   @c["b"] = count(); @t["a", 2] = sum(-3); @h = hist(5); @h = hist(-1); @hk["a"] = hist(100);
//   @l = lhist(3, 20, 40, 5); @l = lhist(27, 20, 40, 5); @l = lhist(99, 20, 40, 5); @s = stats(3);
//   @sk["q"] = stats(5); @a = avg(4); @ak[1] = avg(-7); @mi = min(-2); @tu = (1, "abc"); @tk[1] = (2, "x");
//   @str = "a\"b\x1b"; @e[1] = 1; delete(@e[1]); print(5); print("x"); print((1,"a")); print(@c, 1, 2);
//   @p["z"] = hist(3); @p["z"] = hist(3); @p["z"] = hist(3); @p["y"] = hist(3); print(@p, 1, 2); exit(); }'
const JSON_OUT = [
  '{"type": "attached_probes", "data": {"probes": 1}}',
  '{"type": "printf", "data": "hi \\"there\\"\\t\\u0001\\\\\\n"}',
  '{"type": "value", "data": 5}',
  '{"type": "value", "data": "x"}',
  '{"type": "value", "data": [1,"a"]}',
  '{"type": "map", "data": {"@c": {"b": 1}}}',
  '{"type": "hist", "data": {"@p": {"z": [{"min": 2, "max": 3, "count": 1}]}}}',
  // 0.17 prints two blank lines here, before the exit dump; we do not (see json.ts).
  '{"type": "stats", "data": {"@a": 4}}',
  '{"type": "stats", "data": {"@ak": {"1": -7}}}',
  '{"type": "map", "data": {"@c": {"a": 1, "b": 2}}}',
  '{"type": "hist", "data": {"@h": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 0}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 7, "count": 1}]}}',
  '{"type": "hist", "data": {"@hk": {"a": [{"min": 64, "max": 127, "count": 1}]}}}',
  '{"type": "hist", "data": {"@l": [{"max": 19, "count": 1}, {"min": 20, "max": 24, "count": 0}, {"min": 25, "max": 29, "count": 1}, {"min": 30, "max": 34, "count": 0}, {"min": 35, "max": 39, "count": 0}, {"min": 40, "count": 1}]}}',
  '{"type": "map", "data": {"@mi": -2}}',
  '{"type": "hist", "data": {"@p": {"y": [{"min": 2, "max": 3, "count": 1}], "z": [{"min": 2, "max": 3, "count": 3}]}}}',
  '{"type": "stats", "data": {"@s": {"count": 1, "average": 3, "total": 3}}}',
  '{"type": "stats", "data": {"@sk": {"q": {"count": 1, "average": 5, "total": 5}}}}',
  '{"type": "map", "data": {"@str": "a\\"b\\u001b"}}',
  '{"type": "map", "data": {"@t": {"a,2": -3}}}',
  '{"type": "map", "data": {"@tk": {"1": [2,"x"]}}}',
  '{"type": "map", "data": {"@tu": [1,"abc"]}}',
  '{"type": "map", "data": {"@x": 5}}',
];

j('events, print() values and every kind of map, line by line', () => {
  const lhist: ValueKind = { kind: 'lhist', min: 20, max: 40, step: 5 };
  const tupleFields = [s64(0), str(8, 8)];
  const tuple: ValueKind = { kind: 'tuple', size: 16, fields: tupleFields };
  const count = (n: bigint) => perCpu([n - n / 2n], [n / 2n]);
  const c = aggDump('@c', [str(0)], { kind: 'count' }, [[['a'], count(1n)], [['b'], count(2n)]]);
  const p = histDump('@p', [str(0)], HIST, [[['z'], [[3, 3n]]], [['y'], [[3, 1n]]]]);
  const maps = [
    aggDump('@x', undefined, { kind: 'int', size: 8, signed: true }, [[[], struct(8, [s64(0)], [5n])]]),
    c,
    aggDump('@t', [str(0), s64(16)], { kind: 'sum', signed: true }, [[['a', 2n], perCpu([-3n], [0n])]]),
    histDump('@h', [], HIST, [[[], histOf([5n, -1n], hist2)]]),
    histDump('@hk', [str(0)], HIST, [[['a'], histOf([100n], hist2)]]),
    histDump('@l', [], lhist, [[[], histOf([3n, 27n, 99n], (v) => lhistIdx(v, 20, 40, 5))]]),
    aggDump('@s', undefined, { kind: 'stats', signed: true }, [[[], avgOf(3n)]]),
    aggDump('@sk', [str(0)], { kind: 'stats', signed: true }, [[['q'], avgOf(5n)]]),
    aggDump('@a', undefined, { kind: 'avg', signed: true }, [[[], avgOf(4n)]]),
    aggDump('@ak', [s64(0)], { kind: 'avg', signed: true }, [[[1n], avgOf(-7n)]]),
    aggDump('@mi', undefined, { kind: 'min', signed: true }, [[[], setOn(-2n, undefined)]]),
    aggDump('@tu', undefined, tuple, [[[], struct(16, tupleFields, [1n, 'abc'])]]),
    aggDump('@tk', [s64(0)], tuple, [[[1n], struct(16, tupleFields, [2n, 'x'])]]),
    aggDump('@str', undefined, { kind: 'string', size: 16 }, [[[], struct(16, [str(0)], ['a"b\x1b'])]]),
    aggDump('@e', [s64(0)], { kind: 'int', size: 8, signed: true }, []),
    p,
  ];
  const out =
    jsonAttachedProbes(1) +
    jsonPrintf(new TextEncoder().encode('hi "there"\t\x01\\\n')) +
    jsonValue(5n) +
    jsonValue('x') +
    jsonValue({ kind: 'tuple', values: [1n, 'a'] }) +
    jsonMap(c, { top: 1, div: 2 }) +
    jsonMap(p, { top: 1, div: 2 }) +
    jsonExitMaps(maps);
  assert.is(out, JSON_OUT.map((line) => line + '\n').join(''));
  for (const line of out.trimEnd().split('\n')) JSON.parse(line);
});

// bpftrace -f json -e 'BEGIN { @u = (uint64)0xffffffffffffffff; @n = -9223372036854775807;
//   @k["q\"\\\x01\xff"] = 1; @e[1] = 1; delete(@e[1]); print(@e); @h[1] = hist(5); zero(@h); print(@h);
//   time("%H\n"); exit(); }'
// prints {"type": "map", "data": {"@k": {"q\"\\\u0001\uffffffff": 1}}}: 0.17 writes the byte 0xff as
// `\uffffffff`, which is not JSON. We write U+FFFD, so every line parses.
j('numbers, control characters, bytes that are not UTF-8, empty maps', () => {
  const int = (v: bigint, signed: boolean): ValueKind => ({ kind: 'int', size: 8, signed });
  const keyBytesK = new Uint8Array(16);
  keyBytesK.set([0x71, 0x22, 0x5c, 0x01, 0xff]);
  const k = buildMapDump(spec('@k', [str(0)], int(0n, true), 16), [{ key: keyBytesK, value: struct(8, [s64(0)], [1n]) }], NCPUS);
  assert.is(jsonMap(k), '{"type": "map", "data": {"@k": {"q\\"\\\\\\u0001\ufffd": 1}}}\n');
  JSON.parse(jsonMap(k));
  assert.is(jsonMap(aggDump('@u', undefined, int(0n, false), [[[], struct(8, [s64(0)], [-1n])]])), '{"type": "map", "data": {"@u": 18446744073709551615}}\n');
  assert.is(
    jsonMap(aggDump('@n', undefined, int(0n, true), [[[], struct(8, [s64(0)], [-9223372036854775807n])]])),
    '{"type": "map", "data": {"@n": -9223372036854775807}}\n',
  );
  assert.is(jsonMap(aggDump('@e', [s64(0)], int(0n, true), [])), '', 'print() of an empty map writes nothing');
  assert.is(jsonMap(histDump('@h', [s64(0)], HIST, [[[1n], [[4, 0n]]]])), '{"type": "hist", "data": {"@h": {"1": []}}}\n');
  assert.is(jsonTime('04\n'), '{"type": "time", "data": "04\\n"}\n');
  assert.is(jsonPrintf(Uint8Array.of(0x61, 0xc3, 0x28, 0x0d, 0x08)), '{"type": "printf", "data": "a\ufffd(\\r\\u0008"}\n');
});

// No bpftrace run loses events on demand; this is the shape 0.17 writes (the text mode's
// `Lost 12 events`), as programs that read its output expect it.
j('lost events', () => {
  assert.is(jsonLostEvents(12), '{"type": "lost_events", "data": {"events": 12}}\n');
});

// hist(n, k) is newer than 0.17: the newest bpftrace's tests/runtime/outputs/hist_2args.json shows
// hist(n, 3) of 0..1023 as [{"min": 0, "max": 0, "count": 1}, ... {"min": 16, "max": 17, "count": 2},
// ... {"min": 960, "max": 1023, "count": 64}].
j('hist(n, k) buckets are written with their inclusive bounds', () => {
  const values: bigint[] = [];
  for (let v = 0n; v < 1024n; v++) values.push(v);
  const dump = histDump('@', [], { kind: 'hist', k: 3 }, [[[], histOf(values, (v) => hist2(v, 3))]]);
  const line = jsonMap(dump);
  assert.ok(line.startsWith('{"type": "hist", "data": {"@": [{"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 1}, '));
  assert.ok(line.includes('{"min": 15, "max": 15, "count": 1}, {"min": 16, "max": 17, "count": 2}, '));
  assert.ok(line.endsWith('{"min": 896, "max": 959, "count": 64}, {"min": 960, "max": 1023, "count": 64}]}}\n'));
});

j.run();
