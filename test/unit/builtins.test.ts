// buf(), username, join(), uaddr(), ternaries of every value kind and delete()/has_key() on
// histograms, compiled without a kernel: their type errors (with the messages users see), the record
// and map layouts they give the runtime, and the code uaddr() becomes. test/e2e/builtins.test.ts runs
// them on the kernel.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../api/index.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import { disassembleOne } from '../../compiler/bpf/disasm.ts';
import { decode, slots } from '../../compiler/bpf/insn.ts';
import { literalBytes, scanString } from '../../grammar/literals.ts';

// A binary /bin/x with a function and two data symbols (link-time addresses; file offsets differ).
const fixture: KernelInfo = {
  tracingUnavailable: () => undefined,
  kernelTypes: () => ({ unavailable: 'fixture kernel has no BTF' }),
  resolveBinary: (name) => ({ path: name }),
  binarySymbols: (_path, glob) => [
    { name: 'main', offset: 0x1100, address: 0x1100, size: 40, type: 'FUNC', executable: true },
    { name: 'counter', offset: 0x3010, address: 0x4010, size: 4, type: 'OBJECT', executable: false },
    { name: 'table', offset: 0x3020, address: 0x4020, size: 64, type: 'OBJECT', executable: false },
  ].filter((s) => glob === '*' || s.name === glob),
  usdtProbes: () => [],
  onlineCpuCount: () => 4,
  kernelFunctions: () => [],
  kernelSymbol: () => undefined,
  tracepointFields: () => undefined,
  listTracepoints: () => [],
};

const build = (src: string, options: Parameters<typeof compile>[1] = {}) => compile(src, { kernel: fixture, ...options });
const errors = (src: string) => build(src).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
const warnings = (src: string) => build(src).diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);

function asm(src: string): string[] {
  const r = build(src);
  assert.equal(errors(src), []);
  const out: string[] = [];
  let slot = 0;
  for (const i of decode(Buffer.from(r.programs![0]!.spec.bytecode, 'base64'))) {
    out.push(disassembleOne(i, slot));
    slot += slots(i);
  }
  return out;
}

const t = suite('builtins: types, layouts and errors');

t('buf(): a { u64 length; bytes } value; a constant length sizes it, max_strlen bounds it', () => {
  const r = build('BEGIN { printf("%r %rx\\n", buf("abc", 2), buf("abcdef", $1)); @m[buf("ab", 2)] = buf("xyz", 3); }', { positional: ['4'] });
  assert.equal(r.diagnostics, []);
  assert.equal(r.artifact!.events[0], {
    kind: 'printf', id: 1, format: '%r %rx\n', size: 40,
    args: [{ kind: 'buffer', offset: 8, size: 10 }, { kind: 'buffer', offset: 24, size: 12 }],
  });
  const m = r.artifact!.maps.find((x) => x.scriptName === '@m')!;
  assert.equal([m.key, m.value], [{ fields: [{ kind: 'buffer', offset: 0, size: 10 }] }, { kind: 'field', size: 16, field: { kind: 'buffer', offset: 0, size: 11 } }]);
  // A length known only at run time: the buffer holds max_strlen bytes (or the array's, if smaller).
  const v = build('config = { max_strlen = 16 } BEGIN { $n = 3; printf("%r %r\\n", buf(0, $n), buf("abcdef", $n)); }');
  assert.equal(v.artifact!.events[0]!.kind === 'printf' && v.artifact!.events[0]!.args, [{ kind: 'buffer', offset: 8, size: 24 }, { kind: 'buffer', offset: 32, size: 15 }]);
  assert.equal(warnings('BEGIN { printf("%r\\n", buf("ab", 100)); }'), ['buf() reads at most max_strlen (64) bytes: 100 is shortened to 64']);
});

