// Printing kernel values: enums by name, pointers in hex, structs and arrays, in text and in JSON,
// in map keys and values (sorted by their numbers). Formats: bpftrace 0.17 for structs (checked with
// `print(*curtask->nsproxy)`, `print(curtask->se.load)`, `print(curtask->blocked)`), except where the
// newest bpftrace differs on purpose: pointers in hex, enums by name, bitfields as their own bits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EnumNames, FieldLayout, MapSpec } from '../../runtime/artifact.ts';
import { buildMapDump, decodeField, jsonMap, jsonValue, renderMap, renderValue } from '../../runtime/format/index.ts';

const color: EnumNames = { name: 'color', names: { 0: 'RED', 1: 'GREEN', 2: 'BLUE' } };
const t = suite('format: structs, arrays, enums and pointers');

function bytes(size: number, fill: (v: DataView) => void): DataView {
  const view = new DataView(new ArrayBuffer(size));
  fill(view);
  return view;
}

t('a record prints `{ .a = 1, ... }`: nested records, arrays without spaces, strings escaped, an empty one as `{}`', () => {
  const layout: FieldLayout = {
    kind: 'record', offset: 0, size: 32, fields: [
      { name: 'count', field: { kind: 'record', offset: 0, size: 4, fields: [{ name: 'counter', field: { kind: 'int', offset: 0, size: 4, signed: true } }] } },
      { name: 'name', field: { kind: 'string', offset: 4, size: 8 } },
      { name: 'sig', field: { kind: 'array', offset: 12, size: 4, count: 2, elem: { kind: 'int', offset: 0, size: 2, signed: true } } },
      { name: 'empty', field: { kind: 'record', offset: 16, size: 0, fields: [] } },
      { name: 'next', field: { kind: 'int', offset: 16, size: 8, signed: false, pointer: true } },
      { name: 'shade', field: { kind: 'int', offset: 24, size: 4, signed: false, enum: color } },
      { name: 'mode', field: { kind: 'bitfield', offset: 28, size: 2, shift: 6, bits: 4, signed: true, enum: color } },
    ],
  };
  const view = bytes(32, (v) => {
    v.setInt32(0, 92, true);
    new Uint8Array(v.buffer).set([0x61, 0x0a, 0x62], 4); // "a\nb"
    v.setInt16(12, -1, true);
    v.setInt16(14, 3, true);
    v.setBigUint64(16, 0xffff888100000000n, true);
    v.setUint32(24, 9, true);
    v.setUint16(28, 0b1111 << 6, true); // -1 in a signed 4-bit field: not a color
  });
  const value = decodeField(view, 0, layout);
  assert.is(renderValue(value), '{ .count = { .counter = 92 }, .name = a\\x0ab, .sig = [-1,3], .empty = {}, .next = 0xffff888100000000, .shade = 9, .mode = -1 }\n');
  assert.is(renderValue(value, { raw: true }), '{ .count = { .counter = 92 }, .name = a\nb, .sig = [-1,3], .empty = {}, .next = 0xffff888100000000, .shade = 9, .mode = -1 }\n');
  // JSON (the newest bpftrace): objects spaced, arrays not, enums and pointers as their numbers.
  assert.is(jsonValue(value as never), '{"type": "value", "data": {"count": {"counter": 92}, "name": "a\\nb", "sig": [-1,3], "empty": {}, "next": 18446612686364999680, "shade": 9, "mode": -1}}\n');
});

t('enum keys print by name and sort by number; struct and address values print without tuple parentheses', () => {
  const spec: MapSpec = {
    name: 'tsbt_by', scriptName: '@by', type: 'hash', keySize: 8, valueSize: 8, maxEntries: 16,
    key: { fields: [{ kind: 'int', offset: 0, size: 8, signed: false, enum: color }] },
    value: { kind: 'int', size: 8, signed: false, enum: color },
  };
  const entry = (k: bigint, v: bigint) => ({ key: new Uint8Array(bytes(8, (x) => x.setBigUint64(0, k, true)).buffer), value: new Uint8Array(bytes(8, (x) => x.setBigUint64(0, v, true)).buffer) });
  const dump = buildMapDump(spec, [entry(2n, 0n), entry(0n, 2n), entry(5n, 1n)], 1);
  // Plain values sort by value: RED (0), GREEN (1), BLUE (2).
  assert.is(renderMap(dump), '@by[BLUE]: RED\n@by[5]: GREEN\n@by[RED]: BLUE\n');
  assert.is(jsonMap(dump), '{"type": "map", "data": {"@by": {"BLUE": 0, "5": 1, "RED": 2}}}\n');

  const load: FieldLayout = { kind: 'record', offset: 0, size: 16, fields: [
    { name: 'weight', field: { kind: 'int', offset: 0, size: 8, signed: false } }, { name: 'inv_weight', field: { kind: 'int', offset: 8, size: 4, signed: false } },
  ] };
  const structMap: MapSpec = { name: 'tsbt_n', scriptName: '@n', type: 'hash', keySize: 8, valueSize: 16, maxEntries: 16, value: { kind: 'field', size: 16, field: load } };
  const value = new Uint8Array(bytes(16, (v) => { v.setBigUint64(0, 1048576n, true); v.setUint32(8, 4194304, true); }).buffer);
  assert.is(renderMap(buildMapDump(structMap, [{ key: new Uint8Array(8), value }], 1)), '@n: { .weight = 1048576, .inv_weight = 4194304 }\n');
  const inet: MapSpec = { name: 'tsbt_x', scriptName: '@x', type: 'hash', keySize: 8, valueSize: 24, maxEntries: 16, value: { kind: 'field', size: 24, field: { kind: 'inet', offset: 0, size: 24 } } };
  const address = new Uint8Array(24);
  address.set([2, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1]);
  assert.is(renderMap(buildMapDump(inet, [{ key: new Uint8Array(8), value: address }], 1)), '@x: 127.0.0.1\n');
});

t.run();
