// Resource analysis: everything the runtime must know, decided once, before code generation — each
// map's kernel type, key layout and value kind; each printf/exit event's id and record layout; whether
// an event ring buffer is needed. Lowering only looks these up (bpftrace's ResourceAnalyser).

import type { Call, Expr, Stmt } from '../../grammar/ast.ts';
import type { EventArg, EventSpec, FieldLayout, KeyLayout, MapSpec, ValueKind } from '../../runtime/artifact.ts';
import type { CompileContext } from '../context.ts';
import type { EventArgPlan, EventPlanner } from '../registry.ts';
import { constantValue } from './constants.ts';
import type { DeclaredMap } from './config.ts';
import { error, warning } from '../../grammar/diagnostics.ts';
import { type Type, recordStorage, storageSize } from '../types/types.ts';
import type { KernelTypes } from '../types/kernel-types.ts';
import { enumNames, kernelTypeLayout } from '../types/layout.ts';
import type { MapInfo, Typed, UnitTypes, VarInfo } from './typecheck.ts';

export interface MapPlan {
  spec: MapSpec;
  info: MapInfo;
  /** Where each script-level key part goes in the key buffer. */
  keyFields: { offset: number; size: number }[];
  /** hist/lhist: where the bucket index (a u64 after the script's key parts) goes. */
  bucketOffset?: number;
}

export interface EventPlan {
  id: number;
  size: number;
  args: EventArgPlan[];
}

export interface Resources {
  maps: Map<string, MapPlan>;
  /** Per unit, the event planned for each printf/exit call. */
  events: Map<UnitTypes, Map<Call, EventPlan>>;
  eventSpecs: EventSpec[];
  internalMaps: MapSpec[];
  eventRing?: string;
  state: { map: string; exitingOffset: number; startOffset: number; lostOffset?: number; drops: { map: string; offset: number }[]; usesExit: boolean };
  /** Per unit, where each variable that loop bodies write lives in the LOOP_VARS_MAP value. */
  loopVars: Map<UnitTypes, Map<VarInfo, number>>;
}

export const RING_MAP = 'tsbt_events';
export const STATE_MAP = 'tsbt_state';
export const STACK_MAP = 'tsbt_stacks';
/** A per-CPU buffer of STACK_FRAMES addresses that len(kstack) / len(ustack) collect a stack into. */
export const STACK_SCRATCH_MAP = 'tsbt_stackbuf';
/** A per-CPU array of one value holding the variables that `for ($kv : @map)` bodies write. */
export const LOOP_VARS_MAP = 'tsbt_loopvars';
/** The largest value of a per-CPU array (the kernel's PCPU_MIN_UNIT_SIZE). */
const PERCPU_VALUE_LIMIT = 32768;
/** Frames kept per stack (bpftrace's limit). */
export const STACK_FRAMES = 127;

