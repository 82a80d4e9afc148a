// uprobe/uretprobe end to end: the bundled CLI traces test/fixtures/uprobe/target.c (compiled here)
// on the real kernel. The target's calls are fixed, so counts are exact; its path is private to the
// test, so nothing else fires the probes.
import { execFileSync, spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelTestsEnabled, runTsbt, sleep } from './harness.ts';
import { buildDir, cc, codeByte, secondInstructionOffset, symbolAddress } from './uprobe-build.ts';

const t = suite('uprobe and uretprobe on the real kernel');
const kernel = kernelTestsEnabled();
const k = kernel ? t : t.skip;

let scratch: ReturnType<typeof buildDir>;
let target = '';
let ifuncLib = '';

t.before(() => {
  scratch = buildDir();
  target = cc(scratch.dir, 'target', ['target.c'], ['-O2']);
  ifuncLib = cc(scratch.dir, 'libtsbtifunc.so', ['ifunc.c'], ['-O2', '-shared', '-fPIC']);
});

t.after(() => scratch?.cleanup());

/** Map lines `@name[key]: value` of a run's output. */
function mapLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('@')).sort();
}

k('uprobe: arg0 of tsbt_target, called 9 times with known arguments, is counted exactly', async () => {
  const r = await runTsbt(['-c', `${target} calls`, '-e', `uprobe:${target}:tsbt_target < @[arg0] = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Attached 1 probe\n/);
  // arg0 is a u64, as in bpftrace: -2 prints as 2^64 - 2.
  assert.equal(mapLines(r.stdout), ['@[11]: 3', '@[18446744073709551614]: 1', '@[7]: 5']);
});

k('uretprobe: retval counted per value (tsbt_target returns 2a + b)', async () => {
  const r = await runTsbt(['-c', `${target} calls`, '-e', `uretprobe:${target}:tsbt_target < @r[retval] = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  // 7 * 2 + 0..4, 11 * 2 + 0..2, and -2 * 2 + 0 as a u64.
  const expected = ['14', '15', '16', '17', '18', '22', '23', '24', '18446744073709551612'].map((v) => `@r[${v}]: 1`);
  assert.equal(mapLines(r.stdout), expected.sort());
});

k('aliases u and ur, and str(arg0) of a uprobe reads the traced process', async () => {
  const r = await runTsbt(['-c', `${target} strlen tsbt-user-string 3`, '-e',
    `u:${target}:main < @argc[arg0] = count(); > ur:${target}:main < @ret[retval] = count(); > ` +
    `uprobe:${target}:tsbt_greet < @name[str(arg0)] = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Attached 3 probes\n/);
  assert.equal(mapLines(r.stdout), ['@argc[4]: 1', '@name[tsbt-user-string]: 1', '@ret[0]: 1']);
});

k('uprobe wildcard: one probe per function, two names at one address are one probe', async () => {
  const r = await runTsbt(['-c', `${target} calls`, '-e', `uprobe:${target}:tsbt_* < @[probe] = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  // tsbt_target and tsbt_target_alias share an address: one probe, 9 hits, not 18. tsbt_greet is
  // probed too but not called in this mode.
  assert.match(r.stderr, /^Attached 5 probes\n/);
  assert.equal(mapLines(r.stdout), [
    `@[uprobe:${target}:tsbt_target]: 9`,
    `@[uprobe:${target}:tsbt_wild_one]: 1`,
    `@[uprobe:${target}:tsbt_wild_three]: 3`,
    `@[uprobe:${target}:tsbt_wild_two]: 2`,
  ]);
});

k('uprobe at an address (the start of tsbt_wild_two) and at func+offset with --unsafe', async () => {
  const addr = symbolAddress(target, 'tsbt_wild_two');
  const r = await runTsbt(['-c', `${target} calls`, '-e', `uprobe:${target}:0x${addr.toString(16)} < @a = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(mapLines(r.stdout), ['@a: 2']);
  const second = secondInstructionOffset(target, 'tsbt_wild_three');
  const r2 = await runTsbt(['--unsafe', '-c', `${target} calls`, '-e', `uprobe:${target}:tsbt_wild_three+${second} < @o = count(); >`]);
  assert.is(r2.code, 0, r2.stderr);
  assert.equal(mapLines(r2.stdout), ['@o: 3']);
});

k('-p PID: only that process is traced, and the breakpoint is planted only in its memory', async () => {
  const traced = spawn(target, ['wait', '100', '4'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const other = spawn(target, ['wait', '200', '6'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = (c: typeof traced) => new Promise<void>((resolve) => c.on('exit', () => resolve()));
  try {
    await sleep(100);
    const artifact = JSON.parse(execFileSync(process.execPath, [new URL('../../dist/tsbt.mjs', import.meta.url).pathname,
      '-p', String(traced.pid), '--emit', 'artifact', '-e', `uprobe:${target}:tsbt_target < @ = count(); >`], { encoding: 'utf8' }));
    const attach = artifact.programs[0].attach;
    assert.equal([attach.kind, attach.pid], ['uprobe', traced.pid]);
    let bytes: number[] = [];
    const r = await runTsbt(['-p', String(traced.pid), '-e', `uprobe:${target}:tsbt_target < @[arg0] = count(); >`], {
      async onAttached(child) {
        bytes = [codeByte(traced.pid!, target, attach.offset), codeByte(other.pid!, target, attach.offset)];
        const done = Promise.all([exited(traced), exited(other)]);
        traced.stdin!.end('go\n');
        other.stdin!.end('go\n');
        await done;
        await sleep(50);
        child.kill('SIGINT');
      },
    });
    assert.is(r.code, 0, r.stderr);
    assert.equal(mapLines(r.stdout), ['@[100]: 4']);
    assert.is(bytes[0], 0xcc, 'int3 in the traced process');
    assert.is.not(bytes[1], 0xcc, 'the other process runs unmodified code');
  } finally {
    traced.kill();
    other.kill();
  }
});

t('errors: unknown binary, unknown function with a near match, a data symbol, an offset without --unsafe', async () => {
  const cases: [string, RegExp][] = [
    ['uprobe:/nonexistent/tsbt-bin:f', /error: no binary for `uprobe:\/nonexistent\/tsbt-bin:f`: cannot find/],
    ['uprobe:/etc/hostname:f', /is not an ELF executable or library/],
    [`uprobe:${target}:tsbt_targt`, /error: no function `tsbt_targt` in .*\n(.*\n)*.*hint: did you mean `tsbt_target`\?/],
    [`uprobe:${target}:tsbt_data`, /`tsbt_data` in .* is a data symbol \(OBJECT\) in \.data, not a function in a code section/],
    [`uprobe:${target}:tsbt_target+1`, /cannot check that `tsbt_target\+1` is the start of an instruction(.*\n)*.*--unsafe/],
    [`uretprobe:${target}:tsbt_target+1`, /a uretprobe takes a function, not an offset/],
    [`uprobe:${target}:0x1`, /0x1 is not inside any function/],
    [`uprobe:${target}:nomatch_*`, /no function of .* matches `nomatch_\*`/],
  ];
  for (const [probe, re] of cases) {
    const r = await runTsbt(['-e', `${probe} < @ = count(); >`]);
    assert.is(r.code, 1, probe);
    assert.match(r.stderr, /^-e:1:1: error: /, probe);
    assert.match(r.stderr, re, `${probe}:\n${r.stderr}`);
  }
});

t('an IFUNC tsbt cannot resolve: an error by name, a warning in a wildcard (the probe sits in the resolver)', async () => {
  const r = await runTsbt(['-e', `uprobe:${ifuncLib}:tsbt_add < @ = count(); >`]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error: `tsbt_add` in .* is an IFUNC: a uprobe on it would fire in its resolver, once per process, not per call/);
  assert.match(r.stderr, /hint: .* is not loaded in tsbt itself/);
  const w = await runTsbt(['--emit', 'artifact', '-e', `uprobe:${ifuncLib}:tsbt_* < @ = count(); >`]);
  assert.is(w.code, 0, w.stderr);
  assert.match(w.stderr, /warning: `tsbt_add` is an IFUNC whose implementation tsbt cannot find/);
  const probes = JSON.parse(w.stdout).programs.map((p: { probe: string }) => p.probe.split(':').pop()).sort();
  assert.equal(probes, ['tsbt_add', 'tsbt_add_plain', 'tsbt_sub']);
});

t('libc by name: uprobe:libc:strlen resolves the IFUNC to the implementation this CPU uses', async () => {
  const r = await runTsbt(['--emit', 'artifact', '-e', 'uprobe:libc:strlen < @ = count(); >']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const p = JSON.parse(r.stdout).programs[0];
  assert.match(p.probe, /^uprobe:\/.*libc\.so\.6:strlen$/);
  const strlen = execFileSync('readelf', ['-sW', '--dyn-syms', p.attach.path], { encoding: 'utf8' })
    .split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[7] === 'strlen' || f[7]?.startsWith('strlen@'));
  assert.ok(strlen, 'libc has strlen');
  if (strlen![3] === 'IFUNC') {
    // The resolver is at the symbol; the probe is elsewhere, in the implementation.
    assert.is.not(p.attach.offset, parseInt(strlen![1]!, 16));
  }
});

t.run();
