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

t('loops: malformed `for`, `while`, `unroll`', () => {
  assert.is(errors('BEGIN < for ($i : 0..) < > >'), [
    '-e:1:22: error: expected an expression after `..`, found `)`',
    '1 | BEGIN < for ($i : 0..) < > >',
    '  |                      ^',
  ].join('\n'));
  assert.is(errors('BEGIN < for ($i : 5) < > >'), [
    '-e:1:19: error: expected a range (`0..10`) or a map (`@name`) after `:`',
    '1 | BEGIN < for ($i : 5) < > >',
    '  |                   ^',
    '  = hint: write a range `start..end` (end excluded) or a map `@name`',
  ].join('\n'));
  assert.equal(brief('BEGIN < for ($i : @m[1]) < > >'), ['1:19: expected a range (`0..10`) or a map (`@name`) after `:`']);
  assert.equal(brief('BEGIN < for (i : 0..5) < > >'), ['1:14: expected a variable after `for (`, found `i`']);
  assert.equal(brief('BEGIN < for ($1 : 0..5) < > >'), ['1:14: `$1` is a positional parameter, not a variable']);
  assert.equal(brief('BEGIN < for ($i 0..5) < > >'), ['1:17: expected `:` after the loop variable, found `0`']);
  assert.equal(brief('BEGIN < for ($i : 0..$n + 1) < > >'), ['1:25: expected `)` after the range, found `+`']);
  assert.match(parse(new SourceFile('-e', 'BEGIN < for ($i : 0..$n + 1) < > >')).diagnostics[0]!.hint!, 'write `0..($n + 1)`');
  assert.equal(brief('BEGIN < for $i : 0..5 < > >')[0], '1:13: expected `(` after `for`, found `$i`');
  assert.equal(brief('BEGIN < while ($i < 5) $i++ >'), ['1:24: expected `<` or `{` after `while (...)`, found `$i`']);
  assert.is(brief('BEGIN < while ($i < 5 < > >')[0], '1:24: missing `)` to close the `(` at 1:15');
  assert.equal(brief('BEGIN < unroll 3 < > >')[0], '1:16: expected `(` after `unroll`, found `3`');
  assert.equal(brief('BEGIN < unroll(3) $x = 1 >'), ['1:19: expected `<` or `{` after `unroll (...)`, found `$x`']);
});

t('let, assignments, ++ and --', () => {
  assert.is(errors('BEGIN < let 5 >'), [
    '-e:1:13: error: expected a variable after `let`, found `5`',
    '1 | BEGIN < let 5 >',
    '  |             ^',
    '  = hint: declare a variable with `let $name;`, `let $name = value;` or `let $name: type = value;`',
  ].join('\n'));
  assert.is(errors('BEGIN < let @x = hash(1) >'), [
    '-e:1:13: error: maps are declared at the top of the script, not in a block',
    '1 | BEGIN < let @x = hash(1) >',
    '  |             ^^',
    '  = hint: before the probes: `let @name = hash(N);` (or `lruhash`, `percpuhash`, `percpulruhash`)',
  ].join('\n'));
  assert.equal(brief('BEGIN < let $x: = 5 >'), ['1:17: expected a type, found `=`']);
  assert.equal(brief('BEGIN < let $2 = 1 >'), ['1:13: `$2` is a positional parameter, not a variable']);
  assert.equal(brief('BEGIN < 5++ >'), ['1:9: `++` applies to a map (`@name`) or a variable (`$name`)']);
  assert.equal(brief('BEGIN < --f() >'), ['1:11: `--` applies to a map (`@name`) or a variable (`$name`)']);
  assert.equal(brief('BEGIN < pid += 1 >'), ['1:9: only a map (`@name`) or a variable (`$name`) can be assigned to']);
  assert.equal(brief('BEGIN < $1 = 2 >'), ['1:9: only a map (`@name`) or a variable (`$name`) can be assigned to']);
  assert.equal(brief('BEGIN < $x = $a >>= 1 >'), ['1:17: expected `;` or `>` after this statement, found `>>=`']);
  assert.equal(brief('BEGIN < return 1 >'), ['1:16: expected `;` or `>` after this statement, found `1`']);
  assert.match(parse(new SourceFile('-e', 'BEGIN < return 1 >')).diagnostics[0]!.hint!, '`return` takes no value');
});

