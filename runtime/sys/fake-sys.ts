// An in-memory Sys for unit tests (aya's `sys/fake.rs`): maps with the kernel's key/value semantics,
// programs that only record what was loaded, perf events that record their state, ring buffers a test
// can write records into, and fd bookkeeping so a test can assert that everything opened was closed.
import {
  BPF_ANY,
  BPF_EXIST,
  BPF_INSN_SIZE,
  BPF_NOEXIST,
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  BpfMapType,
  Errno,
  PERF_EVENT_IOC_DISABLE,
  PERF_EVENT_IOC_ENABLE,
  PERF_EVENT_IOC_SET_BPF,
} from './constants.ts';
import { BtfLoadError, ProgLoadError, SysError } from './errors.ts';
import type {
  BpfObjectKind,
  FdWatch,
  LinkInfo,
  MapBatchRequest,
  MapBatchResult,
  MapCreateAttr,
  MapInfo,
  MappedRegion,
  PerfEventAttr,
  ProgInfo,
  BtfLoadAttr,
  ProgLoadAttr,
  ProgLoadResult,
  Sys,
  TestRunAttr,
  TestRunResult,
} from './sys.ts';

export interface FakeMap {
  kind: 'map';
  id: number;
  attr: MapCreateAttr;
  /** Entries by hex key, in insertion order (the order get_next_key walks). */
  entries: Map<string, Uint8Array>;
  /** Ring buffer memory: consumer page, producer page, data area twice (ringbuf maps only). */
  ring?: Uint8Array;
}

export interface FakeProgram {
  kind: 'prog';
  id: number;
  progType: number;
  name: string;
  license: string;
  /** A copy of the instructions as they were passed to BPF_PROG_LOAD. */
  insns: Uint8Array;
  logLevel: number;
  testRuns: number;
  /** The program BTF fd and func_info records it was loaded with, if any. */
  btfFd?: number;
  funcInfo?: Uint8Array;
}

export interface FakeBtf {
  kind: 'btf';
  id: number;
  data: Uint8Array;
}

export interface FakePerfEvent {
  kind: 'perf';
  attr: PerfEventAttr;
  pid: number;
  cpu: number;
  enabled: boolean;
  progFd?: number;
}

export interface FakeRawTracepoint {
  kind: 'rawtp';
  name: string | undefined;
  progFd: number;
}

export interface FakePidfd {
  kind: 'pidfd';
  pid: number;
}

type FakeObject = FakeMap | FakeProgram | FakePerfEvent | FakeRawTracepoint | FakeBtf | FakePidfd;

export interface FakeSysOptions {
  possibleCpus?: number;
  pageSize?: number;
  /** Errno BPF_MAP_LOOKUP_BATCH fails with, to mimic kernels without it; undefined = supported. */
  batchErrno?: number;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const roundUp8 = (n: number) => (n + 7) & ~7;

export class FakeSys implements Sys {
  readonly possibleCpus: number;
  private readonly page: number;
  private readonly batchErrno?: number;
  private nextFd = 100;
  private nextId = 1;
  private readonly fds = new Map<number, FakeObject>();
  private readonly failures: Array<{ op: keyof Sys; errno: number }> = [];
  private readonly mapped = new Set<MappedRegion>();
  private readonly watches = new Map<number, Set<() => void>>();

  /** Every program ever loaded and every perf event ever opened, in order. */
  readonly programs: FakeProgram[] = [];
  readonly btfs: FakeBtf[] = [];
  readonly perfEvents: FakePerfEvent[] = [];
  readonly mounts: Array<{ source: string; target: string; fstype: string }> = [];
  /** Decides a load's outcome: return a verifier log and errno to reject it. */
  rejectProgram?: (attr: ProgLoadAttr) => { errno: number; log: string } | undefined;
  /** Return value of BPF_PROG_TEST_RUN. */
  testRunRetval: (prog: FakeProgram) => number = () => 0;

  constructor(opts: FakeSysOptions = {}) {
    this.possibleCpus = opts.possibleCpus ?? 2;
    this.page = opts.pageSize ?? 4096;
    this.batchErrno = opts.batchErrno;
  }

  // ---- test helpers ----

  /** Makes the next call of `op` fail with `errno` (queue several for several calls). */
  failNext(op: keyof Sys, errno: number): void {
    this.failures.push({ op, errno });
  }

