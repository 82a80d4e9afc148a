// Kernel symbols from /proc/kallsyms, resolved the way bpftrace 0.17 does it (through bcc's KSyms):
//
// - Lines are `ADDR TYPE NAME` or `ADDR TYPE NAME\t[MODULE]`. For resolving addresses (kstack, ksym)
//   bcc skips: addresses 0 and ~0, addresses below 0x00ffffffffffffff on x86-64 (user-space range),
//   and data symbols (types b B d D r R). Everything else, text and the rest, takes part.
// - An address resolves to the last symbol at or below it, with no size limit (kallsyms has no
//   sizes): anything past the first symbol gets a name and an offset; below it, nothing.
// - Several names at one address (`_stext`/`_text`): bcc sorts by address alone with std::sort, an
//   unstable sort, and takes the last name in the sorted order. stdsort.ts repeats libstdc++'s sort
//   step for step on the same input (file order), so the chosen alias is the one bpftrace prints.
// - `address(name)` (kaddr) is bpftrace's resolve_kname: the first line in file order with that name,
//   any type (data symbols included, which is what kaddr is mostly for). bpftrace never matches
//   module symbols there (its tokenizer glues `\t[mod]` to the name); this finds them when no core
//   kernel symbol has the name, and `address(name, module)` picks a module explicitly.
// - kptr_restrict (or not being root) shows every address as zeros. Then nothing resolves, exactly as
//   in bpftrace (every frame prints as a hex address); `hidden` says so and `warning` explains it.
//
// Speed: the file (~120k-200k lines) is read once on first use as bytes and scanned by hand; addresses
// are kept as two Uint32Arrays (high and low halves, as JS numbers cannot hold 64-bit kernel
// addresses), names as byte ranges decoded only when a symbol is returned. The name index for
// address() is built on its first call.
import { closeSync, openSync, readSync } from 'node:fs';
import { stdSort } from './stdsort.ts';

export interface ResolvedSymbol {
  name: string;
  /** addr - symbol address. */
  offset: bigint;
  /** The kernel module (`[ext4]` -> `ext4`) or, for user symbols, the mapped file; absent for the core kernel. */
  module?: string;
}

export interface KernelSymbolsOptions {
  /** Where to read from (default /proc/kallsyms). */
  path?: string;
  /** The file's contents, instead of reading `path` (tests, fixtures). */
  text?: string | Buffer;
  /**
   * Skip addresses below this when resolving (bcc: 0x00ffffffffffffff on x86-64, 0 elsewhere).
   * Default: by process.arch.
   */
  minAddress?: bigint;
}

/** bcc's kernelAddrSpace: on x86-64 kernel addresses sit above 0x00ffffffffffffff. */
export const X86_64_KERNEL_ADDR_SPACE = 0x00ffffffffffffffn;

const SPACE = 0x20;
const TAB = 0x09;
const NL = 0x0a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Hex digit value of a byte, or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

/** b B d D r R: data symbols, which bcc leaves out of address resolution. */
function isDataType(c: number): boolean {
  return c === 0x62 || c === 0x42 || c === 0x64 || c === 0x44 || c === 0x72 || c === 0x52;
}

export interface KernelSymbolEntry {
  name: string;
  address: bigint;
  /** The kallsyms type letter (T, t, W, D, ...). */
  type: string;
  module?: string;
}

/** The parsed file: one row per line, in file order. */
interface Table {
  buf: Buffer;
  count: number;
  hi: Uint32Array;
  lo: Uint32Array;
  type: Uint8Array;
  nameStart: Int32Array;
  nameEnd: Int32Array;
  /** Byte range of the module name (inside the brackets); start = -1 for the core kernel. */
  modStart: Int32Array;
  modEnd: Int32Array;
  /** Rows that take part in resolution, in bcc's std::sort order (by address; aliases as bcc leaves them). */
  sorted: Int32Array;
  /** Addresses of `sorted`, for the binary search. */
  sortedHi: Uint32Array;
  sortedLo: Uint32Array;
  /** Every address was zero (kptr_restrict or no privilege), and there were lines. */
  hidden: boolean;
}

