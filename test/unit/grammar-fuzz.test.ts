// Mutated programs (tokens deleted, duplicated, swapped; characters inserted; text cut) must never make
// `parse` throw: it yields a program, or at least one diagnostic, every span inside the text.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderDiagnostic } from '../../grammar/diagnostics.ts';
import { parse } from '../../grammar/index.ts';
import { lex } from '../../grammar/lexer.ts';
import { SourceFile, type Span } from '../../grammar/source.ts';
import { isRepairToken, tokenSpan } from '../../grammar/tokens.ts';

const t = suite('grammar: fuzzed programs never throw');

const PROGRAMS = [
  'kprobe:do_sys_openat2 < @[comm] = count(); >',
  'tracepoint:syscalls:sys_exit_read /args->ret > 0/ < @bytes = sum(args->ret) >',
  'BEGIN < @x = 5 > 3; printf("%d\\n", @x); exit(); >',
  'interval:s:1 < exit() > END < printf("bye\\n") >',
  't:syscalls:sys_enter_openat < @n = count() >',
  'BEGIN { printf("hello %d %s\\n", 42, "world"); exit(); }',
  'tracepoint:syscalls:sys_enter_openat, tracepoint:syscalls:sys_enter_open < @[comm] = count(); >',
  'BEGIN < if (1 > 0) < printf("yes\\n"); > else < printf("no\\n"); > >',
  'i:ms:500 < @x = $a > $b > END < >',
  [
    '#!/usr/bin/env tsbt',
    '/* reads */ uprobe:/bin/bash:readline, kprobe:func+16 /pid == 1 && comm != "sh"/ {',
    '  @m[pid, tid] = (0x1f << 2) | ~args.x->y % 3;  // comment',
    '  if ($v >= -1) { $v = 1 } else if (!$w) < @[1] = 2 >',
    '}',
  ].join('\n'),
  [
    '#include <linux/sched.h>',
    'config = { max_strlen = 128; max_map_keys = 1_000 }',
    'let @start = lruhash(1e3);',
    'struct conn { u32 a; char name[16]; struct conn *next; unsigned long n; };',
    'kprobe:f { let $x: uint32 = (uint32)arg0; @start[tid] += $x > 1 ? 0x1f : 0777; @n++; --$x; }',
  ].join('\n'),
  'BEGIN < $i = 0; while ($i < 10) < $i++ > for ($k : @m) < print($k.0.1); break > unroll(2) < continue; > return; >',
  'i:s:1 < for ($i : 0..$#) < @x[$i] <<= $1 >> 2; > < $t = (1, "a", pid); $u = (1,); $v = $t[0] > END < >',
  '#ifndef BPFTRACE_HAVE_BTF\n#include <net/sock.h>\n#else\n#define AF_INET 2\n#endif\nprofile:hz:99 { $t = (task_struct *)curtask; @[$t->pid == AF_INET] = count(); }',
  'BEGIN { $p = (struct sock *)arg0; $s = sizeof(struct sock) + sizeof($p) + offsetof(struct sock, a.b); $c = (uint8[4])5ms; @b = true || !false; }',
];

const INSERTS = [
  '<', '>', '{', '}', '(', ')', '[', ']', '/', ';', ',', '"', "'", '@', '$', '#', ':', '=', '\n', ' ', '*/', '/*', '//', 'if', 'else', 'BEGIN',
  '\\', '0x', '>>', '\u00a0', '?', '..', '++', '--', '+=', '>>=', '<<=', 'let', 'for', 'while', 'unroll', 'struct', 'config', '#include x\n',
  '$#', '$1', 'uint32', '*', '.0', '1e', '0', 'ms', 'sizeof', 'return', '\n#define X (\n', '\n#ifdef X\n', '\n#else\n', '\n#endif\n', 'X',
];

