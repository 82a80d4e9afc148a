// Stack and symbol text (runtime/format/stack.ts). The golden strings are bpftrace v0.17.0's output
// on Linux 6.18 (x86-64), copied byte for byte (`| cat -A` checked: 4-space indent in keys, 8
// elsewhere, tabs in perf mode). The symbols are rebuilt here from the addresses bpftrace printed:
// kernel ones through a kallsyms fixture, user ones through a table.
//
// The program traced (built with cc -O1 -g -fno-omit-frame-pointer, run as ./tsbtprobe; it printed
// pid 32138 and &leaf &mid &top = 0x561a47589189 0x561a475891a1 0x561a475891b1):
//   __attribute__((noinline)) int leaf(int x) { return (int)getppid() + x; }
//   __attribute__((noinline)) int mid(int x) { return leaf(x + 1) * 2; }
//   __attribute__((noinline)) int top(int x) { return mid(x + 1) + 1; }
//   int main(void) { ...; for (;;) { s += top(1); ...; usleep(20000); } }
//
// The script (bpftrace /tmp/t1.bt):
//   tracepoint:syscalls:sys_enter_getppid /pid == 32138/ {
//     @x = kstack; @y[1] = kstack(3); @z[kstack(perf)] = count();
//     printf("P[%s]\n", kstack(2)); printf("Q[%s]\n", kstack(perf, 2));
//     @s = ksym(kaddr("vfs_read")); @t = kaddr("vfs_read"); @u = ksym(kaddr("vfs_read")+5);
//     @v = ksym(0); @v2 = ksym(1);
//     @us[ustack] = count(); @up[ustack(perf)] = count(); @u3[ustack(3)] = count();
//     printf("U[%s]\n", ustack(perf, 2)); print(kstack(2)); print(ustack(2)); exit(); }
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelSymbols } from '../../runtime/kernel/symbols/kallsyms.ts';
import {
  formatPointer,
  renderStack,
  renderSymbol,
  stackFrames,
  STACK_KEY_INDENT,
  STACK_VALUE_INDENT,
  type ResolvedSymbol,
} from '../../runtime/format/stack.ts';

const kernel = KernelSymbols.fromText(
  [
    'ffffffff810000ba T entry_SYSCALL_64_after_hwframe',
    'ffffffff81417bf0 t syscall_trace_enter',
    'ffffffff814b29a0 T perf_syscall_enter',
    'ffffffff816bab70 T vfs_read',
    'ffffffff821ef620 T do_syscall_64',
    '',
  ].join('\n'),
);
const ksym = (a: bigint) => kernel.resolve(a);

/** The kernel stack of the getppid tracepoint, as bpf_get_stackid stored it (zero-filled to 127). */
const KSTACK = [0xffffffff814b2b2dn, 0xffffffff81417d70n, 0xffffffff821ef81an, 0xffffffff81000130n, ...Array(123).fill(0n)];

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const EXE = '/tmp/sx/tsbtprobe';
const USER: [bigint, string, string][] = [
  [0x7fe37b08a4f0n, 'getppid', LIBC],
  [0x561a475891a1n, 'mid', EXE],
  [0x561a475891b1n, 'top', EXE],
  [0x561a475891c2n, 'main', EXE],
  [0x7fe37afdc1d0n, '__libc_start_call_main', LIBC],
];
function usym(a: bigint): ResolvedSymbol | undefined {
  // The nearest function start at or below, if within 0x100 bytes.
  let best: [bigint, string, string] | undefined;
  for (const f of USER) if (f[0] <= a && a < f[0] + 0x100n && (!best || f[0] > best[0])) best = f;
  return best && { name: best[1], offset: a - best[0], module: best[2] };
}
const USTACK = [0x7fe37b08a4f7n, 0x561a475891adn, 0x561a475891bdn, 0x561a4758921an, 0x7fe37afdc24an, 0n, 0n];

const t = suite('format: stacks and symbols as bpftrace 0.17 prints them');

t('kstack as a map value: 8-space indent, a blank line after (@x = kstack)', () => {
  // bpftrace: "@x: \n        perf_syscall_enter+397\n ... \n\n"
  const text = '@x: ' + renderStack(KSTACK, { mode: 'bpftrace', resolve: ksym }) + '\n';
  assert.is(
    text,
    '@x: \n' +
      '        perf_syscall_enter+397\n' +
      '        syscall_trace_enter+384\n' +
      '        do_syscall_64+506\n' +
      '        entry_SYSCALL_64_after_hwframe+118\n' +
      '\n',
  );
});

t('kstack(3): three frames (@y[1] = kstack(3))', () => {
  const text = '@y[1]: ' + renderStack(KSTACK, { mode: 'bpftrace', resolve: ksym, limit: 3 }) + '\n';
  assert.is(text, '@y[1]: \n        perf_syscall_enter+397\n        syscall_trace_enter+384\n        do_syscall_64+506\n\n');
});

