// USDT probes from `.note.stapsdt` (SystemTap SDT v3, what <sys/sdt.h> emits).
//
// Each probe is one ELF note, name "stapsdt", type 3, in the non-allocated section .note.stapsdt.
// Its descriptor holds three address-sized words then three NUL-terminated strings:
//   pc         link-time address of the probe's nop
//   base       link-time address of the .stapsdt.base section, as recorded when linked
//   semaphore  link-time address of the probe's `unsigned short` semaphore (in .probes), or 0
//   provider\0 name\0 args\0
// The note is not allocated, so prelink does not rewrite it; instead prelink moves the allocated
// .stapsdt.base section, and the reader adds (sh_addr of .stapsdt.base - recorded base) to pc and
// to the semaphore address.
//
// The argument string lists `[-]SIZE@OPERAND` separated by spaces: a negative size is a signed
// argument; the operand is in the target's assembler syntax. x86 (AT&T): `%edi` (register),
// `$5` (constant), `-20(%rbp)`, `(%rsp)`, `sym(%rip)`, `8(%rax,%rbx,4)` (memory). AArch64: `x0`,
// `w1`, `[sp, 16]`, `[x29]`, `5`.
//
// The uprobe PMU wants file offsets: the probe offset (config2) is pc's file offset, and a
// semaphore is passed as `ref_ctr_offset`, the semaphore's file offset, in perf_event_attr.config
// bits 32-63 (/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset reads `config:32-63`).
// The kernel then increments the semaphore in every process that maps the file while the probe is
// attached (Linux 4.20+).
import type { PmuFormatField } from '../pmu.ts';
import { EM_386, EM_AARCH64, EM_X86_64, ElfError, type ElfFile } from './elf-file.ts';

export const USDT_NOTE_SECTION = '.note.stapsdt';
export const USDT_BASE_SECTION = '.stapsdt.base';
export const USDT_SEMAPHORE_SECTION = '.probes';
export const USDT_NOTE_NAME = 'stapsdt';
export const USDT_NOTE_TYPE = 3;

interface UsdtArgCommon {
  /** The spec as written in the note, e.g. `-4@-20(%rbp)`. */
  text: string;
  /** Width of the value in bytes: 1, 2, 4 or 8. */
  size: number;
  signed: boolean;
}

/** The value is (the low `size` bytes of) a register, shifted right by `shift` bits first (8 for %ah..%dh). */
export interface UsdtRegisterArg extends UsdtArgCommon {
  kind: 'register';
  /** The kernel pt_regs field, e.g. `di`, `ax`, `r8`, `ip` on x86-64, `regs[0]` or `sp` on arm64. */
  register: string;
  /** offsetof(struct pt_regs, register): where a BPF program reads it from its context. */
  regsOffset: number;
  shift: number;
}

/**
 * The value is in memory at baseRegister + offset (+ indexRegister * scale), or at an absolute
 * address (no base register). With `symbol` (e.g. `counter(%rip)` or `counter+8`) the address is the
 * symbol's plus `offset`, and a %rip base means exactly that: the symbol's runtime address, which is
 * symbolAddress + the load bias for PIE and shared libraries.
 */
export interface UsdtMemoryArg extends UsdtArgCommon {
  kind: 'memory';
  offset: number;
  baseRegister?: string;
  baseRegsOffset?: number;
  indexRegister?: string;
  indexRegsOffset?: number;
  scale?: number;
  symbol?: string;
  /** The symbol's link-time address, filled in by ElfFile.usdtProbes() when the file defines it. */
  symbolAddress?: number;
}

export interface UsdtConstantArg extends UsdtArgCommon {
  kind: 'constant';
  constant: bigint;
}

export type UsdtArg = UsdtRegisterArg | UsdtMemoryArg | UsdtConstantArg;

export interface UsdtProbe {
  provider: string;
  name: string;
  /** Link-time address of the probe point, after the .stapsdt.base adjustment. */
  pc: number;
  /** File offset of pc: the uprobe's probe offset (perf_event_attr.config2). */
  pcOffset: number;
  /** Link-time address of the semaphore after the .stapsdt.base adjustment, or 0 without one. */
  semaphore: number;
  /** File offset of the semaphore: the uprobe's ref_ctr_offset (config bits 32-63); 0 without one. */
  semaphoreOffset: number;
  /** The .stapsdt.base address recorded in the note. */
  base: number;
  /** The argument string as written, e.g. `-4@%edi 8@%rsi`. */
  argsText: string;
  args: UsdtArg[];
  /** Set when the argument string could not be parsed (args is then []); the probe can still attach. */
  argsError?: string;
  /** File offset of the note. */
  noteOffset: number;
}

