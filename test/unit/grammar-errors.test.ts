import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderDiagnostic } from '../../grammar/diagnostics.ts';
import { parse } from '../../grammar/index.ts';
import { SourceFile } from '../../grammar/source.ts';

const t = suite('grammar: errors are precise and say how to fix them');

/** Every diagnostic, rendered as the CLI prints it. */
function errors(text: string, name = '-e'): string {
  const source = new SourceFile(name, text);
  const result = parse(source);
  assert.is(result.program, undefined, 'no program when there are errors');
  return result.diagnostics.map((d) => renderDiagnostic(d, source)).join('\n');
}

/** Just `line:col: message` of each diagnostic. */
function brief(text: string): string[] {
  const source = new SourceFile('-e', text);
  return parse(source).diagnostics.map((d) => {
    const p = source.position(d.span.start);
    return `${p.line}:${p.col}: ${d.message}`;
  });
}

t('unterminated string', () => {
  assert.is(errors('BEGIN < printf("hello); >'), [
    '-e:1:16: error: unterminated string',
    '1 | BEGIN < printf("hello); >',
    '  |                ^^^^^^^^^^',
    '  = hint: close it with `"` on the same line (write `\\n` for a newline)',
  ].join('\n'));
  // The string ends at its line: the next lines still parse, and nothing else is reported.
  assert.equal(brief('BEGIN <\n  printf("a);\n  exit(;\n>'), ['2:10: unterminated string', '3:8: missing `)` to close the `(` at 3:7']);
});

t('unknown characters', () => {
  assert.is(errors('BEGIN < @x = 1 # 2; >'), [
    '-e:1:16: error: unexpected character `#`',
    '1 | BEGIN < @x = 1 # 2; >',
    '  |                ^',
    '  = hint: comments start with `//`',
  ].join('\n'));
  assert.equal(brief('BEGIN < @x = 1 \\\\ 2; >'), ['1:16: unexpected characters `\\\\`']);
  assert.equal(brief('BEGIN < @x = 1\u00a0; >'), ['1:15: unexpected character U+00A0']);
  assert.equal(brief("BEGIN < printf('hi') >"), ['1:16: strings are written in plain double quotes']);
});

t('missing `)`', () => {
  assert.is(errors('BEGIN <\n  printf("%d\\n", count(;\n>', 'x.bt'), [
    'x.bt:2:24: error: missing `))` to close the `(` at 2:23 and the `(` at 2:9',
    '2 |   printf("%d\\n", count(;',
    '  |                        ^',
  ].join('\n'));
  assert.equal(brief('BEGIN < @x = (1 + 2; exit() >'), ['1:20: missing `)` to close the `(` at 1:14']);
  assert.equal(brief('BEGIN < printf("x" >'), ['1:19: missing `)` to close the `(` at 1:15']);
});

t('an unclosed block says where it was opened', () => {
  assert.is(errors('BEGIN <\n  @x = 1;\n  if (@x) < exit(); >\n'), [
    '-e:3:22: error: missing `>` to close the block opened at 1:7',
    '3 |   if (@x) < exit(); >',
    '  |                      ^',
    '  = hint: add `>` after the last statement of the block',
  ].join('\n'));
  assert.equal(brief('BEGIN { exit();'), ['1:16: missing `}` to close the block opened at 1:7']);
  assert.equal(brief('BEGIN { if (x) < a }'), ['1:19: missing `>` to close the block opened at 1:16']);
});

t('a stray `>` at top level', () => {
  assert.is(errors('BEGIN < exit() >\n>'), [
    '-e:2:1: error: unexpected `>`: no block is open here',
    '2 | >',
    '  | ^',
    '  = hint: the block before was already closed by the `>` at 1:16',
  ].join('\n'));
  assert.equal(brief('> BEGIN < >'), ['1:1: unexpected `>`: no block is open here']);
  assert.equal(brief('BEGIN < f(x)) >'), ['1:13: unexpected `)`']);
});

t('an empty program has no probes', () => {
  const expected = [
    '-e:1:1: error: no probes in the program',
    '1 | ',
    '  | ^',
    '  = hint: a program is one or more probes, each with a block: `BEGIN < printf("hello\\n"); >`',
  ].join('\n');
  assert.is(errors(''), expected);
  assert.equal(brief('#!/usr/bin/tsbt\n// just comments\n/* and more */\n'), ['1:1: no probes in the program']);
});

t('a `>` read as greater-than: the error explains the rule and how to close the block', () => {
  assert.is(errors('BEGIN < @x = 1 > @y = 2; >'), [
    '-e:1:21: error: expected `;` or `>` after this statement, found `=`',
    '1 | BEGIN < @x = 1 > @y = 2; >',
    '  |                     ^',
    '  = hint: the `>` at 1:16 was read as greater-than because `@y` after it can be its right operand; ' +
      'to close the block there, end the statement with `;` first (`...; >`), or write the block with `{ }`',
  ].join('\n'));
  // Inside an `if`, the misread `>` makes the next `>` close the `if` block, so the outer one is unclosed.
  const source = new SourceFile('-e', 'kprobe:f < if (x) < @a = 1 > @b = 2 >');
  const [inner, outer, ...rest] = parse(source).diagnostics;
  assert.equal(rest, []);
  assert.is(inner!.message, 'expected `;` or `>` after this statement, found `=`');
  assert.match(inner!.hint!, 'the `>` at 1:28 was read as greater-than because `@b`');
  assert.is(outer!.message, 'missing `>` to close the block opened at 1:10');
  assert.match(outer!.hint!, 'the `>` at 1:28 was read as greater-than because `@b`');
  // Also when the block then never closes.
  const unclosed = parse(new SourceFile('-e', 'BEGIN < $a = 1 > $b = 2;')).diagnostics;
  assert.is(unclosed.length, 2);
  assert.match(unclosed[1]!.message, 'missing `>` to close the block opened at 1:7');
  assert.match(unclosed[1]!.hint!, 'the `>` at 1:16 was read as greater-than because `$b`');
  // And when the mistaken comparison is assigned to.
  assert.equal(brief('BEGIN < $a > @y = 1 >'), ['1:9: only a map (`@name`) or a variable (`$name`) can be assigned to']);
});

