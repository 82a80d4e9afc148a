// Aggregations: map values kept per CPU and updated in place through the lookup pointer (no atomics
// needed on a per-CPU value); user space adds the CPUs' values up when it prints.

import { reg } from '../../compiler/ir/builder.ts';
import type { Call } from '../../grammar/ast.ts';
import type { BuiltinFunction, Checker } from '../../compiler/registry.ts';
import { type Type, typeName } from '../../compiler/types/types.ts';

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

/** min/max/avg/stats(n): one integer; the aggregation keeps its signedness. */
function oneInteger(name: 'min' | 'max' | 'avg' | 'stats', call: Call, c: Checker): Type {
  const [arg] = call.args;
  if (call.args.length !== 1 || !arg || c.typeOf(arg).kind !== 'int') c.error(`\`${name}()\` takes one integer argument`, call.span);
  const t = arg ? c.typeOf(arg) : undefined;
  return { kind: 'aggregation', agg: name, signed: t?.kind === 'int' ? t.signed : true };
}

function extreme(name: 'min' | 'max'): BuiltinFunction {
  return {
    name, signature: `${name}(int n)`, role: 'aggregation', aggregation: name,
    summary: `keeps the ${name === 'min' ? 'smallest' : 'largest'} value seen`,
    check: (call, c) => oneInteger(name, call, c),
    // Each CPU keeps { value, isSet }: the first value seen is taken whatever it is.
    lowerUpdate(call, l, value) {
      const arg = call.args[0]!;
      const t = l.typeOf(arg);
      const signed = t.kind === 'int' && t.signed;
      const n = l.intReg(arg);
      const set = l.b.label(`${name}set`);
      const done = l.b.label(`${name}done`);
      const isSet = l.b.load(8, value, 8);
      l.b.jcond('jeq', isSet, { imm: 0 }, set);
      const current = l.b.load(8, value, 0);
      // Keep the current value unless the new one beats it.
      const keep = name === 'min' ? (signed ? 'jsge' : 'jge') : (signed ? 'jsle' : 'jle');
      l.b.jcond(keep, n, reg(current), done);
      l.b.place(set);
      l.b.store(8, value, 0, reg(n));
      l.b.store(8, value, 8, { imm: 1 });
      l.b.place(done);
    },
  };
}

export const min = extreme('min');
export const max = extreme('max');

function totalAndCount(name: 'avg' | 'stats', summary: string): BuiltinFunction {
  return {
    name, signature: `${name}(int n)`, role: 'aggregation', aggregation: name, summary,
    check: (call, c) => oneInteger(name, call, c),
    // Each CPU keeps { total, count }; user space divides.
    lowerUpdate(call, l, value) {
      const n = l.int(call.args[0]!);
      const total = l.b.load(8, value, 0);
      l.b.alu('add', total, n);
      l.b.store(8, value, 0, reg(total));
      const count = l.b.load(8, value, 8);
      l.b.alu('add', count, { imm: 1 });
      l.b.store(8, value, 8, reg(count));
    },
  };
}

export const avg = totalAndCount('avg', 'the average of its argument');
export const stats = totalAndCount('stats', 'count, average and total of its argument');
