// Linear-scan register allocation onto r0..r9, aware that helper calls clobber r0..r5: a value live
// across a call must sit in r6..r9. When registers run out, the value whose interval ends last is
// spilled to a stack slot, every use and definition of it is rewritten through a short-lived register,
// and allocation starts over, once per round of spills (ply never spills; DTrace's dt_regset does,
// which is the model here).

import type { IrProgram, Located, VReg } from './ir.ts';
import { mapRegs, usesAndDefs } from './ir.ts';
import { type Interval, liveIntervals } from './liveness.ts';

const CALLER_SAVED = [1, 2, 3, 4, 5, 0];
const CALLEE_SAVED = [6, 7, 8, 9];

export interface Allocation {
  insns: Located[];
  /** Physical register of every virtual register. */
  phys: Map<VReg, number>;
  /** Stack bytes used, frame slots and spill slots together. */
  frameSize: number;
  spilled: number;
}

export function allocateRegisters(program: IrProgram): Allocation {
  let insns = program.insns;
  let frameSize = program.frameSize;
  let nextReg = program.vregCount;
  let spilled = 0;
  for (let round = 0; round < 512; round++) {
    const result = scan(insns);
    if (result.spills.length === 0) return { insns, phys: result.phys, frameSize, spilled };
    const slots = new Map<VReg, number>();
    for (const v of result.spills) {
      frameSize += 8;
      slots.set(v, -frameSize);
      spilled++;
    }
    insns = spill(insns, slots, () => nextReg++);
  }
  throw new Error('register allocation did not converge');
}

interface Hints {
  /** Preferred register of a value: r0 for call results, r1..r5 for call arguments and parameters, r1 for ctx. */
  preferred: Map<VReg, number>;
  /** `dst = src` moves: dst may take src's register when src dies there. */
  moveSource: Map<VReg, { src: VReg; pos: number }>;
}

function collectHints(insns: readonly Located[]): { hints: Hints; calls: number[] } {
  const preferred = new Map<VReg, number>();
  const moveSource = new Map<VReg, { src: VReg; pos: number }>();
  const calls: number[] = [];
  insns.forEach((i, n) => {
    if (i.op === 'call') {
      calls.push(2 * n);
      if (i.ret !== undefined) preferred.set(i.ret, 0);
      i.args.forEach((a, k) => {
        if ('reg' in a && !preferred.has(a.reg)) preferred.set(a.reg, k + 1);
      });
    } else if (i.op === 'ctx') preferred.set(i.dst, 1);
    else if (i.op === 'params') i.dsts.forEach((d, k) => { if (d !== undefined) preferred.set(d, k + 1); });
    else if (i.op === 'mov' && 'reg' in i.src) moveSource.set(i.dst, { src: i.src.reg, pos: 2 * n });
    else if (i.op === 'exit' && 'reg' in i.value && !preferred.has(i.value.reg)) preferred.set(i.value.reg, 0);
  });
  return { hints: { preferred, moveSource }, calls };
}

function scan(insns: readonly Located[]): { phys: Map<VReg, number>; spills: VReg[] } {
  const intervals = liveIntervals(insns);
  const { hints, calls } = collectHints(insns);
  const crossesCall = (iv: Interval) => calls.some((c) => iv.start < c && c < iv.end);
  const phys = new Map<VReg, number>();
  const ends = new Map<VReg, number>();
  const active: Interval[] = [];
  const busy = new Set<number>();
  const spills: VReg[] = [];

  for (const iv of intervals) {
    for (let k = active.length - 1; k >= 0; k--) {
      const a = active[k]!;
      if (a.end < iv.start) {
        busy.delete(phys.get(a.reg)!);
        active.splice(k, 1);
      }
    }
    const candidates = crossesCall(iv) ? CALLEE_SAVED : [...CALLER_SAVED, ...CALLEE_SAVED];
    const wanted: number[] = [];
    const move = hints.moveSource.get(iv.reg);
    if (move && ends.get(move.src) === move.pos && phys.has(move.src)) wanted.push(phys.get(move.src)!);
    const pref = hints.preferred.get(iv.reg);
    if (pref !== undefined) wanted.push(pref);
    const chosen = [...wanted, ...candidates].find((r) => candidates.includes(r) && !busy.has(r));
    if (chosen === undefined) {
      // Spill whichever of the contenders lives longest, and go on as if it were gone: every spill
      // of the round is found in one scan (restarting after each made allocation quadratic in the
      // number of spills). The rewrite adds short reload intervals, so the caller scans again.
      let victim: Interval = iv;
      for (const a of active) if (candidates.includes(phys.get(a.reg)!) && a.end > victim.end) victim = a;
      spills.push(victim.reg);
      if (victim === iv) continue;
      const freed = phys.get(victim.reg)!;
      active.splice(active.indexOf(victim), 1);
      phys.delete(victim.reg);
      phys.set(iv.reg, freed);
      ends.set(iv.reg, iv.end);
      active.push(iv);
      continue;
    }
    phys.set(iv.reg, chosen);
    ends.set(iv.reg, iv.end);
    busy.add(chosen);
    active.push(iv);
  }
  return { phys, spills };
}

/**
 * Rewrite each spilled register to live in its stack slot: a load into a fresh register before each
 * instruction that reads it, a store after each that writes it.
 */
function spill(insns: readonly Located[], slots: ReadonlyMap<VReg, number>, fresh: () => VReg): Located[] {
  const out: Located[] = [];
  for (const i of insns) {
    const { uses, defs } = usesAndDefs(i);
    const touched = [...new Set([...uses, ...defs])].filter((r) => slots.has(r));
    if (touched.length === 0) {
      out.push(i);
      continue;
    }
    const at = i.span ? { span: i.span } : {};
    const temps = new Map(touched.map((v) => [v, fresh()]));
    for (const v of touched) {
      if (uses.includes(v)) out.push({ op: 'load', dst: temps.get(v)!, base: 'fp', off: slots.get(v)!, size: 8, ...at, comment: `reload %${v}` });
    }
    const swap = (r: VReg) => temps.get(r) ?? r;
    out.push(mapRegs(i, swap, swap));
    for (const v of touched) {
      if (defs.includes(v)) out.push({ op: 'store', base: 'fp', off: slots.get(v)!, size: 8, src: { reg: temps.get(v)! }, ...at, comment: `spill %${v}` });
    }
  }
  return out;
}
