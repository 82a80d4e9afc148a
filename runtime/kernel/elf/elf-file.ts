// A read-only ELF reader for uprobes and USDT: the file is read once into a Buffer and every table
// (section headers, program headers, symbol tables, notes) is decoded on first use. ELF32 and ELF64,
// little and big endian. Addresses and offsets are JS numbers: user-space ELF addresses stay far
// below 2^53 (a value past that, such as an odd absolute symbol, loses its low bits).
//
// Layouts (System V gABI):
//   Elf64_Ehdr 64 bytes: e_ident[16], e_type u16 @16, e_machine u16 @18, e_version u32 @20,
//     e_entry @24, e_phoff @32, e_shoff @40, e_flags u32 @48, e_ehsize u16 @52, e_phentsize @54,
//     e_phnum @56, e_shentsize @58, e_shnum @60, e_shstrndx @62 (ELF32: addresses are u32, so the
//     fields from e_entry on sit at 24, 28, 32, 36, 40, 42, 44, 46, 48, 50).
//   Elf64_Shdr 64 bytes: name u32, type u32, flags u64, addr, offset, size, link u32, info u32,
//     addralign, entsize. Elf64_Phdr 56 bytes: type u32, flags u32, offset, vaddr, paddr, filesz,
//     memsz, align (ELF32 puts p_flags after p_memsz). Elf64_Sym 24 bytes: name u32, info u8,
//     other u8, shndx u16, value u64, size u64 (ELF32: name, value, size, info, other, shndx).
//   Extended numbering: e_shnum 0 -> section 0's sh_size; e_shstrndx SHN_XINDEX -> section 0's
//     sh_link; e_phnum PN_XNUM -> section 0's sh_info.
import { readFileSync } from 'node:fs';
import { parseUsdtNotes, type UsdtProbe } from './usdt.ts';

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
const SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;

export type SymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'IFUNC' | 'OTHER';
export type SymbolBinding = 'LOCAL' | 'GLOBAL' | 'WEAK' | 'UNIQUE' | 'OTHER';
export type SymbolVisibility = 'DEFAULT' | 'INTERNAL' | 'HIDDEN' | 'PROTECTED';

const SYMBOL_TYPES: Record<number, SymbolType> = {
  0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 3: 'SECTION', 4: 'FILE', 5: 'COMMON', 6: 'TLS', 10: 'IFUNC',
};
const SYMBOL_BINDINGS: Record<number, SymbolBinding> = { 0: 'LOCAL', 1: 'GLOBAL', 2: 'WEAK', 10: 'UNIQUE' };
const VISIBILITIES: SymbolVisibility[] = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

export class ElfError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ElfError';
  }
}

export interface ElfHeader {
  class: 32 | 64;
  littleEndian: boolean;
  /** EI_OSABI. */
  osabi: number;
  /** e_type: ET_EXEC (fixed-address executable), ET_DYN (PIE or shared library), ET_REL, ET_CORE. */
  type: number;
  machine: number;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value: the link-time virtual address in executables and shared objects. */
  value: number;
  size: number;
  type: SymbolType;
  binding: SymbolBinding;
  visibility: SymbolVisibility;
  /** st_shndx: the section the symbol is defined in; SHN_UNDEF (0) for an import. */
  shndx: number;
  /** Defined here (not an import), so it has an address in this file. */
  defined: boolean;
  /** The table it came from. */
  table: '.symtab' | '.dynsym';
}

/** A probe point found by findSymbols: one symbol plus the other names at the same address. */
export interface ElfSymbolMatch extends ElfSymbol {
  /** Other matching names at the same address (aliases), sorted; the chosen name is not among them. */
  aliases: string[];
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Buffer;
  /** File offset of the note header. */
  offset: number;
  /** File offset of the descriptor. */
  descOffset: number;
}

export interface FindSymbolsOptions {
  /** Which symbol types count as probe points; default FUNC and IFUNC (what uprobes attach to). */
  types?: readonly SymbolType[];
  /** Keep every name at an address instead of one probe point per address (default false). */
  keepAliases?: boolean;
}

