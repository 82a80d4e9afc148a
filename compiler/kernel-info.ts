// What the compiler needs to know about the kernel it compiles for. Injected, so the compiler runs and
// is tested without a kernel (fixtures) and never makes syscalls itself; the CLI passes an
// implementation backed by runtime/kernel.

import type { KernelTypes } from './types/kernel-types.ts';

export interface TracepointField {
  name: string;
  /** The C type as tracefs prints it, e.g. `const char *`, `char[16]`, `__data_loc char[]`. */
  typeText: string;
  offset: number;
  size: number;
  signed: boolean;
}

/** A function symbol of a user binary and the file offset a uprobe attaches at. */
export interface BinarySymbol {
  name: string;
  offset: number;
  /** Link-time address (st_value) and size (st_size): `uprobe:BIN:0xADDR` and `func+off` are checked against them. */
  address?: number;
  size?: number;
  /** ELF symbol type (`FUNC`, `IFUNC`, `OBJECT`...); absent means a plain function. */
  type?: string;
  /** The section the symbol is defined in, and whether it holds code (SHF_EXECINSTR). */
  section?: string;
  executable?: boolean;
  /** Other names at the same address: one probe point. */
  aliases?: string[];
  /**
   * IFUNC symbols: a uprobe at the symbol fires in the resolver (once per process, at relocation), not
   * per call. `implementation` is where the resolver sends calls on this machine when that could be
   * found, else `unresolved` says why not.
   */
  ifunc?: { implementation: { offset: number; name?: string } } | { unresolved: string };
}

/** A USDT probe of a binary (`.note.stapsdt`), with its argument locations. */
export interface UsdtProbeInfo {
  provider: string;
  name: string;
  /** File offset of the probe point. */
  offset: number;
  /** Link-time address of the probe point (its pc). */
  address?: number;
  /** File offset of the semaphore (0 when the probe has none). */
  semaphoreOffset: number;
  args: UsdtArgLocation[];
  /** Why the arguments could not be read (`args` is then empty); the probe itself still attaches. */
  argsError?: string;
}

/** Where a USDT argument is when the probe fires (x86-64 pt_regs offsets). */
export type UsdtArgLocation =
  /** `shift`: bits to shift right first (8 for %ah..%dh). */
  | { kind: 'register'; size: number; signed: boolean; regsOffset: number; shift?: number }
  /** At base + index * scale + offset; no base register means an absolute address. */
  | { kind: 'memory'; size: number; signed: boolean; baseRegsOffset?: number; indexRegsOffset?: number; scale?: number; offset: number }
  | { kind: 'constant'; size: number; signed: boolean; value: bigint };

export interface KernelInfo {
  /** Kernel types (BTF), or a message saying why there are none. Loaded on first use. */
  kernelTypes(): KernelTypes | { unavailable: string };
  /**
   * uprobes: the file a binary name or path means (`libc` → its path through the ld.so cache); with a
   * pid (-p), the libraries that process maps and its mount namespace come first.
   */
  resolveBinary(nameOrPath: string, pid?: number): { path: string } | { error: string };
  /**
   * Function symbols (FUNC, IFUNC) of a binary whose names match the glob (`*` wildcards), with their
   * file offsets, one per address. A name without wildcards also finds a non-function symbol, so that
   * the error can say what it is.
   */
  binarySymbols(path: string, glob: string): BinarySymbol[];
  /** USDT probes of a binary. */
  usdtProbes(path: string): UsdtProbeInfo[];
  /** Why tracepoints cannot be looked up at all (no tracefs, no permission), or undefined. */
  tracingUnavailable(): string | undefined;
  /** Fields of `<category>:<event>`, or undefined when there is no such tracepoint. */
  tracepointFields(category: string, event: string): TracepointField[] | undefined;
  /** The address of a kernel symbol (/proc/kallsyms), for kaddr(). */
  kernelSymbol?(name: string): bigint | undefined;
  /** Kernel functions that can be probed (tracefs available_filter_functions), for kprobe wildcards and -l. */
  kernelFunctions(): string[];
  /** How many CPUs are online (`ncpus`). */
  onlineCpuCount(): number;
  /**
   * How many CPU ids the kernel may ever use (the highest in /sys/devices/system/cpu/possible, plus
   * one): per-CPU map values are indexed by them. Absent: the online count is used.
   */
  possibleCpuCount?(): number;
  /** Every `category:event` matching the globs (`*` and `?`). */
  listTracepoints(categoryGlob: string, eventGlob: string): { category: string; event: string }[];
}

/** A KernelInfo that knows nothing: compiling scripts that need kernel facts fails with a clear error. */
export const noKernelInfo: KernelInfo = {
  tracingUnavailable: () => 'no kernel information was given to the compiler',
  kernelTypes: () => ({ unavailable: 'no kernel information was given to the compiler' }),
  resolveBinary: (name) => ({ error: `no binary information to resolve ${name}` }),
  binarySymbols: () => [],
  usdtProbes: () => [],
  tracepointFields: () => undefined,
  onlineCpuCount: () => 1,
  kernelFunctions: () => [],
  kernelSymbol: () => undefined,
  listTracepoints: () => [],
};
