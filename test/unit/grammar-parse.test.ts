import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '../../grammar/index.ts';
import { validateGrammar } from '../../grammar/parser.ts';
import { toSExpr } from '../../grammar/sexpr.ts';
import { SourceFile } from '../../grammar/source.ts';
import type { AssignStmt, Binary, Call, ExprStmt, Program } from '../../grammar/ast.ts';

const t = suite('grammar: programs parse to the AST users mean');

function program(text: string): Program {
  const result = parse(new SourceFile('-e', text));
  assert.equal(result.diagnostics.map((d) => d.message), [], `diagnostics for ${text}`);
  assert.ok(result.program);
  return result.program!;
}

const sexpr = (text: string) => toSExpr(program(text));
/** The S-expression of the single statement in `BEGIN < ... >`. */
const statement = (body: string) => sexpr(`BEGIN < ${body} >`).replace(/^\(probe BEGIN (.*)\)$/, '$1');

t('the grammar passes Chevrotain’s own checks (no ambiguity, no left recursion)', () => {
  validateGrammar();
});

t('the example one-liners', () => {
  assert.is(sexpr('kprobe:do_sys_openat2 < @[comm] = count(); >'), '(probe kprobe:do_sys_openat2 (= @[comm] (call count)))');
  assert.is(sexpr('tracepoint:syscalls:sys_exit_read /args->ret > 0/ < @bytes = sum(args->ret) >'),
    '(probe tracepoint:syscalls:sys_exit_read /(> (-> args ret) 0)/ (= @bytes (call sum (-> args ret))))');
  assert.is(sexpr('BEGIN < @x = 5 > 3; printf("%d\\n", @x); exit(); >'),
    '(probe BEGIN (= @x (> 5 3)) (call printf "%d\\n" @x) (call exit))');
  assert.is(sexpr('interval:s:1 < exit() > END < printf("bye\\n") >'),
    '(probe interval:s:1 (call exit))\n(probe END (call printf "bye\\n"))');
  assert.is(sexpr('t:syscalls:sys_enter_openat < @n = count() >'), '(probe t:syscalls:sys_enter_openat (= @n (call count)))');
  assert.is(sexpr('BEGIN { printf("hello %d %s\\n", 42, "world"); exit(); }'),
    '(probe BEGIN (call printf "hello %d %s\\n" 42 "world") (call exit))');
  assert.is(sexpr('tracepoint:syscalls:sys_enter_openat, tracepoint:syscalls:sys_enter_open < @[comm] = count(); >'),
    '(probe tracepoint:syscalls:sys_enter_openat tracepoint:syscalls:sys_enter_open (= @[comm] (call count)))');
  assert.is(sexpr('BEGIN < if (1 > 0) < printf("yes\\n"); > else < printf("no\\n"); > >'),
    '(probe BEGIN (if (> 1 0) (then (call printf "yes\\n")) (else (call printf "no\\n"))))');
  assert.is(sexpr('i:ms:500 < @x = $a > $b > END < >'), '(probe i:ms:500 (= @x (> $a $b)))\n(probe END)');
});

t('`< >` and `{ }` blocks give the same AST', () => {
  const angle = program('kprobe:f /pid == 1/ < @x[pid] = 1; if (@x) < exit() > else < $y = 2 > >');
  const brace = program('kprobe:f /pid == 1/ { @x[pid] = 1; if (@x) { exit() } else { $y = 2 } }');
  assert.is(toSExpr(angle), toSExpr(brace));
  assert.is(toSExpr(angle), '(probe kprobe:f /(== pid 1)/ (= @x[pid] 1) (if @x (then (call exit)) (else (= $y 2))))');
});

