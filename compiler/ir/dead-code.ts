// Removes definitions nobody reads: a variable's zeroing at entry when every path assigns it before
// reading it, a value computed for a branch that was folded away. Only instructions without side
// effects go (moves, arithmetic, constants, addresses); loads, stores, calls and jumps stay.
import type { IrProgram, Located, VReg } from './ir.ts';
import { usesAndDefs } from './ir.ts';
import { blockLiveness } from './liveness.ts';

const PURE = new Set<Located['op']>(['mov', 'alu', 'neg', 'bswap', 'ldimm64', 'ldmap', 'ldmapvalue', 'ctx', 'addr']);

export function removeDeadDefinitions(program: IrProgram): IrProgram {
  let insns = program.insns;
  // Removing one definition can make the ones feeding it dead too: repeat until nothing changes.
  for (;;) {
    const dead = new Set<number>();
    for (const block of blockLiveness(insns)) {
      const live = new Set<VReg>(block.liveOut);
      for (let n = block.last; n >= block.first; n--) {
        const insn = insns[n]!;
        const { uses, defs } = usesAndDefs(insn);
        if (PURE.has(insn.op) && defs.every((d) => !live.has(d))) {
          dead.add(n);
          continue;
        }
        for (const d of defs) live.delete(d);
        for (const u of uses) live.add(u);
      }
    }
    if (dead.size === 0) return { ...program, insns };
    insns = insns.filter((_, n) => !dead.has(n));
  }
}
