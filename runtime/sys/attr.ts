// Byte layouts of the bpf_attr union members, the info structs and perf_event_attr, with explicit
// offsets (include/uapi/linux/bpf.h, perf_event.h; checked against gcc offsetof and vmlinux BTF).
// Every buffer starts zeroed, so padding and fields we do not set are zero, as the kernel requires.
// The size passed to bpf() is the size of the union member filled (`size` below): the kernel accepts
// a shorter attr from an older ABI and a longer one whose unknown tail is zero.
// Pointer fields take addresses (bigint) the caller resolved; this file does no FFI.
import type { MapCreateAttr, MapInfo, LinkInfo, PerfEventAttr, ProgInfo } from './sys.ts';
import { BPF_OBJ_NAME_LEN } from './constants.ts';

/** BPF_MAP_CREATE */
export const MapCreateLayout = {
  size: 72,
  mapType: 0,
  keySize: 4,
  valueSize: 8,
  maxEntries: 12,
  mapFlags: 16,
  innerMapFd: 20,
  numaNode: 24,
  mapName: 28,
  mapIfindex: 44,
  btfFd: 48,
  mapExtra: 64,
} as const;

/** BPF_MAP_LOOKUP_ELEM / UPDATE_ELEM / DELETE_ELEM / GET_NEXT_KEY */
export const MapElemLayout = { size: 32, mapFd: 0, key: 8, value: 16, flags: 24 } as const;

/** BPF_MAP_LOOKUP_BATCH and friends */
export const MapBatchLayout = {
  size: 56,
  inBatch: 0,
  outBatch: 8,
  keys: 16,
  values: 24,
  count: 32,
  mapFd: 36,
  elemFlags: 40,
  flags: 48,
} as const;

/** BPF_PROG_LOAD */
export const ProgLoadLayout = {
  size: 144,
  progType: 0,
  insnCnt: 4,
  insns: 8,
  license: 16,
  logLevel: 24,
  logSize: 28,
  logBuf: 32,
  kernVersion: 40,
  progFlags: 44,
  progName: 48,
  progIfindex: 64,
  expectedAttachType: 68,
  progBtfFd: 72,
  funcInfoRecSize: 76,
  funcInfo: 80,
  funcInfoCnt: 88,
  attachBtfId: 108,
  attachProgFd: 112,
  fdArray: 120,
  /** Written by the kernel (6.4+): the log size that would have held the whole log. */
  logTrueSize: 140,
} as const;

/** BPF_BTF_LOAD */
export const BtfLoadLayout = {
  size: 32,
  btf: 0,
  logBuf: 8,
  btfSize: 16,
  logSize: 20,
  logLevel: 24,
  /** Written by the kernel (6.4+). */
  logTrueSize: 28,
} as const;

/** BPF_PROG_TEST_RUN */
export const TestRunLayout = {
  size: 80,
  progFd: 0,
  retval: 4,
  dataSizeIn: 8,
  dataSizeOut: 12,
  dataIn: 16,
  dataOut: 24,
  repeat: 32,
  duration: 36,
  ctxSizeIn: 40,
  ctxSizeOut: 44,
  ctxIn: 48,
  ctxOut: 56,
  flags: 64,
  cpu: 68,
  batchSize: 72,
} as const;

/** BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (start_id / prog_id / map_id / link_id share offset 0). */
export const GetIdLayout = { size: 12, id: 0, nextId: 4, openFlags: 8 } as const;

/** BPF_OBJ_GET_INFO_BY_FD */
export const ObjInfoLayout = { size: 16, bpfFd: 0, infoLen: 4, info: 8 } as const;

/** struct bpf_prog_info (the fields we read; the kernel fills up to `size`). */
export const ProgInfoLayout = {
  size: 232,
  type: 0,
  id: 4,
  tag: 8,
  jitedProgLen: 16,
  xlatedProgLen: 20,
  nrMapIds: 52,
  name: 64,
  verifiedInsns: 216,
} as const;

/** struct bpf_map_info */
export const MapInfoLayout = {
  size: 88,
  type: 0,
  id: 4,
  keySize: 8,
  valueSize: 12,
  maxEntries: 16,
  mapFlags: 20,
  name: 24,
} as const;

/** struct bpf_link_info (the common head; the per-type union follows at 16). */
export const LinkInfoLayout = { size: 64, type: 0, id: 4, progId: 8 } as const;

/** struct perf_event_attr, PERF_ATTR_SIZE_VER5. */
export const PerfEventAttrLayout = {
  size: 112,
  type: 0,
  attrSize: 4,
  config: 8,
  samplePeriod: 16,
  sampleType: 24,
  readFormat: 32,
  flags: 40,
  wakeupEvents: 48,
  bpType: 52,
  config1: 56,
  config2: 64,
} as const;

