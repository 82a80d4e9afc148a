// docs/stdlib.md is generated from the stdlib definitions (tools/gen-stdlib-docs.ts): regenerate it in
// memory and compare, so a builtin or probe type added without regenerating the page fails here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { generateStdlibDocs, STDLIB_DOC } from '../../tools/gen-stdlib-docs.ts';
import { stdlib } from '../../stdlib/index.ts';

const t = suite('docs/stdlib.md');

t('is what tools/gen-stdlib-docs.ts generates from the registry now', () => {
  const committed = readFileSync(STDLIB_DOC, 'utf8');
  const generated = generateStdlibDocs();
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    let line = 0;
    while (line < a.length && a[line] === b[line]) line++;
    assert.unreachable(
      `docs/stdlib.md is out of date (first difference at line ${line + 1}):\n` +
      `  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}\n` +
      'regenerate it: node --import tsx tools/gen-stdlib-docs.ts',
    );
  }
});

t('names every probe type, alias, variable and function of the registry', () => {
  const doc = readFileSync(STDLIB_DOC, 'utf8');
  for (const p of stdlib.providers) {
    for (const n of [p.name, ...p.aliases]) assert.ok(doc.includes(`\`${n}\` (probe)`), `probe ${n}`);
    assert.ok(doc.includes(p.summary.replace(/\|/g, '\\|')), `summary of ${p.name}`);
  }
  for (const f of stdlib.functions.values()) assert.ok(doc.includes(`| \`${f.name}\` |`), `function ${f.name}`);
  for (const v of stdlib.variables.values()) {
    if (/^arg\d+$/.test(v.name)) continue;
    assert.ok(doc.includes(`| \`${v.name}\` |`), `variable ${v.name}`);
  }
  const argN = [...stdlib.variables.keys()].filter((n) => /^arg\d+$/.test(n));
  assert.ok(doc.includes(`\`arg0\` … \`arg${argN.length - 1}\``), 'arg0 … argN');
});

t('is the same whatever order the generator runs in (deterministic)', () => {
  assert.is(generateStdlibDocs(), generateStdlibDocs());
});

t.run();
