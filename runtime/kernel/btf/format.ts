// BTF wire format (include/uapi/linux/btf.h, Documentation/bpf/btf.rst): the header, the kind numbers,
// and how many 32-bit words follow each kind's 12-byte `struct btf_type`.

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** magic u16, version u8, flags u8, hdr_len, type_off, type_len, str_off, str_len (u32 each). */
export const BTF_HEADER_MIN_LEN = 24;

export const enum Kind {
  UNKN = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

export const KIND_NAMES = [
  'unkn', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;

/** `btf_type.info`: vlen in bits 0-15, kind in bits 24-28, kind_flag in bit 31. */
export const infoKind = (info: number): number => (info >>> 24) & 0x1f;
export const infoVlen = (info: number): number => info & 0xffff;
export const infoKflag = (info: number): boolean => info >>> 31 === 1;

/** The INT word after btf_type: encoding in bits 24-27, bit offset in bits 16-23, bit count in bits 0-7. */
export const INT_SIGNED = 1;
export const INT_CHAR = 2;
export const INT_BOOL = 4;

/**
 * 32-bit words of kind-specific data after the 3-word btf_type: FIXED_WORDS[kind] + VLEN_WORDS[kind] *
 * vlen. FIXED_WORDS is -1 for a kind this reader does not know: its size cannot be known either, so the
 * type section cannot be walked past it. (Tables rather than a switch: the indexing pass runs once per
 * type, 100k+ times, mostly before the JIT has warmed up.)
 */
export const FIXED_WORDS = new Int8Array(32).fill(-1);
export const VLEN_WORDS = new Int8Array(32);
for (const [kind, fixed, perVlen] of [
  [Kind.INT, 1, 0], // encoding word
  [Kind.PTR, 0, 0],
  [Kind.ARRAY, 3, 0], // btf_array: type, index_type, nelems
  [Kind.STRUCT, 0, 3], // btf_member: name_off, type, offset
  [Kind.UNION, 0, 3],
  [Kind.ENUM, 0, 2], // btf_enum: name_off, val
  [Kind.FWD, 0, 0],
  [Kind.TYPEDEF, 0, 0],
  [Kind.VOLATILE, 0, 0],
  [Kind.CONST, 0, 0],
  [Kind.RESTRICT, 0, 0],
  [Kind.FUNC, 0, 0], // vlen is the linkage
  [Kind.FUNC_PROTO, 0, 2], // btf_param: name_off, type
  [Kind.VAR, 1, 0], // btf_var: linkage
  [Kind.DATASEC, 0, 3], // btf_var_secinfo: type, offset, size
  [Kind.FLOAT, 0, 0],
  [Kind.DECL_TAG, 1, 0], // btf_decl_tag: component_idx
  [Kind.TYPE_TAG, 0, 0],
  [Kind.ENUM64, 0, 3], // btf_enum64: name_off, val_lo32, val_hi32
] as const) {
  FIXED_WORDS[kind] = fixed;
  VLEN_WORDS[kind] = perVlen;
}

export interface BtfHeader {
  /** The blob is in the other byte order than this machine's. */
  swapped: boolean;
  version: number;
  flags: number;
  hdrLen: number;
  /** Offsets relative to the end of the header, as in the blob. */
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}
