// Stacks and symbols as text, byte for byte as bpftrace 0.17 prints them (BPFtrace::get_stack,
// resolve_ksym, resolve_usym). Checked on this machine with bpftrace v0.17.0 (Linux 6.18, x86-64):
//
//   bpftrace -e 'tracepoint:syscalls:sys_enter_getppid /pid == N/ {
//     @k[kstack] = count(); @k3[kstack(3)] = count(); @kp[kstack(perf)] = count();
//     @u[ustack] = count(); @up[ustack(perf)] = count(); @v = kstack;
//     printf("P[%s]\n", kstack(2)); print(kstack(2)); @s = ksym(kaddr("vfs_read")); exit(); }'
//
// A stack is a newline, then one line per frame up to the first zero:
//   bpftrace mode  INDENT + `name+offset`   (offset in decimal)
//   perf mode      TAB + hex address (no 0x) + ' ' + `name+offset`, and for user stacks
//                  ' (' + module path + ')'
//   raw mode       hex address (no 0x), no indent (bpftrace 0.18+, `kstack(raw)`)
// INDENT is 4 spaces when the stack is (part of) a map key — `@[\n    f+1\n    g+2\n]: 3`,
// `@[comm, \n    f+1\n]: 1` — and 8 spaces anywhere else: printf("%s"), print(kstack), a map value
// (`@x: \n        f+1\n\n`).
// A frame no symbol covers prints as (void*)addr: `0x` + lowercase hex (and in perf mode
// `\t7f12 0x7f12 ([unknown])` for user stacks). A stack whose id was negative (bpf_get_stackid
// failed, e.g. kstack in a profile probe that interrupted user space) prints as nothing at all: `@[]`.
//
// ksym()/usym(): the name alone, no offset; unresolved as `0x` + hex, and 0 as `0` (iostream prints a
// null void* as 0).
import type { ResolvedSymbol } from '../kernel/symbols/kallsyms.ts';

export type { ResolvedSymbol } from '../kernel/symbols/kallsyms.ts';

export type StackMode = 'bpftrace' | 'perf' | 'raw';

export type SymbolResolver = (addr: bigint) => ResolvedSymbol | undefined;

/** Indentation of bpftrace-mode frames: a stack inside a map key, or printed anywhere else. */
export const STACK_KEY_INDENT = 4;
export const STACK_VALUE_INDENT = 8;

export interface RenderStackOptions {
  mode: StackMode;
  /** KernelSymbols.resolve for kstack, a UserSymbols.resolver(pid) for ustack. */
  resolve: SymbolResolver;
  /** At most this many frames (kstack(n)); the BPF side already stores no more than that. */
  limit?: number;
  /** A user stack: perf mode adds ` (module)` / ` ([unknown])` after each symbol. */
  user?: boolean;
  /**
   * Where the stack is printed: 'key' (inside `@[...]`, 4-space indent) or 'value' (printf %s,
   * print(), a map value: 8 spaces, the default).
   */
  context?: 'key' | 'value';
}

/**
 * A stack's text: '\n' then one line per frame, stopping at the first 0 (the stack map's value is
 * zero-filled after the last frame). `frames` undefined means the stack id was an error (negative):
 * bpftrace prints the empty string.
 */
export function renderStack(frames: readonly bigint[] | BigUint64Array | undefined, options: RenderStackOptions): string {
  if (frames === undefined) return '';
  const { mode, resolve } = options;
  const limit = options.limit ?? Infinity;
  const pad = ' '.repeat(options.context === 'key' ? STACK_KEY_INDENT : STACK_VALUE_INDENT);
  let out = '\n';
  for (let i = 0; i < frames.length && i < limit; i++) {
    const addr = BigInt.asUintN(64, frames[i]!);
    if (addr === 0n) break;
    switch (mode) {
      case 'raw':
        out += addr.toString(16) + '\n';
        break;
      case 'bpftrace':
        out += pad + renderSymbol(addr, resolve, true) + '\n';
        break;
      case 'perf':
        out += '\t' + addr.toString(16) + ' ' + renderSymbol(addr, resolve, true, options.user === true) + '\n';
        break;
    }
  }
  return out;
}

/**
 * One symbol as ksym()/usym() print it (name only) or as a stack frame does (`withOffset`:
 * `name+offset`, decimal). `withModule` (ustack(perf)) adds ` (module)`, or ` ([unknown])` when
 * unresolved. Unresolved: `0x` + hex, or `0` for address 0.
 */
export function renderSymbol(addr: bigint, resolve: SymbolResolver, withOffset: boolean, withModule = false): string {
  const a = BigInt.asUintN(64, addr);
  const sym = resolve(a);
  if (!sym) return formatPointer(a) + (withModule ? ' ([unknown])' : '');
  let out = sym.name;
  if (withOffset) out += '+' + sym.offset.toString();
  if (withModule) out += ' (' + (sym.module ?? '') + ')';
  return out;
}

/** How iostream prints a void*: `0x` + lowercase hex, and a null pointer as `0`. */
export function formatPointer(addr: bigint): string {
  const a = BigInt.asUintN(64, addr);
  return a === 0n ? '0' : '0x' + a.toString(16);
}

/**
 * The frames of a BPF_MAP_TYPE_STACK_TRACE value (127 u64 instruction pointers by default, native
 * endian, zero-filled after the last frame), up to the first zero.
 */
export function stackFrames(value: Uint8Array, littleEndian = true): bigint[] {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: bigint[] = [];
  for (let off = 0; off + 8 <= value.byteLength; off += 8) {
    const ip = view.getBigUint64(off, littleEndian);
    if (ip === 0n) break;
    out.push(ip);
  }
  return out;
}
