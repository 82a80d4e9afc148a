// Kernel types in the language, on a small hand-built BTF (test/fixtures/btf/encoder.ts) read by the
// real BTF reader: `*p`, `&s->f`, pointer arithmetic, enums by name, whole structs printed from the
// layouts the compiler puts in the artifact (decoded and rendered here by the runtime's formatter),
// typed raw tracepoint arguments, and the errors, each at the text it is about.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../api/index.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import type { FieldLayout, PrintfEvent, PrintValueEvent } from '../../runtime/artifact.ts';
import { Btf } from '../../runtime/kernel/btf/index.ts';
import { decodeEventArgs, decodeField } from '../../runtime/format/decode.ts';
import { formatPrintf } from '../../runtime/format/printf.ts';
import { renderValue } from '../../runtime/format/text.ts';
import { BtfEncoder } from '../fixtures/btf/encoder.ts';
import { listProbes } from '../../cli/list.ts';
import { stdlib } from '../../stdlib/index.ts';

/**
 * enum color { RED, GREEN, BLUE };  struct point { int x; int y; };
 * struct item {                       // 56 bytes
 *   unsigned int id;                  //  0
 *   char name[8];                     //  4
 *   unsigned char flags:3, kind:5;    // 12 (bits 96..98, 99..103)
 *   enum color color;                 // 16
 *   union { unsigned int raw; struct point *where; };   // 24
 *   struct point origin;              // 32
 *   unsigned short ports[2];          // 40
 *   struct item *next;                // 48
 * };
 * struct big { char data[300]; };  struct holder { struct opaque *secret; };  (struct opaque: declared only)
 * struct task_struct { int pid; int tgid; };  (what curtask points to)
 * enum clash { pid = 7, LAST_COLOR = 2 };  (an enumerator named like a builtin)
 * void handle_item(struct item *item, int code);  raw tracepoint item_event(struct item *item, int code)
 */
function fixtureBtf(): Btf {
  const b = new BtfEncoder();
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const char = b.int('char', 1, { signed: true, char: true });
  const u8 = b.int('unsigned char', 1);
  const u16 = b.int('short unsigned int', 2);
  const color = b.enum('color', 4, [['RED', 0], ['GREEN', 1], ['BLUE', 2]]);
  const point = b.struct('point', 8, [['x', int, 0], ['y', int, 32]]);
  const pointPtr = b.ptr(point);
  const itemId = b.nextId + 4; // after the pointer to it, the union and the two arrays
  const itemPtr = b.ptr(itemId);
  const anon = b.union('', 8, [['raw', uint, 0], ['where', pointPtr, 0]]);
  const name = b.array(char, int, 8);
  const ports = b.array(u16, int, 2);
  const item = b.struct('item', 56, [
    ['id', uint, 0], ['name', name, 32], ['flags', u8, 96, 3], ['kind', u8, 99, 5], ['color', color, 128],
    ['', anon, 192], ['origin', point, 256], ['ports', ports, 320], ['next', itemPtr, 384],
  ]);
  assert.is(item, itemId);
  b.struct('big', 300, [['data', b.array(char, int, 300), 0]]);
  b.struct('holder', 8, [['secret', b.ptr(b.fwd('opaque')), 0]]);
  b.struct('task_struct', 8, [['pid', int, 0], ['tgid', int, 32]]);
  b.enum('clash', 4, [['pid', 7], ['LAST_COLOR', 2]]);
  const voidPtr = b.ptr(0);
  b.func('handle_item', b.funcProto(0, [['item', itemPtr], ['code', int]]));
  b.typedef('btf_trace_item_event', b.ptr(b.funcProto(0, [['', voidPtr], ['', itemPtr], ['', int]])));
  b.func('__bpf_trace_item_event', b.funcProto(0, [['__data', voidPtr], ['item', itemPtr], ['code', int]]), 'static');
  return new Btf(b.build());
}

const btf = fixtureBtf();

