// Raw bytes → value model. Everything is little-endian (the BPF targets we run on are).
import { renderValue } from './text.ts';
import { decodeInet } from './inet.ts';
import { bootNsToDate, strftime } from './strftime.ts';
import type { EnumNames, EventArg, FieldLayout, KeyLayout, ValueKind } from '../artifact.ts';
import type { MapValue, Primitive, PrintfArg, SymbolicValue } from './model.ts';
import { decodeUtf8Lossless } from './strings.ts';
import { readBufferBytes, renderBuffer } from './buffer.ts';

/** The bytes of a C string field: up to the first NUL, at most `size` bytes. */
export function readCStringBytes(view: DataView, offset: number, size: number): Uint8Array {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, size);
  const nul = bytes.indexOf(0);
  // A copy: the view may be the ring buffer's mmapped memory, which the kernel reuses (and which is
  // unmapped when the session ends) — a caller keeping the bytes must not see them change or vanish.
  return (nul < 0 ? bytes : bytes.subarray(0, nul)).slice();
}

/**
 * Kernel strings are bytes; we read them as UTF-8 text, keeping each byte that is not valid UTF-8
 * as a lone surrogate U+DC80..U+DCFF (see strings.ts) so renderers can escape it.
 */
export function bytesToText(bytes: Uint8Array): string {
  return decodeUtf8Lossless(bytes);
}

export function readInt(view: DataView, offset: number, size: 1 | 2 | 4 | 8, signed: boolean): bigint {
  switch (size) {
    case 1: return BigInt(signed ? view.getInt8(offset) : view.getUint8(offset));
    case 2: return BigInt(signed ? view.getInt16(offset, true) : view.getUint16(offset, true));
    case 4: return BigInt(signed ? view.getInt32(offset, true) : view.getUint32(offset, true));
    case 8: return signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true);
  }
}

/**
 * Turns stack ids, code addresses and user ids into text (kernel symbols, the process's ELF symbols,
 * the stack map's frames, /etc/passwd). The session provides one; without it they print as numbers.
 */
export interface Symbolizer {
  /** `context`: inside a map key (`@[...]`, indented less) or anywhere else. */
  stack(field: FieldLayout & { kind: 'stack' }, id: bigint, pid: bigint, context: 'key' | 'value'): string;
  symbol(field: FieldLayout & { kind: 'symbol' }, address: bigint, pid: bigint): string;
  /** The name of a user id, or '' when it has none (as bpftrace prints it). */
  userName(uid: bigint): string;
}

let symbolizer: Symbolizer | undefined;

/** Install the symbolizer used while decoding (the session does, for as long as its maps are open). */
export function useSymbolizer(s: Symbolizer | undefined): void {
  symbolizer = s;
}

/** One field of a C struct that starts at `base` in `view`. */
export function decodeField(view: DataView, base: number, field: FieldLayout, context: 'key' | 'value' = 'value'): Primitive {
  switch (field.kind) {
    case 'int': {
      const value = readInt(view, base + field.offset, field.size, field.signed);
      if (field.pointer) return { kind: 'symbolic', text: `0x${BigInt.asUintN(64, value).toString(16)}`, value };
      return field.enum ? enumValue(field.enum, value) : value;
    }
    case 'bitfield': {
      const value = readBitfield(view, base + field.offset, field.size, field.shift, field.bits, field.signed);
      return field.enum ? enumValue(field.enum, value) : value;
    }
    case 'record':
      return { kind: 'record', fields: field.fields.map((f) => ({ name: f.name, value: decodeField(view, base + field.offset, f.field, context) })) };
    case 'array': {
      const stride = field.count > 0 ? field.size / field.count : 0;
      const values: Primitive[] = [];
      for (let i = 0; i < field.count; i++) values.push(decodeField(view, base + field.offset + i * stride, field.elem, context));
      return { kind: 'array', values };
    }
    case 'tuple':
      return { kind: 'tuple', values: field.fields.map((f) => decodeField(view, base + field.offset, f, context)) };
    case 'inet': return decodeInet(view, base + field.offset);
    case 'stack': case 'symbol': {
      const value = view.getBigUint64(base + field.offset, true);
      const pid = view.getBigUint64(base + field.offset + 8, true);
      if (!symbolizer) return field.kind === 'stack' ? BigInt.asIntN(64, value) : `0x${value.toString(16)}`;
      return field.kind === 'stack' ? symbolizer.stack(field, BigInt.asIntN(64, value), pid, context) : symbolizer.symbol(field, value, pid);
    }
    case 'string': return bytesToText(readCStringBytes(view, base + field.offset, field.size));
    case 'buffer': return renderBuffer(readBufferBytes(view, base + field.offset, field.size));
    case 'username': {
      const uid = view.getBigUint64(base + field.offset, true);
      return symbolizer ? symbolizer.userName(uid) : uid.toString();
    }
    case 'timestamp': return formatTimestamp(view.getBigUint64(base + field.offset, true), field.format);
  }
}

