// Nothing left behind: for every way a run of the CLI ends, nothing it created in the kernel (BPF
// programs, maps, links, perf events) is alive afterwards (leaks-harness.ts explains how that is
// told apart from what other tests create meanwhile). Where the run ends gracefully, the process must
// also have closed everything itself while still alive: the scripts print ~230 KB in END and stdout is
// not read at first, so the process waits on its output after teardown, and is seen holding no BPF fd
// and no perf event then. Maps are printed on every path that allows it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { kernelTestsEnabled, sleep } from './harness.ts';
import { heldBy, leakReport, noLeaks, runTraced, uniqueTag, type HeldSampler, type TracedRun } from './leaks-harness.ts';
import { childBinary, hex } from './reliability-child.ts';

const t = suite('nothing left behind, on every exit path');
const k = kernelTestsEnabled() ? t : t.skip;

const END_LINES = 3000;
/**
 * END prints END_LINES lines of 715 bytes, 2 MB: more than the socket pair between the test and tsbt
 * holds (node's stdio pipes are socket pairs, a few hundred KB), so a reader that waits makes tsbt wait.
 */
const bigEnd = `END { printf("end\\n"); $i = 0; while ($i < ${END_LINES}) { printf("end line %05d ${'.'.repeat(700)}\\n", $i); $i++; } }`;

/**
 * Five programs over four mechanisms that all use the tagged map: BEGIN, a tracepoint (perf event),
 * a raw tracepoint (a BPF link), an interval (a perf event on a CPU), END.
 */
function script(tag: string, getppid = `{ @${tag} = count(); }`): string {
  return `BEGIN { @${tag} = count(); }
tracepoint:syscalls:sys_enter_getppid ${getppid}
rawtracepoint:sys_enter { @${tag} = count(); }
interval:ms:50 { @${tag} = count(); }
${bigEnd}`;
}

/** Alive, and holding no BPF fd and no perf event: torn down, waiting on its output. */
async function closedWhileAlive(proc: ChildProcess, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    const held = heldBy(proc.pid!);
    if (held.fds.bpf === 0 && held.fds.perfEvent === 0) return proc.exitCode === null && proc.signalCode === null;
    await sleep(10);
  }
  return false;
}

/** While running it held programs, maps, a link (the raw tracepoint) and perf events. */
function assertHeldWhileRunning(sampler: HeldSampler): void {
  const now = sampler.sample();
  assert.ok(now.prog.size >= 3 && now.map.size >= 2 && now.link.size >= 1 && now.fds.perfEvent >= 2,
    `while running: ${now.prog.size} progs, ${now.map.size} maps, ${now.link.size} links, ${now.fds.perfEvent} perf events`);
}

/** A graceful path: `trigger` ends the run; the process closes everything, then prints END and the maps. */
async function graceful(trigger: (proc: ChildProcess) => void, getppid?: (tag: string) => string): Promise<{ r: TracedRun; closedEarly: boolean; tag: string }> {
  const tag = uniqueTag();
  let closedEarly = false;
  const r = await runTraced(['-e', script(tag, getppid?.(tag))], {
    tag,
    holdStdout: true,
    async onAttached(proc, sampler) {
      await sleep(120);
      assertHeldWhileRunning(sampler);
      trigger(proc);
      closedEarly = await closedWhileAlive(proc);
      proc.stdout!.resume();
    },
  });
  return { r, closedEarly, tag };
}

function assertPrintedAll(r: TracedRun, tag: string): void {
  assert.ok(r.stdout.includes('end\n'), 'END ran');
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('end line ')).length, END_LINES, 'all of END\'s output');
  assert.match(r.stdout, new RegExp(`\\n\\n@${tag}: \\d+\\n$`), 'the maps at the end');
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  k(`${signal}: detach and close, then END and the maps, exit 0; nothing left`, async () => {
    const { r, closedEarly, tag } = await graceful((proc) => proc.kill(signal));
    assert.is(r.code, 0, r.stderr);
    assert.ok(closedEarly, 'the process closed every BPF fd and perf event itself, before its output was read');
    assertPrintedAll(r, tag);
    assert.ok(noLeaks(r), leakReport(r));
  });
}

k('exit(): the same, with the code exit() was given', async () => {
  // The command named tsbtexit calls getppid once: the probe calls exit(3).
  const { r, closedEarly, tag } = await graceful(
    () => execFileSync(childBinary(), ['name', hex('tsbtexit'), '1']),
    (tag) => `{ @${tag} = count(); if (comm == "tsbtexit") { exit(3); } }`,
  );
  assert.is(r.code, 3, r.stderr);
  assert.ok(closedEarly, 'closed before the output was read');
  assertPrintedAll(r, tag);
  assert.ok(noLeaks(r), leakReport(r));
});

