// What the compiler needs to know about the kernel it compiles for. Injected, so the compiler runs and
// is tested without a kernel (fixtures) and never makes syscalls itself; the CLI passes an
// implementation backed by runtime/kernel.

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
}

/** A USDT probe of a binary (`.note.stapsdt`), with its argument locations. */
export interface UsdtProbeInfo {
  provider: string;
  name: string;
  /** File offset of the probe point. */
  offset: number;
  /** File offset of the semaphore (0 when the probe has none). */
  semaphoreOffset: number;
  args: UsdtArgLocation[];
}

/** Where a USDT argument is when the probe fires (x86-64 pt_regs offsets). */
export type UsdtArgLocation =
  | { kind: 'register'; size: number; signed: boolean; regsOffset: number }
  | { kind: 'memory'; size: number; signed: boolean; baseRegsOffset?: number; offset: number }
  | { kind: 'constant'; size: number; signed: boolean; value: bigint };

export interface KernelInfo {
  /** uprobes: the file a binary name or path means (`libc` → its path through the ld.so cache). */
  resolveBinary(nameOrPath: string): { path: string } | { error: string };
  /** Function symbols of a binary whose names match the glob, with their file offsets. */
  binarySymbols(path: string, glob: string): BinarySymbol[];
  /** USDT probes of a binary. */
  usdtProbes(path: string): UsdtProbeInfo[];
  /** Why tracepoints cannot be looked up at all (no tracefs, no permission), or undefined. */
  tracingUnavailable(): string | undefined;
  /** Fields of `<category>:<event>`, or undefined when there is no such tracepoint. */
  tracepointFields(category: string, event: string): TracepointField[] | undefined;
  /** Kernel functions that can be probed (tracefs available_filter_functions), for kprobe wildcards and -l. */
  kernelFunctions(): string[];
  /** How many CPUs are online (`ncpus`). */
  onlineCpuCount(): number;
  /** Every `category:event` matching the globs (`*` and `?`). */
  listTracepoints(categoryGlob: string, eventGlob: string): { category: string; event: string }[];
}

/** A KernelInfo that knows nothing: compiling scripts that need kernel facts fails with a clear error. */
export const noKernelInfo: KernelInfo = {
  tracingUnavailable: () => 'no kernel information was given to the compiler',
  resolveBinary: (name) => ({ error: `no binary information to resolve ${name}` }),
  binarySymbols: () => [],
  usdtProbes: () => [],
  tracepointFields: () => undefined,
  onlineCpuCount: () => 1,
  kernelFunctions: () => [],
  listTracepoints: () => [],
};