/** Pointer fields as tracefs prints them: `test:hold` holds kernel pointers, `syscalls:hold` user ones. */
const POINTER_FIELDS = [
  { name: 'common_type', typeText: 'unsigned short', offset: 0, size: 2, signed: false },
  { name: 'where', typeText: 'struct point *', offset: 8, size: 8, signed: false },
  { name: 'label', typeText: 'const char *', offset: 16, size: 8, signed: false },
  { name: 'cookie', typeText: 'void *', offset: 24, size: 8, signed: false },
  { name: 'gone', typeText: 'struct nosuch *', offset: 32, size: 8, signed: false },
  { name: 'counts', typeText: 'unsigned int *', offset: 40, size: 8, signed: false },
  { name: 'items', typeText: 'struct item * const *', offset: 48, size: 8, signed: false },
];
const kernel: KernelInfo = {
  tracingUnavailable: () => undefined,
  kernelTypes: () => btf,
  resolveBinary: (name) => ({ error: `no ${name}` }),
  binarySymbols: () => [],
  usdtProbes: () => [],
  onlineCpuCount: () => 2,
  kernelFunctions: () => ['handle_item'],
  tracepointFields: (category, event) => category === 'test' && event === 'paint'
    ? [{ name: 'common_type', typeText: 'unsigned short', offset: 0, size: 2, signed: false },
      { name: 'shade', typeText: 'enum color', offset: 8, size: 4, signed: false },
      { name: 'count', typeText: 'int', offset: 12, size: 4, signed: true }]
    : event === 'hold' && (category === 'test' || category === 'syscalls') ? POINTER_FIELDS : undefined,
  listTracepoints: (category, event) => [{ category: 'test', event: 'paint' }, { category: 'test', event: 'hold' }, { category: 'syscalls', event: 'hold' },
    { category: 'test', event: 'other_event' }, { category: 'syscalls', event: 'sys_enter_thing' }]
    .filter((t) => (category === '*' || category === t.category) && (event === '*' || event === t.event)),
};

const build = (src: string) => compile(src, { kernel });

function ok(src: string) {
  const r = build(src);
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], src);
  return r.artifact!;
}

/** Each error with the text of the script it points at. */
function errors(src: string): [message: string, at: string][] {
  return build(src).diagnostics.filter((d) => d.severity === 'error').map((d) => [d.message, src.slice(d.span.start, d.span.end)]);
}

/** The bytes of one struct item, as a little-endian C compiler lays it out. */
function itemBytes(): DataView {
  const view = new DataView(new ArrayBuffer(56));
  view.setUint32(0, 7, true);
  new Uint8Array(view.buffer).set(new TextEncoder().encode('abc'), 4);
  view.setUint8(12, 5 | (17 << 3)); // flags = 5, kind = 17
  view.setUint32(16, 2, true); // BLUE
  view.setBigUint64(24, 0x1000n, true); // raw = 4096 (low half), where = 0x1000
  view.setInt32(32, -1, true);
  view.setInt32(36, 2, true);
  view.setUint16(40, 80, true);
  view.setUint16(42, 443, true);
  return view;
}

const t = suite('kernel types on a BTF fixture');

t('print(*p) carries the struct layout in the artifact; the runtime prints it as bpftrace does', () => {
  const a = ok('BEGIN { $i = (struct item *)0x1000; print(*$i); }');
  const event = a.events.find((e) => e.kind === 'printValue') as PrintValueEvent;
  const layout = event.value as FieldLayout & { kind: 'record' };
  assert.is(layout.kind, 'record');
  assert.is(layout.size, 56);
  // The anonymous union's members are members of the struct, as bpftrace prints them.
  assert.equal(layout.fields.map((f) => f.name), ['id', 'name', 'flags', 'kind', 'color', 'raw', 'where', 'origin', 'ports', 'next']);
  assert.equal(layout.fields[2]!.field, { kind: 'bitfield', offset: 12, size: 1, shift: 0, bits: 3, signed: false });
  assert.equal(layout.fields[3]!.field, { kind: 'bitfield', offset: 12, size: 1, shift: 3, bits: 5, signed: false });
  assert.equal(layout.fields[4]!.field, { kind: 'int', offset: 16, size: 4, signed: false, enum: { name: 'color', names: { 0: 'RED', 1: 'GREEN', 2: 'BLUE' } } });
  assert.equal(layout.fields[8]!.field, { kind: 'array', offset: 40, size: 4, count: 2, elem: { kind: 'int', offset: 0, size: 2, signed: false } });
  const record = new DataView(new ArrayBuffer(event.size));
  new Uint8Array(record.buffer).set(new Uint8Array(itemBytes().buffer), layout.offset);
  assert.is(renderValue(decodeField(record, 0, layout)),
    '{ .id = 7, .name = abc, .flags = 5, .kind = 17, .color = BLUE, .raw = 4096, .where = 0x1000, .origin = { .x = -1, .y = 2 }, .ports = [80,443], .next = 0x0 }\n');
});

