// usdt:<binary>:[<provider>:]<probe> — statically defined probes compiled into a program
// (<sys/sdt.h>, `.note.stapsdt`). Each probe point is a uprobe on the note's nop; a probe with a
// semaphore gets it counted up by the kernel while attached (the uprobe PMU's ref_ctr_offset), so
// code guarded by `if (PROBE_ENABLED())` runs. arg0..argN are read where the note says each one is
// (a register, memory, or a constant). `*` in the provider or probe name matches several probes.

import { error, warning } from '../../grammar/diagnostics.ts';
import type { UsdtProbeInfo } from '../../compiler/kernel-info.ts';
import type { ConcreteProbe, ProbeProvider } from '../../compiler/registry.ts';
import { closest } from '../../compiler/suggest.ts';
import { targetBinary } from './uprobe.ts';

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

const USAGE = 'usdt:<binary>:[<provider>:]<probe>';

export const usdt: ProbeProvider = {
  name: 'usdt',
  aliases: ['U'],
  summary: 'a statically defined probe (USDT) in a user-space program; arg0..argN hold its arguments',
  usage: USAGE,
  list(kernel, pattern) {
    const m = /^[^:]+:([^:]+)/.exec(pattern);
    if (!m) return [];
    const bin = kernel.resolveBinary(m[1]!);
    if ('error' in bin) return [];
    return kernel.usdtProbes(bin.path).map((p) => `usdt:${m[1]}:${p.provider}:${p.name}`);
  },
  expand(spec, kernel, options, warn) {
    const n = spec.parts.length;
    // With -p, usdt:PROBE and usdt:PROVIDER:PROBE mean that process's executable (a first part with a
    // `/` is still a path).
    const hasBinary = n === 3 || (n === 2 && (options?.targetPid === undefined || spec.parts[0]!.includes('/')));
    const binary = hasBinary ? spec.parts[0] : undefined;
    const rest = binary === undefined ? spec.parts : spec.parts.slice(1);
    if (n < 1 || n > 3 || rest.length < 1 || rest.length > 2 || rest.some((p) => !p)) {
      return error(`\`${spec.text}\` is not a usdt probe`, spec.span, `write ${USAGE}`);
    }
    const bin = targetBinary(spec, binary, kernel, options, USAGE);
    if ('severity' in bin) return bin;
    const path = bin.path;
    const all = kernel.usdtProbes(path);
    if (all.length === 0) return error(`${path} has no USDT probes (no .note.stapsdt section)`, spec.span, 'USDT probes come from <sys/sdt.h> macros such as DTRACE_PROBE2');
    const [providerPattern, namePattern] = rest.length === 2 ? [rest[0]!, rest[1]!] : ['*', rest[0]!];
    const pr = glob(providerPattern);
    const nr = glob(namePattern);
    const matches = all.filter((p) => pr.test(p.provider) && nr.test(p.name));
    if (matches.length === 0) {
      const near = closest(rest.join(':'), all.map((p) => (rest.length === 2 ? `${p.provider}:${p.name}` : p.name)));
      return error(`no USDT probe \`${rest.join(':')}\` in ${path}`, spec.span,
        near ? `did you mean \`${near}\`?` : `its probes: ${[...new Set(all.map((p) => `${p.provider}:${p.name}`))].slice(0, 8).join(', ')}`);
    }
    const providers = new Set(matches.map((p) => p.provider));
    if (rest.length === 1 && !namePattern.includes('*') && providers.size > 1) {
      return error(`the USDT probe name \`${namePattern}\` is ambiguous in ${path}: providers ${[...providers].join(', ')}`, spec.span,
        `name the provider: usdt:${path}:${[...providers][0]}:${namePattern}`);
    }
    const pid = options?.targetPid;
    const unreadable = new Set<string>();
    const probes = matches.map((p: UsdtProbeInfo): ConcreteProbe => {
      if (p.argsError) unreadable.add(`${p.provider}:${p.name}: ${p.argsError}`);
      return {
        provider: this, spec, name: `usdt:${path}:${p.provider}:${p.name}`, programType: 'kprobe',
        attach: {
          kind: 'uprobe', path, offset: p.offset, retprobe: false,
          ...(p.semaphoreOffset ? { refCtrOffset: p.semaphoreOffset } : {}),
          ...(pid !== undefined ? { pid } : {}),
        },
        userPointers: true,
        usdtArgs: p.args,
        ...(p.address !== undefined ? { linkAddress: p.address } : {}),
      };
    });
    for (const u of unreadable) warn?.(warning(`the arguments of usdt ${u}; this probe has no arg0..argN`, spec.span));
    return probes;
  },
};
