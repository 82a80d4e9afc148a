// The BTF reader against the running kernel's /sys/kernel/btf/vmlinux (readable without root). Checks
// facts that have held for years of kernels: the networking structs the listening-socket tracer reads,
// task_struct, inet_listen's prototype, sched_switch's raw tracepoint arguments. Without kernel BTF the
// tests are not registered, and one test in their place fails only when TSBT_REQUIRE_KERNEL=1.
import { existsSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Btf, BtfSpec } from '../../runtime/kernel/btf/index.ts';

const t = suite('btf: the running kernel');
const available = existsSync('/sys/kernel/btf/vmlinux');
const required = process.env.TSBT_REQUIRE_KERNEL === '1';
const kernelTest = available ? t : (_name: string, _fn: () => unknown) => {};
if (!available) {
  t(`kernel BTF tests ${required ? 'need' : 'skipped: no'} /sys/kernel/btf/vmlinux`, () => {
    if (required) assert.unreachable('TSBT_REQUIRE_KERNEL=1 but the kernel has no BTF');
  });
}

const btf = () => Btf.vmlinux();
const struct = (name: string) => {
  const id = btf().findType('struct', name);
  if (id === undefined) throw new Error(`struct ${name} not in vmlinux BTF`);
  return id;
};

kernelTest('Btf.vmlinux() is read once and cached', () => {
  assert.ok(btf() === btf());
  assert.ok(btf().vmlinux.count > 10_000);
  assert.ok(btf().vmlinux instanceof BtfSpec);
});

kernelTest('struct sock begins with __sk_common, a struct sock_common', () => {
  const sock = struct('sock');
  const m = btf().member(sock, '__sk_common')!;
  assert.ok(m, 'struct sock has __sk_common');
  assert.is(m.offset, 0);
  assert.is(m.bitSize, 0);
  assert.is(btf().typeName(m.type), 'struct sock_common');
  assert.ok(btf().sizeOf(sock) > btf().sizeOf(m.type));
});

kernelTest('struct sock_common: skc_num (inside anonymous members) and skc_net.net', () => {
  const sc = struct('sock_common');
  const num = btf().member(sc, 'skc_num')!;
  assert.ok(num, 'skc_num found through the anonymous union/struct');
  assert.is(btf().sizeOf(num.type), 2);
  assert.is(btf().kind(btf().resolve(num.type)), 'int');
  const dport = btf().member(sc, 'skc_dport')!;
  assert.is(num.offset, dport.offset + 2);
  assert.ok(btf().members(sc).some((m) => m.name === 'skc_family'));
  const net = btf().member(struct('sock'), '__sk_common.skc_net.net')!;
  assert.ok(net, 'sock.__sk_common.skc_net.net');
  assert.is(btf().typeName(net.type), 'struct net *');
});

kernelTest('struct net: ns.inum resolves to a 4-byte unsigned int', () => {
  const inum = btf().member(struct('net'), 'ns.inum')!;
  assert.ok(inum, 'net.ns.inum');
  assert.is(btf().typeName(inum.type), 'unsigned int');
  assert.is(btf().sizeOf(inum.type), 4);
  assert.ok(inum.offset > 0);
});

kernelTest('struct task_struct: size over 1000, comm is char[16], pid a pid_t', () => {
  const task = struct('task_struct');
  assert.ok(btf().sizeOf(task) > 1000, `sizeof(struct task_struct) = ${btf().sizeOf(task)}`);
  assert.is(btf().typeName(btf().member(task, 'comm')!.type), 'char[16]');
  assert.is(btf().typeName(btf().member(task, 'pid')!.type), 'pid_t');
  assert.is(btf().sizeOf(btf().member(task, 'pid')!.type), 4);
});

kernelTest("inet_listen's prototype is (struct socket *sock, int backlog)", () => {
  const f = btf().findFunc('inet_listen')!;
  assert.ok(f, 'inet_listen in BTF');
  assert.equal(f.params.map((p) => btf().typeName(p.type, p.name)), ['struct socket *sock', 'int backlog']);
  assert.is(btf().typeName(f.ret), 'int');
  assert.is(btf().typeName(f.id), 'int inet_listen(struct socket *sock, int backlog)');
});

kernelTest('raw tracepoint sched_switch: arguments from btf_trace_sched_switch, named', () => {
  const args = btf().rawTracepointArgs('sched_switch')!;
  assert.ok(args, 'btf_trace_sched_switch in BTF');
  assert.equal(args.slice(0, 3).map((a) => btf().typeName(a.type, a.name)), [
    'bool preempt',
    'struct task_struct *prev',
    'struct task_struct *next',
  ]);
  assert.is(btf().rawTracepointArgs('no_such_tracepoint_xyz'), undefined);
});

kernelTest('enums read by name: TCP_LISTEN is 10', () => {
  // The tcp states are an anonymous enum in include/net/tcp_states.h; find it through a value name.
  const spec = btf().vmlinux;
  let found: bigint | undefined;
  for (const id of spec.ids()) {
    if (spec.kind(id) !== 'enum') continue;
    const t = spec.type(id);
    if (t.kind === 'enum') found ??= t.values.find((v) => v.name === 'TCP_LISTEN')?.value;
    if (found !== undefined) break;
  }
  assert.is(found, 10n);
});

kernelTest('modules (when any have BTF): split ids start after vmlinux, types resolve across', () => {
  const names = btf().moduleNames();
  if (names.length === 0) return;
  const spec = btf().module(names[0]!)!;
  assert.ok(spec.firstId >= btf().vmlinux.nextId);
  for (const id of [...spec.ids()].slice(0, 200)) btf().typeName(id);
});

kernelTest('enumerators by name (TCP_LISTEN is 10 in enum tcp_state for decades) and raw tracepoints from btf_trace_*', () => {
  const listen = btf().findEnumerator('TCP_LISTEN');
  assert.ok(listen);
  assert.is(listen!.value, 10n);
  // The TCP states are an anonymous enum in the kernel (include/net/tcp_states.h).
  assert.is(btf().typeName(listen!.type), 'enum (anon)');
  assert.is(btf().typeName(btf().findEnumerator('SKB_DROP_REASON_NOT_SPECIFIED')!.type), 'enum skb_drop_reason');
  assert.is(btf().findEnumerator('TCP_NO_SUCH_STATE'), undefined);
  const names = btf().rawTracepoints().filter((r) => r.module === undefined).map((r) => r.name);
  for (const n of ['sched_switch', 'sys_enter', 'sched_process_exec']) assert.ok(names.includes(n), n);
  assert.ok(!names.some((n) => n.startsWith('btf_trace_')));
});

t.run();