t('enums print by name with %s and as numbers with %d; a value the enum does not name prints as its number', () => {
  const a = ok('BEGIN { $i = (struct item *)0x1000; printf("%s %d %s %s\\n", $i->color, $i->color, (enum color)1, (enum color)7); }');
  const event = a.events.find((e) => e.kind === 'printf') as PrintfEvent;
  const record = new DataView(new ArrayBuffer(event.size));
  record.setBigUint64(8, 2n, true);
  record.setBigUint64(16, 2n, true);
  record.setBigUint64(24, 1n, true);
  record.setBigUint64(32, 7n, true);
  assert.is(formatPrintf(event.format, decodeEventArgs(event.args, record)), 'BLUE 2 GREEN 7\n');
});

t('enums keep their names in variables, map keys and values, tuples, and tracepoint fields declared as enums', () => {
  const a = ok('tracepoint:test:paint { $c = args->shade; @by[$c] = count(); @last = $c; @t = ($c, args->count); }');
  const names = { name: 'color', names: { 0: 'RED', 1: 'GREEN', 2: 'BLUE' } };
  const by = a.maps.find((m) => m.scriptName === '@by')!;
  assert.equal(by.key!.fields, [{ kind: 'int', offset: 0, size: 8, signed: false, enum: names }]);
  assert.equal(a.maps.find((m) => m.scriptName === '@last')!.value, { kind: 'int', size: 8, signed: false, enum: names });
  const tuple = a.maps.find((m) => m.scriptName === '@t')!.value as { fields: FieldLayout[] };
  assert.equal(tuple.fields[0], { kind: 'int', offset: 0, size: 8, signed: false, enum: names });
  // print(args): the record's fields, integers as 8 bytes, the enum by name.
  const whole = ok('tracepoint:test:paint { print(args); }').events.find((e) => e.kind === 'printValue') as PrintValueEvent;
  assert.equal(whole.value, { kind: 'record', offset: 8, size: 16, fields: [
    { name: 'shade', field: { kind: 'int', offset: 0, size: 8, signed: false, enum: names } },
    { name: 'count', field: { kind: 'int', offset: 8, size: 8, signed: true } },
  ] });
  // Arithmetic makes a plain number.
  assert.equal(errors('BEGIN { printf("%s", (enum color)1 + 1); }'), [['conversion 1 (%s) expects a string, but this is int64', '(enum color)1 + 1']]);
});

t('pointer arithmetic moves by whole elements (constant-folded when it can be)', () => {
  const a = ok('BEGIN { printf("%d %d %d\\n", (struct item *)0x1000 + 2, (struct item *)0x1000 - 1, 3 + (uint16 *)0x1000); }');
  const event = a.events.find((e) => e.kind === 'printf') as PrintfEvent;
  assert.equal(event.args.map((x) => x.kind), ['int', 'int', 'int']);
  const r = build('BEGIN { printf("%d %d %d\\n", (struct item *)0x1000 + 2, (struct item *)0x1000 - 1, 3 + (uint16 *)0x1000); }');
  const asm = r.programs![0]!.code.insns.map((i) => i.imm);
  for (const v of [0x1000 + 2 * 56, 0x1000 - 56, 0x1000 + 3 * 2]) assert.ok(asm.includes(v), `${v} is stored`);
  ok('BEGIN { $p = (struct item *)0x1000; $p++; $p += 2; --$p; $q = $p - 1; if ($q < $p && $q != 0) { print($p); } }');
});

