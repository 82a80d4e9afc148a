// --emit ast|ir|asm|artifact: what the script became, for learners and for debugging the compiler.

import type { CompileResult } from '../compiler/pipeline.ts';
import type { SourceFile } from '../grammar/source.ts';
import { disassembleOne } from '../compiler/bpf/disasm.ts';
import { slots } from '../compiler/bpf/insn.ts';
import { formatIr, type Located } from '../compiler/ir/ir.ts';

export type EmitKind = 'ast' | 'ir' | 'asm' | 'artifact';

export function emit(kind: EmitKind, result: CompileResult & { source: SourceFile }): string {
  switch (kind) {
    case 'artifact':
      return JSON.stringify(result.artifact, null, 2) + '\n';
    case 'ast':
      return JSON.stringify(result.ast, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
    case 'ir':
      return (result.programs ?? []).map((p) => [
        `; ${p.spec.probe} (${p.spec.name})`,
        ...irLines(p.ir.insns),
        // Loop callbacks: functions of their own, with their own registers and stack frame.
        ...(p.ir.subprograms ?? []).flatMap((f) => ['', `; subprogram ${f.name} (${f.name === 'tsbt_count' ? 'counts entries for len()' : 'a for loop\'s body, called for each map entry'})`, ...irLines(f.insns)]),
      ].join('\n')).join('\n\n') + '\n';
    case 'asm':
      return (result.programs ?? []).map((p) => {
        const maps = new Map(p.code.relocations.map((r) => [r.insn, r.map]));
        const lines = [`; ${p.spec.probe} (${p.spec.name}, ${p.code.insns.reduce((n, i) => n + slots(i), 0)} instructions, ${p.spec.stackSize} bytes of stack)`];
        let slot = 0;
        let lastLine = -1;
        for (const insn of p.code.insns) {
          const fn = p.code.functions.find((f) => f.start === slot && slot > 0);
          if (fn) {
            lines.push('', `; subprogram ${fn.name} (${fn.stackSize} bytes of stack)`);
            lastLine = -1;
          }
          const span = p.code.sourceMap[slot];
          if (span) {
            const { line } = result.source.position(span.start);
            if (line !== lastLine) {
              lines.push(`; ${line}: ${result.source.lineText(line).trim()}`);
              lastLine = line;
            }
          }
          const label = p.code.labels.get(slot);
          if (label) lines.push(`${label}:`);
          lines.push(`${String(slot).padStart(5)}: ${disassembleOne(insn, slot, { mapAt: (s) => maps.get(s), labelAt: (s) => p.code.labels.get(s) })}`);
          slot += slots(insn);
        }
        return lines.join('\n');
      }).join('\n\n') + '\n';
  }
}

function irLines(insns: readonly Located[]): string[] {
  return insns.map((i) => (i.op === 'label' ? formatIr(i) : `    ${formatIr(i)}${i.comment ? `  ; ${i.comment}` : ''}`));
}
