// The command line, parsed with yargs. Options follow bpftrace's where bpftrace has them.

import yargs from 'yargs';
import type { EmitKind } from './emit.ts';
import type { OutputFormat } from '../runtime/format/render.ts';
import { TSBT_VERSION } from './version.ts';

export interface Args {
  script?: string;
  params?: string[];
  e?: string;
  o?: string;
  f: OutputFormat;
  q: boolean;
  v: boolean;
  l: boolean;
  emit?: EmitKind;
  dryRun: boolean;
  p?: number;
  c?: string;
  unsafe: boolean;
  maxProbes?: number;
  rawStrings: boolean;
}

export function parseArgs(argv: string[]): Args {
  const args = yargs(argv)
    .scriptName('tsbt')
    .usage('$0 [options] (-e PROGRAM | FILE) [params...]\n\nCompile a tracing script straight to eBPF and run it.')
    .option('e', { type: 'string', describe: 'program text to run', requiresArg: true })
    .option('l', { type: 'boolean', default: false, describe: 'list probes (matching the pattern given as argument)' })
    .option('p', { type: 'number', requiresArg: true, describe: 'trace only this process id' })
    .option('c', { type: 'string', requiresArg: true, describe: 'run this command, trace it (cpid), exit when it exits' })
    .option('o', { alias: 'output', type: 'string', requiresArg: true, describe: 'write the output to a file instead of stdout' })
    .option('f', {
      alias: 'format', choices: ['text', 'json'] as const satisfies readonly OutputFormat[], default: 'text' as OutputFormat,
      describe: "the output's format: bpftrace's text, or its JSON, one object per line",
    })
    .option('q', { alias: 'quiet', type: 'boolean', default: false, describe: 'do not print "Attached N probes" (with -f json: the attached_probes record)' })
    .option('v', { alias: 'verbose', type: 'boolean', default: false, describe: 'more detail: whole verifier logs, program sizes, tracepoint fields with -l' })
    .option('emit', {
      alias: 'd', choices: ['ast', 'ir', 'asm', 'artifact'] as const, describe: 'print what the script compiles to, and exit',
    })
    .option('dry-run', { type: 'boolean', default: false, describe: 'compile and load every program through the verifier, attach nothing' })
    .option('unsafe', { type: 'boolean', default: false, describe: 'allow builtins that act on the system (system())' })
    .option('max-probes', {
      type: 'number', requiresArg: true,
      describe: 'the most probes a script may attach (default 512, or $BPFTRACE_MAX_PROBES)',
    })
    .option('raw-strings', {
      type: 'boolean', default: false,
      describe: 'print traced strings as they are; by default control characters and invalid UTF-8 in them are printed as \\xNN',
    })
    .command('$0 [script] [params..]', false, (y) => y
      .positional('script', { type: 'string', describe: 'script file, - for standard input (with -e or -l, a positional parameter or the pattern)' })
      .positional('params', { type: 'string', array: true, describe: 'positional parameters $1, $2, ...' }))
    .parserConfiguration({ 'parse-positional-numbers': false })
    .example("$0 -e 'tracepoint:syscalls:sys_enter_openat < @[comm] = count(); >'", 'count openat calls by process name')
    .example("$0 -e 'BEGIN < printf(\"hello\\n\"); exit(); >'", 'print and exit')
    .example("$0 -l 'tracepoint:syscalls:*open*'", 'list matching probes')
    .strict()
    .help()
    .alias('h', 'help')
    .version('version', 'print the version and exit', `tsbt v${TSBT_VERSION}`)
    .alias('V', 'version')
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      process.stderr.write(`tsbt: ${err?.message ?? msg}\nRun 'tsbt --help' for usage.\n`);
      process.exit(1);
    })
    .check((argv) => {
      const n = argv['max-probes'];
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new Error('--max-probes needs a whole number of at least 1');
      return true;
    })
    .parseSync() as unknown as Args;
  // yargs reads a lone `-` (the script from standard input) as an empty string.
  if (args.script === '' && argv.includes('-')) args.script = '-';
  // bpftrace reads its limit from the environment; an explicit --max-probes wins.
  if (args.maxProbes === undefined && process.env.BPFTRACE_MAX_PROBES) {
    const n = Number(process.env.BPFTRACE_MAX_PROBES);
    if (Number.isInteger(n) && n >= 1) args.maxProbes = n;
  }
  return args;
}