t('probe specs: provider, parts split on `:`, text as written', () => {
  const specs = program([
    'BEGIN, END, begin, end,',
    'tracepoint:syscalls:sys_enter_openat, t:syscalls:sys_enter_open*, kprobe:do_sys_openat2, kprobe:func+16,',
    'kretprobe:vfs_read, uprobe:/bin/bash:readline, uprobe:libc:strlen, uprobe:/lib/x.so:0x1234,',
    'usdt:/path:provider:probe, interval:s:1, interval:ms:500, i:s:1, profile:hz:99,',
    'software:cpu-clock:100000, rawtracepoint:sched_switch, fentry:vfs_read < >',
  ].join('\n')).probes[0]!.specs;
  const shapes = specs.map((s) => [s.provider, ...s.parts].join(' | '));
  assert.equal(shapes, [
    'BEGIN', 'END', 'begin', 'end',
    'tracepoint | syscalls | sys_enter_openat', 't | syscalls | sys_enter_open*', 'kprobe | do_sys_openat2', 'kprobe | func+16',
    'kretprobe | vfs_read', 'uprobe | /bin/bash | readline', 'uprobe | libc | strlen', 'uprobe | /lib/x.so | 0x1234',
    'usdt | /path | provider | probe', 'interval | s | 1', 'interval | ms | 500', 'i | s | 1', 'profile | hz | 99',
    'software | cpu-clock | 100000', 'rawtracepoint | sched_switch', 'fentry | vfs_read',
  ]);
  assert.is(specs[5]!.text, 't:syscalls:sys_enter_open*');
});

t('a spec ends at a space, a delimiter or a `/` that is not inside a path', () => {
  assert.is(sexpr('kprobe:f/pid == 1/{ @x = 1 }'), '(probe kprobe:f /(== pid 1)/ (= @x 1))');
  assert.is(sexpr('uprobe:./a.out:main,uprobe:/usr/lib/*.so:malloc< >'), '(probe uprobe:./a.out:main uprobe:/usr/lib/*.so:malloc)');
  assert.is(sexpr('BEGIN{exit()}END<exit()>'), '(probe BEGIN (call exit))\n(probe END (call exit))');
});

t('statements: assignments, calls, empty statements, optional trailing `;`', () => {
  assert.is(statement('@x = 1; @y[1, "a"] = 2; @[comm] = 3; $v = 4;'), '(= @x 1) (= @y[1 "a"] 2) (= @[comm] 3) (= $v 4)');
  assert.is(statement(';; exit();; ;'), '(call exit)');
  assert.is(statement('exit()'), '(call exit)');
  assert.is(sexpr('BEGIN < >'), '(probe BEGIN)');
  assert.is(sexpr('BEGIN { }'), '(probe BEGIN)');
  const assign = program('BEGIN < @[comm] = count() >').probes[0]!.body[0] as AssignStmt;
  assert.is(assign.target.kind, 'Map');
  assert.is(assign.target.kind === 'Map' && assign.target.name, '@');
});

t('if / else if / else, with no `;` needed after a block', () => {
  assert.is(statement('if (a) < x() > else if (b) < y() > else < z(); > w()'),
    '(if a (then (call x)) (else (if b (then (call y)) (else (call z))))) (call w)');
  assert.is(statement('if (a) { x() } if (b) < y(); >'), '(if a (then (call x))) (if b (then (call y)))');
  assert.is(statement('if (a) < if (b) < c() > >'), '(if a (then (if b (then (call c)))))');
});

t('binary operators follow C precedence and associate to the left', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['a - b - c', '(- (- a b) c)'],
    ['a / b % c * d', '(* (% (/ a b) c) d)'],
    ['a << 1 + 2', '(<< a (+ 1 2))'],
    ['a < b << c', '(< a (<< b c))'],
    ['a >> 1 >= 2', '(>= (>> a 1) 2)'],
    ['a == b < c', '(== a (< b c))'],
    ['a != b == c', '(== (!= a b) c)'],
    ['a & b == c', '(& a (== b c))'],
    ['a | b ^ c & d', '(| a (^ b (& c d)))'],
    ['a || b && c | d', '(|| a (&& b (| c d)))'],
    ['(a || b) && c', '(&& (|| a b) c)'],
    ['a <= b', '(<= a b)'],
  ];
  for (const [source, expected] of cases) assert.is(statement(`$r = ${source};`), `(= $r ${expected})`, source);
});