t('statements', () => {
  assert.is(errors('BEGIN < @x = 1 @y = 2 >'), [
    '-e:1:16: error: expected `;` or `>` after this statement, found `@y`',
    '1 | BEGIN < @x = 1 @y = 2 >',
    '  |                ^^',
    '  = hint: separate statements with `;`',
  ].join('\n'));
  assert.equal(brief('BEGIN { @x = 1 @y = 2 }'), ['1:16: expected `;` or `}` after this statement, found `@y`']);
  assert.equal(brief('BEGIN < @x = ; >'), ['1:14: expected an expression after `=`, found `;`']);
  assert.equal(brief('BEGIN < @x = 1 + ; >'), ['1:18: expected an expression after `+`, found `;`']);
  assert.equal(brief('BEGIN < f(a b) >'), ['1:13: expected `,` or `)` after the argument, found `b`']);
  assert.equal(brief('BEGIN < @m[a b] = 1 >'), ['1:14: expected `,` or `]` after the map key, found `b`']);
  assert.equal(brief('BEGIN < @m[] = 1 >'), ['1:12: expected a key inside `[ ]`, found `]`']);
  assert.equal(brief('BEGIN < $x = args-> ; >'), ['1:21: expected a field name after `->`, found `;`']);
  assert.equal(brief('BEGIN < pid = 1 >'), ['1:9: only a map (`@name`) or a variable (`$name`) can be assigned to']);
});

t('if / else', () => {
  // Without parentheses `<` compares, so the `>` closes the probe's block and the last one is stray.
  assert.equal(brief('BEGIN < if x < y() > >'), ['1:12: expected `(` after `if`, found `x`', '1:22: unexpected `>`: no block is open here']);
  assert.equal(brief('BEGIN < if (x) @y = 1; >'), ['1:16: expected `<` or `{` after `if (...)`, found `@y`']);
  assert.equal(brief('BEGIN < if (x) < > else @y = 1; >'), ['1:25: expected `if`, `<` or `{` after `else`, found `@y`']);
  assert.equal(brief('BEGIN < else < > >'), ['1:9: expected a statement or `>`, found `else`']);
});

t('probe headers', () => {
  assert.is(errors('BEGN < >'), [
    '-e:1:1: error: expected a probe such as `BEGIN` or `kprobe:vfs_read`, found `BEGN`',
    '1 | BEGN < >',
    '  | ^^^^',
    '  = hint: a probe is written `type:target` (for example `kprobe:vfs_read`), or `BEGIN` / `END`',
  ].join('\n'));
  assert.equal(brief('kprobe:a kprobe:b < >'), ["1:10: expected `<` or `{` to start the probe's body, found `kprobe:b`"]);
  assert.equal(brief('kprobe:a, < >'), ['1:11: expected a probe after `,`, found `<`']);
  assert.equal(brief('kprobe:a'), ["1:9: expected `<` or `{` to start the probe's body, found the end of the input"]);
  assert.equal(brief('< exit() >'), ['1:1: expected a probe such as `BEGIN` or `kprobe:vfs_read`, found `<`']);
  assert.equal(brief('kprobe:a /pid / 2 == 0/ < >'), ["1:17: expected `<` or `{` to start the probe's body, found `2`"]);
  assert.match(parse(new SourceFile('-e', 'kprobe:a /pid / 2 == 0/ < >')).diagnostics[0]!.hint!, 'write division in parentheses');
  assert.equal(brief('kprobe:f /pid == 1 { }'), ['1:19: missing `/` to end the filter that starts at 1:10']);
});

t('literals', () => {
  assert.equal(brief('BEGIN < @x = 0x; @y = 12ab; @z = 99999999999999999999999; >'), [
    '1:14: invalid number `0x`',
    '1:23: invalid number `12ab`',
    '1:34: number `99999999999999999999999` does not fit in 64 bits',
  ]);
  assert.equal(brief('BEGIN < printf("\\q \\x") >'), ['1:17: unknown escape `\\q` in string', '1:20: `\\x` needs one or two hex digits after it']);
  assert.equal(brief('BEGIN < $ = 1 >'), ['1:9: expected a variable name after `$`']);
  assert.equal(brief('BEGIN < /* no end >'), ['1:8: missing `>` to close the block opened at 1:7', '1:9: unterminated comment']);
});

t('independent errors in several probes are all reported, each once', () => {
  const script = [
    'kprobe:f <',
    '  @a = 1 @b = 2;',
    '>',
    'kretprobe:f < $x = ; >',
    'END < @z = (1 + 2 ; >',
    'BEGIN < ok(); >',
  ].join('\n');
  assert.equal(brief(script), [
    '2:10: expected `;` or `>` after this statement, found `@b`',
    '4:20: expected an expression after `=`, found `;`',
    '5:18: missing `)` to close the `(` at 5:12',
  ]);
});

t.run();