export class KernelSymbols {
  private table?: Table;
  private byName?: Map<string, number>;
  private readonly options: KernelSymbolsOptions;
  /** Milliseconds the last load took: reading the file (mostly the kernel formatting it), then parsing and sorting. */
  readMs = 0;
  parseMs = 0;

  constructor(options: KernelSymbolsOptions = {}) {
    this.options = options;
  }

  /** From the text of a kallsyms file (tests). */
  static fromText(text: string | Buffer, options: Omit<KernelSymbolsOptions, 'text'> = {}): KernelSymbols {
    return new KernelSymbols({ ...options, text });
  }

  /** Parses now instead of on first use (the result is kept). */
  load(): this {
    this.tableOrLoad();
    return this;
  }

  /** Forget the parsed file; the next call reads it again (after a module load, say). */
  reload(): void {
    this.table = undefined;
    this.byName = undefined;
  }

  /** Number of lines parsed. */
  get size(): number {
    return this.tableOrLoad().count;
  }

  /** Every address in the file is zero: kernel pointers are hidden (kptr_restrict, or not root). */
  get hidden(): boolean {
    return this.tableOrLoad().hidden;
  }

  /** Why kernel stacks will print as bare addresses, when they will; undefined when all is well. */
  get warning(): string | undefined {
    const t = this.tableOrLoad();
    if (t.count === 0) return `${this.options.path ?? '/proc/kallsyms'} is empty or unreadable: kernel addresses cannot be symbolized`;
    if (t.hidden) {
      return (
        `${this.options.path ?? '/proc/kallsyms'} lists every address as 0 (kernel.kptr_restrict, or not running as root): ` +
        'kernel stacks and ksym() will print bare addresses'
      );
    }
    return undefined;
  }

  /**
   * The symbol at or below `addr`: its name, addr minus its address, and its module for module symbols.
   * Undefined below the first symbol, for user-space addresses, and when addresses are hidden.
   */
  resolve(addr: bigint): ResolvedSymbol | undefined {
    const t = this.tableOrLoad();
    const n = t.sorted.length;
    if (n === 0 || addr < 0n || addr > 0xffffffffffffffffn) return undefined;
    const hi = Number(addr >> 32n);
    const lo = Number(addr & 0xffffffffn);
    // upper_bound: the first sorted row whose address is greater than addr.
    let lo0 = 0;
    let hi0 = n;
    const sh = t.sortedHi;
    const sl = t.sortedLo;
    while (lo0 < hi0) {
      const mid = (lo0 + hi0) >>> 1;
      const mh = sh[mid]!;
      if (mh < hi || (mh === hi && sl[mid]! <= lo)) lo0 = mid + 1;
      else hi0 = mid;
    }
    if (lo0 === 0) return undefined;
    const at = lo0 - 1;
    const row = t.sorted[at]!;
    const base = (BigInt(sh[at]!) << 32n) | BigInt(sl[at]!);
    const out: ResolvedSymbol = { name: this.nameOf(t, row), offset: addr - base };
    const module = this.moduleOf(t, row);
    if (module !== undefined) out.module = module;
    return out;
  }

  /**
   * The address of a symbol by name, for kaddr(): the first line in file order with that name, of
   * any type. With `module`, only that module's symbols (`module` = 'vmlinux' or '' for the core
   * kernel). Undefined if there is no such symbol, or when addresses are hidden (all zero).
   */
  address(name: string, module?: string): bigint | undefined {
    const t = this.tableOrLoad();
    if (t.hidden) return undefined;
    if (module !== undefined) {
      const core = module === '' || module === 'vmlinux' || module === 'kernel';
      for (let i = 0; i < t.count; i++) {
        if (!this.nameIs(t, i, name)) continue;
        const mod = this.moduleOf(t, i);
        if (core ? mod === undefined : mod === module) {
          const a = this.addressOf(t, i);
          if (a !== 0n) return a;
        }
      }
      return undefined;
    }
    if (!this.byName) {
      const map = new Map<string, number>();
      // Core kernel symbols come first in the file, so the first occurrence prefers them already.
      for (let i = 0; i < t.count; i++) {
        const s = this.nameOf(t, i);
        if (!map.has(s)) map.set(s, i);
      }
      this.byName = map;
    }
    const row = this.byName.get(name);
    if (row === undefined) return undefined;
    const a = this.addressOf(t, row);
    return a === 0n ? undefined : a;
  }

