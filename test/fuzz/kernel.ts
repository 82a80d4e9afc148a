// A KernelInfo for fuzzing without a kernel: a handful of tracepoints (integer, string, array, pointer
// and `__data_loc` fields), kernel functions, a fake BTF with `struct task_struct`, `struct sock` (its
// fields behind an anonymous-struct-free `__sk_common`, an anonymous union, a bitfield), `struct
// list_head` (a pointer cycle), a forward-declared `struct file`, typed functions for fentry/fexit, raw
// tracepoint arguments, a user binary with symbols for uprobes and USDT probes whose arguments sit in a
// register, in memory and in a constant.

import type { BinarySymbol, KernelInfo, TracepointField, UsdtProbeInfo } from '../../compiler/kernel-info.ts';
import type { KernelFunction, KernelMember, KernelType, KernelTypes } from '../../compiler/types/kernel-types.ts';

/** Builds the type table; ids are array indexes, 0 is void. */
class TypeTable {
  readonly types: KernelType[] = [{ kind: 'void' }];
  readonly members = new Map<number, KernelMember[]>();

  add(t: KernelType): number {
    this.types.push(t);
    return this.types.length - 1;
  }

  struct(kind: 'struct' | 'union', name: string, size: number, members: [name: string, type: number, offset: number, bitSize?: number][]): number {
    const id = this.add({ kind, name, size });
    this.members.set(id, members.map(([n, type, offset, bitSize = 0]) => ({ name: n, type, offset, bitOffset: offset * 8, bitSize })));
    return id;
  }

  /** Fill in a struct created early (for pointer cycles). */
  setMembers(id: number, members: [name: string, type: number, offset: number][]): void {
    this.members.set(id, members.map(([n, type, offset]) => ({ name: n, type, offset, bitOffset: offset * 8, bitSize: 0 })));
  }
}

