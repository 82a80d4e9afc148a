// User-space symbols for ustack and usym(), resolved the way bpftrace 0.17 does it (bcc's ProcSyms,
// with bpftrace's options: every symbol type, separate debug files looked up, CRC checked):
//
// - The process's modules are the executable, file-backed mappings of /proc/PID/maps (grouped by
//   path; anonymous memory, [heap] and [stack] are not modules), then a perf map
//   (/tmp/perf-PID.map, written by JITs) covering the whole address space.
// - An address inside a module becomes a link-time address of that ELF file: the file offset
//   (addr - mapping start + mapping offset) mapped through the PT_LOAD segment holding it. For a PIE
//   or a shared library that removes the load bias; for a fixed-address executable it is the address.
// - The symbol table of a file: symbols of its separate debug file first (build-id under
//   /usr/lib/debug/.build-id, else .gnu_debuglink next to it, in .debug/, or under /usr/lib/debug,
//   with the CRC checked), then its own .dynsym and .symtab in section order; only non-empty names
//   with a non-zero value; sorted by address with libstdc++'s std::sort (stdsort.ts), as bcc does.
// - The symbol containing the address: walking back from the last symbol at or below it, the first
//   whose [start, start+size) holds it, giving up once a symbol ends before the nearest one starts.
//   A zero-size symbol never matches, so PLT stubs and padding stay unresolved (bpftrace prints the
//   hex address).
// - An address in a module but in no symbol of it is then looked for in the perf map only.
// - A process that has exited (no /proc/PID/maps) resolves nothing: bpftrace symbolizes when it
//   prints, and so does this.
// - [vdso]: bpftrace 0.17 prints vDSO frames as bare addresses here (bcc's vDSO reader fails), so
//   they stay unresolved unless `vdso: true`, which reads the image from /proc/PID/mem.
// - C++ names (`_Z...`) are demangled as bpftrace does by default (cpp_demangle), with c++filt
//   when it is installed, or the `demangle` option.
//
// Each ELF file is read once and kept (keyed by device and inode from the maps line, so the same
// library in many processes is parsed once); a process's mappings are kept until its /proc/PID/exe
// changes (exec) or an address falls outside all of them (dlopen), and dropped when it exits.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ET_DYN, ET_EXEC, ElfFile, SHT_DYNSYM, SHT_SYMTAB, type ElfSymbol, type SymbolType } from '../elf/index.ts';
import type { ResolvedSymbol } from './kallsyms.ts';
import { stdSort } from './stdsort.ts';

export type { ResolvedSymbol } from './kallsyms.ts';

/** One line of /proc/PID/maps. */
export interface MapsEntry {
  start: bigint;
  end: bigint;
  perms: string;
  /** File offset of `start`. */
  offset: bigint;
  /** `major:minor` as printed. */
  dev: string;
  inode: number;
  /** The path, `[vdso]`-style pseudo name, or '' for anonymous memory. Includes a ` (deleted)` suffix if the kernel printed one. */
  path: string;
}

export interface UserSymbolsOptions {
  /** procfs mount (default /proc). */
  procRoot?: string;
  /** Resolve [vdso] frames from the process's vDSO image (default false: bpftrace 0.17 prints them as addresses). */
  vdso?: boolean;
  /** Look up /tmp/perf-PID.map for addresses no ELF symbol covers (default true, as bcc). */
  perfMaps?: boolean;
  /** Use separate debug files (default true, as bpftrace). */
  debugFiles?: boolean;
  /** Root of the global debug directory (default /usr/lib/debug). */
  debugRoot?: string;
  /** Turns a mangled C++ name into a readable one; false keeps names as they are. Default: c++filt if installed. */
  demangle?: ((mangled: string) => string) | false;
}

/** parse /proc/PID/maps text. */
export function parseMaps(text: string): MapsEntry[] {
  const out: MapsEntry[] = [];
  for (const line of text.split('\n')) {
    // start-end perms offset dev inode [path]; the path may contain spaces.
    const m = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+(\S+)\s+([0-9a-fA-F]+)\s+(\S+)\s+(\d+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3]!,
      offset: BigInt('0x' + m[4]),
      dev: m[5]!,
      inode: Number(m[6]),
      path: m[7] ?? '',
    });
  }
  return out;
}

