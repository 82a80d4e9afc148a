// Strings read from memory: str(ptr[, n]) copies a NUL-terminated string (user memory in syscall
// tracepoints and uprobes, kernel memory elsewhere) into a fixed-size, NUL-padded buffer.

import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction } from '../../compiler/registry.ts';
import { typeName } from '../../compiler/types/types.ts';
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
      // str($1): a positional parameter as a string.
      const arg = c.positional(p.index);
      if (arg === undefined) c.error(`\`$${p.index}\` is not given`, p.span);
      return { kind: 'string', size: Buffer.byteLength(arg ?? '') + 1 };
    }
    const t = c.expr(p);
    if (t.kind !== 'int' && t.kind !== 'void') c.error(`\`str()\` needs an address, not ${typeName(t)}`, p.span);
    let size = 64;
    if (n) {
      c.expr(n);
      const v = c.constantOf(n);
      if (v === undefined || v < 1n || v > 4096n) c.error('the length must be a constant from 1 to 4096', n.span);
      else size = Number(v) + 1;
    }
    return { kind: 'string', size };
  },
  lowerInto(call, l, base, off, size) {
    const [p] = call.args;
    if (p!.kind === 'Positional') {
      writeBytes(l.b, Buffer.from(l.positional(p!.index)), base, off, size);
      return;
    }
    // Zero first: the helper stops at the NUL, and strings are compared and hashed as whole buffers.
    zeroMemory(l.b, base, off, size);
    const t = l.typeOf(call);
    const n = Math.min(size, t.kind === 'string' ? t.size : size);
    const helper = l.probe.userPointers ? Helper.probe_read_user_str : Helper.probe_read_kernel_str;
    l.b.call(helper, [reg(l.pointer(base, off)), imm(n), l.int(p!)], false);
  },
};