t('unary operators, field access chains, calls and maps as operands', () => {
  assert.is(statement('$r = !a == -b;'), '(= $r (== (! a) (- b)))');
  assert.is(statement('$r = ~-!x;'), '(= $r (~ (- (! x))))');
  assert.is(statement('$r = -args->count;'), '(= $r (- (-> args count)))');
  assert.is(statement('$r = args->a.b->c;'), '(= $r (-> (. (-> args a) b) c))');
  assert.is(statement('$r = args.ret;'), '(= $r (. args ret))');
  assert.is(statement('$r = f(g(1), @m[pid, tid], $v) + @n;'), '(= $r (+ (call f (call g 1) @m[pid tid] $v) @n))');
  assert.is(statement('$r = retval + arg0 + nsecs + cpu + $1;'), '(= $r (+ (+ (+ (+ retval arg0) nsecs) cpu) $1))');
});

t('integer and string literals', () => {
  assert.is(statement('$r = 0x1f + 1_000 + 0xffff_ffff_ffff_ffff + 0;'), '(= $r (+ (+ (+ 31 1000) 18446744073709551615) 0))');
  const call = (program('BEGIN < printf("a\\tb\\\\c\\"d\\0e\\x41\\101\\n") >').probes[0]!.body[0] as ExprStmt).expr as Call;
  assert.is(call.args[0]!.kind === 'Str' && call.args[0]!.value, 'a\tb\\c"d\0eAA\n');
});

t('nodes carry the spans of their source text', () => {
  const text = 'kprobe:f /pid > 1/ < @x[comm] = a + b * 2; >';
  const probe = program(text).probes[0]!;
  const slice = (span: { start: number; end: number }) => text.slice(span.start, span.end);
  assert.is(slice(probe.span), text);
  assert.is(slice(probe.specs[0]!.span), 'kprobe:f');
  assert.is(slice(probe.filter!.span), 'pid > 1');
  const assign = probe.body[0] as AssignStmt;
  assert.is(slice(assign.span), '@x[comm] = a + b * 2');
  assert.is(slice(assign.target.span), '@x[comm]');
  const sum = assign.value as Binary;
  assert.is(slice(sum.span), 'a + b * 2');
  assert.is(slice(sum.opSpan), '+');
  assert.is(slice(sum.right.span), 'b * 2');
  const call = (program('BEGIN < printf("%d", x) >').probes[0]!.body[0] as ExprStmt).expr as Call;
  assert.is(call.calleeSpan.start, 8);
  assert.is(call.span.end, 23);
});

t('a multi-line script with a #! line, comments and both block styles', () => {
  const script = [
    '#!/usr/bin/env tsbt',
    '/*',
    ' * Count reads per process.',
    ' */',
    'BEGIN <',
    '  printf("Tracing...\\n")   // the block may end without `;`',
    '>',
    '',
    'tracepoint:syscalls:sys_exit_read /args->ret > 0/ <',
    '  @bytes[comm] = sum(args->ret);',
    '  if (args->ret > 4096) < @big[comm] = count() >',
    '  else < $small = args->ret & 0xff; >',
    '>',
    '',
    'interval:s:1 {',
    '  print(@bytes);   /* a comment */ exit();',
    '}',
    'END < clear(@bytes) >',
  ].join('\n');
  assert.is(sexpr(script), [
    '(probe BEGIN (call printf "Tracing...\\n"))',
    '(probe tracepoint:syscalls:sys_exit_read /(> (-> args ret) 0)/ (= @bytes[comm] (call sum (-> args ret))) ' +
      '(if (> (-> args ret) 4096) (then (= @big[comm] (call count))) (else (= $small (& (-> args ret) 255)))))',
    '(probe interval:s:1 (call print @bytes) (call exit))',
    '(probe END (call clear @bytes))',
  ].join('\n'));
});

t.run();