export function analyseResources(typed: Typed, cx: CompileContext, declared: Map<string, DeclaredMap>): Resources {
  const maps = new Map<string, MapPlan>();
  const used = new Set<string>([RING_MAP, STATE_MAP, STACK_MAP, STACK_SCRATCH_MAP, LOOP_VARS_MAP]);
  const deleted = new Set<string>();
  for (const ut of typed.units) {
    forEachCall(ut.unit.block.body, (call) => {
      const target = call.args[0];
      if (call.callee === 'delete' && target?.kind === 'Map') deleted.add(target.name);
    });
  }
  // Struct values are laid out from the kernel's (and the script's) types; only looked up when used.
  const kt = (): KernelTypes => {
    const k = cx.kernel.kernelTypes();
    if ('unavailable' in k) throw new Error(`struct values without kernel types: ${k.unavailable}`);
    return k;
  };
  // By name, in code-unit order: localeCompare would build an ICU collator, 6-8 ms of every start.
  for (const info of [...typed.maps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const decl = declared.get(info.name);
    const plan = !decl && !deleted.has(info.name) && info.keys.length === 0 && info.value.kind === 'aggregation'
      ? planArrayAggregation(info, kernelMapName(info.name, used), kt)
      : planMap(info, kernelMapName(info.name, used), cx, kt);
    if (decl) {
      const aggregation = info.value.kind === 'aggregation';
      if (!aggregation && decl.type.includes('percpu')) {
        cx.diagnostics.push(error(`\`${info.name}\` is declared ${decl.decl.mapKind}, which is for aggregations like count()`, decl.decl.span));
      }
      plan.spec.type = aggregation ? decl.perCpuType : decl.type;
      plan.spec.maxEntries = decl.maxEntries;
    }
    maps.set(info.name, plan);
  }
  for (const [name, decl] of declared) {
    if (!typed.maps.has(name)) cx.diagnostics.push(warning(`\`${name}\` is declared but never used`, decl.decl.span));
  }

  const events = new Map<UnitTypes, Map<Call, EventPlan>>();
  const eventSpecs: EventSpec[] = [];
  for (const ut of typed.units) {
    const plans = new Map<Call, EventPlan>();
    events.set(ut, plans);
    const planner: EventPlanner = {
      layout: (exprs) => layoutEvent(exprs, ut.types, kt),
      kernelMapName: (scriptName) => maps.get(scriptName)!.spec.name,
      constantOf: (e) => constantValue(e, cx.options.positional, (x) => ut.types.get(x)!, ut.constants),
      typeOf: (e) => ut.types.get(e)!,
    };
    forEachCall(ut.unit.block.body, (call) => {
      const fn = cx.registry.functions.get(call.callee);
      if (!fn?.planEvent) return;
      const id = eventSpecs.length + 1;
      const { spec, plans: argPlans } = fn.planEvent(call, planner);
      plans.set(call, { id, size: spec.size, args: argPlans });
      eventSpecs.push({ ...spec, id } as EventSpec);
    });
  }

  // Global state, one array slot of u64s: the exit flag; the start time (for `elapsed`, written by user
  // space); when there are events, the count of ring-buffer writes that failed; one drop counter per
  // user map. Counters live here, not in maps of their own, because a map value's address is a
  // constant (BPF_PSEUDO_MAP_VALUE): a count is three instructions, with no lookup.
  const needsEvents = eventSpecs.length > 0;
  const lostOffset = needsEvents ? 16 : undefined;
  const dropsStart = needsEvents ? 24 : 16;
  const drops = [...maps.values()].map((m, i) => ({ map: m.spec.name, offset: dropsStart + 8 * i }));
  const usesExit = eventSpecs.some((e) => e.kind === 'exit');
  const usesElapsed = typed.units.some((ut) => [...ut.types.keys()].some((e) => e.kind === 'Ident' && e.name === 'elapsed'));
  const state = { map: STATE_MAP, exitingOffset: 0, startOffset: 8, ...(lostOffset === undefined ? {} : { lostOffset }), drops, usesExit };
  const internalMaps: MapSpec[] = [];
  // len(kstack) / len(ustack) only count frames (into a scratch buffer): that stack is never stored.
  const counted = new Set<Expr>();
  for (const ut of typed.units) {
    for (const e of ut.types.keys()) {
      if (e.kind === 'Call' && e.callee === 'len' && e.args.length === 1 && ut.types.get(e.args[0]!)?.kind === 'stack') counted.add(e.args[0]!);
    }
  }
  const usesStacks = typed.units.some((ut) => [...ut.types].some(([e, t]) => t.kind === 'stack' && !counted.has(e)));
  if (usesStacks) {
    internalMaps.push({ name: STACK_MAP, type: 'stack_trace', keySize: 4, valueSize: 8 * STACK_FRAMES, maxEntries: cx.options.mapMaxEntries });
  }
  if (counted.size > 0) {
    internalMaps.push({ name: STACK_SCRATCH_MAP, type: 'percpu_array', keySize: 4, valueSize: 8 * STACK_FRAMES, maxEntries: 1 });
  }
  // Variables loop bodies write: one region per probe, as a probe may interrupt another on its CPU.
  const loopVars = new Map<UnitTypes, Map<VarInfo, number>>();
  let loopVarsSize = 0;
  for (const ut of typed.units) {
    const offsets = new Map<VarInfo, number>();
    for (const v of ut.writtenInLoops) {
      if (!v.type) continue;
      offsets.set(v, loopVarsSize);
      loopVarsSize += Math.ceil(storageSize(v.type) / 8) * 8;
    }
    if (offsets.size > 0) loopVars.set(ut, offsets);
  }
  if (loopVarsSize > PERCPU_VALUE_LIMIT) {
    const v = [...loopVars.values()][0]!.keys().next().value!;
    cx.diagnostics.push(error(`the variables that loop bodies write need ${loopVarsSize} bytes; a per-CPU value holds ${PERCPU_VALUE_LIMIT}`, v.span,
      'write fewer or shorter variables inside `for ($kv : @map)` bodies'));
  }
  if (loopVarsSize > 0) internalMaps.push({ name: LOOP_VARS_MAP, type: 'percpu_array', keySize: 4, valueSize: loopVarsSize, maxEntries: 1 });
  if (usesExit || usesElapsed || needsEvents || drops.length > 0) {
    internalMaps.push({ name: STATE_MAP, type: 'array', keySize: 4, valueSize: dropsStart + 8 * drops.length, maxEntries: 1 });
  }
  if (needsEvents) {
    internalMaps.push({ name: RING_MAP, type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: cx.options.eventRingBytes });
  }
  return { maps, events, eventSpecs, internalMaps, state, loopVars, ...(needsEvents ? { eventRing: RING_MAP } : {}) };
}

/** `tsbt_` + the script name's letters, at most 15 characters, unique within the script. */
function kernelMapName(scriptName: string, used: Set<string>): string {
  const stem = scriptName === '@' ? 'at' : scriptName.slice(1).replace(/[^A-Za-z0-9_]/g, '_');
  let name = `tsbt_${stem}`.slice(0, 15);
  for (let n = 2; used.has(name); n++) name = `tsbt_${stem}`.slice(0, 15 - String(n).length) + n;
  used.add(name);
  return name;
}

function planMap(info: MapInfo, name: string, cx: CompileContext, kt: () => KernelTypes): MapPlan {
  const fields: FieldLayout[] = [];
  const keyFields: { offset: number; size: number }[] = [];
  let offset = 0;
  for (const k of info.keys) {
    const align = k.kind === 'string' ? 1 : 8;
    offset = Math.ceil(offset / align) * align;
    keyFields.push({ offset, size: storageSize(k) });
    // A map's one tuple key prints like several keys (`@[1, a]`): bpftrace's `@m[(1, "a")]` is
    // `@m[1, "a"]`. Tuples inside it, or among several keys, keep their parentheses.
    if (k.kind === 'tuple' && info.keys.length === 1) fields.push(...k.elems.map((e, i) => fieldLayout(e, offset + k.offsets[i]!, kt)));
    else fields.push(fieldLayout(k, offset, kt));
    offset += storageSize(k);
  }
  const value = valueKind(info.value, kt);
  const isHist = value.kind === 'hist' || value.kind === 'lhist';
  let bucketOffset: number | undefined;
  if (isHist) {
    offset = Math.ceil(offset / 8) * 8;
    bucketOffset = offset;
    fields.push({ kind: 'int', offset, size: 8, signed: false });
    offset += 8;
  }
  // A scalar map (`@x`) has one dummy 8-byte key of zero. Keys are padded to 8 bytes and the padding
  // zeroed, because the kernel hashes raw key bytes.
  const keySize = fields.length === 0 ? 8 : Math.ceil(offset / 8) * 8;
  const spec: MapSpec = {
    name,
    scriptName: info.name,
    type: info.value.kind === 'aggregation' ? 'percpu_hash' : 'hash',
    keySize,
    valueSize: valueSize(value),
    maxEntries: cx.options.mapMaxEntries,
    value,
  };
  if (fields.length > 0) spec.key = { fields } satisfies KeyLayout;
  return { spec, info, keyFields, ...(bucketOffset === undefined ? {} : { bucketOffset }) };
}

/**
 * A keyless aggregation (`@ = count()`, `@ = hist(x)`) in a per-CPU array: slot 0, or one slot per
 * histogram bucket with the bucket index as the key. The lookup cannot miss, so there is no insert
 * path: the program is smaller than with a hash, and cheaper per event. Array slots always exist, so
 * each CPU's copy ends with a word the update sets to 1, telling a slot never written (not printed)
 * from one that holds 0 (printed, as after zero()). Maps that delete() touches stay hashes.
 */
function planArrayAggregation(info: MapInfo, name: string, kt: () => KernelTypes): MapPlan {
  const value = valueKind(info.value, kt);
  const presentOffset = valueSize(value);
  const spec: MapSpec = {
    name,
    scriptName: info.name,
    type: 'percpu_array',
    keySize: 4,
    valueSize: presentOffset + 8,
    maxEntries: 1,
    value,
    presentOffset,
  };
  if (value.kind !== 'hist' && value.kind !== 'lhist') return { spec, info, keyFields: [] };
  spec.maxEntries = value.kind === 'hist'
    ? ((64 - value.k) << value.k) + 1
    : Math.floor((value.max - value.min) / value.step) + 2;
  spec.key = { fields: [{ kind: 'int', offset: 0, size: 4, signed: false }] };
  return { spec, info, keyFields: [], bucketOffset: 0 };
}

/** How user space reads a value of type `t` stored at `offset`. */
function fieldLayout(t: Type, offset: number, kt: () => KernelTypes): FieldLayout {
  if (t.kind === 'int') {
    // Integers are stored as 8 bytes; enums print by name, pointers in hex.
    return { kind: 'int', offset, size: 8, signed: t.signed, ...(t.enum && !t.pointee ? { enum: enumNames(t.enum) } : {}), ...(t.pointee ? { pointer: true } : {}) };
  }
  if (t.kind === 'kstruct') return kernelTypeLayout(kt(), t.id, offset);
  if (t.kind === 'record') {
    // A probe's `args` written whole (`print(args)`): a struct of its fields.
    const { offsets, size } = recordStorage(t);
    return { kind: 'record', offset, size, fields: t.fields.map((f, i) => ({ name: f.name, field: fieldLayout(f.type, offsets[i]!, kt) })) };
  }
  if (t.kind === 'array') {
    const elem: FieldLayout = { kind: 'int', offset: 0, size: t.elem.size, signed: t.elem.signed, ...(t.elem.enum ? { enum: enumNames(t.elem.enum) } : {}) };
    return { kind: 'array', offset, size: t.elem.size * t.count, count: t.count, elem };
  }
  if (t.kind === 'string') return { kind: 'string', offset, size: t.size };
  if (t.kind === 'inet') return { kind: 'inet', offset, size: 24 };
  if (t.kind === 'stack') return { kind: 'stack', offset, size: 16, map: STACK_MAP, user: t.user, mode: t.mode, limit: t.limit };
  if (t.kind === 'symbol') return { kind: 'symbol', offset, size: 16, user: t.user };
  if (t.kind === 'buffer') return { kind: 'buffer', offset, size: storageSize(t) };
  if (t.kind === 'username') return { kind: 'username', offset, size: 8 };
  if (t.kind === 'timestamp') return { kind: 'timestamp', offset, size: 8, format: t.format };
  // Nested tuples stay nested, as bpftrace prints them: `(1, (2, a))`.
  if (t.kind === 'tuple') return { kind: 'tuple', offset, size: t.size, fields: tupleFields(t, kt) };
  throw new Error(`no layout for ${t.kind}`);
}

/** A tuple's elements, at offsets from the tuple's start. */
function tupleFields(t: Type & { kind: 'tuple' }, kt: () => KernelTypes): FieldLayout[] {
  return t.elems.map((e, i) => fieldLayout(e, t.offsets[i]!, kt));
}

function valueSize(v: ValueKind): number {
  switch (v.kind) {
    case 'string': return v.size;
    case 'tuple': case 'field': return v.size;
    case 'min': case 'max': case 'avg': case 'stats': return 16;
    default: return 8;
  }
}

function valueKind(t: Type, kt: () => KernelTypes): ValueKind {
  switch (t.kind) {
    case 'aggregation':
      switch (t.agg) {
        case 'count': return { kind: 'count' };
        case 'hist': return { kind: 'hist', k: t.hist?.kind === 'hist' ? t.hist.k : 0 };
        case 'lhist': {
          const h = t.hist?.kind === 'lhist' ? t.hist : { min: 0, max: 0, step: 1 };
          return { kind: 'lhist', min: h.min, max: h.max, step: h.step };
        }
        default: return { kind: t.agg, signed: t.signed };
      }
    case 'string': return { kind: 'string', size: t.size };
    case 'int': {
      const { kind: _, offset: _o, ...int } = fieldLayout(t, 0, kt) as FieldLayout & { kind: 'int' };
      return { kind: 'int', ...int };
    }
    case 'tuple': return { kind: 'tuple', size: t.size, fields: tupleFields(t, kt) };
    // Values user space turns into text (an address, a stack, a symbol, a buffer...), structs and
    // arrays: one field.
    case 'inet': case 'stack': case 'symbol': case 'buffer': case 'username': case 'timestamp': case 'kstruct': case 'array':
      return { kind: 'field', size: Math.ceil(storageSize(t) / 8) * 8, field: fieldLayout(t, 0, kt) };
    default: throw new Error(`no map value kind for ${t.kind}`);
  }
}

/** Values after the u64 event id, each 8-aligned; literals become constants kept in user space. */
function layoutEvent(exprs: Expr[], types: Map<Expr, Type>, kt: () => KernelTypes): { args: EventArg[]; plans: EventArgPlan[]; size: number } {
  let offset = 8;
  const args: EventArg[] = [];
  const plans: EventArgPlan[] = [];
  for (const expr of exprs) {
    if (expr.kind === 'Str') {
      args.push({ kind: 'const', value: expr.value });
      plans.push({ expr, constant: true });
      continue;
    }
    if (expr.kind === 'Int') {
      args.push({ kind: 'constInt', value: String(expr.value) });
      plans.push({ expr, constant: true });
      continue;
    }
    const t = types.get(expr)!;
    const size = storageSize(t);
    if (t.kind === 'string') args.push({ kind: 'string', offset, size });
    else if (t.kind === 'inet' || t.kind === 'stack' || t.kind === 'symbol' || t.kind === 'buffer' || t.kind === 'username'
      || t.kind === 'kstruct' || t.kind === 'array' || t.kind === 'record' || t.kind === 'int' || t.kind === 'tuple') args.push(fieldLayout(t, offset, kt));
    else if (t.kind === 'timestamp') args.push({ kind: 'strftime', offset, format: t.format });
    else args.push({ kind: 'int', offset, size: 8, signed: false });
    plans.push({ expr, offset, size });
    offset += Math.ceil(size / 8) * 8;
  }
  return { args, plans, size: offset };
}

/** A call standing as a statement, or the calls in the branches of a statement ternary (`c ? printf(..) : exit()`). */
function statementCalls(e: Expr, fn: (c: Call) => void): void {
  if (e.kind === 'Call') fn(e);
  else if (e.kind === 'Ternary') {
    statementCalls(e.then, fn);
    statementCalls(e.else, fn);
  }
}

/** Every call that stands as a statement, in every nested block. */
function forEachCall(stmts: Stmt[], fn: (c: Call) => void): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'ExprStmt':
        statementCalls(s.expr, fn);
        break;
      case 'If':
        forEachCall(s.then, fn);
        if (s.else) forEachCall(s.else, fn);
        break;
      case 'While': case 'ForRange': case 'ForMap': case 'Unroll': case 'Block':
        forEachCall(s.body, fn);
        break;
      default:
        break;
    }
  }
}
