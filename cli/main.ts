// The tsbt command: a thin shell over the API. Reads the script (-e or a file), compiles it, prints
// diagnostics or the requested --emit form, lists probes (-l), verifies (--dry-run), or runs the
// script until exit(), Ctrl-C or the -c command's end, and prints the maps.

import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import kleur from 'kleur';
import { renderDiagnostic } from '../grammar/diagnostics.ts';
import { compile, hostKernelInfo, run, stdlib, verify, type Session } from '../api/index.ts';
import { renderExitMaps } from '../runtime/format/text.ts';
import { parseArgs } from './args.ts';
import { type HeldChild, splitCommand, startHeld } from './child.ts';
import { emit } from './emit.ts';
import { explainRuntimeError } from './explain.ts';
import { listProbes } from './list.ts';

async function main(): Promise<number> {
  // `tsbt -l | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const args = parseArgs(process.argv.slice(2));
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
      text = readFileSync(args.script, 'utf8');
    } catch (e) {
      stderr(`tsbt: cannot read ${args.script}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    name = args.script;
  } else {
    stderr("tsbt: no program given: use -e 'PROGRAM' or a script file\nRun 'tsbt --help' for usage.\n");
    return 1;
  }

  // -c: start the command first, held stopped, so that its pid is known to the compiler (`cpid`).
  let child: HeldChild | undefined;
  if (args.c !== undefined && !args.emit) child = await startHeld(splitCommand(args.c));
  try {
    const result = compile(text, {
      name, positional, unsafe: args.unsafe,
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
      for (const p of verify(result.artifact)) {
        stderr(`${p.probe}: verified (${p.name}: ${p.instructions} instructions, ${p.xlatedInstructions} after the kernel's rewrites, ` +
          `${p.verifiedInstructions} processed by the verifier, ${p.jitedBytes} bytes JITed, ${p.stackBytes} bytes of stack)\n`);
      }
      return 0;
    }
    return await runScript(result.artifact, args, child);
  } finally {
    child?.kill();
  }
}

async function runScript(artifact: NonNullable<ReturnType<typeof compile>['artifact']>, args: ReturnType<typeof parseArgs>, child: HeldChild | undefined): Promise<number> {
  const out = args.o ? createWriteStream(args.o) : process.stdout;
  // Signals are caught from before the probes exist: a Ctrl-C right after "Attached" must still print.
  let session: Session | undefined;
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
    void session?.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    session = await run(artifact, {
      onOutput: (text) => out.write(text),
      onAttached: (n) => { if (!args.q) process.stderr.write(`Attached ${n} probe${n === 1 ? '' : 's'}\n`); },
    });
    if (child) {
      void child.exited.then(() => session!.stop());
      child.release();
    }
    if (stopRequested) void session.stop();
    const end = await session.wait();
    if (artifact.printMapsOnExit) out.write(renderExitMaps(end.maps));
    if (end.lostEvents > 0) process.stderr.write(`Lost ${end.lostEvents} events\n`);
    return end.exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (out !== process.stdout) await new Promise<void>((resolve) => (out as WriteStream).end(resolve));
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`tsbt: ${explainRuntimeError(err, process.argv.includes('-v') || process.argv.includes('--verbose'))}\n`);
    if (process.env.TSBT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
