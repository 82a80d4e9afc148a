// The compiler without a kernel: a fixture KernelInfo stands in for tracefs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../api/index.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import { disassembleOne } from '../../compiler/bpf/disasm.ts';
import { decode, slots } from '../../compiler/bpf/insn.ts';

const fixture: KernelInfo = {
  tracingUnavailable: () => undefined,
  kernelTypes: () => ({ unavailable: 'fixture kernel has no BTF' }),
  resolveBinary: (name) => ({ error: `no ${name}` }),
  binarySymbols: () => [],
  usdtProbes: () => [],
  onlineCpuCount: () => 4,
  kernelFunctions: () => ['do_sys_openat2', 'vfs_read'],
  kernelSymbol: (name) => (name === 'vfs_read' ? 0xffffffff81234560n : undefined),
  tracepointFields(category, event) {
    const common = [
      { name: 'common_type', typeText: 'unsigned short', offset: 0, size: 2, signed: false },
      { name: 'common_pid', typeText: 'int', offset: 4, size: 4, signed: true },
    ];
    if (category === 'syscalls' && event === 'sys_exit_read') {
      return [...common, { name: '__syscall_nr', typeText: 'int', offset: 8, size: 4, signed: true }, { name: 'ret', typeText: 'long', offset: 16, size: 8, signed: true }];
    }
    if (category === 'sched' && event === 'sched_process_exec') {
      return [...common, { name: 'pid', typeText: 'pid_t', offset: 12, size: 4, signed: true }, { name: 'comm', typeText: 'char[16]', offset: 20, size: 16, signed: false }];
    }
    return undefined;
  },
  listTracepoints(c, e) {
    const all = [{ category: 'syscalls', event: 'sys_exit_read' }, { category: 'sched', event: 'sched_process_exec' }];
    const re = (g: string) => new RegExp(`^${g.replace(/\*/g, '.*')}$`);
    return all.filter((t) => re(c).test(t.category) && re(e).test(t.event));
  },
};

const t = suite('compiler');
const build = (src: string) => compile(src, { kernel: fixture });

function asm(src: string): string[] {
  const r = build(src);
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const p = r.programs![0]!;
  const maps = new Map(p.code.relocations.map((x) => [x.insn, x.map]));
  const out: string[] = [];
  let slot = 0;
  for (const i of decode(Buffer.from(p.spec.bytecode, 'base64'))) {
    out.push(disassembleOne(i, slot, { mapAt: (s) => maps.get(s) }));
    slot += slots(i);
  }
  return out;
}

function errors(src: string): string[] {
  return build(src).diagnostics.map((d) => d.message);
}

t('a keyed count: comm straight into the key slot (zeroed first), lookup, in-place add; first event: a stack copy inserted', () => {
  // Absent key: the update goes to a zeroed stack copy (r0 is pointed at it, r1 flags it) and is
  // inserted with BPF_ANY; a full map (E2BIG) counts a dropped update in the global state map.
  assert.equal(asm('BEGIN < @[comm] = count(); >'), [
    '*(u64 *)(r10 -16) = 0x0', '*(u64 *)(r10 -8) = 0x0', 'r1 = r10', 'r1 += -0x10', 'r2 = 0x10',
    'call get_current_comm#16', 'r1 = map[tsbt_at] ll', 'r2 = r10', 'r2 += -0x10', 'call map_lookup_elem#1',
    'r1 = 0x0', 'if r0 != 0x0 goto +4', '*(u64 *)(r10 -24) = 0x0', 'r0 = r10', 'r0 += -0x18', 'r1 = 0x1',
    'r2 = *(u64 *)(r0 +0)', 'r2 += 0x1', '*(u64 *)(r0 +0) = r2', 'if r1 == 0x0 goto +13',
    'r1 = map[tsbt_at] ll', 'r2 = r10', 'r2 += -0x10', 'r3 = r10', 'r3 += -0x18', 'r4 = 0x0', 'call map_update_elem#2',
    'if r0 == 0x0 goto +4', 'r1 = &map[tsbt_state][16] ll', 'r2 = 0x1', 'lock *(u64 *)(r1 +0) += r2',
    'r0 = 0x0', 'exit',
  ]);
});

