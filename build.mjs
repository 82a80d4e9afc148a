// Bundles the CLI and the programmatic API into single files, so that a one-liner starts without
// resolving hundreds of modules (chevrotain's package entry alone pulls in lodash-es).
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (yargs' helpers) call require(); give ESM one.
  banner: { js: "import { createRequire as __tsbtCreateRequire } from 'node:module'; const require = __tsbtCreateRequire(import.meta.url);" },
};

await Promise.all([
  build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/tsbt.mjs' }),
  build({ ...common, entryPoints: ['api/index.ts'], outfile: 'dist/api.mjs' }),
]);
