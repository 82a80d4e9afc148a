// The tsbt command: a thin shell over the API. Reads the script (-e or a file), compiles it, prints
// diagnostics or the requested --emit form, lists probes (-l), verifies (--dry-run), or runs the
// script until exit(), Ctrl-C or the -c command's end, and prints the maps.
//
// Every way a run ends detaches every probe and closes every fd before the process exits:
// - exit(), END-only scripts, the -c command ending, SIGINT, SIGTERM, SIGHUP: detach, END, print the
//   maps (as bpftrace does on SIGINT/SIGTERM), `Lost N events`, flush the output, exit;
// - a second SIGINT/SIGTERM/SIGHUP while that is still going (say, a slow reader holds the output
//   back): close everything at once and exit with 128 + the signal's number, dropping unwritten text;
// - the output failing (EPIPE, a full disk), an exception in the event handling, or any other
//   uncaught exception: close everything at once, say what failed, exit 1 (0 for a reader that left);
// - process.exit() from anywhere: the 'exit' hook closes everything, synchronously;
// - kill -9: the kernel closes the process's fds, which frees everything (tsbt pins nothing).

import { formatProgram } from '../runtime/verify.ts';
import type { Artifact } from '../runtime/artifact.ts';
import { openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import kleur from 'kleur';
import { renderDiagnostic } from '../grammar/diagnostics.ts';
import { compile, hostKernelInfo, run, stdlib, verify, type Session } from '../api/index.ts';
import { parseArgs, type Args } from './args.ts';
import { type HeldChild, splitCommand, startHeld } from './child.ts';
import { emit } from './emit.ts';
import { settingsFromEnvironment } from './environment.ts';
import { explainRuntimeError } from './explain.ts';
import { listProbes } from './list.ts';
import { Output } from './output.ts';

/** -v: the maps a script created, with their kernel types and sizes. */
function describeMaps(artifact: Artifact): string {
  return artifact.maps.map((m) => `map ${m.name}${m.scriptName ? ` (${m.scriptName})` : ''}: ${m.type}, ` +
    `key ${m.keySize} bytes, value ${m.valueSize} bytes, at most ${m.maxEntries} entries\n`).join('');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  // `tsbt -l | head` closes the pipe early: that is not an error. (A running script handles its
  // output's errors itself, in runScript.)
  const quietEpipe = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  };
  if (args.l || args.emit) process.stdout.on('error', quietEpipe);
  const stderr = (s: string) => process.stderr.write(s);
  kleur.enabled = process.stderr.isTTY === true && !process.env.NO_COLOR;

  if (args.l) {
    for (const line of listProbes(stdlib, hostKernelInfo(), args.script, args.v)) process.stdout.write(`${line}\n`);
    return 0;
  }

  let text: string;
  let name: string;
  let positional = args.params ?? [];
  if (args.e !== undefined) {
    // With -e, every positional argument is a parameter.
    if (args.script !== undefined) positional = [args.script, ...positional];
    text = args.e;
    name = '-e';
  } else if (args.script) {
    try {
      // `-` is standard input, as in bpftrace.
      text = readFileSync(args.script === '-' ? 0 : args.script, 'utf8');
    } catch (e) {
      stderr(`tsbt: cannot read ${args.script}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    name = args.script === '-' ? 'stdin' : args.script;
  } else {
    stderr("tsbt: no program given: use -e 'PROGRAM' or a script file\nRun 'tsbt --help' for usage.\n");
    return 1;
  }

  // -c: start the command first, held stopped, so that its pid is known to the compiler (`cpid`).
  let child: HeldChild | undefined;
  if (args.c !== undefined && !args.emit) child = await startHeld(splitCommand(args.c));
  try {
    const environment = settingsFromEnvironment();
    for (const w of environment.warnings) stderr(`tsbt: warning: ${w}\n`);
    const result = compile(text, {
      settings: environment.settings,
      name, positional, unsafe: args.unsafe,
      ...(args.maxProbes !== undefined ? { maxProbes: args.maxProbes } : {}),
      ...(args.p !== undefined ? { targetPid: args.p } : {}),
      ...(child ? { childPid: child.pid } : args.c !== undefined ? { childPid: 0 } : {}),
    });
    for (const d of result.diagnostics) stderr(renderDiagnostic(d, result.source, kleur) + '\n');
    if (!result.artifact) return 1;
    if (args.emit) {
      process.stdout.write(emit(args.emit, result));
      return 0;
    }
    if (args.dryRun) {
      for (const p of verify(result.artifact)) stderr(`${formatProgram(p, 'verified')}\n`);
      if (args.v) stderr(describeMaps(result.artifact));
      return 0;
    }
    try {
      return await runScript(result.artifact, args, child);
    } catch (err) {
      stderr(`tsbt: ${explainRuntimeError(err, { verbose: args.v, source: result.source, artifact: result.artifact, style: kleur })}\n`);
      if (process.env.TSBT_DEBUG && err instanceof Error) stderr(`${err.stack}\n`);
      return 1;
    }
  } finally {
    child?.kill();
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function runScript(artifact: NonNullable<ReturnType<typeof compile>['artifact']>, args: Args, child: HeldChild | undefined): Promise<number> {
  // -o FILE is opened before anything is loaded: a file that cannot be written is an error up front.
  let fd = 1;
  if (args.o) {
    try {
      fd = openSync(args.o, 'w');
    } catch (e) {
      process.stderr.write(`tsbt: cannot write ${args.o}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  }
  let session: Session | undefined;
  let outputError: NodeJS.ErrnoException | undefined;
  const out = new Output(fd, {
    closeAtEnd: fd !== 1,
    onError: (e) => {
      outputError ??= e;
      // Nobody can read what is traced any more: stop at once (wait() then resolves as aborted).
      session?.abort();
    },
    onPressure: (full) => (full ? session?.pause() : session?.resume()),
  });
  // stderr going away (a closed terminal after SIGHUP) must not turn into an uncaught exception.
  const ignore = () => {};
  process.stderr.on('error', ignore);

  // Signals are caught from before the probes exist: a Ctrl-C right after "Attached" must still print.
  let stopSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal === undefined) {
      stopSignal = signal;
      void session?.stop().catch(() => {});
      return;
    }
    // The second one: exit now. Everything is closed first (synchronously), output still waiting is dropped.
    session?.abort();
    child?.kill();
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  };
  // An exception nobody caught (in a callback of ours, or an unhandled rejection): close everything,
  // report, flush what the script printed (for 2 s at most), exit 1.
  const onUncaught = (err: unknown) => {
    session?.abort();
    child?.kill();
    process.stderr.write(`tsbt: internal error: ${err instanceof Error ? (process.env.TSBT_DEBUG ? err.stack : err.message) : String(err)}\n`);
    setTimeout(() => process.exit(1), 2000).unref();
    void out.end().finally(() => process.exit(1));
  };
  // Whatever ends the process (process.exit() from anywhere), nothing stays attached a moment longer.
  const onExit = () => session?.abort();
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('exit', onExit);
  try {
    // The session renders (text or JSON); here its two streams go to their places.
    session = await run(artifact, {
      format: args.f,
      quiet: args.q,
      rawStrings: args.rawStrings,
      // -p: the run ends when the process does, as in bpftrace.
      ...(args.p !== undefined ? { untilProcessExits: args.p } : {}),
      onOutput: (text) => out.write(text),
      onMessage: (text) => process.stderr.write(text),
    });
    if (args.v) {
      for (const p of session.programInfo()) process.stderr.write(`${formatProgram(p)}\n`);
      process.stderr.write(describeMaps(artifact));
    }
    if (child) {
      void child.exited.then(() => session!.stop().catch(() => {}));
      child.release();
    }
    if (stopSignal !== undefined) void session.stop().catch(() => {});
    // The maps, full maps and lost events at the end came through onOutput and onMessage.
    const end = await session.wait();
    await out.end();
    if (outputError) {
      // A reader that went away (`tsbt ... | head`) is not an error.
      if (outputError.code === 'EPIPE') return 0;
      process.stderr.write(`tsbt: cannot write the output${args.o ? ` to ${args.o}` : ''}: ${outputError.code ?? outputError.message}; tracing stopped\n`);
      return 1;
    }
    return end.exitCode;
  } finally {
    session?.abort();
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('exit', onExit);
    await out.end();
    process.stderr.off('error', ignore);
  }
}

/** Runs the command line of this process (dist/tsbt.mjs calls it once the CLI bundle is loaded). */
export function runCli(): void {
  main().then(
    (code) => { process.exitCode = code; },
    (err) => {
      process.stderr.write(`tsbt: ${explainRuntimeError(err, process.argv.includes('-v') || process.argv.includes('--verbose'))}\n`);
      if (process.env.TSBT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    },
  );
}
