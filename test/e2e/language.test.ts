// The language end to end on the real kernel: BEGIN-only scripts and their exact output. Expected
// texts were checked against bpftrace 0.17 on this machine, except where a comment says why tsbt
// differs on purpose (bpftrace 0.17 bugs; the newest bpftrace documentation).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('language on the real kernel: exact output');
const k = kernelTestsEnabled() ? t : t.skip;

const cases: [name: string, script: string, expected: string, args?: string[]][] = [
  ['aggregations print in bpftrace\'s formats, sorted by name',
    'BEGIN { @s = stats(10); @s = stats(20); @a = avg(7); @a = avg(8); @mn = min(-4); @mn = min(3); @mx = max(9); @mx = max(2); @c[1, "a"] = count(); @c[1, "a"] = count(); @c[2, "b"] = count(); @neg = sum(-5); exit(); }',
    '\n\n@a: 7\n\n@c[2, b]: 1\n@c[1, a]: 2\n@mn: -4\n@mx: 9\n@neg: -5\n@s: count 2, average 15, total 30\n\n'],
  // bpftrace 0.17 divides signed numbers as unsigned (and warns); tsbt follows C: truncation toward zero.
  ['signed division and modulo truncate toward zero; tuples and the ternary operator',
    'BEGIN { $x = 7; $y = $x / 2; $z = -7 / 2; $m = -7 % 3; @r = ($y, $z, $m); printf("%d %d %d %s\\n", $y, $z, $m, $x > 5 ? "big" : "small"); exit(); }',
    '3 -3 -1 big\n\n\n@r: (3, -3, -1)\n'],
  ['while, continue, break, ++ and +=',
    'BEGIN { $i = 0; $s = 0; while ($i < 10) { $i++; if ($i == 3) { continue; } if ($i > 8) { break; } $s += $i; } printf("%d %d\\n", $i, $s); exit(); }',
    '9 33\n\n\n'],
  // bpftrace 0.17 prints `%%` after the last conversion literally; C (and newer bpftrace) print `%`.
  ['printf conversions, widths and flags as C',
    'BEGIN { printf("%5d|%-5d|%05d|%x|%X|%o|%c|%u|%s|%-6s|%%\\n", 42, 42, 42, 255, 255, 8, 65, -1, "str", "ab"); exit(); }',
    '   42|42   |00042|ff|FF|10|A|4294967295|str|ab    |%\n\n\n'],
  // The newest bpftrace prints `@h:` without 0.17's trailing space.
  ['hist and lhist buckets',
    'BEGIN { @h = hist(0); @h = hist(1); @h = hist(5); @h = hist(-1); @h = hist(3); @l = lhist(5, 0, 30, 10); @l = lhist(25, 0, 30, 10); @l = lhist(150, 0, 30, 10); exit(); }',
    '\n\n@h:\n(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n@l:\n[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[10, 20)               0 |                                                    |\n[20, 30)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n[30, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n'],
  ['string comparison, string maps sorted by key, delete and has_key',
    'BEGIN { $a = "abc"; if ($a == "abc") { @eq = 1; } if ($a != "abd") { @ne = 1; } @m["b"] = "x"; @m["a"] = "y"; @k["gone"] = 1; delete(@k["gone"]); @has = has_key(@m, "a"); exit(); }',
    // @k is empty after delete(): bpftrace prints an empty map as a blank line. has_key() is a bool in
    // the newest bpftrace (0.17 has no has_key()): it prints as true.
    '\n\n@eq: 1\n@has: true\n\n@m[a]: y\n@m[b]: x\n@ne: 1\n'],
  ['integer casts truncate and sign-extend; && and || short-circuit',
    'BEGIN { printf("%d %d %d %d\\n", (uint8)300, (int8)200, (uint16)-1, (int32)4294967295); printf("%d %d\\n", 0 && 1, 0 || 2); exit(); }',
    '44 -56 65535 -1\n0 1\n\n\n'],
  ['positional parameters and $#',
    'BEGIN { printf("%d %s %d\\n", $1 * 2, str($2), $#); exit(); }',
    '42 two 2\n\n\n', ['21', 'two']],
  ['print() of a map and a value; clear() and exit codes',
    'BEGIN { @x[1] = 2; print(@x); print(5); print("five"); clear(@x); @after = 1; exit(7); }',
    '@x[1]: 2\n5\nfive\n\n\n@after: 1\n\n'],
  ['for over a range and unroll',
    'BEGIN { $s = 0; for ($i : 0..5) { $s += $i; } unroll(3) { $s++; } printf("%d\\n", $s); exit(); }',
    '13\n\n\n'],
  ['tsbt blocks < >, let with types that wrap, config, map declarations, literal forms',
    'config = { max_strlen = 32 } let @lru = lruhash(10); BEGIN < let $x: uint8 = 255; $x++; let $y: int8 = 127; $y += 1; @lru[1] = $x; printf("%d %d %d %x\\n", $y, 1_000 + 0x10 + 010, sizeof(uint32), 1e3); exit(); >',
    '-128 1024 4 3e8\n\n\n@lru[1]: 0\n'],
  // Keyless aggregations live in per-CPU arrays: a slot prints once written (also when zero() made it
  // 0), and not after clear(). clear()/zero() act in user space when their event arrives, after this
  // BEGIN has finished (as in bpftrace): @n's second min() is cleared too, and prints as an empty map.
  ['keyless aggregations: print, zero() and clear()',
    'BEGIN { @c = count(); @c = count(); print(@c); zero(@c); @h = hist(2); zero(@h); @g = count(); clear(@g); @s = sum(0); @m = max(-3); print(@m); @n = min(4); clear(@n); @n = min(9); exit(); }',
    '@c: 2\n@m: -3\n\n\n@c: 0\n\n@h:\n\n@m: -3\n\n@s: 0\n'],
  // bool (the newest bpftrace; 0.17 has none): true/false literals, casts that test for nonzero,
  // printed as true/false in print(), tuples, map keys and values and %s; %d gives 1/0.
  ['bool: literals, (bool) casts, printing',
    'BEGIN { $b = true; let $f: bool = false; print($b); print(($b, $f, 7)); @k[true] = (bool)256; @z = (bool)0; @s = strcontains("abc", "b"); printf("%d %d %s %s\\n", $b, $f, $b, (bool)$1); exit(); }',
    'true\n(true, false, 7)\n1 0 true true\n\n\n@k[true]: true\n@s: true\n@z: false\n', ['5']],
  ['nested tuples print nested, in values and map values',
    'BEGIN { $t = (1, (2, "a")); print($t); @m[1] = (3, (4, "b"), 5); @m[0] = (6, (7, "c"), 8); @n["x"] = ((1, -2), ("s", (3, "d"))); $u = ((9, "e"), 10); print($u); exit(); }',
    '(1, (2, a))\n((9, e), 10)\n\n\n@m[0]: (6, (7, c), 8)\n@m[1]: (3, (4, b), 5)\n@n[x]: ((1, -2), (s, (3, d)))\n'],
  // bpftrace 0.17 refuses tuples as key parts and %s of a tuple; the newest bpftrace takes both: a key
  // prints as the tuple of its parts without the outer parentheses, so `@one[(5, "x")]` is `@one[5, x]`.
  ['a key part that is a tuple prints in parentheses and sorts by its elements; %s of nested tuples',
    'BEGIN { @k[(1, 2), 3] = 1; @k[(1, 1), 4] = 1; @k[(0, -1), 5] = 2; @one[(5, "x")] = 3; @two[(5, (6, "y"))] = 4; printf("%s|%s\\n", (1, (2, "a")), ((3, 4), "b")); exit(); }',
    '(1, (2, a))|((3, 4), b)\n\n\n@k[(1, 1), 4]: 1\n@k[(1, 2), 3]: 1\n@k[(0, -1), 5]: 2\n@one[5, x]: 3\n@two[5, (6, y)]: 4\n'],
  ['strncmp, strcontains, strlen',
    'BEGIN { $s = "hello world"; printf("%d %d %d %d %d\\n", strncmp($s, "help", 3), strncmp($s, "help", 4), strcontains($s, "o w"), strcontains($s, "xyz"), strlen($s)); exit(); }',
    '0 1 1 0 11\n\n\n'],
];

for (const [name, script, expected, args] of cases) {
  k(name, async () => {
    const r = await runTsbt(['-q', '-e', script, ...(args ?? [])]);
    assert.is(r.stdout, expected, r.stderr);
    assert.is(r.code, script.includes('exit(7)') ? 7 : 0, r.stderr);
  });
}

t.run();
