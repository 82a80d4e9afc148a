// The BTF reader against hand-built blobs (test/fixtures/btf/encoder.ts): header checks, every kind,
// bitfields both ways, anonymous members, enums and enum64, typedef chains, functions, C rendering,
// raw tracepoint arguments, byte order, split BTF and the vmlinux + modules facade.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Btf, BtfError, BtfSpec, parseBtfHeader, type BtfModuleSource } from '../../runtime/kernel/btf/index.ts';
import { BtfEncoder } from '../fixtures/btf/encoder.ts';

const t = suite('btf: parsing hand-built BTF');

/** A miniature kernel: the types the networking examples touch, plus one of every other kind. */
function miniKernel(options: { bigEndian?: boolean } = {}) {
  const b = new BtfEncoder(options);
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const char = b.int('char', 1, { signed: true, char: true });
  const u8 = b.int('unsigned char', 1);
  const u16 = b.int('short unsigned int', 2);
  const ulong = b.int('long unsigned int', 8);
  const long = b.int('long int', 8, { signed: true });
  const bool = b.int('_Bool', 1, { bool: true });
  const __u32 = b.typedef('__u32', uint);
  const u32 = b.typedef('u32', __u32);
  const cvu32 = b.const(b.volatile(u32));
  const u32Chain = b.typedef('u32_chain', cvu32);
  const cchar = b.const(char);
  const cstr = b.ptr(cchar); // const char *
  const voidp = b.ptr(0);
  const comm = b.array(char, int, 16);

  // struct ns_common { long stashed; unsigned int inum; }  struct net { int passive; struct ns_common ns; }
  const nsCommon = b.struct('ns_common', 16, [['stashed', long, 0], ['inum', uint, 64]]);
  const net = b.struct('net', 24, [['passive', int, 0], ['ns', nsCommon, 64]]);
  const netp = b.ptr(net);
  const possibleNet = b.struct('', 8, [['net', netp, 0]]);
  // struct sock_common {
  //   union { unsigned long skc_addrpair; struct { u32 skc_daddr; u32 skc_rcv_saddr; }; };  // 0
  //   union { u32 skc_portpair; struct { short unsigned skc_dport; short unsigned skc_num; }; }; // 64
  //   possible_net_t skc_net;                                                                  // 128
  // }
  const addrs = b.struct('', 8, [['skc_daddr', u32, 0], ['skc_rcv_saddr', u32, 32]]);
  const addrUnion = b.union('', 8, [['skc_addrpair', ulong, 0], ['', addrs, 0]]);
  const ports = b.struct('', 4, [['skc_dport', u16, 0], ['skc_num', u16, 16]]);
  const portUnion = b.union('', 4, [['skc_portpair', u32, 0], ['', ports, 0]]);
  const possibleNetT = b.typedef('possible_net_t', possibleNet);
  const sockCommon = b.struct('sock_common', 24, [['', addrUnion, 0], ['', portUnion, 64], ['skc_net', possibleNetT, 128]]);
  // struct sock { struct sock_common __sk_common; u8 sk_gso_disabled:1, sk_kern_sock:1, sk_protocol:6 (kind_flag);
  //               short unsigned sk_type; char sk_name[16]; struct sock *sk_next; }
  const sockId = b.nextId;
  const sockp = b.ptr(sockId + 1);
  const sock = b.struct('sock', 56, [
    ['__sk_common', sockCommon, 0],
    ['sk_gso_disabled', u8, 192, 1],
    ['sk_kern_sock', u8, 193, 1],
    ['sk_protocol', u8, 194, 6],
    ['sk_type', u16, 208],
    ['sk_name', comm, 224],
    ['sk_next', sockp, 384],
  ]);
  // Old-style bitfields (no kind_flag): the member's int type carries the width and extra offset.
  const int3 = b.int('int', 4, { signed: true, bits: 3 });
  const uint5at2 = b.int('unsigned int', 4, { bits: 5, offset: 2 });
  const oldBits = b.struct('old_bits', 8, [['a', int, 0], ['b', int3, 32], ['c', uint5at2, 35]], { kflag: false });

  // enums
  const state = b.enum('sk_state', 4, [['TCP_ESTABLISHED', 1], ['TCP_LISTEN', 10], ['TCP_MAX', 0xfffffff0]]);
  const signedEnum = b.enum('sign', 4, [['NEG', -1], ['POS', 7]], { signed: true });
  const anonEnum = b.enum('', 1, [['ONLY', 3]]);
  const big = b.enum64('big', [['SMALL', 1n], ['HUGE', 0xfffffffffffffff0n], ['PAST53', (1n << 53n) + 1n]]);
  const big64s = b.enum64('big_signed', [['MIN', -(1n << 63n)], ['MINUS_TWO', -2n]], { signed: true });

  // functions: int inet_listen(struct socket *sock, int backlog); int printk(const char *fmt, ...)
  const socketFwd = b.fwd('socket');
  const socketp = b.ptr(socketFwd);
  const listenProto = b.funcProto(int, [['sock', socketp], ['backlog', int]]);
  const inetListen = b.func('inet_listen', listenProto, 'global');
  const printkProto = b.funcProto(int, [['fmt', cstr]], { variadic: true });
  const printk = b.func('_printk', printkProto, 'global');
  const noArgs = b.funcProto(0, []);
  const staticFn = b.func('do_nothing', noArgs, 'static');

  // raw tracepoint: typedef void (*btf_trace_sched_switch)(void *, bool, struct task_struct *, struct task_struct *);
  const taskFwd = b.fwd('task_struct');
  const rcuTask = b.typeTag('rcu', taskFwd);
  const taskp = b.ptr(taskFwd);
  const rcuTaskp = b.ptr(rcuTask);
  const tpProto = b.funcProto(0, [['', voidp], ['', bool], ['', taskp], ['', taskp]]);
  const tpPtr = b.ptr(tpProto);
  b.typedef('btf_trace_sched_switch', tpPtr);
  const namedProto = b.funcProto(0, [['__data', voidp], ['preempt', bool], ['prev', taskp], ['next', taskp]]);
  b.func('__bpf_trace_sched_switch', namedProto, 'static');
  const bareProto = b.funcProto(0, [['', voidp], ['', int]]);
  b.typedef('btf_trace_bare', b.ptr(bareProto));

  // function pointer member, pointer to array, array of pointers, const pointer, union fwd
  const llseekProto = b.funcProto(long, [['', b.ptr(b.fwd('file'))], ['', long], ['', int]]);
  const fops = b.struct('file_operations', 8, [['llseek', b.ptr(llseekProto), 0]]);
  const ptrToArray = b.ptr(comm);
  const arrayOfPtrs = b.array(cstr, int, 4);
  const constPtr = b.const(b.ptr(char));
  const unionFwd = b.fwd('maybe', true);
  const flexible = b.array(u8, int, 0);

  // struct and typedef of the same name; var, datasec, float, decl_tag
  const foo = b.struct('foo', 4, [['x', int, 0]]);
  const fooT = b.typedef('foo', foo);
  const dbl = b.float('double', 8);
  const jiffies = b.var('jiffies', ulong, 'global');
  const sec = b.datasec('.data', 8, [[jiffies, 0, 8]]);
  const tag = b.declTag('bpf_kfunc', inetListen);

  const blob = b.build();
  return {
    blob, b,
    ids: {
      int, uint, char, u8, u16, ulong, long, bool, __u32, u32, cvu32, u32Chain, cchar, cstr, voidp, comm,
      nsCommon, net, netp, sockCommon, sock, sockp, addrUnion, oldBits, state, signedEnum, anonEnum, big,
      big64s, socketFwd, socketp, taskFwd, rcuTask, listenProto, inetListen, printk, staticFn, taskp, rcuTaskp, fops, ptrToArray,
      arrayOfPtrs, constPtr, unionFwd, flexible, foo, fooT, dbl, jiffies, sec, tag, possibleNetT,
    },
  };
}

