// usdt end to end: test/fixtures/uprobe/usdt.c built with <sys/sdt.h> (systemtap-sdt-dev) at -O0
// (arguments in stack slots) and -O2 (registers, a constant, a %rip-relative global), traced by the
// bundled CLI on the real kernel; a probe behind a semaphore that only runs while tsbt is attached.
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelTestsEnabled, runTsbt } from './harness.ts';
import { buildDir, cc, haveSysSdt } from './uprobe-build.ts';

const t = suite('usdt probes on the real kernel');
const sdt = haveSysSdt();
if (!sdt && process.env.TSBT_REQUIRE_KERNEL === '1') {
  // CI installs it (.ci/run): missing there is a failure, not a skip.
  t('<sys/sdt.h> is installed', () => assert.unreachable('<sys/sdt.h> is missing: apt-get install systemtap-sdt-dev'));
} else if (!sdt) {
  console.log('    <sys/sdt.h> not installed (apt-get install systemtap-sdt-dev): skipping the USDT tests');
}
const kernel = kernelTestsEnabled() && sdt;
const k = kernel ? t : t.skip;
const c = sdt ? t : t.skip;

let scratch: ReturnType<typeof buildDir>;
const builds: Record<'O0' | 'O2', string> = { O0: '', O2: '' };

t.before(() => {
  if (!sdt) return;
  scratch = buildDir();
  for (const o of ['O0', 'O2'] as const) builds[o] = cc(scratch.dir, `usdt-${o}`, ['usdt.c', 'usdt-sema.c'], [`-${o}`]);
});

t.after(() => scratch?.cleanup());

function mapLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('@')).sort();
}

/** The argument specs of a probe as readelf prints them (to show which forms a build exercises). */
function argSpecs(binary: string, probe: string): string {
  const notes = execFileSync('readelf', ['-n', binary], { encoding: 'utf8' });
  return new RegExp(`Name: ${probe}\\n.*\\n\\s+Arguments: (.*)`).exec(notes)?.[1] ?? '';
}

k('usdt: arguments from registers, stack slots, a constant and a %rip-relative global, -O0 and -O2', async () => {
  for (const o of ['O0', 'O2'] as const) {
    const bin = builds[o];
    const r = await runTsbt(['-c', `${bin} 3`, '-e',
      `usdt:${bin}:tsbt:tick < printf("%d %d %d %s %d %d %d\\n", arg0, arg1, arg2, str(arg3), arg4, arg5, arg6); >`]);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => /^-?\d+ /.test(l));
    assert.equal(lines, ['0 -1 10 alpha -3 65 77', '1 -2 20 beta -3 66 77', '2 -3 30 alpha -3 65 77'],
      `${o} (${argSpecs(bin, 'tick')}):\n${r.stdout}`);
    if (o === 'O0') assert.match(argSpecs(bin, 'tick'), /@-?\d+\(%rbp\)/, 'memory operands at -O0');
  }
  // At -O2 gcc puts the unchanging global in the note as `tsbt_limit(%rip)` and -3 as a constant.
  assert.match(argSpecs(builds.O2, 'tick'), /@tsbt_limit\(%rip\)/);
  assert.match(argSpecs(builds.O2, 'tick'), /@\$-3/);
});

k('usdt: a probe behind a semaphore runs only while tsbt is attached (the kernel counts it up)', async () => {
  const bin = builds.O2;
  assert.is(execFileSync(bin, ['4'], { encoding: 'utf8' }), 'guarded 0\n');
  const r = await runTsbt(['-c', `${bin} 4`, '-e', `usdt:${bin}:tsbt:guarded < @[arg0] = count(); @big = sum(arg1); >`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^guarded 4$/m);
  assert.equal(mapLines(r.stdout), ['@[0]: 1', '@[100]: 1', '@[200]: 1', '@[300]: 1', '@big: 4000000000006'].sort());
});

k('usdt: the provider may be left out, `*` matches probe names, U is an alias', async () => {
  const bin = builds.O2;
  const r = await runTsbt(['-c', `${bin} 2`, '-e', `U:${bin}:tick < @t = count(); > usdt:${bin}:tsbt:* < @[probe] = count(); >`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Attached 3 probes\n/);
  assert.equal(mapLines(r.stdout), [`@[usdt:${bin}:tsbt:guarded]: 2`, `@[usdt:${bin}:tsbt:tick]: 2`, '@t: 2'].sort());
});

c('usdt errors: an unknown probe with a near match, a binary without probes, an argument past the last', async () => {
  const bin = builds.O2;
  const cases: [string, RegExp][] = [
    [`usdt:${bin}:tsbt:tock < @ = count(); >`, /error: no USDT probe `tsbt:tock` in .*\n(.*\n)*.*did you mean `tsbt:tick`\?/],
    [`usdt:/bin/true:x < @ = count(); >`, /has no USDT probes/],
    [`usdt:${bin}:tsbt:guarded < @ = arg2; >`, /usdt:.*:tsbt:guarded has arg0 to arg1/],
    [`usdt:${bin}:tsbt:tick < @ = retval; >`, /`retval` is not available in usdt probes/],
  ];
  for (const [script, re] of cases) {
    const r = await runTsbt(['-e', script]);
    assert.is(r.code, 1, script);
    assert.match(r.stderr, re, `${script}:\n${r.stderr}`);
  }
});

t.run();
