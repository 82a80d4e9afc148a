// Loading the artifact's programs: decode the bytecode, patch map fds into the LD_IMM64 relocations,
// load the BTF of programs with subprograms, BPF_PROG_LOAD, and keep the verifier's log when it
// rejects a program.
import type { MapRelocation, ProgramFunctions, ProgramSpec, ProgramType } from './artifact.ts';
import { BPF_INSN_SIZE, BPF_LD_IMM64, BPF_PSEUDO_MAP_FD, BpfProgType, Errno } from './sys/constants.ts';
import { BtfLoadError, ProgLoadError, SysError, type ProgInfo, type Sys } from './sys/sys.ts';

/** enum bpf_attach_type values for tracing programs. */
const EXPECTED_ATTACH_TYPES: Record<NonNullable<ProgramSpec['expectedAttachType']>, number> = {
  fentry: 24, // BPF_TRACE_FENTRY
  fexit: 25, // BPF_TRACE_FEXIT
};

export const PROG_TYPES: Record<ProgramType, number> = {
  tracepoint: BpfProgType.TRACEPOINT,
  raw_tracepoint: BpfProgType.RAW_TRACEPOINT,
  perf_event: BpfProgType.PERF_EVENT,
  kprobe: BpfProgType.KPROBE,
  tracing: BpfProgType.TRACING,
};

/** The kernel rejected a program; `log` is the verifier's full text. */
export class VerifierError extends Error {
  readonly code: string;

  constructor(
    readonly program: string,
    readonly probe: string,
    readonly errno: number,
    readonly log: string,
  ) {
    const reason = new SysError('bpf(BPF_PROG_LOAD)', errno);
    const why = verifierReason(log);
    super(`cannot load program ${program} (${probe}): ${reason.message.replace(/^[^:]*: /, '')}${why ? `\n  verifier: ${why}` : ''}`);
    this.name = 'VerifierError';
    this.code = reason.code;
  }
}

/** Lines the verifier prints after its verdict (statistics), which are not the reason. */
const VERIFIER_TRAILER = /^(processed \d+ insns|verification time|stack depth)/;

/** The verifier's verdict: the last log line before its closing statistics ('' for an empty log). */
export function verifierReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  while (lines.length > 0 && VERIFIER_TRAILER.test(lines[lines.length - 1]!)) lines.pop();
  return lines.pop() ?? '';
}

export interface LoadProgramOptions {
  /**
   * Verifier log level to load with (1 = on failure, 2 = verbose, 4 = stats). Without it the first
   * attempt loads with no log (a log costs time on big programs, and a too-small log buffer fails the
   * load), and only a rejected program is loaded again with level 1 to fetch the reason.
   */
  logLevel?: number;
  /** Initial log buffer size (grown when the kernel says the log did not fit). */
  logSize?: number;
}

const DEFAULT_LOG_SIZE = 1 << 20;
const MAX_LOG_SIZE = 1 << 26;

export class LoadedProgram {
  private closed = false;

  constructor(
    private readonly sys: Sys,
    readonly fd: number,
    readonly spec: ProgramSpec,
    /** The verifier log when loaded with a log level; '' otherwise. */
    readonly log: string,
    /** The program's BTF (programs with subprograms): closed with the program. */
    readonly btfFd?: number,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /**
   * Runs the program once with BPF_PROG_TEST_RUN and returns its r0. For raw_tracepoint programs
   * (BEGIN/END) the kernel takes an optional context of up to 12 u64 args; none is passed by default.
   */
  testRun(ctx?: Uint8Array): number {
    try {
      return this.sys.progTestRun(this.fd, ctx ? { ctxIn: ctx } : {}).retval;
    } catch (err) {
      if (err instanceof SysError) throw new SysError(err.syscall, err.errno, `program ${this.name}`);
      throw err;
    }
  }

  info(): ProgInfo {
    return this.sys.progGetInfo(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sys.close(this.fd);
    } finally {
      if (this.btfFd !== undefined) this.sys.close(this.btfFd);
    }
  }
}

export function decodeBytecode(base64: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.length === 0 || bytes.length % BPF_INSN_SIZE !== 0) {
    throw new Error(`bytecode is ${bytes.length} bytes, not a whole number of 8-byte instructions`);
  }
  return bytes;
}

/**
 * Points each relocated LD_IMM64 at its map: src_reg = BPF_PSEUDO_MAP_FD, imm = the map's fd (the
 * second slot's imm, the upper 32 bits, stays 0). Patches `insns` in place.
 */
const BPF_PSEUDO_MAP_VALUE = 2;

