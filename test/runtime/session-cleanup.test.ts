// The session on the real kernel, in this process: whatever way it ends (a probe that cannot attach, a
// consumer callback that throws, abort(), stop()), every fd it opened is closed and every mapping
// unmapped, checked twice: through a Sys that records each fd the kernel handed out and each close,
// and through this process's own fd table (/proc/self/fd: no BPF object or perf event fd left over).
// Also: pause() leaves events in the ring buffer, and what does not fit is counted, exactly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { compile, run } from '../../api/index.ts';
import type { Artifact } from '../../runtime/artifact.ts';
import { realSys } from '../../runtime/sys/index.ts';
import type { MappedRegion, Sys } from '../../runtime/sys/sys.ts';
import { kernelTestsEnabled } from '../e2e/harness.ts';
import { ownKernelFds } from '../e2e/leaks-harness.ts';
import { childBinary, hex } from '../e2e/reliability-child.ts';

const t = suite('session: nothing left open, whatever way it ends');
const k = kernelTestsEnabled() ? t : t.skip;

/** A Sys that records every fd and mapping the kernel hands out, and every close and munmap. */
function trackingSys(): { sys: Sys; open: () => number[]; mapped: () => number; calls: string[] } {
  const real = realSys();
  const open = new Set<number>();
  const regions = new Set<MappedRegion>();
  const calls: string[] = [];
  const opened = (fd: number) => (open.add(fd), fd);
  const sys: Sys = Object.create(real);
  Object.assign(sys, {
    mapCreate: (attr: Parameters<Sys['mapCreate']>[0]) => opened(real.mapCreate(attr)),
    progLoad: (attr: Parameters<Sys['progLoad']>[0]) => {
      const r = real.progLoad(attr);
      opened(r.fd);
      return r;
    },
    btfLoad: (attr: Parameters<Sys['btfLoad']>[0]) => {
      calls.push('btfLoad');
      return opened(real.btfLoad(attr));
    },
    perfEventOpen: (...a: Parameters<Sys['perfEventOpen']>) => {
      calls.push('perfEventOpen');
      return opened(real.perfEventOpen(...a));
    },
    rawTracepointOpen: (prog: number, name?: string) => {
      calls.push(`rawTracepointOpen ${name}`);
      return opened(real.rawTracepointOpen(prog, name));
    },
    getFdById: (...a: Parameters<Sys['getFdById']>) => opened(real.getFdById(...a)),
    pidfdOpen: (pid: number) => opened(real.pidfdOpen(pid)),
    close: (fd: number) => {
      open.delete(fd);
      real.close(fd);
    },
    mmap: (...a: Parameters<Sys['mmap']>) => {
      const region = real.mmap(...a);
      regions.add(region);
      return region;
    },
    munmap: (region: MappedRegion) => {
      regions.delete(region);
      real.munmap(region);
    },
  });
  return { sys, open: () => [...open], mapped: () => regions.size, calls };
}

function compiled(text: string, options: Parameters<typeof compile>[1] = {}): Artifact {
  const { artifact, diagnostics } = compile(text, options);
  assert.ok(artifact, diagnostics.map((d) => d.message).join('\n'));
  return artifact!;
}

/** Runs the C child with comm set to `name`, making `n` getppid calls. */
function getppidAs(name: string, n: number): void {
  execFileSync(childBinary(), ['name', hex(name), String(n)]);
}

function assertAllClosed(tracked: ReturnType<typeof trackingSys>, before: Map<number, string>): void {
  assert.equal(tracked.open(), [], 'every fd the kernel handed out was closed');
  assert.is(tracked.mapped(), 0, 'the ring buffer is unmapped');
  const now = ownKernelFds();
  const extra = [...now].filter(([fd, what]) => before.get(fd) !== what);
  assert.equal(extra, [], 'no BPF or perf event fd left in this process');
}

const FIVE_PROBES = `
    BEGIN { @n = count(); printf("begin\\n"); }
    tracepoint:syscalls:sys_enter_getppid { @n = count(); }
    tracepoint:syscalls:sys_enter_getpid { @n = count(); }
    rawtracepoint:sys_enter { @n = count(); }
    tracepoint:syscalls:sys_enter_gettid { @n = count(); }
    interval:ms:100 { @n = count(); }
    END { printf("end\\n"); }`;