function buildTypes(): { table: TypeTable; funcs: Map<string, KernelFunction>; raw: Map<string, { name: string; type: number }[]> } {
  const t = new TypeTable();
  const int = t.add({ kind: 'int', name: 'int', size: 4, signed: true, char: false, bool: false });
  const uint = t.add({ kind: 'int', name: 'unsigned int', size: 4, signed: false, char: false, bool: false });
  const long = t.add({ kind: 'int', name: 'long', size: 8, signed: true, char: false, bool: false });
  const ulong = t.add({ kind: 'int', name: 'long unsigned int', size: 8, signed: false, char: false, bool: false });
  const char = t.add({ kind: 'int', name: 'char', size: 1, signed: true, char: true, bool: false });
  const uchar = t.add({ kind: 'int', name: 'unsigned char', size: 1, signed: false, char: false, bool: false });
  const ushort = t.add({ kind: 'int', name: 'short unsigned int', size: 2, signed: false, char: false, bool: false });
  const bool = t.add({ kind: 'int', name: '_Bool', size: 1, signed: false, char: false, bool: true });
  const u32 = t.add({ kind: 'typedef', target: uint });
  const pidT = t.add({ kind: 'typedef', target: int });
  const sizeT = t.add({ kind: 'typedef', target: ulong });
  const ssizeT = t.add({ kind: 'typedef', target: long });
  const constChar = t.add({ kind: 'const', target: char });
  const charPtr = t.add({ kind: 'ptr', target: char });
  const constCharPtr = t.add({ kind: 'ptr', target: constChar });
  const voidPtr = t.add({ kind: 'ptr', target: 0 });
  const comm = t.add({ kind: 'array', elem: char, count: 16 });
  const u8x4 = t.add({ kind: 'array', elem: uchar, count: 4 });
  const u8x16 = t.add({ kind: 'array', elem: uchar, count: 16 });
  const u32x4 = t.add({ kind: 'array', elem: u32, count: 4 });
  const longPtr = t.add({ kind: 'ptr', target: long });
  const state = t.add({ kind: 'enum', name: 'tcp_state', size: 4, signed: false, values: [{ name: 'TCP_ESTABLISHED', value: 1n }, { name: 'TCP_LISTEN', value: 10n }] });

  const listHead = t.struct('struct', 'list_head', 16, []);
  const listHeadPtr = t.add({ kind: 'ptr', target: listHead });
  t.setMembers(listHead, [['next', listHeadPtr, 0], ['prev', listHeadPtr, 8]]);

  const file = t.add({ kind: 'fwd', name: 'file' });
  const filePtr = t.add({ kind: 'ptr', target: file });
  const loffPtr = longPtr;

  const in6 = t.struct('union', '', 16, [['u6_addr8', u8x16, 0], ['u6_addr32', u32x4, 0]]);
  const in6Addr = t.struct('struct', 'in6_addr', 16, [['in6_u', in6, 0]]);
  const anonAddrs = t.struct('struct', '', 8, [['skc_daddr', u32, 0], ['skc_rcv_saddr', u32, 4]]);
  const anonUnion = t.struct('union', '', 8, [['skc_addrpair', ulong, 0], ['', anonAddrs, 0]]);
  const sockCommon = t.struct('struct', 'sock_common', 136, [
    ['', anonUnion, 0], ['skc_dport', ushort, 12], ['skc_num', ushort, 14], ['skc_family', ushort, 16], ['skc_state', uchar, 18],
    ['skc_reuse', uchar, 19, 4], ['skc_bound_dev_if', int, 20], ['skc_v6_daddr', in6Addr, 56], ['skc_v6_rcv_saddr', in6Addr, 72],
    ['skc_node', listHead, 96],
  ]);
  const sock = t.struct('struct', 'sock', 760, [
    ['__sk_common', sockCommon, 0], ['sk_rcvbuf', int, 260], ['sk_max_ack_backlog', u32, 380], ['sk_ack_backlog', u32, 384],
    ['sk_priority', u32, 400], ['sk_user_data', voidPtr, 720], ['sk_protocol', ushort, 520], ['sk_state_enum', state, 524],
    ['sk_dead', bool, 528],
  ]);
  const sockPtr = t.add({ kind: 'ptr', target: sock });

  const task = t.struct('struct', 'task_struct', 9000, []);
  const taskPtr = t.add({ kind: 'ptr', target: task });
  const mm = t.add({ kind: 'fwd', name: 'mm_struct' });
  const mmPtr = t.add({ kind: 'ptr', target: mm });
  t.setMembers(task, [
    ['flags', uint, 44], ['prio', int, 108], ['tasks', listHead, 1000], ['mm', mmPtr, 1100], ['pid', pidT, 1400], ['tgid', pidT, 1404],
    ['real_parent', taskPtr, 1416], ['parent', taskPtr, 1424], ['children', listHead, 1432], ['comm', comm, 1800],
    ['start_time', ulong, 1600], ['group_leader', taskPtr, 1464],
  ]);
  const sockaddr = t.struct('struct', 'sockaddr', 16, [['sa_family', ushort, 0], ['sa_data', t.add({ kind: 'array', elem: char, count: 14 }), 2]]);
  const sockaddrPtr = t.add({ kind: 'ptr', target: sockaddr });

  const proto = (ret: number, params: { name: string; type: number }[]) => t.add({ kind: 'func_proto', ret, params });
  const funcs = new Map<string, KernelFunction>();
  const fn = (name: string, ret: number, params: [string, number][]) => {
    const ps = params.map(([n, type]) => ({ name: n, type }));
    proto(ret, ps);
    funcs.set(name, { id: t.add({ kind: 'func' }), name, ret, params: ps });
  };
  fn('vfs_read', ssizeT, [['file', filePtr], ['buf', charPtr], ['count', sizeT], ['pos', loffPtr]]);
  fn('tcp_v4_connect', int, [['sk', sockPtr], ['uaddr', sockaddrPtr], ['addr_len', int]]);
  fn('do_exit', 0, [['code', long]]);
  fn('wake_up_new_task', 0, [['p', taskPtr]]);
  fn('do_sys_openat2', long, [['dfd', int], ['filename', constCharPtr], ['how', voidPtr]]);
  fn('inet_csk_accept', sockPtr, [['sk', sockPtr], ['flags', int], ['err', t.add({ kind: 'ptr', target: int })], ['kern', bool]]);
  const raw = new Map<string, { name: string; type: number }[]>([
    ['sched_switch', [{ name: 'preempt', type: bool }, { name: 'prev', type: taskPtr }, { name: 'next', type: taskPtr }]],
    ['sys_enter', [{ name: 'regs', type: voidPtr }, { name: 'id', type: long }]],
  ]);
  void u8x4;
  return { table: t, funcs, raw };
}

