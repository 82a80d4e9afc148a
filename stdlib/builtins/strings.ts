// Strings read from memory: str(ptr[, n]) copies a NUL-terminated string (user memory in syscall
// tracepoints and uprobes, kernel memory elsewhere) into a fixed-size, NUL-padded buffer; buf(ptr, n)
// copies n bytes whatever they are. Also strncmp, strcontains and strlen on strings.

import { literalBytes } from '../../grammar/literals.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction } from '../../compiler/registry.ts';
import { type Type, boolType, storageSize, typeName } from '../../compiler/types/types.ts';
import type { Expr } from '../../grammar/ast.ts';
import { writeBytes, zeroMemory } from '../../compiler/passes/memory.ts';

export const str: BuiltinFunction = {
  name: 'str', signature: 'str(ptr[, int n])', role: 'value', rawArgs: true,
  summary: 'the NUL-terminated string at an address, up to n bytes (default max_strlen, 64)',
  check(call, c) {
    const [p, n] = call.args;
    if (!p || call.args.length > 2) {
      c.error('`str()` takes an address and an optional length', call.span);
      return { kind: 'void' };
    }
    if (p.kind === 'Positional' && !p.count) {
      // str($1[, n]): a positional parameter as a string (its first n bytes).
      const arg = c.positional(p.index);
      if (arg === undefined) c.error(`\`$${p.index}\` is not given`, p.span);
      let length = Buffer.byteLength(arg ?? '');
      if (n) {
        c.expr(n);
        const v = c.constantOf(n);
        if (v === undefined || v < 1n || v > 4096n) c.error('the length must be a constant from 1 to 4096', n.span);
        else length = Math.min(length, Number(v));
      }
      return { kind: 'string', size: length + 1 };
    }
    const t = c.expr(p);
    if (t.kind !== 'int' && t.kind !== 'void') c.error(`\`str()\` needs an address, not ${typeName(t)}`, p.span);
    let size = c.maxStrlen();
    if (n) {
      c.expr(n);
      const v = c.constantOf(n);
      if (v === undefined || v < 1n || v > 4096n) c.error('the length must be a constant from 1 to 4096', n.span);
      else size = Number(v) + 1;
    }
    return { kind: 'string', size };
  },
  lowerInto(call, l, base, off, size, padded = true) {
    const [p] = call.args;
    if (p!.kind === 'Positional') {
      const t = l.typeOf(call);
      const bytes = Buffer.from(l.positional(p!.index)).subarray(0, t.kind === 'string' ? t.size - 1 : undefined);
      writeBytes(l.b, bytes, base, off, size);
      return;
    }
    // Zero first: the helper stops at the NUL, and strings are compared and hashed as whole buffers.
    if (padded) zeroMemory(l.b, base, off, size);
    const t = l.typeOf(call);
    const n = Math.min(size, t.kind === 'string' ? t.size : size);
    const helper = l.probe.userPointers ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
    l.b.call(helper, [reg(l.pointer(base, off)), imm(n), l.int(p!)], false);
  },
};

/** Both strings written NUL-padded into stack buffers of `size` bytes (a multiple of 8). */
function twoBuffers(l: Parameters<NonNullable<BuiltinFunction['lower']>>[1], a: Expr, b: Expr, size: number): [number, number] {
  const x = l.b.frame.alloc(size);
  const y = l.b.frame.alloc(size);
  l.writeInto(a, 'fp', x, size);
  l.writeInto(b, 'fp', y, size);
  return [x, y];
}

const stringSize = (t: Type) => (t.kind === 'string' ? t.size : 8);

export const strncmp: BuiltinFunction = {
  name: 'strncmp', signature: 'strncmp(string a, string b, int n)', role: 'value',
  summary: '0 when the first n bytes of two strings are equal (up to their end), 1 otherwise',
  check(call, c) {
    const [a, b, n] = call.args;
    if (call.args.length !== 3 || !a || !b || !n || c.typeOf(a).kind !== 'string' || c.typeOf(b).kind !== 'string') {
      c.error('`strncmp()` takes two strings and a constant length', call.span);
    } else if (c.constantOf(n) === undefined || c.constantOf(n)! < 0n) c.error('the length must be a constant', n.span);
    return { kind: 'int', size: 8, signed: true };
  },
  lower(call, l) {
    const [a, b, nExpr] = call.args as [Expr, Expr, Expr];
    const n = Math.min(Number(l.constantOf(nExpr) ?? 0n), Math.max(stringSize(l.typeOf(a)), stringSize(l.typeOf(b))));
    const out = l.b.reg();
    l.b.mov(out, imm(1));
    const differ = l.b.label('ncmp');
    if (n > 0) {
      // Strings are NUL-padded, so comparing n bytes compares "up to the end" as C's strncmp does.
      const [x, y] = twoBuffers(l, a, b, Math.ceil(n / 8) * 8);
      let at = 0;
      for (; at + 8 <= n; at += 8) l.b.jcond('jne', l.b.load(8, 'fp', x + at), reg(l.b.load(8, 'fp', y + at)), differ);
      for (; at < n; at++) l.b.jcond('jne', l.b.load(1, 'fp', x + at), reg(l.b.load(1, 'fp', y + at)), differ);
    }
    l.b.mov(out, imm(0));
    l.b.place(differ);
    return reg(out);
  },
};

