// The programmatic API as a TypeScript user would use it (scenario 12: bcc's Python API, in TypeScript).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { compile, run, type PrintfRecord, type SessionEvent } from '../../api/index.ts';
import { kernelTestsEnabled, sleep } from './harness.ts';
import { uniqueTag } from './leaks-harness.ts';
import { childBinary, hex } from './reliability-child.ts';

const t = suite('programmatic API on the real kernel');
const k = kernelTestsEnabled() ? t : t.skip;

k('compile, run, receive printf events as objects, read maps, stop', async () => {
  // Only a process with this test's own name is traced: what other processes do (another test run's
  // flood of getppid() calls, say) cannot fill the ring buffer and change the counts.
  const tag = uniqueTag();
  const { artifact, diagnostics } = compile(
    `BEGIN < printf("start %s\\n", "now"); > tracepoint:syscalls:sys_enter_getppid /comm == "${tag}"/ < @calls[pid] = count(); printf("ppid from %d\\n", pid); >`,
  );
  assert.equal(diagnostics, []);
  const events: PrintfRecord[] = [];
  let attached = 0;
  const session = await run(artifact!, { onPrintf: (e) => events.push(e), onAttached: (n) => (attached = n) });
  assert.is(attached, 2);
  // A child named `tag` that calls getppid() 5 times.
  const child = String(spawnSync(childBinary(), ['name', hex(tag), '5']).pid);
  await sleep(100);
  const result = await session.stop();
  assert.is(result.reason, 'stopped');
  assert.is(events[0]!.text, 'start now\n');
  const fromChild = events.filter((e) => e.text === `ppid from ${child}\n`);
  assert.is(fromChild.length, 5, events.map((e) => e.text).join(''));
  assert.equal(fromChild[0]!.args, [BigInt(child)]);
  const calls = result.maps.find((m) => m.name === '@calls')!;
  assert.equal(calls.entries, [{ key: [BigInt(child)], value: 5n }]);
  assert.is(result.lostEvents, 0);
});

k('session.events(): every event as a typed object, in order, for await, ending with the session', async () => {
  const tag = uniqueTag();
  const { artifact, diagnostics } = compile(
    'BEGIN { printf("start %d\\n", 1); print(7); print(("a", -2)); @m["x"] = 3; print(@m); } ' +
    `tracepoint:syscalls:sys_enter_getppid /comm == "${tag}"/ { @calls = count(); printf("%s\\n", comm); } ` +
    'END { time("%Y\\n"); }',
  );
  assert.equal(diagnostics, []);
  const session = await run(artifact!);
  // Called after run(): the probes attached and BEGIN's output come first all the same.
  const seen: SessionEvent[] = [];
  const loop = (async () => {
    for await (const event of session.events()) seen.push(event);
  })();
  execFileSync(childBinary(), ['name', hex(tag), '3']);
  await sleep(100);
  const result = await session.stop();
  await loop;
  assert.equal(seen.map((e) => e.kind), ['attached', 'printf', 'value', 'value', 'map', 'printf', 'printf', 'printf', 'time', 'exitMaps']);
  assert.equal(seen[0], { kind: 'attached', probes: 3 });
  assert.equal(seen[1], { kind: 'printf', id: (seen[1] as PrintfRecord).id, text: 'start 1\n', args: [1n] });
  assert.equal(seen[2], { kind: 'value', value: 7n });
  assert.equal(seen[3], { kind: 'value', value: { kind: 'tuple', values: ['a', -2n] } });
  const printed = seen[4] as Extract<SessionEvent, { kind: 'map' }>;
  assert.equal([printed.map.name, printed.map.entries, printed.top, printed.div], ['@m', [{ key: ['x'], value: 3n }], 0, 1]);
  for (const e of seen.slice(5, 8)) {
    const p = e as PrintfRecord;
    assert.is(p.text, `${tag}\n`);
    assert.equal(p.args, [new TextEncoder().encode(tag)]);
  }
  assert.equal(seen[8], { kind: 'time', text: `${new Date().getFullYear()}\n` });
  const exitMaps = seen[9] as Extract<SessionEvent, { kind: 'exitMaps' }>;
  assert.equal(exitMaps.maps, result.maps);
  assert.equal(result.maps.find((m) => m.name === '@calls')?.entries, [{ key: [], value: 3n }]);
});

k('session.events(): a consumer that falls behind holds the reading back; what the kernel dropped comes as a lost event, exactly', async () => {
  const tag = uniqueTag();
  const n = 300_000;
  const { artifact } = compile(`tracepoint:syscalls:sys_enter_getppid /comm == "${tag}"/ { printf("%d\\n", pid); }`);
  const session = await run(artifact!);
  const events = session.events();
  // The load comes in bursts the session can read as they come, into the iterator, which nobody
  // reads yet: past 65536 waiting events the session stops reading, and the ring buffer fills up.
  for (let i = 0; i < n / 10_000; i++) {
    await promisify(execFile)(childBinary(), ['name', hex(tag), '10000']);
    await sleep(10);
  }
  await sleep(100);
  const stopped = session.stop();
  let printed = 0;
  let lost = 0;
  const kinds = new Set<string>();
  for await (const event of events) {
    kinds.add(event.kind);
    if (event.kind === 'printf') printed++;
    if (event.kind === 'lost') lost += event.events;
  }
  const result = await stopped;
  assert.equal([...kinds], ['attached', 'printf', 'exitMaps', 'lost']);
  assert.ok(lost > 0, 'events were lost');
  assert.is(lost, result.lostEvents);
  assert.is(printed + lost, n, `printed ${printed}, lost ${lost}`);
});

t('compile errors come back as located diagnostics, not exceptions', () => {
  const { artifact, diagnostics } = compile('BEGIN < @x = "a" + 1; >');
  assert.is(artifact, undefined);
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0]!.message, /cannot combine/);
  assert.equal(diagnostics[0]!.span, { start: 17, end: 18 });
});

t.run();
