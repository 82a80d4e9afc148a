// Decoding map bytes and printing maps. The golden strings were produced by bpftrace v0.17.0 on a
// real kernel (the command is above each); tests rebuild the same map contents as raw bytes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FieldLayout, MapSpec, MapType, ValueKind } from '../../runtime/artifact.ts';
import {
  buildMapDump,
  decodeEventArgs,
  decodeKey,
  decodeValue,
  renderExitMaps,
  renderMap,
  type MapDump,
  type RawMapEntry,
} from '../../runtime/format/index.ts';
import { presentEntries, resetValue } from '../../runtime/format/present.ts';

const NCPUS = 2;

const str = (offset: number, size = 16): FieldLayout => ({ kind: 'string', offset, size });
const s64 = (offset: number): FieldLayout => ({ kind: 'int', offset, size: 8, signed: true });
const u64 = (offset: number): FieldLayout => ({ kind: 'int', offset, size: 8, signed: false });
const COUNT: ValueKind = { kind: 'count' };
const SUM: ValueKind = { kind: 'sum', signed: true };
const INT: ValueKind = { kind: 'int', size: 8, signed: true };
const STRING: ValueKind = { kind: 'string', size: 16 };

/** A C struct with the given fields, zero-padded to `size` bytes. */
function struct(size: number, fields: FieldLayout[], values: (bigint | string)[]): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  fields.forEach((f, i) => {
    const v = values[i];
    if (f.kind === 'string') bytes.set(new TextEncoder().encode(v as string).subarray(0, f.size - 1), f.offset);
    else if (f.size === 8) view.setBigUint64(f.offset, BigInt.asUintN(64, v as bigint), true);
    else if (f.size === 4) view.setUint32(f.offset, Number(BigInt.asUintN(32, v as bigint)), true);
    else if (f.size === 2) view.setUint16(f.offset, Number(BigInt.asUintN(16, v as bigint)), true);
    else view.setUint8(f.offset, Number(BigInt.asUintN(8, v as bigint)));
  });
  return bytes;
}

/** A per-CPU u64 value as a lookup returns it: one 8-byte copy per CPU. */
function perCpu(...copies: bigint[]): Uint8Array {
  const bytes = new Uint8Array(8 * copies.length);
  copies.forEach((c, cpu) => new DataView(bytes.buffer).setBigUint64(cpu * 8, BigInt.asUintN(64, c), true));
  return bytes;
}

/** A user map as the compiler describes it: aggregations per-CPU, plain values in a plain hash. */
function mapSpec(scriptName: string, key: FieldLayout[] | undefined, value: ValueKind): MapSpec {
  const type: MapType = value.kind === 'count' || value.kind === 'sum' ? 'percpu_hash' : 'hash';
  const keyEnd = key ? Math.max(...key.map((f) => f.offset + f.size)) : 8;
  const valueSize = value.kind === 'int' || value.kind === 'string' ? value.size : 8;
  return {
    name: `tsbt_${scriptName.slice(1) || 'anon'}`,
    scriptName,
    type,
    keySize: (keyEnd + 7) & ~7,
    valueSize,
    maxEntries: 4096,
    ...(key ? { key: { fields: key } } : {}),
    value,
  };
}

type Row = [key: (bigint | string)[], value: bigint | string];

/** Encodes rows as the kernel would return them, spreading aggregations over the CPUs. */
function raw(spec: MapSpec, rows: Row[]): RawMapEntry[] {
  return rows.map(([key, value]) => ({
    key: spec.key ? struct(spec.keySize, spec.key.fields, key) : new Uint8Array(spec.keySize),
    value:
      typeof value === 'string'
        ? struct(spec.valueSize, [str(0, spec.valueSize)], [value])
        : spec.type === 'percpu_hash'
          ? perCpu(value - value / 2n, value / 2n) // exercise the per-CPU reduction
          : struct(spec.valueSize, [s64(0)], [value]),
  }));
}