const mini = miniKernel();
const spec = new BtfSpec(mini.blob, { name: 'mini' });
const ids = mini.ids;

t('header: fields, and the malformed blobs it refuses', () => {
  const h = parseBtfHeader(mini.blob);
  assert.is(h.version, 1);
  assert.is(h.hdrLen, 24);
  assert.is(h.swapped, false);
  assert.is(h.typeOff, 0);
  assert.is(h.strOff, h.typeLen);

  const broken = (edit: (b: Uint8Array, v: DataView) => void) => {
    const copy = mini.blob.slice();
    edit(copy, new DataView(copy.buffer));
    return copy;
  };
  const refuses = (blob: Uint8Array, message: RegExp) => {
    try {
      new BtfSpec(blob);
    } catch (e) {
      assert.instance(e, BtfError);
      assert.match((e as Error).message, message);
      return;
    }
    assert.unreachable(`accepted a blob that should fail with ${message}`);
  };
  refuses(new Uint8Array(10), /shorter than a header/);
  refuses(broken((b) => (b[0] = 0)), /not BTF: magic/);
  refuses(broken((b) => (b[2] = 2)), /unsupported BTF version 2/);
  refuses(broken((_, v) => v.setUint32(12, h.typeLen + 4, true)), /type section runs past|overlap/);
  refuses(broken((_, v) => v.setUint32(20, h.strLen + 100, true)), /string section runs past/);
  refuses(broken((_, v) => v.setUint32(12, 6, true)), /not 4-byte aligned/);
  refuses(broken((b) => (b[b.length - 1] = 65)), /does not end with NUL/);
  // The first type's kind byte (bits 24-28 of info, little-endian: byte 24 + 4 + 3).
  refuses(broken((b) => (b[24 + 7] = 25)), /type 1 has unknown kind 25/);
  // A longer header is fine when the extra bytes are zero.
  const longer = new Uint8Array(mini.blob.length + 8);
  longer.set(mini.blob.subarray(0, 24));
  longer.set(mini.blob.subarray(24), 32);
  new DataView(longer.buffer).setUint32(4, 32, true);
  assert.is(new BtfSpec(longer).findType('struct', 'sock'), ids.sock);
  longer[28] = 1;
  refuses(longer, /unknown non-zero fields/);
});

