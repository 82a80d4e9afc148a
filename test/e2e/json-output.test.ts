// `-f json` end to end on the real kernel: the built CLI writes bpftrace's NDJSON, one object per
// line; every line must parse, and the records must be exactly bpftrace's. The expected lines of the
// BEGIN-only scripts were printed by bpftrace v0.17.0 on this machine (`bpftrace -f json -e '...'`,
// less the two blank lines 0.17 writes before the exit dump: see runtime/format/json.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTestsEnabled, runTsbt, sleep } from './harness.ts';
import { childBinary, hex } from './reliability-child.ts';
import { uniqueTag } from './leaks-harness.ts';

const t = suite('-f json on the real kernel');
const k = kernelTestsEnabled() ? t : t.skip;

/** Every line of the output as a parsed record; the output must be nothing but such lines. */
function records(stdout: string): { type: string; data?: unknown }[] {
  assert.ok(stdout === '' || stdout.endsWith('\n'), 'the output ends with a newline');
  return stdout.split('\n').slice(0, -1).map((line) => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new Error(`not JSON: ${JSON.stringify(line)} (${(e as Error).message})`);
    }
  });
}

const EVERYTHING =
  'BEGIN { printf("hello %s %d\\n", "world", 42); @c["b"] = count(); @c["a"] = count(); @c["b"] = count(); ' +
  '@t[1, "x"] = sum(5); @t[2, "y"] = sum(-3); @s = stats(10); @s = stats(20); @sk["q"] = stats(4); @a = avg(7); @a = avg(8); ' +
  '@h = hist(5); @h = hist(100); @h = hist(0); @hk["p"] = hist(1); @l = lhist(5, 0, 30, 10); @l = lhist(25, 0, 30, 10); ' +
  '@l = lhist(150, 0, 30, 10); @m["k"] = min(3); @x = 5; @str = "abc"; @tup = (1, "b"); ' +
  'print(5); print("five"); print((1, "a")); print(@c); print(@t, 1); time("%Y\\n"); exit(); }';

const EVERYTHING_LINES = [
  '{"type": "attached_probes", "data": {"probes": 1}}',
  '{"type": "printf", "data": "hello world 42\\n"}',
  '{"type": "value", "data": 5}',
  '{"type": "value", "data": "five"}',
  '{"type": "value", "data": [1,"a"]}',
  '{"type": "map", "data": {"@c": {"a": 1, "b": 2}}}',
  '{"type": "map", "data": {"@t": {"1,x": 5}}}',
  `{"type": "time", "data": "${new Date().getFullYear()}\\n"}`,
  '{"type": "stats", "data": {"@a": 7}}',
  '{"type": "map", "data": {"@c": {"a": 1, "b": 2}}}',
  '{"type": "hist", "data": {"@h": [{"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 7, "count": 1}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 1}]}}',
  '{"type": "hist", "data": {"@hk": {"p": [{"min": 1, "max": 1, "count": 1}]}}}',
  '{"type": "hist", "data": {"@l": [{"min": 0, "max": 9, "count": 1}, {"min": 10, "max": 19, "count": 0}, {"min": 20, "max": 29, "count": 1}, {"min": 30, "count": 1}]}}',
  '{"type": "map", "data": {"@m": {"k": 3}}}',
  '{"type": "stats", "data": {"@s": {"count": 2, "average": 15, "total": 30}}}',
  '{"type": "stats", "data": {"@sk": {"q": {"count": 1, "average": 4, "total": 4}}}}',
  '{"type": "map", "data": {"@str": "abc"}}',
  '{"type": "map", "data": {"@t": {"2,y": -3, "1,x": 5}}}',
  '{"type": "map", "data": {"@tup": [1,"b"]}}',
  '{"type": "map", "data": {"@x": 5}}',
];

k('printf, print() of values and maps, time, and every kind of map at exit: bpftrace 0.17\'s lines', async () => {
  const r = await runTsbt(['-f', 'json', '-e', EVERYTHING]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'nothing on stderr: "Attached" is a record');
  assert.is(r.stdout, EVERYTHING_LINES.map((l) => `${l}\n`).join(''));
  const recs = records(r.stdout);
  // The values, as a program reading the stream sees them.
  assert.equal(recs[0], { type: 'attached_probes', data: { probes: 1 } });
  assert.equal(recs[1], { type: 'printf', data: 'hello world 42\n' });
  assert.equal(recs.find((x) => x.type === 'hist' && '@l' in (x.data as object))?.data, {
    '@l': [{ min: 0, max: 9, count: 1 }, { min: 10, max: 19, count: 0 }, { min: 20, max: 29, count: 1 }, { min: 30, count: 1 }],
  });
  assert.equal(recs.filter((x) => x.type === 'map' && '@t' in (x.data as object)).at(-1)?.data, { '@t': { '1,x': 5, '2,y': -3 } });
  assert.equal(recs.find((x) => x.type === 'stats' && '@s' in (x.data as object))?.data, { '@s': { count: 2, average: 15, total: 30 } });
});

