// One BTF blob (vmlinux, a module's split BTF, or a fixture), decoded lazily in the manner of cilium/ebpf's
// btf/unmarshal.go: construction checks the header and walks the type section once, recording where
// each type's record starts; the name index is built on the first lookup by name; a type is inflated
// into the plain model of ./types.ts only when asked for, and then cached.
//
// Split BTF (/sys/kernel/btf/<module>) continues the base's numbering: its first type id is the base's
// type count (void included), and string offsets at or past the base's string section length refer to
// its own string section. A split spec answers for base ids too, by delegating to its base.

import {
  BTF_HEADER_MIN_LEN,
  BTF_MAGIC,
  BTF_VERSION,
  type BtfHeader,
  FIXED_WORDS,
  INT_BOOL,
  INT_CHAR,
  INT_SIGNED,
  infoKflag,
  infoKind,
  infoVlen,
  Kind,
  KIND_NAMES,
  VLEN_WORDS,
} from './format.ts';
import {
  BtfError,
  type BtfFuncProto,
  type BtfKindName,
  type BtfLinkage,
  type BtfMember,
  type BtfParam,
  type BtfStruct,
  type BtfType,
  type FuncInfo,
  type MemberInfo,
} from './types.ts';

export interface BtfSpecOptions {
  /** The BTF this one is split from (vmlinux for a module). */
  base?: BtfSpec;
  /**
   * The id this spec gives its first own type. Defaults to the kernel's numbering (1, or the base's
   * next id for split BTF). A facade holding several modules split from the same base renumbers all
   * but the first so that their ids do not collide; `kernelId()` maps back.
   */
  firstId?: number;
  /** For messages: 'vmlinux', a module name, a file name. */
  name?: string;
  /** Pointer size in bytes (BTF does not record it). Default 8. */
  pointerSize?: number;
}

/** What `findType` can look for: model kinds plus `enum64` (just the 64-bit enums). */
export type FindKind = BtfKindName | 'enum64';

/** Where split BTF looks: its base, then its own types ('all'), or only its own ('own'). */
export type LookupScope = 'all' | 'own';

const LINKAGES: BtfLinkage[] = ['static', 'global', 'extern'];
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/** Parses the header; throws BtfError on anything malformed. */
export function parseBtfHeader(blob: Uint8Array): BtfHeader {
  if (blob.length < BTF_HEADER_MIN_LEN) throw new BtfError(`BTF blob is ${blob.length} bytes, shorter than a header`);
  const le = blob[0]! | (blob[1]! << 8);
  let swapped: boolean;
  if (le === BTF_MAGIC) swapped = !IS_LITTLE_ENDIAN;
  else if (((blob[0]! << 8) | blob[1]!) === BTF_MAGIC) swapped = IS_LITTLE_ENDIAN;
  else throw new BtfError(`not BTF: magic is 0x${le.toString(16)}, expected 0x${BTF_MAGIC.toString(16)}`);
  const blobLE = IS_LITTLE_ENDIAN !== swapped;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const u32 = (at: number) => view.getUint32(at, blobLE);
  const header: BtfHeader = {
    swapped,
    version: blob[2]!,
    flags: blob[3]!,
    hdrLen: u32(4),
    typeOff: u32(8),
    typeLen: u32(12),
    strOff: u32(16),
    strLen: u32(20),
  };
  if (header.version !== BTF_VERSION) throw new BtfError(`unsupported BTF version ${header.version}`);
  if (header.hdrLen < BTF_HEADER_MIN_LEN || header.hdrLen > blob.length) {
    throw new BtfError(`bad BTF header length ${header.hdrLen}`);
  }
  // A longer header from a newer kernel is allowed if what it adds is zero (as the kernel checks).
  for (let i = BTF_HEADER_MIN_LEN; i < header.hdrLen; i++) {
    if (blob[i] !== 0) throw new BtfError('BTF header has unknown non-zero fields');
  }
  const data = blob.length - header.hdrLen;
  if (header.typeOff % 4 !== 0 || header.typeLen % 4 !== 0) throw new BtfError('BTF type section is not 4-byte aligned');
  if (header.typeOff + header.typeLen > data) throw new BtfError('BTF type section runs past the end of the blob');
  if (header.strOff + header.strLen > data) throw new BtfError('BTF string section runs past the end of the blob');
  if (header.typeOff < header.strOff + header.strLen && header.strOff < header.typeOff + header.typeLen) {
    throw new BtfError('BTF type and string sections overlap');
  }
  if (header.strLen > 0 && blob[header.hdrLen + header.strOff + header.strLen - 1] !== 0) {
    throw new BtfError('BTF string section does not end with NUL');
  }
  return header;
}

