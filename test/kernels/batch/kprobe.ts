// kprobe:<function> end to end on a kernel that has kprobes: attaching through the kprobe PMU, real
// events, arguments read from pt_regs, several probes in one script, and a clear error for a function
// that does not exist. Load is generated only after tsbt prints `Attached N probes`.
import { readFileSync } from 'node:fs';
import { check, entry, exec, expectClean, mapLines, named, runTsbt, test } from '../guest/harness.ts';

test('do_sys_openat2 counts a child opening files under its own comm', async () => {
  const opener = named('/bin/cat', 'tsbtopener');
  const files = Array.from({ length: 7 }, () => '/etc/hostname');
  const r = expectClean(await runTsbt(['-e', 'kprobe:do_sys_openat2 { @[comm] = count(); }'], {
    onAttached: () => void exec(opener, files),
  }));
  const n = entry(r.stdout, '@', 'tsbtopener');
  check(n >= files.length, `@[tsbtopener] is ${n}, expected at least ${files.length}`);
});

test('__x64_sys_clone prints Hello, World! for every fork()', async () => {
  const forks = 5;
  const r = expectClean(await runTsbt(['-e', 'kprobe:__x64_sys_clone { printf("Hello, World!\\n"); }'], {
    // dash runs simple commands with vfork, but forks a subshell with fork(), which glibc makes a clone.
    onAttached: () => void exec('/bin/sh', ['-c', `for i in ${Array.from({ length: forks }, (_, i) => i).join(' ')}; do (/bin/true); done`]),
  }));
  const hellos = r.stdout.split('\n').filter((l) => l === 'Hello, World!').length;
  check(hellos >= forks, `${hellos} Hello, World! lines, expected at least ${forks}:\n${r.stdout}`);
  check(r.stdout.split('\n').every((l) => l === '' || l === 'Hello, World!'), `unexpected output:\n${r.stdout}`);
});

test('arg2 of vfs_read is the byte count, usable in a filter and as a key', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kprobe:vfs_read /arg2 == 12345/ { @[arg2] = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=12345', 'count=7', 'status=none']),
  }));
  const lines = mapLines(r.stdout);
  check(lines.every((l) => l.key === '12345'), `the filter let through other sizes:\n${r.stdout}`);
  const n = entry(r.stdout, '@', '12345');
  check(n >= 7, `@[12345] is ${n}, expected at least 7`);
});

test('arg0 and arg1 of do_sys_openat2: dfd is AT_FDCWD, filename a non-null pointer', async () => {
  const opener = named('/bin/cat', 'tsbtopener');
  const r = expectClean(await runTsbt(['-e', 'kprobe:do_sys_openat2 { @nonnull[arg1 != 0] = count(); printf("dfd %d\\n", arg0); }'], {
    onAttached: () => void exec(opener, Array.from({ length: 7 }, () => '/etc/hostname')),
  }));
  // dfd is an int: the register may hold it sign-extended or zero-extended.
  const fdcwd = r.stdout.split('\n').filter((l) => /^dfd (-100|4294967196|18446744073709551516)$/.test(l)).length;
  check(fdcwd >= 7, `${fdcwd} opens with dfd AT_FDCWD (-100), expected at least 7:\n${r.stdout.slice(0, 2000)}`);
  check(!mapLines(r.stdout).some((l) => l.map === '@nonnull' && l.key === '0'), `a NULL filename pointer in arg1:\n${r.stdout.slice(-2000)}`);
  check(entry(r.stdout, '@nonnull', '1') >= 7, 'fewer than 7 non-null filenames');
});

test('two kprobes in one script (vfs_read and vfs_write) both fire', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kprobe:vfs_read /arg2 == 4321/ { @reads = count(); } kprobe:vfs_write /arg2 == 4321/ { @writes = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=4321', 'count=9', 'status=none']),
  }));
  check(/Attached 2 probes/.test(r.stderr), `expected "Attached 2 probes":\n${r.stderr}`);
  check(entry(r.stdout, '@reads') >= 9, `@reads < 9:\n${r.stdout}`);
  check(entry(r.stdout, '@writes') >= 9, `@writes < 9:\n${r.stdout}`);
});

test('a function that does not exist is an error naming it, exit 1, no stack trace', async () => {
  const r = await runTsbt(['-e', 'kprobe:tsbt_no_such_function { @ = count(); }'], { interrupt: false });
  check(r.code === 1, `exit ${r.code}, expected 1; stderr:\n${r.stderr}`);
  check(/tsbt_no_such_function/.test(r.stderr), `the error does not name the function:\n${r.stderr}`);
  check(!/\n\s+at /.test(r.stderr), `a stack trace on stderr:\n${r.stderr}`);
});

test('an offset that is not on an instruction boundary is an error saying so', async () => {
  // vfs_read starts with a 4- or 5-byte instruction (endbr64, or the ftrace call site): +1 is inside it.
  const r = await runTsbt(['-e', 'kprobe:vfs_read+1 { @ = count(); }'], { interrupt: false });
  check(r.code === 1, `exit ${r.code}, expected 1; stderr:\n${r.stderr}`);
  check(/kprobe:vfs_read\+1/.test(r.stderr) && /instruction/.test(r.stderr), `the error does not explain the offset:\n${r.stderr}`);
  check(!/\n\s+at /.test(r.stderr), `a stack trace on stderr:\n${r.stderr}`);
});

test('a wildcard expands over available_filter_functions, one probe each (probe names which fired)', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kprobe:vfs_rea* { @[probe] = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=100', 'count=5', 'status=none']),
  }));
  check(/Attached [2-9]\d* probes|Attached \d{2,} probes/.test(r.stderr), `expected several probes:\n${r.stderr}`);
  check(entry(r.stdout, '@', 'kprobe:vfs_read') >= 5, `expected @[kprobe:vfs_read] >= 5:\n${r.stdout}`);
});

test('the tracefs kprobe_events fallback (forced with TSBT_KPROBE_TRACEFS=1) counts and cleans up', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  process.env.TSBT_KPROBE_TRACEFS = '1';
  let r;
  try {
    r = expectClean(await runTsbt(['-e', 'kprobe:vfs_read /arg2 == 4321/ { @ = count(); } kretprobe:vfs_read /retval == 4321/ { @r = count(); }'], {
      onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=4321', 'count=9', 'status=none']),
    }));
  } finally {
    delete process.env.TSBT_KPROBE_TRACEFS;
  }
  check(entry(r.stdout, '@') >= 9 && entry(r.stdout, '@r') >= 9, `expected at least 9 entries and returns:\n${r.stdout}`);
  const left = readFileSync('/sys/kernel/tracing/kprobe_events', 'utf8');
  check(!left.includes('tsbt_'), `kprobe_events still has tsbt definitions:\n${left}`);
});
