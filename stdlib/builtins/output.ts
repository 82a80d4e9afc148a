// printf and exit: both write one record to the event ring buffer ({u64 id, args...}); the format
// string stays in user space, which formats the record (ply's and bpftrace's design).

import type { BuiltinFunction } from '../../compiler/registry.ts';
import { typeName, voidType } from '../../compiler/types/types.ts';

const CONVERSION = /%([-+ 0#]*)(\d*)(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([a-zA-Z%])/g;

/** What each conversion of a format expects, or the first bad conversion. */
function conversions(format: string): { kinds: ('int' | 'string')[] } | { bad: string; index: number } {
  const kinds: ('int' | 'string')[] = [];
  for (const m of format.matchAll(CONVERSION)) {
    const c = m[5]!;
    if (c === '%') continue;
    if ('diuxXocp'.includes(c)) kinds.push('int');
    else if (c === 's') kinds.push('string');
    else return { bad: m[0], index: m.index ?? 0 };
  }
  return { kinds };
}

export const printf: BuiltinFunction = {
  name: 'printf', signature: 'printf(string fmt, ...)', role: 'statement', event: 'printf',
  summary: 'prints a formatted line, with as many arguments as the format has',
  check(call, c) {
    const [fmt, ...args] = call.args;
    if (!fmt || fmt.kind !== 'Str') {
      c.error('`printf()` needs a format string literal first', fmt?.span ?? call.span, 'e.g. printf("%d\\n", pid)');
      return voidType;
    }
    const parsed = conversions(fmt.value);
    if ('bad' in parsed) {
      c.error(`unknown conversion \`${parsed.bad}\` in the format`, fmt.span, 'conversions: %d %i %u %x %X %o %c %p %s %%');
      return voidType;
    }
    if (parsed.kinds.length !== args.length) {
      c.error(`the format has ${parsed.kinds.length} conversion${parsed.kinds.length === 1 ? '' : 's'} but ${args.length} argument${args.length === 1 ? ' is' : 's are'} given`,
        args.length > parsed.kinds.length ? args[parsed.kinds.length]!.span : call.span);
      return voidType;
    }
    parsed.kinds.forEach((kind, i) => {
      const arg = args[i]!;
      const t = c.typeOf(arg);
      if (kind === 'int' && t.kind !== 'int') c.error(`conversion ${i + 1} expects an integer, but this is ${typeName(t)}`, arg.span, 'use %s for strings');
      if (kind === 'string' && t.kind !== 'string') c.error(`conversion ${i + 1} expects a string, but this is ${typeName(t)}`, arg.span, 'use %d for integers');
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