/** bcc_mapping_is_file_backed: which mapping names can be modules. */
function isFileBacked(name: string): boolean {
  return (
    name !== '' &&
    !name.startsWith('//anon') &&
    !name.startsWith('/dev/zero') &&
    !name.startsWith('/anon_hugepage') &&
    !name.startsWith('[stack') &&
    !name.startsWith('/SYSV') &&
    !name.startsWith('[heap]')
  );
}

/** A symbol table sorted as bcc sorts it. */
export class SymbolTable {
  private constructor(
    /** Symbol start addresses in sorted order. */
    readonly starts: Float64Array,
    readonly sizes: Float64Array,
    readonly names: string[],
  ) {}

  /** From symbols in bcc's listing order (they are sorted here). */
  static fromList(list: readonly { name: string; value: number; size: number }[]): SymbolTable {
    const n = list.length;
    const key = new Float64Array(n);
    for (let i = 0; i < n; i++) key[i] = list[i]!.value;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i;
    stdSort(ids, key);
    const starts = new Float64Array(n);
    const sizes = new Float64Array(n);
    const names = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      const s = list[ids[k]!]!;
      starts[k] = s.value;
      sizes[k] = s.size;
      names[k] = s.name;
    }
    return new SymbolTable(starts, sizes, names);
  }

  get length(): number {
    return this.starts.length;
  }

  /** bcc's ProcSyms::Module::find_addr. */
  find(offset: number): { name: string; offset: number } | undefined {
    const { starts, sizes } = this;
    let a = 0;
    let b = starts.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (starts[m]! <= offset) a = m + 1;
      else b = m;
    }
    if (a === 0) return undefined;
    let it = a - 1;
    const limit = starts[it]!;
    for (; offset >= starts[it]!; it--) {
      if (offset < starts[it]! + sizes[it]!) return { name: this.names[it]!, offset: offset - starts[it]! };
      if (limit > starts[it]! + sizes[it]!) break;
      if (it === 0) break;
    }
    return undefined;
  }
}

/** What a module maps an address with. */
interface FileInfo {
  elf: ElfFile;
  table: SymbolTable;
}

interface Module {
  /** The name bpftrace prints in perf mode: the path from the maps line. */
  name: string;
  kind: 'elf' | 'vdso' | 'unknown';
  ranges: { start: bigint; end: bigint; offset: bigint }[];
  /** Where the file can be opened (the first mapping's /proc/PID/map_files entry, then PID's root). */
  openPaths: string[];
  /** The path separate debug files are looked for next to (inside the process's root). */
  debugBase: string;
  /** Cache key of the file. */
  key: string;
}

interface PerfMap {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  table: SymbolTable;
}

/** What one resolver() has already done. */
interface Pass {
  reloaded: boolean;
  perfMap?: PerfMap | null;
}

interface ProcessState {
  exeIno: number | undefined;
  modules: Module[];
  perfMap?: PerfMap | null;
  vdso?: FileInfo | null;
}

export class UserSymbols {
  private readonly procRoot: string;
  private readonly options: UserSymbolsOptions;
  private readonly files = new Map<string, FileInfo | null>();
  private readonly processes = new Map<number, ProcessState>();
  private readonly demangled = new Map<string, string>();
  private demangler?: ((mangled: string) => string) | false;

  constructor(options: UserSymbolsOptions = {}) {
    this.options = options;
    this.procRoot = options.procRoot ?? '/proc';
  }

  /**
   * The symbol holding `addr` in process `pid`: its (demangled) name, addr's offset from its start,
   * and `module`, the mapped file's path (what ustack(perf) prints in parentheses). Undefined when
   * the process is gone or no symbol covers the address.
   */
  resolve(pid: number, addr: bigint): ResolvedSymbol | undefined {
    return this.resolver(pid)(addr);
  }

  /**
   * A resolver for one process, for symbolizing a whole stack: the process is checked (gone, or
   * exec'd since last time) once here, not per frame.
   */
  resolver(pid: number): (addr: bigint) => ResolvedSymbol | undefined {
    const state = this.processState(pid);
    if (!state) return () => undefined;
    // Per resolver (one stack): re-read the maps at most once, look for the perf map at most once.
    const pass: Pass = { reloaded: false };
    return (addr) => this.resolveIn(pid, state, addr, pass);
  }