/** The five probes' artifact, with `change` applied to the third attachable one. */
function fiveProbes(change: (third: Artifact['programs'][number]) => void): Artifact {
  const artifact = compiled(FIVE_PROBES);
  change(artifact.programs.filter((p) => p.attach.kind !== 'begin' && p.attach.kind !== 'end')[2]!);
  return artifact;
}

k('the third of five probes cannot attach (its tracepoint is gone): start() throws before BEGIN, all closed', async () => {
  // As if the tracepoint disappeared between compiling and attaching (a module unloaded).
  const artifact = fiveProbes((third) => {
    third.type = 'tracepoint';
    third.attach = { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_tsbt_gone' };
  });
  const before = ownKernelFds();
  const tracked = trackingSys();
  let output = '';
  let attached = false;
  try {
    await run(artifact, { sys: tracked.sys, onOutput: (s) => (output += s), onAttached: () => (attached = true) });
    assert.unreachable('start() should have failed');
  } catch (err) {
    assert.match(String((err as Error).message), /sys_enter_tsbt_gone/);
  }
  // A tracepoint is one perf event.
  assert.equal(tracked.calls, ['perfEventOpen', 'perfEventOpen'], 'two probes attached, the last two never tried');
  assert.not.ok(attached);
  assert.is(output, '', 'BEGIN did not run: it runs once every probe is attached');
  assertAllClosed(tracked, before);
});

k('the third of five probes fails when enabled (a raw tracepoint the kernel lacks): start() throws, all closed', async () => {
  // Raw tracepoints attach when enabled, after BEGIN (opening the link is what attaches them).
  const artifact = fiveProbes((third) => {
    assert.is(third.attach.kind, 'raw_tracepoint');
    (third.attach as { name: string }).name = 'tsbt_no_such_tracepoint';
  });
  const before = ownKernelFds();
  const tracked = trackingSys();
  let attached = false;
  try {
    await run(artifact, { sys: tracked.sys, onAttached: () => (attached = true) });
    assert.unreachable('start() should have failed');
  } catch (err) {
    assert.match(String((err as Error).message), /RAW_TRACEPOINT_OPEN.*ENOENT/);
  }
  assert.is(tracked.calls.at(-1), 'rawTracepointOpen tsbt_no_such_tracepoint');
  assert.is(tracked.calls.filter((c) => c === 'perfEventOpen').length, 4, 'the four perf-event probes were opened');
  assert.not.ok(attached);
  assertAllClosed(tracked, before);
});

k('a consumer callback that throws while tracing aborts the session: wait() rejects with it, all closed', async () => {
  const name = 'tsbtthrow';
  const artifact = compiled(`tracepoint:syscalls:sys_enter_getppid /comm == "${name}"/ { @n = count(); printf("call\\n"); }`);
  const before = ownKernelFds();
  const tracked = trackingSys();
  const session = await run(artifact, {
    sys: tracked.sys,
    onOutput: () => {
      throw new Error('the consumer broke');
    },
  });
  const ended = session.wait();
  getppidAs(name, 3);
  const outcome = await Promise.race([ended.then(() => 'resolved', (e: Error) => e.message), new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
  assert.is(outcome, 'the consumer broke');
  assert.not.ok(session.running);
  assertAllClosed(tracked, before);
});

k('a consumer callback that throws during BEGIN: start() rejects with it, all closed', async () => {
  const artifact = compiled('BEGIN { printf("hello\\n"); } tracepoint:syscalls:sys_enter_getppid { @n = count(); }');
  const before = ownKernelFds();
  const tracked = trackingSys();
  try {
    await run(artifact, { sys: tracked.sys, onOutput: () => { throw new Error('no output for you'); } });
    assert.unreachable('start() should have failed');
  } catch (err) {
    assert.is((err as Error).message, 'no output for you');
  }
  assertAllClosed(tracked, before);
});

k('abort() detaches and closes everything before it returns; wait() then says aborted', async () => {
  const artifact = compiled('tracepoint:syscalls:sys_enter_getppid { @n = count(); printf("x\\n"); } rawtracepoint:sys_enter { @m = count(); } END { printf("end\\n"); }');
  const before = ownKernelFds();
  const tracked = trackingSys();
  let output = '';
  const session = await run(artifact, { sys: tracked.sys, onOutput: (s) => (output += s) });
  assert.ok(tracked.open().length >= 5);
  session.abort();
  assertAllClosed(tracked, before);
  const result = await session.wait();
  assert.is(result.reason, 'aborted');
  assert.equal(result.maps, []);
  assert.not.match(output, /end/, 'END does not run after abort()');
  session.abort();
  assert.is((await session.stop()).reason, 'aborted', 'stop() after abort() is harmless');
});

k('stop() runs END, reads the maps, then everything is closed', async () => {
  const name = 'tsbtstop';
  const artifact = compiled(`tracepoint:syscalls:sys_enter_getppid /comm == "${name}"/ { @n = count(); } END { printf("end\\n"); }`);
  const before = ownKernelFds();
  const tracked = trackingSys();
  let output = '';
  const session = await run(artifact, { sys: tracked.sys, onOutput: (s) => (output += s) });
  getppidAs(name, 4);
  const result = await session.stop();
  assert.is(result.reason, 'stopped');
  // onOutput is what the CLI prints: END's output, then the maps.
  assert.is(output, 'end\n\n\n@n: 4\n');
  assert.equal(result.maps.find((m) => m.name === '@n')?.entries[0]?.value, 4n);
  assertAllClosed(tracked, before);
});

k('untilProcessExits (-p): the session stops when the process exits, END runs, the pidfd is closed', async () => {
  const sleeper = spawn('sleep', ['0.3']);
  const before = ownKernelFds();
  const tracked = trackingSys();
  let output = '';
  const session = await run(compiled('tracepoint:syscalls:sys_enter_getppid /pid == 0/ { @n = count(); } END { printf("end\\n"); }'), {
    sys: tracked.sys, untilProcessExits: sleeper.pid!, onOutput: (s) => (output += s),
  });
  const result = await session.wait();
  assert.is(result.reason, 'stopped');
  // END's line, the two newlines before the maps, and @n, never written, as an empty map's blank line.
  assert.is(output, 'end\n\n\n\n');
  assertAllClosed(tracked, before);
});

k('programs with loop callbacks: their BTF fds are closed with them, and when the verifier refuses one', async () => {
  const name = 'tsbtloop';
  const text = `BEGIN { @m[1] = 1; } tracepoint:syscalls:sys_enter_getppid /comm == "${name}"/ { for ($kv : @m) { @n = count(); } } END { printf("%d\\n", len(@m)); }`;
  const before = ownKernelFds();
  const tracked = trackingSys();
  let output = '';
  const session = await run(compiled(text), { sys: tracked.sys, onOutput: (s) => (output += s) });
  assert.equal(tracked.calls.filter((c) => c === 'btfLoad').length, 2, 'one BTF for each program with a callback');
  getppidAs(name, 3);
  const result = await session.stop();
  assert.is(output, '1\n\n\n@m[1]: 1\n@n: 3\n', 'END\'s len(@m), then the maps');
  assert.equal(result.maps.find((m) => m.name === '@n')?.entries[0]?.value, 3n);
  assertAllClosed(tracked, before);

  // func_info that does not match the program's layout: BPF_PROG_LOAD fails after the BTF loaded.
  const broken = compiled(text);
  const loop = broken.programs.find((p) => p.functions && p.attach.kind === 'tracepoint')!;
  loop.functions!.funcInfo[1]!.insn += 1;
  const tracked2 = trackingSys();
  await run(broken, { sys: tracked2.sys }).then(() => assert.unreachable('the load should fail'), (err: Error) => assert.match(err.message, /func_info|subprog/));
  assertAllClosed(tracked2, before);
});

k('pause(): events wait in the ring buffer; what does not fit is counted; received + lost == generated', async () => {
  const name = 'tsbtpause';
  const N = 5000;
  // A 16 KB ring holds a few hundred of these 24-byte records.
  const artifact = compiled(`tracepoint:syscalls:sys_enter_getppid /comm == "${name}"/ { printf("%d\\n", pid); }`, { eventRingBytes: 4 * 4096 });
  let received = 0;
  const session = await run(artifact, { onPrintf: () => received++ });
  session.pause();
  getppidAs(name, N);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(received, 0, 'nothing read while paused');
  session.resume();
  await new Promise((r) => setTimeout(r, 50));
  const result = await session.stop();
  assert.ok(received > 0 && result.lostEvents > 0, `received ${received}, lost ${result.lostEvents}`);
  assert.is(received + result.lostEvents, N);
});

t.run();
