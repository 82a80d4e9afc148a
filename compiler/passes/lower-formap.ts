// The start of a `for ($kv : @map)` callback: `$kv = (key, value)` copied out of the entry the kernel
// hands over. The key is copied as it is laid out in the map (a tuple of several keys has the same C
// layout as the key buffer). A per-CPU aggregation's value is this CPU's share only, so count/sum are
// added up and min/max folded over every possible CPU with bpf_map_lookup_percpu_elem, as bpftrace
// does; user space does the same when it prints the map.

import { Helper } from '../bpf/helpers.ts';
import { imm, reg, type IrBuilder } from '../ir/builder.ts';
import type { VReg } from '../ir/ir.ts';
import { type Type, storageSize } from '../types/types.ts';
import { copyMemory } from './memory.ts';
import type { MapPlan } from './resources.ts';

/** The callback's arguments and the stack slot of `$kv`. */
export interface PairPlace {
  /** The entry's key (PTR_TO_MAP_KEY) and this CPU's value (PTR_TO_MAP_VALUE). */
  key: VReg;
  value: VReg;
  slot: number;
}

export function fillPair(b: IrBuilder, plan: MapPlan, pair: Type, at: PairPlace, possibleCpus: number): void {
  if (pair.kind !== 'tuple') throw new Error('the loop variable of a map is a (key, value) tuple');
  const keySize = storageSize(pair.elems[0]!);
  copyMemory(b, { base: at.key, off: 0 }, { base: 'fp', off: at.slot }, keySize, keySize);
  const valueAt = at.slot + pair.offsets[1]!;
  const kind = plan.spec.value?.kind;
  if ((kind === 'count' || kind === 'sum' || kind === 'min' || kind === 'max') && plan.spec.type.includes('percpu')) {
    const total = reduceOverCpus(b, plan, at.key, kind, possibleCpus);
    b.store(8, 'fp', valueAt, reg(total));
    return;
  }
  const size = storageSize(pair.elems[1]!);
  copyMemory(b, { base: at.value, off: 0 }, { base: 'fp', off: valueAt }, Math.min(size, plan.spec.valueSize), size);
}

/**
 * Every CPU's copy of the entry, in a loop bounded by the number of possible CPUs (the verifier walks
 * it once per CPU). count/sum: the values add up. min/max: each copy is { value, isSet }; copies not
 * set are skipped, and nothing set gives 0.
 */
function reduceOverCpus(b: IrBuilder, plan: MapPlan, key: VReg, kind: 'count' | 'sum' | 'min' | 'max', possibleCpus: number): VReg {
  const signed = plan.spec.value && 'signed' in plan.spec.value ? plan.spec.value.signed : false;
  const total = b.movImm(0);
  const found = kind === 'min' || kind === 'max' ? b.movImm(0) : undefined;
  const cpu = b.movImm(0);
  const top = b.label('cpu');
  const next = b.label('cpunext');
  const done = b.label('cpudone');
  b.place(top);
  b.jcond('jge', cpu, imm(possibleCpus), done);
  const value = b.call(Helper.map_lookup_percpu_elem, [reg(b.ldmap(plan.spec.name)), reg(key), reg(cpu)])!;
  b.jcond('jeq', value, imm(0), done);
  if (found === undefined) {
    b.alu('add', total, reg(b.load(8, value, 0)));
  } else {
    b.jcond('jeq', b.load(8, value, 8), imm(0), next);
    const v = b.load(8, value, 0);
    const take = b.label('cputake');
    b.jcond('jeq', found, imm(0), take);
    // Keep the running value unless this CPU's beats it.
    const keep = kind === 'min' ? (signed ? 'jsge' : 'jge') : (signed ? 'jsle' : 'jle');
    b.jcond(keep, v, reg(total), next);
    b.place(take);
    b.mov(total, reg(v));
    b.mov(found, imm(1));
  }
  b.place(next);
  b.alu('add', cpu, imm(1));
  b.jmp(top);
  b.place(done);
  return total;
}
