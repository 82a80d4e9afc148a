// printf and exit: both write one record to the event ring buffer ({u64 id, args...}); the format
// string stays in user space, which formats the record (ply's and bpftrace's design).

import type { BuiltinFunction } from '../../compiler/registry.ts';
import { typeName, voidType } from '../../compiler/types/types.ts';
import { parsePrintfFormat } from '../../grammar/printf-format.ts';

export const printf: BuiltinFunction = {
  name: 'printf', signature: 'printf(string fmt, ...)', role: 'statement', event: 'printf',
  summary: 'prints a formatted line, with as many arguments as the format has',
  check(call, c) {
    const [fmt, ...args] = call.args;
    if (!fmt || fmt.kind !== 'Str') {
      c.error('`printf()` needs a format string literal first', fmt?.span ?? call.span, 'e.g. printf("%d\\n", pid)');
      return voidType;
    }
    const parsed = parsePrintfFormat(fmt.value);
    if (!parsed.ok) {
      c.error(parsed.error.message, fmt.span, parsed.error.hint ?? 'conversions: %d %i %u %x %X %o %c %p %s %%');
      return voidType;
    }
    const kinds = parsed.format.conversions.map((conv) => conv.argKind);
    if (kinds.length !== args.length) {
      c.error(`the format has ${kinds.length} conversion${kinds.length === 1 ? '' : 's'} but ${args.length} argument${args.length === 1 ? ' is' : 's are'} given`,
        args.length > kinds.length ? args[kinds.length]!.span : call.span);
      return voidType;
    }
    kinds.forEach((kind, i) => {
      const arg = args[i]!;
      const t = c.typeOf(arg);
      if (kind === 'string' && t.kind !== 'string') c.error(`conversion ${i + 1} (%s) expects a string, but this is ${typeName(t)}`, arg.span, 'use %d for integers');
      if (kind !== 'string' && t.kind !== 'int') c.error(`conversion ${i + 1} expects an integer, but this is ${typeName(t)}`, arg.span, 'use %s for strings');
    });
    return voidType;
  },
  lowerStatement(call, l) {
    const plan = l.eventFor(call);
    l.emitEvent(plan.id, plan.size, (record) => {
      for (const arg of plan.args) if (!('constant' in arg)) l.writeInto(arg.expr, record, arg.offset, arg.size);
    });
  },
};

export const exit: BuiltinFunction = {
  name: 'exit', signature: 'exit()', role: 'statement', event: 'exit',
  summary: 'stops tracing: END runs, the maps print, tsbt exits',
  check(call, c) {
    if (call.args.length > 0) c.error('`exit()` takes no arguments yet', call.args[0]!.span);
    return voidType;
  },
  lowerStatement(call, l) {
    const plan = l.eventFor(call);
    l.emitEvent(plan.id, plan.size, () => {});
    l.returnFromProbe();
  },
};
