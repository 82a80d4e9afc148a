// The full language (docs/language.md): the preamble (config, map declarations, structs), the
// statements and expressions beyond the first grammar, and the AST each one builds.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AssignStmt, Cast, ExprStmt, LetStmt, Program, Stmt, TypeExpr } from '../../grammar/ast.ts';
import { parse } from '../../grammar/index.ts';
import { scanInteger } from '../../grammar/literals.ts';
import { toSExpr } from '../../grammar/sexpr.ts';
import { SourceFile } from '../../grammar/source.ts';

const t = suite('grammar: the full language');

function program(text: string): Program {
  const result = parse(new SourceFile('-e', text));
  assert.equal(result.diagnostics.map((d) => d.message), [], `diagnostics for ${text}`);
  assert.ok(result.program);
  return result.program!;
}

const sexpr = (text: string) => toSExpr(program(text));
/** The S-expressions of the statements in `BEGIN < ... >`. */
const statements = (body: string) => sexpr(`BEGIN < ${body} >`).replace(/^\(probe BEGIN (.*)\)$/, '$1');
/** The S-expression of `$r = <source>`'s value. */
const value = (source: string) => statements(`$r = ${source};`).replace(/^\(= \$r (.*)\)$/, '$1');
const body = (text: string): Stmt[] => program(text).probes[0]!.body;
const integer = (literal: string) => {
  const scanned = scanInteger(literal, 0);
  assert.equal(scanned.diagnostics, [], literal);
  assert.is(scanned.end, literal.length, literal);
  return scanned.value;
};

t('config block: settings in order, values are expressions, `;` between them optional at the end', () => {
  const p = program('config = { max_strlen = 128; max_map_keys = 1000; stack_mode = perf; license = "GPL"; cpp_demangle = false }\nBEGIN < >');
  assert.is(toSExpr(p), '(config (max_strlen 128) (max_map_keys 1000) (stack_mode perf) (license "GPL") (cpp_demangle false))\n(probe BEGIN)');
  assert.equal(p.config.map((c) => c.kind), ['Config', 'Config', 'Config', 'Config', 'Config']);
  assert.is(sexpr('config = { BPFTRACE_MAX_STRLEN = 64; }; BEGIN { }'), '(config (BPFTRACE_MAX_STRLEN 64))\n(probe BEGIN)');
  assert.is(sexpr('config = { } BEGIN { }'), '(probe BEGIN)');
  const text = 'config = {\n  max_strlen = 128\n}\nBEGIN < >';
  const setting = program(text).config[0]!;
  assert.is(text.slice(setting.span.start, setting.span.end), 'max_strlen = 128');
});

t('map declarations: `let @name = kind(args);` at top level', () => {
  const p = program('let @a = hash(1024);\nlet @b = lruhash(10); let @c = percpuhash(5);\nlet @d = percpulruhash(1e3);\nBEGIN < @a[1] = 1 >');
  assert.equal(p.mapDecls.map((d) => [d.name, d.mapKind, toSExpr(d.args[0]!)]),
    [['@a', 'hash', '1024'], ['@b', 'lruhash', '10'], ['@c', 'percpuhash', '5'], ['@d', 'percpulruhash', '1000']]);
  assert.is(toSExpr(p.mapDecls[0]!), '(let @a (hash 1024))');
  const text = 'let @a = hash(1024); BEGIN < >';
  const decl = program(text).mapDecls[0]!;
  assert.is(text.slice(decl.span.start, decl.span.end), 'let @a = hash(1024)');
});

