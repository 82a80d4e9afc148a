import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SourceFile } from '../../grammar/source.ts';
import { error, renderDiagnostic } from '../../grammar/diagnostics.ts';

const t = suite('source positions and diagnostics');

t('offsets map to 1-based line and column', () => {
  const src = new SourceFile('x.bt', 'ab\ncd\n\nef');
  assert.equal(src.position(0), { line: 1, col: 1 });
  assert.equal(src.position(3), { line: 2, col: 1 });
  assert.equal(src.position(4), { line: 2, col: 2 });
  assert.equal(src.position(7), { line: 4, col: 1 });
  assert.is(src.lineText(2), 'cd');
});

t('a diagnostic shows file:line:col, the line and a caret under the span', () => {
  const src = new SourceFile('-e', 'BEGIN < @[pdi] = count(); >');
  const out = renderDiagnostic(error('unknown builtin `pdi`', { start: 10, end: 13 }, 'did you mean `pid`?'), src);
  assert.is(out, [
    '-e:1:11: error: unknown builtin `pdi`',
    '1 | BEGIN < @[pdi] = count(); >',
    '  |           ^^^',
    '  = hint: did you mean `pid`?',
  ].join('\n'));
});

t.run();