function dump(name: string, key: FieldLayout[] | undefined, value: ValueKind, rows: Row[]): MapDump {
  const spec = mapSpec(name, key, value);
  return buildMapDump(spec, raw(spec, rows), NCPUS);
}

const d = suite('format: decoding map and event bytes');

d('ints of every size and sign decode little-endian as bigint', () => {
  const fields: FieldLayout[] = [
    { kind: 'int', offset: 0, size: 1, signed: true },
    { kind: 'int', offset: 1, size: 1, signed: false },
    { kind: 'int', offset: 2, size: 2, signed: true },
    { kind: 'int', offset: 4, size: 4, signed: false },
    { kind: 'int', offset: 8, size: 8, signed: true },
    { kind: 'int', offset: 16, size: 8, signed: false },
  ];
  const bytes = struct(24, fields, [-2n, 255n, -300n, 4000000000n, -5n, 2n ** 64n - 1n]);
  assert.equal(decodeKey({ fields }, bytes), [-2n, 255n, -300n, 4000000000n, -5n, 2n ** 64n - 1n]);
});

d('strings stop at the first NUL or at their size', () => {
  const bytes = new Uint8Array([0x61, 0x62, 0, 0x63, 0x64, 0x65, 0x66, 0x67]);
  assert.equal(decodeKey({ fields: [str(0, 4), str(3, 4)] }, bytes), ['ab', 'cdef']);
});

d('per-CPU count and sum add up the copies, each padded to 8 bytes', () => {
  assert.is(decodeValue(COUNT, perCpu(3n, 4n), true, 2), 7n);
  assert.is(decodeValue(SUM, perCpu(-10n, 3n), true, 2), -7n);
  assert.is(decodeValue({ kind: 'sum', signed: false }, perCpu(2n ** 64n - 1n, 2n), true, 2), 1n);
  assert.is(decodeValue(COUNT, perCpu(5n), false, 2), 5n, 'a non-per-CPU map has one copy');
});

d('printf event arguments: offsets from the record start, strings kept as bytes', () => {
  const record = struct(40, [u64(0), s64(8), str(16, 16)], [1n, -3n, 'hi']);
  const args = decodeEventArgs(
    [s64(8), str(16, 16), { kind: 'const', value: 'lit' }, { kind: 'constInt', value: '-9' }],
    new DataView(record.buffer),
  );
  assert.equal(args, [-3n, new Uint8Array([0x68, 0x69]), 'lit', -9n]);
});

d.run();

const t = suite('format: map text output (golden, bpftrace 0.17)');

// bpftrace -e 'BEGIN { @x = 5; @[comm] = count(); @s["a", 2] = sum(3); exit(); }'
t('scalar, string-keyed and tuple-keyed maps, ordered by name', () => {
  const out = renderExitMaps([
    dump('@x', undefined, INT, [[[], 5n]]),
    dump('@', [str(0)], COUNT, [[['bpftrace'], 1n]]),
    dump('@s', [str(0), s64(16)], SUM, [[['a', 2n], 3n]]),
  ]);
  assert.is(out, '\n\n@[bpftrace]: 1\n@s[a, 2]: 3\n@x: 5\n');
});

// bpftrace -e 'BEGIN { @c[3] = count(); @c[1] = count(); @c[1] = count(); @c[1] = count();
//   @c[2] = count(); @c[2] = count(); @c[-4] = count(); @c[-4] = count(); @c[-4] = count();
//   @c[-4] = count(); exit(); }'
t('int keys print signed; counts ascend', () => {
  const rows: Row[] = [[[-4n], 4n], [[1n], 3n], [[3n], 1n], [[2n], 2n]];
  assert.is(renderExitMaps([dump('@c', [s64(0)], COUNT, rows)]), '\n\n@c[3]: 1\n@c[2]: 2\n@c[1]: 3\n@c[-4]: 4\n');
});

