// Kernel types on the real kernel, exact output: enums by name (casts, a tracepoint field declared as
// an enum, an enum inside a struct), whole structs printed as bpftrace prints them (checked against
// bpftrace 0.17, except that pointers print in hex and bitfields by their own bits, as the newest
// bpftrace does), `*p`, `&s->field` and pointer arithmetic, and raw tracepoint arguments typed from BTF.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { machine, release, tmpdir, type as osType, version } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('kernel types on the real kernel: exact output');
const k = kernelTestsEnabled() ? t : t.skip;

k('enum casts print by name with %s, as numbers with %d, and by name as map keys and values', async () => {
  const r = await runTsbt(['-q', '-e', 'BEGIN { printf("%s %s %d\\n", (enum pid_type)1, (enum pid_type)99, (enum pid_type)1); @k[(enum pid_type)3] = (enum pid_type)0; $e = (enum pid_type)2; print($e); exit(); }']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'PIDTYPE_TGID 99 1\nPIDTYPE_PGID\n\n\n@k[PIDTYPE_SID]: PIDTYPE_PID\n');
});

k('a whole struct prints `{ .field = value, ... }`, with print() and with printf %s (`.` reads through pointers too)', async () => {
  const r = await runTsbt(['-q', '-e', 'BEGIN { print(curtask->nsproxy->uts_ns->name); printf("[%s]\\n", curtask.nsproxy.uts_ns.name); exit(); }']);
  assert.is(r.code, 0, r.stderr);
  const domain = readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
  const name = `{ .sysname = ${osType()}, .nodename = ${readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()}, .release = ${release()}, .version = ${version()}, .machine = ${machine()}, .domainname = ${domain} }`;
  assert.is(r.stdout, `${name}\n[${name}]\n\n\n`);
});

k('*p, &s->field, pointer arithmetic and bitfields, on the bytes of comm', async () => {
  // struct bpf_insn { u8 code; u8 dst_reg:4; u8 src_reg:4; s16 off; s32 imm; } laid over the task's comm.
  const r = await runTsbt(['-q', '-e', `BEGIN {
    $c = (uint8 *)&curtask->comm; $w = (int16 *)&curtask->comm;
    printf("%s|%c%c|%d|%d|%d\\n", comm, *$c, *($c + 1), (uint64)($c + 3) - (uint64)$c, *($w + 1), (uint64)($w + 3) - (uint64)$w);
    $i = (struct bpf_insn *)$c; print(*$i); printf("%d %d\\n", $i->dst_reg, (*$i).src_reg); exit(); }`]);
  assert.is(r.code, 0, r.stderr);
  const [first, ...rest] = r.stdout.split('\n');
  const comm = first!.split('|')[0]!;
  const b = Buffer.alloc(16);
  b.write(comm);
  assert.is(first, `${comm}|${comm.slice(0, 2)}|3|${b.readInt16LE(2)}|6`);
  assert.is(rest.join('\n'),
    `{ .code = ${b[0]}, .dst_reg = ${b[1]! & 0xf}, .src_reg = ${b[1]! >> 4}, .off = ${b.readInt16LE(2)}, .imm = ${b.readInt32LE(4)} }\n${b[1]! & 0xf} ${b[1]! >> 4}\n\n\n`);
});

