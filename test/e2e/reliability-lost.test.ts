// Nothing silently lost: every event the probes generate is either printed or counted as lost and
// reported (`Lost N events` on stderr), exactly; and output is complete on the way out, -o FILE under
// SIGTERM included. The load is a C child making an exact number of getppid calls.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTestsEnabled, sleep } from './harness.ts';
import { leakReport, noLeaks, runTraced, uniqueTag } from './leaks-harness.ts';
import { childBinary, hex } from './reliability-child.ts';

const t = suite('nothing silently lost');
const k = kernelTestsEnabled() ? t : t.skip;

const lostOf = (stderr: string) => Number(/^Lost (\d+) events$/m.exec(stderr)?.[1] ?? 0);

/** Pids of the processes `pid` started that are still there. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** The flood: N getppid calls from the -c command, each printed as its pid. */
function flood(tag: string, n: number): string[] {
  return ['-c', `${childBinary()} flood ${n}`, '-e', `tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @${tag} = count(); printf("%d\\n", pid); }`];
}

function received(stdout: string): number {
  let lines = 0;
  for (const line of stdout.split('\n')) if (/^\d+$/.test(line)) lines++;
  return lines;
}

const N = 2_000_000;

k(`a flood of ${N} printf events: printed + reported lost == generated, exactly`, async () => {
  const tag = uniqueTag();
  const r = await runTraced(flood(tag, N), { tag, timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stderr);
  const got = received(r.stdout);
  const lost = lostOf(r.stderr);
  assert.is(got + lost, N, `received ${got}, lost ${lost}`);
  // The map counts every call, lost events or not.
  assert.ok(r.stdout.endsWith(`\n\n@${tag}: ${N}\n`), r.stdout.slice(-100));
  assert.ok(noLeaks(r), leakReport(r));
});

k('a reader that does not keep up: tsbt stops reading, the kernel drops and counts; Lost N events; still exact', async () => {
  const tag = uniqueTag();
  const n = 1_500_000;
  const r = await runTraced(flood(tag, n), {
    tag,
    timeoutMs: 30_000,
    holdStdout: true,
    async onAttached(proc) {
      // Read nothing until the command is done: ~10 MB of output wait, more than tsbt buffers.
      const deadline = Date.now() + 20_000;
      await sleep(50);
      while (childrenOf(proc.pid!).length > 0 && Date.now() < deadline) await sleep(20);
      proc.stdout!.resume();
    },
  });
  assert.is(r.code, 0, r.stderr);
  const got = received(r.stdout);
  const lost = lostOf(r.stderr);
  assert.ok(lost > 0, `no event was lost: ${r.stderr}`);
  assert.match(r.stderr, /^Lost \d+ events$/m);
  assert.is(got + lost, n, `received ${got}, lost ${lost}`);
  assert.ok(r.stdout.endsWith(`\n\n@${tag}: ${n}\n`));
  assert.ok(noLeaks(r), leakReport(r));
});

k('-f json, a reader that does not keep up: printf records + the lost_events record == generated, exactly', async () => {
  const tag = uniqueTag();
  const n = 1_000_000;
  const r = await runTraced(['-f', 'json', ...flood(tag, n)], {
    tag,
    timeoutMs: 30_000,
    holdStdout: true,
    // Nothing says "attached" on stderr with -f json (it is a record, on the held stdout): watch the
    // -c command appear (held until the probes are attached) and finish instead.
    async onSpawn(proc) {
      const deadline = Date.now() + 20_000;
      while (childrenOf(proc.pid!).length === 0 && proc.exitCode === null && Date.now() < deadline) await sleep(10);
      while (childrenOf(proc.pid!).length > 0 && Date.now() < deadline) await sleep(20);
      proc.stdout!.resume();
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /Lost/, 'lost events are a record, not a message');
  const lines = r.stdout.split('\n');
  assert.is(lines.pop(), '', 'the output ends with a newline');
  const records = lines.map((l) => JSON.parse(l) as { type: string; data: unknown });
  const got = records.filter((x) => x.type === 'printf' && /^\d+\n$/.test(x.data as string)).length;
  const lost = records.filter((x) => x.type === 'lost_events');
  assert.is(lost.length, 1, 'one lost_events record');
  const events = (lost[0]!.data as { events: number }).events;
  assert.ok(events > 0, 'events were lost');
  assert.is(got + events, n, `received ${got}, lost ${events}`);
  // The map counts every call; then the lost events, last.
  assert.equal(records.slice(-2), [{ type: 'map', data: { [`@${tag}`]: n } }, { type: 'lost_events', data: { events } }]);
  assert.is(records[0]!.type, 'attached_probes');
  assert.ok(noLeaks(r), leakReport(r));
});

k('-o FILE survives SIGTERM complete: every event written or counted lost, then the maps', async () => {
  const tag = uniqueTag();
  const n = 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-out-'));
  const file = join(dir, 'out.txt');
  try {
    const r = await runTraced(['-o', file, '-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${tag}"/ { @${tag} = count(); printf("%s %d\\n", comm, pid); }`], {
      tag,
      onAttached(proc) {
        execFileSync(childBinary(), ['name', hex(tag), String(n)]);
        // At once: events may still be in the ring buffer and text on its way to the file.
        proc.kill('SIGTERM');
      },
    });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '');
    const text = readFileSync(file, 'utf8');
    const got = text.split('\n').filter((l) => l.startsWith(`${tag} `)).length;
    assert.is(got + lostOf(r.stderr), n, `received ${got}, lost ${lostOf(r.stderr)}`);
    assert.ok(text.endsWith(`\n\n@${tag}: ${n}\n`), text.slice(-100));
    assert.ok(noLeaks(r), leakReport(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

k('exit() with output waiting: all of it is flushed before the process ends', async () => {
  const tag = uniqueTag();
  const lines = 5_000;
  // BEGIN prints lines, then exit(): the text must all reach a reader that starts late.
  const r = await runTraced(['-e', `BEGIN { @${tag} = count(); $i = 0; while ($i < ${lines}) { printf("line %d ${'.'.repeat(250)}\\n", $i); $i++; } exit(); }`], {
    tag,
    holdStdout: true,
    async onAttached(proc) {
      await sleep(300);
      proc.stdout!.resume();
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('line ')).length + lostOf(r.stderr), lines);
  assert.ok(r.stdout.endsWith(`\n\n@${tag}: 1\n`));
});

k('a map that is full: the updates it refused are counted and reported at exit', async () => {
  const r = await runTraced(['-e', 'config = { max_map_keys = 4 } BEGIN { $i = 0; while ($i < 10) { @full[$i] = $i; $i++; } exit(); }'], { tag: uniqueTag() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split('\n').filter((l) => l.startsWith('@full[')).length, 4);
  assert.match(r.stderr, /^tsbt: @full was full \(4 entries\): 6 updates dropped; raise its size with/m);
});

t.run();