/** Bits of the perf_event_attr flags word (offset 40). */
export const PerfAttrFlag = {
  disabled: 1n << 0n,
  inherit: 1n << 1n,
  excludeUser: 1n << 4n,
  excludeKernel: 1n << 5n,
  freq: 1n << 10n,
} as const;

/** A zeroed attr buffer with little-endian field writers. Off-heap, so its address is stable. */
export class AttrBuffer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(new ArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
  }

  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  u64(offset: number, value: number | bigint): this {
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
    return this;
  }

  name(offset: number, name: string): this {
    this.bytes.set(encodeObjectName(name), offset);
    return this;
  }

  readU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}

/** Checks a kernel object name and returns it NUL-padded to BPF_OBJ_NAME_LEN bytes. */
export function encodeObjectName(name: string): Uint8Array {
  if (name.length >= BPF_OBJ_NAME_LEN || !/^[A-Za-z0-9_.]*$/.test(name)) {
    throw new Error(`invalid kernel object name '${name}': at most 15 characters of [A-Za-z0-9_.]`);
  }
  const out = new Uint8Array(BPF_OBJ_NAME_LEN);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
  return out;
}

export function encodeMapCreate(a: MapCreateAttr): AttrBuffer {
  const L = MapCreateLayout;
  const buf = new AttrBuffer(L.size)
    .u32(L.mapType, a.mapType)
    .u32(L.keySize, a.keySize)
    .u32(L.valueSize, a.valueSize)
    .u32(L.maxEntries, a.maxEntries)
    .u32(L.mapFlags, a.flags ?? 0);
  if (a.name) buf.name(L.mapName, a.name);
  return buf;
}

export function encodeMapElem(fd: number, key: bigint, value: bigint, flags = 0): AttrBuffer {
  const L = MapElemLayout;
  return new AttrBuffer(L.size).u32(L.mapFd, fd).u64(L.key, key).u64(L.value, value).u64(L.flags, flags);
}

export interface BatchPointers {
  inBatch: bigint;
  outBatch: bigint;
  keys: bigint;
  values: bigint;
}

export function encodeMapBatch(fd: number, p: BatchPointers, count: number): AttrBuffer {
  const L = MapBatchLayout;
  return new AttrBuffer(L.size)
    .u64(L.inBatch, p.inBatch)
    .u64(L.outBatch, p.outBatch)
    .u64(L.keys, p.keys)
    .u64(L.values, p.values)
    .u32(L.count, count)
    .u32(L.mapFd, fd);
}

export interface ProgLoadFields {
  progType: number;
  insnCnt: number;
  insns: bigint;
  license: bigint;
  name?: string;
  logLevel: number;
  logSize: number;
  logBuf: bigint;
  kernVersion?: number;
  progFlags?: number;
  expectedAttachType?: number;
  attachBtfId?: number;
  /** Program BTF (BPF_BTF_LOAD fd) and its func_info records (struct bpf_func_info, 8 bytes each). */
  progBtfFd?: number;
  funcInfo?: bigint;
  funcInfoRecSize?: number;
  funcInfoCnt?: number;
}

export function encodeProgLoad(f: ProgLoadFields): AttrBuffer {
  const L = ProgLoadLayout;
  const buf = new AttrBuffer(L.size)
    .u32(L.progType, f.progType)
    .u32(L.insnCnt, f.insnCnt)
    .u64(L.insns, f.insns)
    .u64(L.license, f.license)
    .u32(L.logLevel, f.logLevel)
    .u32(L.logSize, f.logSize)
    .u64(L.logBuf, f.logBuf)
    .u32(L.kernVersion, f.kernVersion ?? 0)
    .u32(L.progFlags, f.progFlags ?? 0)
    .u32(L.expectedAttachType, f.expectedAttachType ?? 0)
    .u32(L.attachBtfId, f.attachBtfId ?? 0)
    .u32(L.progBtfFd, f.progBtfFd ?? 0)
    .u32(L.funcInfoRecSize, f.funcInfoRecSize ?? 0)
    .u64(L.funcInfo, f.funcInfo ?? 0n)
    .u32(L.funcInfoCnt, f.funcInfoCnt ?? 0);
  if (f.name) buf.name(L.progName, f.name);
  return buf;
}

export interface BtfLoadFields {
  btf: bigint;
  btfSize: number;
  logBuf: bigint;
  logSize: number;
  logLevel: number;
}

export function encodeBtfLoad(f: BtfLoadFields): AttrBuffer {
  const L = BtfLoadLayout;
  return new AttrBuffer(L.size)
    .u64(L.btf, f.btf)
    .u64(L.logBuf, f.logBuf)
    .u32(L.btfSize, f.btfSize)
    .u32(L.logSize, f.logSize)
    .u32(L.logLevel, f.logLevel);
}