t('construction only indexes: a bad type fails when inflated, not before', () => {
  const b = new BtfEncoder();
  const good = b.int('int', 4, { signed: true });
  const bad = b.raw(0x7fffff, 2, 0, false, good); // a ptr whose name offset is far past the strings
  const s = new BtfSpec(b.build());
  assert.is(s.count, 2);
  assert.is(s.kind(bad), 'ptr');
  assert.equal(s.type(good), { kind: 'int', name: 'int', size: 4, signed: true, char: false, bool: false, bits: 32, offset: 0 });
  assert.throws(() => s.nameOf(bad), /string offset 8388607 is past the string section/);
  assert.throws(() => s.type(999), /no BTF type with id 999/);
});

t('ints, void and the kinds without members', () => {
  assert.equal(spec.type(0), { kind: 'void' });
  assert.equal(spec.type(ids.char), { kind: 'int', name: 'char', size: 1, signed: true, char: true, bool: false, bits: 8, offset: 0 });
  assert.equal(spec.type(ids.bool), { kind: 'int', name: '_Bool', size: 1, signed: false, char: false, bool: true, bits: 8, offset: 0 });
  assert.equal(spec.type(ids.ulong), { kind: 'int', name: 'long unsigned int', size: 8, signed: false, char: false, bool: false, bits: 64, offset: 0 });
  assert.equal(spec.type(ids.cstr), { kind: 'ptr', target: ids.cchar });
  assert.equal(spec.type(ids.comm), { kind: 'array', elem: ids.char, index: ids.int, count: 16 });
  assert.equal(spec.type(ids.socketFwd), { kind: 'fwd', name: 'socket', fwdKind: 'struct' });
  assert.equal(spec.type(ids.unionFwd), { kind: 'fwd', name: 'maybe', fwdKind: 'union' });
  assert.equal(spec.type(ids.dbl), { kind: 'float', name: 'double', size: 8 });
  assert.equal(spec.type(ids.jiffies), { kind: 'var', name: 'jiffies', type: ids.ulong, linkage: 'global' });
  assert.equal(spec.type(ids.sec), { kind: 'datasec', name: '.data', size: 8, vars: [{ type: ids.jiffies, offset: 0, size: 8 }] });
  assert.equal(spec.type(ids.tag), { kind: 'decl_tag', name: 'bpf_kfunc', target: ids.inetListen, componentIdx: -1 });
  assert.equal(spec.type(ids.rcuTaskp), { kind: 'ptr', target: ids.rcuTask });
  assert.equal(spec.type(ids.rcuTask), { kind: 'type_tag', name: 'rcu', target: ids.taskFwd });
  assert.is(spec.kind(ids.big), 'enum');
  assert.is(spec.nameOf(ids.sock), 'sock');
  assert.is(spec.nameOf(0), '');
  // Inflated types are cached: the same object each time.
  assert.ok(spec.type(ids.sock) === spec.type(ids.sock));
});