  /** Every line as an object, in file order (slow; for tests and tools). */
  *entries(): IterableIterator<KernelSymbolEntry> {
    const t = this.tableOrLoad();
    for (let i = 0; i < t.count; i++) {
      const e: KernelSymbolEntry = { name: this.nameOf(t, i), address: this.addressOf(t, i), type: String.fromCharCode(t.type[i]!) };
      const m = this.moduleOf(t, i);
      if (m !== undefined) e.module = m;
      yield e;
    }
  }

  /** Every name at exactly this address that resolution considers, in bcc's sorted order (the last is the one printed). */
  aliases(addr: bigint): string[] {
    const t = this.tableOrLoad();
    const hi = Number(addr >> 32n);
    const lo = Number(addr & 0xffffffffn);
    // lower_bound, then every row at that address.
    let a = 0;
    let b = t.sorted.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = t.sortedHi[m]!;
      if (mh < hi || (mh === hi && t.sortedLo[m]! < lo)) a = m + 1;
      else b = m;
    }
    const out: string[] = [];
    for (let i = a; i < t.sorted.length && t.sortedHi[i] === hi && t.sortedLo[i] === lo; i++) out.push(this.nameOf(t, t.sorted[i]!));
    return out;
  }

  // ---- internals ----

  private tableOrLoad(): Table {
    if (!this.table) {
      const start = performance.now();
      let buf: Buffer;
      const text = this.options.text;
      if (text !== undefined) buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      else {
        try {
          buf = readWhole(this.options.path ?? '/proc/kallsyms');
        } catch {
          buf = Buffer.alloc(0);
        }
      }
      const read = performance.now();
      const min = this.options.minAddress ?? (process.arch === 'x64' ? X86_64_KERNEL_ADDR_SPACE : 0n);
      this.table = parseKallsyms(buf, min);
      this.readMs = read - start;
      this.parseMs = performance.now() - read;
    }
    return this.table;
  }

  private addressOf(t: Table, row: number): bigint {
    return (BigInt(t.hi[row]!) << 32n) | BigInt(t.lo[row]!);
  }

  private nameOf(t: Table, row: number): string {
    return t.buf.toString('utf8', t.nameStart[row]!, t.nameEnd[row]!);
  }

  private nameIs(t: Table, row: number, name: string): boolean {
    const s = t.nameStart[row]!;
    const e = t.nameEnd[row]!;
    return e - s === Buffer.byteLength(name) && this.nameOf(t, row) === name;
  }

  private moduleOf(t: Table, row: number): string | undefined {
    const s = t.modStart[row]!;
    return s < 0 ? undefined : t.buf.toString('utf8', s, t.modEnd[row]!);
  }
}