// bpftrace -e 'BEGIN { @s["x"] = sum(-5); @s["y"] = sum(3); @s["z"] = sum(-10); @s["w"] = sum(0);
//   @t = sum(-7); exit(); }'
t('negative sums sort below positive ones', () => {
  const out = renderExitMaps([
    dump('@t', undefined, SUM, [[[], -7n]]),
    dump('@s', [str(0)], SUM, [[['y'], 3n], [['x'], -5n], [['w'], 0n], [['z'], -10n]]),
  ]);
  assert.is(out, '\n\n@s[z]: -10\n@s[x]: -5\n@s[w]: 0\n@s[y]: 3\n@t: -7\n');
});

// bpftrace -e 'BEGIN { @m["x"] = 3; @m["a"] = 4; @m["q"] = -2; @m["b"] = 0; exit(); }'
t('plain integer maps also sort by value, signed', () => {
  const rows: Row[] = [[['a'], 4n], [['b'], 0n], [['q'], -2n], [['x'], 3n]];
  assert.is(renderExitMaps([dump('@m', [str(0)], INT, rows)]), '\n\n@m[q]: -2\n@m[b]: 0\n@m[x]: 3\n@m[a]: 4\n');
});

// bpftrace -e 'BEGIN { @m[-1] = "a"; @m[5] = "b"; @m[3] = "c"; @m[-7] = "d"; @m[0] = "e"; exit(); }'
t('other maps sort by key, and int keys compare as unsigned', () => {
  const rows: Row[] = [[[-1n], 'a'], [[5n], 'b'], [[3n], 'c'], [[-7n], 'd'], [[0n], 'e']];
  assert.is(
    renderExitMaps([dump('@m', [s64(0)], STRING, rows)]),
    '\n\n@m[0]: e\n@m[3]: c\n@m[5]: b\n@m[-7]: d\n@m[-1]: a\n',
  );
});

// bpftrace -e 'BEGIN { @m["b", 2] = "x"; @m["a", 3] = "y"; @m["b", 1] = "z"; @m["a", -1] = "w";
//   @m["ab", 0] = "v"; @m["", 0] = "u"; exit(); }'
t('tuple keys sort field by field, strings bytewise', () => {
  const rows: Row[] = [
    [['b', 2n], 'x'], [['a', 3n], 'y'], [['b', 1n], 'z'], [['a', -1n], 'w'], [['ab', 0n], 'v'], [['', 0n], 'u'],
  ];
  assert.is(
    renderExitMaps([dump('@m', [str(0), s64(16)], STRING, rows)]),
    '\n\n@m[, 0]: u\n@m[a, 3]: y\n@m[a, -1]: w\n@m[ab, 0]: v\n@m[b, 1]: z\n@m[b, 2]: x\n',
  );
});

// bpftrace -e 'BEGIN { @s["b"] = sum(-5); @s["a"] = sum(-5); @s["c"] = sum(-5); exit(); }'
// bpftrace orders equal values by hash-table order, which changes between runs (seen: a b c,
// b a c, c b a, a c b); this is its a-b-c run, the order we always print.
t('equal values are ordered by key', () => {
  const rows: Row[] = [[['c'], -5n], [['b'], -5n], [['a'], -5n]];
  assert.is(renderExitMaps([dump('@s', [str(0)], SUM, rows)]), '\n\n@s[a]: -5\n@s[b]: -5\n@s[c]: -5\n');
});

// bpftrace -e 'BEGIN { @z = 1; @b["k"] = count(); delete(@b["k"]); @a = "str"; if (0) { @n = 1; }
//   exit(); }'
t('a map with no entries prints a blank line', () => {
  const out = renderExitMaps([
    dump('@z', undefined, INT, [[[], 1n]]),
    dump('@b', [str(0)], COUNT, []),
    dump('@a', undefined, STRING, [[[], 'str']]),
    dump('@n', undefined, INT, []),
  ]);
  assert.is(out, '\n\n@a: str\n\n\n@z: 1\n');
});

// bpftrace -e 'BEGIN { exit(); }' and bpftrace -e 'BEGIN { printf("hi\n"); exit(); }'
t('the exit dump starts with two newlines even with no maps', () => {
  assert.is(renderExitMaps([]), '\n\n');
});

