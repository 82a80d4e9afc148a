// KernelInfo for the running kernel, backed by runtime/kernel. Lives in the composition root because
// the compiler defines the interface and the runtime must not import the compiler.

import type { KernelInfo, TracepointField } from '../compiler/kernel-info.ts';
import { readFileSync } from 'node:fs';
import { binarySymbols, resolveBinary, usdtProbes } from './host-binaries.ts';
import { onlineCpus, possibleCpus } from '../runtime/kernel/cpus.ts';
import { Btf } from '../runtime/kernel/btf/index.ts';
import { kernelSymbols } from '../runtime/kernel/symbols/index.ts';
import { systemTracefs } from '../runtime/kernel/tracefs.ts';
import { realSys } from '../runtime/sys/index.ts';

export function hostKernelInfo(): KernelInfo {
  // Located on first use only: a BEGIN-only script never touches tracefs.
  const tracefs = () => systemTracefs((source, target, fstype) => realSys().mount(source, target, fstype));
  const cache = new Map<string, TracepointField[] | undefined>();
  let unavailable: string | undefined | null = null;
  return {
    tracingUnavailable() {
      if (unavailable === null) {
        try {
          tracefs();
          unavailable = undefined;
        } catch (e) {
          unavailable = `tracefs is not available: ${(e as Error).message}`;
        }
      }
      return unavailable;
    },
    tracepointFields(category, event) {
      const key = `${category}:${event}`;
      if (!cache.has(key)) {
        let fields: TracepointField[] | undefined;
        try {
          fields = tracefs().format(category, event).fields.map((f) => ({
            name: f.name,
            typeText: `${f.isDataLoc ? '__data_loc ' : ''}${f.type}${f.arrayLen !== undefined ? `[${f.arrayLen}]` : ''}`,
            offset: f.offset,
            size: f.size,
            signed: f.signed,
          }));
        } catch {
          fields = undefined;
        }
        cache.set(key, fields);
      }
      return cache.get(key);
    },
    onlineCpuCount: () => onlineCpus().length,
    // CPU ids, not CPUs: per-CPU values are indexed by id, and the possible list may have holes.
    possibleCpuCount: () => Math.max(-1, ...possibleCpus()) + 1,
    // kaddr(): /proc/kallsyms, parsed on first use only.
    kernelSymbol: (name) => kernelSymbols().address(name),
    kernelTypes() {
      try {
        return Btf.vmlinux();
      } catch (e) {
        return { unavailable: (e as Error).message };
      }
    },
    // Binary symbols and USDT notes (uprobe/usdt providers), read with runtime/kernel/elf.
    resolveBinary,
    binarySymbols,
    usdtProbes,
    kernelFunctions() {
      try {
        // Lines are `name` or `name [module]`; names repeat for static functions of several files.
        const text = readFileSync(`${tracefs().root}/available_filter_functions`, 'utf8');
        return [...new Set(text.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean))];
      } catch {
        return [];
      }
    },
    listTracepoints(categoryGlob, eventGlob) {
      try {
        return tracefs().list(categoryGlob, eventGlob);
      } catch {
        return [];
      }
    },
  };
}