t('buf() errors', () => {
  assert.equal(errors('BEGIN { printf("%s\\n", buf("ab", 2)); }'), ['conversion 1 (%s) cannot print a buf() value']);
  assert.equal(errors('BEGIN { printf("%r\\n", "ab"); }'), ['conversion 1 (%r) expects a buf() value, but this is string[3]']);
  assert.equal(errors('BEGIN { printf("%rh\\n", 1); }'), ['conversion 1 (%rh) expects a buf() value, but this is int64']);
  assert.equal(errors('BEGIN { $b = buf(1); }'), ['`buf()` of an address needs a length']);
  assert.equal(errors('BEGIN { $b = buf("ab", 0); }'), ['the length must be at least 1']);
  assert.equal(errors('BEGIN { $b = buf("ab", "x"); }'), ['the length must be an integer']);
  assert.equal(errors('BEGIN { $b = buf((1, 2), 1); }'), ['`buf()` reads from an address or an array, not (int64, int64)']);
  assert.equal(errors('BEGIN { $b = buf(1, 2) + 1; }'), ['`+` cannot combine buffer[2] and int64']);
});

t('printf has no floating point: %f and friends say why', () => {
  assert.equal(errors('BEGIN { printf("%f\\n", 1); }'), ['floating-point conversions are not supported: BPF (and so bpftrace and tsbt) has no floating-point numbers']);
  assert.equal(build('BEGIN { printf("%5.2e", 1); }').diagnostics[0]!.hint, 'print a scaled integer instead, e.g. printf("%d.%02d", $x / 100, $x % 100)');
});

t('escapes in string literals are bytes: "\\xff" is one byte, "é" two', () => {
  assert.equal([...literalBytes(scanString('"\\xff\\101\\x41é\\xc3\\xa9"', 0).value)], [0xff, 0x41, 0x41, 0xc3, 0xa9, 0xc3, 0xa9]);
  const r = build('BEGIN { @s = "\\xff\\xfe"; }');
  assert.equal(r.artifact!.maps[0]!.value, { kind: 'string', size: 3 });
});

t('username: a uid the runtime names; printable with %s, a key and a value', () => {
  const r = build('BEGIN { printf("%s\\n", username); @[username] = username; }');
  assert.equal(r.diagnostics, []);
  assert.equal(r.artifact!.events[0]!.kind === 'printf' && r.artifact!.events[0]!.args, [{ kind: 'username', offset: 8, size: 8 }]);
  const m = r.artifact!.maps[0]!;
  assert.equal([m.key, m.value], [{ fields: [{ kind: 'username', offset: 0, size: 8 }] }, { kind: 'field', size: 8, field: { kind: 'username', offset: 0, size: 8 } }]);
  assert.equal(errors('BEGIN { $x = username + 1; }'), ['`+` cannot combine username and int64']);
  assert.equal(errors('BEGIN { printf("%d\\n", username); }'), ['conversion 1 expects an integer, but this is username']);
});

t('join(): one event of 16 slots of 1024 bytes; its errors', () => {
  const r = build('BEGIN { join(0, ","); join(0); }');
  assert.equal(r.artifact!.events, [
    { kind: 'join', id: 1, size: 16400, delimiter: ',', count: 16, slotSize: 1024 },
    { kind: 'join', id: 2, size: 16400, delimiter: ' ', count: 16, slotSize: 1024 },
  ]);
  assert.equal(errors('BEGIN { join("a"); }'), ['`join()` needs the address of an array of string pointers, not string[2]']);
  assert.equal(errors('BEGIN { join(1, 2); }'), ['the delimiter must be a string literal']);
  assert.equal(errors('BEGIN { $x = join(1); }'), ['`join()` is a statement and has no value']);
});