export function patchRelocations(
  program: string,
  insns: Uint8Array,
  relocations: MapRelocation[],
  mapFds: ReadonlyMap<string, number>,
): void {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const count = insns.length / BPF_INSN_SIZE;
  for (const { insn, map, valueOffset } of relocations) {
    const fd = mapFds.get(map);
    if (fd === undefined) throw new Error(`program ${program}: relocation at insn ${insn} names unknown map ${map}`);
    if (!Number.isInteger(insn) || insn < 0 || insn + 1 >= count) {
      throw new Error(`program ${program}: relocation insn ${insn} is outside the program (${count} slots)`);
    }
    const at = insn * BPF_INSN_SIZE;
    if (insns[at] !== BPF_LD_IMM64) {
      throw new Error(`program ${program}: relocation insn ${insn} is opcode 0x${insns[at]!.toString(16)}, not LD_IMM64`);
    }
    // dst_reg is the low nibble, src_reg the high one: PSEUDO_MAP_FD (1), or PSEUDO_MAP_VALUE (2) whose
    // second slot carries the offset into the value.
    const pseudo = valueOffset === undefined ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
    insns[at + 1] = (insns[at + 1]! & 0x0f) | (pseudo << 4);
    view.setInt32(at + 4, fd, true);
    view.setInt32(at + BPF_INSN_SIZE + 4, valueOffset ?? 0, true);
  }
}

export function loadProgram(
  sys: Sys,
  spec: ProgramSpec,
  mapFds: ReadonlyMap<string, number>,
  opts: LoadProgramOptions = {},
): LoadedProgram {
  const progType = PROG_TYPES[spec.type];
  if (progType === undefined) throw new Error(`program ${spec.name}: unknown program type '${spec.type}'`);
  const insns = decodeBytecode(spec.bytecode);
  patchRelocations(spec.name, insns, spec.relocations, mapFds);
  const btfFd = spec.functions ? loadFunctionBtf(sys, spec.name, spec.functions) : undefined;
  try {
    return loadWithLog(sys, spec, progType, insns, opts, btfFd === undefined ? {} : { btfFd, funcInfo: encodeFuncInfo(spec.functions!) });
  } catch (err) {
    if (btfFd !== undefined) sys.close(btfFd);
    throw err;
  }
}

/**
 * The BTF describing a program's functions (BPF_BTF_LOAD), which BPF_PROG_LOAD wants with the
 * func_info records when a program passes a callback to a helper. Its types are named `tsbt_*`.
 */
function loadFunctionBtf(sys: Sys, program: string, functions: ProgramFunctions): number {
  const data = new Uint8Array(Buffer.from(functions.btf, 'base64'));
  try {
    return sys.btfLoad({ data });
  } catch (err) {
    if (!(err instanceof BtfLoadError)) throw err;
    // Load again with a log for the kernel's reason.
    try {
      return sys.btfLoad({ data, logLevel: 1, logSize: 1 << 16 });
    } catch (again) {
      if (!(again instanceof BtfLoadError)) throw again;
      throw new Error(`cannot load the BTF of program ${program}: ${again.message}`);
    }
  }
}

/** struct bpf_func_info { u32 insn_off; u32 type_id; } per function. */
export function encodeFuncInfo(functions: ProgramFunctions): Uint8Array {
  const out = new Uint8Array(8 * functions.funcInfo.length);
  const view = new DataView(out.buffer);
  functions.funcInfo.forEach((f, i) => {
    view.setUint32(8 * i, f.insn, true);
    view.setUint32(8 * i + 4, f.typeId, true);
  });
  return out;
}

function loadWithLog(
  sys: Sys,
  spec: ProgramSpec,
  progType: number,
  insns: Uint8Array,
  opts: LoadProgramOptions,
  btf: { btfFd?: number; funcInfo?: Uint8Array },
): LoadedProgram {
  const load = (logLevel: number, logSize: number) =>
    sys.progLoad({
      progType, insns, license: spec.license, name: spec.name, logLevel, logSize, ...btf,
      ...(spec.attachBtfId !== undefined ? { attachBtfId: spec.attachBtfId } : {}),
      ...(spec.expectedAttachType !== undefined ? { expectedAttachType: EXPECTED_ATTACH_TYPES[spec.expectedAttachType] } : {}),
    });

  let firstErrno: number | undefined;
  if (!opts.logLevel) {
    try {
      return new LoadedProgram(sys, load(0, 0).fd, spec, '', btf.btfFd);
    } catch (err) {
      if (!(err instanceof ProgLoadError)) throw err;
      firstErrno = err.errno;
    }
  }
  // Load (again) with a log; when the kernel truncated it, it reports ENOSPC instead of the real
  // error (and, since 6.4, the size that would have fit), so grow the buffer and retry.
  const logLevel = opts.logLevel || 1;
  let logSize = opts.logSize ?? DEFAULT_LOG_SIZE;
  for (;;) {
    try {
      const { fd, log } = load(logLevel, logSize);
      return new LoadedProgram(sys, fd, spec, opts.logLevel ? log : '', btf.btfFd);
    } catch (err) {
      if (!(err instanceof ProgLoadError)) throw err;
      if (err.errno === Errno.ENOSPC && logSize < MAX_LOG_SIZE) {
        logSize = Math.min(MAX_LOG_SIZE, Math.max(logSize * 4, (err.logTrueSize ?? 0) + 1));
        continue;
      }
      throw new VerifierError(spec.name, spec.probe, firstErrno ?? err.errno, err.log);
    }
  }
}
