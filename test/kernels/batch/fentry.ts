// fentry/fexit end to end (this host refuses tracing programs; Debian's 6.1 runs them): typed
// arguments from BTF, typed return values, and the listening-socket tracer's fentry and kprobe forms.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { check, entry, exec, expectClean, mapLines, named, runTsbt, test } from '../guest/harness.ts';

test('fentry arguments are typed from BTF: args->count of vfs_read', async () => {
  const dd = named('/usr/bin/dd', 'tsbtdd');
  const r = expectClean(await runTsbt(['-e', 'fentry:vfs_read /args->count == 12345/ { @[args->count] = count(); }'], {
    onAttached: () => void exec(dd, ['if=/dev/zero', 'of=/dev/null', 'bs=12345', 'count=7', 'status=none']),
  }));
  check(mapLines(r.stdout).every((l) => l.key === '12345'), `the filter let through other values:\n${r.stdout}`);
  check(entry(r.stdout, '@', '12345') >= 7, `expected at least 7 calls:\n${r.stdout}`);
});

test('fexit retval is typed (a negative errno from do_sys_openat2)', async () => {
  const opener = named('/bin/cat', 'tsbtopener');
  const r = expectClean(await runTsbt(['-e', 'fexit:do_sys_openat2 /retval < 0/ { @[retval] = count(); }'], {
    onAttached: () => void exec(opener, Array.from({ length: 5 }, (_, i) => `/tsbt-does-not-exist-${i}`), true),
  }));
  check(entry(r.stdout, '@', '-2') >= 5, `expected @[-2] >= 5:\n${r.stdout}`);
});

for (const form of ['fentry', 'kprobe']) {
  test(`the listening-socket tracer (${form} form) reports port, backlog and namespace inode`, async () => {
    let namespace = '';
    const r = expectClean(await runTsbt([join(process.cwd(), `docs/examples/listen-${form}.bt`)], {
      onAttached: () => {
        const out = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up 2>/dev/null; python3 -c "import socket,os; s=socket.socket(); s.bind((\'127.0.0.1\',4242)); s.listen(7); print(os.readlink(\'/proc/self/ns/net\'))"'], { encoding: 'utf8' });
        namespace = /net:\[(\d+)\]/.exec(out.stdout)?.[1] ?? `(none: ${out.stderr})`;
      },
    }));
    check(r.stdout.includes(`Listening on 127.0.0.1 4242 with 7 pending connections in container ${namespace}\n`), `got:\n${r.stdout}`);
  });
}