t('uaddr(): ip of the probe point plus the symbol\'s distance from it; a pointer as wide as the symbol', () => {
  // main is at 0x1100, counter at 0x4010: ip (pt_regs +128) + 0x2f10, whatever the load bias.
  const lines = asm('uprobe:/bin/x:main { @[uaddr("counter")] = 1; }');
  const at = lines.findIndex((l) => /= \*\(u64 \*\)\(r\d \+128\)/.test(l));
  assert.ok(at >= 0 && /\+= 0x2f10$/.test(lines[at + 1]!), lines.join('\n'));
  // counter is 4 bytes: a uint32 *; table (64 bytes) a uint64 *.
  assert.equal(errors('uprobe:/bin/x:main { $a = uaddr("counter")[0] + uaddr("table")[1]; print($a); }'), []);
  assert.equal(errors('uprobe:/bin/x:main { $a = uaddr("counter"); $a = "s"; }'), ['`$a` holds uint32 *; cannot assign string[2]']);
});

t('uaddr() errors', () => {
  assert.equal(errors('BEGIN { $x = uaddr("counter"); }'), ['`uaddr()` is for uprobes and USDT probes: it finds symbols of the probed binary']);
  assert.equal(errors('uretprobe:/bin/x:main { $x = uaddr("counter"); }'),
    ['`uaddr()` is not available in uretprobes: tsbt finds the binary\'s load address from the probe point, and a uretprobe fires in the caller']);
  assert.equal(errors('uprobe:/bin/x:main { $x = uaddr("nope"); }'), ['no symbol `nope` in /bin/x']);
  assert.equal(errors('uprobe:/bin/x:main { $x = uaddr(1); }'), ['`uaddr()` takes a symbol name as a string literal']);
});

t('jiffies and numaid are one helper call each (bpf_jiffies64, bpf_get_numa_node_id); ppid needs BTF', () => {
  const lines = asm('BEGIN { @j = jiffies; @n = numaid; }');
  // Scratch variables hold 64 bits (numaid, a uint32, widens as cpu does); test/e2e/builtins.test.ts prints sizeof.
  assert.ok(lines.includes('call jiffies64#118') && lines.includes('call get_numa_node_id#42'), lines.join('\n'));
  assert.equal(errors('BEGIN { $j = jiffies; $j = "s"; $n = numaid; $n = "s"; }'),
    ['`$j` holds uint64; cannot assign string[2]', '`$n` holds uint64; cannot assign string[2]']);
  assert.equal(errors('BEGIN { @p = ppid; }'), ['`ppid` reads curtask->real_parent->tgid, which needs the kernel\'s BTF (/sys/kernel/btf/vmlinux)']);
});

t('func: the probed function as a constant string, in uprobes at a name, an address and on return; an error elsewhere', () => {
  for (const probe of ['uprobe:/bin/x:main', 'uretprobe:/bin/x:main', 'uprobe:/bin/x:0x1100']) {
    const r = build(`${probe} { printf("%s\\n", func); }`);
    assert.equal(r.diagnostics, []);
    assert.equal(r.artifact!.events[0], { kind: 'printf', id: 1, format: '%s\n', size: 16, args: [{ kind: 'string', offset: 8, size: 5 }] });
    assert.ok(asm(`${probe} { printf("%s\\n", func); }`).includes('*(u32 *)(r0 +8) = 0x6e69616d'), probe); // "main"
  }
  assert.equal(errors('tracepoint:sched:sched_switch { printf("%s\\n", func); }').length, 1);
  const bad = build('BEGIN { printf("%s\\n", func); }').diagnostics;
  assert.equal(bad.map((d) => [d.message, d.hint]), [['`func` is not available in BEGIN probes', 'kprobes, uprobes and fentry/fexit probes (and their return probes) have it']]);
});