t('struct members: kind_flag bitfields, old-style int bitfields, anonymous members', () => {
  const sock = spec.type(ids.sock);
  assert.is(sock.kind, 'struct');
  if (sock.kind !== 'struct') return;
  assert.is(sock.size, 56);
  assert.equal(sock.members.slice(1, 4), [
    { name: 'sk_gso_disabled', type: ids.u8, bitOffset: 192, bitSize: 1 },
    { name: 'sk_kern_sock', type: ids.u8, bitOffset: 193, bitSize: 1 },
    { name: 'sk_protocol', type: ids.u8, bitOffset: 194, bitSize: 6 },
  ]);
  assert.equal(sock.members[4], { name: 'sk_type', type: ids.u16, bitOffset: 208, bitSize: 0 });
  const old = spec.type(ids.oldBits);
  if (old.kind !== 'struct') return assert.unreachable();
  assert.equal(old.members.map((m) => [m.name, m.bitOffset, m.bitSize]), [['a', 0, 0], ['b', 32, 3], ['c', 37, 5]]);
  const addr = spec.type(ids.addrUnion);
  assert.is(addr.kind, 'union');
  if (addr.kind === 'union') assert.equal(addr.members.map((m) => m.name), ['skc_addrpair', '']);
});

t('member(): paths, anonymous unions/structs as C sees them, bitfields, misses', () => {
  assert.equal(spec.member(ids.sock, '__sk_common'), { name: '__sk_common', type: ids.sockCommon, bitOffset: 0, bitSize: 0, offset: 0 });
  // skc_num sits in an anonymous struct inside an anonymous union at bit 64.
  assert.equal(spec.member(ids.sockCommon, 'skc_num'), { name: 'skc_num', type: ids.u16, bitOffset: 80, bitSize: 0, offset: 10 });
  assert.equal(spec.member(ids.sock, '__sk_common.skc_rcv_saddr')?.offset, 4);
  assert.equal(spec.member(ids.sock, ['__sk_common', 'skc_dport'])?.offset, 8);
  // Through a typedef'd member (possible_net_t) to the pointer; paths stop at pointers.
  assert.equal(spec.member(ids.sock, '__sk_common.skc_net.net'), { name: 'net', type: ids.netp, bitOffset: 128, bitSize: 0, offset: 16 });
  assert.is(spec.member(ids.sock, 'sk_next.sk_type'), undefined);
  assert.equal(spec.member(ids.net, 'ns.inum'), { name: 'inum', type: ids.uint, bitOffset: 128, bitSize: 0, offset: 16 });
  assert.equal(spec.member(ids.sock, 'sk_protocol'), { name: 'sk_protocol', type: ids.u8, bitOffset: 194, bitSize: 6, offset: 24 });
  assert.equal(spec.member(ids.sock, 'sk_name')?.offset, 28);
  assert.is(spec.member(ids.sock, 'nope'), undefined);
  assert.is(spec.member(ids.sock, '__sk_common.nope'), undefined);
  assert.is(spec.member(ids.int, 'x'), undefined);
  // Via the typedef of a struct.
  assert.equal(spec.member(ids.fooT, 'x')?.type, ids.int);
  // Everything reachable by name, offsets from the outer struct.
  assert.equal(spec.members(ids.sockCommon).map((m) => `${m.name}@${m.offset}`), [
    'skc_addrpair@0', 'skc_daddr@0', 'skc_rcv_saddr@4', 'skc_portpair@8', 'skc_dport@8', 'skc_num@10', 'skc_net@16',
  ]);
});

