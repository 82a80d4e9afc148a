// Aggregations: map values kept per CPU and updated in place through the lookup pointer (no atomics
// needed on a per-CPU value); user space adds the CPUs' values up when it prints.

import { reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction } from '../../compiler/registry.ts';
import { typeName } from '../../compiler/types/types.ts';

export const count: BuiltinFunction = {
  name: 'count', signature: 'count()', summary: 'counts how many times it runs', role: 'aggregation', aggregation: 'count',
  check(call, c) {
    if (call.args.length !== 0) c.error('`count()` takes no arguments', call.span);
    return { kind: 'aggregation', agg: 'count', signed: false };
  },
  lowerUpdate(_call, l, value) {
    const v = l.b.load(8, value, 0);
    l.b.alu('add', v, { imm: 1 });
    l.b.store(8, value, 0, reg(v));
  },
};

export const sum: BuiltinFunction = {
  name: 'sum', signature: 'sum(int n)', summary: 'adds up its argument', role: 'aggregation', aggregation: 'sum',
  check(call, c) {
    const [arg] = call.args;
    if (call.args.length !== 1 || !arg) {
      c.error('`sum()` takes one integer argument', call.span);
      return { kind: 'aggregation', agg: 'sum', signed: true };
    }
    const t = c.typeOf(arg);
    if (t.kind !== 'int') c.error(`\`sum()\` needs an integer, not ${typeName(t)}`, arg.span);
    return { kind: 'aggregation', agg: 'sum', signed: t.kind === 'int' ? t.signed : true };
  },
  lowerUpdate(call, l, value) {
    const n = l.int(call.args[0]!);
    const v = l.b.load(8, value, 0);
    l.b.alu('add', v, n);
    l.b.store(8, value, 0, reg(v));
  },
};