/** Nanoseconds since boot as local time, now (strftime() values are formatted when they print). */
function formatTimestamp(ns: bigint, format: string): string {
  const { date, micros } = bootNsToDate(ns, process.hrtime.bigint(), Date.now());
  return strftime(format, date, micros);
}

/** An enum's value by name; a value the enum does not name prints as its number (bpftrace). */
export function enumValue(names: EnumNames, value: bigint): SymbolicValue {
  const text = names.names[value.toString()] ?? value.toString();
  // The compiler's bool is the enum `bool` { false, true } (compiler/types/types.ts BOOL_ENUM).
  return names.name === 'bool' && (text === 'true' || text === 'false') ? { kind: 'symbolic', text, value, boolean: true } : { kind: 'symbolic', text, value };
}

/** `bits` bits starting `shift` bits into `size` little-endian bytes, sign-extended if signed. */
function readBitfield(view: DataView, offset: number, size: number, shift: number, bits: number, signed: boolean): bigint {
  let word = 0n;
  for (let i = size - 1; i >= 0; i--) word = (word << 8n) | BigInt(view.getUint8(offset + i));
  const value = BigInt.asUintN(bits, word >> BigInt(shift));
  return signed ? BigInt.asIntN(bits, value) : value;
}

/** A map key as one value per field; a scalar map (no layout) has the empty key. */
export function decodeKey(layout: KeyLayout | undefined, key: Uint8Array): Primitive[] {
  if (!layout) return [];
  const view = viewOf(key);
  return layout.fields.map((f) => decodeField(view, 0, f, 'key'));
}

/**
 * A map value. A per-CPU map's lookup returns one copy per possible CPU, each padded to 8 bytes;
 * aggregations reduce over the copies (the layouts are in artifact.ts's ValueKind), plain values
 * (never per-CPU) read the only one. For hist and lhist this is one bucket's count: buildMapDump
 * collects the buckets of each script-level key.
 */
export function decodeValue(kind: ValueKind, raw: Uint8Array, perCpu: boolean, nCpus: number): MapValue {
  const view = viewOf(raw);
  const copies = perCpu ? nCpus : 1;
  const stride = perCpu ? roundUp8(valueSize(kind)) : 0;
  switch (kind.kind) {
    case 'count':
    case 'hist':
    case 'lhist':
      return sumCopies(view, copies, stride, 0, false);
    case 'sum':
      return sumCopies(view, copies, stride, 0, kind.signed);
    case 'min':
    case 'max':
      return minMaxCopies(view, copies, stride, kind.kind === 'max', kind.signed);
    case 'avg':
      return averageCopies(view, copies, stride, kind.signed).average;
    case 'stats':
      return { kind: 'stats', ...averageCopies(view, copies, stride, kind.signed) };
    case 'int':
      return decodeField(view, 0, { ...kind, offset: 0 });
    case 'string':
      return bytesToText(readCStringBytes(view, 0, kind.size));
    case 'tuple':
      return { kind: 'tuple', values: kind.fields.map((f) => decodeField(view, 0, f)) };
    case 'field':
      return decodeField(view, 0, kind.field);
  }
}