t('casts, tuples, ternaries, indexing, sizeof and offsetof', () => {
  assert.is(errors('BEGIN < $x = (struct)x >'), [
    '-e:1:21: error: expected a struct name after `struct`, found `)`',
    '1 | BEGIN < $x = (struct)x >',
    '  |                     ^',
    '  = hint: a struct type is written `struct name`, e.g. `(struct sock *)arg0`',
  ].join('\n'));
  assert.is(errors('BEGIN < $x = (uint32) >'), [
    '-e:1:23: error: expected the value to convert after the cast `(uint32)`, found `>`',
    '1 | BEGIN < $x = (uint32) >',
    '  |                       ^',
    '  = hint: a cast is written `(type)value`, e.g. `(uint32)$x`',
  ].join('\n'));
  assert.equal(brief('BEGIN < $x = (struct sock *); >'), ['1:29: expected the value to convert after the cast `(struct sock *)`, found `;`']);
  assert.equal(brief('BEGIN < $x = (uint32 *; >'), ['1:23: missing `)` to close the `(` at 1:14']);
  assert.equal(brief('BEGIN < $x = (const)1 >'), ['1:15: `const` is not a type by itself']);
  assert.equal(brief('BEGIN < $x = (1,,2) >'), ['1:17: expected an expression after `,`, found `,`']);
  assert.equal(brief('BEGIN < $x = (1 2) >'), ['1:17: expected `,` or `)`, found `2`']);
  assert.is(errors('BEGIN < $x = a ? b >'), [
    '-e:1:20: error: expected `:` in the conditional, found `>`',
    '1 | BEGIN < $x = a ? b >',
    '  |                    ^',
    '  = hint: a conditional is written `cond ? value_if_true : value_if_false`',
  ].join('\n'));
  assert.equal(brief('BEGIN < $x = ? 1 : 2 >'), ['1:14: expected an expression after `=`, found `?`']);
  assert.equal(brief('BEGIN < (a ? b : c) = 1 >'), ['1:10: only a map (`@name`) or a variable (`$name`) can be assigned to']);
  assert.equal(brief('BEGIN < $x = $a[1, 2] >'), ['1:18: expected `]` after the index, found `,`']);
  assert.equal(brief('BEGIN < $x = $a[] >'), ['1:17: expected an expression after `[`, found `]`']);
  assert.equal(brief('BEGIN < $x = $t.0x1 >'), ['1:17: invalid tuple index `0x1`']);
  assert.equal(brief('BEGIN < $x = sizeof() >'), ['1:21: expected an expression after `(`, found `)`']);
  assert.equal(brief('BEGIN < $x = sizeof uint32 >'), ['1:21: expected `(` after `sizeof`, found `uint32`']);
  assert.equal(brief('BEGIN < $x = offsetof(struct a) >'), ['1:31: expected `,` and a member after the type, found `)`']);
  assert.equal(brief('BEGIN < $x = offsetof(struct a, ) >'), ['1:33: expected a member name after `,`, found `)`']);
  assert.equal(brief('BEGIN < $x = uint32 >'), ['1:14: expected an expression after `=`, found `uint32`']);
  assert.is(parse(new SourceFile('-e', 'BEGIN < $x = (my_t)x >')).diagnostics[0]!.hint,
    '`(my_t)` is a name in parentheses, not a cast: a cast takes a type word, `struct name` or a name with stars, e.g. `(uint64)` or `(my_t *)`');
  assert.match(parse(new SourceFile('-e', 'BEGIN < f((my_t)x) >')).diagnostics[0]!.hint!, 'is a name in parentheses, not a cast');
});

t('literals of the full language', () => {
  assert.is(errors('BEGIN < $x = 1.5 >'), [
    '-e:1:14: error: `1.5` is not an integer',
    '1 | BEGIN < $x = 1.5 >',
    '  |              ^^^',
    '  = hint: floating-point numbers are not supported: BPF has no floating point',
  ].join('\n'));
  assert.equal(brief('BEGIN < $x = 1e-3; $y = 089; $z = 5q; $w = 0x1s; $v = 1e; $u = 20s0 >'), [
    '1:14: `1e-3` is not an integer',
    '1:25: invalid octal number `089`',
    '1:35: invalid number `5q`',
    '1:44: invalid number `0x1s`',
    '1:55: invalid number `1e`',
    '1:64: invalid number `20s0`',
  ]);
  assert.equal(brief('BEGIN < $x = 1e20; $y = 99999999999d >'), [
    '1:14: number `1e20` does not fit in 64 bits',
    '1:25: number `99999999999d` does not fit in 64 bits',
  ]);
  assert.match(parse(new SourceFile('-e', 'BEGIN < $x = 089 >')).diagnostics[0]!.hint!, 'for decimal write `89`');
  assert.is(parse(new SourceFile('-e', "BEGIN < $x = 'a' >")).diagnostics[0]!.hint,
    'there are no character literals: write the character\'s code, 97, or the string "a"');
  assert.equal(brief('BEGIN < $0 + $1x >'), ['1:9: invalid positional parameter `$0`', '1:14: invalid variable name `$1x`']);
});