export function fuzzKernelTypes(): KernelTypes {
  const { table, funcs, raw } = buildTypes();
  const named = (kind: string, name: string) => {
    const i = table.types.findIndex((x) => x.kind === kind && 'name' in x && x.name === name);
    return i < 0 ? undefined : i;
  };
  const resolve = (id: number): number => {
    for (let n = 0; n < 64; n++) {
      const x = table.types[id];
      if (!x) return 0;
      if (x.kind === 'typedef' || x.kind === 'const' || x.kind === 'volatile' || x.kind === 'restrict' || x.kind === 'type_tag') id = x.target;
      else return id;
    }
    return id;
  };
  const sizeOf = (id: number): number => {
    const x = table.types[resolve(id)];
    if (!x) return 0;
    switch (x.kind) {
      case 'int': case 'struct': case 'union': case 'enum': return x.size;
      case 'ptr': return 8;
      case 'array': return x.count * sizeOf(x.elem);
      default: return 0;
    }
  };
  const typeName = (id: number): string => {
    const x = table.types[id];
    if (!x) return '?';
    switch (x.kind) {
      case 'void': return 'void';
      case 'int': return x.name;
      case 'ptr': return `${typeName(x.target)} *`;
      case 'array': return `${typeName(x.elem)}[${x.count}]`;
      case 'struct': case 'union': return `${x.kind} ${x.name || '(anon)'}`;
      case 'enum': return `enum ${x.name}`;
      case 'fwd': return `struct ${x.name}`;
      case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': return typeName(x.target);
      default: return x.kind;
    }
  };
  /** Members by name, looking through anonymous structs and unions, offsets made absolute. */
  const flatMembers = (structId: number, base = 0): KernelMember[] => {
    const out: KernelMember[] = [];
    for (const m of table.members.get(resolve(structId)) ?? []) {
      if (m.name === '') out.push(...flatMembers(m.type, base + m.offset));
      else out.push({ ...m, offset: base + m.offset, bitOffset: (base + m.offset) * 8 });
    }
    return out;
  };
  return {
    findType: (kind, name) => named(kind === 'typedef' ? 'typedef' : kind, name),
    findFunc: (name) => funcs.get(name),
    rawTracepointArgs: (name) => raw.get(name),
    findEnumerator: (name) => {
      for (const [id, t] of table.types.entries()) {
        const v = t?.kind === 'enum' ? t.values.find((x) => x.name === name) : undefined;
        if (v) return { type: id, value: v.value };
      }
      return undefined;
    },
    rawTracepoints: () => [...raw.keys()].map((name) => ({ name })),
    type: (id) => table.types[id] ?? { kind: 'void' },
    resolve,
    sizeOf,
    typeName,
    member: (structId, name) => flatMembers(structId).find((m) => m.name === name),
    members: (structId) => flatMembers(structId),
  };
}

const COMMON: TracepointField[] = [
  { name: 'common_type', typeText: 'unsigned short', offset: 0, size: 2, signed: false },
  { name: 'common_flags', typeText: 'unsigned char', offset: 2, size: 1, signed: false },
  { name: 'common_pid', typeText: 'int', offset: 4, size: 4, signed: true },
];

