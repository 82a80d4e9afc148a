// One fuzz input through the whole compiler, and everything that must hold afterwards:
// - `compile` does not throw;
// - without an artifact there is at least one error, and every diagnostic has a message and a span
//   inside the text, and renders;
// - with an artifact, every program's bytecode decodes into whole instructions with known opcodes,
//   registers below r11 (and r10, the frame pointer, never written), jumps that land on an instruction
//   inside the program, calls to known helpers, stack accesses within the 512 bytes, map relocations
//   on LD_IMM64 instructions naming maps of the artifact; each function ends in `exit` or a jump and
//   no jump leaves its function; subprogram addresses point at a function's start; the BTF of the
//   functions decodes and matches their func_info; the source map has one entry per slot, inside the
//   text; the artifact is JSON; `--emit ir|asm|artifact` render;
// - it takes less than `slowMs`.

import { compile, formatDiagnostics } from '../../api/index.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';
import { decode, type Insn } from '../../compiler/bpf/insn.ts';
import { disassembleOne } from '../../compiler/bpf/disasm.ts';
import {
  AluOp, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_DW, BPF_IMM, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_ST, BPF_STX, JmpOp, codeSize,
} from '../../compiler/bpf/opcodes.ts';
import { emit } from '../../cli/emit.ts';
import type { Artifact, EventArg, FieldLayout, ProgramFunctions } from '../../runtime/artifact.ts';
import { BtfSpec } from '../../runtime/kernel/btf/spec.ts';

export const STACK_LIMIT = 512;
const HELPERS = new Set<number>(Object.values(Helper));
const ALU_OPS = new Set<number>(Object.values(AluOp));
const JMP_OPS = new Set<number>(Object.values(JmpOp));

export interface CheckOptions {
  kernel: KernelInfo;
  positional?: string[];
  /** -p PID and -c CMD's pid. */
  targetPid?: number;
  childPid?: number;
  /** An input that takes longer than this is a failure. */
  slowMs?: number;
}

export interface Outcome {
  /** `compiled`: an artifact; `diagnosed`: errors and no artifact; `failed`: an invariant broke. */
  kind: 'compiled' | 'diagnosed' | 'failed';
  ms: number;
  /** What broke, one line each (a thrown error carries its stack). */
  problems: string[];
  /** The first error message, for statistics. */
  firstError?: string;
  /** Instructions over all programs, when compiled. */
  insns?: number;
}

export function checkInput(text: string, options: CheckOptions): Outcome {
  const started = performance.now();
  let result: ReturnType<typeof compile>;
  try {
    result = compile(text, {
      name: 'fuzz', kernel: options.kernel, positional: options.positional ?? [],
      ...(options.targetPid !== undefined ? { targetPid: options.targetPid } : {}),
      ...(options.childPid !== undefined ? { childPid: options.childPid } : {}),
    });
  } catch (e) {
    return { kind: 'failed', ms: performance.now() - started, problems: [`compile threw: ${describe(e)}`] };
  }
  const ms = performance.now() - started;
  const problems: string[] = [];
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  for (const d of result.diagnostics) {
    if (!d.message) problems.push('a diagnostic without a message');
    const { start, end } = d.span ?? { start: NaN, end: NaN };
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= text.length)) {
      problems.push(`diagnostic span ${JSON.stringify(d.span)} outside the text (length ${text.length}): ${d.message}`);
    }
  }
  try {
    formatDiagnostics(result.diagnostics, result.source);
  } catch (e) {
    problems.push(`rendering the diagnostics threw: ${describe(e)}`);
  }
  let insns: number | undefined;
  if (!result.artifact) {
    if (errors.length === 0) problems.push('no artifact and no error');
  } else {
    if (errors.length > 0) problems.push(`an artifact despite errors: ${errors[0]!.message}`);
    insns = 0;
    const mapNames = new Set(result.artifact.maps.map((m) => m.name));
    if (mapNames.size !== result.artifact.maps.length) problems.push('two maps with the same name');
    const programNames = new Set<string>();
    // The instructions as the compiler built them, before encoding: a field that does not fit its bits
    // (a 16-bit offset, a 32-bit immediate) would be silently truncated by the encoding.
    const built = new Map((result.programs ?? []).map((p) => [p.spec, p.code.insns]));
    for (const p of result.artifact.programs) {
      if (programNames.has(p.name)) problems.push(`two programs named ${p.name}`);
      programNames.add(p.name);
      const where = `${p.name} (${p.probe})`;
      try {
        const bytes = Buffer.from(p.bytecode, 'base64');
        if (bytes.length === 0 || bytes.length % 8 !== 0) problems.push(`${where}: bytecode of ${bytes.length} bytes`);
        const decoded = decode(bytes);
        const slotCount = bytes.length / 8;
        insns += slotCount;
        problems.push(...checkProgram(decoded, slotCount, p.stackSize, p.relocations, mapNames, p.functions).map((m) => `${m} [program ${where}]`));
        const original = built.get(p);
        if (original) problems.push(...roundTrip(original, decoded).map((m) => `${m} [program ${where}]`));
        if (p.sourceSpans) {
          if (p.sourceSpans.length !== slotCount) problems.push(`${where}: ${p.sourceSpans.length} source map entries for ${slotCount} slots`);
          for (const s of p.sourceSpans) {
            if (s && !(s[0] >= 0 && s[0] <= s[1] && s[1] <= text.length)) {
              problems.push(`${where}: source map span ${JSON.stringify(s)} outside the text`);
              break;
            }
          }
        }
      } catch (e) {
        problems.push(`${where}: checking the bytecode threw: ${describe(e)}`);
      }
    }
    problems.push(...checkArtifact(result.artifact));
    try {
      JSON.parse(JSON.stringify(result.artifact));
      emit('ir', result);
      emit('asm', result);
    } catch (e) {
      problems.push(`--emit threw: ${describe(e)}`);
    }
  }
  const slowMs = options.slowMs ?? 2000;
  if (ms > slowMs) problems.push(`took ${ms.toFixed(0)} ms (limit ${slowMs} ms)`);
  return {
    kind: problems.length > 0 ? 'failed' : result.artifact ? 'compiled' : 'diagnosed',
    ms,
    problems,
    ...(errors[0] ? { firstError: errors[0].message } : {}),
    ...(insns !== undefined ? { insns } : {}),
  };
}

