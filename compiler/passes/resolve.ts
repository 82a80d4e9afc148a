// Resolve pass: every probe spec → the provider it names (aliases included) → concrete probes
// (wildcards expanded). A block with several probes becomes one unit per concrete probe, compiled
// separately because `args` may differ between them.

import type { ProbeBlock, Program } from '../../grammar/ast.ts';
import { error } from '../../grammar/diagnostics.ts';
import type { CompileContext } from '../context.ts';
import type { ConcreteProbe } from '../registry.ts';
import { didYouMean } from '../suggest.ts';

export interface ProbeUnit {
  block: ProbeBlock;
  probe: ConcreteProbe;
}

export function resolveProbes(program: Program, cx: CompileContext): ProbeUnit[] {
  const units: ProbeUnit[] = [];
  for (const block of program.probes) {
    for (const spec of block.specs) {
      const provider = cx.registry.provider(spec.provider);
      if (!provider) {
        const names = cx.registry.providers.flatMap((p) => [p.name, ...p.aliases]);
        cx.diagnostics.push(error(`unknown probe type \`${spec.provider}\``, spec.span,
          didYouMean(spec.provider, names) ?? `probe types: ${cx.registry.providers.map((p) => p.name).join(', ')}`));
        continue;
      }
      const expanded = provider.expand(spec, cx.kernel, cx.options, (d) => cx.diagnostics.push(d));
      if (!Array.isArray(expanded)) {
        cx.diagnostics.push(expanded);
        continue;
      }
      for (const probe of expanded) units.push({ block, probe });
    }
  }
  return units;
}