  openFds(): number[] {
    return [...this.fds.keys()];
  }

  object(fd: number): FakeObject | undefined {
    return this.fds.get(fd);
  }

  mappedRegionCount(): number {
    return this.mapped.size;
  }

  /** Writes a record into a ring buffer map as bpf_ringbuf_output would; `busy` leaves it uncommitted. */
  ringbufOutput(fd: number, payload: Uint8Array, opts: { busy?: boolean; discard?: boolean } = {}): { commit(): void } {
    const map = this.mapOf(fd);
    const ring = map.ring;
    if (!ring) throw new SysError('ringbufOutput', Errno.EINVAL);
    const view = new DataView(ring.buffer, ring.byteOffset);
    const size = map.attr.maxEntries;
    const data = this.page * 2;
    const prod = view.getBigUint64(this.page, true);
    const cons = view.getBigUint64(0, true);
    const total = roundUp8(payload.length + BPF_RINGBUF_HDR_SZ);
    if (Number(prod - cons) + total > size) throw new SysError('ringbufOutput', Errno.ENOSPC);
    const off = Number(prod % BigInt(size));
    const write = (at: number, bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) {
        const j = (at + i) % size;
        ring[data + j] = bytes[i]!;
        ring[data + size + j] = bytes[i]!; // the kernel maps the data area twice in a row
      }
    };
    const header = (len: number) => {
      const h = new Uint8Array(8);
      new DataView(h.buffer).setUint32(0, len >>> 0, true);
      write(off, h);
    };
    header(payload.length | BPF_RINGBUF_BUSY_BIT);
    write(off + BPF_RINGBUF_HDR_SZ, payload);
    view.setBigUint64(this.page, prod + BigInt(total), true);
    const commit = () => header(payload.length | (opts.discard ? BPF_RINGBUF_DISCARD_BIT : 0));
    if (!opts.busy) commit();
    return { commit };
  }

  /** Runs the callbacks registered with watchReadable for `fd`. */
  notifyReadable(fd: number): void {
    for (const cb of this.watches.get(fd) ?? []) cb();
  }

  // ---- plumbing ----

  private maybeFail(op: keyof Sys, syscall: string): void {
    const i = this.failures.findIndex((f) => f.op === op);
    if (i < 0) return;
    const [f] = this.failures.splice(i, 1);
    if (op === 'progLoad') throw new ProgLoadError(f!.errno, '');
    if (op === 'btfLoad') throw new BtfLoadError(f!.errno, '');
    throw new SysError(syscall, f!.errno);
  }

  private open(obj: FakeObject): number {
    const fd = this.nextFd++;
    this.fds.set(fd, obj);
    return fd;
  }

  private get(fd: number, syscall: string): FakeObject {
    const obj = this.fds.get(fd);
    if (!obj) throw new SysError(syscall, Errno.EBADF, `fd ${fd}`);
    return obj;
  }

  private mapOf(fd: number, syscall = 'bpf'): FakeMap {
    const obj = this.get(fd, syscall);
    if (obj.kind !== 'map') throw new SysError(syscall, Errno.EINVAL, `fd ${fd} is not a map`);
    return obj;
  }

  private isArray(m: FakeMap): boolean {
    return m.attr.mapType === BpfMapType.ARRAY || m.attr.mapType === BpfMapType.PERCPU_ARRAY;
  }

  private isPerCpu(m: FakeMap): boolean {
    return m.attr.mapType === BpfMapType.PERCPU_ARRAY || m.attr.mapType === BpfMapType.PERCPU_HASH || m.attr.mapType === BpfMapType.LRU_PERCPU_HASH;
  }

  /** Bytes of a value as user space sees it: per-CPU maps hold one 8-byte-aligned copy per CPU. */
  valueBytes(m: FakeMap): number {
    return this.isPerCpu(m) ? this.possibleCpus * roundUp8(m.attr.valueSize) : m.attr.valueSize;
  }

  private notSupportedOnRing(m: FakeMap, syscall: string): void {
    if (m.attr.mapType === BpfMapType.RINGBUF) throw new SysError(syscall, Errno.ENOTSUPP);
  }

