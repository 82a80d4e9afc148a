// -l [pattern]: the probes this kernel offers, like bpftrace -l; with -v, each tracepoint's fields.

import type { KernelInfo } from '../compiler/kernel-info.ts';
import type { Registry } from '../compiler/registry.ts';

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export function listProbes(registry: Registry, kernel: KernelInfo, pattern: string | undefined, verbose: boolean): string[] {
  let glob = pattern ?? '*';
  // An alias in the pattern (`t:syscalls:*`) means its provider.
  const colon = glob.indexOf(':');
  if (colon > 0) {
    const provider = registry.provider(glob.slice(0, colon));
    if (provider) glob = `${provider.name}${glob.slice(colon)}`;
  } else if (!glob.includes('*')) {
    glob = `*${glob}*`;
  }
  const re = globToRegExp(glob);
  const out: string[] = [];
  for (const provider of registry.providers) {
    if (!provider.list) continue;
    // Skip providers the pattern names none of, without listing them (kernel functions are many).
    const prefix = colon > 0 ? glob.slice(0, glob.indexOf(':')) : '*';
    if (!globToRegExp(prefix).test(provider.name)) continue;
    for (const name of provider.list(kernel, glob)) {
      if (!re.test(name)) continue;
      out.push(name);
      if (verbose && name.startsWith('tracepoint:')) {
        const [, category, event] = name.split(':');
        for (const f of kernel.tracepointFields(category!, event!) ?? []) {
          if (!f.name.startsWith('common_')) out.push(`    ${f.typeText} ${f.name}`);
        }
      }
    }
  }
  return out;
}
