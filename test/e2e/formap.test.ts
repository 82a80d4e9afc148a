// `for ($kv : @map)` and `len()` on the real kernel, exact output. bpftrace 0.17 (the one installed
// here) has neither, so the expected texts follow the newest bpftrace documentation: `$kv` is (key,
// value), the key a tuple for several keys; variables of the probe are read and written in the body;
// per-CPU count/sum/min/max values are added up over the CPUs. Hash maps iterate in an order the
// kernel picks (its hash seed is random per map), so the loops here write into other maps (printed
// sorted), add up, or iterate one entry.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { kernelTestsEnabled, runTsbt } from './harness.ts';
import { childBinary, hex } from './reliability-child.ts';

const t = suite('for over maps and len() on the real kernel: exact output');
const k = kernelTestsEnabled() ? t : t.skip;

const cases: [name: string, script: string, expected: string, code?: number][] = [
  ['each (key, value) once, written into another map',
    'BEGIN { @m[1] = 10; @m[2] = 20; @m[3] = 30; for ($kv : @m) { @copy[$kv.0] = $kv.1 + 1; } printf("%d\\n", len(@copy)); clear(@m); exit(); }',
    '3\n\n\n@copy[1]: 11\n@copy[2]: 21\n@copy[3]: 31\n\n'],
  ['several keys: $kv.0 is a tuple of the keys; strings and tuples as keys and values',
    'BEGIN { @m["a", 1] = "x"; @m["bb", 2] = "yy"; for ($kv : @m) { @k[$kv.0.0] = ($kv.0.1, $kv.1); } clear(@m); exit(); }',
    '\n\n@k[a]: (1, x)\n@k[bb]: (2, yy)\n\n'],
  ['printf and print of the pair and its parts',
    'BEGIN { @one[7, "seven"] = (1, "uno"); for ($kv : @one) { printf("%d %s %d %s\\n", $kv.0.0, $kv.0.1, $kv.1.0, $kv.1.1); print($kv.0); print($kv.1); } clear(@one); exit(); }',
    '7 seven 1 uno\n(7, seven)\n(1, uno)\n\n\n\n'],
  // The newest bpftrace: the pair of a map with several keys is ((key1, key2), value), printed nested.
  ['print and %s of the whole pair: nested tuples',
    'BEGIN { @one[7, "seven"] = (1, "uno"); @s[1] = (2, "a"); for ($kv : @one) { print($kv); printf("%s\\n", $kv); } for ($kv : @s) { print($kv); @copy[$kv.0, $kv] = 1; } clear(@one); clear(@s); exit(); }',
    '((7, seven), (1, uno))\n((7, seven), (1, uno))\n(1, (2, a))\n\n\n@copy[1, (1, (2, a))]: 1\n\n\n'],
  ['continue skips an entry, break stops at the first',
    'BEGIN { @i[1] = 1; @i[2] = 2; @i[3] = 3; @i[4] = 4; $t = 0; $b = 0; for ($kv : @i) { if ($kv.0 == 2) { continue; } $t += $kv.1; } for ($kv : @i) { $b++; break; $b = 100; } printf("%d %d\\n", $t, $b); clear(@i); exit(); }',
    '8 1\n\n\n\n'],
  ['the probe\'s variables are read and written in the body, and keep what it wrote',
    'BEGIN { @one["k"] = 42; $n = 1; $s = "none"; $tup = (0, "z"); for ($kv : @one) { $n = $n + $kv.1; $s = $kv.0; $tup = ($kv.1, "q"); let $inner = 5; $n += $inner; } printf("%d %s %d %s\\n", $n, $s, $tup.0, $tup.1); clear(@one); exit(); }',
    '48 k 42 q\n\n\n\n'],
  ['a counter the body changes and tests, then tested after the loop (kept where the verifier does not follow it)',
    'BEGIN { @m[1] = 5; @m[2] = 50; @m[3] = 500; $big = 0; $seen = 0; for ($kv : @m) { $seen++; if ($kv.1 > 10) { $big++; } if ($seen == 3) { break; } } if ($big > 1) { printf("%d of %d\\n", $big, $seen); } clear(@m); exit(); }',
    '2 of 3\n\n\n\n'],
  ['nested loops: the inner body sees the outer pair',
    'BEGIN { @x[1] = 2; @x[2] = 3; @y[10] = 5; @y[20] = 7; $pairs = 0; for ($a : @x) { for ($b : @y) { @prod[$a.0, $b.0] = $a.1 * $b.1; $pairs++; } } printf("%d\\n", $pairs); clear(@x); clear(@y); exit(); }',
    '4\n\n\n@prod[1, 10]: 10\n@prod[1, 20]: 14\n@prod[2, 10]: 15\n@prod[2, 20]: 21\n\n\n'],
  ['len() of maps (empty, after a delete, of a count() map) and of the kernel stack',
    'BEGIN { printf("%d ", len(@m)); @m[1] = 1; @m[2] = 2; @m[3] = 3; delete(@m, 2); @c[1] = count(); @c[5] = count(); printf("%d %d %d\\n", len(@m), len(@c), len(kstack) > 0); clear(@m); clear(@c); exit(); }',
    '0 2 2 1\n\n\n\n\n'],
  ['count, sum, min and max values in a loop are the totals user space prints',
    'BEGIN { @c[1] = count(); @c[1] = count(); @s["a"] = sum(-5); @s["a"] = sum(2); @lo[1] = min(7); @lo[1] = min(-3); @hi[1] = max(-9); @hi[1] = max(-4); for ($kv : @c) { printf("count %d\\n", $kv.1); } for ($kv : @s) { printf("sum %d\\n", $kv.1); } for ($kv : @lo) { printf("min %d\\n", $kv.1); } for ($kv : @hi) { printf("max %d\\n", $kv.1); } exit(); }',
    'count 2\nsum -3\nmin -3\nmax -4\n\n\n@c[1]: 2\n@hi[1]: -4\n@lo[1]: -3\n@s[a]: -3\n'],
  ['return in the body leaves the probe; exit() in the body ends the script with its code',
    'BEGIN { @m[1] = 1; for ($kv : @m) { printf("in\\n"); return; } printf("not printed\\n"); } END { printf("end\\n"); for ($kv : @m) { printf("%d\\n", $kv.1); } clear(@m); }',
    'in\nend\n1\n\n\n\n'],
  ['exit(code) inside a loop',
    'BEGIN { @m[1] = 1; for ($kv : @m) { exit(4); } printf("not printed\\n"); } END { clear(@m); }',
    '\n\n\n', 4],
];

