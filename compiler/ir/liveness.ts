// Liveness on the control-flow graph, then one live interval per virtual register over the linear
// instruction order. Positions: instruction i reads its operands at 2i and writes its result at 2i+1,
// so a value last read by an instruction can share a register with the value that instruction writes.

import type { Located, VReg } from './ir.ts';
import { usesAndDefs } from './ir.ts';

export interface Interval {
  reg: VReg;
  start: number;
  end: number;
}

interface Block {
  first: number;
  last: number;
  succ: number[];
  use: Set<VReg>;
  def: Set<VReg>;
  liveIn: Set<VReg>;
  liveOut: Set<VReg>;
}

function buildBlocks(insns: readonly Located[]): Block[] {
  const starts = new Set<number>([0]);
  insns.forEach((i, n) => {
    if (i.op === 'label') starts.add(n);
    if (i.op === 'jmp' || i.op === 'jcond' || i.op === 'exit') starts.add(n + 1);
  });
  const sorted = [...starts].filter((s) => s < insns.length).sort((a, b) => a - b);
  const labelBlock = new Map<string, number>();
  const blocks: Block[] = sorted.map((first, b) => {
    const last = (sorted[b + 1] ?? insns.length) - 1;
    const head = insns[first];
    if (head?.op === 'label') labelBlock.set(head.label, b);
    return { first, last, succ: [], use: new Set(), def: new Set(), liveIn: new Set(), liveOut: new Set() };
  });
  blocks.forEach((block, b) => {
    const tail = insns[block.last]!;
    const fallsThrough = tail.op !== 'jmp' && tail.op !== 'exit';
    if (tail.op === 'jmp' || tail.op === 'jcond') {
      const target = labelBlock.get(tail.target);
      if (target === undefined) throw new Error(`IR jumps to unknown label ${tail.target}`);
      block.succ.push(target);
    }
    if (fallsThrough && b + 1 < blocks.length) block.succ.push(b + 1);
    for (let n = block.first; n <= block.last; n++) {
      const { uses, defs } = usesAndDefs(insns[n]!);
      for (const u of uses) if (!block.def.has(u)) block.use.add(u);
      for (const d of defs) block.def.add(d);
    }
  });
  return blocks;
}

/** The basic blocks (instruction ranges) with the registers live out of each. */
export function blockLiveness(insns: readonly Located[]): { first: number; last: number; liveOut: ReadonlySet<VReg> }[] {
  return solve(buildBlocks(insns));
}

/** Backward dataflow to a fixpoint: in = use ∪ (out − def), out = ∪ in(succ). */
function solve(blocks: Block[]): Block[] {
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = blocks.length - 1; b >= 0; b--) {
      const block = blocks[b]!;
      for (const s of block.succ) for (const v of blocks[s]!.liveIn) block.liveOut.add(v);
      const before = block.liveIn.size;
      for (const v of block.use) block.liveIn.add(v);
      for (const v of block.liveOut) if (!block.def.has(v)) block.liveIn.add(v);
      if (block.liveIn.size !== before) changed = true;
    }
  }
  return blocks;
}

export function liveIntervals(insns: readonly Located[]): Interval[] {
  const blocks = solve(buildBlocks(insns));
  const ranges = new Map<VReg, Interval>();
  const touch = (reg: VReg, pos: number) => {
    const iv = ranges.get(reg);
    if (!iv) ranges.set(reg, { reg, start: pos, end: pos });
    else {
      if (pos < iv.start) iv.start = pos;
      if (pos > iv.end) iv.end = pos;
    }
  };
  insns.forEach((i, n) => {
    const { uses, defs } = usesAndDefs(i);
    for (const u of uses) touch(u, 2 * n);
    for (const d of defs) touch(d, 2 * n + 1);
  });
  for (const block of blocks) {
    for (const v of block.liveIn) touch(v, 2 * block.first);
    // Live past the block's last instruction: up to the next instruction's read position.
    for (const v of block.liveOut) touch(v, 2 * block.last + 2);
  }
  return [...ranges.values()].sort((a, b) => a.start - b.start || a.reg - b.reg);
}
