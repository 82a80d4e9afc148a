// Functions on map entries done in the kernel: delete() and has_key(). (clear/zero/print act on the
// whole map in user space; see output.ts.)

import type { Call, Expr, MapRef } from '../../grammar/ast.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction, Checker } from '../../compiler/registry.ts';
import { s64, voidType } from '../../compiler/types/types.ts';

/** `f(@m[k1, k2])` or `f(@m, key)` (a tuple key for several parts): the entry as one map reference. */
function entryOf(call: Call): MapRef | undefined {
  const [m, key] = call.args;
  if (!m || m.kind !== 'Map') return undefined;
  if (call.args.length === 1) return m;
  if (call.args.length === 2 && m.keys.length === 0) {
    const keys: Expr[] = key!.kind === 'Tuple' ? key!.elems : [key!];
    return { kind: 'Map', name: m.name, keys, span: m.span };
  }
  return undefined;
}

const entries = new WeakMap<Call, MapRef>();

function checkEntry(name: string, call: Call, c: Checker): MapRef | undefined {
  const entry = entryOf(call);
  if (!entry) {
    c.error(`\`${name}()\` takes a map entry: \`${name}(@m[key])\` or \`${name}(@m, key)\``, call.span);
    return undefined;
  }
  if (!c.mapKeys(entry)) return undefined;
  entries.set(call, entry);
  return entry;
}

export const del: BuiltinFunction = {
  name: 'delete', signature: 'delete(@m[key]) | delete(@m, key)', role: 'statement', rawArgs: true,
  summary: 'removes one entry from a map',
  check(call, c) {
    checkEntry('delete', call, c);
    return voidType;
  },
  lowerStatement(call, l) {
    const entry = entries.get(call)!;
    const key = l.buildKey(entry);
    l.b.call(Helper.map_delete_elem, [reg(l.b.ldmap(l.mapPlan(entry.name).spec.name)), reg(l.b.addr(key))], false);
  },
};

export const hasKey: BuiltinFunction = {
  name: 'has_key', signature: 'has_key(@m, key)', role: 'value', rawArgs: true,
  summary: '1 if the map has the key, else 0',
  check(call, c) {
    checkEntry('has_key', call, c);
    return s64;
  },
  lower(call, l) {
    const entry = entries.get(call)!;
    const key = l.buildKey(entry);
    const found = l.b.call(Helper.map_lookup_elem, [reg(l.b.ldmap(l.mapPlan(entry.name).spec.name)), reg(l.b.addr(key))])!;
    const out = l.b.reg();
    const done = l.b.label('haskey');
    l.b.mov(out, imm(0));
    l.b.jcond('jeq', found, imm(0), done);
    l.b.mov(out, imm(1));
    l.b.place(done);
    return reg(out);
  },
};