k('-c: the command ending ends the run; nothing left', async () => {
  const tag = uniqueTag();
  let closedEarly = false;
  const child = childBinary();
  const r = await runTraced(['-c', `${child} flood 0`, '-e', script(tag, `/pid == cpid/ { @${tag} = count(); }`)], {
    tag,
    holdStdout: true,
    async onAttached(proc) {
      closedEarly = await closedWhileAlive(proc);
      proc.stdout!.resume();
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.ok(closedEarly, 'closed before the output was read');
  assert.ok(r.stdout.includes('end\n'));
  assert.match(r.stdout, new RegExp(`\\n\\n@${tag}: \\d+\\n$`), 'the maps');
  assert.ok(noLeaks(r), leakReport(r));
});

k('-c: a command making N calls is traced to the end; its N events are all printed', async () => {
  const tag = uniqueTag();
  const r = await runTraced(['-c', `${childBinary()} flood 25`, '-e',
    `tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @${tag} = count(); printf("call %d\\n", pid); }`], { tag });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('call ')).length, 25);
  assert.match(r.stdout, new RegExp(`\\n\\n@${tag}: 25\\n$`));
  assert.ok(noLeaks(r), leakReport(r));
});

k('a second Ctrl-C while the output is stuck exits at once (130), everything closed already', async () => {
  const tag = uniqueTag();
  let closedEarly = false;
  let secondAt = 0;
  const r = await runTraced(['-e', script(tag)], {
    tag,
    holdStdout: true,
    async onAttached(proc) {
      await sleep(100);
      proc.kill('SIGINT');
      closedEarly = await closedWhileAlive(proc);
      // Still stuck on its output: nobody reads it.
      await sleep(200);
      assert.is(proc.exitCode, null, 'still waiting on its output');
      secondAt = Date.now();
      proc.kill('SIGINT');
    },
  });
  const took = Date.now() - (secondAt || Date.now());
  assert.is(r.code, 130, r.stderr);
  assert.ok(closedEarly, 'the first Ctrl-C detached and closed everything');
  assert.ok(took < 1000, `exited ${took} ms after the second Ctrl-C`);
  assert.ok(noLeaks(r), leakReport(r));
});

k('a second Ctrl-C right after the first, while tracing, still closes everything', async () => {
  const tag = uniqueTag();
  const r = await runTraced(['-e', script(tag)], {
    tag,
    onAttached(proc) {
      proc.kill('SIGINT');
      proc.kill('SIGINT');
    },
  });
  assert.ok(r.code === 130 || r.code === 0, `exit ${r.code}: ${r.stderr}`);
  assert.ok(noLeaks(r), leakReport(r));
});

k('attaching the third of five probes fails: exit 1, the error named, nothing left', async () => {
  const tag = uniqueTag();
  // Unknown raw tracepoints are compile errors; a tracefs event that is no tracepoint (a uprobe event
  // in a group of its own) passes that check and fails only at BPF_RAW_TRACEPOINT_OPEN.
  const events = '/sys/kernel/tracing/uprobe_events';
  const event = `tsbt_${tag}/tsbt_no_such_tracepoint`;
  appendFileSync(events, `p:${event} /bin/true:0x0\n`);
  let r: TracedRun;
  try {
    r = await runTraced(['-e', `BEGIN { @${tag} = count(); }
tracepoint:syscalls:sys_enter_getppid { @${tag} = count(); }
rawtracepoint:sys_enter { @${tag} = count(); }
rawtracepoint:tsbt_no_such_tracepoint { @${tag} = count(); }
tracepoint:syscalls:sys_enter_getpid { @${tag} = count(); }
interval:ms:100 { @${tag} = count(); }`], { tag });
  } finally {
    appendFileSync(events, `-:${event}\n`);
  }
  assert.is(r.code, 1);
  assert.match(r.stderr, /RAW_TRACEPOINT_OPEN.*ENOENT/);
  assert.not.match(r.stderr, /Attached/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(noLeaks(r), leakReport(r));
});

k('the output failing (-o /dev/full: ENOSPC): tracing stops, exit 1 with the reason, nothing left', async () => {
  const tag = uniqueTag();
  const r = await runTraced(['-o', '/dev/full', '-e', `BEGIN { printf("hello\\n"); } ${script(tag)}`], { tag });
  assert.is(r.code, 1);
  assert.match(r.stderr, /cannot write the output to \/dev\/full: ENOSPC/);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  assert.ok(noLeaks(r), leakReport(r));
});

k('the reader going away (EPIPE): tracing stops quietly, exit 0, nothing left', async () => {
  const tag = uniqueTag();
  const r = await runTraced(['-e', `tracepoint:syscalls:sys_enter_getppid { @${tag} = count(); printf("x\\n"); }`], {
    tag,
    onAttached(proc: ChildProcess) {
      proc.stdout!.destroy();
      execFileSync(childBinary(), ['flood', '1000']);
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /error/i);
  assert.ok(noLeaks(r), leakReport(r));
});

k('kill -9: the kernel frees everything the process held (nothing pinned)', async () => {
  const tag = uniqueTag();
  const r = await runTraced(['-e', script(tag)], {
    tag,
    async onAttached(proc, sampler) {
      await sleep(100);
      assertHeldWhileRunning(sampler);
      proc.kill('SIGKILL');
    },
  });
  assert.is(r.signal, 'SIGKILL');
  assert.ok(r.seen.prog.size >= 3 && r.seen.link.size >= 1, leakReport(r));
  assert.ok(noLeaks(r), leakReport(r));
});

t.run();