t('enums: unsigned, signed (kind_flag), anonymous, enum64 beyond 2^53', () => {
  assert.equal(spec.type(ids.state), {
    kind: 'enum', name: 'sk_state', size: 4, signed: false,
    values: [{ name: 'TCP_ESTABLISHED', value: 1n }, { name: 'TCP_LISTEN', value: 10n }, { name: 'TCP_MAX', value: 0xfffffff0n }],
  });
  assert.equal(spec.type(ids.signedEnum), {
    kind: 'enum', name: 'sign', size: 4, signed: true, values: [{ name: 'NEG', value: -1n }, { name: 'POS', value: 7n }],
  });
  assert.equal(spec.type(ids.anonEnum), { kind: 'enum', name: '', size: 1, signed: false, values: [{ name: 'ONLY', value: 3n }] });
  assert.equal(spec.type(ids.big), {
    kind: 'enum', name: 'big', size: 8, signed: false,
    values: [{ name: 'SMALL', value: 1n }, { name: 'HUGE', value: 0xfffffffffffffff0n }, { name: 'PAST53', value: (1n << 53n) + 1n }],
  });
  assert.equal(spec.type(ids.big64s), {
    kind: 'enum', name: 'big_signed', size: 8, signed: true,
    values: [{ name: 'MIN', value: -(1n << 63n) }, { name: 'MINUS_TWO', value: -2n }],
  });
  assert.is(spec.findType('enum', 'big'), ids.big);
  assert.is(spec.findType('enum64', 'big'), ids.big);
  assert.is(spec.findType('enum64', 'sk_state'), undefined);
  assert.is(spec.sizeOf(ids.state), 4);
});

t('typedef chains: resolve() skips typedef/const/volatile/restrict/type_tag', () => {
  assert.is(spec.resolve(ids.u32Chain), ids.uint);
  assert.is(spec.resolve(ids.uint), ids.uint);
  assert.is(spec.resolve(ids.fooT), ids.foo);
  assert.is(spec.resolve(0), 0);
  assert.equal(spec.type(ids.u32), { kind: 'typedef', name: 'u32', target: ids.__u32 });
  assert.is(spec.sizeOf(ids.u32Chain), 4);
  assert.is(spec.resolve(ids.rcuTask), ids.taskFwd);
});

t('findType/findTypes: by kind and name; struct and typedef of one name', () => {
  assert.is(spec.findType('struct', 'sock'), ids.sock);
  assert.is(spec.findType('struct', 'foo'), ids.foo);
  assert.is(spec.findType('typedef', 'foo'), ids.fooT);
  assert.is(spec.findType('union', 'foo'), undefined);
  assert.is(spec.findType('struct', 'socket'), undefined);
  assert.is(spec.findType('fwd', 'socket'), ids.socketFwd);
  assert.is(spec.findType('int', 'char'), ids.char);
  assert.is(spec.findType('float', 'double'), ids.dbl);
  assert.is(spec.findType('var', 'jiffies'), ids.jiffies);
  assert.is(spec.findType('datasec', '.data'), ids.sec);
  assert.is(spec.findType('func', 'inet_listen'), ids.inetListen);
  assert.is(spec.findType('struct', ''), undefined);
  // Two ints named 'int' (the old-style bitfield one too): the first wins, both are listed.
  assert.is(spec.findType('int', 'int'), ids.int);
  assert.equal(spec.findTypes('int').length, 2);
  assert.equal(spec.findTypes('foo'), [ids.foo, ids.fooT]);
  assert.equal(spec.findTypes('no_such_name'), []);
});

t('findFunc: prototype with names, linkage, variadic', () => {
  assert.equal(spec.findFunc('inet_listen'), {
    id: ids.inetListen, name: 'inet_listen', linkage: 'global', proto: ids.listenProto, ret: ids.int,
    params: [{ name: 'sock', type: ids.socketp }, { name: 'backlog', type: ids.int }],
    variadic: false,
  });
  const printk = spec.findFunc('_printk')!;
  assert.is(printk.variadic, true);
  assert.equal(printk.params, [{ name: 'fmt', type: ids.cstr }]);
  assert.is(spec.findFunc('do_nothing')!.linkage, 'static');
  assert.is(spec.findFunc('sock'), undefined);
  assert.is(spec.findFunc('nope'), undefined);
});