  /** Drop what is kept about a process (or all processes), e.g. after it exits. */
  forget(pid?: number): void {
    if (pid === undefined) this.processes.clear();
    else this.processes.delete(pid);
  }

  /** Drop everything, parsed files included. */
  clear(): void {
    this.processes.clear();
    this.files.clear();
  }

  /**
   * uaddr(): the link-time address (st_value) of a symbol in an ELF file, the first in bcc's listing
   * order with that name and a non-zero value. bpftrace 0.17 looks at OBJECT symbols only and later
   * versions at OBJECT, FUNC and IFUNC (the default here). As in bpftrace this is not relocated:
   * for a PIE or library add the load bias (`loadBias`) to get the address in a process.
   */
  address(path: string, name: string, types: readonly SymbolType[] = ['OBJECT', 'FUNC', 'IFUNC']): bigint | undefined {
    let elf: ElfFile;
    try {
      elf = ElfFile.open(path);
    } catch {
      return undefined;
    }
    for (const sym of orderedSymbols(elf)) {
      if (sym.name === name && sym.value !== 0 && types.includes(sym.type)) return BigInt(sym.value);
    }
    return undefined;
  }

  /**
   * Where process `pid` loaded `path`: runtime address minus link-time address (0 for a
   * fixed-address executable), from the first mapping of the file that holds a PT_LOAD segment's
   * start. Undefined if the process does not map the file.
   */
  loadBias(pid: number, path: string): bigint | undefined {
    const maps = this.readMaps(pid);
    if (!maps) return undefined;
    const real = realpathOrSelf(path);
    let elf: ElfFile;
    try {
      elf = ElfFile.open(path);
    } catch {
      return undefined;
    }
    if (elf.header.type === ET_EXEC) return maps.some((m) => m.path === path || m.path === real) ? 0n : undefined;
    for (const m of maps) {
      if (m.path !== path && m.path !== real) continue;
      // The mapping puts file offset m.offset at m.start; a segment whose file bytes start inside it
      // has its p_vaddr at m.start + (p_offset - m.offset) in the process.
      for (const seg of elf.loadSegments) {
        const off = BigInt(seg.offset);
        if (off >= m.offset && off < m.offset + (m.end - m.start)) return m.start + off - m.offset - BigInt(seg.vaddr);
      }
    }
    return undefined;
  }

