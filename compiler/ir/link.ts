// Linking a program's functions into one instruction stream: the main function first, then every
// subprogram (loop callbacks), each finalized alone — its own registers, its own stack frame, labels
// local to it. Here slots are renumbered, the LD_IMM64s that load a subprogram's address get their
// offsets, and the stack of the deepest call chain is checked: the verifier adds up the frames of a
// caller and every callee below it, and allows 512 bytes in all.

import { slots } from '../bpf/insn.ts';
import type { Finalized } from './finalize.ts';
import { STACK_LIMIT } from './frame.ts';
import { StackOverflowError } from './finalize.ts';

export interface LinkedFunction {
  name: string;
  /** First slot of the function in the linked program. */
  start: number;
  /** Bytes of its own stack frame. */
  stackSize: number;
}

export interface Linked extends Finalized {
  /** Every function in slot order; the first is the main function (start 0). */
  functions: LinkedFunction[];
}

/** The verifier rounds each frame up to 32 bytes (the interpreter's granularity) when it adds them up. */
export function frameCost(stackSize: number): number {
  return Math.ceil(Math.max(stackSize, 1) / 32) * 32;
}

export function link(parts: { name: string; code: Finalized }[]): Linked {
  const functions: LinkedFunction[] = [];
  const out: Linked = { insns: [], relocations: [], funcRefs: [], sourceMap: [], labels: new Map(), stackSize: 0, functions };
  let start = 0;
  for (const [n, { name, code }] of parts.entries()) {
    functions.push({ name, start, stackSize: code.stackSize });
    out.insns.push(...code.insns);
    out.sourceMap.push(...code.sourceMap);
    for (const r of code.relocations) out.relocations.push({ ...r, insn: r.insn + start });
    for (const f of code.funcRefs) out.funcRefs.push({ ...f, insn: f.insn + start });
    // Labels are local to a function: a subprogram's are prefixed with its name, and its first slot
    // is labelled with the name itself.
    for (const [slot, label] of code.labels) out.labels.set(slot + start, n === 0 ? label : `${name}.${label}`);
    if (n > 0) out.labels.set(start, name);
    start += code.insns.reduce((s, i) => s + slots(i), 0);
  }
  out.stackSize = functions[0]?.stackSize ?? 0;

  // Point each LD_IMM64 of a function's address at it: imm = its first slot - (this slot + 1).
  const insnAt = new Map<number, number>();
  let slot = 0;
  out.insns.forEach((insn, k) => {
    insnAt.set(slot, k);
    slot += slots(insn);
  });
  const byName = new Map(functions.map((f) => [f.name, f]));
  const callees = new Map<string, Set<string>>(functions.map((f) => [f.name, new Set()]));
  for (const ref of out.funcRefs) {
    const target = byName.get(ref.func);
    if (!target) throw new Error(`LD_IMM64 of unknown function ${ref.func}`);
    const insn = out.insns[insnAt.get(ref.insn)!]!;
    insn.imm = target.start - (ref.insn + 1);
    callees.get(functionAt(functions, ref.insn).name)!.add(ref.func);
  }

  const depth = (name: string, seen: Set<string>): number => {
    if (seen.has(name)) throw new Error(`function ${name} calls itself`);
    const inner = [...callees.get(name)!].map((c) => depth(c, new Set([...seen, name])));
    return frameCost(byName.get(name)!.stackSize) + Math.max(0, ...inner);
  };
  if (functions.length > 1) {
    const total = depth(functions[0]!.name, new Set());
    if (total > STACK_LIMIT) {
      throw new StackOverflowError(total, `the program and its loop callbacks need ${total} bytes of stack together; eBPF allows ${STACK_LIMIT}`);
    }
  }
  return out;
}

/** The function a slot belongs to. */
export function functionAt(functions: readonly LinkedFunction[], slot: number): LinkedFunction {
  let found = functions[0]!;
  for (const f of functions) if (f.start <= slot) found = f;
  return found;
}