t('a keyless aggregation is a per-CPU array slot: lookup, mark written, add; no insert path', () => {
  assert.equal(asm('BEGIN < @ = count(); >'), [
    '*(u64 *)(r10 -8) = 0x0', 'r1 = map[tsbt_at] ll', 'r2 = r10', 'r2 += -0x8', 'call map_lookup_elem#1',
    'if r0 == 0x0 goto +4', '*(u64 *)(r0 +8) = 0x1', 'r1 = *(u64 *)(r0 +0)', 'r1 += 0x1', '*(u64 *)(r0 +0) = r1',
    'r0 = 0x0', 'exit',
  ]);
  const r = build('BEGIN < @c = count(); @h = hist(1); @l = lhist(1, 0, 100, 10); @k[1] = count(); @d = sum(1); delete(@d); >');
  const maps = Object.fromEntries(r.artifact!.maps.map((m) => [m.scriptName ?? m.name, m]));
  assert.equal([maps['@c']!.type, maps['@c']!.keySize, maps['@c']!.valueSize, maps['@c']!.maxEntries, maps['@c']!.presentOffset], ['percpu_array', 4, 16, 1, 8]);
  // One slot per bucket, the bucket index as the key: hist(n) has 65 buckets, this lhist 12.
  assert.equal([maps['@h']!.type, maps['@h']!.maxEntries, maps['@h']!.key], ['percpu_array', 65, { fields: [{ kind: 'int', offset: 0, size: 4, signed: false }] }]);
  assert.equal([maps['@l']!.type, maps['@l']!.maxEntries], ['percpu_array', 12]);
  // Keyed maps, and maps delete() removes entries from, stay hashes.
  assert.equal([maps['@k']!.type, maps['@k']!.presentOffset], ['percpu_hash', undefined]);
  assert.equal([maps['@d']!.type, maps['@d']!.presentOffset], ['percpu_hash', undefined]);
});

t('maps get tsbt_ names, per-CPU hashes for aggregations, C-laid-out keys', () => {
  const r = build('BEGIN < @c[1, "ab"] = count(); @v = 5; @s = sum(-3); >');
  const maps = Object.fromEntries(r.artifact!.maps.map((m) => [m.scriptName ?? m.name, m]));
  assert.equal([maps['@c']!.name, maps['@c']!.type, maps['@c']!.keySize], ['tsbt_c', 'percpu_hash', 16]);
  assert.equal(maps['@c']!.key!.fields, [{ kind: 'int', offset: 0, size: 8, signed: true }, { kind: 'string', offset: 8, size: 3 }]);
  assert.equal([maps['@v']!.type, maps['@v']!.keySize, maps['@v']!.value], ['hash', 8, { kind: 'int', size: 8, signed: true }]);
  assert.equal(maps['@s']!.value, { kind: 'sum', signed: true });
});

t('nested tuples keep nested layouts; only a map\'s single tuple key is split into key fields', () => {
  const r = build('BEGIN < @one[(1, "ab")] = 1; @two[(1, 2), 3] = 1; @v[1] = (3, (4, "b")); print((5, (6, 7))); >');
  const maps = Object.fromEntries(r.artifact!.maps.map((m) => [m.scriptName ?? m.name, m]));
  const s64 = (offset: number) => ({ kind: 'int', offset, size: 8, signed: true });
  // `@one[(1, "ab")]` is `@one[1, "ab"]`: two key fields.
  assert.equal(maps['@one']!.key!.fields, [s64(0), { kind: 'string', offset: 8, size: 3 }]);
  // A key part that is a tuple: one field with its own fields, offsets from the tuple's start.
  assert.equal(maps['@two']!.key!.fields, [{ kind: 'tuple', offset: 0, size: 16, fields: [s64(0), s64(8)] }, s64(16)]);
  assert.equal(maps['@v']!.value, { kind: 'tuple', size: 24, fields: [s64(0), { kind: 'tuple', offset: 8, size: 16, fields: [s64(0), { kind: 'string', offset: 8, size: 2 }] }] });
  const print = r.artifact!.events.find((e) => e.kind === 'printValue')!;
  assert.equal('value' in print && print.value, { kind: 'tuple', offset: 8, size: 24, fields: [s64(0), { kind: 'tuple', offset: 8, size: 16, fields: [s64(0), s64(8)] }] });
});

t('tracepoint args are loaded straight from the context, signed narrow fields sign-extended', () => {
  const lines = asm('tracepoint:sched:sched_process_exec < @[args->pid] = count(); >');
  assert.ok(lines.includes('r1 = *(u32 *)(r6 +12)') || lines.some((l) => /= \*\(u32 \*\)\(r\d \+12\)/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /<<= 0x20/.test(l)) && lines.some((l) => /s>>= 0x20/.test(l)), 'sign extension');
});