/** True if the buffer starts with the ELF magic. */
export function isElf(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

/** `*` matches any run of characters; everything else is literal. */
export function symbolGlob(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const BINDING_RANK: Record<SymbolBinding, number> = { GLOBAL: 0, UNIQUE: 1, WEAK: 2, LOCAL: 3, OTHER: 4 };

/** Which of several names at one address stands for it: the one with fewer leading underscores
 *  (`feof` over `_IO_feof`), then global before weak before local, then the shorter, then the first
 *  in code-unit order. */
function preferSymbol(a: ElfSymbol, b: ElfSymbol): number {
  const underscores = (s: string) => /^_*/.exec(s)![0].length;
  const u = underscores(a.name) - underscores(b.name);
  if (u !== 0) return u;
  const rank = BINDING_RANK[a.binding] - BINDING_RANK[b.binding];
  if (rank !== 0) return rank;
  if (a.name.length !== b.name.length) return a.name.length - b.name.length;
  return compareStrings(a.name, b.name);
}

export class ElfFile {
  readonly header: ElfHeader;
  private readonly littleEndian: boolean;
  private readonly is64: boolean;
  private sectionsCache?: ElfSection[];
  private programHeadersCache?: ElfProgramHeader[];
  private readonly symbolCache = new Map<string, ElfSymbol[]>();
  private usdtCache?: UsdtProbe[];

  private constructor(readonly path: string, readonly buffer: Buffer) {
    if (!isElf(buffer)) throw new ElfError(path, 'not an ELF file');
    if (buffer.length < 16) throw new ElfError(path, 'truncated ELF header');
    this.is64 = buffer[4] === 2;
    this.littleEndian = buffer[5] === 1;
    this.header = this.parseHeader();
  }

  /** Reads the whole file once; tables are decoded when first asked for. */
  static open(path: string): ElfFile {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      throw new ElfError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return new ElfFile(path, buf);
  }

  static fromBuffer(buffer: Buffer, path = '<buffer>'): ElfFile {
    return new ElfFile(path, buffer);
  }

  /** A fixed-address executable (ET_EXEC). */
  get isExecutable(): boolean {
    return this.header.type === ET_EXEC;
  }

  /** A position-independent executable or a shared library (ET_DYN). */
  get isDynamic(): boolean {
    return this.header.type === ET_DYN;
  }

  get sections(): readonly ElfSection[] {
    return (this.sectionsCache ??= this.parseSections());
  }

  get programHeaders(): readonly ElfProgramHeader[] {
    return (this.programHeadersCache ??= this.parseProgramHeaders());
  }

  /** PT_LOAD segments in file order. */
  get loadSegments(): ElfProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === PT_LOAD);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section's bytes (empty for SHT_NOBITS such as .bss). A view into the file buffer. */
  sectionData(section: ElfSection): Buffer {
    if (section.type === SHT_NOBITS || section.type === SHT_NULL) return this.buffer.subarray(0, 0);
    this.checkRange(section.offset, section.size, `section ${section.name || section.index}`);
    return this.buffer.subarray(section.offset, section.offset + section.size);
  }

  /** Symbols of .symtab then .dynsym (index 0, the null symbol, left out). A stripped file has only .dynsym. */
  get symbols(): readonly ElfSymbol[] {
    return [...this.symbolTable('.symtab'), ...this.symbolTable('.dynsym')];
  }

  /** One table's symbols in table order, without the null symbol at index 0; [] if the file has no such table. */
  symbolTable(table: '.symtab' | '.dynsym'): readonly ElfSymbol[] {
    let syms = this.symbolCache.get(table);
    if (!syms) {
      const wanted = table === '.symtab' ? SHT_SYMTAB : SHT_DYNSYM;
      const sec = this.sections.find((s) => s.type === wanted);
      syms = sec ? this.parseSymbols(sec, table) : [];
      this.symbolCache.set(table, syms);
    }
    return syms;
  }

  /** The defined symbol of that exact name, preferring .symtab, a FUNC/IFUNC, then a global binding. */
  findSymbol(name: string): ElfSymbol | undefined {
    const found = this.symbols.filter((s) => s.name === name && s.defined);
    const score = (s: ElfSymbol) => (s.type === 'FUNC' || s.type === 'IFUNC' ? 0 : 2) + (s.binding === 'LOCAL' ? 1 : 0);
    return found.sort((a, b) => score(a) - score(b))[0];
  }

  /**
   * Defined symbols whose names match a glob with `*` wildcards, from .symtab and .dynsym together,
   * one per name, sorted by name. Names that share an address are aliases of one probe point (as
   * bpftrace attaches once per address): only the preferred name is returned, with the others in
   * `aliases`. Symbols at address 0 are left out.
   */
  findSymbols(glob: string, options: FindSymbolsOptions = {}): ElfSymbolMatch[] {
    const types = options.types ?? ['FUNC', 'IFUNC'];
    const re = symbolGlob(glob);
    const byName = new Map<string, ElfSymbol>();
    for (const sym of this.symbols) {
      if (!sym.defined || sym.value === 0 || !sym.name || !types.includes(sym.type) || !re.test(sym.name)) continue;
      const prev = byName.get(sym.name);
      if (!prev || preferSymbol(sym, prev) < 0) byName.set(sym.name, sym);
    }
    const matches = [...byName.values()];
    if (options.keepAliases) {
      return matches.map((s) => ({ ...s, aliases: [] })).sort((a, b) => compareStrings(a.name, b.name));
    }
    const byAddress = new Map<number, ElfSymbol[]>();
    for (const sym of matches) {
      const list = byAddress.get(sym.value);
      if (list) list.push(sym);
      else byAddress.set(sym.value, [sym]);
    }
    const out: ElfSymbolMatch[] = [];
    for (const list of byAddress.values()) {
      list.sort(preferSymbol);
      const [chosen, ...rest] = list;
      out.push({ ...chosen!, aliases: rest.map((s) => s.name).sort(compareStrings) });
    }
    return out.sort((a, b) => compareStrings(a.name, b.name));
  }

  /**
   * The file offset of a link-time virtual address: through the PT_LOAD segment whose file-backed
   * range [p_vaddr, p_vaddr + p_filesz) holds it, offset = vaddr - p_vaddr + p_offset. Undefined if no
   * segment holds it (an address in .bss has no file bytes). Works alike for ET_EXEC and ET_DYN.
   */
  vaddrToFileOffset(vaddr: number): number | undefined {
    for (const seg of this.loadSegments) {
      if (vaddr >= seg.vaddr && vaddr < seg.vaddr + seg.filesz) return vaddr - seg.vaddr + seg.offset;
    }
    return undefined;
  }

  /** The PT_LOAD segment whose memory range [p_vaddr, p_vaddr + p_memsz) holds the address. */
  segmentFor(vaddr: number): ElfProgramHeader | undefined {
    return this.loadSegments.find((seg) => vaddr >= seg.vaddr && vaddr < seg.vaddr + seg.memsz);
  }

  /**
   * What the uprobe PMU takes as the probe offset (perf_event_attr.config2, or the `path:0xOFF` of
   * uprobe_events): the file offset of the symbol's address. Throws for an undefined (imported)
   * symbol, a relocatable object, or an address outside every loadable segment.
   */
  symbolFileOffset(sym: ElfSymbol): number {
    if (!sym.defined) throw new ElfError(this.path, `symbol ${sym.name} is not defined in this file`);
    if (this.header.type === ET_REL) throw new ElfError(this.path, 'a relocatable object (.o) has no load addresses to probe');
    let addr = sym.value;
    // On 32-bit ARM the low bit of a Thumb function's address marks the instruction set.
    if (this.header.machine === EM_ARM && (sym.type === 'FUNC' || sym.type === 'IFUNC')) addr &= ~1;
    const off = this.vaddrToFileOffset(addr);
    if (off === undefined) {
      throw new ElfError(this.path, `symbol ${sym.name} at 0x${addr.toString(16)} is in no loadable segment`);
    }
    return off;
  }

  /** Notes of a section (by name) or, if none given, of every SHT_NOTE section. */
  notes(sectionName?: string): ElfNote[] {
    const secs = this.sections.filter((s) => s.type === SHT_NOTE && (sectionName === undefined || s.name === sectionName));
    return secs.flatMap((s) => this.parseNotes(s));
  }

  /** The GNU build ID as lowercase hex, if the file has an NT_GNU_BUILD_ID note. */
  get buildId(): string | undefined {
    const note = this.notes().find((n) => n.name === 'GNU' && n.type === 3);
    return note?.desc.toString('hex');
  }

  /**
   * The USDT probes of `.note.stapsdt`, with addresses adjusted for `.stapsdt.base` (prelink) and
   * the file offsets the uprobe PMU needs. [] if the file has none.
   */
  usdtProbes(): readonly UsdtProbe[] {
    return (this.usdtCache ??= parseUsdtNotes(this));
  }

  // ---- decoding ----

  /** Reads an address-sized unsigned field. */
  readAddr(offset: number): number {
    return this.is64 ? this.u64(offset) : this.u32(offset);
  }

  u16(offset: number): number {
    return this.littleEndian ? this.buffer.readUInt16LE(offset) : this.buffer.readUInt16BE(offset);
  }

  u32(offset: number): number {
    return this.littleEndian ? this.buffer.readUInt32LE(offset) : this.buffer.readUInt32BE(offset);
  }

  u64(offset: number): number {
    return Number(this.littleEndian ? this.buffer.readBigUInt64LE(offset) : this.buffer.readBigUInt64BE(offset));
  }

  /** A NUL-terminated string at an offset (ending at `end` if no NUL comes first). */
  cString(offset: number, end = this.buffer.length): string {
    let stop = this.buffer.indexOf(0, offset);
    if (stop < 0 || stop > end) stop = end;
    return this.buffer.toString('utf8', offset, stop);
  }

  private checkRange(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.buffer.length) {
      throw new ElfError(this.path, `${what} (offset 0x${offset.toString(16)}, size ${size}) runs past the end of the file`);
    }
  }

  private parseHeader(): ElfHeader {
    const b = this.buffer;
    const cls = b[4];
    const data = b[5];
    if (cls !== 1 && cls !== 2) throw new ElfError(this.path, `unknown ELF class ${cls}`);
    if (data !== 1 && data !== 2) throw new ElfError(this.path, `unknown ELF data encoding ${data}`);
    const is64 = cls === 2;
    if (b.length < (is64 ? 64 : 52)) throw new ElfError(this.path, 'truncated ELF header');
    const a = is64 ? 8 : 4;
    const entry = 24;
    const phoff = entry + a;
    const shoff = phoff + a;
    const flags = shoff + a;
    const h: ElfHeader = {
      class: is64 ? 64 : 32,
      littleEndian: data === 1,
      osabi: b[7]!,
      type: this.u16(16),
      machine: this.u16(18),
      entry: this.readAddr(entry),
      phoff: this.readAddr(phoff),
      shoff: this.readAddr(shoff),
      flags: this.u32(flags),
      phentsize: this.u16(flags + 6),
      phnum: this.u16(flags + 8),
      shentsize: this.u16(flags + 10),
      shnum: this.u16(flags + 12),
      shstrndx: this.u16(flags + 14),
    };
    // Extended numbering keeps the real counts in section header 0.
    if (h.shoff !== 0 && (h.shnum === 0 || h.shstrndx === SHN_XINDEX || h.phnum === PN_XNUM)) {
      this.checkRange(h.shoff, is64 ? 64 : 40, 'section header 0');
      const s0 = this.rawSectionHeader(h.shoff, is64);
      if (h.shnum === 0) h.shnum = s0.size;
      if (h.shstrndx === SHN_XINDEX) h.shstrndx = s0.link;
      if (h.phnum === PN_XNUM) h.phnum = s0.info;
    }
    return h;
  }

  private rawSectionHeader(off: number, is64: boolean): Omit<ElfSection, 'index' | 'name'> & { nameOffset: number } {
    if (is64) {
      return {
        nameOffset: this.u32(off),
        type: this.u32(off + 4),
        flags: this.u64(off + 8),
        addr: this.u64(off + 16),
        offset: this.u64(off + 24),
        size: this.u64(off + 32),
        link: this.u32(off + 40),
        info: this.u32(off + 44),
        addralign: this.u64(off + 48),
        entsize: this.u64(off + 56),
      };
    }
    return {
      nameOffset: this.u32(off),
      type: this.u32(off + 4),
      flags: this.u32(off + 8),
      addr: this.u32(off + 12),
      offset: this.u32(off + 16),
      size: this.u32(off + 20),
      link: this.u32(off + 24),
      info: this.u32(off + 28),
      addralign: this.u32(off + 32),
      entsize: this.u32(off + 36),
    };
  }

  private parseSections(): ElfSection[] {
    const h = this.header;
    if (h.shoff === 0 || h.shnum === 0) return [];
    const is64 = h.class === 64;
    const entsize = h.shentsize || (is64 ? 64 : 40);
    if (entsize < (is64 ? 64 : 40)) throw new ElfError(this.path, `section header size ${entsize} is too small`);
    this.checkRange(h.shoff, entsize * h.shnum, 'section header table');
    const raw = Array.from({ length: h.shnum }, (_, i) => this.rawSectionHeader(h.shoff + i * entsize, is64));
    const strtab = raw[h.shstrndx];
    const names = strtab && strtab.type !== SHT_NOBITS ? strtab : undefined;
    if (names) this.checkRange(names.offset, names.size, 'section name table');
    return raw.map(({ nameOffset, ...rest }, index) => ({
      index,
      name: names && nameOffset < names.size ? this.cString(names.offset + nameOffset, names.offset + names.size) : '',
      ...rest,
    }));
  }

  private parseProgramHeaders(): ElfProgramHeader[] {
    const h = this.header;
    if (h.phoff === 0 || h.phnum === 0) return [];
    const is64 = h.class === 64;
    const entsize = h.phentsize || (is64 ? 56 : 32);
    if (entsize < (is64 ? 56 : 32)) throw new ElfError(this.path, `program header size ${entsize} is too small`);
    this.checkRange(h.phoff, entsize * h.phnum, 'program header table');
    const out: ElfProgramHeader[] = [];
    for (let i = 0; i < h.phnum; i++) {
      const off = h.phoff + i * entsize;
      out.push(
        is64
          ? {
              type: this.u32(off),
              flags: this.u32(off + 4),
              offset: this.u64(off + 8),
              vaddr: this.u64(off + 16),
              paddr: this.u64(off + 24),
              filesz: this.u64(off + 32),
              memsz: this.u64(off + 40),
              align: this.u64(off + 48),
            }
          : {
              type: this.u32(off),
              offset: this.u32(off + 4),
              vaddr: this.u32(off + 8),
              paddr: this.u32(off + 12),
              filesz: this.u32(off + 16),
              memsz: this.u32(off + 20),
              flags: this.u32(off + 24),
              align: this.u32(off + 28),
            },
      );
    }
    return out;
  }

  private parseSymbols(sec: ElfSection, table: '.symtab' | '.dynsym'): ElfSymbol[] {
    const is64 = this.header.class === 64;
    const entsize = sec.entsize || (is64 ? 24 : 16);
    if (entsize < (is64 ? 24 : 16)) throw new ElfError(this.path, `${table} entry size ${entsize} is too small`);
    this.checkRange(sec.offset, sec.size, table);
    const strsec = this.sections[sec.link];
    if (!strsec || strsec.type !== SHT_STRTAB) throw new ElfError(this.path, `${table} has no string table`);
    this.checkRange(strsec.offset, strsec.size, `${table} string table`);
    const count = Math.floor(sec.size / entsize);
    const out: ElfSymbol[] = [];
    for (let i = 1; i < count; i++) {
      const off = sec.offset + i * entsize;
      const nameOff = this.u32(off);
      let info: number, other: number, shndx: number, value: number, size: number;
      if (is64) {
        info = this.buffer[off + 4]!;
        other = this.buffer[off + 5]!;
        shndx = this.u16(off + 6);
        value = this.u64(off + 8);
        size = this.u64(off + 16);
      } else {
        value = this.u32(off + 4);
        size = this.u32(off + 8);
        info = this.buffer[off + 12]!;
        other = this.buffer[off + 13]!;
        shndx = this.u16(off + 14);
      }
      out.push({
        name: nameOff < strsec.size ? this.cString(strsec.offset + nameOff, strsec.offset + strsec.size) : '',
        value,
        size,
        type: SYMBOL_TYPES[info & 0xf] ?? 'OTHER',
        binding: SYMBOL_BINDINGS[info >> 4] ?? 'OTHER',
        visibility: VISIBILITIES[other & 3]!,
        shndx,
        defined: shndx !== SHN_UNDEF,
        table,
      });
    }
    return out;
  }

  private parseNotes(sec: ElfSection): ElfNote[] {
    const data = this.sectionData(sec);
    // Notes are 4-byte aligned, except in 8-byte-aligned note sections such as .note.gnu.property.
    const align = sec.addralign === 8 ? 8 : 4;
    const pad = (n: number) => (n + align - 1) & ~(align - 1);
    const out: ElfNote[] = [];
    let off = 0;
    while (off + 12 <= data.length) {
      const namesz = this.u32(sec.offset + off);
      const descsz = this.u32(sec.offset + off + 4);
      const type = this.u32(sec.offset + off + 8);
      const nameStart = off + 12;
      const descStart = pad(nameStart + namesz);
      const next = pad(descStart + descsz);
      if (descStart + descsz > data.length) {
        throw new ElfError(this.path, `note at 0x${(sec.offset + off).toString(16)} in ${sec.name} runs past its section`);
      }
      const nameBytes = data.subarray(nameStart, nameStart + namesz);
      const nul = nameBytes.indexOf(0);
      out.push({
        name: nameBytes.toString('utf8', 0, nul < 0 ? nameBytes.length : nul),
        type,
        desc: data.subarray(descStart, descStart + descsz),
        offset: sec.offset + off,
        descOffset: sec.offset + descStart,
      });
      off = next;
    }
    return out;
  }
}
