// The whole compiler on one screen (ply's compile.c is the model):
//   parse → resolve → typecheck → resources → per probe: lower → regalloc → finalize → artifact.
// Each pass adds Diagnostics; the pipeline stops after the first pass that reports an error.

import type { Program } from '../grammar/ast.ts';
import { type Diagnostic, error, hasErrors } from '../grammar/diagnostics.ts';
import { parse } from '../grammar/index.ts';
import type { SourceFile } from '../grammar/source.ts';
import { ARTIFACT_VERSION, type Artifact, type ProgramFunctions, type ProgramSpec } from '../runtime/artifact.ts';
import { encode } from './bpf/insn.ts';
import type { CompileContext, CompileOptions } from './context.ts';
import type { IrProgram } from './ir/ir.ts';
import { allocateRegisters } from './ir/regalloc.ts';
import { removeDeadDefinitions } from './ir/dead-code.ts';
import { finalize, StackOverflowError } from './ir/finalize.ts';
import { link, type Linked } from './ir/link.ts';
import { encodeFunctionBtf } from './bpf/btf.ts';
import type { KernelInfo } from './kernel-info.ts';
import { lowerUnit } from './passes/lower.ts';
import { analyseResources, type Resources } from './passes/resources.ts';
import { applyConfig, declaredMaps } from './passes/config.ts';
import { ScriptTypes } from './types/script-types.ts';
import { type ProbeUnit, resolveProbes } from './passes/resolve.ts';
import { typecheck } from './passes/typecheck.ts';
import type { Registry } from './registry.ts';

export interface CompileInput {
  source: SourceFile;
  registry: Registry;
  kernel: KernelInfo;
  options?: CompileOptions;
}

/** One compiled probe, with what `--emit ir|asm` shows. */
export interface CompiledProgram {
  unit: ProbeUnit;
  /** The main function's IR; loop callbacks are its `subprograms`. */
  ir: IrProgram;
  /** Every function linked: main first, then the subprograms (`functions`). */
  code: Linked;
  spec: ProgramSpec;
}

export interface CompileResult {
  diagnostics: Diagnostic[];
  ast?: Program;
  artifact?: Artifact;
  programs?: CompiledProgram[];
}

export const defaultCompileOptions: Omit<Required<CompileOptions>, 'targetPid' | 'childPid'> & CompileOptions = {
  mapMaxEntries: 4096,
  eventRingBytes: 1 << 20,
  positional: [],
  maxStrlen: 64,
  printMapsOnExit: true,
  unsafe: false,
  maxProbes: 512,
  settings: {},
};

export function compile(input: CompileInput): CompileResult {
  try {
    return compileUnguarded(input);
  } catch (e) {
    // Limits the passes do not check one by one: expressions nested too deep for the checker's
    // recursion, programs too long for eBPF's 16-bit jump offsets.
    const tooDeep = e instanceof RangeError && /call stack/.test(e.message);
    const tooLong = e instanceof Error && /jump out of range/.test(e.message);
    if (!tooDeep && !tooLong) throw e;
    const span = { start: 0, end: input.source.text.length };
    return {
      diagnostics: [error(tooDeep ? 'the script nests expressions too deeply to compile' : 'a probe is too long: a jump would span more than 32767 instructions',
        span, tooDeep ? 'split long expressions with variables' : 'split the probe, or use loops instead of unroll')],
    };
  }
}