t('struct definitions: members with C types, pointers, arrays; `#include` lines are skipped', () => {
  const p = program([
    '#!/usr/bin/env tsbt',
    '#include <linux/sched.h>',
    '  #include "local.h"',
    'struct conn {',
    '  u32 a;',
    '  char name[16];',
    '  struct conn *next;',
    '  unsigned long long count;',
    '  const char *label;',
    '  pid_t pid;',
    '  int8 **pp;',
    '  char data[];',
    '};',
    'struct empty { }',
    'BEGIN < >',
  ].join('\n'));
  assert.is(toSExpr(p.structs[0]!), '(struct conn (<u32> a) (<char[16]> name) (<struct conn *> next) (<unsigned long long> count) ' +
    '(<char *> label) (<pid_t> pid) (<int8 **> pp) (<char[]> data))');
  assert.is(toSExpr(p.structs[1]!), '(struct empty)');
  const next = p.structs[0]!.fields[2]!;
  assert.equal({ ...next.type, span: undefined }, { kind: 'TypeExpr', name: 'struct conn', pointer: 1, span: undefined });
  const name = p.structs[0]!.fields[1]!.type;
  assert.is(name.arrayLen, 16);
  assert.is(p.structs[0]!.fields[7]!.type.unsizedArray, true);
});

t('preprocessor: #ifdef/#ifndef/#else/#endif with BPFTRACE_HAVE_BTF defined, #define NAME value expanded in blocks', () => {
  // The header of bpftrace's tools/tcpdrop.bt.
  const header = [
    '#ifndef BPFTRACE_HAVE_BTF',
    '#include <linux/socket.h>',
    '#include <net/sock.h>',
    '#else',
    '// With BTF providing types, socket headers are not needed.',
    '#define AF_INET   2',
    '#define AF_INET6 10  // AF_INET6',
    '#endif',
    '#define RED "\\033[31m"',
    '#define LIMIT (1 << 10)',
    '#define EMPTY',
  ].join('\n');
  const text = `${header}\nBEGIN { if ($f == AF_INET || $f == AF_INET6) { printf(RED) } $n = LIMIT * 2 EMPTY; $k = $s.AF_INET }`;
  const p = program(text);
  assert.is(toSExpr(p), '(probe BEGIN (if (|| (== $f 2) (== $f 10)) (then (call printf "\\u001b[31m"))) (= $n (* (<< 1 10) 2)) (= $k (. $s AF_INET)))');
  const cond = p.probes[0]!.body[0]!;
  const two = cond.kind === 'If' && cond.cond.kind === 'Binary' && cond.cond.left.kind === 'Binary' ? cond.cond.left.right : undefined;
  assert.is(two && text.slice(two.span.start, two.span.end), 'AF_INET', 'a macro\'s tokens are placed where it is used');
  // Inactive branches are skipped whatever they hold, nested conditionals included.
  assert.is(sexpr('#ifdef NOT_DEFINED\nthis is { not < tsbt\n#ifdef BPFTRACE_HAVE_BTF\n#error\n#endif\n#else\nBEGIN { }\n#endif\nEND { }'),
    '(probe BEGIN)\n(probe END)');
  assert.is(sexpr('#define X\n#ifdef X\nBEGIN { }\n#endif\n#undef X\n#ifdef X\nEND { }\n#endif'), '(probe BEGIN)');
  assert.is(sexpr('#define A B\n#define B A\nBEGIN { $x = A }'), '(probe BEGIN (= $x A))', 'a macro is not expanded inside itself');
  assert.is(sexpr('  #  include "x.h"\nBEGIN { }'), '(probe BEGIN)');
});

t('old-style casts to a name with stars: `(task_struct *)curtask`', () => {
  assert.is(value('(task_struct *)curtask'), '(cast <task_struct *> curtask)');
  assert.is(value('(cfs_rq_partial **)$t->se.cfs_rq'), '(cast <cfs_rq_partial **> (. (-> $t se) cfs_rq))');
  assert.is(value('(a * b)'), '(* a b)', 'not before `)`: an expression');
  assert.is(value('sizeof(task_struct *)'), '(sizeof <task_struct *>)');
  assert.is(value('(x /* c */ * ) y'), '(cast <x *> y)');
  assert.is(value('(a) * b'), '(* a b)');
});

t('preamble items in any order before the probes; the program keeps each kind apart', () => {
  const p = program('struct s { int x; }\nlet @m = hash(8);\nconfig = { max_map_keys = 8 }\nlet @n = lruhash(8);\nBEGIN < > END < >');
  assert.is(toSExpr(p), '(config (max_map_keys 8))\n(struct s (<int> x))\n(let @m (hash 8))\n(let @n (lruhash 8))\n(probe BEGIN)\n(probe END)');
});