  private arrayIndex(m: FakeMap, key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  /** All keys in iteration order. */
  private keysOf(m: FakeMap): Uint8Array[] {
    if (!this.isArray(m)) return [...m.entries.keys()].map(fromHex);
    return Array.from({ length: m.attr.maxEntries }, (_, i) => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, i, true);
      return k;
    });
  }

  private read(m: FakeMap, key: Uint8Array): Uint8Array | undefined {
    if (this.isArray(m)) {
      if (this.arrayIndex(m, key) >= m.attr.maxEntries) return undefined;
      return m.entries.get(hex(key)) ?? new Uint8Array(this.valueBytes(m));
    }
    return m.entries.get(hex(key.subarray(0, m.attr.keySize)));
  }

  // ---- Sys ----

  mapCreate(attr: MapCreateAttr): number {
    this.maybeFail('mapCreate', 'bpf(BPF_MAP_CREATE)');
    if (attr.maxEntries <= 0 || (attr.mapType !== BpfMapType.RINGBUF && (attr.keySize <= 0 || attr.valueSize <= 0))) {
      throw new SysError('bpf(BPF_MAP_CREATE)', Errno.EINVAL);
    }
    const map: FakeMap = { kind: 'map', id: this.nextId++, attr: { ...attr }, entries: new Map() };
    if (attr.mapType === BpfMapType.RINGBUF) {
      const size = attr.maxEntries;
      if (size % this.page !== 0 || (size & (size - 1)) !== 0) throw new SysError('bpf(BPF_MAP_CREATE)', Errno.EINVAL);
      map.ring = new Uint8Array(this.page * 2 + size * 2);
    }
    return this.open(map);
  }

  mapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean {
    this.maybeFail('mapLookup', 'bpf(BPF_MAP_LOOKUP_ELEM)');
    const m = this.mapOf(fd);
    this.notSupportedOnRing(m, 'bpf(BPF_MAP_LOOKUP_ELEM)');
    const v = this.read(m, key);
    if (!v) return false;
    value.set(v.subarray(0, value.length));
    return true;
  }

  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = BPF_ANY): void {
    const call = 'bpf(BPF_MAP_UPDATE_ELEM)';
    this.maybeFail('mapUpdate', call);
    const m = this.mapOf(fd);
    this.notSupportedOnRing(m, call);
    const k = hex(key.subarray(0, m.attr.keySize));
    const exists = this.isArray(m) ? true : m.entries.has(k);
    if (this.isArray(m) && this.arrayIndex(m, key) >= m.attr.maxEntries) throw new SysError(call, Errno.E2BIG);
    if (flags === BPF_NOEXIST && exists) throw new SysError(call, Errno.EEXIST);
    if (flags === BPF_EXIST && !exists) throw new SysError(call, Errno.ENOENT);
    if (!exists && m.entries.size >= m.attr.maxEntries) throw new SysError(call, Errno.E2BIG);
    m.entries.set(k, value.slice(0, this.valueBytes(m)));
  }

  mapDelete(fd: number, key: Uint8Array): boolean {
    const call = 'bpf(BPF_MAP_DELETE_ELEM)';
    this.maybeFail('mapDelete', call);
    const m = this.mapOf(fd);
    this.notSupportedOnRing(m, call);
    if (this.isArray(m)) throw new SysError(call, Errno.EINVAL);
    return m.entries.delete(hex(key.subarray(0, m.attr.keySize)));
  }

  mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    const call = 'bpf(BPF_MAP_GET_NEXT_KEY)';
    this.maybeFail('mapGetNextKey', call);
    const m = this.mapOf(fd);
    this.notSupportedOnRing(m, call);
    const keys = this.keysOf(m);
    // Like the kernel: a missing (or null) key restarts from the first key.
    const at = key ? keys.findIndex((k) => hex(k) === hex(key.subarray(0, k.length))) : -1;
    const next = keys[at + 1];
    if (!next) return false;
    nextKey.set(next);
    return true;
  }

  mapLookupBatch(fd: number, req: MapBatchRequest): MapBatchResult {
    const call = 'bpf(BPF_MAP_LOOKUP_BATCH)';
    this.maybeFail('mapLookupBatch', call);
    if (this.batchErrno !== undefined) throw new SysError(call, this.batchErrno);
    const m = this.mapOf(fd);
    this.notSupportedOnRing(m, call);
    const keys = this.keysOf(m);
    const start = req.inBatch ? new DataView(req.inBatch.buffer, req.inBatch.byteOffset).getUint32(0, true) : 0;
    const valueBytes = this.valueBytes(m);
    let n = 0;
    for (; n < req.count && start + n < keys.length; n++) {
      const k = keys[start + n]!;
      req.keys.set(k, n * m.attr.keySize);
      req.values.set(this.read(m, k)!, n * valueBytes);
    }
    new DataView(req.outBatch.buffer, req.outBatch.byteOffset).setUint32(0, start + n, true);
    return { count: n, done: start + n >= keys.length };
  }

  progLoad(attr: ProgLoadAttr): ProgLoadResult {
    this.maybeFail('progLoad', 'bpf(BPF_PROG_LOAD)');
    if (attr.insns.length === 0 || attr.insns.length % BPF_INSN_SIZE !== 0) {
      throw new ProgLoadError(Errno.EINVAL, '');
    }
    const rejected = this.rejectProgram?.(attr);
    if (rejected) throw new ProgLoadError(rejected.errno, (attr.logLevel ?? 0) > 0 ? rejected.log : '');
    const prog: FakeProgram = {
      kind: 'prog',
      id: this.nextId++,
      progType: attr.progType,
      name: attr.name ?? '',
      license: attr.license,
      insns: attr.insns.slice(),
      logLevel: attr.logLevel ?? 0,
      testRuns: 0,
      ...(attr.funcInfo ? { btfFd: attr.btfFd, funcInfo: attr.funcInfo.slice() } : {}),
    };
    if (attr.funcInfo && this.fds.get(attr.btfFd ?? -1)?.kind !== 'btf') throw new ProgLoadError(Errno.EBADF, '');
    this.programs.push(prog);
    return { fd: this.open(prog), log: prog.logLevel > 0 ? 'processed 1 insns\n' : '' };
  }

  btfLoad(attr: BtfLoadAttr): number {
    this.maybeFail('btfLoad', 'bpf(BPF_BTF_LOAD)');
    // The magic number is all a fake checks.
    if (attr.data.length < 24 || attr.data[0] !== 0x9f || attr.data[1] !== 0xeb) throw new BtfLoadError(Errno.EINVAL, '');
    const btf: FakeBtf = { kind: 'btf', id: this.nextId++, data: attr.data.slice() };
    this.btfs.push(btf);
    return this.open(btf);
  }

  dynamicSymbol(_libraryPath: string, _name: string): bigint | undefined {
    return undefined;
  }

  rawTracepointOpen(progFd: number, name?: string): number {
    this.maybeFail('rawTracepointOpen', 'bpf(BPF_RAW_TRACEPOINT_OPEN)');
    const prog = this.get(progFd, 'bpf(BPF_RAW_TRACEPOINT_OPEN)');
    if (prog.kind !== 'prog') throw new SysError('bpf(BPF_RAW_TRACEPOINT_OPEN)', Errno.EINVAL);
    return this.open({ kind: 'rawtp', name, progFd });
  }

  progTestRun(fd: number, _attr?: TestRunAttr): TestRunResult {
    this.maybeFail('progTestRun', 'bpf(BPF_PROG_TEST_RUN)');
    const prog = this.get(fd, 'bpf(BPF_PROG_TEST_RUN)');
    if (prog.kind !== 'prog') throw new SysError('bpf(BPF_PROG_TEST_RUN)', Errno.EINVAL);
    prog.testRuns++;
    return { retval: this.testRunRetval(prog), durationNs: 0 };
  }

  progGetInfo(fd: number): ProgInfo {
    const p = this.get(fd, 'bpf(BPF_OBJ_GET_INFO_BY_FD)');
    if (p.kind !== 'prog') throw new SysError('bpf(BPF_OBJ_GET_INFO_BY_FD)', Errno.EINVAL);
    const n = p.insns.length;
    return { type: p.progType, id: p.id, tag: '', name: p.name, jitedProgLen: n, xlatedProgLen: n, verifiedInsns: n / 8, nrMapIds: 0 };
  }

  mapGetInfo(fd: number): MapInfo {
    const m = this.mapOf(fd, 'bpf(BPF_OBJ_GET_INFO_BY_FD)');
    const a = m.attr;
    return { type: a.mapType, id: m.id, keySize: a.keySize, valueSize: a.valueSize, maxEntries: a.maxEntries, flags: a.flags ?? 0, name: a.name ?? '' };
  }

  linkGetInfo(fd: number): LinkInfo {
    throw new SysError('bpf(BPF_OBJ_GET_INFO_BY_FD)', Errno.EINVAL, `fd ${fd} is not a link (the fake has none)`);
  }

  private liveObjects(kind: BpfObjectKind): Array<FakeMap | FakeProgram> {
    const seen = new Map<number, FakeMap | FakeProgram>();
    for (const obj of this.fds.values()) if (obj.kind === kind) seen.set(obj.id, obj);
    return [...seen.values()].sort((a, b) => a.id - b.id);
  }

  getNextId(kind: BpfObjectKind, startId: number): number | null {
    return this.liveObjects(kind).find((o) => o.id > startId)?.id ?? null;
  }

  getFdById(kind: BpfObjectKind, id: number): number {
    const obj = this.liveObjects(kind).find((o) => o.id === id);
    if (!obj) throw new SysError(`bpf(BPF_${kind.toUpperCase()}_GET_FD_BY_ID)`, Errno.ENOENT);
    return this.open(obj);
  }

  perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number): number {
    this.maybeFail('perfEventOpen', 'perf_event_open');
    if ((pid === -1 && cpu === -1) || cpu >= this.possibleCpus) throw new SysError('perf_event_open', Errno.EINVAL);
    const ev: FakePerfEvent = { kind: 'perf', attr: { ...attr }, pid, cpu, enabled: !attr.disabled };
    this.perfEvents.push(ev);
    return this.open(ev);
  }

  ioctl(fd: number, request: number, arg = 0): number {
    const call = `ioctl(0x${request.toString(16)})`;
    this.maybeFail('ioctl', call);
    const ev = this.get(fd, call);
    if (ev.kind !== 'perf') throw new SysError(call, Errno.ENOTTY);
    if (request === PERF_EVENT_IOC_ENABLE) ev.enabled = true;
    else if (request === PERF_EVENT_IOC_DISABLE) ev.enabled = false;
    else if (request === PERF_EVENT_IOC_SET_BPF) {
      if (this.fds.get(arg)?.kind !== 'prog') throw new SysError(call, Errno.EBADF);
      if (ev.progFd !== undefined) throw new SysError(call, Errno.EEXIST);
      ev.progFd = arg;
    } else throw new SysError(call, Errno.ENOTTY);
    return 0;
  }

  close(fd: number): void {
    this.maybeFail('close', 'close');
    if (!this.fds.delete(fd)) throw new SysError('close', Errno.EBADF, `fd ${fd}`);
  }

  pageSize(): number {
    return this.page;
  }

  mmap(fd: number, length: number, _prot: number, offset: number): MappedRegion {
    this.maybeFail('mmap', 'mmap');
    const ring = this.mapOf(fd, 'mmap').ring;
    if (!ring || offset + length > ring.length || offset % this.page !== 0) throw new SysError('mmap', Errno.EINVAL);
    const region = { address: BigInt(0x10000 + offset), length, bytes: ring.subarray(offset, offset + length) };
    this.mapped.add(region);
    return region;
  }

  munmap(region: MappedRegion): void {
    if (!this.mapped.delete(region)) throw new SysError('munmap', Errno.EINVAL);
  }

  mount(source: string, target: string, fstype: string): void {
    this.maybeFail('mount', 'mount');
    this.mounts.push({ source, target, fstype });
  }

  /** Processes pidfdOpen() finds; a test ends one with notifyReadable() on its pidfd. */
  readonly processes = new Set<number>([1]);

  pidfdOpen(pid: number): number {
    this.maybeFail('pidfdOpen', 'pidfd_open');
    if (!this.processes.has(pid)) throw new SysError('pidfd_open', Errno.ESRCH, `pid ${pid}`);
    return this.open({ kind: 'pidfd', pid });
  }

  watchReadable(fd: number, onReadable: () => void): FdWatch {
    this.get(fd, 'epoll_ctl');
    const set = this.watches.get(fd) ?? new Set();
    this.watches.set(fd, set);
    set.add(onReadable);
    return { close: () => set.delete(onReadable) };
  }
}
