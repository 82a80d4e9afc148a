// Attaching a loaded program as its AttachSpec says: one file per mechanism, dispatched on `kind`.
// Nothing fires until enable(), so a session can attach everything, then enable all probes together.
import type { AttachSpec, ProgramSpec } from '../artifact.ts';
import { onlineCpus } from '../kernel/cpus.ts';
import { pmuFormat, pmuType } from '../kernel/pmu.ts';
import { systemTracefs } from '../kernel/tracefs.ts';
import type { LoadedProgram } from '../programs.ts';
import type { Sys } from '../sys/sys.ts';
import { NoAttachment, type Attachment } from './attachment.ts';
import { attachPerfEvent } from './perf-event.ts';
import { attachTracepoint } from './tracepoint.ts';
import { attachUprobe, type UprobePmu } from './uprobe.ts';
import { attachKprobe, systemKprobePmu } from './kprobe.ts';
import { attachRawTracepoint } from './raw-tracepoint.ts';

export { ProbeUnavailableError, kprobeUnavailableReason } from './kprobe.ts';
export { PerfEventAttachment, NoAttachment, closeAll, type Attachment } from './attachment.ts';

/** Kernel facts attaching needs; the defaults read tracefs and sysfs. Tests pass their own. */
export interface AttachEnv {
  tracepointId(category: string, event: string): number;
  onlineCpus(): number[];
  uprobePmu(): UprobePmu;
  /** Where tracefs is (mounting it if needed), for kprobe_events. */
  tracefsRoot(): string;
  /** Undefined when the kernel has no kprobe PMU. */
  kprobePmu(): UprobePmu | undefined;
}

export function systemAttachEnv(sys: Sys): AttachEnv {
  return {
    tracepointId: (category, event) => systemTracefs((s, t, f) => sys.mount(s, t, f)).tracepointId(category, event),
    onlineCpus,
    uprobePmu: () => ({ type: pmuType('uprobe'), retprobeBit: pmuFormat('uprobe', 'retprobe').firstBit }),
    kprobePmu: systemKprobePmu,
    tracefsRoot: () => systemTracefs((s, t, f) => sys.mount(s, t, f)).root,
  };
}

/**
 * Attaches `program` as its spec's `attach` says (or as `spec` says when given: an AttachSpec, or a
 * ProgramSpec whose `attach` is used). Nothing fires until enable(); on failure nothing stays open.
 */
export function attach(
  sys: Sys,
  program: LoadedProgram,
  spec: AttachSpec | ProgramSpec = program.spec.attach,
  env: AttachEnv = systemAttachEnv(sys),
): Attachment {
  if ('attach' in spec) spec = spec.attach;
  const probe = program.spec.probe;
  switch (spec.kind) {
    case 'begin':
    case 'end':
      return new NoAttachment(probe);
    case 'tracepoint':
      return attachTracepoint(sys, probe, program.fd, spec, env.tracepointId);
    case 'perf_event':
      return attachPerfEvent(sys, probe, program.fd, spec, env.onlineCpus);
    case 'raw_tracepoint':
      return attachRawTracepoint(sys, probe, program.fd, spec.name);
    case 'tracing':
      return attachRawTracepoint(sys, probe, program.fd, undefined);
    case 'uprobe':
      return attachUprobe(sys, probe, program.fd, spec, env.uprobePmu());
    case 'kprobe':
      return attachKprobe(sys, probe, program.fd, spec, env.kprobePmu(), () => env.tracefsRoot());
    default: {
      const never: never = spec;
      throw new Error(`unknown attach kind ${(never as AttachSpec).kind}`);
    }
  }
}