t('ternaries: any value kind whose branches agree; two statements; clear errors otherwise', () => {
  for (const ok of [
    'BEGIN { $x = pid ? ntop(1) : ntop(2); print($x); }',
    'BEGIN { $x = pid ? kstack : kstack; print($x); }',
    'BEGIN { $x = pid ? ksym(1) : ksym(2); print($x); }',
    'BEGIN { $x = pid ? strftime("%H", 1) : strftime("%H", nsecs); print($x); }',
    'BEGIN { $x = pid ? buf("a", 1) : buf("abc", 3); print($x); }',
    'BEGIN { $x = pid ? username : username; print($x); }',
    'BEGIN { $x = pid ? (1, "a") : (2, "bcd"); print($x); }',
    'BEGIN { pid ? printf("a") : exit(); }',
    'BEGIN { pid ? printf("a") : pid > 1 ? printf("b") : print(1); }',
  ]) assert.equal(errors(ok), [], ok);
  assert.equal(errors('BEGIN { $x = 1 ? "a" : 2; }'), ['the two branches have different types: string[2] and int64']);
  assert.equal(errors('BEGIN { $x = 1 ? kstack(perf) : kstack; }'), ['the two branches are stacks printed differently (perf, 127 frames and bpftrace, 127 frames)']);
  assert.equal(errors('BEGIN { $x = 1 ? strftime("a", 1) : strftime("b", 1); }'), ['the two branches are strftime() values with different formats ("a" and "b")']);
  assert.equal(errors('BEGIN { $x = 1 ? ntop(1) : ksym(1); }'), ['the two branches have different types: inet and ksym']);
  assert.equal(errors('BEGIN { 1 ? printf("a") : 2; }'), ['a branch with a value next to a branch without one (like printf)']);
  assert.equal(errors('BEGIN { $x = 1 ? printf("a") : printf("b"); }'), ['`printf()` is a statement and has no value', '`printf()` is a statement and has no value']);
});

t('signal() takes a number or a name', () => {
  const unsafe = (src: string) => build(src, { unsafe: true }).diagnostics.map((d) => d.message);
  assert.equal(unsafe('BEGIN { signal("SIGKILL"); signal("usr1"); signal(9); }'), []);
  assert.equal(unsafe('BEGIN { signal("SIGNOPE"); }'), ['unknown signal `SIGNOPE`']);
  assert.equal(unsafe('BEGIN { signal(comm); }'), ['`signal()` takes a signal number or name']);
});

t('a statement ternary plans the events of both branches', () => {
  const r = build('BEGIN { pid ? printf("a\\n") : printf("%d\\n", 2); }');
  assert.equal(r.artifact!.events.map((e) => e.kind === 'printf' && e.format), ['a\n', '%d\n']);
});

t('strftime() values are map keys and values; print() takes every printable value', () => {
  const r = build('BEGIN { @t[strftime("%H", nsecs)] = strftime("%M", nsecs); }');
  const m = r.artifact!.maps[0]!;
  assert.equal([m.key, m.value], [
    { fields: [{ kind: 'timestamp', offset: 0, size: 8, format: '%H' }] },
    { kind: 'field', size: 8, field: { kind: 'timestamp', offset: 0, size: 8, format: '%M' } },
  ]);
  for (const v of ['ntop(1)', 'kstack', 'ksym(1)', 'strftime("%H", 1)', 'buf("a", 1)', 'username']) assert.equal(errors(`BEGIN { print(${v}); }`), [], v);
});

t('delete() and has_key() on a histogram loop over every bucket index of the key', () => {
  // hist(n, 2): (64 - 2) * 4 + 1 = 249 buckets; the loop's bound is the bucket count.
  const lines = asm('BEGIN { @h[1] = hist(5, 2); delete(@h, 1); }');
  assert.ok(lines.some((l) => /^if r\d < 0xf9 goto -/.test(l)), lines.join('\n'));
  const l = asm('BEGIN { @l[1] = lhist(5, 0, 100, 10); @x = has_key(@l, 1); }');
  assert.ok(l.some((x) => /^if r\d < 0xc goto -/.test(x)), l.join('\n'));
  assert.equal(errors('BEGIN { @l = lhist(5, 0, 100, 10); @x = has_key(@l); }'), ['`has_key()` needs a map with keys: `@l` has none and holds an aggregation, which is always there']);
  // Plain maps: one helper call, no loop.
  assert.ok(!asm('BEGIN { @p[1] = 1; delete(@p, 1); }').some((x) => /goto -/.test(x)));
});

t.run();