k('nested tuples: arrays in arrays (bpftrace 0.17\'s lines); tuple key parts as the newest bpftrace writes them', async () => {
  const r = await runTsbt(['-q', '-f', 'json', '-e',
    'BEGIN { $t = (1, (2, "a")); print($t); @m[1] = (3, (4, "b"), 5); @n["x"] = ((1, -2), ("s", (3, "d"))); exit(); }']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, [
    '{"type": "value", "data": [1,[2,"a"]]}',
    '{"type": "map", "data": {"@m": {"1": [3,[4,"b"],5]}}}',
    '{"type": "map", "data": {"@n": {"x": [[1,-2],["s",[3,"d"]]]}}}',
  ].map((l) => `${l}\n`).join(''));
  assert.equal(records(r.stdout)[0], { type: 'value', data: [1, [2, 'a']] });
  // bpftrace 0.17 refuses tuples as key parts. The newest writes a key as its text without the outer
  // parentheses and without spaces.
  const keys = await runTsbt(['-q', '-f', 'json', '-e', 'BEGIN { @k[(1, 2), 3] = 1; @k[(0, -1), 5] = 2; @one[(5, "x")] = 3; exit(); }']);
  assert.is(keys.code, 0, keys.stderr);
  assert.is(keys.stdout, '{"type": "map", "data": {"@k": {"(1,2),3": 1, "(0,-1),5": 2}}}\n{"type": "map", "data": {"@one": {"5,x": 3}}}\n');
  records(keys.stdout);
});

k('--format json with -q: no attached_probes record; -o FILE gets the JSON, stdout nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-json-'));
  const file = join(dir, 'out.json');
  try {
    const r = await runTsbt(['--format', 'json', '-q', '-o', file, '-e', 'BEGIN { printf("%s|%d\\n", "a\\tb\\"c", -1); @n[-2] = 1; exit(); }']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr, '');
    const text = readFileSync(file, 'utf8');
    assert.is(text, '{"type": "printf", "data": "a\\tb\\"c|-1\\n"}\n{"type": "map", "data": {"@n": {"-2": 1}}}\n');
    assert.equal(records(text), [{ type: 'printf', data: 'a\tb"c|-1\n' }, { type: 'map', data: { '@n': { '-2': 1 } } }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

k('cat and system() are records; errors and warnings stay on stderr as text', async () => {
  const r = await runTsbt(['-f', 'json', '--unsafe', '-e',
    'config = { max_map_keys = 4 } BEGIN { cat("/proc/sys/kernel/ostype"); cat("/tsbt/no/such/file"); system("echo sys %d", 7); ' +
    '$i = 0; while ($i < 10) { @full[$i] = $i; $i++; } exit(); }']);
  assert.is(r.code, 0, r.stderr);
  // bpftrace 0.17 writes `{"type": "syscall", ...}` for system()'s output. map_full is tsbt's own record.
  assert.is(r.stdout, [
    '{"type": "attached_probes", "data": {"probes": 1}}',
    `{"type": "cat", "data": ${JSON.stringify(readFileSync('/proc/sys/kernel/ostype', 'utf8'))}}`,
    '{"type": "syscall", "data": "sys 7\\n"}',
    '{"type": "map", "data": {"@full": {"0": 0, "1": 1, "2": 2, "3": 3}}}',
    '{"type": "map_full", "data": {"@full": {"max_entries": 4, "dropped_updates": 6}}}',
  ].map((l) => `${l}\n`).join(''));
  records(r.stdout);
  assert.match(r.stderr, /^tsbt: cat: cannot read \/tsbt\/no\/such\/file: ENOENT$/m);
  assert.match(r.stderr, /^tsbt: @full was full \(4 entries\): 6 updates dropped; raise its size with/m);
});

k('a tracepoint: one printf record per call, then the counts, exactly', async () => {
  const tag = uniqueTag();
  const n = 25;
  const r = await runTsbt(['-f', 'json', '-e',
    `tracepoint:syscalls:sys_enter_getppid /comm == "${tag}"/ { @calls[comm] = count(); @sum = sum(3); @h = lhist(args->__syscall_nr, 0, 200, 50); printf("%s %d\\n", comm, pid); }`], {
    async onAttached(proc) {
      execFileSync(childBinary(), ['name', hex(tag), String(n)]);
      await sleep(100);
      proc.kill('SIGINT');
    },
  });
  assert.is(r.code, 0, r.stderr);
  const recs = records(r.stdout);
  assert.equal(recs[0], { type: 'attached_probes', data: { probes: 1 } });
  const printfs = recs.filter((x) => x.type === 'printf');
  assert.is(printfs.length, n);
  const pid = (printfs[0]!.data as string).split(' ')[1]!;
  assert.match(pid, /^\d+\n$/);
  for (const p of printfs) assert.equal(p, { type: 'printf', data: `${tag} ${pid}` });
  // getppid is system call 110 on x86-64 and 173 on arm64.
  const lo = process.arch === 'arm64' ? 150 : 100;
  assert.equal(recs.slice(1 + n), [
    { type: 'map', data: { '@calls': { [tag]: n } } },
    { type: 'hist', data: { '@h': [{ min: lo, max: lo + 49, count: n }] } },
    { type: 'map', data: { '@sum': 3 * n } },
  ]);
});

t.run();