t('*p, &s->field and struct values: types and what they allow', () => {
  ok('BEGIN { $i = (struct item *)0x1000; $o = &$i->origin; printf("%d %d %s\\n", $o->y, (*$i->where).x, *$i->where); $s = *$i; @s = $s; print($s.origin); $n = &$i->name; printf("%c\\n", *$n); $k = *&$i->origin; }');
  assert.equal(errors('BEGIN { $o = &((struct item *)0)->origin; $x = $o * 2; }'), [['`*` cannot be used on a pointer (struct point *)', '*']]);
  assert.equal(errors('BEGIN { $w = ((struct item *)0)->where; printf("%d", *$w); }'), [['conversion 1 expects an integer, but this is struct point', '*$w']]);
});

t('`.` on a pointer reads through it as `->` does (the newest bpftrace): the same program', () => {
  const dot = ok('BEGIN { $i = (struct item *)0x1000; printf("%d %d %d\\n", $i.id, $i.where.y, (uint64)&$i.origin.y); }');
  const arrow = ok('BEGIN { $i = (struct item *)0x1000; printf("%d %d %d\\n", $i->id, $i->where->y, (uint64)&$i->origin.y); }');
  assert.is(dot.programs[0]!.bytecode, arrow.programs[0]!.bytecode);
});

t('errors: each at the text it is about, with a hint where one helps', () => {
  const cases: [string, [string, string][]][] = [
    ['BEGIN { $x = 5; print(*$x); }', [['cannot dereference int64: it is not a pointer', '*$x']]],
    ['BEGIN { $p = (void *)0; print(*$p); }', [['cannot dereference a `void *`: what it points to has no type', '*$p']]],
    ['BEGIN { $p = (void *)0; $q = $p + 1; }', [['arithmetic on a `void *`: the size of what it points to is unknown', '+']]],
    ['BEGIN { $p = (void *)0; $p++; }', [['arithmetic on a `void *`: the size of what it points to is unknown', '$p++']]],
    ['BEGIN { $p = ((struct holder *)0)->secret; $q = $p + 1; }', [['arithmetic on struct opaque *: struct opaque is declared but not defined', '+']]],
    ['BEGIN { $p = ((struct holder *)0)->secret; print(*$p); }', [["struct opaque is declared but not defined in the kernel's types", '*$p']]],
    ['BEGIN { $p = (struct item *)0; $q = $p; print($p - $q); }', [['`-` cannot combine two pointers (struct item * and struct item *)', '-']]],
    ['BEGIN { $p = (struct item *)0; print(1 - $p); }', [['a pointer cannot be subtracted from an integer', '-']]],
    ['BEGIN { $p = (struct item *)0; print($p & 0xfff); }', [['`&` cannot be used on a pointer (struct item *)', '&']]],
    ['BEGIN { $p = (struct item *)0; $p <<= 1; }', [['`<<=` cannot be used on a pointer (struct item *)', '$p <<= 1']]],
    ['BEGIN { $p = (struct item *)0; print(~$p); }', [['`~` cannot be used on a pointer (struct item *)', '~$p']]],
    ['BEGIN { $x = 1; $p = &$x; }', [['cannot take the address of a variable', '$x']]],
    ['BEGIN { @m = 1; $p = &@m; }', [['cannot take the address of a map', '@m']]],
    ['BEGIN { $i = (struct item *)0; $p = &$i->flags; }', [['cannot take the address of the bitfield `flags`', '$i->flags']]],
    ['BEGIN { $s = *(struct item *)0; $p = &$s.origin; }', [['cannot take the address of this field (it is not in kernel or user memory)', '$s.origin']]],
    ['BEGIN { $b = *(struct big *)0; }', [['struct big is 300 bytes, too big to keep in a variable or a map (at most 256)', '*(struct big *)0']]],
    ['BEGIN { print((enum shade)1); }', [["no enum shade in the kernel's types", 'enum shade']]],
    ['BEGIN { $s = *(struct item *)0; $t = *(struct point *)0; $s = $t; }', [['`$s` holds struct item; cannot assign struct point', '$t']]],
  ];
  for (const [src, expected] of cases) assert.equal(errors(src), expected, src);
});

