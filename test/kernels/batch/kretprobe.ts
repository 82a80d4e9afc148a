// kretprobe:<function> end to end: return probes fire, and retval is the function's return value.
import { check, entry, exec, expectClean, mapLines, named, runTsbt, test } from '../guest/harness.ts';

test('vfs_read returns are counted', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kretprobe:vfs_read { @ = count() }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=1000', 'count=20', 'status=none']),
  }));
  const n = entry(r.stdout, '@');
  check(n >= 20, `@ is ${n}, expected at least 20`);
});

test('retval of vfs_read is the number of bytes read', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kretprobe:vfs_read /retval == 12345/ { @[retval] = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=12345', 'count=7', 'status=none']),
  }));
  check(mapLines(r.stdout).every((l) => l.key === '12345'), `the filter let through other values:\n${r.stdout}`);
  const n = entry(r.stdout, '@', '12345');
  check(n >= 7, `@[12345] is ${n}, expected at least 7`);
});

test('a negative retval (-ENOENT from do_sys_openat2) prints as a negative number', async () => {
  const opener = named('/bin/cat', 'tsbtopener');
  const r = expectClean(await runTsbt(['-e', 'kretprobe:do_sys_openat2 { printf("ret %d\\n", retval); }'], {
    onAttached: () => void exec(opener, Array.from({ length: 5 }, (_, i) => `/tsbt-does-not-exist-${i}`), true),
  }));
  const enoent = r.stdout.split('\n').filter((l) => l === 'ret -2').length;
  check(enoent >= 5, `${enoent} "ret -2" lines, expected at least 5:\n${r.stdout.slice(0, 2000)}`);
});

test('entry and return probes on the same function see the same calls', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'kprobe:vfs_read /arg2 == 7777/ { @entries = count(); } kretprobe:vfs_read /retval == 7777/ { @returns = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=7777', 'count=11', 'status=none']),
  }));
  const entries = entry(r.stdout, '@entries');
  const returns = entry(r.stdout, '@returns');
  check(entries >= 11, `@entries is ${entries}, expected at least 11`);
  check(entries === returns, `@entries ${entries} != @returns ${returns}`);
});
