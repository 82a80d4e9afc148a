// bool values: the compiler's bool is the enum `bool` { false, true } (BOOL_ENUM); text prints the
// names, JSON writes JSON booleans (the newest bpftrace), a value that is neither prints as its number.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enumNames } from '../../compiler/types/layout.ts';
import { BOOL_ENUM } from '../../compiler/types/types.ts';
import { enumValue } from '../../runtime/format/decode.ts';
import { jsonValue } from '../../runtime/format/json.ts';
import { renderValue } from '../../runtime/format/text.ts';

const t = suite('format: bool');
const names = enumNames(BOOL_ENUM);

t('true/false in text and JSON, also inside tuples', () => {
  assert.is(renderValue(enumValue(names, 1n)), 'true\n');
  assert.is(jsonValue(enumValue(names, 0n)), '{"type": "value", "data": false}\n');
  const tuple = { kind: 'tuple' as const, values: [enumValue(names, 1n), 7n] };
  assert.is(renderValue(tuple), '(true, 7)\n');
  assert.is(jsonValue(tuple), '{"type": "value", "data": [true,7]}\n');
  // A byte that is neither 0 nor 1 (read from memory): its number, in both.
  assert.is(jsonValue(enumValue(names, 2n)), '{"type": "value", "data": 2}\n');
});

t.run();
