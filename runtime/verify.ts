// --dry-run: create the maps and load every program through the kernel's verifier, then close it all,
// attaching nothing. What the kernel said about each program is returned (for -v and for learners).

import type { Artifact, ProgramSpec } from './artifact.ts';
import { type BpfMap, createMap } from './maps.ts';
import { type LoadedProgram, loadProgram } from './programs.ts';
import type { Sys } from './sys/sys.ts';

export interface VerifiedProgram {
  name: string;
  probe: string;
  /** Instructions as compiled. */
  instructions: number;
  /** Instructions after the kernel's rewrites (xlated_prog_len / 8). */
  xlatedInstructions: number;
  /** Instructions the verifier processed. */
  verifiedInstructions: number;
  jitedBytes: number;
  stackBytes: number;
}

/** What the kernel made of a loaded program (for --dry-run and -v). */
export function describeProgram(sys: Sys, spec: ProgramSpec, fd: number): VerifiedProgram {
  const info = sys.progGetInfo(fd);
  return {
    name: spec.name,
    probe: spec.probe,
    instructions: Buffer.from(spec.bytecode, 'base64').length / 8,
    xlatedInstructions: info.xlatedProgLen / 8,
    verifiedInstructions: info.verifiedInsns,
    jitedBytes: info.jitedProgLen,
    stackBytes: spec.stackSize,
  };
}

/** One line per program: its sizes as compiled and as the kernel has it. */
export function formatProgram(p: VerifiedProgram, verb = 'loaded'): string {
  return `${p.probe}: ${verb} (${p.name}), ${p.instructions} instructions (${p.xlatedInstructions} after the kernel's rewrites, ` +
    `${p.verifiedInstructions} processed by the verifier), ${p.jitedBytes} bytes JITed, ${p.stackBytes} bytes of stack`;
}

export function verifyArtifact(sys: Sys, artifact: Artifact, logLevel = 0): VerifiedProgram[] {
  const maps: BpfMap[] = [];
  const programs: LoadedProgram[] = [];
  try {
    for (const spec of artifact.maps) maps.push(createMap(sys, spec));
    const fds = new Map(maps.map((m) => [m.spec.name, m.fd]));
    const out: VerifiedProgram[] = [];
    for (const spec of artifact.programs) {
      const prog = loadProgram(sys, spec, fds, { logLevel });
      programs.push(prog);
      out.push(describeProgram(sys, spec, prog.fd));
    }
    return out;
  } finally {
    for (const p of programs) p.close();
    for (const m of maps) m.close();
  }
}
