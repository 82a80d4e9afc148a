// /etc/ld.so.cache, as written by glibc's ldconfig.
//
// New format (glibc 2.32+ writes only this): a 48-byte header
//   magic "glibc-ld.so.cache" (17 bytes), version "1.1" (3), nlibs u32 @20, len_strings u32 @24,
//   flags u8 @28 (low 2 bits: 0 endianness unset, 2 little, 3 big), 3 pad, extension_offset u32 @32,
//   3 unused u32
// then nlibs 24-byte entries { flags i32, key u32, value u32, osversion u32, hwcap u64 } where key
// (the soname) and value (the full path) are string offsets from the start of the new header.
// Old format: "ld.so-1.7.0" (11 bytes, padded to 12), nlibs u32, nlibs 12-byte entries
// { flags i32, key u32, value u32 } with string offsets from the end of the entries; glibc before
// 2.32 wrote an old-format cache followed (8-byte aligned) by a new-format one, which is preferred.
// Entry flags: low byte the library kind (3 = ELF libc6), next byte the ABI (0x0300 x86-64,
// 0x0a00 aarch64, ...); ld.so only takes entries whose flags equal its own.
import { readFileSync, statSync } from 'node:fs';

export const LD_SO_CACHE = '/etc/ld.so.cache';

const MAGIC_OLD = 'ld.so-1.7.0';
const MAGIC_NEW = 'glibc-ld.so.cache';
const VERSION_NEW = '1.1';

export const FLAG_ELF_LIBC6 = 0x0003;
export const FLAG_SPARC_LIB64 = 0x0100;
export const FLAG_IA64_LIB64 = 0x0200;
export const FLAG_X8664_LIB64 = 0x0300;
export const FLAG_S390_LIB64 = 0x0400;
export const FLAG_POWERPC_LIB64 = 0x0500;
export const FLAG_X8664_LIBX32 = 0x0800;
export const FLAG_ARM_LIBHF = 0x0900;
export const FLAG_AARCH64_LIB64 = 0x0a00;
export const FLAG_ARM_LIBSF = 0x0b00;
export const FLAG_RISCV_FLOAT_ABI_DOUBLE = 0x1000;
/** Bit 62 of hwcap: the entry is in a glibc-hwcaps subdirectory (low 32 bits index the extension). */
export const DL_CACHE_HWCAP_EXTENSION = 1n << 62n;

export interface LdCacheEntry {
  /** The soname the cache is keyed by, e.g. `libc.so.6`. */
  name: string;
  /** Where it lives, e.g. `/lib/x86_64-linux-gnu/libc.so.6`. */
  path: string;
  flags: number;
  /** New format only. */
  osVersion?: number;
  /** New format only. */
  hwcap?: bigint;
}

export class LdCacheError extends Error {
  constructor(message: string) {
    super(`ld.so.cache: ${message}`);
    this.name = 'LdCacheError';
  }
}

function cString(buf: Buffer, offset: number): string {
  if (offset >= buf.length) throw new LdCacheError(`string offset 0x${offset.toString(16)} is past the end of the file`);
  let end = buf.indexOf(0, offset);
  if (end < 0) end = buf.length;
  return buf.toString('utf8', offset, end);
}

function parseNew(buf: Buffer, start: number): LdCacheEntry[] {
  if (buf.length < start + 48) throw new LdCacheError('truncated header');
  const endianFlag = buf[start + 28]! & 3;
  const le = endianFlag === 3 ? false : endianFlag === 2 ? true : (() => {
    // Unset: written in the writer's byte order; pick the order whose entry count fits the file.
    const nLe = buf.readUInt32LE(start + 20);
    return start + 48 + nLe * 24 <= buf.length;
  })();
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const i32 = (o: number) => (le ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const u64 = (o: number) => (le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const nlibs = u32(start + 20);
  if (start + 48 + nlibs * 24 > buf.length) throw new LdCacheError(`${nlibs} entries do not fit in the file`);
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const e = start + 48 + i * 24;
    out.push({
      flags: i32(e),
      name: cString(buf, start + u32(e + 4)),
      path: cString(buf, start + u32(e + 8)),
      osVersion: u32(e + 12),
      hwcap: u64(e + 16),
    });
  }
  return out;
}

/** Decodes an ld.so.cache image (new format, or old format with or without a new one after it). */
export function parseLdSoCache(buf: Buffer): LdCacheEntry[] {
  if (buf.toString('latin1', 0, MAGIC_NEW.length) === MAGIC_NEW) {
    const version = buf.toString('latin1', MAGIC_NEW.length, MAGIC_NEW.length + 3);
    if (version !== VERSION_NEW) throw new LdCacheError(`unsupported version '${version}'`);
    return parseNew(buf, 0);
  }
  if (buf.toString('latin1', 0, MAGIC_OLD.length) === MAGIC_OLD) {
    if (buf.length < 16) throw new LdCacheError('truncated header');
    const nlibs = buf.readUInt32LE(12);
    const entriesEnd = 16 + nlibs * 12;
    if (entriesEnd > buf.length) throw new LdCacheError(`${nlibs} entries do not fit in the file`);
    const newStart = (entriesEnd + 7) & ~7;
    if (buf.toString('latin1', newStart, newStart + MAGIC_NEW.length) === MAGIC_NEW) return parseNew(buf, newStart);
    const out: LdCacheEntry[] = [];
    for (let i = 0; i < nlibs; i++) {
      const e = 16 + i * 12;
      out.push({
        flags: buf.readInt32LE(e),
        name: cString(buf, entriesEnd + buf.readUInt32LE(e + 4)),
        path: cString(buf, entriesEnd + buf.readUInt32LE(e + 8)),
      });
    }
    return out;
  }
  throw new LdCacheError('not an ld.so.cache file (unknown magic)');
}

const cache = new Map<string, { mtimeMs: number; size: number; entries: LdCacheEntry[] }>();

/** Reads and decodes an ld.so.cache file, remembered until the file changes. */
export function readLdSoCache(path = LD_SO_CACHE): LdCacheEntry[] {
  const st = statSync(path);
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.entries;
  const entries = parseLdSoCache(readFileSync(path));
  cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, entries });
  return entries;
}

/** The entry flags ld.so accepts on this machine (what its _dl_cache_check_flags compares against). */
export function ldCacheFlagsForArch(arch: string = process.arch): number[] {
  switch (arch) {
    case 'x64':
      return [FLAG_X8664_LIB64 | FLAG_ELF_LIBC6];
    case 'arm64':
      return [FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6];
    case 'ia32':
      return [FLAG_ELF_LIBC6, 0x0001];
    case 'arm':
      return [FLAG_ARM_LIBHF | FLAG_ELF_LIBC6, FLAG_ELF_LIBC6];
    case 's390x':
      return [FLAG_S390_LIB64 | FLAG_ELF_LIBC6];
    case 'ppc64':
      return [FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6];
    case 'riscv64':
      return [FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6];
    default:
      return [];
  }
}
