// Kernel ABI numbers (x86_64 Linux), from include/uapi/linux/bpf.h and perf_event.h.
// Only what tsbt uses; every value is the kernel's, never ours.

/** System call numbers on x86_64. */
export const SYS_bpf = 321;
export const SYS_perf_event_open = 298;
export const SYS_pidfd_open = 434;

/** enum bpf_cmd */
export const BpfCmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  PROG_TEST_RUN: 10,
  RAW_TRACEPOINT_OPEN: 17,
  BTF_LOAD: 18,
  PROG_GET_NEXT_ID: 11,
  MAP_GET_NEXT_ID: 12,
  PROG_GET_FD_BY_ID: 13,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  MAP_LOOKUP_BATCH: 24,
  LINK_GET_FD_BY_ID: 30,
  LINK_GET_NEXT_ID: 31,
} as const;

export const BPF_CMD_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(BpfCmd).map(([name, n]) => [n, `BPF_${name}`]),
);

/** enum bpf_map_type */
export const BpfMapType = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  STACK_TRACE: 7,
  RINGBUF: 27,
} as const;

/** enum bpf_prog_type */
export const BpfProgType = {
  KPROBE: 2,
  TRACEPOINT: 5,
  PERF_EVENT: 7,
  RAW_TRACEPOINT: 17,
  TRACING: 26,
} as const;

/** Map creation flags (map_flags). */
export const BPF_F_NO_PREALLOC = 1 << 0;

/** Map update flags. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** src_reg of an LD_IMM64 whose imm is a map fd. */
export const BPF_PSEUDO_MAP_FD = 1;
/** Opcode of the first slot of LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW). */
export const BPF_LD_IMM64 = 0x18;
/** Bytes per eBPF instruction slot. */
export const BPF_INSN_SIZE = 8;
/** Kernel object names (BPF_OBJ_NAME_LEN) hold 15 characters plus NUL. */
export const BPF_OBJ_NAME_LEN = 16;

/** perf_event_attr.type */
export const PerfType = {
  HARDWARE: 0,
  SOFTWARE: 1,
  TRACEPOINT: 2,
  HW_CACHE: 3,
  RAW: 4,
  BREAKPOINT: 5,
} as const;

/** perf_event_attr.config for PERF_TYPE_SOFTWARE. */
export const PerfSwConfig = {
  CPU_CLOCK: 0,
  TASK_CLOCK: 1,
  PAGE_FAULTS: 2,
  CONTEXT_SWITCHES: 3,
  CPU_MIGRATIONS: 4,
} as const;

/** perf_event_attr.config for PERF_TYPE_HARDWARE. */
export const PerfHwConfig = {
  CPU_CYCLES: 0,
  INSTRUCTIONS: 1,
  CACHE_REFERENCES: 2,
  CACHE_MISSES: 3,
} as const;

/** perf_event_attr.sample_type bit: include raw tracepoint data. */
export const PERF_SAMPLE_RAW = 1 << 10;
/** perf_event_open flags. */
export const PERF_FLAG_FD_CLOEXEC = 1 << 3;

/** perf ioctls: _IO('$', 0), _IO('$', 1), _IOW('$', 8, __u32). */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
export const PERF_EVENT_IOC_DISABLE = 0x2401;
export const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/** mmap(2) */
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x1;

/** Ring buffer record header bits (in the u32 length word). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
export const BPF_RINGBUF_HDR_SZ = 8;

/** errno values (asm-generic/errno*.h) plus the kernel-internal ENOTSUPP that bpf() leaks. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

export const ERRNO_MESSAGES: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  4: 'Interrupted system call',
  5: 'Input/output error',
  6: 'No such device or address',
  7: 'Argument list too long',
  9: 'Bad file descriptor',
  11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  14: 'Bad address',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  20: 'Not a directory',
  22: 'Invalid argument',
  23: 'Too many open files in system',
  24: 'Too many open files',
  25: 'Inappropriate ioctl for device',
  27: 'File too large',
  28: 'No space left on device',
  34: 'Numerical result out of range',
  38: 'Function not implemented',
  40: 'Too many levels of symbolic links',
  75: 'Value too large for defined data type',
  95: 'Operation not supported',
  524: 'Operation not supported (kernel ENOTSUPP)',
};

export function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(Errno)) if (n === errno) return name;
  return `errno ${errno}`;
}
