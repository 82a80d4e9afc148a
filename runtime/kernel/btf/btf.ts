// The kernel's BTF as one id space: vmlinux plus the modules' split BTF, each module parsed only when a
// lookup misses in vmlinux (or names the module). Ids are vmlinux's own for vmlinux types; the first
// module loaded keeps the kernel's ids too, later ones are renumbered past it so ids never collide —
// `locate(id)` gives the module and the kernel's id (what BPF_PROG_LOAD's attach_btf_id wants).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BtfSpec, type FindKind, type LookupScope } from './spec.ts';
import { BtfError, type BtfKindName, type BtfParam, type BtfType, type FuncInfo, type MemberInfo } from './types.ts';

export const SYS_BTF_DIR = '/sys/kernel/btf';

/** Where module BTF comes from; injectable for tests. */
export interface BtfModuleSource {
  /** Names of the modules that have BTF (vmlinux excluded). */
  list(): string[];
  read(module: string): Uint8Array;
}

export interface FindOptions {
  /** Look only in this module ('vmlinux' for vmlinux only). */
  module?: string;
  /** Search modules when vmlinux does not have it (default true). */
  modules?: boolean;
}

/** A module source over a directory laid out like /sys/kernel/btf. */
export function dirModuleSource(dir: string): BtfModuleSource {
  return {
    list: () => {
      try {
        return readdirSync(dir).filter((n) => n !== 'vmlinux').sort();
      } catch {
        return [];
      }
    },
    read: (module) => readFileSync(join(dir, module)),
  };
}

let cachedVmlinux: Btf | undefined;

export class Btf {
  readonly vmlinux: BtfSpec;
  private readonly source: BtfModuleSource | undefined;
  /** Loaded modules, in load order (so ascending id ranges). */
  private readonly loaded: { name: string; spec: BtfSpec }[] = [];
  private readonly byName = new Map<string, BtfSpec | null>();
  private moduleList: string[] | undefined;

  constructor(vmlinux: BtfSpec | Uint8Array, modules?: BtfModuleSource) {
    this.vmlinux = vmlinux instanceof BtfSpec ? vmlinux : new BtfSpec(vmlinux, { name: 'vmlinux' });
    this.source = modules;
  }

  /**
   * The running kernel's BTF, read from /sys/kernel/btf/vmlinux once per process. Throws BtfError naming
   * the reason when the kernel has none.
   */
  static vmlinux(): Btf {
    if (cachedVmlinux) return cachedVmlinux;
    const path = join(SYS_BTF_DIR, 'vmlinux');
    if (!existsSync(path)) {
      throw new BtfError(`the kernel has no BTF: ${path} does not exist (it needs CONFIG_DEBUG_INFO_BTF=y)`);
    }
    let blob: Uint8Array;
    try {
      blob = readFileSync(path);
    } catch (e) {
      throw new BtfError(`cannot read kernel BTF: ${(e as Error).message}`);
    }
    cachedVmlinux = new Btf(new BtfSpec(blob, { name: 'vmlinux' }), dirModuleSource(SYS_BTF_DIR));
    return cachedVmlinux;
  }

  /** Forget the cached Btf.vmlinux() (tests; module load/unload). */
  static clearCache(): void {
    cachedVmlinux = undefined;
  }

  // ---- modules ----

  /** Names of the modules with BTF (not loaded by listing). */
  moduleNames(): string[] {
    return (this.moduleList ??= this.source ? this.source.list().filter((n) => n !== 'vmlinux') : []);
  }

  /** The BTF of one module, parsed on first request; undefined when there is no such module. */
  module(name: string): BtfSpec | undefined {
    if (name === 'vmlinux') return this.vmlinux;
    const known = this.byName.get(name);
    if (known !== undefined) return known ?? undefined;
    if (!this.source || !this.moduleNames().includes(name)) {
      this.byName.set(name, null);
      return undefined;
    }
    const last = this.loaded[this.loaded.length - 1]?.spec ?? this.vmlinux;
    const spec = new BtfSpec(this.source.read(name), { base: this.vmlinux, firstId: last.nextId, name });
    this.loaded.push({ name, spec });
    this.byName.set(name, spec);
    return spec;
  }

  /** Modules parsed so far. */
  loadedModules(): string[] {
    return this.loaded.map((m) => m.name);
  }

  /** The spec that owns an id: vmlinux, or the module it came from. */
  specOf(id: number): BtfSpec {
    if (id < this.vmlinux.nextId) return this.vmlinux;
    for (const m of this.loaded) if (m.spec.owns(id)) return m.spec;
    throw new BtfError(`no BTF type with id ${id}`);
  }