t('kstack(perf) as a map key: tab, hex address, symbol+offset, no module', () => {
  const text = '@z[' + renderStack(KSTACK, { mode: 'perf', resolve: ksym, context: 'key' }) + ']: 6\n';
  assert.is(
    text,
    '@z[\n' +
      '\tffffffff814b2b2d perf_syscall_enter+397\n' +
      '\tffffffff81417d70 syscall_trace_enter+384\n' +
      '\tffffffff821ef81a do_syscall_64+506\n' +
      '\tffffffff81000130 entry_SYSCALL_64_after_hwframe+118\n' +
      ']: 6\n',
  );
});

t('kstack as a map key: 4-space indent (profile:hz:99 { @[kstack] = count(); })', () => {
  // bpftrace -e 'profile:hz:99 { @[kstack] = count(); } interval:s:1 { exit(); }' printed e.g.
  // "@[\n    _raw_spin_unlock_irqrestore+25\n    folios_put_refs+257\n...]: 1"
  const text = '@[' + renderStack(KSTACK.slice(0, 2), { mode: 'bpftrace', resolve: ksym, context: 'key' }) + ']: 1\n';
  assert.is(text, '@[\n    perf_syscall_enter+397\n    syscall_trace_enter+384\n]: 1\n');
});

t('printf("%s") and print(): 8-space indent', () => {
  const k2 = { mode: 'bpftrace' as const, resolve: ksym, limit: 2 };
  assert.is(`P[${renderStack(KSTACK, k2)}]\n`, 'P[\n        perf_syscall_enter+397\n        syscall_trace_enter+384\n]\n');
  assert.is(
    `Q[${renderStack(KSTACK, { mode: 'perf', resolve: ksym, limit: 2 })}]\n`,
    'Q[\n\tffffffff814b2b2d perf_syscall_enter+397\n\tffffffff81417d70 syscall_trace_enter+384\n]\n',
  );
  // print(kstack(2)) is the stack then a newline.
  assert.is(renderStack(KSTACK, k2) + '\n', '\n        perf_syscall_enter+397\n        syscall_trace_enter+384\n\n');
  assert.is(
    renderStack(USTACK, { mode: 'bpftrace', resolve: usym, limit: 2 }) + '\n',
    '\n        getppid+7\n        mid+12\n\n',
  );
});

t('ustack as a map key, ustack(3), ustack(perf) with modules', () => {
  assert.is(
    '@us[' + renderStack(USTACK, { mode: 'bpftrace', resolve: usym, context: 'key', user: true }) + ']: 6\n',
    '@us[\n    getppid+7\n    mid+12\n    top+12\n    main+88\n    __libc_start_call_main+122\n]: 6\n',
  );
  assert.is(
    '@u3[' + renderStack(USTACK, { mode: 'bpftrace', resolve: usym, context: 'key', limit: 3, user: true }) + ']: 6\n',
    '@u3[\n    getppid+7\n    mid+12\n    top+12\n]: 6\n',
  );
  assert.is(
    '@up[' + renderStack(USTACK, { mode: 'perf', resolve: usym, context: 'key', user: true }) + ']: 6\n',
    '@up[\n' +
      '\t7fe37b08a4f7 getppid+7 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n' +
      '\t561a475891ad mid+12 (/tmp/sx/tsbtprobe)\n' +
      '\t561a475891bd top+12 (/tmp/sx/tsbtprobe)\n' +
      '\t561a4758921a main+88 (/tmp/sx/tsbtprobe)\n' +
      '\t7fe37afdc24a __libc_start_call_main+122 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n' +
      ']: 6\n',
  );
  assert.is(
    `U[${renderStack(USTACK, { mode: 'perf', resolve: usym, limit: 2, user: true })}]\n`,
    'U[\n\t7fe37b08a4f7 getppid+7 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\t561a475891ad mid+12 (/tmp/sx/tsbtprobe)\n]\n',
  );
});

t('unresolved frames: 0x + hex; in ustack(perf) also ([unknown])', () => {
  // An exited process (./spin 2, bpftrace printing after 4 s):
  //   bpftrace -e 'profile:hz:999 /pid == N/ { @[ustack(perf)] = count(); @b[ustack(3)] = count(); } interval:s:4 { exit(); }'
  //   "@[\n\t7f9276b0d439 0x7f9276b0d439 ([unknown])\n\t563083ff8233 0x563083ff8233 ([unknown])\n\t7f9276a6524a 0x7f9276a6524a ([unknown])\n]: 1"
  const none = () => undefined;
  const frames = [0x7f9276b0d439n, 0x563083ff8233n, 0x7f9276a6524an];
  assert.is(
    '@[' + renderStack(frames, { mode: 'perf', resolve: none, context: 'key', user: true }) + ']: 1',
    '@[\n\t7f9276b0d439 0x7f9276b0d439 ([unknown])\n\t563083ff8233 0x563083ff8233 ([unknown])\n\t7f9276a6524a 0x7f9276a6524a ([unknown])\n]: 1',
  );
  assert.is(
    '@b[' + renderStack(frames, { mode: 'bpftrace', resolve: none, context: 'key', user: true }) + ']: 1',
    '@b[\n    0x7f9276b0d439\n    0x563083ff8233\n    0x7f9276a6524a\n]: 1',
  );
  // Kernel frames alike, without a module: ksym's fallback.
  assert.is(renderStack([0xffffffff81000000n], { mode: 'perf', resolve: none }), '\n\tffffffff81000000 0xffffffff81000000\n');
});