t('let: declaration, initializer, type annotation', () => {
  assert.is(statements('let $x; let $y = 1; let $z: uint32 = 5; let $p: struct sock * = 0; let $s: string; let $q: pid_t'),
    '(let $x) (let $y 1) (let $z <uint32> 5) (let $p <struct sock *> 0) (let $s <string>) (let $q <pid_t>)');
  const [bare, typed] = body('BEGIN < let $x; let $z: uint32 = 5 >') as [LetStmt, LetStmt];
  assert.equal(Object.keys(bare).sort(), ['kind', 'name', 'span']);
  assert.is(typed.type!.name, 'uint32');
  assert.is(typed.value!.kind, 'Int');
});

t('compound assignment to maps and variables: AssignStmt with `op`', () => {
  assert.is(statements('$a += 1; $a -= 2; $a *= 3; $a /= 4; $a %= 5; @m[k] &= 6; @m[k] |= 7; @x ^= 8; $a <<= 9; $a >>= 10'),
    '(+= $a 1) (-= $a 2) (*= $a 3) (/= $a 4) (%= $a 5) (&= @m[k] 6) (|= @m[k] 7) (^= @x 8) (<<= $a 9) (>>= $a 10)');
  const [compound, plain] = body('BEGIN < @x[1] <<= 2 + 3; @y = 1 >') as [AssignStmt, AssignStmt];
  assert.is(compound.op, '<<');
  assert.is(toSExpr(compound.value), '(+ 2 3)');
  assert.is('op' in plain, false);
});

t('++ and --: prefix and postfix, on maps and variables, as statements and as values', () => {
  assert.is(statements('@x++; $i--; ++@m[k]; --$j; @[comm]++'), '(post++ @x) (post-- $i) (pre++ @m[k]) (pre-- $j) (post++ @[comm])');
  assert.is(value('$x++ + ++$y'), '(+ (post++ $x) (pre++ $y))');
  assert.is(value('-$x--'), '(- (post-- $x))');
  assert.is(value('$a - -$b'), '(- $a (- $b))');
  const [stmt] = body('BEGIN < @m[1]++ >') as [ExprStmt];
  assert.is(stmt.expr.kind, 'IncDec');
  assert.equal(stmt.expr.kind === 'IncDec' && [stmt.expr.op, stmt.expr.prefix, stmt.expr.target.kind], ['++', false, 'Map']);
});

t('while, for over a range and over a map, unroll', () => {
  assert.is(statements('while ($i < 10) < $i++ > while (1) { break }'),
    '(while (< $i 10) (do (post++ $i))) (while 1 (do (break)))');
  assert.is(statements('for ($i : 0..10) < @x[$i] = 1; > for ($j : $a..$b) { }'),
    '(for $i (range 0 10) (do (= @x[$i] 1))) (for $j (range $a $b) (do))');
  assert.is(statements('for ($i : -1..ncpus) < > for ($j : @lo..(@hi + 1)) < >'),
    '(for $i (range (- 1) ncpus) (do)) (for $j (range @lo (+ @hi 1)) (do))');
  assert.is(statements('for ($kv : @map) < print($kv.0); print($kv.1) > for ($e : @) { }'),
    '(for $kv @map (do (call print (. $kv 0)) (call print (. $kv 1)))) (for $e @ (do))');
  assert.is(statements('unroll(5) < $s++ > unroll (2 + 1) { }'), '(unroll 5 (do (post++ $s))) (unroll (+ 2 1) (do))');
  const [range, map] = body('BEGIN < for ($i : 0..3) < > for ($kv : @m) < > >');
  assert.is(range!.kind, 'ForRange');
  assert.is(map!.kind === 'ForMap' && map.map.name, '@m');
});

