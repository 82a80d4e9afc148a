// The plain model BTF types inflate into. Types refer to each other by id (a number); id 0 is void.
// Ids are the ones of the BtfSpec (or Btf facade) that produced the type.

export type BtfKindName =
  | 'void'
  | 'int'
  | 'ptr'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'fwd'
  | 'typedef'
  | 'volatile'
  | 'const'
  | 'restrict'
  | 'func'
  | 'func_proto'
  | 'var'
  | 'datasec'
  | 'float'
  | 'decl_tag'
  | 'type_tag';

export interface BtfVoid {
  kind: 'void';
}

export interface BtfInt {
  kind: 'int';
  name: string;
  /** Bytes. */
  size: number;
  signed: boolean;
  /** BTF_INT_CHAR: a `char` (printing hint only). */
  char: boolean;
  /** BTF_INT_BOOL. */
  bool: boolean;
  /** Value bits (`size * 8` except for bitfield ints of old BTF). */
  bits: number;
  /** Bit offset of the value inside the `size` bytes (0 except for bitfield ints of old BTF). */
  offset: number;
}

export interface BtfPtr {
  kind: 'ptr';
  target: number;
}

export interface BtfArray {
  kind: 'array';
  elem: number;
  /** The index type (an int); rarely useful. */
  index: number;
  count: number;
}

export interface BtfMember {
  /** '' for an anonymous struct/union member. */
  name: string;
  type: number;
  /** Bits from the start of the enclosing struct/union. */
  bitOffset: number;
  /** 0 for an ordinary member; the width of a bitfield otherwise. */
  bitSize: number;
}

export interface BtfStruct {
  kind: 'struct' | 'union';
  /** '' for an anonymous struct/union. */
  name: string;
  size: number;
  members: BtfMember[];
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

/** BTF_KIND_ENUM (size ≤ 4) and BTF_KIND_ENUM64 (size 8) alike. */
export interface BtfEnum {
  kind: 'enum';
  name: string;
  size: number;
  signed: boolean;
  values: BtfEnumValue[];
}

export interface BtfFwd {
  kind: 'fwd';
  name: string;
  /** What the forward declaration announces: `struct x;` or `union x;`. */
  fwdKind: 'struct' | 'union';
}

export interface BtfTypedef {
  kind: 'typedef';
  name: string;
  target: number;
}

export interface BtfQualifier {
  kind: 'const' | 'volatile' | 'restrict';
  target: number;
}

export interface BtfTypeTag {
  kind: 'type_tag';
  /** The tag, e.g. `user` or `rcu` (from `__attribute__((btf_type_tag("user")))`). */
  name: string;
  target: number;
}

export type BtfLinkage = 'static' | 'global' | 'extern';

export interface BtfFunc {
  kind: 'func';
  name: string;
  /** Id of the func_proto. */
  proto: number;
  linkage: BtfLinkage;
}

export interface BtfParam {
  /** '' when the prototype does not name it (function pointer types). */
  name: string;
  type: number;
}

export interface BtfFuncProto {
  kind: 'func_proto';
  /** 0 for void. */
  ret: number;
  params: BtfParam[];
  /** Ends in `...` (BTF encodes it as a last parameter with type 0 and no name; not in `params`). */
  variadic: boolean;
}

export interface BtfVar {
  kind: 'var';
  name: string;
  type: number;
  linkage: BtfLinkage;
}

export interface BtfDatasec {
  kind: 'datasec';
  name: string;
  size: number;
  vars: { type: number; offset: number; size: number }[];
}

export interface BtfFloat {
  kind: 'float';
  name: string;
  size: number;
}

export interface BtfDeclTag {
  kind: 'decl_tag';
  name: string;
  target: number;
  /** -1 when the tag is on the type/func/var itself, else the member or parameter index. */
  componentIdx: number;
}

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfStruct
  | BtfEnum
  | BtfFwd
  | BtfTypedef
  | BtfQualifier
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** Where a member lives, relative to the start of the outermost struct it was looked up in. */
export interface MemberInfo {
  /** Bytes: `bitOffset >> 3`. Exact for ordinary members; for bitfields, the byte holding the first bit. */
  offset: number;
  /** Bits from the start of the struct (anonymous members and nested path components included). */
  bitOffset: number;
  /** 0 for an ordinary member; the bitfield width otherwise. */
  bitSize: number;
  /** The member's type id (unresolved: may be a typedef or qualifier). */
  type: number;
  /** The member's own name (the last path component). */
  name: string;
}

/** A function found by name: its prototype with the parameter names. */
export interface FuncInfo {
  /** Id of the BTF_KIND_FUNC. */
  id: number;
  name: string;
  linkage: BtfLinkage;
  proto: number;
  ret: number;
  params: BtfParam[];
  variadic: boolean;
}

export class BtfError extends Error {
  override name = 'BtfError';
}