export class BtfSpec {
  readonly name: string;
  readonly base: BtfSpec | undefined;
  readonly header: BtfHeader;
  /** Id of this spec's first own type (1 for base BTF). */
  readonly firstId: number;
  /** Id the kernel gives this spec's first own type (differs from firstId only when renumbered). */
  readonly kernelFirstId: number;
  /** Number of own types (void not counted). */
  readonly count: number;
  readonly pointerSize: number;

  /** The type section as 32-bit words in this machine's byte order. */
  private readonly words: Uint32Array;
  /** Own type index (id - firstId) → word offset of its btf_type record. */
  private readonly offsets: Uint32Array;
  /** Own type index → name offset (a copy, contiguous for the name index). */
  private readonly names: Uint32Array;
  /** Own type index → BTF kind number. */
  private readonly kinds: Uint8Array;
  private readonly strings: Uint8Array;
  /** String offset of this spec's first string (the base's string length for split BTF). */
  private readonly strStart: number;
  private readonly cache: (BtfType | undefined)[];
  private readonly stringCache = new Map<number, string>();
  private chainNext: Int32Array | undefined;
  private chainHash: Uint32Array | undefined;
  private typeHeads: Int32Array | undefined;
  private funcHeads: Int32Array | undefined;
  private enumerators: Map<string, number> | undefined;