t('raw tracepoint args are typed from btf_trace_<name>; fentry args from the function', () => {
  const a = ok('rawtracepoint:item_event { printf("%d %d %s\\n", args->code, args->item->id, args->item->color); print(*args->item); print(args->item->origin); }');
  assert.equal(a.programs[0]!.attach, { kind: 'raw_tracepoint', name: 'item_event' });
  ok('rawtracepoint:item_event { $i = args->item; @[$i->name] = count(); print(arg1 == args->code); }');
  assert.equal(errors('rawtracepoint:item_event { print(args->cod); }'), [['rawtracepoint:item_event arguments has no field `cod`', 'cod']]);
  ok('fentry:handle_item { print(*args->item); printf("%s\\n", args->item->color); }');
  // Without BTF for it (an event tracefs lists), a raw tracepoint keeps arg0...
  ok('rawtracepoint:other_event { print(arg0); }');
  assert.equal(errors('rawtracepoint:other_event { print(args->x); }'), [['`args` is not available in rawtracepoint probes', 'args']]);
});

t('raw tracepoint names are checked at compile time: BTF\'s btf_trace_* typedefs, tracefs events without BTF', () => {
  const r = build('BEGIN { print(1); } rawtracepoint:item_evnt { print(arg0); }');
  assert.equal(r.diagnostics.map((d) => [d.message, d.hint, 'BEGIN { print(1); } rawtracepoint:item_evnt { print(arg0); }'.slice(d.span.start, d.span.end)]),
    [['no raw tracepoint `item_evnt` in this kernel', 'did you mean `rawtracepoint:item_event`?', 'rawtracepoint:item_evnt']]);
  // System call events are built on raw_syscalls:sys_enter, not tracepoints of their own.
  assert.equal(errors('rawtracepoint:sys_enter_thing { print(arg0); }'), [['no raw tracepoint `sys_enter_thing` in this kernel', 'rawtracepoint:sys_enter_thing']]);
  ok('rawtracepoint:vmlinux:item_event { print(arg0); }');
  assert.equal(errors('rawtracepoint:somemod:item_event { print(arg0); }'), [['no raw tracepoint `somemod:item_event` in this kernel', 'rawtracepoint:somemod:item_event']]);
  // Without BTF: tracefs's events are the names.
  const noBtf: KernelInfo = { ...kernel, kernelTypes: () => ({ unavailable: 'no BTF here' }) };
  assert.equal(compile('rawtracepoint:other_evnt { print(arg0); }', { kernel: noBtf }).diagnostics.map((d) => [d.message, d.hint]),
    [['no raw tracepoint `other_evnt` in this kernel', 'did you mean `rawtracepoint:other_event`?']]);
  assert.equal(compile('rawtracepoint:paint { print(arg0); }', { kernel: noBtf }).diagnostics, []);
  // Nothing to check against: compiled as written (attaching tells).
  const nothing: KernelInfo = { ...noBtf, tracingUnavailable: () => 'no tracefs' };
  assert.equal(compile('rawtracepoint:whatever { print(arg0); }', { kernel: nothing }).diagnostics, []);
});

t('tsbt -l lists raw tracepoints from BTF, or from tracefs without it', () => {
  assert.equal(listProbes(stdlib, kernel, 'rawtracepoint:*', false), ['rawtracepoint:item_event']);
  assert.equal(listProbes(stdlib, { ...kernel, kernelTypes: () => ({ unavailable: 'no BTF' }) }, 'rt:*', false),
    ['rawtracepoint:hold', 'rawtracepoint:other_event', 'rawtracepoint:paint']);
});

