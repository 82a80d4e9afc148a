// The tsbt command: a thin shell over the API. Reads the script (-e or a file), compiles it, prints
// diagnostics or the requested --emit form, or runs it until exit()/Ctrl-C and prints the maps.

import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import kleur from 'kleur';
import yargs from 'yargs';
import { renderDiagnostic } from '../grammar/diagnostics.ts';
import { compile, run, type Session } from '../api/index.ts';
import { renderExitMaps } from '../runtime/format/text.ts';
import { explainRuntimeError } from './explain.ts';
import { emit, type EmitKind } from './emit.ts';

interface Args {
  script?: string;
  params: (string | number)[];
  o?: string;
  e?: string;
  q: boolean;
  v: boolean;
  emit?: EmitKind;
}

function parseArgs(argv: string[]): Args {
  return yargs(argv)
    .scriptName('tsbt')
    .usage('$0 [options] (-e PROGRAM | FILE)\n\nCompile a tracing script straight to eBPF and run it.')
    .option('e', { type: 'string', describe: 'program text to run', requiresArg: true })
    .option('q', { alias: 'quiet', type: 'boolean', default: false, describe: 'do not print "Attached N probes"' })
    .option('v', { alias: 'verbose', type: 'boolean', default: false, describe: 'show whole verifier logs' })
    .option('emit', {
      alias: 'd', choices: ['ast', 'ir', 'asm', 'artifact'] as const, describe: 'print what the script compiles to, and exit',
    })
    .option('o', { alias: 'output', type: 'string', requiresArg: true, describe: 'write the output to a file instead of stdout' })
    .command('$0 [script] [params..]', false, (y) => y
      .positional('script', { type: 'string', describe: 'script file (with -e, the first positional parameter)' })
      .positional('params', { type: 'string', array: true, describe: 'positional parameters $1, $2, ...' }))
    .parserConfiguration({ 'parse-positional-numbers': false, 'unknown-options-as-args': false })
    .example("$0 -e 'tracepoint:syscalls:sys_enter_openat < @[comm] = count(); >'", 'count openat calls by process name')
    .example("$0 -e 'BEGIN < printf(\"hello\\n\"); exit(); >'", 'print and exit')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      process.stderr.write(`tsbt: ${err?.message ?? msg}\nRun 'tsbt --help' for usage.\n`);
      process.exit(1);
    })
    .parseSync() as unknown as Args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const stderr = (s: string) => process.stderr.write(s);
  const colour = process.stderr.isTTY && !process.env.NO_COLOR;
  kleur.enabled = colour;

  let text: string;
  let name: string;
  let positional = (args.params ?? []).map(String);
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

  const result = compile(text, { name, positional });
  for (const d of result.diagnostics) stderr(renderDiagnostic(d, result.source, kleur) + '\n');
  if (!result.artifact) return 1;
  if (args.emit) {
    process.stdout.write(emit(args.emit, result));
    return 0;
  }

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
  session = await run(result.artifact, {
    onOutput: (text) => out.write(text),
    onAttached: (n) => { if (!args.q) stderr(`Attached ${n} probe${n === 1 ? '' : 's'}\n`); },
  });
  if (stopRequested) void session.stop();
  const end = await session.wait();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (result.artifact.printMapsOnExit) out.write(renderExitMaps(end.maps));
  if (end.lostEvents > 0) stderr(`Lost ${end.lostEvents} events\n`);
  if (out !== process.stdout) await new Promise<void>((resolve) => (out as WriteStream).end(resolve));
  return end.exitCode;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`tsbt: ${explainRuntimeError(err, process.argv.includes('-v') || process.argv.includes('--verbose'))}\n`);
    if (process.env.TSBT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
