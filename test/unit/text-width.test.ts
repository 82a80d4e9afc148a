// cli/text-width.ts: the column width yargs lays --help out with (build.mjs aliases string-width to it).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import textWidth from '../../cli/text-width.ts';

const t = suite('text width for the help layout');

t('ASCII counts one column a character; control characters none', () => {
  assert.is(textWidth(''), 0);
  assert.is(textWidth('--max-probes'), 12);
  assert.is(textWidth('a\tb\x07'), 2);
});

t('ANSI colour and OSC sequences take no columns', () => {
  assert.is(textWidth('\x1b[1mbold\x1b[22m'), 4);
  assert.is(textWidth('\x1b[38;5;208mx\x1b[0m'), 1);
  assert.is(textWidth('\x1b]8;;https://example.com\x07link\x1b]8;;\x07'), 4);
});

t('East Asian wide characters and emoji take two columns; combining marks and zero-width none', () => {
  assert.is(textWidth('日本語'), 6);
  assert.is(textWidth('ｆｕｌｌ'), 8);
  assert.is(textWidth('😀'), 2);
  assert.is(textWidth('e\u0301'), 1);
  assert.is(textWidth('a\u200bb'), 2);
  assert.is(textWidth('é'), 1);
});

t.run();