export class UsdtArgError extends Error {
  constructor(readonly spec: string, message: string) {
    super(`USDT argument '${spec}': ${message}`);
    this.name = 'UsdtArgError';
  }
}

// x86-64 struct pt_regs, in order: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs
// flags sp ss, each 8 bytes. A 32-bit process traced on a 64-bit kernel has the same layout.
const X86_64_PT_REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];

export function x86PtRegsOffset(field: string): number {
  const i = X86_64_PT_REGS.indexOf(field);
  if (i < 0) throw new Error(`no pt_regs field ${field}`);
  return i * 8;
}

/** Every x86 register name (64/32/16/8-bit views) -> its pt_regs field and bit shift. */
const X86_REGISTERS: Map<string, { field: string; shift: number }> = (() => {
  const m = new Map<string, { field: string; shift: number }>();
  const add = (field: string, names: string[], shift = 0) => names.forEach((n) => m.set(n, { field, shift }));
  for (const r of ['a', 'b', 'c', 'd']) {
    add(`${r}x`, [`r${r}x`, `e${r}x`, `${r}x`, `${r}l`]);
    add(`${r}x`, [`${r}h`], 8);
  }
  for (const r of ['si', 'di', 'bp', 'sp']) add(r, [`r${r}`, `e${r}`, r, `${r}l`]);
  add('ip', ['rip', 'eip', 'ip']);
  for (let n = 8; n <= 15; n++) add(`r${n}`, [`r${n}`, `r${n}d`, `r${n}w`, `r${n}b`, `r${n}l`]);
  return m;
})();

/** The pt_regs field (and shift, 8 for %ah..%dh) of an x86 register name such as `edi` or `r9d` (no `%`). */
export function normalizeX86Register(name: string): { register: string; regsOffset: number; shift: number } {
  const r = X86_REGISTERS.get(name.toLowerCase());
  if (!r) throw new Error(`unknown x86 register %${name}`);
  return { register: r.field, regsOffset: x86PtRegsOffset(r.field), shift: r.shift };
}

/** arm64 struct pt_regs starts with user_pt_regs: regs[31], sp, pc, pstate, each 8 bytes. */
export function normalizeArm64Register(name: string): { register: string; regsOffset: number; shift: number } {
  const n = name.toLowerCase();
  const m = /^[xw](\d+)$/.exec(n);
  if (m && Number(m[1]) <= 30) return { register: `regs[${Number(m[1])}]`, regsOffset: Number(m[1]) * 8, shift: 0 };
  if (n === 'fp') return { register: 'regs[29]', regsOffset: 29 * 8, shift: 0 };
  if (n === 'lr') return { register: 'regs[30]', regsOffset: 30 * 8, shift: 0 };
  if (n === 'sp' || n === 'wsp') return { register: 'sp', regsOffset: 31 * 8, shift: 0 };
  if (n === 'pc') return { register: 'pc', regsOffset: 32 * 8, shift: 0 };
  throw new Error(`unknown arm64 register ${name}`);
}

const NUMBER = String.raw`[+-]?(?:0[xX][0-9a-fA-F]+|\d+)`;

function parseBig(text: string): bigint {
  const neg = text.startsWith('-');
  const body = text.replace(/^[+-]/, '');
  const v = BigInt(body);
  return neg ? -v : v;
}

function parseNum(text: string): number {
  return Number(parseBig(text));
}

/** Splits `[-]SIZE@OPERAND`. Without a size (very old sdt.h) the argument is taken as 8 bytes, unsigned. */
function splitSize(spec: string): { size: number; signed: boolean; operand: string } {
  const m = /^([+-]?\d+)@(.+)$/.exec(spec);
  if (!m) return { size: 8, signed: false, operand: spec };
  const n = Number(m[1]);
  const size = Math.abs(n);
  if (![1, 2, 4, 8].includes(size)) throw new UsdtArgError(spec, `size ${size} is not 1, 2, 4 or 8`);
  return { size, signed: n < 0, operand: m[2]! };
}