t('the preamble: config, map declarations, structs, #include', () => {
  assert.is(errors('BEGIN < >\nconfig = { max_strlen = 1 }'), [
    '-e:2:1: error: the `config` block must come before the probes',
    '2 | config = { max_strlen = 1 }',
    '  | ^^^^^^',
    '  = hint: move it to the top of the script',
  ].join('\n'));
  assert.equal(brief('config = { a = 1 }\nconfig = { b = 2 }\nBEGIN < >'), ['2:1: a script has one `config` block']);
  assert.equal(brief('config = { 5 = 1 } BEGIN < >'), ['1:12: expected a setting (`name = value`) or `}`, found `5`']);
  assert.equal(brief('config = { a 1 } BEGIN < >'), ['1:14: expected `=` after `a`, found `1`']);
  assert.equal(brief('config { a = 1 } BEGIN < >'), ['1:8: expected `=` after `config`, found `{`']);
  assert.equal(brief('config = a = 1 BEGIN < >'), ['1:10: expected `{` after `config =`, found `a`']);
  assert.equal(brief('config = { a = 1 }'), ['1:19: no probes in the program']);
  assert.is(errors('let @a = hash(10) BEGIN < >'), [
    '-e:1:19: error: expected `;` after the map declaration, found `BEGIN`',
    '1 | let @a = hash(10) BEGIN < >',
    '  |                   ^^^^^',
  ].join('\n'));
  assert.equal(brief('let $x = 1; BEGIN < >'), ['1:5: expected a map after `let`, found `$x`']);
  assert.equal(brief('let @a = 5; BEGIN < >'), ['1:10: expected the kind of map after `=`, found `5`']);
  assert.equal(brief('let @a = hash(10;\nBEGIN < >'), ['1:17: missing `)` to close the `(` at 1:14']);
  assert.equal(brief('BEGIN < > let @a = hash(1);'), ['1:11: map declarations must come before the probes']);
  assert.is(errors('struct S { int; } BEGIN < >'), [
    '-e:1:15: error: expected a member name after its type',
    '1 | struct S { int; } BEGIN < >',
    '  |               ^',
    '  = hint: members are written `type name;`, e.g. `u32 pid;` or `char comm[16];`',
  ].join('\n'));
  assert.equal(brief('struct { int a; } BEGIN < >'), ['1:8: expected a struct name after `struct`, found `{`']);
  assert.equal(brief('struct S { int a; int b c[2]; } BEGIN < >'), ['1:19: `int b` is not a type']);
  assert.equal(brief('struct S { int a; 5 b; } BEGIN < >'), ['1:19: expected a member (`type name;`) or `}`, found `5`']);
  assert.equal(brief('union u { int a; }\nBEGIN < >'), ['1:1: expected a probe such as `BEGIN` or `kprobe:vfs_read`, found `union`']);
});

t('preprocessor lines', () => {
  assert.is(errors('#define MAX(a, b) a\nBEGIN < >'), [
    '-e:1:1: error: macros with parameters are not supported',
    '1 | #define MAX(a, b) a',
    '  | ^^^^^^^^^^^^^^^^^^^',
    '  = hint: only `#define NAME value` is: write the expression where it is used, or use a variable',
  ].join('\n'));
  assert.is(errors('#if KERNEL > 5\nBEGIN < >\n#endif'), [
    '-e:1:1: error: `#if` is not supported: only `#ifdef`, `#ifndef`, `#else` and `#endif`',
    '1 | #if KERNEL > 5',
    '  | ^^^',
    '  = hint: write `#ifdef NAME` or `#ifndef NAME`',
  ].join('\n'));
  assert.equal(brief('#ifndef X\nBEGIN < >'), ['2:10: missing `#endif` for the `#ifndef` at 1:1']);
  assert.equal(brief('#else\n#endif\nBEGIN < >'), ['1:1: `#else` without `#ifdef` or `#ifndef`', '2:1: `#endif` without `#ifdef` or `#ifndef`']);
  assert.equal(brief('#ifdef X\n#else\n#else\n#endif\nBEGIN < >'), ['3:1: a second `#else` for the same `#ifdef`']);
  assert.equal(brief('#ifdef\n#endif\nBEGIN < >'), ['1:1: expected a macro name after `#ifdef`']);
  assert.equal(brief('#define\nBEGIN < >'), ['1:1: expected a macro name after `#define`']);
  assert.is(errors('#pragma once\nBEGIN < >'), [
    '-e:1:1: error: unknown preprocessor directive `#pragma`',
    '1 | #pragma once',
    '  | ^^^^^^^',
    '  = hint: of the C preprocessor tsbt reads `#include` (skipped), `#define NAME value`, `#ifdef`, `#ifndef`, `#else` and `#endif`',
  ].join('\n'));
  assert.equal(brief('BEGIN <\n#include <x.h>\n>'), ['2:1: `#include` inside a block']);
  assert.equal(brief('BEGIN < $x = 1 # 2 >'), ['1:16: unexpected character `#`']);
  // A macro's tokens stand where it is used: an error in them points there.
  assert.equal(brief('#define ONE (1 + 1\nBEGIN < $x = ONE; >'), ['2:17: missing `)` to close the `(` at 2:14']);
});

t('a probe header inside an unclosed block is named as such', () => {
  const [first] = parse(new SourceFile('-e', 'BEGIN < x() kprobe:f < > >')).diagnostics;
  assert.is(first!.message, 'expected `;` or `>` after this statement, found `kprobe`');
  assert.is(first!.hint, '`kprobe:` starts a probe: is the block before it missing its `>`?');
});

t.run();
