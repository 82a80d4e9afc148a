// The vocabulary interfaces. stdlib/ implements one object per probe type (ProbeProvider) and per
// builtin (BuiltinVariable, BuiltinFunction); the passes only call these hooks, so adding a builtin or
// a probe type never touches the passes.

import type { Call, Expr, MapRef, ProbeSpec } from '../grammar/ast.ts';
import type { Diagnostic } from '../grammar/diagnostics.ts';
import type { Span } from '../grammar/source.ts';
import type { AttachSpec, EventArg, EventSpec, MapSpec, ProgramType } from '../runtime/artifact.ts';
import type { Base, Operand, VReg } from './ir/ir.ts';
import type { IrBuilder } from './ir/builder.ts';
import type { KernelInfo, UsdtArgLocation } from './kernel-info.ts';
import type { CompileOptions } from './context.ts';
import type { AggregationKind, Type } from './types/types.ts';

// ---------------------------------------------------------------------------------------------- probes

/** One attachable probe, after aliases and wildcards are resolved. Each becomes one program. */
export interface ConcreteProbe {
  provider: ProbeProvider;
  /** Canonical name, e.g. `tracepoint:syscalls:sys_enter_openat`. */
  name: string;
  /** The spec as written, for messages. */
  spec: ProbeSpec;
  programType: ProgramType;
  attach: AttachSpec;
  /** The type of `args` in this probe, if it has any. */
  args?: Type & { kind: 'record' };
  /** Pointers in this probe's arguments point to user memory (syscall tracepoints, uprobes): str() reads user memory. */
  userPointers?: boolean;
  /** Where `arg0`, `arg1`... are in the context (8 bytes each), for probes that have them. */
  argOffsets?: readonly number[];
  /** kprobes, uprobes, fentry/fexit: the probed function's name (the `func` builtin). */
  funcName?: string;
  /** Where `retval` is in the context, for return probes. */
  retvalOffset?: number;
  /** The type of `retval` where it is known (fexit); u64 otherwise. */
  retvalType?: Type;
  /** fentry/fexit: the target function's BTF id and the hook, for the program load. */
  tracing?: { btfId: number; hook: 'fentry' | 'fexit' };
  /** USDT probes: where each argument is (registers, memory, constants) instead of `argOffsets`. */
  usdtArgs?: readonly UsdtArgLocation[];
  /**
   * uprobes and USDT probes: the probe point's link-time address in `attach.path`. When the probe
   * fires, ip is its run-time address: the difference is the file's load bias (for uaddr()).
   */
  linkAddress?: number;
}

export interface ProbeProvider {
  name: string;
  aliases: readonly string[];
  /** One line for `--help` and docs. */
  summary: string;
  /** Forms accepted, for errors and docs, e.g. `tracepoint:<category>:<event>`. */
  usage: string;
  /**
   * Resolve a written spec (with wildcards) into concrete probes, or explain why not. `options` are
   * the compile options (-p PID, --unsafe); `warn` reports a warning while still expanding.
   */
  expand(spec: ProbeSpec, kernel: KernelInfo, options?: CompileOptions, warn?: (d: Diagnostic) => void): ConcreteProbe[] | Diagnostic;
  /**
   * Every probe of this type the kernel offers, by full name (for `-l`). `pattern` is what the user
   * asked to list (`uprobe:/bin/bash:*`): user-space probes need its binary part.
   */
  list?(kernel: KernelInfo, pattern: string): Iterable<string>;
}

// ------------------------------------------------------------------------------------------- builtins

/** What the type checker offers to builtin hooks. */
export interface Checker {
  readonly probe: ConcreteProbe;
  error(message: string, span: Span, hint?: string): void;
  typeOf(e: Expr): Type;
  /** The value of a compile-time constant expression, if it is one. */
  constantOf(e: Expr): bigint | undefined;
  /** Positional parameter `$index` (1-based) as given on the command line. */
  positional(index: number): string | undefined;
  /** The default string (and buffer) size: max_strlen. */
  maxStrlen(): number;
  /** A warning: the script still compiles. */
  warn(message: string, span: Span, hint?: string): void;
  /** The address of a kernel symbol, if it exists. */
  kernelSymbol(name: string): bigint | undefined;
  /** Facts about the kernel and the binaries probed. */
  readonly kernel: KernelInfo;
  /** --unsafe was given: builtins that act on the system are allowed. */
  unsafe(): boolean;
  /** For functions with `rawArgs`: check and type an expression. */
  expr(e: Expr): Type;
  /** For functions with `rawArgs`: a map reference (`@m` or `@m[k]`) checked as a map, not read. */
  mapKeys(m: MapRef): { name: string; keys: Type[]; value: Type } | undefined;
}