t('break, continue, return; nested blocks are statements and need no `;`', () => {
  assert.is(statements('break; continue; return'), '(break) (continue) (return)');
  assert.is(statements('< $a = 1 > { $b = 2 } < < $c = 3; > > $d = 4'), '(block (= $a 1)) (block (= $b 2)) (block (block (= $c 3))) (= $d 4)');
  assert.is(statements('if (a) < x() > < y() >'), '(if a (then (call x))) (block (call y))');
});

t('true, false, positional parameters and their count', () => {
  assert.is(value('true && !false'), '(&& true (! false))');
  assert.is(value('$1 + $2 * $12'), '(+ $1 (* $2 $12))');
  assert.is(value('$#'), '$#');
  const [stmt] = body('BEGIN < f($3, $#, true) >') as [ExprStmt];
  const args = stmt.expr.kind === 'Call' ? stmt.expr.args : [];
  assert.equal(args.map((a) => ({ ...a, span: undefined })), [
    { kind: 'Positional', index: 3, count: false, span: undefined },
    { kind: 'Positional', index: 0, count: true, span: undefined },
    { kind: 'Bool', value: true, span: undefined },
  ]);
});

t('ternary: lowest precedence, right-associative, usable as a statement', () => {
  assert.is(value('$a > $b ? 1 : 2'), '(? (> $a $b) 1 2)');
  assert.is(value('a ? b : c ? d : e'), '(? a b (? c d e))');
  assert.is(value('a ? b ? c : d : e'), '(? a (? b c d) e)');
  assert.is(value('a || b ? c + 1 : d && e'), '(? (|| a b) (+ c 1) (&& d e))');
  assert.is(value('(a ? b : c) + 1'), '(+ (? a b c) 1)');
  assert.is(statements('$a == 1 ? print("t") : print("f")'), '(? (== $a 1) (call print "t") (call print "f"))');
  assert.is(sexpr('kprobe:f /a ? b : c/ < >'), '(probe kprobe:f /(? a b c)/)');
});

t('casts: builtin and C type words, struct pointers, arrays; a cast binds like a prefix operator', () => {
  assert.is(value('(uint32)$x'), '(cast <uint32> $x)');
  assert.is(value('(int8)-1 + 2'), '(+ (cast <int8> (- 1)) 2)');
  assert.is(value('(struct sock *)arg0'), '(cast <struct sock *> arg0)');
  assert.is(value('((struct sock *)arg0)->sk_state'), '(-> (cast <struct sock *> arg0) sk_state)');
  assert.is(value('(struct sock *)arg0->sk_state'), '(cast <struct sock *> (-> arg0 sk_state))');
  assert.is(value('(uint8[4])12345'), '(cast <uint8[4]> 12345)');
  assert.is(value('(int8[])$x'), '(cast <int8[]> $x)');
  assert.is(value('(unsigned int)5 * 2'), '(* (cast <unsigned int> 5) 2)');
  assert.is(value('(const char *)arg1'), '(cast <char *> arg1)');
  assert.is(value('(u64)(uint32)$x'), '(cast <u64> (cast <uint32> $x))');
  assert.is(value('(uint64_t)1'), '(cast <uint64_t> 1)');
  assert.is(value('(int16 **)$p'), '(cast <int16 **> $p)');
  const cast = (body('BEGIN < $r = (struct sock *)arg0 >')[0] as AssignStmt).value as Cast;
  const type: TypeExpr = cast.type;
  assert.equal([type.name, type.pointer, type.arrayLen], ['struct sock', 1, undefined]);
});

t('* and & as prefix operators (dereference, address of) and as binary ones; enum types', () => {
  assert.is(value('*$p + 1'), '(+ (* $p) 1)');
  assert.is(value('$a * *$p'), '(* $a (* $p))');
  assert.is(value('&$sk->__sk_common.skc_net'), '(& (. (-> $sk __sk_common) skc_net))');
  assert.is(value('$a & &$s->f'), '(& $a (& (-> $s f)))');
  assert.is(value('**$pp'), '(* (* $pp))');
  assert.is(value('-*$p'), '(- (* $p))');
  assert.is(value('(*$p).x'), '(. (* $p) x)');
  assert.is(value('*(uint32 *)$a'), '(* (cast <uint32 *> $a))');
  assert.is(value('(struct sock *)*$pp'), '(cast <struct sock *> (* $pp))');
  assert.is(value('(enum tcp_ca_state)$n'), '(cast <enum tcp_ca_state> $n)');
  assert.is(value('sizeof(enum pid_type)'), '(sizeof <enum pid_type>)');
  assert.is(statements('print(*$sk);'), '(call print (* $sk))');
  // In a `< >` block, a `>` followed by `*` or `&` compares: they can start its right operand.
  assert.is(statements('$y = 2 > *$q;'), '(= $y (> 2 (* $q)))');
});