export const TRACEPOINTS: Record<string, TracepointField[]> = {
  'syscalls:sys_enter_openat': [
    { name: '__syscall_nr', typeText: 'int', offset: 8, size: 4, signed: true },
    { name: 'dfd', typeText: 'int', offset: 16, size: 8, signed: false },
    { name: 'filename', typeText: 'const char *', offset: 24, size: 8, signed: false },
    { name: 'flags', typeText: 'int', offset: 32, size: 8, signed: false },
    { name: 'mode', typeText: 'umode_t', offset: 40, size: 8, signed: false },
  ],
  'syscalls:sys_exit_openat': [
    { name: '__syscall_nr', typeText: 'int', offset: 8, size: 4, signed: true },
    { name: 'ret', typeText: 'long', offset: 16, size: 8, signed: true },
  ],
  'syscalls:sys_enter_read': [
    { name: '__syscall_nr', typeText: 'int', offset: 8, size: 4, signed: true },
    { name: 'fd', typeText: 'unsigned int', offset: 16, size: 8, signed: false },
    { name: 'buf', typeText: 'char *', offset: 24, size: 8, signed: false },
    { name: 'count', typeText: 'size_t', offset: 32, size: 8, signed: false },
  ],
  'syscalls:sys_exit_read': [
    { name: '__syscall_nr', typeText: 'int', offset: 8, size: 4, signed: true },
    { name: 'ret', typeText: 'long', offset: 16, size: 8, signed: true },
  ],
  'sched:sched_process_exec': [
    { name: 'filename', typeText: '__data_loc char[]', offset: 8, size: 4, signed: false },
    { name: 'pid', typeText: 'pid_t', offset: 12, size: 4, signed: true },
    { name: 'old_pid', typeText: 'pid_t', offset: 16, size: 4, signed: true },
    { name: 'comm', typeText: 'char[16]', offset: 20, size: 16, signed: false },
  ],
  'sched:sched_switch': [
    { name: 'prev_comm', typeText: 'char prev_comm[16]', offset: 8, size: 16, signed: false },
    { name: 'prev_pid', typeText: 'pid_t', offset: 24, size: 4, signed: true },
    { name: 'prev_prio', typeText: 'int', offset: 28, size: 4, signed: true },
    { name: 'prev_state', typeText: 'long', offset: 32, size: 8, signed: true },
    { name: 'next_comm', typeText: 'char next_comm[16]', offset: 40, size: 16, signed: false },
    { name: 'next_pid', typeText: 'pid_t', offset: 56, size: 4, signed: true },
    { name: 'next_prio', typeText: 'int', offset: 60, size: 4, signed: true },
  ],
  'sock:inet_sock_set_state': [
    { name: 'skaddr', typeText: 'const void *', offset: 8, size: 8, signed: false },
    { name: 'oldstate', typeText: 'int', offset: 16, size: 4, signed: true },
    { name: 'newstate', typeText: 'int', offset: 20, size: 4, signed: true },
    { name: 'sport', typeText: '__u16', offset: 24, size: 2, signed: false },
    { name: 'dport', typeText: '__u16', offset: 26, size: 2, signed: false },
    { name: 'family', typeText: '__u16', offset: 28, size: 2, signed: false },
    { name: 'protocol', typeText: '__u16', offset: 30, size: 2, signed: false },
    { name: 'saddr', typeText: '__u8 saddr[4]', offset: 32, size: 4, signed: false },
    { name: 'daddr', typeText: '__u8 daddr[4]', offset: 36, size: 4, signed: false },
    { name: 'saddr_v6', typeText: '__u8 saddr_v6[16]', offset: 40, size: 16, signed: false },
    { name: 'daddr_v6', typeText: '__u8 daddr_v6[16]', offset: 56, size: 16, signed: false },
  ],
  'block:block_rq_issue': [
    { name: 'dev', typeText: 'dev_t', offset: 8, size: 4, signed: false },
    { name: 'sector', typeText: 'sector_t', offset: 16, size: 8, signed: false },
    { name: 'nr_sector', typeText: 'unsigned int', offset: 24, size: 4, signed: false },
    { name: 'bytes', typeText: 'unsigned int', offset: 28, size: 4, signed: false },
    { name: 'rwbs', typeText: 'char rwbs[8]', offset: 32, size: 8, signed: false },
    { name: 'comm', typeText: 'char comm[16]', offset: 40, size: 16, signed: false },
    { name: 'cmd', typeText: '__data_loc char[]', offset: 56, size: 4, signed: false },
    { name: 'weird', typeText: 'struct foo', offset: 60, size: 12, signed: false },
  ],
};

const BASH = '/usr/bin/bash';
const APP = '/opt/app/bin/server';
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

