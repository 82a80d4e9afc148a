// Scenario 10: the scripts of docs/examples run as they are, tracing every process's strlen while
// test/fixtures/uprobe/target.c measures a string of its own N times. Other processes add their own
// strings and lengths; the target's are known exactly. The target is started directly once the probes
// are attached (not with -c, whose wrapper shell would measure the string too).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernelTestsEnabled, runTsbt, sleep, type RunOptions } from './harness.ts';
import { buildDir, cc } from './uprobe-build.ts';

const EXAMPLES = fileURLToPath(new URL('../../docs/examples/', import.meta.url));
const t = suite('docs/examples: scenario 10 (strlen through uprobe:libc)');
const k = kernelTestsEnabled() ? t : t.skip;

let scratch: ReturnType<typeof buildDir>;
let target = '';
const N = 1000;
/** A string no other process measures; 28 bytes, so its lengths land in hist bucket [16, 32). */
const word = `tsbt-scenario10-${process.pid.toString(36).padStart(8, '0').slice(-8)}wxyz`;

t.before(() => {
  scratch = buildDir();
  target = cc(scratch.dir, 'target', ['target.c'], ['-O2']);
});

t.after(() => scratch?.cleanup());

/** Run the target once the probes are attached, then stop tsbt with Ctrl-C. */
const traceTarget: RunOptions = {
  timeoutMs: 60_000,
  async onAttached(child) {
    execFileSync(target, ['strlen', word, String(N)], { stdio: 'ignore' });
    await sleep(100);
    child.kill('SIGINT');
  },
};

t('the example scripts are the scenario\'s one-liners', () => {
  const body = (name: string) => readFileSync(`${EXAMPLES}${name}`, 'utf8').split('\n').filter((l) => l && !l.startsWith('//') && !l.startsWith('#!'));
  assert.equal(body('10-strlen-count.bt'), ['uprobe:libc:strlen < @[str(arg0)] = count(); >']);
  assert.equal(body('10-strlen-hist.bt'), ['uretprobe:libc:strlen < @ = hist(retval); >']);
});

k('10-strlen-count.bt: every call counts (the IFUNC is resolved to its implementation, not its resolver)', async () => {
  const r = await runTsbt([`${EXAMPLES}10-strlen-count.bt`], traceTarget);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Attached 1 probe\n/);
  const m = new RegExp(`^@\\[${word}\\]: (\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m, `no @[${word}] line in:\n${r.stdout.slice(-2000)}`);
  assert.is(Number(m![1]), N);
});

k('10-strlen-hist.bt: the target\'s N returns of 28 land in [16, 32)', async () => {
  assert.is(word.length, 28);
  const r = await runTsbt([`${EXAMPLES}10-strlen-hist.bt`], traceTarget);
  assert.is(r.code, 0, r.stderr);
  const m = /^\[16, 32\)\s+(\d+) \|/m.exec(r.stdout);
  assert.ok(m, `no [16, 32) bucket in:\n${r.stdout}`);
  assert.ok(Number(m![1]) >= N, `[16, 32) has ${m![1]} < ${N}`);
});

t.run();
