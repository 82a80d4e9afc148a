// The real Sys: libc through koffi. Every bpf command goes through one entry, bpf(), like cilium/ebpf's
// BPF(); attrs are encoded by attr.ts. koffi is loaded on first use, so importing the runtime costs
// nothing until a kernel operation actually runs.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';
import {
  decodeLinkInfo,
  decodeMapInfo,
  decodeProgInfo,
  encodeBtfLoad,
  encodeGetId,
  encodeMapBatch,
  encodeMapCreate,
  encodeMapElem,
  encodeObjInfo,
  encodePerfEventAttr,
  encodeProgLoad,
  encodeRawTracepointOpen,
  encodeTestRun,
  AttrBuffer,
  LinkInfoLayout,
  MapBatchLayout,
  MapInfoLayout,
  ProgInfoLayout,
  ProgLoadLayout,
  TestRunLayout,
} from './attr.ts';
import {
  BPF_ANY,
  BPF_CMD_NAMES,
  BPF_INSN_SIZE,
  BpfCmd,
  Errno,
  MAP_SHARED,
  PERF_FLAG_FD_CLOEXEC,
  SYS_bpf,
  SYS_perf_event_open,
  SYS_pidfd_open,
} from './constants.ts';
import { BtfLoadError, ProgLoadError, SysError } from './errors.ts';
import type {
  BpfObjectKind,
  BtfLoadAttr,
  FdWatch,
  LinkInfo,
  MapBatchRequest,
  MapBatchResult,
  MapCreateAttr,
  MapInfo,
  MappedRegion,
  PerfEventAttr,
  ProgInfo,
  ProgLoadAttr,
  ProgLoadResult,
  Sys,
  TestRunAttr,
  TestRunResult,
} from './sys.ts';

type Koffi = typeof koffiModule;
type Fn = (...args: any[]) => any;

/** The libc functions we call, bound once. */
interface Libc {
  koffi: Koffi;
  bpf: Fn;
  perfEventOpen: Fn;
  pidfdOpen: Fn;
  ioctl: Fn;
  close: Fn;
  mmap: Fn;
  munmap: Fn;
  mount: Fn;
  sysconf: Fn;
  dlopen: (file: string, mode: number) => unknown;
  dlsym: (handle: unknown, name: string) => unknown;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const lib = koffi.load('libc.so.6');
  // syscall(2) is variadic; on x86_64 integer/pointer arguments travel in the same registers either
  // way, so fixed prototypes per system call are safe and avoid koffi's slower variadic path.
  libc = {
    koffi,
    bpf: lib.func('syscall', 'long', ['long', 'int', 'void *', 'uint32']),
    perfEventOpen: lib.func('syscall', 'long', ['long', 'void *', 'int', 'int', 'int', 'ulong']),
    pidfdOpen: lib.func('syscall', 'long', ['long', 'int', 'uint32']),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    close: lib.func('int close(int fd)'),
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    sysconf: lib.func('long sysconf(int name)'),
    dlopen: lib.func('void *dlopen(const char *file, int mode)'),
    dlsym: lib.func('void *dlsym(void *handle, const char *name)'),
  };
  return libc;
}

const _SC_PAGESIZE = 30;
const PROG_LOAD_EAGAIN_RETRIES = 5;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

const NEXT_ID_CMD: Record<BpfObjectKind, number> = {
  prog: BpfCmd.PROG_GET_NEXT_ID,
  map: BpfCmd.MAP_GET_NEXT_ID,
  link: BpfCmd.LINK_GET_NEXT_ID,
};
const FD_BY_ID_CMD: Record<BpfObjectKind, number> = {
  prog: BpfCmd.PROG_GET_FD_BY_ID,
  map: BpfCmd.MAP_GET_FD_BY_ID,
  link: BpfCmd.LINK_GET_FD_BY_ID,
};

function cStringBytes(s: string): Uint8Array {
  const bytes = Buffer.from(`${s}\0`, 'utf8');
  // Copy into a fresh ArrayBuffer: a small Buffer may be a slice of Node's shared pool, fine for the
  // kernel, but an owned buffer keeps lifetimes obvious.
  return new Uint8Array(bytes);
}

function textUntilNul(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? bytes.length : end).toString('utf8');
}

export class KoffiSys implements Sys {
  private get c(): Libc {
    return loadLibc();
  }

  /** Address of a buffer's first byte (0 for null or empty), for pointer fields inside attrs. */
  private addr(bytes: Uint8Array | null | undefined): bigint {
    return bytes && bytes.length > 0 ? this.c.koffi.address(bytes) : 0n;
  }

  /** The single bpf(2) entry: returns the result or throws SysError naming the command. */
  private bpf(cmd: number, attr: AttrBuffer): number {
    const c = this.c;
    const ret = Number(c.bpf(SYS_bpf, cmd, attr.bytes, attr.bytes.length));
    if (ret < 0) throw new SysError(`bpf(${BPF_CMD_NAMES[cmd] ?? cmd})`, c.koffi.errno());
    return ret;
  }