/**
 * Reads a file whose size stat cannot tell (procfs reports 0) into one buffer, doubling it as needed:
 * readFileSync would collect small chunks and concatenate them, which costs more than the parse.
 */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(8 << 20);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function parseKallsyms(buf: Buffer, minAddress: bigint): Table {
  // Count lines first so the arrays are allocated once.
  let lines = 0;
  for (let p = buf.indexOf(NL); p >= 0; p = buf.indexOf(NL, p + 1)) lines++;
  if (buf.length > 0 && buf[buf.length - 1] !== NL) lines++;

  const hi = new Uint32Array(lines);
  const lo = new Uint32Array(lines);
  const type = new Uint8Array(lines);
  const nameStart = new Int32Array(lines);
  const nameEnd = new Int32Array(lines);
  const modStart = new Int32Array(lines);
  const modEnd = new Int32Array(lines);
  const keep = new Uint8Array(lines);
  const minHi = Number(minAddress >> 32n);
  const minLo = Number(minAddress & 0xffffffffn);

  let count = 0;
  let kept = 0;
  let nonZero = false;
  const len = buf.length;
  let nextTab = 0;
  let p = 0;
  while (p < len) {
    let eol = buf.indexOf(NL, p);
    if (eol < 0) eol = len;
    // Address: hex digits up to the first space.
    let q = p;
    let h = 0;
    let l = 0;
    let digits = 0;
    while (q < eol) {
      const d = HEX[buf[q]!]!;
      if (d < 0) break;
      // Shift the 64-bit value (h:l) left by 4 and add d.
      h = ((h << 4) | (l >>> 28)) >>> 0;
      l = ((l << 4) | d) >>> 0;
      digits++;
      q++;
    }
    if (digits === 0 || q >= eol || buf[q] !== SPACE || q + 2 >= eol) {
      p = eol + 1; // not a symbol line
      continue;
    }
    const ty = buf[q + 1]!;
    let ns = q + 2;
    while (ns < eol && buf[ns] === SPACE) ns++;
    // The name runs to the tab before `[module]`, or to the end of the line. Module lines all come
    // after the core kernel's, so the next tab is looked up only once it has been passed.
    if (nextTab >= 0 && nextTab < ns) nextTab = buf.indexOf(TAB, ns);
    const ne = nextTab >= 0 && nextTab < eol ? nextTab : eol;
    let ms = -1;
    let me = -1;
    let m = ne;
    while (m < eol && (buf[m] === TAB || buf[m] === SPACE)) m++;
    if (m < eol && buf[m] === LBRACKET) {
      const close = buf.indexOf(RBRACKET, m + 1);
      if (close >= 0 && close < eol) {
        ms = m + 1;
        me = close;
      }
    }
    const i = count++;
    hi[i] = h;
    lo[i] = l;
    type[i] = ty;
    nameStart[i] = ns;
    nameEnd[i] = ne;
    modStart[i] = ms;
    modEnd[i] = me;
    if (h !== 0 || l !== 0) nonZero = true;
    const isZero = h === 0 && l === 0;
    const isMax = h === 0xffffffff && l === 0xffffffff;
    const belowMin = h < minHi || (h === minHi && l < minLo);
    if (!isZero && !isMax && !belowMin && !isDataType(ty) && ne > ns) {
      keep[i] = 1;
      kept++;
    }
    p = eol + 1;
  }

  // bcc: vector in file order, then std::sort by address.
  const sorted = new Int32Array(kept);
  for (let i = 0, k = 0; i < count; i++) if (keep[i]) sorted[k++] = i;
  stdSort(sorted, sortKeys(hi, lo, count, sorted));
  const sortedHi = new Uint32Array(kept);
  const sortedLo = new Uint32Array(kept);
  for (let k = 0; k < kept; k++) {
    sortedHi[k] = hi[sorted[k]!]!;
    sortedLo[k] = lo[sorted[k]!]!;
  }

  return {
    buf,
    count,
    hi,
    lo,
    type,
    nameStart,
    nameEnd,
    modStart,
    modEnd,
    sorted,
    sortedHi,
    sortedLo,
    hidden: count > 0 && !nonZero,
  };
}

/**
 * Exact float64 keys ordering the rows like their 64-bit addresses: the address minus the lowest high
 * half, when the high halves span less than 2^21 (always, for real kernels); otherwise each address's
 * rank among the distinct addresses.
 */
function sortKeys(hi: Uint32Array, lo: Uint32Array, count: number, rows: Int32Array): Float64Array {
  const key = new Float64Array(count);
  let minHi = 0xffffffff;
  let maxHi = 0;
  for (let k = 0; k < rows.length; k++) {
    const h = hi[rows[k]!]!;
    if (h < minHi) minHi = h;
    if (h > maxHi) maxHi = h;
  }
  if (rows.length === 0 || maxHi - minHi < 1 << 21) {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k]!;
      key[r] = (hi[r]! - minHi) * 4294967296 + lo[r]!;
    }
    return key;
  }
  const addrs = new BigUint64Array(rows.length);
  for (let k = 0; k < rows.length; k++) addrs[k] = (BigInt(hi[rows[k]!]!) << 32n) | BigInt(lo[rows[k]!]!);
  const distinct = addrs.slice().sort();
  for (let k = 0; k < rows.length; k++) {
    let a = 0;
    let b = distinct.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (distinct[m]! < addrs[k]!) a = m + 1;
      else b = m;
    }
    key[rows[k]!] = a;
  }
  return key;
}

let shared: KernelSymbols | undefined;

/** One KernelSymbols for /proc/kallsyms per process, parsed on first use. */
export function kernelSymbols(): KernelSymbols {
  return (shared ??= new KernelSymbols());
}
