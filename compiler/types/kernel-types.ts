// Kernel types (BTF) as the compiler sees them: a small read-only view injected through KernelInfo.
// The runtime's BTF reader satisfies it; tests use fixtures. Type ids are plain numbers; 0 is void.

/** The shapes the compiler looks at (a subset of BTF kinds; others appear as `other`). */
export type KernelType =
  | { kind: 'void' }
  | { kind: 'int'; name: string; size: number; signed: boolean; char: boolean; bool: boolean }
  | { kind: 'ptr'; target: number }
  | { kind: 'array'; elem: number; count: number }
  | { kind: 'struct' | 'union'; name: string; size: number }
  | { kind: 'enum'; name: string; size: number; signed: boolean; values: { name: string; value: bigint }[] }
  | { kind: 'fwd'; name: string }
  | { kind: 'typedef' | 'const' | 'volatile' | 'restrict' | 'type_tag'; target: number }
  | { kind: 'func_proto'; ret: number; params: { name: string; type: number }[] }
  | { kind: 'func' | 'var' | 'datasec' | 'float' | 'decl_tag' };

export interface KernelMember {
  name: string;
  /** Byte offset from the start of the struct (of the byte holding the first bit, for bitfields). */
  offset: number;
  bitOffset: number;
  /** 0 for an ordinary member; the width of a bitfield. */
  bitSize: number;
  type: number;
}

export interface KernelFunction {
  id: number;
  name: string;
  ret: number;
  params: { name: string; type: number }[];
}

export interface KernelTypes {
  findType(kind: 'struct' | 'union' | 'enum' | 'typedef', name: string): number | undefined;
  findFunc(name: string): KernelFunction | undefined;
  /** Arguments of raw tracepoint `name` (from `btf_trace_<name>`), without the leading context pointer. */
  rawTracepointArgs(name: string): { name: string; type: number }[] | undefined;
  /** The enum that declares enumerator `name` (`TCP_LISTEN`) and its value. */
  findEnumerator(name: string): { type: number; value: bigint } | undefined;
  /** Raw tracepoints with a `btf_trace_<name>` typedef, module ones with their module. */
  rawTracepoints(): { module?: string; name: string }[];
  type(id: number): KernelType;
  /** Skip typedefs and qualifiers. */
  resolve(id: number): number;
  sizeOf(id: number): number;
  /** C spelling, e.g. `struct sock *`. */
  typeName(id: number): string;
  /** A member by name, looking through anonymous structs and unions as C does. */
  member(structId: number, name: string): KernelMember | undefined;
  /** Every member reachable by name (for suggestions). */
  members(structId: number): KernelMember[];
}