t('typeName: C declarators', () => {
  const name = (id: number, decl?: string) => spec.typeName(id, decl);
  assert.is(name(0), 'void');
  assert.is(name(ids.sock), 'struct sock');
  assert.is(name(ids.sockp), 'struct sock *');
  assert.is(name(ids.cstr), 'const char *');
  assert.is(name(ids.comm), 'char[16]');
  assert.is(name(ids.comm, 'comm'), 'char comm[16]');
  assert.is(name(ids.voidp), 'void *');
  assert.is(name(ids.u32Chain), 'u32_chain');
  assert.is(name(ids.cvu32), 'const volatile u32');
  assert.is(name(ids.ptrToArray), 'char (*)[16]');
  assert.is(name(ids.arrayOfPtrs), 'const char *[4]');
  assert.is(name(ids.constPtr), 'char *const');
  assert.is(name(ids.constPtr, 'p'), 'char *const p');
  assert.is(name(ids.addrUnion), 'union (anon)');
  assert.is(name(ids.state), 'enum sk_state');
  assert.is(name(ids.anonEnum), 'enum (anon)');
  assert.is(name(ids.socketFwd), 'struct socket');
  assert.is(name(ids.unionFwd), 'union maybe');
  assert.is(name(ids.rcuTaskp), 'struct task_struct *');
  assert.is(name(ids.listenProto), 'int (struct socket *, int)');
  assert.is(name(ids.inetListen), 'int inet_listen(struct socket *sock, int backlog)');
  assert.is(name(ids.printk), 'int _printk(const char *fmt, ...)');
  assert.is(name(ids.staticFn), 'void do_nothing(void)');
  const fops = spec.type(ids.fops);
  if (fops.kind !== 'struct') return assert.unreachable();
  assert.is(name(fops.members[0]!.type), 'long int (*)(struct file *, long int, int)');
  assert.is(name(fops.members[0]!.type, 'llseek'), 'long int (*llseek)(struct file *, long int, int)');
  assert.is(name(ids.jiffies), 'long unsigned int jiffies');
  assert.is(name(ids.flexible), 'unsigned char[0]');
});

t('sizeOf and alignOf', () => {
  assert.is(spec.sizeOf(ids.sock), 56);
  assert.is(spec.sizeOf(ids.comm), 16);
  assert.is(spec.sizeOf(ids.arrayOfPtrs), 32);
  assert.is(spec.sizeOf(ids.cstr), 8);
  assert.is(spec.sizeOf(ids.u32Chain), 4);
  assert.is(spec.sizeOf(ids.flexible), 0);
  assert.is(spec.sizeOf(ids.jiffies), 8);
  assert.throws(() => spec.sizeOf(0), /void has no size/);
  assert.throws(() => spec.sizeOf(ids.socketFwd), /struct socket has no size/);
  assert.throws(() => spec.sizeOf(ids.inetListen), /has no size/);
  assert.is(spec.alignOf(ids.sock), 8);
  assert.is(spec.alignOf(ids.comm), 1);
  assert.is(spec.alignOf(ids.nsCommon), 8);
  assert.is(new BtfSpec(mini.blob, { pointerSize: 4 }).sizeOf(ids.cstr), 4);
});

t('rawTracepointArgs: btf_trace_<name> minus the void *, names from __bpf_trace_<name>', () => {
  assert.equal(spec.rawTracepointArgs('sched_switch'), [
    { name: 'preempt', type: ids.bool },
    { name: 'prev', type: ids.taskp },
    { name: 'next', type: ids.taskp },
  ]);
  assert.equal(spec.rawTracepointArgs('bare'), [{ name: 'arg0', type: ids.int }]);
  assert.is(spec.rawTracepointArgs('nope'), undefined);
  assert.is(spec.proto(ids.inetListen)?.params.length, 2);
  assert.is(spec.proto(spec.findType('typedef', 'btf_trace_sched_switch')!)?.params.length, 4);
});

t('big-endian BTF reads the same', () => {
  const be = miniKernel({ bigEndian: true });
  const s = new BtfSpec(be.blob);
  assert.is(parseBtfHeader(be.blob).swapped, true);
  assert.is(s.count, spec.count);
  for (const id of spec.ids()) assert.equal(s.type(id), spec.type(id), `type ${id}`);
  assert.is(s.findType('struct', 'sock'), ids.sock);
  assert.is(s.typeName(ids.inetListen), 'int inet_listen(struct socket *sock, int backlog)');
});

t('an unaligned blob is copied, not misread', () => {
  const shifted = new Uint8Array(mini.blob.length + 1);
  shifted.set(mini.blob, 1);
  const s = new BtfSpec(shifted.subarray(1));
  assert.equal(s.type(ids.sock), spec.type(ids.sock));
});

// ---- split BTF ----