const SYMBOLS: Record<string, BinarySymbol[]> = {
  [BASH]: [
    { name: 'readline', offset: 0xd5a30, address: 0xd5a30, size: 300, type: 'FUNC', section: '.text', executable: true },
    { name: 'main', offset: 0x31b40, address: 0x31b40, size: 2000, type: 'FUNC', section: '.text', executable: true },
    { name: 'shell_name', offset: 0x140000, address: 0x140000, size: 8, type: 'OBJECT', section: '.data', executable: false },
  ],
  [LIBC]: [
    { name: 'malloc', offset: 0xa5120, address: 0xa5120, size: 500, type: 'FUNC', section: '.text', executable: true, aliases: ['__libc_malloc'] },
    { name: 'strlen', offset: 0x9d000, address: 0x9d000, size: 40, type: 'IFUNC', section: '.text', executable: true, ifunc: { implementation: { offset: 0x1a0000, name: '__strlen_avx2' } } },
    { name: 'memcpy', offset: 0x9e000, address: 0x9e000, size: 40, type: 'IFUNC', section: '.text', executable: true, ifunc: { unresolved: 'the resolver could not be run' } },
  ],
  [APP]: [{ name: 'handle', offset: 0x1000, address: 0x401000, size: 100, type: 'FUNC', section: '.text', executable: true }],
};

const USDT: Record<string, UsdtProbeInfo[]> = {
  [APP]: [
    {
      provider: 'app', name: 'request', offset: 0x1010, semaphoreOffset: 0x5000,
      args: [
        { kind: 'register', size: 8, signed: false, regsOffset: 112 },
        { kind: 'register', size: 4, signed: true, regsOffset: 104 },
        { kind: 'register', size: 1, signed: false, regsOffset: 40, shift: 8 },
        { kind: 'memory', size: 4, signed: true, baseRegsOffset: 32, indexRegsOffset: 48, scale: 4, offset: -8 },
        { kind: 'memory', size: 8, signed: false, offset: 0x601040 },
        { kind: 'constant', size: 2, signed: true, value: -5n },
        { kind: 'constant', size: 8, signed: false, value: 0x1234567890n },
      ],
    },
    { provider: 'app', name: 'done', offset: 0x1020, semaphoreOffset: 0, args: [] },
    { provider: 'other', name: 'done', offset: 0x1030, semaphoreOffset: 0, args: [], argsError: 'unknown operand `%fs:8`' },
  ],
};

/** The fuzz kernel. `types: false` gives a kernel without BTF (every `struct` use is then a diagnostic). */
export function fuzzKernel(options: { types?: boolean } = {}): KernelInfo {
  const types = options.types === false ? { unavailable: 'the fuzz kernel has no BTF' } : fuzzKernelTypes();
  const all = Object.keys(TRACEPOINTS).map((k) => {
    const [category, event] = k.split(':') as [string, string];
    return { category, event };
  });
  const glob = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return {
    tracingUnavailable: () => undefined,
    kernelTypes: () => types,
    resolveBinary(name) {
      if (name === 'bash' || name === BASH || name === '/bin/bash') return { path: BASH };
      if (name === 'libc' || name === LIBC) return { path: LIBC };
      if (name === APP || name === 'server' || /^\/proc\/\d+\/exe$/.test(name)) return { path: APP };
      return { error: `${name} not found` };
    },
    binarySymbols(path, g) {
      const re = glob(g);
      return (SYMBOLS[path] ?? []).filter((s) => re.test(s.name) || s.aliases?.some((a) => re.test(a)));
    },
    usdtProbes: (path) => USDT[path] ?? [],
    onlineCpuCount: () => 2,
    kernelFunctions: () => ['vfs_read', 'vfs_write', 'do_sys_openat2', 'tcp_v4_connect', 'do_exit', 'inet_csk_accept'],
    tracepointFields(category, event) {
      const fields = TRACEPOINTS[`${category}:${event}`];
      return fields ? [...COMMON, ...fields] : undefined;
    },
    listTracepoints(c, e) {
      return all.filter((t) => glob(c).test(t.category) && glob(e).test(t.event));
    },
  };
}

export const FUZZ_PATHS = { BASH, APP, LIBC };
