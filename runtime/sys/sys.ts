// The Sys interface: every kernel operation the runtime performs, typed. The real implementation
// (koffi-sys.ts) is the only code that touches FFI; fake-sys.ts implements the same operations in
// memory so the loader, maps and attach code can be tested without a kernel (aya's `sys/fake.rs`).
//
// Conventions: buffers are Uint8Arrays the caller owns (the kernel reads/writes them in place); fds are
// numbers the caller must close(); failures throw SysError (errors.ts). "Not found" outcomes that are a
// normal part of iteration (ENOENT on lookup/get_next_key/get_next_id) return false/null instead.

export { SysError, ProgLoadError, BtfLoadError, isSysError, isUnsupported } from './errors.ts';

export type BpfObjectKind = 'prog' | 'map' | 'link';

export interface MapCreateAttr {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  /** Kernel object name, at most 15 characters of [A-Za-z0-9_.]. */
  name?: string;
}

export interface MapBatchRequest {
  /** Token from the previous call's outBatch; null for the first call. */
  inBatch: Uint8Array | null;
  /** Receives the token for the next call; at least max(keySize, 4) bytes. */
  outBatch: Uint8Array;
  /** Receive up to `count` keys and values, packed. */
  keys: Uint8Array;
  values: Uint8Array;
  count: number;
}

export interface MapBatchResult {
  /** Entries written to keys/values by this call. */
  count: number;
  /** No entries remain after these (the kernel said ENOENT). */
  done: boolean;
}

export interface ProgLoadAttr {
  progType: number;
  /** Instructions, 8 bytes each. */
  insns: Uint8Array;
  license: string;
  name?: string;
  expectedAttachType?: number;
  /** Tracing programs (fentry/fexit): the BTF id of the function they attach to. */
  attachBtfId?: number;
  kernVersion?: number;
  progFlags?: number;
  /** 0: no log. 1: log on failure; 2: verbose; 4: statistics (bits combine). */
  logLevel?: number;
  /** Log buffer size in bytes when logLevel > 0. */
  logSize?: number;
  /**
   * Programs with subprograms: the program's BTF (an fd from btfLoad) and one func_info record per
   * function (struct bpf_func_info { u32 insn_off; u32 type_id; }, packed).
   */
  btfFd?: number;
  funcInfo?: Uint8Array;
}

export interface BtfLoadAttr {
  /** A BTF blob: header, types, strings. */
  data: Uint8Array;
  /** 0: no log; 1: the reason on failure. */
  logLevel?: number;
  logSize?: number;
}

export interface ProgLoadResult {
  fd: number;
  /** The verifier log text ('' when loaded without a log). */
  log: string;
}

export interface TestRunAttr {
  /** Context passed to the program (raw_tracepoint: the u64 args; may be empty). */
  ctxIn?: Uint8Array;
  dataIn?: Uint8Array;
  repeat?: number;
}

export interface TestRunResult {
  retval: number;
  durationNs: number;
}

export interface ProgInfo {
  type: number;
  id: number;
  /** The program tag (sha of the instructions) in hex. */
  tag: string;
  name: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  verifiedInsns: number;
  nrMapIds: number;
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
}

/** The subset of struct perf_event_attr tsbt sets. */
export interface PerfEventAttr {
  type: number;
  config: number | bigint;
  /** A period (events, or ns for clocks); ignored when `frequency` is set. */
  samplePeriod?: number | bigint;
  /** Samples per second; sets the `freq` bit. */
  frequency?: number;
  sampleType?: number | bigint;
  disabled?: boolean;
  inherit?: boolean;
  excludeKernel?: boolean;
  excludeUser?: boolean;
  wakeupEvents?: number;
  config1?: number | bigint;
  /** A string the kernel reads through config1 (uprobe path, kprobe function); wins over config1. */
  config1String?: string;
  config2?: number | bigint;
}

/** Memory mapped from an fd, readable (and writable if mapped so) in place from JS. */
export interface MappedRegion {
  readonly address: bigint;
  readonly length: number;
  readonly bytes: Uint8Array;
}

/** A registration for readability notifications on an fd (epoll through the event loop). */
export interface FdWatch {
  close(): void;
}

export interface Sys {
  mapCreate(attr: MapCreateAttr): number;
  /** Fills `value`; false when the key is absent. */
  mapLookup(fd: number, key: Uint8Array, value: Uint8Array): boolean;
  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** False when the key is absent. */
  mapDelete(fd: number, key: Uint8Array): boolean;
  /** Writes the key after `key` (the first key when null) into `nextKey`; false past the last. */
  mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean;
  /** BPF_MAP_LOOKUP_BATCH. Throws a SysError for which isUnsupported() is true where unavailable. */
  mapLookupBatch(fd: number, req: MapBatchRequest): MapBatchResult;

  /** Throws ProgLoadError (errno + verifier log) on failure. Retries EAGAIN. */
  progLoad(attr: ProgLoadAttr): ProgLoadResult;
  /** BPF_BTF_LOAD: returns the BTF object's fd. Throws BtfLoadError (errno + the kernel's BTF log) on failure. */
  btfLoad(attr: BtfLoadAttr): number;
  progTestRun(fd: number, attr?: TestRunAttr): TestRunResult;
  /**
   * dlopen(RTLD_NOLOAD) + dlsym in this process: the address a symbol of an already-loaded library
   * resolves to (for an IFUNC, the implementation its resolver picks), or undefined.
   */
  dynamicSymbol(libraryPath: string, name: string): bigint | undefined;
  /** BPF_RAW_TRACEPOINT_OPEN: attach a raw tracepoint (or fentry/fexit with no name); returns a link fd. */
  rawTracepointOpen(progFd: number, name?: string): number;
  progGetInfo(fd: number): ProgInfo;
  mapGetInfo(fd: number): MapInfo;
  linkGetInfo(fd: number): LinkInfo;
  /** The next object id after `startId` (0 for the first); null when there is none. */
  getNextId(kind: BpfObjectKind, startId: number): number | null;
  /** Opens an fd for an object id; the caller closes it. */
  getFdById(kind: BpfObjectKind, id: number): number;

  perfEventOpen(attr: PerfEventAttr, pid: number, cpu: number, groupFd?: number, flags?: number): number;
  ioctl(fd: number, request: number, arg?: number): number;
  close(fd: number): void;

  pageSize(): number;
  mmap(fd: number, length: number, prot: number, offset: number): MappedRegion;
  munmap(region: MappedRegion): void;
  mount(source: string, target: string, fstype: string, flags?: number, data?: string): void;
  /** Calls `onReadable` from the event loop whenever `fd` polls readable, until closed. */
  watchReadable(fd: number, onReadable: () => void): FdWatch;
  /**
   * An fd that becomes readable when process `pid` exits (pidfd_open, Linux 5.3). Throws SysError
   * (ESRCH) when there is no such process.
   */
  pidfdOpen(pid: number): number;
}