t('parentheses: a name in parentheses is an expression, a comma makes a tuple', () => {
  assert.is(value('(x)'), 'x');
  assert.is(value('(x) + 1'), '(+ x 1)');
  assert.is(value('((a))'), 'a');
  assert.is(value('(1, "a")'), '(tuple 1 "a")');
  assert.is(value('(1, (2, 3), pid)'), '(tuple 1 (tuple 2 3) pid)');
  assert.is(value('(1,)'), '(tuple 1)');
  assert.is(value('()'), '(tuple)');
  assert.is(statements('@[(pid, comm)] = 1'), '(= @[(tuple pid comm)] 1)');
});

t('tuple elements, indexing and field chains', () => {
  assert.is(value('$t.0'), '(. $t 0)');
  assert.is(value('$kv.0.1'), '(. (. $kv 0) 1)');
  assert.is(value('$t.1 + $t.10'), '(+ (. $t 1) (. $t 10))');
  assert.is(value('$a[1]'), '(index $a 1)');
  assert.is(value('$s.y[0]'), '(index (. $s y) 0)');
  assert.is(value('args.arr[$i + 1].f'), '(. (index (. args arr) (+ $i 1)) f)');
  assert.is(value('@m[1][2]'), '(index @m[1] 2)');
  assert.is(value('(1, "a")[0]'), '(index (tuple 1 "a") 0)');
  assert.is(value('args.config + args.string'), '(+ (. args config) (. args string))', 'keywords and type words as field names');
  const field = (body('BEGIN < $r = $t.0 >')[0] as AssignStmt).value;
  assert.equal(field.kind === 'Field' && [field.field, field.arrow], ['0', false]);
});

t('sizeof and offsetof', () => {
  assert.is(value('sizeof(uint32)'), '(sizeof <uint32>)');
  assert.is(value('sizeof(struct task_struct)'), '(sizeof <struct task_struct>)');
  assert.is(value('sizeof(char *)'), '(sizeof <char *>)');
  assert.is(value('sizeof($x) + 1'), '(+ (sizeof $x) 1)');
  assert.is(value('sizeof(@m[1])'), '(sizeof @m[1])');
  assert.is(value('offsetof(struct sock, sk_max_ack_backlog)'), '(offsetof <struct sock> sk_max_ack_backlog)');
  assert.is(value('offsetof(struct x, a.b.c)'), '(offsetof <struct x> a.b.c)');
  const e = (body('BEGIN < $r = offsetof(struct x, a.b) >')[0] as AssignStmt).value;
  assert.equal(e.kind === 'Offsetof' && e.field, ['a', 'b']);
});

t('integer literals: decimal, hex, octal, underscores, scientific, C suffixes, durations', () => {
  const cases: [string, bigint][] = [
    ['0', 0n], ['42', 42n], ['1_000_000', 1_000_000n], ['0x1f', 31n], ['0XFF', 255n], ['0xffff_ffff', 0xffff_ffffn],
    ['0777', 511n], ['00', 0n], ['010', 8n], ['1e6', 1_000_000n], ['2e3', 2000n], ['1E2', 100n], ['0e5', 0n], ['1_0e1', 100n],
    ['123U', 123n], ['123UL', 123n], ['123LL', 123n], ['123ull', 123n], ['0x10UL', 16n],
    ['5ns', 5n], ['3us', 3000n], ['1ms', 1_000_000n], ['1s', 1_000_000_000n], ['2m', 120_000_000_000n],
    ['1h', 3_600_000_000_000n], ['1d', 86_400_000_000_000n], ['1e3ms', 1_000_000_000n], ['18446744073709551615', (1n << 64n) - 1n],
  ];
  for (const [literal, expected] of cases) assert.is(integer(literal), expected, literal);
  assert.is(value('0777 + 1ms'), '(+ 511 1000000)');
});

