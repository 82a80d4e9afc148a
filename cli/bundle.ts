// The entry of the CLI bundle (dist/tsbt.cjs): the command, run by dist/tsbt.mjs (cli/boot.ts), and
// the warm-up build.mjs runs once to write the bundle's V8 code cache.
export { runCli } from './main.ts';
export { warmUp } from './warm-up.ts';
