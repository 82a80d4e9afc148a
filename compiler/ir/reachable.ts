// Dead code removal: the verifier refuses a program with an instruction no path reaches ("unreachable
// insn"), which lowering produces whenever a condition is constant (`if (0)`, `1 ? a : b`, `while (0)`)
// or a statement follows exit() or return. Instructions that no path from the entry reaches are dropped.

import type { Label, Located } from './ir.ts';

export function removeUnreachable(insns: Located[]): Located[] {
  const at = new Map<Label, number>();
  insns.forEach((i, n) => {
    if (i.op === 'label') at.set(i.label, n);
  });
  const live = new Uint8Array(insns.length);
  const work = [0];
  while (work.length > 0) {
    let n = work.pop()!;
    // Follow the straight line until it ends or joins code already seen.
    for (; n < insns.length && !live[n]; n++) {
      live[n] = 1;
      const i = insns[n]!;
      if (i.op === 'jmp' || i.op === 'jcond') work.push(at.get(i.target)!);
      if (i.op === 'jmp' || i.op === 'exit') break;
    }
  }
  if (live.every((x) => x === 1)) return insns;
  return insns.filter((_, n) => live[n] === 1);
}
