// The programmatic API as a TypeScript user would use it (scenario 12: bcc's Python API, in TypeScript).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { compile, run, type PrintfRecord } from '../../api/index.ts';
import { kernelTestsEnabled } from './harness.ts';

const t = suite('programmatic API on the real kernel');
const k = kernelTestsEnabled() ? t : t.skip;

k('compile, run, receive printf events as objects, read maps, stop', async () => {
  const { artifact, diagnostics } = compile(
    'BEGIN < printf("start %s\\n", "now"); > tracepoint:syscalls:sys_enter_getppid < @calls[pid] = count(); printf("ppid from %d\\n", pid); >',
  );
  assert.equal(diagnostics, []);
  const events: PrintfRecord[] = [];
  let attached = 0;
  const session = await run(artifact!, { onPrintf: (e) => events.push(e), onAttached: (n) => (attached = n) });
  assert.is(attached, 2);
  // A child that calls getppid() a known number of times (python's os.getppid is one syscall each).
  const child = execFileSync('python3', ['-c', 'import os\nfor _ in range(5): os.getppid()\nprint(os.getpid())']).toString().trim();
  await new Promise((r) => setTimeout(r, 100));
  const result = await session.stop();
  assert.is(result.reason, 'stopped');
  assert.is(events[0]!.text, 'start now\n');
  const fromChild = events.filter((e) => e.text === `ppid from ${child}\n`);
  // Python's own start-up calls getppid() too: at least the 5, and every call both printed and counted.
  assert.ok(fromChild.length >= 5, `${fromChild.length} events from the child`);
  assert.equal(fromChild[0]!.args, [BigInt(child)]);
  const calls = result.maps.find((m) => m.name === '@calls')!;
  const entry = calls.entries.find((e) => e.key[0] === BigInt(child));
  assert.is(entry?.value, BigInt(fromChild.length));
  assert.is(result.lostEvents, 0);
});

t('compile errors come back as located diagnostics, not exceptions', () => {
  const { artifact, diagnostics } = compile('BEGIN < @x = "a" + 1; >');
  assert.is(artifact, undefined);
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0]!.message, /cannot combine/);
  assert.equal(diagnostics[0]!.span, { start: 17, end: 18 });
});

t.run();
