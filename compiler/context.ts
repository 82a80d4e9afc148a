// State shared by the passes of one compilation.

import type { Diagnostic } from '../grammar/diagnostics.ts';
import type { SourceFile } from '../grammar/source.ts';
import type { KernelInfo } from './kernel-info.ts';
import type { Registry } from './registry.ts';

export interface CompileOptions {
  /** Default max entries of a map (bpftrace: 4096). */
  mapMaxEntries?: number;
  /** Size of the event ring buffer in bytes (a power of two, a multiple of the page size). */
  eventRingBytes?: number;
  /** Positional parameters `$1`, `$2`... as given on the command line. */
  positional?: string[];
  /** Default size of strings read with str() (bpftrace's max_strlen). */
  maxStrlen?: number;
  /** Print every map when the script ends (bpftrace's print_maps_on_exit). */
  printMapsOnExit?: boolean;
  /** -p PID: probes fire only for this process (BEGIN and END are not filtered). */
  targetPid?: number;
  /** -c CMD: the command's pid, the value of `cpid`. */
  childPid?: number;
  /** --unsafe: builtins that act on the system (system()) are allowed. */
  unsafe?: boolean;
  /** --max-probes: the most probes a script may attach (bpftrace's max_probes; 512 when absent). */
  maxProbes?: number;
  /**
   * Config settings by name (`max_strlen`) that win over the script's config block: bpftrace's
   * BPFTRACE_* environment variables, which take precedence over `config = { ... }` there too.
   */
  settings?: Record<string, number>;
}

export interface CompileContext {
  source: SourceFile;
  registry: Registry;
  kernel: KernelInfo;
  options: Omit<Required<CompileOptions>, 'targetPid' | 'childPid'> & CompileOptions;
  diagnostics: Diagnostic[];
}