function parseX86Operand(spec: string, common: UsdtArgCommon, operand: string): UsdtArg {
  const reg = (name: string) => {
    try {
      return normalizeX86Register(name);
    } catch (err) {
      throw new UsdtArgError(spec, (err as Error).message);
    }
  };
  let m = /^%([a-z0-9]+)$/i.exec(operand);
  if (m) {
    const r = reg(m[1]!);
    return { ...common, kind: 'register', register: r.register, regsOffset: r.regsOffset, shift: r.shift };
  }
  m = new RegExp(`^\\$(${NUMBER})$`).exec(operand);
  if (m) return { ...common, kind: 'constant', constant: parseBig(m[1]!) };
  if (/^%[a-z]s:/i.test(operand)) throw new UsdtArgError(spec, 'segment-relative (thread-local) operands are not supported');
  // disp(base,index,scale) with every part optional; disp is a number, or a symbol with an optional addend.
  m = new RegExp(
    String.raw`^(?:(${NUMBER})|([A-Za-z_.$][\w.$@]*)(?:([+-])(0[xX][0-9a-fA-F]+|\d+))?)?` +
      String.raw`(?:\(\s*(?:%([a-z0-9]+))?\s*(?:,\s*%([a-z0-9]+)\s*(?:,\s*(\d+))?)?\s*\))?$`,
    'i',
  ).exec(operand);
  if (m && operand !== '' && (m[1] !== undefined || m[2] !== undefined || operand.includes('('))) {
    const [, num, symbol, sign, addend, base, index, scale] = m;
    const arg: UsdtMemoryArg = { ...common, kind: 'memory', offset: 0 };
    if (num !== undefined) arg.offset = parseNum(num);
    if (symbol !== undefined) {
      arg.symbol = symbol;
      if (addend !== undefined) arg.offset = parseNum(`${sign}${addend}`);
    }
    if (base !== undefined) {
      const r = reg(base);
      arg.baseRegister = r.register;
      arg.baseRegsOffset = r.regsOffset;
    }
    if (index !== undefined) {
      const r = reg(index);
      arg.indexRegister = r.register;
      arg.indexRegsOffset = r.regsOffset;
      arg.scale = scale === undefined ? 1 : Number(scale);
      if (![1, 2, 4, 8].includes(arg.scale)) throw new UsdtArgError(spec, `scale ${arg.scale} is not 1, 2, 4 or 8`);
    }
    if (arg.baseRegister === 'ip' && arg.symbol === undefined) {
      throw new UsdtArgError(spec, 'a %rip-relative operand needs a symbol (the next instruction address is not known)');
    }
    return arg;
  }
  throw new UsdtArgError(spec, 'unrecognized x86 operand');
}

function parseArm64Operand(spec: string, common: UsdtArgCommon, operand: string): UsdtArg {
  const reg = (name: string) => {
    try {
      return normalizeArm64Register(name);
    } catch (err) {
      throw new UsdtArgError(spec, (err as Error).message);
    }
  };
  let m = new RegExp(`^#?(${NUMBER})$`).exec(operand);
  if (m) return { ...common, kind: 'constant', constant: parseBig(m[1]!) };
  if (/^[xw]zr$/i.test(operand)) return { ...common, kind: 'constant', constant: 0n };
  m = new RegExp(`^\\[\\s*([a-z0-9]+)\\s*(?:,\\s*#?(${NUMBER})\\s*)?\\]$`, 'i').exec(operand);
  if (m) {
    const r = reg(m[1]!);
    return { ...common, kind: 'memory', offset: m[2] === undefined ? 0 : parseNum(m[2]), baseRegister: r.register, baseRegsOffset: r.regsOffset };
  }
  m = /^([a-z0-9]+)$/i.exec(operand);
  if (m) {
    const r = reg(m[1]!);
    return { ...common, kind: 'register', register: r.register, regsOffset: r.regsOffset, shift: r.shift };
  }
  throw new UsdtArgError(spec, 'unrecognized arm64 operand');
}