t('a failed stack id prints nothing: @[]', () => {
  // profile:hz:99 { @[kstack] = count(); } printed "@[]: 167" for samples taken in user space.
  assert.is('@[' + renderStack(undefined, { mode: 'bpftrace', resolve: ksym, context: 'key' }) + ']: 167', '@[]: 167');
});

t('stacks inside tuple keys', () => {
  // @a[comm, kstack(2)] = count(); @b[ustack(2), 5] = count();
  // "@a[tsbtprobe, \n    perf_syscall_enter+397\n    syscall_trace_enter+384\n]: 1"
  // "@b[\n    getppid+7\n    mid+12\n, 5]: 1"
  const k = renderStack(KSTACK, { mode: 'bpftrace', resolve: ksym, context: 'key', limit: 2 });
  const u = renderStack(USTACK, { mode: 'bpftrace', resolve: usym, context: 'key', limit: 2, user: true });
  assert.is(`@a[tsbtprobe, ${k}]: 1`, '@a[tsbtprobe, \n    perf_syscall_enter+397\n    syscall_trace_enter+384\n]: 1');
  assert.is(`@b[${u}, 5]: 1`, '@b[\n    getppid+7\n    mid+12\n, 5]: 1');
});

t('ksym/usym: the name alone; 0 prints as 0, unresolved as 0x...', () => {
  // @s: vfs_read   @u: vfs_read (kaddr+5)   @v: 0   @v2: 0x1
  const vfsRead = kernel.address('vfs_read')!;
  assert.is(renderSymbol(vfsRead, ksym, false), 'vfs_read');
  assert.is(renderSymbol(vfsRead + 5n, ksym, false), 'vfs_read');
  assert.is(renderSymbol(0n, ksym, false), '0');
  assert.is(renderSymbol(1n, ksym, false), '0x1');
  // uprobe:/tmp/sx/tsbtprobe:leaf { printf("usym %s|\n", usym(reg("ip"))); } -> "usym leaf|"
  assert.is(renderSymbol(0x561a475891a1n, usym, false), 'mid');
  assert.is(renderSymbol(0x561a475891adn, usym, true), 'mid+12');
  assert.is(renderSymbol(0x561a475891adn, usym, true, true), 'mid+12 (/tmp/sx/tsbtprobe)');
  assert.is(renderSymbol(0x1234n, usym, true, true), '0x1234 ([unknown])');
  assert.is(formatPointer(0xffffffffffffffffn), '0xffffffffffffffff');
  assert.is(formatPointer(-1n), '0xffffffffffffffff');
});

t('raw mode (bpftrace 0.18+ kstack(raw)): hex addresses, no indent, no symbols', () => {
  assert.is(renderStack(KSTACK, { mode: 'raw', resolve: ksym, limit: 2 }), '\nffffffff814b2b2d\nffffffff81417d70\n');
});

t('frames stop at the first zero; signed values are taken as u64', () => {
  assert.is(renderStack([0xffffffff814b2b2dn, 0n, 0xffffffff81417d70n], { mode: 'raw', resolve: ksym }), '\nffffffff814b2b2d\n');
  assert.is(renderStack([-0x7eb4d4d3n], { mode: 'raw', resolve: ksym }), '\nffffffff814b2b2d\n');
  assert.is(renderStack([], { mode: 'bpftrace', resolve: ksym }), '\n');
  assert.is(STACK_KEY_INDENT, 4);
  assert.is(STACK_VALUE_INDENT, 8);
});

t('stackFrames: a stack map value (127 x u64, zero-filled) to frames', () => {
  const value = new Uint8Array(127 * 8);
  const view = new DataView(value.buffer);
  view.setBigUint64(0, 0xffffffff814b2b2dn, true);
  view.setBigUint64(8, 0xffffffff81417d70n, true);
  assert.equal(stackFrames(value), [0xffffffff814b2b2dn, 0xffffffff81417d70n]);
  assert.equal(stackFrames(value.subarray(8)), [0xffffffff81417d70n]);
  assert.equal(stackFrames(new Uint8Array(16)), []);
});

t.run();