/** The invariants of one program's instructions (`decoded`: as insn.ts decodes them, LD_IMM64 as one). */
export function checkProgram(
  decoded: Insn[], slotCount: number, stackSize: number, relocations: { insn: number; map: string; valueOffset?: number }[], maps: Set<string>,
  functions?: ProgramFunctions,
): string[] {
  const problems: string[] = [];
  if (!(stackSize >= 0 && stackSize <= STACK_LIMIT)) problems.push(`stack size ${stackSize}`);
  // Function starts (the main function at 0, then each subprogram's first slot).
  const funcStarts = functions ? functions.funcInfo.map((f) => f.insn) : [0];
  if (functions) problems.push(...checkFunctions(functions, slotCount));
  const functionOf = (s: number) => funcStarts.filter((f) => f <= s).length - 1;
  // Slot index of each instruction, and which slots are the second half of an LD_IMM64.
  const starts = new Set<number>();
  const ldImm64At = new Map<number, Insn>();
  let slot = 0;
  for (const i of decoded) {
    starts.add(slot);
    if (i.imm2 !== undefined) ldImm64At.set(slot, i);
    slot += i.imm2 === undefined ? 1 : 2;
  }
  if (slot !== slotCount) problems.push(`${slotCount} slots decode to ${slot} (an LD_IMM64 cut in half at the end?)`);
  slot = 0;
  for (const i of decoded) {
    const at = `[insn ${slot}: ${safeDisasm(i, slot)}]`;
    const cls = i.code & 0x07;
    if (i.dst > 10 || i.src > 10) problems.push(`register above r10 ${at}`);
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        if (!ALU_OPS.has(i.code & 0xf0)) problems.push(`unknown ALU operation ${at}`);
        if (i.dst === 10) problems.push(`writes the frame pointer r10 ${at}`);
        const op = i.code & 0xf0;
        if ((op === AluOp.div || op === AluOp.mod) && (i.code & 0x08) === 0 && i.imm === 0) problems.push(`a division by the constant 0, which the verifier refuses ${at}`);
        if ((op === AluOp.lsh || op === AluOp.rsh || op === AluOp.arsh) && (i.code & 0x08) === 0 && (i.imm < 0 || i.imm >= (cls === BPF_ALU64 ? 64 : 32))) {
          problems.push(`a shift by the constant ${i.imm}, which the verifier refuses (0..${cls === BPF_ALU64 ? 63 : 31} only) ${at}`);
        }
        break;
      }
      case BPF_LD:
        if (i.code !== (BPF_LD | BPF_DW | BPF_IMM) || i.imm2 === undefined) problems.push(`an LD other than LD_IMM64 ${at}`);
        if (i.dst === 10) problems.push(`writes the frame pointer r10 ${at}`);
        if (i.src === 4) {
          // BPF_PSEUDO_FUNC: the address of a subprogram, imm slots after the next instruction.
          const target = slot + 1 + i.imm;
          if (!funcStarts.includes(target) || target === 0) problems.push(`a subprogram address that is no subprogram's start (slot ${target}) ${at}`);
          if (i.imm2 !== 0) problems.push(`a subprogram address with a nonzero upper half ${at}`);
        } else if (i.src !== 0 && i.src !== 1 && i.src !== 2) problems.push(`LD_IMM64 with pseudo source ${i.src} ${at}`);
        break;
      case BPF_LDX:
        if ((i.code & 0xe0) !== BPF_MEM) problems.push(`LDX mode other than MEM ${at}`);
        if (i.dst === 10) problems.push(`writes the frame pointer r10 ${at}`);
        if (i.src === 10) problems.push(...stackAccess(at, i.off, codeSize(i.code)));
        break;
      case BPF_ST:
      case BPF_STX: {
        const mode = i.code & 0xe0;
        if (mode !== BPF_MEM && !(cls === BPF_STX && mode === BPF_ATOMIC)) problems.push(`store mode 0x${mode.toString(16)} ${at}`);
        if (i.dst === 10) problems.push(...stackAccess(at, i.off, codeSize(i.code)));
        break;
      }
      case BPF_JMP:
      case BPF_JMP32: {
        const op = i.code & 0xf0;
        if (!JMP_OPS.has(op)) {
          problems.push(`unknown jump operation ${at}`);
          break;
        }
        if (op === JmpOp.call) {
          if (!HELPERS.has(i.imm)) problems.push(`call to unknown helper ${i.imm} ${at}`);
          break;
        }
        if (op === JmpOp.exit) break;
        const target = slot + 1 + i.off;
        if (target < 0 || target >= slotCount) problems.push(`jumps to slot ${target}, outside 0..${slotCount - 1} ${at}`);
        else if (!starts.has(target)) problems.push(`jumps into the middle of an LD_IMM64 (slot ${target}) ${at}`);
        else if (functionOf(target) !== functionOf(slot)) problems.push(`jumps out of its function (to slot ${target}) ${at}`);
        break;
      }
      default:
        problems.push(`unknown instruction class ${cls} ${at}`);
    }
    slot += i.imm2 === undefined ? 1 : 2;
  }
  // Every function's last instruction (the one before the next function, or the program's last).
  const ends = new Map<number, Insn>();
  slot = 0;
  for (const i of decoded) {
    const next = slot + (i.imm2 === undefined ? 1 : 2);
    if (next === slotCount || funcStarts.includes(next)) ends.set(slot, i);
    slot = next;
  }
  if (decoded.length === 0) problems.push('no instructions');
  for (const [at, last] of ends) {
    const isExit = (last.code & 0x07) === BPF_JMP && ((last.code & 0xf0) === JmpOp.exit || (last.code & 0xf0) === JmpOp.ja);
    if (!isExit) problems.push(`the last instruction of a function (${safeDisasm(last, at)}) falls off the end`);
  }
  for (const r of relocations) {
    const i = ldImm64At.get(r.insn);
    if (!i) problems.push(`relocation for ${r.map} at slot ${r.insn}, which is not an LD_IMM64`);
    else if (i.src !== (r.valueOffset === undefined ? 1 : 2)) problems.push(`relocation for ${r.map} at slot ${r.insn}: pseudo source ${i.src}`);
    if (!maps.has(r.map)) problems.push(`relocation for an unknown map ${r.map}`);
  }
  for (const [at, i] of ldImm64At) {
    if (i.src !== 0 && i.src !== 4 && !relocations.some((r) => r.insn === at)) problems.push(`map load at slot ${at} without a relocation`);
  }
  return problems;
}