for (const [name, script, expected, code] of cases) {
  k(name, async () => {
    const r = await runTsbt(['-q', '-e', script]);
    assert.is(r.stdout, expected, r.stderr);
    assert.is(r.code, code ?? 0, r.stderr);
  });
}

k('a tracepoint loop reads the probe\'s arguments; per-CPU counts add up over both CPUs', async () => {
  const name = 'tsbtformap';
  // @want maps the getppid syscall number (110 on x86-64) to a label; the loop body compares it with
  // args.__syscall_nr, read from the tracepoint record through the closure's context pointer.
  const script = `BEGIN { @want[110] = "getppid"; @want[39] = "getpid"; }
    tracepoint:syscalls:sys_enter_getppid /comm == "${name}"/ {
      @calls[cpu] = count();
      for ($kv : @want) { if (args.__syscall_nr == $kv.0) { @seen[$kv.1] = count(); } }
    }
    END { $total = 0; for ($kv : @calls) { $total += $kv.1; } printf("loop total %d\\n", $total); clear(@calls); clear(@want); }`;
  const r = await runTsbt(['-e', script], {
    onAttached(proc) {
      // 30 calls on CPU 0, 20 on CPU 1 (one CPU's share alone would be wrong).
      execFileSync('taskset', ['-c', '0', childBinary(), 'name', hex(name), '30']);
      execFileSync('taskset', ['-c', '1', childBinary(), 'name', hex(name), '20']);
      setTimeout(() => proc.kill('SIGINT'), 100);
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'loop total 50\n\n\n\n@seen[getppid]: 50\n\n', r.stderr);
});

t.run();