export interface TestRunFields {
  progFd: number;
  ctxIn: bigint;
  ctxSizeIn: number;
  dataIn: bigint;
  dataSizeIn: number;
  repeat: number;
}

export function encodeTestRun(f: TestRunFields): AttrBuffer {
  const L = TestRunLayout;
  return new AttrBuffer(L.size)
    .u32(L.progFd, f.progFd)
    .u64(L.ctxIn, f.ctxIn)
    .u32(L.ctxSizeIn, f.ctxSizeIn)
    .u64(L.dataIn, f.dataIn)
    .u32(L.dataSizeIn, f.dataSizeIn)
    .u32(L.repeat, f.repeat);
}

/** BPF_RAW_TRACEPOINT_OPEN: { u64 name; u32 prog_fd; } (name 0 for fentry/fexit: the target is in the program). */
export const RawTracepointOpenLayout = { size: 16, name: 0, progFd: 8 } as const;

export function encodeRawTracepointOpen(name: bigint, progFd: number): AttrBuffer {
  const L = RawTracepointOpenLayout;
  return new AttrBuffer(L.size).u64(L.name, name).u32(L.progFd, progFd);
}

export function encodeGetId(id: number): AttrBuffer {
  return new AttrBuffer(GetIdLayout.size).u32(GetIdLayout.id, id);
}

export function encodeObjInfo(fd: number, info: bigint, infoLen: number): AttrBuffer {
  const L = ObjInfoLayout;
  return new AttrBuffer(L.size).u32(L.bpfFd, fd).u32(L.infoLen, infoLen).u64(L.info, info);
}

function cString(bytes: Uint8Array, offset: number, max: number): string {
  let s = '';
  for (let i = offset; i < offset + max && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeProgInfo(bytes: Uint8Array): ProgInfo {
  const L = ProgInfoLayout;
  const v = viewOf(bytes);
  const tag = Array.from(bytes.subarray(L.tag, L.tag + 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    type: v.getUint32(L.type, true),
    id: v.getUint32(L.id, true),
    tag,
    name: cString(bytes, L.name, BPF_OBJ_NAME_LEN),
    jitedProgLen: v.getUint32(L.jitedProgLen, true),
    xlatedProgLen: v.getUint32(L.xlatedProgLen, true),
    verifiedInsns: v.getUint32(L.verifiedInsns, true),
    nrMapIds: v.getUint32(L.nrMapIds, true),
  };
}

export function decodeMapInfo(bytes: Uint8Array): MapInfo {
  const L = MapInfoLayout;
  const v = viewOf(bytes);
  return {
    type: v.getUint32(L.type, true),
    id: v.getUint32(L.id, true),
    keySize: v.getUint32(L.keySize, true),
    valueSize: v.getUint32(L.valueSize, true),
    maxEntries: v.getUint32(L.maxEntries, true),
    flags: v.getUint32(L.mapFlags, true),
    name: cString(bytes, L.name, BPF_OBJ_NAME_LEN),
  };
}

export function decodeLinkInfo(bytes: Uint8Array): LinkInfo {
  const L = LinkInfoLayout;
  const v = viewOf(bytes);
  return { type: v.getUint32(L.type, true), id: v.getUint32(L.id, true), progId: v.getUint32(L.progId, true) };
}

/** Encodes perf_event_attr; `config1Pointer` replaces config1 when the caller passed a string. */
export function encodePerfEventAttr(a: PerfEventAttr, config1Pointer?: bigint): AttrBuffer {
  const L = PerfEventAttrLayout;
  let flags = 0n;
  if (a.disabled) flags |= PerfAttrFlag.disabled;
  if (a.inherit) flags |= PerfAttrFlag.inherit;
  if (a.excludeUser) flags |= PerfAttrFlag.excludeUser;
  if (a.excludeKernel) flags |= PerfAttrFlag.excludeKernel;
  if (a.frequency !== undefined) flags |= PerfAttrFlag.freq;
  return new AttrBuffer(L.size)
    .u32(L.type, a.type)
    .u32(L.attrSize, L.size)
    .u64(L.config, a.config)
    .u64(L.samplePeriod, a.frequency ?? a.samplePeriod ?? 0)
    .u64(L.sampleType, a.sampleType ?? 0)
    .u64(L.flags, flags)
    .u32(L.wakeupEvents, a.wakeupEvents ?? 0)
    .u64(L.config1, config1Pointer ?? a.config1 ?? 0)
    .u64(L.config2, a.config2 ?? 0);
}
