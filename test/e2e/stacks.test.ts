// kstack, ksym and kaddr on the real kernel, printed as bpftrace prints them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('stacks and symbols');
const k = kernelTestsEnabled() ? t : t.skip;

k('kstack as a map key prints symbolized frames, 4 spaces in, as bpftrace does', async () => {
  const r = await runTsbt(['-e', 'tracepoint:syscalls:sys_enter_getppid { @[kstack] = count(); }'], {
    onAttached(child) {
      execFileSync('python3', ['-c', 'import os\nfor _ in range(3): os.getppid()']);
      setTimeout(() => child.kill('SIGINT'), 100);
    },
  });
  assert.is(r.code, 0, r.stderr);
  // The syscall entry path is on every such stack.
  assert.match(r.stdout, /^@\[\n( {4}[\w.]+\+\d+\n)+\]: \d+$/m);
  assert.match(r.stdout, /^ {4}(do_syscall_64|entry_SYSCALL_64\w*)\+\d+$/m);
});

k('ksym(kaddr(name)) is the name again; a profile kernel stack is symbolized too', async () => {
  const r = await runTsbt(['-q', '-e', 'BEGIN { printf("%s\\n", ksym(kaddr("vfs_read"))); } profile:hz:199 { @[kstack(2)] = count(); } interval:ms:300 { exit(); }']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('vfs_read\n'), r.stdout);
  assert.not.match(r.stdout, /\\x0a/, 'stack newlines are layout, not escaped');
});

t.run();
