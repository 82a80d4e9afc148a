// --emit ast|ir|asm|artifact: what the script became, for learners and for debugging the compiler.

import type { CompileResult } from '../compiler/pipeline.ts';
import type { SourceFile } from '../grammar/source.ts';
import { disassembleOne } from '../compiler/bpf/disasm.ts';
import { slots } from '../compiler/bpf/insn.ts';
import { formatIr } from '../compiler/ir/ir.ts';

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
        ...p.ir.insns.map((i) => (i.op === 'label' ? formatIr(i) : `    ${formatIr(i)}${i.comment ? `  ; ${i.comment}` : ''}`)),
      ].join('\n')).join('\n\n') + '\n';
    case 'asm':
      return (result.programs ?? []).map((p) => {
        const maps = new Map(p.code.relocations.map((r) => [r.insn, r.map]));
        const lines = [`; ${p.spec.probe} (${p.spec.name}, ${p.code.insns.reduce((n, i) => n + slots(i), 0)} instructions, ${p.spec.stackSize} bytes of stack)`];
        let slot = 0;
        let lastLine = -1;
        for (const insn of p.code.insns) {
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
