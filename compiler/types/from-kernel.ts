// Kernel (BTF) types → the language's types. Structs stay by reference (an id), so pointer cycles
// (`struct list_head *next`) cost nothing until a field is used.

import type { KernelTypes } from './kernel-types.ts';
import { type IntSize, type Type, boolType } from './types.ts';

export function fromKernel(kt: KernelTypes, id: number, user: boolean): Type {
  const rid = kt.resolve(id);
  const t = kt.type(rid);
  switch (t.kind) {
    case 'int':
      return t.bool ? boolType : { kind: 'int', size: intSize(t.size), signed: t.signed };
    case 'enum':
      // The values travel with the type, so that %s and print() can show them by name.
      return { kind: 'int', size: intSize(t.size), signed: t.signed, enum: { name: t.name, values: t.values } };
    case 'ptr': {
      const target = kt.type(kt.resolve(t.target));
      // `void *` and function pointers point to void: compared and printed, never read or moved.
      const pointee: Type = target.kind === 'void' || target.kind === 'func_proto' ? { kind: 'void' } : fromKernel(kt, t.target, user);
      return { kind: 'int', size: 8, signed: false, pointee, user };
    }
    case 'struct':
    case 'union':
      return { kind: 'kstruct', id: rid, name: `${t.kind} ${t.name || '(anonymous)'}`, size: t.size, user };
    case 'fwd':
      return { kind: 'kstruct', id: rid, name: `struct ${t.name}`, size: 0, user };
    case 'array': {
      const elem = fromKernel(kt, t.elem, user);
      // `char name[N]` is a string (kernel BTF rarely sets the char flag, so the name decides); `u8[N]`
      // (unsigned char) stays an array of numbers.
      const elemType = kt.type(kt.resolve(t.elem));
      if (elemType.kind === 'int' && elemType.size === 1 && (elemType.char || elemType.name === 'char')) return { kind: 'string', size: t.count };
      if (elem.kind === 'int' && !elem.pointee) return { kind: 'array', elem, count: t.count };
      // Arrays of structs or pointers: reachable by address only.
      return { kind: 'kstruct', id: rid, name: kt.typeName(rid), size: kt.sizeOf(rid), user };
    }
    default:
      return { kind: 'int', size: 8, signed: false };
  }
}

function intSize(n: number): IntSize {
  return n === 1 || n === 2 || n === 4 ? n : 8;
}
