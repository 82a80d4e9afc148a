// Resolve pass: every probe spec → the provider it names (aliases included) → concrete probes
// (wildcards expanded). A block with several probes becomes one unit per concrete probe, compiled
// separately because `args` may differ between them. A script may attach at most `maxProbes` probes
// (bpftrace's max_probes, 512 by default): a wildcard that matches thousands of functions is an error
// with a hint, not an attach loop that takes minutes and floods the kernel.

import type { ProbeBlock, Program, ProbeSpec } from '../../grammar/ast.ts';
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
  // Probes each spec adds that attach to something (BEGIN and END do not).
  const counts: { spec: ProbeSpec; probes: number }[] = [];
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
      counts.push({ spec, probes: expanded.filter((p) => p.attach.kind !== 'begin' && p.attach.kind !== 'end').length });
    }
  }
  checkProbeLimit(counts, cx);
  return units;
}

function checkProbeLimit(counts: { spec: ProbeSpec; probes: number }[], cx: CompileContext): void {
  const limit = cx.options.maxProbes;
  const total = counts.reduce((n, c) => n + c.probes, 0);
  if (total <= limit) return;
  const widest = counts.reduce((a, b) => (b.probes > a.probes ? b : a));
  const plural = (n: number) => `${n} probe${n === 1 ? '' : 's'}`;
  const message = widest.probes === total
    ? `\`${widest.spec.text}\` matches ${plural(total)}, more than the limit of ${limit}`
    : `the script attaches ${plural(total)} (\`${widest.spec.text}\` matches ${widest.probes}), more than the limit of ${limit}`;
  cx.diagnostics.push(error(message, widest.spec.span,
    `use a narrower pattern, or raise the limit with --max-probes ${total} (each probe is a program the kernel loads and runs)`));
}
