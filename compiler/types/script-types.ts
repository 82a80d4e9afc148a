// Structs defined in the script (`struct conn { u32 a; char name[16]; struct conn *next; }`), laid out
// with C's rules and served through the same KernelTypes view as the kernel's BTF, which they sit on
// top of: a script struct can point to kernel structs, and casts, `->` and sizeof treat both alike.

import type { StructDef, TypeExpr } from '../../grammar/ast.ts';
import type { KernelFunction, KernelMember, KernelType, KernelTypes } from './kernel-types.ts';
import { INT_TYPES } from './types.ts';

/** Script type ids start here, far above any kernel BTF id. */
const FIRST_ID = 1 << 30;

interface LocalStruct {
  name: string;
  size: number;
  align: number;
  members: KernelMember[];
}

export class ScriptTypes implements KernelTypes {
  private readonly local = new Map<number, KernelType>();
  private readonly structs = new Map<number, LocalStruct>();
  private readonly byName = new Map<string, number>();
  private nextId = FIRST_ID;
  /** Problems found while laying out the structs (unknown member types), with the member's span. */
  readonly problems: { message: string; span: TypeExpr['span'] }[] = [];

  constructor(defs: readonly StructDef[], private readonly base: () => KernelTypes | undefined) {
    // Names first, so members can point to structs defined later (or to themselves).
    for (const d of defs) {
      const id = this.nextId++;
      this.byName.set(d.name, id);
      this.local.set(id, { kind: 'struct', name: d.name, size: 0 });
    }
    for (const d of defs) this.layout(this.byName.get(d.name)!, d);
  }

  private add(t: KernelType): number {
    const id = this.nextId++;
    this.local.set(id, t);
    return id;
  }

  private typeId(t: TypeExpr): number | undefined {
    let id: number | undefined;
    const struct = /^(struct|union) (\w+)$/.exec(t.name);
    // `struct conn` or, as C++-minded scripts write, a bare `conn` that names a script struct.
    const local = this.byName.get(struct ? struct[2]! : t.name);
    if (local !== undefined && (struct || !INT_TYPES[t.name])) id = local;
    else if (struct) id = this.base()?.findType(struct[1] as 'struct' | 'union', struct[2]!);
    else if (t.name === 'void') id = 0;
    else {
      const int = INT_TYPES[t.name];
      if (int) id = this.add({ kind: 'int', name: t.name, size: int.size, signed: int.signed, char: t.name === 'char', bool: t.name === 'bool' });
    }
    if (id === undefined) return undefined;
    for (let i = 0; i < t.pointer; i++) id = this.add({ kind: 'ptr', target: id });
    if (t.arrayLen !== undefined) id = this.add({ kind: 'array', elem: id, count: t.arrayLen });
    return id;
  }

  private layout(id: number, d: StructDef): void {
    let offset = 0;
    let align = 1;
    const members: KernelMember[] = [];
    for (const f of d.fields) {
      const type = this.typeId(f.type);
      if (type === undefined) {
        this.problems.push({ message: `unknown type \`${f.type.name}\` for ${d.name}.${f.name}`, span: f.type.span });
        continue;
      }
      const size = this.sizeOf(type);
      const a = this.alignOf(type);
      offset = Math.ceil(offset / a) * a;
      members.push({ name: f.name, offset, bitOffset: offset * 8, bitSize: 0, type });
      offset += size;
      align = Math.max(align, a);
    }
    const size = Math.ceil(offset / align) * align;
    this.structs.set(id, { name: d.name, size, align, members });
    this.local.set(id, { kind: 'struct', name: d.name, size });
  }

  private alignOf(id: number): number {
    const t = this.type(this.resolve(id));
    if (t.kind === 'array') return this.alignOf(t.elem);
    if (t.kind === 'ptr') return 8;
    const local = this.structs.get(this.resolve(id));
    if (local) return local.align;
    const size = this.sizeOf(id);
    return size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1;
  }

  findType(kind: 'struct' | 'union' | 'enum' | 'typedef', name: string): number | undefined {
    if (kind === 'struct' && this.byName.has(name)) return this.byName.get(name);
    return this.base()?.findType(kind, name);
  }

  findFunc(name: string): KernelFunction | undefined {
    return this.base()?.findFunc(name);
  }

  findEnumerator(name: string): { type: number; value: bigint } | undefined {
    return this.base()?.findEnumerator(name);
  }

  rawTracepoints(): { module?: string; name: string }[] {
    return this.base()?.rawTracepoints() ?? [];
  }

  rawTracepointArgs(name: string): { name: string; type: number }[] | undefined {
    return this.base()?.rawTracepointArgs(name);
  }

  type(id: number): KernelType {
    if (id === 0) return { kind: 'void' };
    return this.local.get(id) ?? this.base()?.type(id) ?? { kind: 'void' };
  }

  resolve(id: number): number {
    return id >= FIRST_ID || id === 0 ? id : this.base()?.resolve(id) ?? id;
  }

  sizeOf(id: number): number {
    if (id < FIRST_ID) return id === 0 ? 0 : this.base()?.sizeOf(id) ?? 0;
    const t = this.local.get(id)!;
    switch (t.kind) {
      case 'int': return t.size;
      case 'ptr': return 8;
      case 'array': return this.sizeOf(t.elem) * t.count;
      case 'struct': return this.structs.get(id)?.size ?? 0;
      default: return 0;
    }
  }

  typeName(id: number): string {
    if (id < FIRST_ID) return id === 0 ? 'void' : this.base()?.typeName(id) ?? `type ${id}`;
    const t = this.local.get(id)!;
    switch (t.kind) {
      case 'int': return t.name;
      case 'ptr': return `${this.typeName(t.target)} *`;
      case 'array': return `${this.typeName(t.elem)}[${t.count}]`;
      case 'struct': return `struct ${t.name}`;
      default: return t.kind;
    }
  }

  member(structId: number, name: string): KernelMember | undefined {
    const local = this.structs.get(structId);
    if (local) return local.members.find((m) => m.name === name);
    return this.base()?.member(structId, name);
  }

  members(structId: number): KernelMember[] {
    return this.structs.get(structId)?.members ?? this.base()?.members(structId) ?? [];
  }
}