  /** Which BTF object holds an id, and the id the kernel knows it by there. */
  locate(id: number): { module: string; kernelId: number } {
    const spec = this.specOf(id);
    return { module: spec === this.vmlinux ? 'vmlinux' : spec.name, kernelId: spec.kernelId(id) };
  }

  /**
   * Applies `find` to vmlinux, then to each module's own types in turn (parsing modules as needed).
   * A named module is searched alone: its own types first, then vmlinux.
   */
  private search<T>(options: FindOptions | undefined, find: (spec: BtfSpec, scope: LookupScope) => T | undefined): T | undefined {
    if (options?.module !== undefined) {
      const spec = this.module(options.module);
      if (!spec) return undefined;
      return spec === this.vmlinux ? find(spec, 'all') : find(spec, 'own') ?? find(this.vmlinux, 'all');
    }
    const inVmlinux = find(this.vmlinux, 'all');
    if (inVmlinux !== undefined || options?.modules === false) return inVmlinux;
    for (const name of this.moduleNames()) {
      const spec = this.module(name);
      if (!spec) continue;
      const r = find(spec, 'own');
      if (r !== undefined) return r;
    }
    return undefined;
  }

  // ---- lookups ----

  /** `findType('struct', 'sock')`: the id of the first type of that kind and name (vmlinux first). */
  findType(kind: FindKind, name: string, options?: FindOptions): number | undefined {
    return this.search(options, (spec, scope) => spec.findType(kind, name, scope));
  }

  /** A kernel function's prototype with parameter names: `findFunc('inet_listen')`. */
  findFunc(name: string, options?: FindOptions): FuncInfo | undefined {
    return this.search(options, (spec, scope) => spec.findFunc(name, scope));
  }

  /** Arguments of a raw tracepoint (`btf_trace_<name>` minus the leading `void *`), names included. */
  rawTracepointArgs(name: string, options?: FindOptions): BtfParam[] | undefined {
    return this.search(options, (spec, scope) => spec.rawTracepointArgs(name, scope));
  }

  /** The enum declaring enumerator `name`, and its value (vmlinux first, then modules). */
  findEnumerator(name: string, options?: FindOptions): { type: number; value: bigint } | undefined {
    return this.search(options, (spec, scope) => spec.findEnumerator(name, scope));
  }

  /**
   * Raw tracepoints the kernel's BTF describes (a `btf_trace_<name>` typedef each): vmlinux's, then each
   * module's own, with its module name.
   */
  rawTracepoints(): { module?: string; name: string }[] {
    const prefix = 'btf_trace_';
    const out: { module?: string; name: string }[] = this.vmlinux.ownNamesWithPrefix('typedef', prefix).map((n) => ({ name: n.slice(prefix.length) }));
    for (const module of this.moduleNames()) {
      const spec = this.module(module);
      if (spec) for (const n of spec.ownNamesWithPrefix('typedef', prefix)) out.push({ module, name: n.slice(prefix.length) });
    }
    return out;
  }

  // ---- per-type queries (delegated to the spec that owns the id) ----

  type(id: number): BtfType {
    return this.specOf(id).type(id);
  }

  kind(id: number): BtfKindName {
    return this.specOf(id).kind(id);
  }

  nameOf(id: number): string {
    return this.specOf(id).nameOf(id);
  }

  /** Skips typedef/const/volatile/restrict/type_tag. */
  resolve(id: number): number {
    return this.specOf(id).resolve(id);
  }

  sizeOf(id: number): number {
    return this.specOf(id).sizeOf(id);
  }

  alignOf(id: number): number {
    return this.specOf(id).alignOf(id);
  }

  /** C rendering: `struct sock *`, `char[16]`, `const char *`. */
  typeName(id: number, declarator?: string): string {
    return this.specOf(id).typeName(id, declarator);
  }

  /** `member(sock, '__sk_common.skc_num')` → byte/bit offset, bitfield width and type. */
  member(structId: number, path: string | readonly string[]): MemberInfo | undefined {
    return this.specOf(structId).member(structId, path);
  }

  /** All members reachable by name (through anonymous members), for listings and suggestions. */
  members(structId: number): MemberInfo[] {
    return this.specOf(structId).members(structId);
  }

  /** The prototype of a func, func_proto, or pointer to one. */
  proto(id: number) {
    return this.specOf(id).proto(id);
  }
}
