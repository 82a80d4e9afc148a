// Probe types that the other suites do not drive: raw tracepoints and software perf events.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('raw tracepoints and software events');
const k = kernelTestsEnabled() ? t : t.skip;

const getppid = (n: number) => execFileSync('python3', ['-c', `import os\nprint(os.getpid())\nfor _ in range(${n}): os.getppid()`]).toString().trim();

k('rawtracepoint:sys_enter sees the system call number in arg1 (getppid is 110 on x86-64)', async () => {
  let child = '';
  const r = await runTsbt(['-e', 'rawtracepoint:sys_enter /arg1 == 110/ { @[pid] = count(); }'], {
    onAttached(proc) {
      child = getppid(25);
      setTimeout(() => proc.kill('SIGINT'), 100);
    },
  });
  assert.is(r.code, 0, r.stderr);
  const m = new RegExp(`^@\\[${child}\\]: (\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m && Number(m[1]) >= 25, r.stdout);
});

k('software:context-switches:1 counts a process that sleeps', async () => {
  const r = await runTsbt(['-e', 'software:context-switches:1 /comm == "sleep"/ { @cs = count(); }'], {
    onAttached(proc) {
      execFileSync('sh', ['-c', 'sleep 0.05; sleep 0.05; sleep 0.05']);
      setTimeout(() => proc.kill('SIGINT'), 100);
    },
  });
  assert.is(r.code, 0, r.stderr);
  const m = /^@cs: (\d+)$/m.exec(r.stdout);
  assert.ok(m && Number(m[1]) >= 3, r.stdout);
});

k('a tracepoint __data_loc string (sched_process_exec filename) reads as a string', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-exec-'));
  const bin = join(dir, 'tsbtexec');
  copyFileSync('/bin/true', bin);
  try {
    const r = await runTsbt(['-e', 'tracepoint:sched:sched_process_exec /strcontains(args->filename, "tsbtexec")/ { printf("%s\\n", args->filename); exit(); }'], {
      onAttached: () => void execFileSync(bin),
    });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `${bin}\n\n\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
