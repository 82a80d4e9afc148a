// How values of kernel types lie in memory, as the runtime must decode them to print them: a struct
// copied whole (`print(*$sk)`, `$s = *$p`) is laid out member by member from BTF (or a script struct),
// so the runtime can print it as bpftrace does — `{ .a = 1, .b = abc }` — without knowing BTF itself.

import type { EnumNames, FieldLayout } from '../../runtime/artifact.ts';
import type { KernelMember, KernelTypes } from './kernel-types.ts';
import { BOOL_ENUM, type EnumType } from './types.ts';

/** Nesting deeper than this (structs in structs in arrays...) prints as an empty record. */
const MAX_DEPTH = 16;

/** A C enum's names by value, for the artifact (the first name of a value wins). */
export function enumNames(e: EnumType): EnumNames {
  const names: Record<string, string> = {};
  for (const v of e.values) names[v.value.toString()] ??= v.name;
  return { name: e.name, names };
}

/** The layout of a value of kernel type `id` (resolved through typedefs) at `offset`. */
export function kernelTypeLayout(kt: KernelTypes, id: number, offset: number, depth = 0): FieldLayout {
  const rid = kt.resolve(id);
  const t = kt.type(rid);
  switch (t.kind) {
    case 'int':
      // C's bool prints as false/true, as the script's bool does.
      return t.bool ? { ...intLayout(offset, t.size, false), enum: enumNames(BOOL_ENUM) } : intLayout(offset, t.size, t.signed);
    case 'enum':
      return { ...intLayout(offset, t.size, t.signed), enum: enumNames(t) };
    case 'ptr':
      return { kind: 'int', offset, size: 8, signed: false, pointer: true };
    case 'array': {
      const elemId = kt.resolve(t.elem);
      const elem = kt.type(elemId);
      // `char name[N]` prints as a string, as fromKernel types it; `u8 addr[4]` as numbers.
      if (elem.kind === 'int' && elem.size === 1 && (elem.char || elem.name === 'char')) return { kind: 'string', offset, size: t.count };
      const size = kt.sizeOf(rid);
      return { kind: 'array', offset, size, count: t.count, elem: kernelTypeLayout(kt, t.elem, 0, depth + 1) };
    }
    case 'struct':
    case 'union': {
      if (depth > MAX_DEPTH) return { kind: 'record', offset, size: t.size, fields: [] };
      const fields = kt.members(rid).map((m) => ({ name: m.name, field: memberLayout(kt, m, depth + 1) }));
      return { kind: 'record', offset, size: t.size, fields };
    }
    case 'float':
    default: {
      // Floats and anything else without a printable form: its bytes as an unsigned number, or nothing.
      const size = kt.sizeOf(rid);
      return size === 1 || size === 2 || size === 4 || size === 8 ? intLayout(offset, size, false) : { kind: 'record', offset, size, fields: [] };
    }
  }
}

/** One member of a struct, its offset counted from the struct's start (bitfields by their bits). */
function memberLayout(kt: KernelTypes, m: KernelMember, depth: number): FieldLayout {
  if (m.bitSize === 0) return kernelTypeLayout(kt, m.type, m.offset, depth);
  const t = kt.type(kt.resolve(m.type));
  const signed = (t.kind === 'int' && t.signed && !t.bool) || (t.kind === 'enum' && t.signed);
  const shift = m.bitOffset - m.offset * 8;
  const layout: FieldLayout = { kind: 'bitfield', offset: m.offset, size: Math.ceil((shift + m.bitSize) / 8), shift, bits: m.bitSize, signed };
  return t.kind === 'enum' ? { ...layout, enum: enumNames(t) } : layout;
}

function intLayout(offset: number, size: number, signed: boolean): FieldLayout & { kind: 'int' } {
  if (size === 1 || size === 2 || size === 4 || size === 8) return { kind: 'int', offset, size, signed };
  // __int128 and other odd widths: the low 8 bytes (x86-64 is little-endian).
  return { kind: 'int', offset, size: 8, signed: false };
}