/** Parses one argument spec such as `-4@%edi`, `8@-16(%rbp)` or `4@$5` for an ELF e_machine. */
export function parseUsdtArg(spec: string, machine = EM_X86_64): UsdtArg {
  const text = spec.trim();
  const { size, signed, operand } = splitSize(text);
  const common: UsdtArgCommon = { text, size, signed };
  if (machine === EM_X86_64 || machine === EM_386) return parseX86Operand(text, common, operand);
  if (machine === EM_AARCH64) return parseArm64Operand(text, common, operand);
  throw new UsdtArgError(text, `USDT arguments are not supported for ELF machine ${machine}`);
}

/** Parses a note's whole argument string (specs separated by whitespace). */
export function parseUsdtArgs(text: string, machine = EM_X86_64): UsdtArg[] {
  const specs = machine === EM_AARCH64 ? splitArm64(text) : text.trim().split(/\s+/).filter(Boolean);
  return specs.map((s) => parseUsdtArg(s, machine));
}

/** arm64 memory operands contain a space (`-4@[sp, 12]`): split on whitespace outside brackets. */
function splitArm64(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The perf_event_attr bits that carry a USDT semaphore to the uprobe PMU: the semaphore's file
 * offset placed at the PMU's `ref_ctr_offset` format field (`config:32-63` on Linux 4.20+), to be
 * ORed into that field (config here) together with the retprobe bit.
 */
export function encodeRefCtrOffset(
  semaphoreOffset: number,
  format: PmuFormatField = { field: 'config', firstBit: 32, lastBit: 63 },
): bigint {
  const bits = format.lastBit - format.firstBit + 1;
  const v = BigInt(semaphoreOffset);
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new RangeError(`semaphore offset 0x${semaphoreOffset.toString(16)} does not fit in ${format.field}:${format.firstBit}-${format.lastBit}`);
  }
  return v << BigInt(format.firstBit);
}

/** Reads every stapsdt note of the file. Used by ElfFile.usdtProbes(). */
export function parseUsdtNotes(elf: ElfFile): UsdtProbe[] {
  const sec = elf.section(USDT_NOTE_SECTION);
  if (!sec) return [];
  const baseSec = elf.section(USDT_BASE_SECTION);
  const addrSize = elf.header.class === 64 ? 8 : 4;
  const out: UsdtProbe[] = [];
  for (const note of elf.notes(USDT_NOTE_SECTION)) {
    if (note.name !== USDT_NOTE_NAME || note.type !== USDT_NOTE_TYPE) continue;
    const where = `USDT note at 0x${note.offset.toString(16)}`;
    if (note.desc.length < 3 * addrSize + 3) throw new ElfError(elf.path, `${where} is too short`);
    const rawPc = elf.readAddr(note.descOffset);
    const base = elf.readAddr(note.descOffset + addrSize);
    const rawSemaphore = elf.readAddr(note.descOffset + 2 * addrSize);
    const strings = note.desc.subarray(3 * addrSize);
    const parts = strings.toString('utf8').split('\0');
    if (parts.length < 3) throw new ElfError(elf.path, `${where} lacks its provider, name and argument strings`);
    const [provider, name, argsText] = parts as [string, string, string];
    const bias = baseSec && base !== 0 && baseSec.addr !== 0 ? baseSec.addr - base : 0;
    const pc = rawPc + bias;
    const semaphore = rawSemaphore === 0 ? 0 : rawSemaphore + bias;
    const pcOffset = elf.vaddrToFileOffset(pc);
    if (pcOffset === undefined) throw new ElfError(elf.path, `USDT ${provider}:${name} at 0x${pc.toString(16)} is in no loadable segment`);
    let semaphoreOffset = 0;
    if (semaphore !== 0) {
      const off = elf.vaddrToFileOffset(semaphore);
      if (off === undefined) {
        throw new ElfError(elf.path, `USDT ${provider}:${name} semaphore at 0x${semaphore.toString(16)} is in no file-backed loadable segment`);
      }
      semaphoreOffset = off;
    }
    const probe: UsdtProbe = { provider, name, pc, pcOffset, semaphore, semaphoreOffset, base, argsText, args: [], noteOffset: note.offset };
    try {
      probe.args = parseUsdtArgs(argsText, elf.header.machine);
      for (const arg of probe.args) {
        if (arg.kind === 'memory' && arg.symbol !== undefined) {
          const sym = elf.findSymbol(arg.symbol);
          if (sym) arg.symbolAddress = sym.value;
        }
      }
    } catch (err) {
      probe.argsError = (err as Error).message;
    }
    out.push(probe);
  }
  return out;
}
