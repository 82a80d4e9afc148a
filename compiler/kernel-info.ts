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

export interface KernelInfo {
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
  tracepointFields: () => undefined,
  onlineCpuCount: () => 1,
  kernelFunctions: () => [],
  listTracepoints: () => [],
};