t('type words and keywords are names where a name is expected, not elsewhere', () => {
  assert.is(statements('@int = 1; $string = 2; @m[$for] = 3'), '(= @int 1) (= $string 2) (= @m[$for] 3)');
  assert.is(sexpr('struct s { int config; u64 string; } BEGIN < >'), '(struct s (<int> config) (<u64> string))\n(probe BEGIN)');
});

t('spans of the new nodes', () => {
  const text = 'BEGIN < for ($i : 0..10) < $x = (uint8)$i ? sizeof(u32) : $t.0; > let $y: u64 = 1; @m[1] += 2 >';
  const [loop, let_, assign] = body(text);
  const slice = (span: { start: number; end: number }) => text.slice(span.start, span.end);
  assert.is(slice(loop!.span), 'for ($i : 0..10) < $x = (uint8)$i ? sizeof(u32) : $t.0; >');
  const inner = loop!.kind === 'ForRange' ? (loop.body[0] as AssignStmt) : undefined;
  assert.is(slice(inner!.value.span), '(uint8)$i ? sizeof(u32) : $t.0');
  const ternary = inner!.value.kind === 'Ternary' ? inner!.value : undefined;
  assert.is(slice(ternary!.cond.span), '(uint8)$i');
  assert.is(slice(ternary!.cond.kind === 'Cast' ? ternary!.cond.type.span : ternary!.span), 'uint8');
  assert.is(slice(ternary!.then.span), 'sizeof(u32)');
  assert.is(slice(ternary!.else.span), '$t.0');
  assert.is(slice(let_!.span), 'let $y: u64 = 1');
  assert.is(slice(assign!.span), '@m[1] += 2');
});

t('a bpftrace-style tool with the new constructs', () => {
  const script = [
    '#!/usr/bin/env bpftrace',
    '#include <net/sock.h>',
    'config = { max_map_keys = 10240 }',
    'let @start = lruhash(10240);',
    '',
    'kprobe:tcp_v4_connect {',
    '  $sk = (struct sock *)arg0;',
    '  @start[tid] = nsecs;',
    '  @sk[tid] = $sk;',
    '}',
    '',
    'kretprobe:tcp_v4_connect /has_key(@start, tid)/ {',
    '  $lat = (nsecs - @start[tid]) / 1us;',
    '  @lat = hist($lat);',
    '  @slow = $lat > 10ms ? @slow + 1 : @slow;',
    '  delete(@start, tid);',
    '}',
    '',
    'interval:s:1 {',
    '  for ($kv : @sk) { printf("%d\\n", $kv.0); }',
    '  $i = 0;',
    '  while ($i < 3) { $i++; if ($i == 2) { continue } }',
    '  unroll(2) { @ticks++; }',
    '}',
  ].join('\n');
  assert.is(sexpr(script), [
    '(config (max_map_keys 10240))',
    '(let @start (lruhash 10240))',
    '(probe kprobe:tcp_v4_connect (= $sk (cast <struct sock *> arg0)) (= @start[tid] nsecs) (= @sk[tid] $sk))',
    '(probe kretprobe:tcp_v4_connect /(call has_key @start tid)/ (= $lat (/ (- nsecs @start[tid]) 1000)) (= @lat (call hist $lat)) ' +
      '(= @slow (? (> $lat 10000000) (+ @slow 1) @slow)) (call delete @start tid))',
    '(probe interval:s:1 (for $kv @sk (do (call printf "%d\\n" (. $kv 0)))) (= $i 0) ' +
      '(while (< $i 3) (do (post++ $i) (if (== $i 2) (then (continue))))) (unroll 2 (do (post++ @ticks))))',
  ].join('\n'));
});

t.run();
