// The smallest BTF blob that describes a program's functions, which the verifier demands as soon as a
// program takes the address of a subprogram (a helper's callback): without BTF func_info it says
// "missing btf func_info", and a callback must have static linkage. Layout (include/uapi/linux/btf.h):
// a 24-byte header, then the type section (each type a struct btf_type of three u32 — name offset,
// info = vlen | kind << 24, size or type — followed by its kind's extra words), then the string
// section (NUL-separated names, the first one empty). Type ids count from 1; 0 is void.
//
// The types: [1] `long`, [2] `void *`, then per function a FUNC_PROTO (returns long, takes `void *`
// arguments, each named: the kernel refuses unnamed arguments of a FUNC) and the FUNC itself.

const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const HEADER_LEN = 24;

const KIND_INT = 1;
const KIND_PTR = 2;
const KIND_FUNC = 12;
const KIND_FUNC_PROTO = 13;
const INT_SIGNED = 1;

export type Linkage = 'static' | 'global';
const LINKAGE: Record<Linkage, number> = { static: 0, global: 1 };

export interface BtfFunction {
  /** The function's name: what the verifier log, kallsyms and bpftool show. */
  name: string;
  /** Argument names; every argument is a `void *` (the verifier reads their real types itself). */
  params: string[];
  linkage: Linkage;
}

export interface FunctionBtf {
  bytes: Uint8Array;
  /** BTF id of each function's FUNC type, in the order given (func_info's type_id). */
  funcTypeIds: number[];
}

export function encodeFunctionBtf(functions: readonly BtfFunction[]): FunctionBtf {
  const strings = new StringTable();
  const words: number[] = [];
  const type = (name: string, kind: number, vlen: number, sizeOrType: number, ...extra: number[]) => {
    words.push(name === '' ? 0 : strings.add(name), (kind << 24) | vlen, sizeOrType, ...extra);
  };
  let nextId = 1;
  const LONG = nextId++;
  type('long', KIND_INT, 0, 8, (INT_SIGNED << 24) | 64);
  const VOID_PTR = nextId++;
  type('', KIND_PTR, 0, 0);

  const funcTypeIds: number[] = [];
  for (const f of functions) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new Error(`invalid BTF function name ${f.name}`);
    const proto = nextId++;
    // FUNC_PROTO: no name; vlen params of struct btf_param { u32 name_off; u32 type }.
    type('', KIND_FUNC_PROTO, f.params.length, LONG, ...f.params.flatMap((p) => [strings.add(p), VOID_PTR]));
    funcTypeIds.push(nextId++);
    // FUNC: vlen is the linkage, the type its prototype.
    type(f.name, KIND_FUNC, LINKAGE[f.linkage], proto);
  }

  const typeBytes = words.length * 4;
  const stringBytes = strings.bytes();
  const out = new Uint8Array(HEADER_LEN + typeBytes + stringBytes.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, BTF_MAGIC, true);
  view.setUint8(2, BTF_VERSION);
  view.setUint8(3, 0); // flags
  view.setUint32(4, HEADER_LEN, true);
  view.setUint32(8, 0, true); // type_off, from the end of the header
  view.setUint32(12, typeBytes, true);
  view.setUint32(16, typeBytes, true); // str_off: strings follow the types, no gap
  view.setUint32(20, stringBytes.length, true);
  words.forEach((w, i) => view.setUint32(HEADER_LEN + 4 * i, w >>> 0, true));
  out.set(stringBytes, HEADER_LEN + typeBytes);
  return { bytes: out, funcTypeIds };
}

/** BTF's string section: offset 0 is the empty string; each name once. */
class StringTable {
  private readonly offsets = new Map<string, number>([['', 0]]);
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;

  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const at = this.size;
    const bytes = Buffer.from(`${s}\0`, 'utf8');
    this.parts.push(bytes);
    this.size += bytes.length;
    this.offsets.set(s, at);
    return at;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}