/** What the lowering pass offers to builtin hooks. */
export interface Lowerer {
  readonly b: IrBuilder;
  readonly probe: ConcreteProbe;
  /** The probe's context pointer (r1 at entry). */
  ctx(): VReg;
  typeOf(e: Expr): Type;
  /** An integer expression's value, as a register or an immediate. */
  int(e: Expr): Operand;
  /** An integer expression's value in a register. */
  intReg(e: Expr): VReg;
  /**
   * Write an expression's bytes (`size` of them: ints as 8-byte words, strings NUL-padded) to memory.
   * `padded: false` lets the bytes after a string's NUL (and between tuple elements) keep whatever they
   * held: for event records, which user space reads up to the NUL, never for keys or compared values.
   */
  writeInto(e: Expr, base: Base, off: number, size: number, padded?: boolean): void;
  /** A register holding `base + off` (for helper pointer arguments). */
  pointer(base: Base, off: number): VReg;
  /** Write a record to the event ring buffer: the event id and then `write` fills the rest. */
  emitEvent(id: number, size: number, write: (record: VReg) => void): void;
  /** Jump to the end of the program (after `exit()`). */
  returnFromProbe(): void;
  /** Raise the global exit flag: every probe that fires from now on does nothing. */
  setExiting(): void;
  /** A register pointing at the tracing start time in the global state map (for `elapsed`). */
  startTimeAddress(): VReg;
  /** The printf/exit event planned for this call by the resources pass. */
  eventFor(call: Call): { id: number; args: EventArgPlan[]; size: number };
  /** The value of a compile-time constant expression, if it is one. */
  constantOf(e: Expr): bigint | undefined;
  /** The kernel map behind a script map (`@name`), its key layout and value kind. */
  mapPlan(name: string): { spec: MapSpec; keyFields: { offset: number; size: number }[]; bucketOffset?: number };
  /** Build the key of `@m[k...]` on the stack; returns its frame offset. */
  buildKey(m: MapRef): number;
  /** The number of entries of a script map (`len(@m)`), counted in the kernel. */
  mapLength(scriptName: string): VReg;
  /** Positional parameter `$index` (1-based) as given on the command line. */
  positional(index: number): string;
  /** The pid of the -c command (the checker has already rejected `cpid` without -c). */
  childPid(): number;
  readonly kernel: KernelInfo;
}

/** Where one printf argument goes in the event record (or that it is a compile-time constant). */
export type EventArgPlan = { expr: Expr; offset: number; size: number } | { expr: Expr; constant: true };

export interface BuiltinVariable {
  name: string;
  summary: string;
  /** The type here, or a message saying why this name means nothing in this probe (or with these options). */
  type(probe: ConcreteProbe, options: CompileOptions, kernel: KernelInfo): Type | { error: string; hint?: string };
  /** Integers: produce the value. */
  lower?(l: Lowerer, span: Span): Operand;
  /** Strings (and records): write straight into memory, e.g. `comm` into a map key's slot. */
  lowerInto?(l: Lowerer, base: Base, off: number, size: number, padded?: boolean): void;
}

export interface BuiltinFunction {
  name: string;
  summary: string;
  /** Signature for docs and errors, e.g. `sum(int n)`. */
  signature: string;
  /**
   * `aggregation`: only as `@map[...] = f(...)`; `statement`: only as a statement (`printf`, `exit`);
   * `value`: anywhere an expression may stand.
   */
  role: 'aggregation' | 'statement' | 'value';
  /** Check arguments (their types are known unless `rawArgs`) and return the result type. */
  check(call: Call, c: Checker): Type;
  /** Arguments are not type-checked before `check` (it receives maps as maps, e.g. `clear(@m)`). */
  rawArgs?: boolean;
  /** Aggregations: which per-CPU value kind the map holds. */
  aggregation?: AggregationKind;
  /** Aggregations: update the value in place, given a pointer to this CPU's value. */
  lowerUpdate?(call: Call, l: Lowerer, value: VReg): void;
  /** Statements. */
  lowerStatement?(call: Call, l: Lowerer): void;
  /** Value functions returning integers. */
  lower?(call: Call, l: Lowerer): Operand;
  /** Value functions returning strings or tuples: write the value into memory (`size` bytes, NUL-padded). */
  lowerInto?(call: Call, l: Lowerer, base: Base, off: number, size: number, padded?: boolean): void;
  /** hist/lhist: write the bucket index for this call's value into the key (a u64 at `base + off`). */
  lowerBucket?(call: Call, l: Lowerer, base: Base, off: number): void;
  /** Statements that emit an event record: describe it (the resources pass gives it an id). */
  planEvent?(call: Call, p: EventPlanner): { spec: EventSpecBody; plans: EventArgPlan[] };
}

/** An event spec before it has an id. */
export type EventSpecBody = EventSpec extends infer E ? (E extends unknown ? Omit<E, 'id'> : never) : never;

/** What the resources pass offers to builtins that describe their event records. */
export interface EventPlanner {
  /** Lay values out after the 8-byte event id; literals stay in user space as constants. */
  layout(exprs: Expr[]): { args: EventArg[]; plans: EventArgPlan[]; size: number };
  /** The kernel map name of a script map (`@m` → `tsbt_m`). */
  kernelMapName(scriptName: string): string;
  constantOf(e: Expr): bigint | undefined;
  typeOf(e: Expr): Type;
}

export interface Registry {
  providers: readonly ProbeProvider[];
  variables: ReadonlyMap<string, BuiltinVariable>;
  functions: ReadonlyMap<string, BuiltinFunction>;
  provider(name: string): ProbeProvider | undefined;
}
