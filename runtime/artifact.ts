// The artifact: everything the runtime needs to run a compiled script, as plain data (JSON-serializable).
// It is the only thing the compiler and the runtime share. The compiler produces it; `tsbt --emit
// artifact` prints it; the runtime creates its maps, patches its relocations, loads and attaches its
// programs, and decodes events and map contents with its layouts.

export const ARTIFACT_VERSION = 1;

export interface Artifact {
  version: typeof ARTIFACT_VERSION;
  /** Where the script came from, for messages (`-e` or a path). */
  sourceName: string;
  maps: MapSpec[];
  programs: ProgramSpec[];
  /** Every kind of record a program writes to the event ring buffer, by id. */
  events: EventSpec[];
  /** The ring buffer map (by MapSpec.name) that carries events, if any program writes one. */
  eventRing?: string;
  /**
   * A one-slot array map of u64s shared by every program: a flag set by exit() (probes that fire after
   * it do nothing, so END and the printed maps agree), the start time, the count of ring-buffer writes
   * that failed (`lostOffset`, when there is a ring buffer), and per user map the number of updates
   * the kernel refused because the map was full.
   */
  state?: { map: string; exitingOffset: number; drops: { map: string; offset: number }[]; startOffset?: number; lostOffset?: number };
  /** Print every user map when the script ends (false with `config = { print_maps_on_exit = 0 }`). */
  printMapsOnExit: boolean;
}

export type MapType = 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash' | 'array' | 'percpu_array' | 'ringbuf' | 'stack_trace';

export interface MapSpec {
  /** Kernel object name: `tsbt_` prefix, at most 15 characters. Unique within the artifact. */
  name: string;
  /** The name in the script (`@`, `@bytes`), for user maps that print on exit. */
  scriptName?: string;
  type: MapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** How to decode keys; absent for maps whose key is a dummy (scalar maps) or internal maps. */
  key?: KeyLayout;
  /** How to decode, reduce (per-CPU) and print values; absent for internal maps. */
  value?: ValueKind;
  /**
   * Aggregations kept in a per-CPU array (a keyless `@ = count()`; a keyless histogram, keyed by
   * bucket index): array slots always exist, so each CPU's copy of a value ends with a u64 at this
   * offset that every update sets to 1. A slot where no CPU has it set is absent; clear() writes zeros,
   * zero() zeros the value and keeps the word.
   */
  presentOffset?: number;
}

/**
 * A map key: a C-laid-out struct of fields, one per key part as the script writes them (`@m[1, a]`);
 * a map whose one key is a tuple (`@m[(1, "a")]`) has one field per element, as bpftrace prints both
 * alike. A key part that is a tuple is one 'tuple' field. A scalar map (`@x`) has no key layout.
 */
export interface KeyLayout {
  fields: FieldLayout[];
}

export type FieldLayout =
  /**
   * An integer. `enum`: a C enum's value, printed by name (unknown values print as the number);
   * `pointer`: an address, printed in hex (`0xffff8881...`).
   */
  | { kind: 'int'; offset: number; size: 1 | 2 | 4 | 8; signed: boolean; enum?: EnumNames; pointer?: boolean }
  /** A C bitfield: `bits` wide, starting `shift` bits into the `size` bytes at `offset` (little-endian). */
  | { kind: 'bitfield'; offset: number; size: number; shift: number; bits: number; signed: boolean; enum?: EnumNames }
  | { kind: 'string'; offset: number; size: number }
  /** An address from ntop(): { u64 family (2 or 10); u8 addr[16] }, printed as text. */
  | { kind: 'inet'; offset: number; size: 24 }
  /**
   * kstack/ustack: { s64 id in the stack-trace map `map`; u64 pid }, printed symbolized (kernel
   * addresses through /proc/kallsyms, user ones through the process's mappings and ELF symbols).
   */
  | { kind: 'stack'; offset: number; size: 16; map: string; user: boolean; mode: 'bpftrace' | 'perf' | 'raw'; limit: number }
  /** ksym/usym: { u64 address; u64 pid }, printed as the symbol's name. */
  | { kind: 'symbol'; offset: number; size: 16; user: boolean }
  /** buf(): { u64 length; u8 data[size - 8] }, printed with bytes outside 32..126 as `\xNN`. */
  | { kind: 'buffer'; offset: number; size: number }
  /** username: { u64 uid }, printed as the user's name from /etc/passwd (empty when it has none). */
  | { kind: 'username'; offset: number; size: 8 }
  /** strftime(fmt, ns) kept in a map: { u64 ns since boot }, printed as local time in `format`. */
  | { kind: 'timestamp'; offset: number; size: 8; format: string }
  /**
   * A struct or union as it is in memory, printed `{ .a = 1, .b = abc }` (bpftrace's format). Members
   * of anonymous structs and unions appear as members of the struct that holds them. Each field's
   * offset counts from the start of the record.
   */
  | { kind: 'record'; offset: number; size: number; fields: { name: string; field: FieldLayout }[] }
  /** A C array of `count` elements, printed `[1,2,3]`; `elem` is laid out at offset 0 of each element. */
  | { kind: 'array'; offset: number; size: number; count: number; elem: FieldLayout }
  /**
   * A tuple, printed `(1, abc)`; a tuple inside it prints in its own parentheses (`(1, (2, a))`). Each
   * field's offset counts from the start of the tuple.
   */
  | { kind: 'tuple'; offset: number; size: number; fields: FieldLayout[] };

