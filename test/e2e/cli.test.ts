// The walking skeleton end to end: the bundled CLI compiles, loads, attaches and prints, on this kernel.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, kernelTestsEnabled, runTsbt, sleep } from './harness.ts';

const t = suite('tsbt CLI on the real kernel');
const kernel = kernelTestsEnabled();
const k = kernel ? t : t.skip;

k('BEGIN printf prints and exit() ends the run with code 0', async () => {
  const r = await runTsbt(['-e', 'BEGIN < printf("hello %d %s\\n", 42, "world"); exit(); >']);
  // As bpftrace: the printf line, then the two newlines that come before the (here empty) map dump.
  assert.is(r.stdout, 'hello 42 world\n\n\n');
  assert.is(r.code, 0, r.stderr);
});

k('a child opening a file N times is counted under its own name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-e2e-'));
  const opener = join(dir, 'tsbtopener');
  copyFileSync('/bin/cat', opener);
  const files = Array.from({ length: 7 }, () => '/etc/hostname');
  try {
    const r = await runTsbt(['-e', 'tracepoint:syscalls:sys_enter_openat < @[comm] = count(); >'], {
      async onAttached(child) {
        execFileSync(opener, files, { stdio: 'ignore' });
        await sleep(100);
        child.kill('SIGINT');
      },
    });
    assert.is(r.code, 0, r.stderr);
    const m = /^@\[tsbtopener\]: (\d+)$/m.exec(r.stdout);
    assert.ok(m, `no @[tsbtopener] line in:\n${r.stdout}`);
    assert.ok(Number(m![1]) >= files.length, `count ${m![1]} < ${files.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

k('interval fires and exit() from it stops tracing; END runs after', async () => {
  const started = Date.now();
  const r = await runTsbt(['-e', 'interval:ms:200 < @ticks = count(); exit(); > END < printf("bye\\n"); >']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(Date.now() - started < 10_000);
  assert.is(r.stdout, 'bye\n\n\n@ticks: 1\n');
});

k('Ctrl-C (SIGINT) still prints the maps, and scalar and keyed maps print sorted by name', async () => {
  const r = await runTsbt(['-e', 'BEGIN < @b = 5; @a[1, "x"] = 7; > tracepoint:syscalls:sys_enter_acct < printf("acct\\n"); >'], {
    onAttached: (child) => child.kill('SIGINT'),
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '\n\n@a[1, x]: 7\n@b: 5\n');
});

k('a kprobe on a kernel without kprobes exits 1 with an explanation, not a stack trace', async () => {
  const r = await runTsbt(['-e', 'kprobe:do_sys_openat2 < @[comm] = count(); >']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /kprobe/);
  assert.not.match(r.stderr, /\n\s+at /);
});

k('without the privilege to load BPF, one sentence says so and the exit code is 1', async () => {
  const out = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '-e', 'BEGIN < printf("hi\\n"); exit(); >'], { encoding: 'utf8' });
  assert.is(out.status, 1);
  assert.is(out.stdout, '');
  assert.match(out.stderr, /^tsbt: root \(or the CAP_BPF and CAP_PERFMON capabilities\) is needed to load BPF programs: .*; run tsbt with sudo\.\n$/);
});

k('a kprobe on a system call here offers the tracepoint that traces the same call', async () => {
  const r = await runTsbt(['-e', 'kprobe:__x64_sys_openat { @ = count(); }']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /this kernel has no kprobes.*tracepoint:syscalls:sys_enter_openat traces the same call/s);
});

k('-l lists tracepoints (with fields under -v), software events and a binary\'s functions', async () => {
  const tp = await runTsbt(['-l', 'tracepoint:syscalls:sys_enter_openat']);
  assert.is(tp.stdout, 'tracepoint:syscalls:sys_enter_openat\n');
  const v = await runTsbt(['-lv', 't:syscalls:sys_enter_openat']);
  assert.match(v.stdout, /^tracepoint:syscalls:sys_enter_openat\n/);
  assert.match(v.stdout, /^ {4}const char \* filename$/m);
  const sw = await runTsbt(['-l', 'software:*']);
  assert.match(sw.stdout, /^software:cpu-clock:$/m);
  const u = await runTsbt(['-l', 'uprobe:/bin/bash:readline']);
  assert.is(u.stdout, 'uprobe:/bin/bash:readline\n');
});

t('a syntax error points at the source and exits 1', async () => {
  const r = await runTsbt(['-e', 'BEGIN < printf("x" >']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^-e:1:\d+: error: /);
  assert.match(r.stderr, /\^/);
  assert.not.match(r.stderr, /\n\s+at /);
});

t('an unknown builtin is a located error with a suggestion', async () => {
  const r = await runTsbt(['-e', 'BEGIN < printf("%d\\n", pdi); >']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /-e:1:24: error: unknown identifier `pdi`/);
  assert.match(r.stderr, /did you mean `pid`\?/);
});

k('BPFTRACE_MAX_MAP_KEYS and BPFTRACE_STRLEN set the compile settings, over a script\'s config (as in bpftrace)', () => {
  const artifact = (script: string, env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [CLI, '-d', 'artifact', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const map = (a: any, name: string) => a.maps.find((m: any) => m.scriptName === name);
  const a = artifact('tracepoint:syscalls:sys_enter_openat { @m[1] = str(args->filename); }', { BPFTRACE_MAX_MAP_KEYS: '77', BPFTRACE_STRLEN: '24' });
  assert.equal([map(a, '@m').maxEntries, map(a, '@m').valueSize], [77, 24]);
  const b = artifact('config = { max_map_keys = 5 } BEGIN { @m[1] = 2; }', { BPFTRACE_MAX_MAP_KEYS: '77' });
  assert.is(map(b, '@m').maxEntries, 77);
});

t('-V prints the version, -h the options; both exit 0 (no kernel needed)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  for (const flag of ['-V', '--version']) {
    const r = spawnSync(process.execPath, [CLI, flag], { encoding: 'utf8' });
    assert.is(r.stdout, `tsbt v${pkg.version}\n`);
    assert.is(r.status, 0);
  }
  const help = spawnSync(process.execPath, [CLI, '-h'], { encoding: 'utf8' });
  assert.is(help.status, 0);
  assert.match(help.stdout, /--dry-run/);
});

k('a script file named - is read from standard input, and its errors name stdin', () => {
  const ok = spawnSync(process.execPath, [CLI, '-q', '-', 'abc'], { input: 'BEGIN { printf("read %s\\n", str($1)); exit(); }', encoding: 'utf8' });
  assert.is(ok.stdout, 'read abc\n\n\n', ok.stderr);
  assert.is(ok.status, 0);
  const bad = spawnSync(process.execPath, [CLI, '-'], { input: 'BEGIN { printf("%d\\n", pdi); }', encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^stdin:1:24: error: unknown identifier `pdi`/);
});

k('-p PID: the run ends by itself when that process exits, and the maps print (as bpftrace)', async () => {
  // The traced process makes 7 getppid() calls once told to, then exits; nothing sends tsbt a signal.
  const traced = spawn('python3', ['-c', 'import os, sys\nsys.stdin.readline()\nfor _ in range(7): os.getppid()'], { stdio: ['pipe', 'ignore', 'inherit'] });
  try {
    const r = await runTsbt(['-p', String(traced.pid), '-e', 'tracepoint:syscalls:sys_enter_getppid { @calls = count(); }'], {
      onAttached: () => void traced.stdin!.end('go\n'),
      timeoutMs: 15_000,
    });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^@calls: 7$/m);
  } finally {
    traced.kill();
  }
  const gone = await runTsbt(['-p', '999999999', '-e', 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }']);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /-p: there is no process 999999999 to trace/);
});

t.run();