// bpftrace -e 'BEGIN { @zz = 1; @b[1] = 2; @b[2] = 1; @a_ = 3; @A = 4; @ = 5; print(@b);
//   printf("after\n"); print(@zz); printf("after2\n"); exit(); }'
t('names order bytewise; print(@m) prints the same lines as the exit dump', () => {
  const b = dump('@b', [s64(0)], INT, [[[1n], 2n], [[2n], 1n]]);
  const zz = dump('@zz', undefined, INT, [[[], 1n]]);
  assert.is(renderMap(b), '@b[2]: 1\n@b[1]: 2\n');
  assert.is(renderMap(zz), '@zz: 1\n');
  const all = [zz, b, dump('@a_', undefined, INT, [[[], 3n]]), dump('@A', undefined, INT, [[[], 4n]]), dump('@', undefined, INT, [[[], 5n]])];
  assert.is(renderExitMaps(all), '\n\n@: 5\n@A: 4\n@a_: 3\n@b[2]: 1\n@b[1]: 2\n@zz: 1\n');
});

// Keyless aggregations live in per-CPU arrays (MapSpec.presentOffset): each CPU's copy is the value and
// then a word the program sets to 1. These build the raw bytes bpf() returns for such a map.
function arraySlot(copies: [bigint, bigint][]): Uint8Array {
  const bytes = new Uint8Array(16 * copies.length);
  const view = new DataView(bytes.buffer);
  copies.forEach(([value, present], cpu) => {
    view.setBigUint64(cpu * 16, value, true);
    view.setBigUint64(cpu * 16 + 8, present, true);
  });
  return bytes;
}
const ARRAY_COUNT: MapSpec = { name: 'tsbt_c', scriptName: '@c', type: 'percpu_array', keySize: 4, valueSize: 16, maxEntries: 1, value: COUNT, presentOffset: 8 };
const slot0 = new Uint8Array(4);

t('per-CPU array aggregations: a slot no CPU wrote is absent, a written one prints even when 0', () => {
  assert.equal(buildMapDump(ARRAY_COUNT, [{ key: slot0, value: arraySlot([[0n, 0n], [0n, 0n]]) }], NCPUS).entries, []);
  assert.is(renderMap(buildMapDump(ARRAY_COUNT, [{ key: slot0, value: arraySlot([[3n, 1n], [4n, 1n]]) }], NCPUS)), '@c: 7\n');
  // Written by one CPU only; then zeroed by zero(): still there.
  assert.is(renderMap(buildMapDump(ARRAY_COUNT, [{ key: slot0, value: arraySlot([[0n, 0n], [5n, 1n]]) }], NCPUS)), '@c: 5\n');
  assert.is(renderMap(buildMapDump(ARRAY_COUNT, [{ key: slot0, value: arraySlot([[0n, 1n], [0n, 1n]]) }], NCPUS)), '@c: 0\n');
  // The decoders see the value alone, as in a hash: the present words are cut out.
  const [entry] = presentEntries(ARRAY_COUNT, [{ key: slot0, value: arraySlot([[3n, 1n], [4n, 1n]]) }], NCPUS);
  assert.equal([...new BigUint64Array(entry!.value.buffer)], [3n, 4n]);
});

t('per-CPU array aggregations: clear() empties a slot, zero() keeps written ones present', () => {
  const written = arraySlot([[3n, 1n], [0n, 0n]]);
  assert.equal(resetValue(ARRAY_COUNT, written, NCPUS, 'clear'), arraySlot([[0n, 0n], [0n, 0n]]));
  assert.equal(resetValue(ARRAY_COUNT, written, NCPUS, 'zero'), arraySlot([[0n, 1n], [0n, 1n]]));
  assert.is(resetValue(ARRAY_COUNT, arraySlot([[0n, 0n], [0n, 0n]]), NCPUS, 'zero'), undefined);
});

t.run();