/**
 * func_info and its BTF as BPF_PROG_LOAD checks them: records in increasing slot order from 0, each
 * naming a FUNC of the BTF (the main one first, the callbacks static), every frame within 512 bytes.
 */
function checkFunctions(functions: ProgramFunctions, slotCount: number): string[] {
  const problems: string[] = [];
  const info = functions.funcInfo;
  if (info[0]?.insn !== 0) problems.push('the first func_info record is not at slot 0');
  info.forEach((f, n) => {
    if (n > 0 && f.insn <= info[n - 1]!.insn) problems.push(`func_info record ${n} at slot ${f.insn}, not after the previous one`);
    if (f.insn >= slotCount) problems.push(`func_info record ${n} at slot ${f.insn}, past the end`);
    if (!(f.stackSize >= 0 && f.stackSize <= STACK_LIMIT)) problems.push(`function ${f.name}: stack size ${f.stackSize}`);
  });
  try {
    const btf = new BtfSpec(new Uint8Array(Buffer.from(functions.btf, 'base64')));
    info.forEach((f, n) => {
      const t = btf.type(f.typeId);
      if (t.kind !== 'func') problems.push(`func_info record ${n}: BTF type ${f.typeId} is a ${t.kind}, not a func`);
      else {
        if (t.name !== f.name) problems.push(`func_info record ${n}: BTF names it ${t.name}, not ${f.name}`);
        if (n > 0 && t.linkage !== 'static') problems.push(`callback ${f.name} has ${t.linkage} linkage; the verifier wants static`);
        const proto = btf.proto(f.typeId);
        if (!proto || proto.params.some((p) => p.name === '')) problems.push(`function ${f.name}: a prototype without named parameters`);
      }
    });
  } catch (e) {
    problems.push(`the functions' BTF does not decode: ${describe(e)}`);
  }
  return problems;
}