/**
 * The arguments of an event record, for printf. Offsets count from the record start (the u64 event
 * id is at 0). Strings stay bytes so printf can pad and cut them by bytes like C.
 */
export function decodeEventArgs(args: EventArg[], record: DataView): PrintfArg[] {
  return args.map((arg) => {
    switch (arg.kind) {
      case 'const': return arg.value;
      case 'constInt': return BigInt(arg.value);
      case 'int': case 'bitfield': {
        // An enum stays symbolic: %s prints its name, %d its number.
        const value = decodeField(record, 0, arg);
        return typeof value === 'bigint' || (typeof value === 'object' && value.kind === 'symbolic') ? value : 0n;
      }
      case 'string': return readCStringBytes(record, arg.offset, arg.size);
      case 'inet': case 'stack': case 'symbol': case 'username': case 'timestamp': return decodeField(record, 0, arg) as PrintfArg;
      case 'buffer': return { kind: 'buffer', bytes: readBufferBytes(record, arg.offset, arg.size) };
      // Structs, arrays and tuples print as print() shows them (`(1, (2, abc))`).
      case 'record': case 'array': case 'tuple': return renderValue(decodeField(record, 0, arg)).slice(0, -1);
      case 'strftime': return formatTimestamp(record.getBigUint64(arg.offset, true), arg.format);
    }
  });
}

/**
 * The value `print(value)` prints, from its event record: strings as text, tuples as tuples, structs
 * and arrays as values (the renderers print them), enums and pointers symbolic.
 */
export function decodeEventValue(arg: EventArg, record: DataView): Primitive {
  if (arg.kind === 'tuple' || arg.kind === 'record' || arg.kind === 'array' || arg.kind === 'int' || arg.kind === 'bitfield') return decodeField(record, 0, arg);
  const [value] = decodeEventArgs([arg], record);
  if (value instanceof Uint8Array) return bytesToText(value);
  // A buffer prints as printf's %r shows it.
  if (typeof value === 'object') return value.kind === 'buffer' ? renderBuffer(value.bytes) : value;
  return value!;
}

/** Bytes one value of this kind takes in the map (one CPU's copy for per-CPU maps). */
export function valueSize(kind: ValueKind): number {
  switch (kind.kind) {
    case 'count':
    case 'sum':
    case 'hist':
    case 'lhist':
      return 8;
    case 'min':
    case 'max':
    case 'avg':
    case 'stats':
      return 16;
    case 'int':
    case 'string':
    case 'tuple':
    case 'field':
      return kind.size;
  }
}

// Sums wrap at 64 bits, as the u64/s64 additions in bpftrace's reduction do.
function sumCopies(view: DataView, copies: number, stride: number, offset: number, signed: boolean): bigint {
  let total = 0n;
  for (let cpu = 0; cpu < copies; cpu++) total += view.getBigUint64(cpu * stride + offset, true);
  return signed ? BigInt.asIntN(64, total) : BigInt.asUintN(64, total);
}

// { u64 value; u64 isSet }: the smallest/largest value among the CPUs that set one; 0 if none did
// (a zero()ed map), as bpftrace prints it.
function minMaxCopies(view: DataView, copies: number, stride: number, max: boolean, signed: boolean): bigint {
  let result: bigint | undefined;
  for (let cpu = 0; cpu < copies; cpu++) {
    if (view.getBigUint64(cpu * stride + 8, true) === 0n) continue;
    const v = readInt(view, cpu * stride, 8, signed);
    if (result === undefined || (max ? v > result : v < result)) result = v;
  }
  return result ?? 0n;
}

// { u64 total; u64 count }: both add up over the CPUs; the average truncates like C's division
// (signed for a signed aggregation) and is 0 when nothing was counted.
function averageCopies(view: DataView, copies: number, stride: number, signed: boolean) {
  const total = sumCopies(view, copies, stride, 0, signed);
  const count = sumCopies(view, copies, stride, 8, false);
  const average = count === 0n ? 0n : signed ? BigInt.asIntN(64, total / count) : total / count;
  return { count, average, total };
}

/** Bytes of one CPU's copy of a per-CPU value: the kernel pads each to 8. */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