function compileUnguarded(input: CompileInput): CompileResult {
  const parsed = parse(input.source);
  if (!parsed.program || hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const cx: CompileContext = {
    source: input.source,
    registry: input.registry,
    kernel: input.kernel,
    options: { ...defaultCompileOptions, ...input.options },
    diagnostics: [...parsed.diagnostics],
  };
  const ast = parsed.program;
  const done = () => ({ diagnostics: cx.diagnostics, ast });

  if (ast.structs.length > 0) {
    // Script structs sit on top of the kernel's types (which load only if something needs them).
    const base = input.kernel;
    const script = new ScriptTypes(ast.structs, () => {
      const kt = base.kernelTypes();
      return 'unavailable' in kt ? undefined : kt;
    });
    for (const p of script.problems) cx.diagnostics.push(error(p.message, p.span));
    cx.kernel = Object.assign(Object.create(base) as KernelInfo, { kernelTypes: () => script });
  }
  applyConfig(ast, cx);
  const declared = declaredMaps(ast, cx);
  if (hasErrors(cx.diagnostics)) return done();
  const units = resolveProbes(ast, cx);
  if (hasErrors(cx.diagnostics)) return done();
  const typed = typecheck(units, cx);
  if (hasErrors(cx.diagnostics)) return done();
  const resources = analyseResources(typed, cx, declared);
  if (hasErrors(cx.diagnostics)) return done();

  const programs: CompiledProgram[] = [];
  const names = new Set<string>();
  for (const ut of typed.units) {
    const ir = cleanUp(lowerUnit(ut, resources, cx));
    const name = programName(ut.unit, names);
    let code: Linked;
    try {
      // Each function gets its own registers and frame; link() puts them in one instruction stream.
      code = link([ir, ...(ir.subprograms ?? [])].map((f) => ({ name: f.name ?? name, code: finalize(allocateRegisters(f)) })));
    } catch (e) {
      if (!(e instanceof StackOverflowError)) throw e;
      cx.diagnostics.push(error(e.message, ut.unit.block.span, 'long strings and many map keys use stack; split the probe'));
      continue;
    }
    const spec: ProgramSpec = {
      name,
      probe: ut.unit.probe.name,
      type: ut.unit.probe.programType,
      license: 'GPL',
      bytecode: Buffer.from(encode(code.insns)).toString('base64'),
      relocations: code.relocations,
      attach: ut.unit.probe.attach,
      stackSize: code.stackSize,
      sourceSpans: code.sourceMap.map((s) => (s ? [s.start, s.end] as [number, number] : null)),
      ...(ut.unit.probe.tracing ? { attachBtfId: ut.unit.probe.tracing.btfId, expectedAttachType: ut.unit.probe.tracing.hook } : {}),
      ...(code.functions.length > 1 ? { functions: describeFunctions(code) } : {}),
    };
    programs.push({ unit: ut.unit, ir, code, spec });
  }
  if (hasErrors(cx.diagnostics)) return done();

  const artifact: Artifact = {
    version: ARTIFACT_VERSION,
    sourceName: input.source.name,
    maps: [...[...resources.maps.values()].map((m) => m.spec), ...resources.internalMaps],
    printMapsOnExit: cx.options.printMapsOnExit,
    programs: programs.map((p) => p.spec),
    events: resources.eventSpecs,
    ...(resources.eventRing ? { eventRing: resources.eventRing } : {}),
    ...(resources.internalMaps.some((m) => m.name === resources.state.map)
      ? { state: stateOf(resources.state) }
      : {}),
  };
  return { diagnostics: cx.diagnostics, ast, artifact, programs };
}

function stateOf(state: Resources['state']): NonNullable<Artifact['state']> {
  const { map, exitingOffset, startOffset, lostOffset, drops } = state;
  return { map, exitingOffset, startOffset, ...(lostOffset === undefined ? {} : { lostOffset }), drops };
}

/** Each function without definitions nobody reads (IrBuilder.finish has dropped unreachable code). */
function cleanUp(ir: IrProgram): IrProgram {
  return { ...removeDeadDefinitions(ir), ...(ir.subprograms ? { subprograms: ir.subprograms.map(removeDeadDefinitions) } : {}) };
}

/** BTF for the program's functions and its func_info records: main (global), then the callbacks (static). */
function describeFunctions(code: Linked): ProgramFunctions {
  const btf = encodeFunctionBtf(code.functions.map((f, i) => (i === 0
    ? { name: f.name, params: ['ctx'], linkage: 'global' as const }
    : { name: f.name, params: ['map', 'key', 'value', 'ctx'], linkage: 'static' as const })));
  return {
    btf: Buffer.from(btf.bytes).toString('base64'),
    funcInfo: code.functions.map((f, i) => ({ insn: f.start, typeId: btf.funcTypeIds[i]!, name: f.name, stackSize: f.stackSize })),
  };
}

/** `tsbt_` + the probe's most specific part, at most 15 characters, unique. */
function programName(unit: ProbeUnit, used: Set<string>): string {
  const parts = unit.probe.name.split(':');
  const stem = (parts[parts.length - 1] || parts[0] || 'probe').replace(/[^A-Za-z0-9_]/g, '_');
  let name = `tsbt_${stem}`.slice(0, 15);
  for (let n = 2; used.has(name); n++) name = `tsbt_${stem}`.slice(0, 15 - String(n).length) + n;
  used.add(name);
  return name;
}

