import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  globToRegExp,
  locateTracefs,
  parseTracepointField,
  parseTracepointFormat,
  Tracefs,
} from '../../runtime/kernel/tracefs.ts';

const t = suite('tracefs: formats, ids, globs, locating and mounting');

const OPENAT = `name: sys_enter_openat
ID: 782
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename))
`;

const EXEC = `name: sched_process_exec
ID: 365
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;

print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid
`;

t('sys_enter_openat: name, id, common fields, pointer field', () => {
  const f = parseTracepointFormat(OPENAT);
  assert.is(f.name, 'sys_enter_openat');
  assert.is(f.id, 782);
  assert.equal(f.fields.map((x) => x.name), ['common_type', 'common_flags', 'common_preempt_count', 'common_pid', '__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
  assert.equal(f.fields.filter((x) => x.common).length, 4);
  assert.equal(f.fields[6], {
    name: 'filename', type: 'const char *', offset: 24, size: 8, signed: false, isDataLoc: false, isRelLoc: false, common: false,
  });
  assert.equal([f.fields[3]!.type, f.fields[3]!.signed], ['int', true]);
});

t('__data_loc fields', () => {
  const f = parseTracepointFormat(EXEC).fields.find((x) => x.name === 'filename')!;
  assert.equal(f, { name: 'filename', type: 'char[]', offset: 8, size: 4, signed: false, isDataLoc: true, isRelLoc: false, common: false });
});

t('arrays, __rel_loc, multi-word types', () => {
  const comm = parseTracepointField('\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;')!;
  assert.equal([comm.name, comm.type, comm.arrayLen, comm.size], ['prev_comm', 'char', 16, 16]);
  const args = parseTracepointField('\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;')!;
  assert.equal([args.name, args.type, args.arrayLen], ['args', 'unsigned long', 6]);
  const rel = parseTracepointField('\tfield:__rel_loc u8[] buf;\toffset:12;\tsize:4;\tsigned:0;')!;
  assert.equal([rel.name, rel.type, rel.isDataLoc, rel.isRelLoc], ['buf', 'u8[]', true, true]);
  const sym = parseTracepointField('\tfield:char comm[TASK_COMM_LEN];\toffset:8;\tsize:16;\tsigned:0;')!;
  assert.equal([sym.name, sym.arrayLen], ['comm', undefined]);
  assert.is(parseTracepointField('print fmt: "x"'), undefined);
});

t('globs: * and ? only, the rest literal', () => {
  assert.ok(globToRegExp('sys_enter_*').test('sys_enter_openat'));
  assert.not.ok(globToRegExp('sys_enter_*').test('sys_exit_openat'));
  assert.ok(globToRegExp('sched_?witch').test('sched_switch'));
  assert.not.ok(globToRegExp('a.b').test('axb'));
});

t('a tracefs tree: ids, formats, listing by glob', () => {
  const root = mkdtempSync(join(tmpdir(), 'tsbt-tracefs-'));
  try {
    const event = (cat: string, ev: string, id: number, format = '') => {
      mkdirSync(join(root, 'events', cat, ev), { recursive: true });
      writeFileSync(join(root, 'events', cat, ev, 'id'), `${id}\n`);
      if (format) writeFileSync(join(root, 'events', cat, ev, 'format'), format);
    };
    event('syscalls', 'sys_enter_openat', 782, OPENAT);
    event('syscalls', 'sys_exit_openat', 781);
    event('sched', 'sched_process_exec', 365, EXEC);
    writeFileSync(join(root, 'events', 'syscalls', 'enable'), '0\n');
    const fs = new Tracefs(root);
    assert.is(fs.tracepointId('syscalls', 'sys_enter_openat'), 782);
    assert.is(fs.format('sched', 'sched_process_exec').fields.length, 7);
    assert.throws(() => fs.tracepointId('syscalls', 'nope'), /tracepoint syscalls:nope does not exist/);
    assert.throws(() => fs.tracepointId('..', '../x'), /invalid tracepoint/);
    assert.equal(fs.list('sys*', '*openat'), [
      { category: 'syscalls', event: 'sys_enter_openat' },
      { category: 'syscalls', event: 'sys_exit_openat' },
    ]);
    assert.equal(fs.list('*', 'sched_*').map((x) => x.event), ['sched_process_exec']);
    assert.equal(fs.list('syscalls', 'enable'), [], 'files in a category are not events');
  } finally {
    rmSync(root, { recursive: true });
  }
});

function fakeEnv(present: string[], mountable: Record<string, string> = {}) {
  const have = new Set(present);
  const mounts: string[] = [];
  return {
    mounts,
    env: {
      exists: (p: string) => have.has(p),
      mount: (_s: string, target: string, fstype: string) => {
        mounts.push(`${fstype}@${target}`);
        const gives = mountable[`${fstype}@${target}`];
        if (!gives) throw new Error(`mount: ENODEV (${fstype})`);
        have.add(gives);
      },
    },
  };
}

t('locating: an already-mounted tracefs is used as is', () => {
  const { env, mounts } = fakeEnv(['/sys/kernel/tracing/events']);
  assert.is(locateTracefs(env), '/sys/kernel/tracing');
  assert.equal(mounts, []);
});

t('locating: tracefs is mounted at /sys/kernel/tracing when events/ is absent', () => {
  const { env, mounts } = fakeEnv([], { 'tracefs@/sys/kernel/tracing': '/sys/kernel/tracing/events' });
  assert.is(locateTracefs(env), '/sys/kernel/tracing');
  assert.equal(mounts, ['tracefs@/sys/kernel/tracing']);
});

t('locating: falls back to debugfs, mounting it if needed', () => {
  const mounted = fakeEnv(['/sys/kernel/debug/tracing/events']);
  assert.is(locateTracefs(mounted.env), '/sys/kernel/debug/tracing');
  const unmounted = fakeEnv([], { 'debugfs@/sys/kernel/debug': '/sys/kernel/debug/tracing/events' });
  assert.is(locateTracefs(unmounted.env), '/sys/kernel/debug/tracing');
  assert.equal(unmounted.mounts, ['tracefs@/sys/kernel/tracing', 'debugfs@/sys/kernel/debug']);
});

t('locating: a clear error naming both places and the mount failures', () => {
  assert.throws(() => locateTracefs(fakeEnv([]).env), /tracefs not found at \/sys\/kernel\/tracing or \/sys\/kernel\/debug\/tracing \(mount: ENODEV \(tracefs\); mount: ENODEV \(debugfs\)\)/);
  assert.throws(() => locateTracefs({ exists: () => false }), /mounting was not allowed/);
});

t.run();