/** A module on top of the mini kernel: its own struct using base types, and a function. */
function miniModule(baseNextId: number, baseStrLen: number, structName = 'nf_conn', funcName = 'nf_conntrack_in') {
  const m = new BtfEncoder({ firstId: baseNextId, strStart: baseStrLen });
  const tuple = m.struct('nf_conntrack_tuple', 8, [['src', ids.u32, 0], ['dst', ids.u32, 32]]);
  const conn = m.struct(structName, 24, [['tuple', tuple, 0], ['sk', ids.sockp, 64], ['mark', ids.u32Chain, 128]]);
  const connp = m.ptr(conn);
  const proto = m.funcProto(ids.int, [['ct', connp], ['sk', ids.sockp]]);
  const func = m.func(funcName, proto, 'global');
  // A module type may also use a name the base has (its own 'sock' struct, say): lookups prefer vmlinux.
  const ownSock = m.struct('sock', 4, [['x', ids.int, 0]]);
  m.typedef('btf_trace_ct_event', m.ptr(m.funcProto(0, [['', ids.voidp], ['', connp]])));
  return { blob: m.build(), ids: { tuple, conn, connp, proto, func, ownSock } };
}

t('split BTF: ids and string offsets continue from the base', () => {
  const mod = miniModule(spec.nextId, mini.b.strLen);
  const s = new BtfSpec(mod.blob, { base: spec, name: 'nf_conntrack' });
  assert.is(s.firstId, spec.nextId);
  assert.is(s.kernelFirstId, spec.nextId);
  assert.is(s.count, 9);
  assert.ok(s.owns(mod.ids.conn) && !s.owns(ids.sock) && s.has(ids.sock) && s.has(0));
  assert.equal(s.type(mod.ids.conn), {
    kind: 'struct', name: 'nf_conn', size: 24,
    members: [
      { name: 'tuple', type: mod.ids.tuple, bitOffset: 0, bitSize: 0 },
      { name: 'sk', type: ids.sockp, bitOffset: 64, bitSize: 0 },
      { name: 'mark', type: ids.u32Chain, bitOffset: 128, bitSize: 0 },
    ],
  });
  // Base types through the split spec: same objects as the base's.
  assert.ok(s.type(ids.sock) === spec.type(ids.sock));
  assert.is(s.findType('struct', 'nf_conn'), mod.ids.conn);
  assert.is(s.findType('struct', 'sock'), ids.sock); // the base's first
  assert.equal(s.findTypes('sock'), [ids.sock, mod.ids.ownSock]);
  assert.is(s.member(mod.ids.conn, 'sk')?.offset, 8);
  assert.is(s.member(mod.ids.conn, 'tuple.dst')?.offset, 4);
  assert.is(s.sizeOf(mod.ids.conn), 24);
  assert.is(s.typeName(mod.ids.func), 'int nf_conntrack_in(struct nf_conn *ct, struct sock *sk)');
  assert.equal(s.rawTracepointArgs('ct_event'), [{ name: 'arg0', type: mod.ids.connp }]);
  assert.throws(() => new BtfSpec(mod.blob, { base: spec, firstId: 3 }), /must start after the base/);
});

t('split BTF renumbered: references to own types move, base references stay', () => {
  const mod = miniModule(spec.nextId, mini.b.strLen);
  const shift = 1000;
  const s = new BtfSpec(mod.blob, { base: spec, firstId: spec.nextId + shift });
  const conn = mod.ids.conn + shift;
  const c = s.type(conn);
  if (c.kind !== 'struct') return assert.unreachable();
  assert.equal(c.members.map((m) => m.type), [mod.ids.tuple + shift, ids.sockp, ids.u32Chain]);
  assert.is(s.kernelId(conn), mod.ids.conn);
  assert.is(s.kernelId(ids.sock), ids.sock);
  assert.is(s.findType('struct', 'nf_conn'), conn);
  assert.throws(() => s.type(mod.ids.conn), /no BTF type/);
});

function fakeModules(blobs: Record<string, () => Uint8Array>) {
  const reads: string[] = [];
  const source: BtfModuleSource = {
    list: () => Object.keys(blobs).sort(),
    read: (name) => {
      reads.push(name);
      return blobs[name]!();
    },
  };
  return { source, reads };
}