/** A C enum's names by value (the value in decimal, as read with the field's signedness). */
export interface EnumNames {
  /** The enum's name (`''` when anonymous). */
  name: string;
  names: Record<string, string>;
}

/**
 * What a map's value is, which decides how per-CPU copies reduce and how it prints.
 * Aggregations live in per-CPU maps; each CPU's copy is laid out as:
 * - count, sum: one u64 (sum: two's complement when signed); CPUs add up.
 * - min, max: { u64 value; u64 isSet } (16 bytes); CPUs with isSet = 0 are ignored.
 * - avg, stats: { u64 total; u64 count } (16 bytes); CPUs add up; avg = total / count (integer,
 *   truncating as bpftrace does); stats prints count, average and total.
 * - hist, lhist: one u64 count per bucket; the bucket index is the *last key field* (a u64 appended
 *   to the script's key), so one script-level entry is spread over several map entries.
 * - tuple: a C-laid-out struct of fields at offsets from the value's start (plain, not per-CPU); a
 *   field may itself be a tuple.
 * - field: one field at offset 0 (plain, not per-CPU).
 */
export type ValueKind =
  | { kind: 'count' }
  | { kind: 'sum'; signed: boolean }
  | { kind: 'min'; signed: boolean }
  | { kind: 'max'; signed: boolean }
  | { kind: 'avg'; signed: boolean }
  | { kind: 'stats'; signed: boolean }
  /** log2 histogram; `k` linear sub-buckets per power of two (bpftrace's hist(n, k); 0 by default). */
  | { kind: 'hist'; k: number }
  /** linear histogram with bpftrace's lhist(n, min, max, step) bucket layout. */
  | { kind: 'lhist'; min: number; max: number; step: number }
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean; enum?: EnumNames; pointer?: boolean }
  | { kind: 'string'; size: number }
  | { kind: 'tuple'; size: number; fields: FieldLayout[] }
  /** One value of any other layout, printed as itself: an address, a stack, a buffer, a username, a struct, an array. */
  | { kind: 'field'; size: number; field: FieldLayout };

export type ProgramType = 'tracepoint' | 'raw_tracepoint' | 'perf_event' | 'kprobe' | 'tracing';

export interface ProgramSpec {
  /** Kernel object name: `tsbt_` prefix, at most 15 characters. */
  name: string;
  /** The probe as written in the script (`tracepoint:syscalls:sys_enter_openat`). */
  probe: string;
  type: ProgramType;
  license: string;
  /** eBPF instructions, 8 bytes each (LD_IMM64 takes two), little-endian, base64. */
  bytecode: string;
  /** Instructions whose immediate the runtime patches with a map fd (LD_IMM64, BPF_PSEUDO_MAP_FD). */
  relocations: MapRelocation[];
  attach: AttachSpec;
  /** Bytes of stack used, for -v. */
  stackSize: number;
  /**
   * Source map: for each instruction slot, the [start, end) character span of the script it came from
   * (null for glue code), so that a verifier rejection can point at the line.
   */
  sourceSpans?: ([number, number] | null)[];
  /** Tracing programs (fentry/fexit): the kernel BTF id of the target function, and the hook. */
  attachBtfId?: number;
  expectedAttachType?: 'fentry' | 'fexit';
  /**
   * Programs with BPF-to-BPF subprograms (the callbacks of `for ($kv : @map)` and `len(@map)`): the
   * verifier requires BTF describing every function of a program that passes a callback to a helper.
   * The runtime loads `btf` (BPF_BTF_LOAD) and gives it to BPF_PROG_LOAD with the func_info records.
   */
  functions?: ProgramFunctions;
}

export interface ProgramFunctions {
  /** A BTF blob, base64: the functions' FUNC and FUNC_PROTO types (names all start with `tsbt_`). */
  btf: string;
  /**
   * One struct bpf_func_info per function, in slot order: its first instruction slot and the BTF id of
   * its FUNC type. The first is the main function, at slot 0; the others are static (callbacks).
   */
  funcInfo: { insn: number; typeId: number; name: string; stackSize: number }[];
}

