// Functions on maps done in the kernel: delete() and has_key() on one entry, len() on the whole map.
// (clear/zero/print act on the whole map in user space; see output.ts.) On hist/lhist maps, a key
// stands for all its buckets.

import type { Call, Expr, MapRef } from '../../grammar/ast.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction, Checker, Lowerer } from '../../compiler/registry.ts';
import type { MapSpec } from '../../runtime/artifact.ts';
import { boolType, s64, voidType } from '../../compiler/types/types.ts';
import { checkStackDepth, lowerStackDepth } from './stacks.ts';

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

/**
 * hist/lhist maps keep one map entry per bucket: the bucket index follows the script's key. A key of
 * such a map means all of its buckets, so delete() and has_key() go through every possible bucket index
 * (a bounded loop: at most 1889 for hist(n, 5), 1002 for lhist).
 */
function bucketCount(spec: MapSpec): number | undefined {
  const v = spec.value;
  if (v?.kind === 'hist') return (64 - v.k) * 2 ** v.k + 1;
  if (v?.kind === 'lhist') return Math.floor((v.max - v.min) / v.step) + 2;
  return undefined;
}

/** Run `body` with the key's bucket index set to 0, 1, ... count - 1 (stop early by jumping to `done`). */
function forEachBucket(l: Lowerer, key: number, bucketOffset: number, count: number, body: () => void): void {
  const i = l.b.reg();
  l.b.mov(i, imm(0));
  const top = l.b.label('bucket');
  l.b.place(top);
  l.b.store(8, 'fp', key + bucketOffset, reg(i));
  body();
  l.b.alu('add', i, imm(1));
  l.b.jcond('jlt', i, imm(count), top);
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
    const plan = l.mapPlan(entry.name);
    const key = l.buildKey(entry);
    const remove = () => l.b.call(Helper.map_delete_elem, [reg(l.b.ldmap(plan.spec.name)), reg(l.b.addr(key))], false);
    const buckets = bucketCount(plan.spec);
    if (buckets === undefined || plan.bucketOffset === undefined) remove();
    else forEachBucket(l, key, plan.bucketOffset, buckets, remove);
  },
};

export const hasKey: BuiltinFunction = {
  name: 'has_key', signature: 'has_key(@m, key)', role: 'value', rawArgs: true,
  summary: 'true if the map has the key, else false (a bool)',
  check(call, c) {
    const entry = checkEntry('has_key', call, c);
    // A keyless aggregation lives in a per-CPU array, whose one slot always exists (bpftrace refuses
    // has_key() on every map without keys; tsbt keeps it for plain values, which can be deleted).
    if (entry && entry.keys.length === 0 && c.mapKeys(entry)?.value.kind === 'aggregation') {
      c.error(`\`has_key()\` needs a map with keys: \`${entry.name}\` has none and holds an aggregation, which is always there`, call.span);
    }
    return boolType;
  },
  lower(call, l) {
    const entry = entries.get(call)!;
    const plan = l.mapPlan(entry.name);
    const key = l.buildKey(entry);
    const out = l.b.reg();
    const done = l.b.label('haskey');
    const lookup = () => l.b.call(Helper.map_lookup_elem, [reg(l.b.ldmap(plan.spec.name)), reg(l.b.addr(key))])!;
    const buckets = bucketCount(plan.spec);
    if (buckets === undefined || plan.bucketOffset === undefined) {
      const found = lookup();
      l.b.mov(out, imm(0));
      l.b.jcond('jeq', found, imm(0), done);
      l.b.mov(out, imm(1));
    } else {
      // Found in some bucket: 1, and stop looking.
      l.b.mov(out, imm(1));
      forEachBucket(l, key, plan.bucketOffset, buckets, () => l.b.jcond('jne', lookup(), imm(0), done));
      l.b.mov(out, imm(0));
    }
    l.b.place(done);
    return reg(out);
  },
};

export const len: BuiltinFunction = {
  name: 'len', signature: 'len(@m) | len(kstack) | len(ustack)', role: 'value', rawArgs: true,
  summary: 'the number of entries of a map, or of frames of a stack',
  check(call, c) {
    const [m] = call.args;
    if (call.args.length !== 1 || !m) {
      c.error('`len()` takes one map (`len(@m)`) or stack (`len(kstack)`)', call.span);
      return s64;
    }
    if (m.kind !== 'Map') return checkStackDepth(call, c);
    if (m.keys.length > 0) {
      c.error(`\`len()\` counts a whole map: write \`len(${m.name})\``, m.span);
      return s64;
    }
    const info = c.mapKeys(m);
    if (info?.value.kind === 'aggregation' && (info.value.agg === 'hist' || info.value.agg === 'lhist')) {
      // Each bucket of a histogram is an entry of its own in the kernel's map.
      c.error(`\`len()\` cannot count \`${m.name}\`: its ${info.value.agg}() buckets are entries of their own`, m.span,
        `count the keys in a map of their own, e.g. \`@keys[...] = 1\``);
    }
    return s64;
  },
  lower(call, l) {
    const m = call.args[0]!;
    if (m.kind !== 'Map') return lowerStackDepth(call, l);
    return reg(l.mapLength(m.name));
  },
};