t('a filter branches to the end, signed comparison for signed fields', () => {
  const lines = asm('tracepoint:syscalls:sys_exit_read /args->ret > 0/ < @bytes = sum(args->ret) >');
  assert.ok(lines.some((l) => /^if r\d s<= 0x0 goto/.test(l)), lines.join('\n'));
});

t('printf: string literals stay in user space, values go in the record', () => {
  const r = build('BEGIN < printf("%s %d %s\\n", "lit", pid, comm); >');
  const ev = r.artifact!.events[0]!;
  assert.equal(ev, {
    kind: 'printf', id: 1, format: '%s %d %s\n', size: 32,
    args: [{ kind: 'const', value: 'lit' }, { kind: 'int', offset: 8, size: 8, signed: false }, { kind: 'string', offset: 16, size: 16 }],
  });
  assert.equal(r.artifact!.eventRing, 'tsbt_events');
});

t('wildcards expand to one program per tracepoint', () => {
  const r = build('tracepoint:s*:* < @n = count(); >');
  assert.equal(r.artifact!.programs.map((p) => p.probe), ['tracepoint:syscalls:sys_exit_read', 'tracepoint:sched:sched_process_exec']);
});

t('statements reuse each other\'s stack; string variables keep theirs', () => {
  const one = build('BEGIN < @a[comm] = 1; >').programs![0]!.spec.stackSize;
  const ten = build(`BEGIN < ${Array.from({ length: 10 }, (_, i) => `@m${i}[comm] = ${i};`).join(' ')} >`).programs![0]!.spec.stackSize;
  assert.is(ten, one);
  const withVar = build('BEGIN < $s = comm; @a[comm] = 1; printf("%s\\n", $s); >').programs![0]!.spec.stackSize;
  assert.is(withVar, one + 16);
});

t('type errors name the problem', () => {
  assert.equal(errors('BEGIN < @x = "a" + 1; >'), ['`+` cannot combine string[2] and int64']);
  assert.equal(errors('BEGIN < @x = count(); printf("%d\\n", @x); >'), ['`@x` holds a count() aggregation, which is kept per CPU and can only be printed']);
  assert.equal(errors('BEGIN < printf("%d %d\\n", 1); >'), ['the format has 2 conversions but 1 argument is given']);
  assert.equal(errors('BEGIN < printf("%s\\n", pid); >'), ['conversion 1 (%s) expects a string, but this is uint32']);
  assert.equal(errors('BEGIN < @x = args->ret; >'), ['`args` is not available in BEGIN probes']);
  assert.equal(errors('BEGIN < @x = 1; @x = "s"; >'), ['`@x` was assigned int64 before; cannot assign string[2] here']);
  assert.equal(errors('BEGIN < $y = $z; >'), ['`$z` is used before it is assigned']);
  assert.equal(errors('BEGIN < count(); >'), ['`count()` must be assigned to a map']);
  assert.equal(errors('tracepoint:syscalls:sys_exit_read < @x = args->rett; >'), ['struct syscalls:sys_exit_read args has no field `rett`']);
});

t('unknown probes and tracepoints get near matches', () => {
  const a = build('tracepont:syscalls:sys_exit_read < >').diagnostics[0]!;
  assert.equal([a.message, a.hint], ['unknown probe type `tracepont`', 'did you mean `tracepoint`?']);
  const b = build('tracepoint:syscalls:sys_exit_reed < >').diagnostics[0]!;
  assert.equal([b.message, b.hint], ['no tracepoint `syscalls:sys_exit_reed` in this kernel', 'did you mean `tracepoint:syscalls:sys_exit_read`?']);
});

t('bool and the other integers do not mix in variables and maps; (bool)x converts', () => {
  const errors = (src: string) => build(src).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  assert.equal(errors('BEGIN { let $x: bool = 5; $b = true; $b = 7; @m = true; @m = 3; }'), [
    '`$x` is declared bool; cannot assign int64',
    '`$b` holds bool; cannot assign int64',
    '`@m` was assigned bool before; cannot assign int64 here',
  ]);
  assert.equal(errors('BEGIN { let $x: bool = (bool)5; $b = true; $b = has_key(@m, 1); @m[1] = 2; @n = true; @n = (bool)$x; print(($b, $x)); }'), []);
});

t.run();
