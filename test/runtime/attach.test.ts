import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttachSpec, ProgramSpec } from '../../runtime/artifact.ts';
import { attach, type AttachEnv } from '../../runtime/attach/index.ts';
import { loadProgram, type LoadedProgram } from '../../runtime/programs.ts';
import { Errno, PerfSwConfig, PerfType } from '../../runtime/sys/constants.ts';
import { FakeSys } from '../../runtime/sys/fake-sys.ts';
import { isSysError } from '../../runtime/sys/sys.ts';

const t = suite('attach against the fake Sys');

const env: AttachEnv = {
  tracepointId: (category, event) => {
    if (event === 'missing') throw new Error(`tracepoint ${category}:${event} does not exist`);
    return 782;
  },
  onlineCpus: () => [0, 1, 2, 3],
  kprobePmu: () => ({ type: 6, retprobeBit: 0 }),
  tracefsRoot: () => '/nonexistent-tracefs',
  uprobePmu: () => ({ type: 8, retprobeBit: 0 }),
};

function setup(attachSpec: AttachSpec, type: ProgramSpec['type'] = 'tracepoint') {
  const fake = new FakeSys({ possibleCpus: 4 });
  const spec: ProgramSpec = {
    name: 'tsbt_p', probe: 'probe', type, license: 'GPL', bytecode: Buffer.alloc(16).toString('base64'),
    relocations: [], attach: attachSpec, stackSize: 0,
  };
  const prog: LoadedProgram = loadProgram(fake, spec, new Map());
  return { fake, prog };
}

t('tracepoint: one disabled event on cpu 0; the program is set only by enable()', () => {
  const { fake, prog } = setup({ kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' });
  const a = attach(fake, prog, prog.spec, env);
  assert.is(fake.perfEvents.length, 1);
  const ev = fake.perfEvents[0]!;
  assert.equal([ev.attr.type, ev.attr.config, ev.pid, ev.cpu, ev.enabled, ev.progFd], [PerfType.TRACEPOINT, 782, -1, 0, false, undefined]);
  a.enable();
  assert.equal([ev.enabled, ev.progFd], [true, prog.fd]);
  a.detach();
  a.detach();
  assert.equal(fake.openFds(), [prog.fd], 'only the program is left open');
});

t('perf_event cpus: one → CPU 0; all → every online CPU; period or frequency', () => {
  const one = setup({ kind: 'perf_event', perfType: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, period: 1e7, cpus: 'one' }, 'perf_event');
  attach(one.fake, one.prog, undefined, env).enable();
  assert.equal(one.fake.perfEvents.map((e) => [e.cpu, e.attr.samplePeriod, e.attr.frequency, e.enabled]), [[0, 1e7, undefined, true]]);

  const all = setup({ kind: 'perf_event', perfType: PerfType.SOFTWARE, config: PerfSwConfig.CPU_CLOCK, frequency: 99, cpus: 'all' }, 'perf_event');
  const a = attach(all.fake, all.prog, undefined, env);
  assert.equal(all.fake.perfEvents.map((e) => [e.cpu, e.pid, e.attr.frequency, e.attr.disabled]), [0, 1, 2, 3].map((c) => [c, -1, 99, true]));
  a.detach();
  assert.equal(all.fake.openFds(), [all.prog.fd]);
});

t('a failure on the third CPU leaves nothing open and rethrows the errno', () => {
  const { fake, prog } = setup({ kind: 'perf_event', perfType: 1, config: 0, frequency: 49, cpus: 'all' }, 'perf_event');
  let opened = 0;
  const open = fake.perfEventOpen.bind(fake);
  fake.perfEventOpen = (...args) => {
    if (++opened === 3) fake.failNext('perfEventOpen', Errno.EMFILE);
    return open(...args);
  };
  assert.throws(() => attach(fake, prog, undefined, env), (e: unknown) => isSysError(e, 'EMFILE'));
  assert.equal(fake.openFds(), [prog.fd]);
});

t('a failure while enabling leaves detach able to close everything', () => {
  const { fake, prog } = setup({ kind: 'perf_event', perfType: 1, config: 0, period: 1000, cpus: 'all' }, 'perf_event');
  const a = attach(fake, prog, undefined, env);
  fake.failNext('ioctl', Errno.EINVAL);
  assert.throws(() => a.enable(), (e: unknown) => isSysError(e, 'EINVAL'));
  a.detach();
  assert.equal(fake.openFds(), [prog.fd]);
});

t('perf_event needs exactly one of period and frequency', () => {
  const { fake, prog } = setup({ kind: 'perf_event', perfType: 1, config: 0, cpus: 'one' }, 'perf_event');
  assert.throws(() => attach(fake, prog, undefined, env), /exactly one of period and frequency/);
});

t('unknown tracepoints fail before anything opens', () => {
  const { fake, prog } = setup({ kind: 'tracepoint', category: 'x', event: 'missing' });
  assert.throws(() => attach(fake, prog, undefined, env), /does not exist/);
  assert.equal(fake.openFds(), [prog.fd]);
});

t('begin/end attach nothing', () => {
  const { fake, prog } = setup({ kind: 'begin' }, 'raw_tracepoint');
  const a = attach(fake, prog, { kind: 'end' }, env);
  a.enable();
  a.detach();
  assert.is(fake.perfEvents.length, 0);
});

t('kprobe: PMU type, function name through config1, offset in config2; a kernel without kprobes is named as the reason', () => {
  const { fake, prog } = setup({ kind: 'kprobe', func: 'do_sys_openat2', offset: 16, retprobe: false }, 'kprobe');
  attach(fake, prog, undefined, env).enable();
  const ev = fake.perfEvents[0]!;
  assert.equal([ev.attr.type, ev.attr.config, ev.attr.config1String, ev.attr.config2], [6, 0n, 'do_sys_openat2', 16]);
  assert.throws(() => attach(fake, prog, undefined, { ...env, kprobePmu: () => undefined }), /kprobe/);
  assert.is(fake.openFds().filter((fd) => fake.object(fd)?.kind === 'perf').length, 1, 'the failed attach opened nothing');
});

t('uprobe: PMU type, path through config1, offset in config2, retprobe bit in config', () => {
  const { fake, prog } = setup({ kind: 'uprobe', path: '/bin/bash', offset: 0x1234, retprobe: true }, 'kprobe');
  attach(fake, prog, undefined, env).enable();
  const ev = fake.perfEvents[0]!;
  assert.equal([ev.attr.type, ev.attr.config, ev.attr.config1String, ev.attr.config2, ev.pid, ev.cpu], [8, 1n, '/bin/bash', 0x1234, -1, 0]);
});

t.run();