/** Deterministic PRNG (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, rand: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
  const spans: Span[] = lex(new SourceFile('-e', text)).tokens.filter((k) => !isRepairToken(k)).map(tokenSpan);
  const token = (): Span => (spans.length > 0 ? pick(spans) : { start: 0, end: 0 });
  const cut = (span: Span, by = '') => text.slice(0, span.start) + by + text.slice(span.end);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return cut(token());
    case 1: {
      const s = token();
      return text.slice(0, s.end) + ' ' + text.slice(s.start);
    }
    case 2: {
      const [a, b] = [token(), token()].sort((x, y) => x.start - y.start) as [Span, Span];
      if (a.end > b.start) return text;
      return text.slice(0, a.start) + text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end) + text.slice(b.end);
    }
    case 3: {
      const at = Math.floor(rand() * (text.length + 1));
      return text.slice(0, at) + pick(INSERTS) + text.slice(at);
    }
    default:
      return text.slice(0, Math.floor(rand() * text.length));
  }
}

/** Every span in an AST (`span`, `opSpan`, `fieldSpan`, `calleeSpan`). */
function spansIn(node: unknown): Span[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    /span$/i.test(key) && typeof value === 'object' ? [value as Span] : Array.isArray(value) ? value.flatMap(spansIn) : spansIn(value));
}

t('1000 mutated programs: a program or diagnostics, spans in range, same result twice', () => {
  const rand = random(0x7eb7);
  const started = performance.now();
  let withProgram = 0;
  for (let i = 0; i < 1000; i++) {
    let text = PROGRAMS[i % PROGRAMS.length]!;
    const rounds = 1 + Math.floor(rand() * 3);
    for (let r = 0; r < rounds; r++) text = mutate(text, rand);
    const source = new SourceFile('fuzz', text);
    let result: ReturnType<typeof parse>;
    try {
      result = parse(source);
    } catch (e) {
      assert.unreachable(`parse threw ${(e as Error).stack} for ${JSON.stringify(text)}`);
      return;
    }
    const what = JSON.stringify(text);
    if (result.program) {
      withProgram++;
      assert.is(result.diagnostics.filter((d) => d.severity === 'error').length, 0, what);
      for (const span of spansIn(result.program)) assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, `AST span in ${what}`);
    } else {
      assert.ok(result.diagnostics.length > 0, `no program and no diagnostic for ${what}`);
    }
    for (const d of result.diagnostics) {
      assert.ok(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length, `span ${JSON.stringify(d.span)} for ${what}`);
      assert.ok(d.message.length > 0 && !/-->|<--|Expecting/.test(d.message), `message ${d.message}`);
      assert.type(renderDiagnostic(d, source), 'string');
    }
    // The parser instance is shared: nothing may leak from one parse into the next.
    assert.equal(parse(source).diagnostics, result.diagnostics, `second parse of ${what}`);
  }
  assert.ok(withProgram > 50 && withProgram < 950, `some mutants stay valid, most do not (${withProgram})`);
  assert.ok(performance.now() - started < 10_000, 'bounded time');
});

t('pathological inputs: deep nesting, long operator runs, binary junk', () => {
  const inputs = [
    `BEGIN < $x = ${'('.repeat(5000)}1${')'.repeat(5000)} >`,
    `BEGIN < ${'if (1) < '.repeat(2000)}${'> '.repeat(2000)}>`,
    `BEGIN < $x = ${'-'.repeat(20000)}1 >`,
    `BEGIN < $x = ${'1 + '.repeat(20000)}1 >`,
    `BEGIN < $x = ${'- '.repeat(20000)}1 >`,
    `BEGIN < $x = ${'a ? b : '.repeat(5000)}c >`,
    `BEGIN < $x = ${'(uint32)'.repeat(5000)}1 >`,
    `BEGIN < $x = ${'++'.repeat(5000)}$y >`,
    `BEGIN < $x = $t${'.0'.repeat(5000)}[1]${'[2]'.repeat(5000)} >`,
    `BEGIN < ${'while (1) < '.repeat(100)}${'> '.repeat(100)}>`,
    `${'let @a = hash(1);\n'.repeat(3000)}BEGIN < >`,
    `struct s { ${'u32 a; '.repeat(5000)}} BEGIN < >`,
    `config = { ${'a = 1; '.repeat(5000)}} BEGIN < >`,
    'BEGIN < $x = 1e999999999999; $y = 0x' + 'f'.repeat(5000) + ' >',
    '>'.repeat(1000),
    '<'.repeat(1000),
    String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256)),
  ];
  for (const text of inputs) {
    const result = parse(new SourceFile('x', text));
    assert.ok(result.program || result.diagnostics.length > 0);
    for (const d of result.diagnostics) assert.ok(d.span.start >= 0 && d.span.end <= text.length);
  }
});

t.run();