t('Btf facade: vmlinux first, modules parsed only when a lookup misses, ids never collide', () => {
  const a = miniModule(spec.nextId, mini.b.strLen, 'a_conn', 'a_func');
  const z = miniModule(spec.nextId, mini.b.strLen, 'z_conn', 'z_func');
  const { source, reads } = fakeModules({ amod: () => a.blob, zmod: () => z.blob });
  const btf = new Btf(spec, source);
  assert.equal(btf.moduleNames(), ['amod', 'zmod']);

  assert.is(btf.findType('struct', 'sock'), ids.sock);
  assert.equal(reads, []); // found in vmlinux: no module read

  // In the second module: both get parsed (in order), the second is renumbered past the first.
  const zconn = btf.findType('struct', 'z_conn')!;
  assert.equal(reads, ['amod', 'zmod']);
  assert.equal(btf.loadedModules(), ['amod', 'zmod']);
  assert.is(zconn, z.ids.conn + 9); // past all 9 of amod's types
  assert.equal(btf.locate(zconn), { module: 'zmod', kernelId: z.ids.conn });
  assert.equal(btf.locate(ids.sock), { module: 'vmlinux', kernelId: ids.sock });
  const aconn = btf.findType('struct', 'a_conn')!;
  assert.equal(btf.locate(aconn), { module: 'amod', kernelId: a.ids.conn });
  assert.equal(reads, ['amod', 'zmod']); // cached

  // Per-type queries go to the right spec, across the base boundary.
  assert.is(btf.typeName(btf.member(zconn, 'sk')!.type), 'struct sock *');
  assert.is(btf.member(zconn, 'tuple.dst')!.offset, 4);
  assert.is(btf.sizeOf(zconn), 24);
  assert.is(btf.kind(zconn), 'struct');
  assert.is(btf.nameOf(zconn), 'z_conn');
  assert.is(btf.resolve(ids.u32Chain), ids.uint);
  assert.equal(btf.members(aconn).map((m) => m.name), ['tuple', 'sk', 'mark']);
  const zfunc = btf.findFunc('z_func')!;
  assert.is(btf.typeName(zfunc.id), 'int z_func(struct z_conn *ct, struct sock *sk)');
  assert.equal(btf.locate(zfunc.id).module, 'zmod');
  assert.is(btf.proto(zfunc.id)?.params.length, 2);
  assert.equal(btf.rawTracepointArgs('ct_event')?.map((p) => btf.typeName(p.type)), ['struct a_conn *']);
  assert.equal(btf.rawTracepointArgs('ct_event', { module: 'zmod' })?.map((p) => btf.typeName(p.type)), ['struct z_conn *']);
  assert.equal(btf.rawTracepointArgs('sched_switch')?.length, 3);

  // A module's own 'sock' is not what findType('struct', 'sock') returns; asking the module finds it.
  const modSock = btf.findType('struct', 'sock', { module: 'zmod' })!;
  assert.is.not(modSock, ids.sock);
  assert.is(btf.sizeOf(modSock), 4);
  assert.is(btf.findType('struct', 'sock', { module: 'vmlinux' }), ids.sock);
  assert.is(btf.findType('struct', 'z_conn', { modules: false }), undefined);
  assert.is(btf.findType('struct', 'z_conn', { module: 'nomod' }), undefined);
  assert.is(btf.findType('struct', 'nowhere'), undefined);
  assert.is(btf.module('nomod'), undefined);
  assert.ok(btf.module('vmlinux') === spec);
  assert.throws(() => btf.type(999999), /no BTF type with id 999999/);
});

t('Btf facade: a lookup that names its module parses only that module', () => {
  const a = miniModule(spec.nextId, mini.b.strLen, 'a_conn', 'a_func');
  const z = miniModule(spec.nextId, mini.b.strLen, 'z_conn', 'z_func');
  const { source, reads } = fakeModules({ amod: () => a.blob, zmod: () => z.blob });
  const btf = new Btf(mini.blob, source);
  const zconn = btf.findType('struct', 'z_conn', { module: 'zmod' })!;
  assert.equal(reads, ['zmod']);
  // First loaded keeps the kernel's ids.
  assert.is(zconn, z.ids.conn);
  assert.equal(btf.findFunc('inet_listen')?.params.map((p) => p.name), ['sock', 'backlog']);
  assert.is(new Btf(mini.blob).findType('struct', 'z_conn'), undefined); // no module source at all
});

t.run();