  /** bpf() where ENOENT is an expected answer ("no such key", "no next id"). */
  private bpfOrMissing(cmd: number, attr: AttrBuffer): number | null {
    try {
      return this.bpf(cmd, attr);
    } catch (err) {
      if (err instanceof SysError && err.errno === Errno.ENOENT) return null;
      throw err;
    }
  }

  mapCreate(attr: MapCreateAttr): number {
    return this.bpf(BpfCmd.MAP_CREATE, encodeMapCreate(attr));
  }

  mapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean {
    const attr = encodeMapElem(fd, this.addr(key), this.addr(value));
    return this.bpfOrMissing(BpfCmd.MAP_LOOKUP_ELEM, attr) !== null;
  }

  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = BPF_ANY): void {
    this.bpf(BpfCmd.MAP_UPDATE_ELEM, encodeMapElem(fd, this.addr(key), this.addr(value), flags));
  }

  mapDelete(fd: number, key: Uint8Array): boolean {
    return this.bpfOrMissing(BpfCmd.MAP_DELETE_ELEM, encodeMapElem(fd, this.addr(key), 0n)) !== null;
  }

  mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
    const attr = encodeMapElem(fd, this.addr(key), this.addr(nextKey));
    return this.bpfOrMissing(BpfCmd.MAP_GET_NEXT_KEY, attr) !== null;
  }

  mapLookupBatch(fd: number, req: MapBatchRequest): MapBatchResult {
    const attr = encodeMapBatch(
      fd,
      {
        inBatch: this.addr(req.inBatch),
        outBatch: this.addr(req.outBatch),
        keys: this.addr(req.keys),
        values: this.addr(req.values),
      },
      req.count,
    );
    // ENOENT means "no more after these"; the kernel still reports how many it copied in `count`.
    const done = this.bpfOrMissing(BpfCmd.MAP_LOOKUP_BATCH, attr) === null;
    return { count: attr.readU32(MapBatchLayout.count), done };
  }

  progLoad(a: ProgLoadAttr): ProgLoadResult {
    const logLevel = a.logLevel ?? 0;
    const logBuf = logLevel > 0 ? new Uint8Array(a.logSize ?? 1 << 20) : null;
    const license = cStringBytes(a.license);
    const attr = encodeProgLoad({
      progType: a.progType,
      insnCnt: a.insns.length / BPF_INSN_SIZE,
      insns: this.addr(a.insns),
      license: this.addr(license),
      name: a.name,
      logLevel,
      logSize: logBuf?.length ?? 0,
      logBuf: this.addr(logBuf),
      kernVersion: a.kernVersion,
      progFlags: a.progFlags,
      expectedAttachType: a.expectedAttachType,
      attachBtfId: a.attachBtfId,
      ...(a.funcInfo ? { progBtfFd: a.btfFd, funcInfo: this.addr(a.funcInfo), funcInfoRecSize: 8, funcInfoCnt: a.funcInfo.length / 8 } : {}),
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = this.bpf(BpfCmd.PROG_LOAD, attr);
        return { fd, log: logBuf ? textUntilNul(logBuf) : '' };
      } catch (err) {
        if (!(err instanceof SysError)) throw err;
        // EAGAIN: the verifier was interrupted (signal, or too much work); the same load may pass.
        if (err.errno === Errno.EAGAIN && attempt < PROG_LOAD_EAGAIN_RETRIES) continue;
        const trueSize = attr.readU32(ProgLoadLayout.logTrueSize);
        throw new ProgLoadError(err.errno, logBuf ? textUntilNul(logBuf) : '', trueSize || undefined);
      }
    }
  }

  btfLoad(a: BtfLoadAttr): number {
    const logLevel = a.logLevel ?? 0;
    const logBuf = logLevel > 0 ? new Uint8Array(a.logSize ?? 1 << 16) : null;
    const attr = encodeBtfLoad({ btf: this.addr(a.data), btfSize: a.data.length, logBuf: this.addr(logBuf), logSize: logBuf?.length ?? 0, logLevel });
    try {
      return this.bpf(BpfCmd.BTF_LOAD, attr);
    } catch (err) {
      if (!(err instanceof SysError)) throw err;
      throw new BtfLoadError(err.errno, logBuf ? textUntilNul(logBuf) : '');
    }
  }

  dynamicSymbol(libraryPath: string, name: string): bigint | undefined {
    const c = this.c;
    const RTLD_LAZY = 0x1;
    const RTLD_NOLOAD = 0x4;
    const address = (p: unknown): bigint => (p === null || p === undefined ? 0n : typeof p === 'bigint' ? p : c.koffi.address(p as never));
    // NOLOAD: only a library this process has already mapped; nothing new is loaded or initialized.
    const handle = c.dlopen(libraryPath, RTLD_LAZY | RTLD_NOLOAD);
    if (address(handle) === 0n) return undefined;
    const symbol = address(c.dlsym(handle, name));
    return symbol === 0n ? undefined : symbol;
  }

  rawTracepointOpen(progFd: number, name?: string): number {
    const nameBytes = name === undefined ? null : cStringBytes(name);
    return this.bpf(BpfCmd.RAW_TRACEPOINT_OPEN, encodeRawTracepointOpen(this.addr(nameBytes), progFd));
  }

  progTestRun(fd: number, a: TestRunAttr = {}): TestRunResult {
    const attr = encodeTestRun({
      progFd: fd,
      ctxIn: this.addr(a.ctxIn),
      ctxSizeIn: a.ctxIn?.length ?? 0,
      dataIn: this.addr(a.dataIn),
      dataSizeIn: a.dataIn?.length ?? 0,
      repeat: a.repeat ?? 0,
    });
    this.bpf(BpfCmd.PROG_TEST_RUN, attr);
    return { retval: attr.readU32(TestRunLayout.retval), durationNs: attr.readU32(TestRunLayout.duration) };
  }

  private objInfo(fd: number, size: number): Uint8Array {
    const info = new Uint8Array(new ArrayBuffer(size));
    this.bpf(BpfCmd.OBJ_GET_INFO_BY_FD, encodeObjInfo(fd, this.addr(info), size));
    return info;
  }

  progGetInfo(fd: number): ProgInfo {
    return decodeProgInfo(this.objInfo(fd, ProgInfoLayout.size));
  }

  mapGetInfo(fd: number): MapInfo {
    return decodeMapInfo(this.objInfo(fd, MapInfoLayout.size));
  }

  linkGetInfo(fd: number): LinkInfo {
    return decodeLinkInfo(this.objInfo(fd, LinkInfoLayout.size));
  }

  getNextId(kind: BpfObjectKind, startId: number): number | null {
    const attr = encodeGetId(startId);
    if (this.bpfOrMissing(NEXT_ID_CMD[kind], attr) === null) return null;
    return attr.readU32(4);
  }

  getFdById(kind: BpfObjectKind, id: number): number {
    return this.bpf(FD_BY_ID_CMD[kind], encodeGetId(id));
  }

  perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, groupFd = -1, flags = PERF_FLAG_FD_CLOEXEC): number {
    const c = this.c;
    const config1String = attr.config1String === undefined ? null : cStringBytes(attr.config1String);
    const encoded = encodePerfEventAttr(attr, config1String ? this.addr(config1String) : undefined);
    const ret = Number(c.perfEventOpen(SYS_perf_event_open, encoded.bytes, pid, cpu, groupFd, flags));
    if (ret < 0) throw new SysError('perf_event_open', c.koffi.errno(), `type ${attr.type} config ${attr.config} cpu ${cpu}`);
    return ret;
  }

  ioctl(fd: number, request: number, arg = 0): number {
    const c = this.c;
    const ret = c.ioctl(fd, request, arg) as number;
    if (ret < 0) throw new SysError(`ioctl(0x${request.toString(16)})`, c.koffi.errno());
    return ret;
  }

  close(fd: number): void {
    const c = this.c;
    if ((c.close(fd) as number) < 0) throw new SysError('close', c.koffi.errno(), `fd ${fd}`);
  }

  pageSize(): number {
    return Number(this.c.sysconf(_SC_PAGESIZE));
  }

  mmap(fd: number, length: number, prot: number, offset: number): MappedRegion {
    const c = this.c;
    const address = BigInt(c.mmap(null, length, prot, MAP_SHARED, fd, offset) ?? 0);
    if (address === MAP_FAILED || address === 0n) throw new SysError('mmap', c.koffi.errno(), `fd ${fd}`);
    return { address, length, bytes: new Uint8Array(c.koffi.view(address, length)) };
  }

  munmap(region: MappedRegion): void {
    const c = this.c;
    if ((c.munmap(region.address, region.length) as number) < 0) throw new SysError('munmap', c.koffi.errno());
  }

  mount(source: string, target: string, fstype: string, flags = 0, data?: string): void {
    const c = this.c;
    if ((c.mount(source, target, fstype, flags, data ?? null) as number) < 0) {
      throw new SysError('mount', c.koffi.errno(), `${fstype} on ${target}`);
    }
  }

  pidfdOpen(pid: number): number {
    const c = this.c;
    const ret = Number(c.pidfdOpen(SYS_pidfd_open, pid, 0));
    if (ret < 0) throw new SysError('pidfd_open', c.koffi.errno(), `pid ${pid}`);
    return ret;
  }

  watchReadable(fd: number, onReadable: () => void): FdWatch {
    // koffi 3.3.4 calls back with (status, events), not (events) as its index.d.ts says.
    const callback = (status: number, ev: { readable: boolean }) => {
      if (status === 0 && ev.readable) onReadable();
    };
    const handle = this.c.koffi.node.poll(fd, { readable: true }, callback as never);
    return { close: () => handle.close() };
  }
}