export interface MapRelocation {
  /** Index of the instruction (in 8-byte slots). */
  insn: number;
  map: string;
  /**
   * Absent: the instruction loads the map (BPF_PSEUDO_MAP_FD). A number: it loads the address of the
   * map's value at this byte offset (BPF_PSEUDO_MAP_VALUE, array maps: slot 0), with no helper call.
   */
  valueOffset?: number;
}

export type AttachSpec =
  /** Run once through BPF_PROG_TEST_RUN before any other probe is attached. */
  | { kind: 'begin' }
  /** Run once through BPF_PROG_TEST_RUN after every other probe is detached. */
  | { kind: 'end' }
  | { kind: 'tracepoint'; category: string; event: string }
  | { kind: 'raw_tracepoint'; name: string }
  /** fentry/fexit: the target is in the program (attachBtfId); BPF_RAW_TRACEPOINT_OPEN with no name. */
  | { kind: 'tracing'; func: string }
  /** A software/hardware perf event sampling on one CPU (`interval`) or on every CPU (`profile`). */
  | {
      kind: 'perf_event';
      perfType: number;
      config: number;
      /** Either a period (events, or nanoseconds for clocks) or a frequency in Hz. */
      period?: number;
      frequency?: number;
      cpus: 'one' | 'all';
    }
  | { kind: 'kprobe'; func: string; offset: number; retprobe: boolean }
  /** A uprobe at a file offset; `refCtrOffset` is a USDT semaphore's file offset; `pid` limits it to one process. */
  | { kind: 'uprobe'; path: string; offset: number; retprobe: boolean; refCtrOffset?: number; pid?: number };

export type EventSpec = PrintfEvent | ExitEvent | MapActionEvent | PrintValueEvent | TimeEvent | CommandEvent | JoinEvent;

/** Every event record starts with a u64 event id; its fields follow at the offsets given. */
export interface PrintfEvent {
  kind: 'printf';
  id: number;
  /** The format string, escapes already processed. */
  format: string;
  args: EventArg[];
  /** Record size in bytes, including the 8-byte id. */
  size: number;
}

export interface ExitEvent {
  kind: 'exit';
  id: number;
  size: number;
  /** The exit status, `exit(code)`; absent means 0. */
  code?: EventArg;
}

/**
 * Work done in user space on a whole map, asked for by a probe: `print(@m, top, div)` prints it now,
 * `clear(@m)` deletes every entry, `zero(@m)` sets every value to zero (bpftrace does the same).
 */
export interface MapActionEvent {
  kind: 'printMap' | 'clearMap' | 'zeroMap';
  id: number;
  size: number;
  /** Kernel map name (MapSpec.name). */
  map: string;
  /** printMap: show only the `top` largest entries (0: all) and divide values by `div` (1: as is). */
  top?: number;
  div?: number;
}

/** `print(value)`: one value, printed on its own line as bpftrace prints it. */
export interface PrintValueEvent {
  kind: 'printValue';
  id: number;
  size: number;
  value: EventArg;
}

/** `time(fmt)`: the current local time in strftime format, taken in user space when the event arrives. */
export interface TimeEvent {
  kind: 'time';
  id: number;
  size: number;
  format: string;
}

/** `cat(fmt, ...)` prints a file's contents; `system(fmt, ...)` runs a command (--unsafe only). */
export interface CommandEvent {
  kind: 'cat' | 'system';
  id: number;
  size: number;
  format: string;
  args: EventArg[];
}

/**
 * `join(argv[, delim])`: `count` C strings of `slotSize` bytes each from offset 16 (a NUL-terminated
 * array of string pointers read in the kernel), printed joined by `delim` up to the first empty one.
 */
export interface JoinEvent {
  kind: 'join';
  id: number;
  size: number;
  delimiter: string;
  count: number;
  slotSize: number;
}

/** An argument is either read from the record or known at compile time (string literals, constants). */
export type EventArg =
  | FieldLayout
  | { kind: 'const'; value: string }
  | { kind: 'constInt'; value: string }
  /** `strftime(fmt, ns)`: nanoseconds since boot in the record, formatted as local time in user space. */
  | { kind: 'strftime'; offset: number; format: string };

/** Per-CPU maps keep one value per possible CPU; user space reduces them. */
export function isPerCpuMap(type: MapType): boolean {
  return type === 'percpu_hash' || type === 'percpu_array' || type === 'lru_percpu_hash';
}

export function mapByName(artifact: Artifact, name: string): MapSpec {
  const map = artifact.maps.find((m) => m.name === name);
  if (!map) throw new Error(`artifact has no map named ${name}`);
  return map;
}