t('an identifier that is no builtin but a BTF enumerator is that constant, typed as its enum', () => {
  const a = ok('BEGIN { printf("%d %s %d\\n", BLUE, GREEN, BLUE + 1); @[RED] = count(); $c = LAST_COLOR; print($c); if (pid == 7 && BLUE > RED) { exit(); } }');
  const event = a.events.find((e) => e.kind === 'printf') as PrintfEvent;
  const record = new DataView(new ArrayBuffer(event.size));
  record.setBigUint64(8, 2n, true);
  record.setBigUint64(16, 1n, true);
  record.setBigUint64(24, 3n, true);
  assert.is(formatPrintf(event.format, decodeEventArgs(event.args, record)), '2 GREEN 3\n');
  const names = { name: 'color', names: { 0: 'RED', 1: 'GREEN', 2: 'BLUE' } };
  assert.equal(a.maps.find((m) => m.scriptName === '@')!.key!.fields, [{ kind: 'int', offset: 0, size: 8, signed: false, enum: names }]);
  // Constants: folded into the program (unroll counts and lhist bounds take them too).
  const asm = build('BEGIN { @x = BLUE * 1000 + GREEN; }').programs![0]!.code.insns.map((i) => i.imm);
  assert.ok(asm.includes(2001), 'BLUE * 1000 + GREEN is folded');
  ok('BEGIN { unroll(BLUE) { @n = count(); } @h = lhist(1, RED, BLUE, GREEN); }');
  // Builtins win: `pid` is the process id, not enum clash's pid.
  assert.ok(!build('BEGIN { @p = pid; }').programs![0]!.code.insns.some((i) => i.imm === 7), 'pid is not the enumerator');
  // Unknown names keep their suggestions; without BTF an enumerator is just unknown.
  assert.equal(build('BEGIN { print(pidd); }').diagnostics.map((d) => [d.message, d.hint]), [['unknown identifier `pidd`', 'did you mean `pid`?']]);
  assert.equal(compile('BEGIN { print(BLUE); }', {}).diagnostics.map((d) => d.message), ['unknown identifier `BLUE`']);
});

/** The probe_read helpers a program calls, in order. */
function reads(src: string, program = 0): string[] {
  ok(src);
  return build(src).programs![program]!.code.insns.filter((i) => i.code === 0x85 && (i.imm === 112 || i.imm === 113)).map((i) => (i.imm === 112 ? 'user' : 'kernel'));
}

t('tracepoint pointer fields are pointers to the type the format names (BTF), in the event\'s address space', () => {
  assert.equal(reads('tracepoint:test:hold { printf("%d %d %s\\n", args->where->y, *args->counts, str(args->label)); @[args->cookie] = 1; print((*args->items)->id); }'),
    ['kernel', 'kernel', 'kernel', 'kernel']);
  // System call records hold pointers into the calling process: read with probe_read_user.
  assert.equal(reads('tracepoint:syscalls:hold { printf("%d\\n", args->where->y); }'), ['user']);
  // A pointer cast to another pointer type keeps its address space: curtask stays a kernel pointer.
  assert.equal(reads('tracepoint:syscalls:hold { $i = (struct item *)args->where; $k = (struct item *)curtask; printf("%d %d %d\\n", $i->id, $k->id, ((struct item *)0x10)->id); }'),
    ['user', 'kernel', 'user']);
  // Maps and print() show pointers in hex; comparisons and %d/%p/%x take them as numbers.
  const m = ok('tracepoint:test:hold { @p[args->where] = args->cookie; if (args->where != 0 && args->cookie > 4096) { printf("%p %llx %u\\n", args->where, args->cookie, args->label); } }');
  const map = m.maps.find((x) => x.scriptName === '@p')!;
  assert.equal(map.key!.fields, [{ kind: 'int', offset: 0, size: 8, signed: false, pointer: true }]);
  assert.equal(map.value, { kind: 'int', size: 8, signed: false, pointer: true });
  // A struct BTF does not have leaves the field a number (castable, as before).
  ok('tracepoint:test:hold { printf("%d\\n", ((struct point *)args->gone)->x + args->gone); }');
  assert.equal(errors('tracepoint:test:hold { print(args->gone->x); }'), [['uint64 has no fields', 'x']]);
  assert.equal(errors('tracepoint:test:hold { print(args->where->z); }'), [['struct point has no field `z`', 'z']]);
  assert.equal(errors('tracepoint:test:hold { print(*args->cookie); }'), [['cannot dereference a `void *`: what it points to has no type', '*args->cookie']]);
  // BTF is looked at only for the struct pointer fields the script reads.
  let lookups = 0;
  const counting: KernelInfo = { ...kernel, kernelTypes: () => (lookups++, btf) };
  assert.equal(compile('tracepoint:test:hold { printf("%s %d\\n", str(args->label), args->cookie == 0); }', { kernel: counting }).diagnostics, []);
  assert.is(lookups, 0);
  assert.equal(errors('tracepoint:test:hold { printf("%s", args->label); }'), [['conversion 1 (%s) expects a string, but this is int8 *', 'args->label']]);
});

t.run();