  constructor(blob: Uint8Array, options: BtfSpecOptions = {}) {
    const header = parseBtfHeader(blob);
    const base = options.base;
    this.header = header;
    this.base = base;
    this.name = options.name ?? (base ? 'split BTF' : 'BTF');
    this.pointerSize = options.pointerSize ?? base?.pointerSize ?? 8;
    this.kernelFirstId = base ? base.kernelNextId : 1;
    this.firstId = options.firstId ?? (base ? base.nextId : 1);
    if (base && this.firstId < base.nextId) throw new BtfError(`split BTF ids must start after the base's (${base.nextId})`);
    this.strStart = base ? base.strStart + base.header.strLen : 0;

    const typeStart = header.hdrLen + header.typeOff;
    const strBegin = header.hdrLen + header.strOff;
    this.strings = blob.subarray(strBegin, strBegin + header.strLen);
    if (!base && header.strLen > 0 && this.strings[0] !== 0) throw new BtfError('BTF string section does not start with NUL');

    // Zero-copy when aligned and in our byte order (the usual case for a file read whole).
    const nwords = header.typeLen / 4;
    let words: Uint32Array;
    if (!header.swapped && (blob.byteOffset + typeStart) % 4 === 0) {
      words = new Uint32Array(blob.buffer, blob.byteOffset + typeStart, nwords);
    } else {
      words = new Uint32Array(nwords);
      const view = new DataView(blob.buffer, blob.byteOffset + typeStart, header.typeLen);
      const le = IS_LITTLE_ENDIAN !== header.swapped;
      for (let i = 0; i < nwords; i++) words[i] = view.getUint32(i * 4, le);
    }
    this.words = words;

    // The one pass: every record is 3 words plus a kind- and vlen-dependent tail. It keeps where each
    // record starts and its name offset (the name index, built on first lookup, reads those).
    const capacity = Math.max(16, Math.ceil(nwords / 3));
    const offsets = new Uint32Array(capacity);
    const names = new Uint32Array(capacity);
    const kinds = new Uint8Array(capacity);
    let n = 0;
    let p = 0;
    while (p < nwords) {
      if (p + 3 > nwords) throw new BtfError(`BTF type ${this.firstId + n} is truncated`);
      const info = words[p + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const fixed = FIXED_WORDS[kind]!;
      if (fixed < 0) throw new BtfError(`BTF type ${this.firstId + n} has unknown kind ${kind}`);
      offsets[n] = p;
      kinds[n] = kind;
      names[n++] = words[p]!;
      p += 3 + fixed + VLEN_WORDS[kind]! * (info & 0xffff);
    }
    if (p !== nwords) throw new BtfError(`BTF type ${this.firstId + n - 1} runs past the type section`);
    // Copies at the exact length: the capacity guess is about twice the type count.
    this.offsets = offsets.slice(0, n);
    this.names = names.slice(0, n);
    this.kinds = kinds.slice(0, n);
    this.count = n;
    this.cache = new Array(n);
  }

  /** One past the last id this spec (or its base) knows. */
  get nextId(): number {
    return this.firstId + this.count;
  }

  /** One past the last id in the kernel's numbering (what a module split from this one starts at). */
  get kernelNextId(): number {
    return this.kernelFirstId + this.count;
  }

  /** Whether `id` names a type of this spec or its base (0, void, included). */
  has(id: number): boolean {
    if (id >= this.firstId) return id < this.nextId;
    return this.base ? this.base.has(id) : id === 0;
  }

  /** Whether `id` is one of this spec's own types (not the base's). */
  owns(id: number): boolean {
    return id >= this.firstId && id < this.nextId;
  }

  /** The kernel's id for one of ours (they differ only in a renumbered split spec). */
  kernelId(id: number): number {
    return this.owns(id) ? id - this.firstId + this.kernelFirstId : id;
  }

  /** Bytes held by the index and name tables built so far (the blob, and inflated types, not counted). */
  indexBytes(): number {
    let bytes = this.offsets.byteLength + this.names.byteLength + this.kinds.byteLength;
    for (const a of [this.chainNext, this.chainHash, this.typeHeads, this.funcHeads]) bytes += a?.byteLength ?? 0;
    return bytes;
  }

  /** Every own type id, in order. */
  *ids(): IterableIterator<number> {
    for (let i = 0; i < this.count; i++) yield this.firstId + i;
  }

  // ---- raw access, no inflation ----

  /** Maps a type id as written in this blob (kernel numbering) to ours. */
  private ref(raw: number): number {
    return raw < this.kernelFirstId ? raw : raw - this.kernelFirstId + this.firstId;
  }

  /** Word offset of an own type's record. */
  private at(id: number): number {
    return this.offsets[id - this.firstId]!;
  }

  private unknown(id: number): never {
    throw new BtfError(`${this.name}: no BTF type with id ${id}`);
  }

  /** The BTF kind number (format.ts's Kind), without inflating. 0 for void. */
  rawKind(id: number): number {
    if (this.owns(id)) return this.kinds[id - this.firstId]!;
    if (this.base && id < this.firstId) return this.base.rawKind(id);
    if (id === 0) return Kind.UNKN;
    return this.unknown(id);
  }

  /** The model kind name, without inflating (`enum` for ENUM64 too). */
  kind(id: number): BtfKindName {
    const k = this.rawKind(id);
    return k === Kind.UNKN ? 'void' : k === Kind.ENUM64 ? 'enum' : (KIND_NAMES[k] as BtfKindName);
  }

  /** The type's name ('' when anonymous or nameless), without inflating. */
  nameOf(id: number): string {
    if (this.owns(id)) return this.str(this.words[this.at(id)]!);
    if (this.base && id < this.firstId) return this.base.nameOf(id);
    if (id === 0) return '';
    return this.unknown(id);
  }

  /** The string at a string-section offset (the combined base + split offsets for split BTF). */
  str(off: number): string {
    if (off < this.strStart) return this.base!.str(off);
    let s = this.stringCache.get(off);
    if (s !== undefined) return s;
    const strings = this.strings;
    const start = off - this.strStart;
    if (start >= strings.length) {
      if (off === 0) return '';
      throw new BtfError(`${this.name}: string offset ${off} is past the string section`);
    }
    let end = start;
    let ascii = true;
    while (strings[end] !== 0) {
      if (strings[end]! > 0x7f) ascii = false;
      end++;
    }
    if (ascii && end - start < 64) {
      s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(strings[i]!);
    } else {
      s = utf8.decode(strings.subarray(start, end));
    }
    this.stringCache.set(off, s);
    return s;
  }

  // ---- inflation ----

  /** The type with this id, inflated (and cached). Id 0 is void. */
  type(id: number): BtfType {
    if (!this.owns(id)) {
      if (this.base && id < this.firstId) return this.base.type(id);
      if (id === 0) return VOID;
      return this.unknown(id);
    }
    const i = id - this.firstId;
    return (this.cache[i] ??= this.inflate(id));
  }

  private inflate(id: number): BtfType {
    const w = this.words;
    const p = this.at(id);
    const nameOff = w[p]!;
    const info = w[p + 1]!;
    const sizeOrType = w[p + 2]!;
    const kind = infoKind(info);
    const vlen = infoVlen(info);
    const kflag = infoKflag(info);
    const name = () => this.str(nameOff);
    const d = p + 3;
    switch (kind) {
      case Kind.INT: {
        const enc = w[d]!;
        const encoding = (enc >>> 24) & 0x0f;
        return {
          kind: 'int',
          name: name(),
          size: sizeOrType,
          signed: (encoding & INT_SIGNED) !== 0,
          char: (encoding & INT_CHAR) !== 0,
          bool: (encoding & INT_BOOL) !== 0,
          bits: enc & 0xff,
          offset: (enc >>> 16) & 0xff,
        };
      }
      case Kind.PTR:
        return { kind: 'ptr', target: this.ref(sizeOrType) };
      case Kind.ARRAY:
        return { kind: 'array', elem: this.ref(w[d]!), index: this.ref(w[d + 1]!), count: w[d + 2]! };
      case Kind.STRUCT:
      case Kind.UNION: {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = d + 3 * i;
          const type = this.ref(w[m + 1]!);
          const off = w[m + 2]!;
          let bitOffset: number;
          let bitSize: number;
          if (kflag) {
            // kind_flag: the offset word is bitfield_size << 24 | bit_offset.
            bitOffset = off & 0xffffff;
            bitSize = off >>> 24;
          } else {
            // No kind_flag: a bitfield is a member whose int type itself has an offset/width.
            bitOffset = off;
            bitSize = 0;
            if (this.rawKind(type) === Kind.INT) {
              const t = this.type(type) as { size: number; bits: number; offset: number };
              if (t.offset !== 0 || t.bits !== t.size * 8) {
                bitOffset += t.offset;
                bitSize = t.bits;
              }
            }
          }
          members.push({ name: this.str(w[m]!), type, bitOffset, bitSize });
        }
        return { kind: kind === Kind.STRUCT ? 'struct' : 'union', name: name(), size: sizeOrType, members };
      }
      case Kind.ENUM: {
        // kind_flag: signed values. Older BTF (no kind_flag) stored s32 values; they read as unsigned here.
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const v = w[d + 2 * i + 1]!;
          values.push({ name: this.str(w[d + 2 * i]!), value: BigInt(kflag ? v | 0 : v) });
        }
        return { kind: 'enum', name: name(), size: sizeOrType, signed: kflag, values };
      }
      case Kind.ENUM64: {
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const m = d + 3 * i;
          const u = (BigInt(w[m + 2]!) << 32n) | BigInt(w[m + 1]!);
          values.push({ name: this.str(w[m]!), value: kflag ? BigInt.asIntN(64, u) : u });
        }
        return { kind: 'enum', name: name(), size: sizeOrType, signed: kflag, values };
      }
      case Kind.FWD:
        return { kind: 'fwd', name: name(), fwdKind: kflag ? 'union' : 'struct' };
      case Kind.TYPEDEF:
        return { kind: 'typedef', name: name(), target: this.ref(sizeOrType) };
      case Kind.VOLATILE:
        return { kind: 'volatile', target: this.ref(sizeOrType) };
      case Kind.CONST:
        return { kind: 'const', target: this.ref(sizeOrType) };
      case Kind.RESTRICT:
        return { kind: 'restrict', target: this.ref(sizeOrType) };
      case Kind.TYPE_TAG:
        return { kind: 'type_tag', name: name(), target: this.ref(sizeOrType) };
      case Kind.FUNC:
        return { kind: 'func', name: name(), proto: this.ref(sizeOrType), linkage: LINKAGES[vlen] ?? 'static' };
      case Kind.FUNC_PROTO: {
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const nameOffP = w[d + 2 * i]!;
          const type = w[d + 2 * i + 1]!;
          if (i === vlen - 1 && type === 0 && nameOffP === 0) variadic = true;
          else params.push({ name: this.str(nameOffP), type: this.ref(type) });
        }
        return { kind: 'func_proto', ret: this.ref(sizeOrType), params, variadic };
      }
      case Kind.VAR:
        return { kind: 'var', name: name(), type: this.ref(sizeOrType), linkage: LINKAGES[w[d]!] ?? 'static' };
      case Kind.DATASEC: {
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const m = d + 3 * i;
          vars.push({ type: this.ref(w[m]!), offset: w[m + 1]!, size: w[m + 2]! });
        }
        return { kind: 'datasec', name: name(), size: sizeOrType, vars };
      }
      case Kind.FLOAT:
        return { kind: 'float', name: name(), size: sizeOrType };
      case Kind.DECL_TAG:
        return { kind: 'decl_tag', name: name(), target: this.ref(sizeOrType), componentIdx: w[d]! | 0 };
      default:
        throw new BtfError(`${this.name}: type ${id} has unknown kind ${kind}`);
    }
  }

  // ---- names ----

  /**
   * The name index: hash chains over own type indexes. Functions (half of vmlinux's types) and the rest
   * get separate tables, each built on its first use, so looking up a struct never hashes 56k function
   * names. Both share the chain links and hashes (their index sets are disjoint).
   */
  private buildNameIndex(funcs: boolean): Int32Array {
    const s = this.strings;
    const n = this.count;
    const names = this.names;
    const kinds = this.kinds;
    const strStart = this.strStart;
    this.chainNext ??= new Int32Array(n);
    this.chainHash ??= new Uint32Array(n);
    const next = this.chainNext;
    const hashes = this.chainHash;
    let size = 256;
    while (size < n) size *= 2;
    const mask = size - 1;
    const heads = new Int32Array(size).fill(-1);
    // Backwards, so that each chain lists ids in ascending order.
    for (let i = n - 1; i >= 0; i--) {
      const nameOff = names[i]!;
      if (nameOff === 0) continue;
      if ((kinds[i] === Kind.FUNC) !== funcs) continue;
      let h = 0x811c9dc5;
      if (nameOff < strStart) {
        // A split type named by a base string (unusual, but legal).
        const bytes = encoder.encode(this.base!.str(nameOff));
        for (let j = 0; j < bytes.length; j++) h = Math.imul(h ^ bytes[j]!, 0x01000193);
      } else {
        for (let j = nameOff - strStart, c = s[j]!; c !== 0; c = s[++j]!) h = Math.imul(h ^ c, 0x01000193);
      }
      h >>>= 0;
      hashes[i] = h;
      const slot = h & mask;
      next[i] = heads[slot]!;
      heads[slot] = i;
    }
    return heads;
  }

  /** Own type ids named `name`, ascending (base types not included): functions or all other kinds. */
  private ownIdsNamed(name: string, funcs: boolean): number[] {
    const heads = funcs ? (this.funcHeads ??= this.buildNameIndex(true)) : (this.typeHeads ??= this.buildNameIndex(false));
    const next = this.chainNext!;
    const hashes = this.chainHash!;
    const bytes = encoder.encode(name);
    let h = 0x811c9dc5;
    for (let j = 0; j < bytes.length; j++) h = Math.imul(h ^ bytes[j]!, 0x01000193);
    h >>>= 0;
    const out: number[] = [];
    const s = this.strings;
    for (let i = heads[h & (heads.length - 1)]!; i !== -1; i = next[i]!) {
      if (hashes[i] !== h) continue;
      const nameOff = this.names[i]!;
      let same: boolean;
      if (nameOff < this.strStart) {
        same = this.base!.str(nameOff) === name;
      } else {
        const start = nameOff - this.strStart;
        same = s[start + bytes.length] === 0;
        for (let j = 0; same && j < bytes.length; j++) same = s[start + j] === bytes[j];
      }
      if (same) out.push(this.firstId + i);
    }
    return out;
  }

  /** Every type named `name` (base types first), any kind. */
  findTypes(name: string): number[] {
    if (name === '') return [];
    const own = [...this.ownIdsNamed(name, false), ...this.ownIdsNamed(name, true)].sort((a, b) => a - b);
    return this.base ? [...this.base.findTypes(name), ...own] : own;
  }

  /**
   * The first type of that kind and name: `findType('struct', 'sock')`. `enum` finds 32- and 64-bit
   * enums, `enum64` only the latter; `fwd` finds forward declarations. Split BTF looks in its base
   * first, unless `scope` is 'own'.
   */
  findType(kind: FindKind, name: string, scope: LookupScope = 'all'): number | undefined {
    if (this.base && scope === 'all') {
      const inBase = this.base.findType(kind, name);
      if (inBase !== undefined) return inBase;
    }
    if (name === '') return undefined;
    for (const id of this.ownIdsNamed(name, kind === 'func')) if (matchesKind(this.rawKind(id), kind)) return id;
    return undefined;
  }

  /**
   * The enum that declares enumerator `name` (`TCP_LISTEN` → enum tcp_state's id) and its value; the
   * first declaration wins. The enumerator index is built on first use, from the raw records.
   */
  findEnumerator(name: string, scope: LookupScope = 'all'): { type: number; value: bigint } | undefined {
    if (this.base && scope === 'all') {
      const inBase = this.base.findEnumerator(name);
      if (inBase !== undefined) return inBase;
    }
    const id = (this.enumerators ??= this.buildEnumeratorIndex()).get(name);
    if (id === undefined) return undefined;
    const t = this.type(id);
    const value = t.kind === 'enum' ? t.values.find((v) => v.name === name)?.value : undefined;
    return value === undefined ? undefined : { type: id, value };
  }

  private buildEnumeratorIndex(): Map<string, number> {
    const index = new Map<string, number>();
    const w = this.words;
    for (let i = 0; i < this.count; i++) {
      const kind = this.kinds[i]!;
      if (kind !== Kind.ENUM && kind !== Kind.ENUM64) continue;
      const p = this.offsets[i]!;
      const vlen = w[p + 1]! & 0xffff;
      const stride = kind === Kind.ENUM ? 2 : 3;
      for (let j = 0; j < vlen; j++) {
        const name = this.str(w[p + 3 + stride * j]!);
        if (name && !index.has(name)) index.set(name, this.firstId + i);
      }
    }
    return index;
  }

  /** Names of this spec's own types of one kind that start with `prefix` (`btf_trace_` typedefs). */
  ownNamesWithPrefix(kind: 'typedef', prefix: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) {
      if (this.kinds[i] !== Kind.TYPEDEF) continue;
      const name = this.str(this.names[i]!);
      if (name.startsWith(prefix)) out.push(name);
    }
    return out;
  }

  /** A function (BTF_KIND_FUNC) and its prototype, parameter names included. */
  findFunc(name: string, scope: LookupScope = 'all'): FuncInfo | undefined {
    const id = this.findType('func', name, scope);
    if (id === undefined) return undefined;
    const func = this.type(id) as { name: string; proto: number; linkage: BtfLinkage };
    const proto = this.type(func.proto);
    if (proto.kind !== 'func_proto') throw new BtfError(`${this.name}: func ${name} has no prototype`);
    return {
      id,
      name: func.name,
      linkage: func.linkage,
      proto: func.proto,
      ret: proto.ret,
      params: proto.params,
      variadic: proto.variadic,
    };
  }

  /**
   * Arguments of raw tracepoint `name` (as in `raw_tp/sched_switch`): the parameters of the
   * `btf_trace_<name>` typedef's prototype minus the leading `void *__data`. That prototype leaves its
   * parameters unnamed, so names come from `__bpf_trace_<name>` or `__probestub_<name>`, which take the
   * same arguments; `argN` when neither exists.
   */
  rawTracepointArgs(name: string, scope: LookupScope = 'all'): BtfParam[] | undefined {
    const td = this.findType('typedef', `btf_trace_${name}`, scope);
    if (td === undefined) return undefined;
    const ptr = this.type(this.resolve((this.type(td) as { target: number }).target));
    if (ptr.kind !== 'ptr') return undefined;
    const proto = this.type(this.resolve(ptr.target));
    if (proto.kind !== 'func_proto' || proto.params.length === 0) return undefined;
    const params = proto.params.slice(1);
    let names: string[] = [];
    for (const prefix of ['__bpf_trace_', '__probestub_']) {
      const f = this.findFunc(prefix + name, scope);
      if (f && f.params.length === proto.params.length) {
        names = f.params.slice(1).map((p) => p.name);
        break;
      }
    }
    return params.map((p, i) => ({ name: p.name || names[i] || `arg${i}`, type: p.type }));
  }

  // ---- type queries ----

  /** Skips typedefs, const, volatile, restrict and type tags: the id of the type underneath. */
  resolve(id: number): number {
    for (let depth = 0; depth < 64; depth++) {
      const k = this.rawKind(id);
      if (k !== Kind.TYPEDEF && k !== Kind.CONST && k !== Kind.VOLATILE && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG) {
        return id;
      }
      id = (this.type(id) as { target: number }).target;
    }
    throw new BtfError(`${this.name}: typedef/qualifier chain too long at type ${id}`);
  }

  /** Size in bytes. Throws for types without one (void, functions, forward declarations). */
  sizeOf(id: number): number {
    const t = this.type(this.resolve(id));
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'struct':
      case 'union':
      case 'float':
      case 'datasec':
        return t.size;
      case 'ptr':
        return this.pointerSize;
      case 'array':
        return t.count === 0 ? 0 : t.count * this.sizeOf(t.elem);
      case 'var':
        return this.sizeOf(t.type);
      default:
        throw new BtfError(`${this.typeName(id)} has no size`);
    }
  }

  /** Alignment in bytes by the C rules, as far as BTF tells them (packed structs are not recorded). */
  alignOf(id: number): number {
    const t = this.type(this.resolve(id));
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'float':
        return Math.min(t.size, 8) || 1;
      case 'ptr':
        return this.pointerSize;
      case 'array':
        return this.alignOf(t.elem);
      case 'struct':
      case 'union': {
        let a = 1;
        for (const m of t.members) if (m.bitSize === 0) a = Math.max(a, this.alignOf(m.type));
        return a;
      }
      default:
        return 1;
    }
  }

  /**
   * C rendering of a type: `struct sock *`, `char[16]`, `const char *`, `int (*)(struct sock *, int)`,
   * `u32` (typedef names are kept). `declarator` puts a name inside: typeName(id, 'comm') → `char comm[16]`.
   */
  typeName(id: number, declarator = ''): string {
    return this.render(id, declarator, 0);
  }

  private render(id: number, inner: string, depth: number): string {
    if (depth > 64) return '...';
    const t = this.type(id);
    const named = (base: string) => (inner === '' ? base : inner[0] === '[' ? base + inner : `${base} ${inner}`);
    const wrap = (s: string) => (s.startsWith('*') ? `(${s})` : s);
    switch (t.kind) {
      case 'void':
        return named('void');
      case 'int':
      case 'float':
      case 'typedef':
        return named(t.name);
      case 'struct':
      case 'union':
        return named(`${t.kind} ${t.name || '(anon)'}`);
      case 'enum':
        return named(`enum ${t.name || '(anon)'}`);
      case 'fwd':
        return named(`${t.fwdKind} ${t.name}`);
      case 'ptr':
        return this.render(t.target, `*${inner}`, depth + 1);
      case 'array':
        return this.render(t.elem, `${wrap(inner)}[${t.count}]`, depth + 1);
      case 'const':
      case 'volatile':
      case 'restrict': {
        const target = this.type(t.target);
        if (target.kind === 'ptr') {
          // `char *const p`: the qualifier binds to the pointer, so it goes after the star.
          return this.render(target.target, `*${t.kind}${inner === '' ? '' : ` ${inner}`}`, depth + 1);
        }
        return `${t.kind} ${this.render(t.target, inner, depth + 1)}`;
      }
      case 'type_tag':
        // Tags (`__user`, `__rcu`) are not C; render what they tag.
        return this.render(t.target, inner, depth + 1);
      case 'func_proto': {
        const params = t.params.map((p) => this.render(p.type, '', depth + 1));
        if (t.variadic) params.push('...');
        return this.render(t.ret, `${wrap(inner)}(${params.length ? params.join(', ') : 'void'})`, depth + 1);
      }
      case 'func': {
        const proto = this.type(t.proto);
        if (proto.kind !== 'func_proto') return named(t.name);
        const params = proto.params.map((p) => this.render(p.type, p.name, depth + 1));
        if (proto.variadic) params.push('...');
        return this.render(proto.ret, `${t.name}(${params.length ? params.join(', ') : 'void'})`, depth + 1);
      }
      case 'var':
        return this.render(t.type, inner || t.name, depth + 1);
      case 'datasec':
        return `SEC("${t.name}")`;
      case 'decl_tag':
        return `__attribute__((btf_decl_tag("${t.name}")))`;
    }
  }

  /**
   * A member by name or dotted path (`'__sk_common.skc_num'`, `['ns', 'inum']`) of a struct or union
   * (typedefs and qualifiers are looked through), searching inside anonymous struct/union members as C
   * does. Offsets add up along the path. Undefined when a component is missing or a container on the way
   * is not a struct/union (paths do not follow pointers: that needs a memory read).
   */
  member(id: number, path: string | readonly string[]): MemberInfo | undefined {
    const parts = typeof path === 'string' ? path.split('.') : path;
    if (parts.length === 0) return undefined;
    let container = id;
    let bits = 0;
    let found: { member: BtfMember; bitOffset: number } | undefined;
    for (const part of parts) {
      const t = this.type(this.resolve(container));
      if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
      found = this.findMember(t, part, 0);
      if (!found) return undefined;
      bits += found.bitOffset;
      container = found.member.type;
    }
    const m = found!.member;
    return { name: m.name, type: m.type, bitOffset: bits, bitSize: m.bitSize, offset: Math.floor(bits / 8) };
  }

  private findMember(t: BtfStruct, name: string, depth: number): { member: BtfMember; bitOffset: number } | undefined {
    if (depth > 32) return undefined;
    for (const m of t.members) {
      if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    }
    for (const m of t.members) {
      if (m.name !== '') continue;
      const inner = this.type(this.resolve(m.type));
      if (inner.kind !== 'struct' && inner.kind !== 'union') continue;
      const f = this.findMember(inner, name, depth + 1);
      if (f) return { member: f.member, bitOffset: m.bitOffset + f.bitOffset };
    }
    return undefined;
  }

  /**
   * Every member reachable by name from a struct/union, those inside anonymous members included (with
   * offsets from the outer struct), in declaration order. For listing fields and suggesting names.
   */
  members(id: number): MemberInfo[] {
    const out: MemberInfo[] = [];
    const walk = (tid: number, base: number, depth: number) => {
      const t = this.type(this.resolve(tid));
      if ((t.kind !== 'struct' && t.kind !== 'union') || depth > 32) return;
      for (const m of t.members) {
        const bits = base + m.bitOffset;
        if (m.name === '') walk(m.type, bits, depth + 1);
        else out.push({ name: m.name, type: m.type, bitOffset: bits, bitSize: m.bitSize, offset: Math.floor(bits / 8) });
      }
    };
    walk(id, 0, 0);
    return out;
  }

  /** The prototype of a func, a func_proto, or a pointer to one (through typedefs). */
  proto(id: number): BtfFuncProto | undefined {
    let t = this.type(this.resolve(id));
    if (t.kind === 'func') t = this.type(t.proto);
    if (t.kind === 'ptr') t = this.type(this.resolve(t.target));
    return t.kind === 'func_proto' ? t : undefined;
  }
}

const VOID: BtfType = Object.freeze({ kind: 'void' });

function matchesKind(raw: number, kind: FindKind): boolean {
  switch (kind) {
    case 'enum':
      return raw === Kind.ENUM || raw === Kind.ENUM64;
    case 'enum64':
      return raw === Kind.ENUM64;
    case 'void':
      return false;
    default:
      return KIND_NAMES[raw] === kind;
  }
}

/** Parses a BTF blob (base or, with `options.base`, split). */
export function parseBtf(blob: Uint8Array, options?: BtfSpecOptions): BtfSpec {
  return new BtfSpec(blob, options);
}