  /** /proc/PID/maps, parsed; undefined if the process is gone. */
  readMaps(pid: number): MapsEntry[] | undefined {
    try {
      return parseMaps(readFileSync(`${this.procRoot}/${pid}/maps`, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** The symbol table of an ELF file as used for resolution (cached), or undefined if unreadable. */
  fileSymbols(path: string): SymbolTable | undefined {
    return this.fileInfo(`path:${path}`, [path], path)?.table;
  }

  // ---- internals ----

  private processState(pid: number): ProcessState | undefined {
    const exeIno = statIno(`${this.procRoot}/${pid}/exe`);
    const cached = this.processes.get(pid);
    if (cached && exeIno !== undefined && cached.exeIno === exeIno) return cached;
    const state = this.loadProcess(pid, exeIno);
    if (state) this.processes.set(pid, state);
    else this.processes.delete(pid);
    return state;
  }

  private loadProcess(pid: number, exeIno: number | undefined): ProcessState | undefined {
    const maps = this.readMaps(pid);
    if (!maps) return undefined;
    const modules: Module[] = [];
    const byName = new Map<string, Module>();
    for (const m of maps) {
      if (!m.perms.includes('x') || !isFileBacked(m.path)) continue;
      let mod = byName.get(m.path);
      if (!mod) {
        const pseudo = m.path.startsWith('[');
        const rangeName = `${m.start.toString(16)}-${m.end.toString(16)}`;
        const plain = m.path.endsWith(' (deleted)') ? m.path.slice(0, -' (deleted)'.length) : m.path;
        mod = {
          name: m.path,
          kind: m.path === '[vdso]' ? 'vdso' : pseudo ? 'unknown' : 'elf',
          ranges: [],
          openPaths: pseudo ? [] : [`${this.procRoot}/${pid}/map_files/${rangeName}`, `${this.procRoot}/${pid}/root${plain}`, plain],
          debugBase: `${this.procRoot}/${pid}/root${plain}`,
          key: m.inode !== 0 ? `ino:${m.dev}:${m.inode}` : `path:${m.path}`,
        };
        byName.set(m.path, mod);
        modules.push(mod);
      }
      mod.ranges.push({ start: m.start, end: m.end, offset: m.offset });
    }
    return { exeIno, modules };
  }

  private resolveIn(pid: number, state: ProcessState, addr: bigint, pass: Pass): ResolvedSymbol | undefined {
    let inModule = false;
    for (const mod of state.modules) {
      const range = mod.ranges.find((r) => addr >= r.start && addr < r.end);
      if (!range) continue;
      inModule = true;
      const found = this.findInModule(pid, state, mod, range, addr);
      if (found) return found;
      break;
    }
    if (!inModule && !pass.reloaded) {
      // Perhaps mapped since the maps were read (dlopen): read them again, once per pass.
      pass.reloaded = true;
      const fresh = this.loadProcess(pid, state.exeIno);
      if (!fresh) {
        this.processes.delete(pid);
        return undefined;
      }
      if (fresh.modules.length !== state.modules.length || fresh.modules.some((m, i) => m.ranges.length !== state.modules[i]!.ranges.length)) {
        state.modules = fresh.modules;
        return this.resolveIn(pid, state, addr, pass);
      }
    }
    return this.findInPerfMap(pid, state, addr, pass);
  }

  private findInModule(pid: number, state: ProcessState, mod: Module, range: { start: bigint; offset: bigint }, addr: bigint): ResolvedSymbol | undefined {
    let info: FileInfo | null | undefined;
    if (mod.kind === 'elf') info = this.fileInfo(mod.key, mod.openPaths, mod.debugBase);
    else if (mod.kind === 'vdso' && this.options.vdso) info = this.vdsoInfo(pid, state, mod);
    if (!info) return undefined;
    const fileOffset = addr - range.start + range.offset;
    const vaddr = fileOffsetToVaddr(info.elf, fileOffset, info.elf.header.type === ET_EXEC && mod.kind === 'elf' ? addr : undefined);
    if (vaddr === undefined || vaddr > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const hit = info.table.find(Number(vaddr));
    if (!hit) return undefined;
    return { name: this.demangle(hit.name), offset: BigInt(hit.offset), module: mod.name };
  }

  private findInPerfMap(pid: number, state: ProcessState, addr: bigint, pass: Pass): ResolvedSymbol | undefined {
    if (this.options.perfMaps === false) return undefined;
    if (pass.perfMap === undefined) pass.perfMap = this.perfMap(pid, state) ?? null;
    const map = pass.perfMap;
    if (!map || addr > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const hit = map.table.find(Number(addr));
    if (!hit) return undefined;
    return { name: this.demangle(hit.name), offset: BigInt(hit.offset), module: map.name };
  }

  private perfMap(pid: number, state: ProcessState): PerfMap | undefined {
    // bcc: /proc/PID/root/tmp/perf-NSPID.map (named as seen from inside), then /tmp/perf-PID.map.
    const candidates: { name: string; path: string }[] = [];
    try {
      let root = readlinkSync(`${this.procRoot}/${pid}/root`);
      if (root === '/') root = '';
      const nspid = namespacePid(this.procRoot, pid);
      candidates.push({ name: `${root}/tmp/perf-${nspid}.map`, path: `${this.procRoot}/${pid}/root/tmp/perf-${nspid}.map` });
    } catch {
      // no access to its root: the global file only
    }
    candidates.push({ name: `/tmp/perf-${pid}.map`, path: `/tmp/perf-${pid}.map` });
    for (const c of candidates) {
      let st;
      try {
        st = statSync(c.path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const prev = state.perfMap;
      if (prev && prev.path === c.path && prev.size === st.size && prev.mtimeMs === st.mtimeMs) return prev;
      let text: string;
      try {
        text = readFileSync(c.path, 'utf8');
      } catch {
        continue;
      }
      const map: PerfMap = { name: c.name, path: c.path, size: st.size, mtimeMs: st.mtimeMs, table: SymbolTable.fromList(parsePerfMap(text)) };
      state.perfMap = map;
      return map;
    }
    state.perfMap = null;
    return undefined;
  }

  private fileInfo(key: string, paths: string[], debugBase: string): FileInfo | undefined {
    const cached = this.files.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let info: FileInfo | null = null;
    for (const p of paths) {
      let elf: ElfFile;
      try {
        elf = ElfFile.open(p);
      } catch {
        continue;
      }
      if (elf.header.type !== ET_EXEC && elf.header.type !== ET_DYN) break;
      try {
        const list: { name: string; value: number; size: number }[] = [];
        if (this.options.debugFiles !== false) {
          const debug = this.findDebugFile(elf, debugBase);
          if (debug) pushListed(list, debug, () => true);
        }
        pushListed(list, elf, () => true);
        info = { elf, table: SymbolTable.fromList(list) };
      } catch {
        info = null;
      }
      break;
    }
    this.files.set(key, info);
    return info ?? undefined;
  }

  private vdsoInfo(pid: number, state: ProcessState, mod: Module): FileInfo | undefined {
    if (state.vdso !== undefined) return state.vdso ?? undefined;
    state.vdso = null;
    const r = mod.ranges[0]!;
    let fd: number | undefined;
    try {
      fd = openSync(`${this.procRoot}/${pid}/mem`, 'r');
      const buf = Buffer.alloc(Number(r.end - r.start));
      readSync(fd, buf, 0, buf.length, r.start);
      const elf = ElfFile.fromBuffer(buf, '[vdso]');
      const key = `vdso:${elf.buildId ?? buf.length}`;
      const cached = this.files.get(key);
      if (cached) {
        state.vdso = cached;
      } else {
        const list: { name: string; value: number; size: number }[] = [];
        // bcc lists FUNC and IFUNC symbols of the vDSO only.
        pushListed(list, elf, (s) => s.type === 'FUNC' || s.type === 'IFUNC');
        const info = { elf, table: SymbolTable.fromList(list) };
        this.files.set(key, info);
        state.vdso = info;
      }
    } catch {
      state.vdso = null;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return state.vdso ?? undefined;
  }

  /**
   * bcc's find_debug_via_buildid, then find_debug_via_debuglink (CRC checked): `path` is where the
   * file lives, for the lookups next to it.
   */
  private findDebugFile(elf: ElfFile, path: string): ElfFile | undefined {
    const root = this.options.debugRoot ?? '/usr/lib/debug';
    const id = elf.buildId;
    const tryOpen = (p: string): ElfFile | undefined => {
      try {
        return ElfFile.open(p);
      } catch {
        return undefined;
      }
    };
    if (id && id.length > 2) {
      const p = `${root}/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
      if (existsSync(p)) return tryOpen(p);
    }
    const link = elf.section('.gnu_debuglink');
    if (!link) return undefined;
    const data = elf.sectionData(link);
    if (data.length <= 5) return undefined;
    const nul = data.indexOf(0);
    const name = data.toString('utf8', 0, nul < 0 ? data.length : nul);
    if (!name) return undefined;
    const crc = elf.header.littleEndian ? data.readUInt32LE(data.length - 4) : data.readUInt32BE(data.length - 4);
    const dir = dirname(path);
    let found: string | undefined;
    const same = join(dir, name);
    if (existsSync(same) && !sameFile(same, path)) found = same;
    else if (existsSync(join(dir, '.debug', name))) found = join(dir, '.debug', name);
    else if (existsSync(`${root}${dirname(plainPath(path))}/${name}`)) found = `${root}${dirname(plainPath(path))}/${name}`;
    if (!found) return undefined;
    try {
      if ((crc32(readFileSync(found)) >>> 0) !== crc) return undefined;
    } catch {
      return undefined;
    }
    return tryOpen(found);
  }

  private demangle(name: string): string {
    if (!name.startsWith('_Z') && !name.startsWith('___Z')) return name;
    if (this.demangler === undefined) this.demangler = this.options.demangle ?? (hasCxxFilt() ? cxxFilt : false);
    if (this.demangler === false) return name;
    let out = this.demangled.get(name);
    if (out === undefined) {
      try {
        out = this.demangler(name) || name;
      } catch {
        out = name;
      }
      this.demangled.set(name, out);
    }
    return out;
  }
}

/** Symbols in bcc's listing order: .dynsym/.symtab in section-header order, each in table order. */
function orderedSymbols(elf: ElfFile): ElfSymbol[] {
  const out: ElfSymbol[] = [];
  for (const sec of elf.sections) {
    if (sec.type === SHT_SYMTAB) out.push(...elf.symbolTable('.symtab'));
    else if (sec.type === SHT_DYNSYM) out.push(...elf.symbolTable('.dynsym'));
  }
  return out;
}

function pushListed(list: { name: string; value: number; size: number }[], elf: ElfFile, keep: (s: ElfSymbol) => boolean): void {
  for (const s of orderedSymbols(elf)) {
    if (s.name === '' || s.value === 0 || !keep(s)) continue;
    list.push({ name: s.name, value: s.value, size: s.size });
  }
}

/**
 * A file offset inside a mapping -> the ELF link-time address, through the PT_LOAD segment whose file
 * bytes hold it; with no such segment, through .text (bcc's own formula). `exec` is the runtime
 * address, which is what a fixed-address executable's symbols use anyway.
 */
function fileOffsetToVaddr(elf: ElfFile, fileOffset: bigint, exec: bigint | undefined): bigint | undefined {
  if (exec !== undefined) return exec;
  const off = Number(fileOffset);
  for (const seg of elf.loadSegments) {
    if (off >= seg.offset && off < seg.offset + seg.filesz) return BigInt(off - seg.offset + seg.vaddr);
  }
  const text = elf.section('.text');
  if (!text) return undefined;
  return fileOffset - BigInt(text.offset) + BigInt(text.addr);
}

/** bcc_perf_map_foreach_sym: `START SIZE NAME` lines, hex numbers. */
export function parsePerfMap(text: string): { name: string; value: number; size: number }[] {
  const out: { name: string; value: number; size: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:0x)?([0-9a-fA-F]+) +(?:0x)?([0-9a-fA-F]+) (.*)$/.exec(line);
    if (!m) continue;
    const value = parseInt(m[1]!, 16);
    if (value === 0 || !Number.isSafeInteger(value)) continue;
    out.push({ name: m[3]!, value, size: parseInt(m[2]!, 16) });
  }
  return out;
}

function statIno(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** /proc/PID/root/usr/lib/x.so -> /usr/lib/x.so; /proc/PID/map_files/... is left as is. */
function plainPath(path: string): string {
  const m = /^\/proc\/\d+\/root(\/.*)$/.exec(path);
  return m ? m[1]! : path;
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The process's pid in its own pid namespace (last NSpid field), or the pid. */
function namespacePid(procRoot: string, pid: number): number {
  try {
    const status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
    const m = /^NSpid:\s+(.*)$/m.exec(status);
    if (m) {
      const ids = m[1]!.trim().split(/\s+/);
      const last = Number(ids[ids.length - 1]);
      if (Number.isInteger(last)) return last;
    }
  } catch {
    // fall through
  }
  return pid;
}

let cxxFiltAvailable: boolean | undefined;

function hasCxxFilt(): boolean {
  if (cxxFiltAvailable === undefined) {
    const r = spawnSync('c++filt', ['--version'], { encoding: 'utf8' });
    cxxFiltAvailable = r.status === 0;
  }
  return cxxFiltAvailable;
}

/** Demangles one name with c++filt (callers cache the results). */
export function cxxFilt(mangled: string): string {
  const r = spawnSync('c++filt', [], { input: mangled + '\n', encoding: 'utf8' });
  if (r.status !== 0) return mangled;
  return r.stdout.replace(/\n$/, '') || mangled;
}

let shared: UserSymbols | undefined;

/** One UserSymbols per process, so ELF files are parsed once. */
export function userSymbols(): UserSymbols {
  return (shared ??= new UserSymbols());
}