k('structs of a script read through a uprobe: print(*p), %s, a struct in a variable and a map, &, ++ and + on user pointers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-btf-types-'));
  try {
    const bin = join(dir, 'conn');
    execFileSync('cc', ['-O0', '-o', bin, fileURLToPath(new URL('../fixtures/structs/conn.c', import.meta.url))]);
    const script = `struct conn { uint32 id; char name[16]; uint16 port; struct conn *next; }
      uprobe:${bin}:tsbt_handle { $c = (struct conn *)arg0; print(*$c); printf("%s\\n", *$c->next);
        $n = *$c->next; @[$n.id] = $n; $p = &$c->port; $q = $c; $q++;
        printf("%d %d %d %d\\n", *$p, (*$c->next).port, (uint64)$q - (uint64)$c, *(uint16 *)((uint8 *)$c + 20)); exit(); }`;
    const r = await runTsbt(['-q', '-e', script, '-c', bin]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{ \.id = 42, \.name = alpha, \.port = 443, \.next = 0x[0-9a-f]+ \}\n\{ \.id = 7, \.name = beta, \.port = 8080, \.next = 0x0 \}\n443 8080 32 443\n\n\n@\[7\]: \{ \.id = 7, \.name = beta, \.port = 8080, \.next = 0x0 \}\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

k('rawtracepoint args are typed from BTF: sched_process_exec(p, old_pid, bprm) and sys_enter(regs, id)', async () => {
  const exec = await runTsbt(['-q', '-c', '/bin/true', '-e',
    'rawtracepoint:sched_process_exec /args->old_pid == cpid/ { printf("%s %s %d\\n", args->p->comm, str(args->bprm->filename), args->p->pid == cpid); exit(); }']);
  assert.is(exec.code, 0, exec.stderr);
  assert.is(exec.stdout, 'true /bin/true 1\n\n\n');
  const enter = await runTsbt(['-q', '-c', '/bin/true', '-e',
    'rawtracepoint:sys_enter /pid == cpid/ { printf("%d %d\\n", args->id == args->regs->orig_ax, args->id == arg1); exit(); }']);
  assert.is(enter.code, 0, enter.stderr);
  assert.is(enter.stdout, '1 1\n\n\n');
});

k('print(args) prints a probe\'s arguments as a struct (a tracepoint record, typed raw tracepoint arguments)', async () => {
  const r = await runTsbt(['-q', '-c', '/bin/true', '-e',
    'tracepoint:sched:sched_process_exec /args->pid == cpid/ { print(args); printf("%d\\n", cpid); } rawtracepoint:sched_process_exec /args->old_pid == cpid/ { printf("%s\\n", args); exit(); }']);
  assert.is(r.code, 0, r.stderr);
  const m = /^\{ \.filename = \/bin\/true, \.pid = (\d+), \.old_pid = (\d+) \}\n(\d+)\n\{ \.p = 0x[0-9a-f]+, \.old_pid = (\d+), \.bprm = 0x[0-9a-f]+ \}\n\n\n$/.exec(r.stdout);
  assert.ok(m && m[1] === m[3] && m[2] === m[3] && m[4] === m[3], r.stdout);
});

k('a tracepoint field declared as an enum (skb:kfree_skb reason) prints by name', async () => {
  // A datagram to a closed port on the loopback is dropped in the sender's context: no socket.
  const r = await runTsbt(['-e', 'tracepoint:skb:kfree_skb /comm == "python3"/ { printf("%s\\n", args->reason); @[args->reason] = count(); exit(); }'], {
    onAttached: () => void execFileSync('python3', ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))']),
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'SKB_DROP_REASON_NO_SOCKET\n\n\n@[SKB_DROP_REASON_NO_SOCKET]: 1\n');
});

k('an enum inside a struct reached from a tracepoint (a listening socket is SS_UNCONNECTED)', async () => {
  const r = await runTsbt(['-e', 'tracepoint:sock:inet_sock_set_state /args->newstate == 10 && comm == "python3"/ { $sk = (struct sock *)args->skaddr; printf("%s %d\\n", $sk->sk_socket->state, $sk->sk_socket->type); exit(); }'], {
    onAttached: () => void spawnSync('python3', ['-c', 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)']),
  });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'SS_UNCONNECTED 1\n\n\n');
});

k('kernel enumerators as constants: TCP_LISTEN, SKB_DROP_REASON_NOT_SPECIFIED, by name with %s and in maps; builtins win', async () => {
  const r = await runTsbt(['-q', '-e', 'BEGIN { printf("%d %s %d %s\\n", TCP_LISTEN, TCP_LISTEN, SKB_DROP_REASON_NOT_SPECIFIED > 0, SKB_DROP_REASON_NOT_SPECIFIED); @[TCP_CLOSE] = PIDTYPE_PGID; printf("%d\\n", pid == cpu); exit(); }']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '10 TCP_LISTEN 1 SKB_DROP_REASON_NOT_SPECIFIED\n0\n\n\n@[TCP_CLOSE]: PIDTYPE_PGID\n');
});

k('an unknown raw tracepoint is a compile error at the probe before BEGIN runs; -l lists raw tracepoints, also those without a trace event', async () => {
  const r = await runTsbt(['-e', 'BEGIN { printf("begin\\n"); } rawtracepoint:sched_swich { exit(); }']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `-e:1:30: error: no raw tracepoint \`sched_swich\` in this kernel\n1 | BEGIN { printf("begin\\n"); } rawtracepoint:sched_swich { exit(); }\n  |${' '.repeat(30)}${'^'.repeat(25)}\n  = hint: did you mean \`rawtracepoint:sched_switch\`?\n`);
  const list = await runTsbt(['-l', 'rawtracepoint:sched_*']);
  assert.is(list.code, 0, list.stderr);
  for (const name of ['rawtracepoint:sched_switch', 'rawtracepoint:sched_update_nr_running_tp']) assert.ok(list.stdout.split('\n').includes(name), name);
  // A tracepoint with no trace event (found through BTF) attaches.
  const tp = await runTsbt(['-q', '-e', 'rawtracepoint:sched_update_nr_running_tp { printf("ok\\n"); exit(); }']);
  assert.is(tp.code, 0, tp.stderr);
  assert.is(tp.stdout, 'ok\n\n\n');
});

/** A nanosleep(2) of 1.05 s by perl (coreutils' sleep uses clock_nanosleep); its pid and parent's. */
function perlNanosleep(): { pid: number; ppid: number } {
  const out = execFileSync('perl', ['-e', 'my $t = pack("qq", 1, 50000000); syscall(35, $t, 0); print "$$ ", getppid(), "\n"'], { encoding: 'utf8' });
  const [pid, ppid] = out.trim().split(' ').map(Number);
  return { pid: pid!, ppid: ppid! };
}

k('bpftrace\'s naptime.bt runs unchanged: args->rqtp->tv_sec through a typed syscall pointer (user memory), curtask\'s parent (kernel)', async () => {
  let sleeper: { pid: number; ppid: number } | undefined;
  const r = await runTsbt(['/usr/sbin/naptime.bt'], {
    onAttached: (child) => {
      sleeper = perlNanosleep();
      child.kill('SIGINT');
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('Tracing sleeps. Hit Ctrl-C to end.\nTIME     PPID   PCOMM            PID    COMM             SECONDS\n'), r.stdout);
  const line = r.stdout.split('\n').find((l) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${sleeper!.ppid} +node +${sleeper!.pid} +perl +`).test(l));
  assert.is(line?.slice(9), `${String(sleeper!.ppid).padEnd(6)} ${'node'.padEnd(16)} ${String(sleeper!.pid).padEnd(6)} ${'perl'.padEnd(16)} 1.050`, r.stdout.slice(0, 2000));
});

k('tracepoint pointer fields: %d %p %llx, map keys and values, print(), comparisons; kernel pointers outside syscalls', async () => {
  const r = await runTsbt(['-e', 'tracepoint:syscalls:sys_enter_nanosleep /comm == "perl"/ { printf("%d %d %d|%p|%llx|%d\\n", args->rqtp->tv_sec, args->rqtp->tv_nsec, args->rmtp == 0, args->rqtp, args->rqtp, args->rqtp > 4096); @k[args->rqtp] = 1; @v = args->rqtp; print(args->rmtp); exit(); }'], {
    onAttached: () => void perlNanosleep(),
  });
  assert.is(r.code, 0, r.stderr);
  const m = /^1 50000000 1\|0x([0-9a-f]+)\|([0-9a-f]+)\|1\n0x0\n\n\n@k\[0x([0-9a-f]+)\]: 1\n@v: 0x([0-9a-f]+)\n$/.exec(r.stdout);
  assert.ok(m && m[1] === m[2] && m[2] === m[3] && m[3] === m[4], r.stdout);
  // mmap:exit_mmap holds kernel pointers: struct mm_struct * mm, struct maple_tree * mt (&mm->mm_mt).
  const exit = await runTsbt(['-q', '-c', '/bin/true', '-e',
    'tracepoint:mmap:exit_mmap /pid == cpid && comm == "true"/ { printf("%s %d\\n", str(args->mm->exe_file->f_path.dentry->d_name.name), args->mt == &args->mm->mm_mt); exit(); }']);
  assert.is(exit.code, 0, exit.stderr);
  assert.is(exit.stdout, 'true 1\n\n\n');
});

t.run();
