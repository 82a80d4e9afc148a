// Nested tuples: a tuple inside a tuple prints in its own parentheses, in values, map values, map keys,
// printf's %s and the JSON output. Golden strings: bpftrace v0.17.0 on this machine for values and map
// values (the command is above each); tuple key parts, which 0.17 refuses ("tuple cannot be used as a
// map key"), follow the newest bpftrace's output code: the key prints as a tuple without its outer
// parentheses (`@m[(1, 2), 3]`), and in JSON without them and without spaces (`"(1,2),3"`).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FieldLayout, MapSpec } from '../../runtime/artifact.ts';
import { buildMapDump, decodeEventArgs, decodeEventValue, decodeField, jsonMap, jsonValue, renderMap, renderValue } from '../../runtime/format/index.ts';
import { createRenderer } from '../../runtime/format/render.ts';

const int = (offset: number, signed = true): FieldLayout => ({ kind: 'int', offset, size: 8, signed });
const str = (offset: number, size: number): FieldLayout => ({ kind: 'string', offset, size });
const tuple = (offset: number, size: number, fields: FieldLayout[]): FieldLayout => ({ kind: 'tuple', offset, size, fields });

/** Bytes with u64s and strings written at the given offsets. */
function bytes(size: number, values: [offset: number, value: bigint | string][]): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (const [offset, value] of values) {
    if (typeof value === 'string') out.set(new TextEncoder().encode(value), offset);
    else view.setBigUint64(offset, BigInt.asUintN(64, value), true);
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

// (1, (2, "a")): an int, then a 16-byte tuple of an int and a 2-byte string, padded to 8.
const INNER = tuple(8, 16, [int(0), str(8, 2)]);
const OUTER = tuple(0, 24, [int(0), INNER]);

const t = suite('format: nested tuples');

// bpftrace -e 'BEGIN { $t = (1, (2, "a")); print($t); exit(); }'      → (1, (2, a))
// bpftrace -f json -e 'BEGIN { $t = (1, (2, "a")); print($t); exit(); }' → {"type": "value", "data": [1,[2,"a"]]}
t('print() of a nested tuple: parentheses in text, an array in an array in JSON', () => {
  const value = decodeField(view(bytes(24, [[0, 1n], [8, 2n], [16, 'a']])), 0, OUTER);
  assert.equal(value, { kind: 'tuple', values: [1n, { kind: 'tuple', values: [2n, 'a'] }] });
  assert.is(renderValue(value), '(1, (2, a))\n');
  assert.is(jsonValue(value), '{"type": "value", "data": [1,[2,"a"]]}\n');
  // Strings inside stay escaped for the terminal unless raw, and JSON-escaped in JSON.
  const escaped = decodeField(view(bytes(24, [[0, -1n], [8, 2n], [16, '\x07']])), 0, OUTER);
  assert.is(renderValue(escaped), '(-1, (2, \\x07))\n');
  assert.is(renderValue(escaped, { raw: true }), '(-1, (2, \x07))\n');
  assert.is(jsonValue(escaped), '{"type": "value", "data": [-1,[2,"\\u0007"]]}\n');
});

t('events: print() and printf("%s") of a nested tuple in a record (offsets from the record start)', () => {
  const arg = tuple(8, 24, [int(0), INNER]);
  const record = view(bytes(32, [[0, 1n], [8, 7n], [16, 8n], [24, 'b']]));
  assert.equal(decodeEventValue(arg, record), { kind: 'tuple', values: [7n, { kind: 'tuple', values: [8n, 'b'] }] });
  assert.equal(decodeEventArgs([arg], record), ['(7, (8, b))']);
  const event = { kind: 'value', value: decodeEventValue(arg, record) } as const;
  assert.is(createRenderer('text').render(event).output, '(7, (8, b))\n');
  assert.is(createRenderer('json').render(event).output, '{"type": "value", "data": [7,[8,"b"]]}\n');
});

// bpftrace -e 'BEGIN { @m[1] = (3, (4, "b"), 5); exit(); }'           → @m[1]: (3, (4, b), 5)
// bpftrace -f json -e 'BEGIN { @m[1] = (3, (4, "b"), 5); exit(); }' → {"type": "map", "data": {"@m": {"1": [3,[4,"b"],5]}}}
t('a map whose values are nested tuples', () => {
  const fields = [int(0), tuple(8, 16, [int(0), str(8, 2)]), int(24)];
  const spec: MapSpec = {
    name: 'tsbt_m', scriptName: '@m', type: 'hash', keySize: 8, valueSize: 32, maxEntries: 16,
    key: { fields: [int(0)] }, value: { kind: 'tuple', size: 32, fields },
  };
  const dump = buildMapDump(spec, [{ key: bytes(8, [[0, 1n]]), value: bytes(32, [[0, 3n], [8, 4n], [16, 'b'], [24, 5n]]) }], 1);
  assert.is(renderMap(dump), '@m[1]: (3, (4, b), 5)\n');
  assert.is(jsonMap(dump), '{"type": "map", "data": {"@m": {"1": [3,[4,"b"],5]}}}\n');
});

t('a key part that is a tuple keeps its parentheses and sorts by its own fields (integers unsigned)', () => {
  // @m[(a, b), c] = count(): a 16-byte tuple key part, then an int.
  const spec: MapSpec = {
    name: 'tsbt_m', scriptName: '@m', type: 'hash', keySize: 24, valueSize: 8, maxEntries: 16,
    key: { fields: [tuple(0, 16, [int(0), int(8)]), int(16)] }, value: { kind: 'int', size: 8, signed: true },
  };
  const entry = (a: bigint, b: bigint, c: bigint) => ({ key: bytes(24, [[0, a], [8, b], [16, c]]), value: bytes(8, [[0, 1n]]) });
  // Equal values: by key, the tuple's first element, then its second (-1 after 5), then the int.
  const dump = buildMapDump(spec, [entry(2n, 0n, 0n), entry(1n, -1n, 0n), entry(1n, 5n, 9n), entry(1n, 5n, 3n)], 1);
  assert.is(renderMap(dump), '@m[(1, 5), 3]: 1\n@m[(1, 5), 9]: 1\n@m[(1, -1), 0]: 1\n@m[(2, 0), 0]: 1\n');
  assert.is(jsonMap(dump), '{"type": "map", "data": {"@m": {"(1,5),3": 1, "(1,5),9": 1, "(1,-1),0": 1, "(2,0),0": 1}}}\n');
});

t('a tuple nested in a tuple key part, with strings', () => {
  // @m[1, ("x y", (2, "z"))] = 1
  const inner = tuple(8, 16, [int(0), str(8, 2)]);
  const part = tuple(8, 24, [str(0, 4), inner]);
  const spec: MapSpec = {
    name: 'tsbt_m', scriptName: '@m', type: 'hash', keySize: 32, valueSize: 8, maxEntries: 16,
    key: { fields: [int(0), part] }, value: { kind: 'int', size: 8, signed: true },
  };
  const dump = buildMapDump(spec, [{ key: bytes(32, [[0, 1n], [8, 'x y'], [16, 2n], [24, 'z']]), value: bytes(8, [[0, 1n]]) }], 1);
  assert.is(renderMap(dump), '@m[1, (x y, (2, z))]: 1\n');
  assert.is(jsonMap(dump), '{"type": "map", "data": {"@m": {"1,(x y,(2,z))": 1}}}\n');
});

t.run();