/** Kernel object names: at most 15 characters (BPF_OBJ_NAME_LEN with its NUL) of [A-Za-z0-9_.]. */
const OBJECT_NAME = /^[A-Za-z0-9_.]{1,15}$/;

/** What the kernel and the runtime need of maps, events and programs besides their instructions. */
export function checkArtifact(a: Artifact): string[] {
  const problems: string[] = [];
  const maps = new Map(a.maps.map((m) => [m.name, m]));
  for (const m of a.maps) {
    if (!OBJECT_NAME.test(m.name)) problems.push(`map name ${JSON.stringify(m.name)} is not a valid kernel object name`);
    if (!(m.keySize > 0 && m.valueSize > 0 && m.maxEntries > 0) && m.type !== 'ringbuf') {
      problems.push(`map ${m.name}: key size ${m.keySize}, value size ${m.valueSize}, ${m.maxEntries} entries`);
    }
    for (const f of m.key?.fields ?? []) {
      if (!within(f, m.keySize)) problems.push(`map ${m.name}: key field ${JSON.stringify(f)} outside its ${m.keySize}-byte key`);
    }
    if (m.value?.kind === 'tuple') {
      for (const f of m.value.fields) if (!within(f, m.valueSize)) problems.push(`map ${m.name}: value field ${JSON.stringify(f)} outside its ${m.valueSize}-byte value`);
    }
  }
  for (const p of a.programs) if (!OBJECT_NAME.test(p.name)) problems.push(`program name ${JSON.stringify(p.name)} is not a valid kernel object name`);
  const ids = new Set<number>();
  for (const e of a.events) {
    if (ids.has(e.id)) problems.push(`two events with id ${e.id}`);
    ids.add(e.id);
    const args: EventArg[] = 'args' in e ? e.args : 'value' in e ? [e.value] : 'code' in e && e.code ? [e.code] : [];
    for (const arg of args) {
      if ('offset' in arg && !(arg.offset >= 8 && within(arg as FieldLayout, e.size))) {
        problems.push(`event ${e.id} (${e.kind}): argument ${JSON.stringify(arg)} outside its ${e.size}-byte record`);
      }
    }
    if ('map' in e && !maps.has(e.map)) problems.push(`event ${e.id} (${e.kind}) names an unknown map ${e.map}`);
  }
  if (a.eventRing && !maps.has(a.eventRing)) problems.push(`the event ring ${a.eventRing} is not a map`);
  return problems;
}

function within(f: { offset: number; size?: number }, size: number): boolean {
  return f.offset >= 0 && f.offset + (f.size ?? 8) <= size;
}

/** Fields of the built instructions that the encoding changed: values out of range for their bits. */
export function roundTrip(built: readonly Insn[], decoded: readonly Insn[]): string[] {
  if (built.length !== decoded.length) return [`${built.length} instructions encode to ${decoded.length}`];
  const problems: string[] = [];
  let slot = 0;
  for (let n = 0; n < built.length && problems.length < 3; n++) {
    const a = built[n]!;
    const b = decoded[n]!;
    for (const f of ['code', 'dst', 'src', 'off', 'imm', 'imm2'] as const) {
      if (a[f] !== b[f]) problems.push(`the ${f} ${a[f]} does not fit its field: it encodes as ${b[f]} [insn ${slot}: ${safeDisasm(b, slot)}]`);
    }
    slot += a.imm2 === undefined ? 1 : 2;
  }
  return problems;
}

function stackAccess(at: string, off: number, size: number): string[] {
  return off < -STACK_LIMIT || off + size > 0 ? [`a stack access outside the 512-byte frame ${at}`] : [];
}

function safeDisasm(i: Insn, slot: number): string {
  try {
    return disassembleOne(i, slot);
  } catch {
    return `code 0x${i.code.toString(16)}`;
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