export const strcontains: BuiltinFunction = {
  name: 'strcontains', signature: 'strcontains(string haystack, string needle)', role: 'value',
  summary: 'true if the string contains the needle (a string literal), false otherwise (a bool)',
  check(call, c) {
    const [h, n] = call.args;
    if (call.args.length !== 2 || !h || c.typeOf(h).kind !== 'string' || n?.kind !== 'Str') {
      c.error('`strcontains()` takes a string and a string literal to look for', call.span);
    }
    return boolType;
  },
  lower(call, l) {
    const [h, n] = call.args as [Expr, Expr & { kind: 'Str' }];
    const needle = literalBytes(n.value);
    const size = stringSize(l.typeOf(h));
    const hay = l.b.frame.alloc(Math.ceil(size / 8) * 8);
    l.writeInto(h, 'fp', hay, Math.ceil(size / 8) * 8);
    const out = l.b.reg();
    const found = l.b.label('found');
    l.b.mov(out, imm(1));
    if (needle.length > 0) {
      // Unrolled: every start position, byte by byte against the literal (the NUL never matches).
      for (let start = 0; start + needle.length <= size - 1; start++) {
        const next = l.b.label('cnext');
        for (let i = 0; i < needle.length; i++) l.b.jcond('jne', l.b.load(1, 'fp', hay + start + i), imm(needle[i]!), next);
        l.b.jmp(found);
        l.b.place(next);
      }
      l.b.mov(out, imm(0));
    }
    l.b.place(found);
    return reg(out);
  },
};

export const strlen: BuiltinFunction = {
  name: 'strlen', signature: 'strlen(string s)', role: 'value',
  summary: 'the length of a string',
  check(call, c) {
    const [s] = call.args;
    if (call.args.length !== 1 || !s || c.typeOf(s).kind !== 'string') c.error('`strlen()` takes a string', call.span);
    return { kind: 'int', size: 8, signed: false };
  },
  lower(call, l) {
    const s = call.args[0]!;
    const size = stringSize(l.typeOf(s));
    const buf = l.b.frame.alloc(Math.ceil(size / 8) * 8);
    l.writeInto(s, 'fp', buf, Math.ceil(size / 8) * 8);
    const out = l.b.reg();
    const done = l.b.label('slen');
    // The first NUL's position: an unrolled scan (the buffer always ends in one).
    for (let i = 0; i < size; i++) {
      l.b.mov(out, imm(i));
      l.b.jcond('jeq', l.b.load(1, 'fp', buf + i), imm(0), done);
    }
    l.b.mov(out, imm(size));
    l.b.place(done);
    return reg(out);
  },
};

/**
 * buf(p, n) / buf(array): n bytes of memory as { u64 length; u8 data[capacity] }, printed hex-escaped by
 * printf's %r (and by print() and map printing). A constant n sizes the buffer; otherwise the buffer
 * holds max_strlen bytes and n is clamped to it at run time.
 */
export const buf: BuiltinFunction = {
  name: 'buf', signature: 'buf(ptr, int n) | buf(array)', role: 'value',
  summary: 'n bytes read from an address (or an array\'s bytes), printed hex-escaped with printf %r',
  check(call, c) {
    const [p, n] = call.args;
    const fallback: Type = { kind: 'buffer', capacity: 1 };
    if (!p || call.args.length > 2) {
      c.error('`buf()` takes an address and a length, or an array', call.span);
      return fallback;
    }
    const t = c.typeOf(p);
    const max = c.maxStrlen();
    const inherent = t.kind === 'array' ? t.elem.size * t.count : t.kind === 'string' ? t.size : undefined;
    if (t.kind !== 'int' && inherent === undefined) {
      c.error(`\`buf()\` reads from an address or an array, not ${typeName(t)}`, p.span);
      return fallback;
    }
    if (!n) {
      if (inherent === undefined) {
        c.error('`buf()` of an address needs a length', call.span, 'write buf(ptr, n)');
        return fallback;
      }
      return { kind: 'buffer', capacity: Math.min(inherent, max) };
    }
    if (c.typeOf(n).kind !== 'int') {
      c.error('the length must be an integer', n.span);
      return fallback;
    }
    const v = c.constantOf(n);
    if (v === undefined) return { kind: 'buffer', capacity: inherent === undefined ? max : Math.min(inherent, max) };
    if (v < 1n) {
      c.error('the length must be at least 1', n.span);
      return fallback;
    }
    if (v > BigInt(max)) {
      c.warn(`buf() reads at most max_strlen (${max}) bytes: ${v} is shortened to ${max}`, n.span, 'raise it with config = { max_strlen = N }');
      return { kind: 'buffer', capacity: max };
    }
    return { kind: 'buffer', capacity: Number(v) };
  },
  lowerInto(call, l, base, off, size) {
    const [p, n] = call.args as [Expr, Expr | undefined];
    const t = l.typeOf(call);
    const capacity = t.kind === 'buffer' ? t.capacity : 0;
    // Zeroed first: buffers are compared and hashed (as map keys) as whole bytes.
    zeroMemory(l.b, base, off, size);
    const pt = l.typeOf(p);
    const length = l.b.reg();
    const constant = n ? l.constantOf(n) : undefined;
    if (!n || constant !== undefined) l.b.mov(length, imm(Math.min(capacity, Number(constant ?? BigInt(capacity)))));
    else {
      // A length known only now: clamp it (unsigned) to the capacity, which also bounds it for the verifier.
      l.b.mov(length, l.int(n));
      const fits = l.b.label('buflen');
      l.b.jcond('jle', length, imm(capacity), fits);
      l.b.mov(length, imm(capacity));
      l.b.place(fits);
    }
    l.b.store(8, base, off, reg(length));
    if (pt.kind !== 'int') {
      // An array or a string: its bytes, as much as fits (a string literal past its NUL reads zeros).
      l.writeInto(p, base, off + 8, Math.min(capacity, storageSize(pt)));
      return;
    }
    const user = pt.user ?? l.probe.userPointers === true;
    l.b.call(user ? Helper.probe_read_user : Helper.probe_read_kernel, [reg(l.pointer(base, off + 8)), reg(length), l.int(p)], false);
  },
};
