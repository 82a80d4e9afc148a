// The programmatic API (the CLI is a thin shell over it): compile a script to an artifact, run an
// artifact as a Session that delivers its events (printf, print, time, ..., the maps at exit) and its
// maps, stop it.
//
//   const { artifact, diagnostics } = compile('tracepoint:syscalls:sys_enter_openat < @[comm] = count(); >');
//   const session = await run(artifact!, { onPrintf: (e) => console.log(e.text) });
//   setTimeout(() => session.stop(), 1000);
//   const { maps } = await session.wait();
//
// or, as an async iterator that ends with the session:
//
//   for await (const event of session.events()) if (event.kind === 'printf') console.log(event.text);

import { type Diagnostic, renderDiagnostic } from '../grammar/diagnostics.ts';
import { SourceFile } from '../grammar/source.ts';
import { type CompileResult, compile as compileSource } from '../compiler/pipeline.ts';
import type { CompileOptions } from '../compiler/context.ts';
import type { KernelInfo } from '../compiler/kernel-info.ts';
import { stdlib } from '../stdlib/index.ts';
import type { Artifact } from '../runtime/artifact.ts';
import { Session, type SessionOptions } from '../runtime/session.ts';
import { realSys } from '../runtime/sys/index.ts';
import { hostKernelInfo } from './host-kernel.ts';
import { type VerifiedProgram, verifyArtifact } from '../runtime/verify.ts';
import type { Sys } from '../runtime/sys/sys.ts';

export interface CompileScriptOptions extends CompileOptions {
  /** Shown in diagnostics before `:line:col` (a path, or `-e`). */
  name?: string;
  /** Kernel facts to compile against; the running kernel's by default. */
  kernel?: KernelInfo;
}

export function compile(text: string, options: CompileScriptOptions = {}): CompileResult & { source: SourceFile } {
  const { name = '-e', kernel = hostKernelInfo(), ...compileOptions } = options;
  const source = new SourceFile(name, text);
  return { source, ...compileSource({ source, registry: stdlib, kernel, options: compileOptions }) };
}

export type RunOptions = Omit<SessionOptions, 'sys'> & Partial<Pick<SessionOptions, 'sys'>>;

export function run(artifact: Artifact, options: RunOptions = {}): Promise<Session> {
  return Session.start(artifact, { ...options, sys: options.sys ?? realSys() });
}

/** --dry-run: load every program through the kernel's verifier without attaching anything. */
export function verify(artifact: Artifact, sys: Sys = realSys()): VerifiedProgram[] {
  return verifyArtifact(sys, artifact);
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], source: SourceFile): string {
  return diagnostics.map((d) => renderDiagnostic(d, source)).join('\n');
}

export { Session, stdlib, SourceFile, hostKernelInfo };
export type { VerifiedProgram };
export type { Artifact, CompileResult, Diagnostic, KernelInfo };
export type { SessionOptions, SessionResult, PrintfRecord, SessionEvent } from '../runtime/session.ts';
export type { MapDump } from '../runtime/format/model.ts';
export { createRenderer, type OutputFormat, type Renderer } from '../runtime/format/render.ts';
export { renderExitMaps, renderMaps } from '../runtime/format/text.ts';
