// Bundles the CLI and the programmatic API into single files, so that a one-liner starts without
// resolving hundreds of modules (chevrotain's package entry alone pulls in lodash-es), and writes the
// V8 code cache the CLI starts with:
//   dist/tsbt.cjs      the CLI, one CommonJS function expression, run by dist/tsbt.mjs through vm.Script;
//   dist/tsbt.v8cache  V8's code cache for it, written after a warm-up (cli/warm-up.ts) in this process;
//   dist/tsbt.mjs      the loader (cli/boot.ts): what `node dist/tsbt.mjs` and bin/tsbt.mjs run;
//   dist/api.mjs       the API, an ES module.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { build } from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
/** Must match cli/boot.ts. */
const BUILD_ID = '\n//# tsbtBuild=';

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['koffi'],
  legalComments: 'none',
  logLevel: 'warning',
};

// string-width (for yargs' help layout) builds an Intl.Segmenter and Unicode-property regexps when it
// is loaded: tens of ms of every start. cli/text-width.ts measures the same way, without them.
const alias = { 'string-width': './cli/text-width.ts' };

/** Writes next to the target and renames, so that a run that starts meanwhile never reads half a file. */
function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function buildCli() {
  const out = await build({
    ...common,
    entryPoints: ['cli/bundle.ts'],
    format: 'cjs',
    write: false,
    outfile: join(dist, 'tsbt.cjs'),
    alias,
    charset: 'ascii',
    // The bundle runs as a CommonJS function; import.meta.url (koffi is required relative to it) is its file.
    define: { 'import.meta.url': '__tsbtModuleUrl' },
    banner: { js: "var __tsbtModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // With charset ascii, esbuild escapes every non-ASCII character of the code; what is left is in the
  // comments it keeps. Dropping those makes the bundle ASCII, which cli/boot.ts reads as latin1: a
  // one-byte string (1 MB) instead of a two-byte one (2 MB), and no UTF-8 decoding.
  const code = out.outputFiles[0].text.replace(/[^\x00-\x7f]/g, '?');
  // vm.Script runs without a dynamic import() handler: fail here rather than at a user's run.
  if (/[^\w$.]import\(/.test(code)) throw new Error('dist/tsbt.cjs: a dynamic import() would fail under vm.Script (cli/boot.ts); use a static import');
  const body = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  const id = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const source = `${body}${BUILD_ID}${id}\n`;
  const file = join(dist, 'tsbt.cjs');
  writeAtomically(file, source);
  return { file, source, id };
}

/**
 * Runs the bundle's warm-up in this process and writes V8's code cache for the bundle. The cache is
 * only valid for this Node and these V8 flags (a plain `node`, as the CLI is run); cli/boot.ts ignores it
 * otherwise.
 */
function writeCodeCache({ file, source, id }) {
  const cache = join(dist, 'tsbt.v8cache');
  const script = new Script(source, { filename: file });
  const mod = { exports: {} };
  try {
    script.runInThisContext().call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
    mod.exports.warmUp();
  } catch (err) {
    // The CLI works without the cache, only slower to start; the tests will show what broke.
    rmSync(cache, { force: true });
    console.warn(`build.mjs: no code cache, the warm-up failed: ${err?.stack ?? err}`);
    return;
  }
  writeAtomically(cache, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]));
}

mkdirSync(dist, { recursive: true });
const [cli] = await Promise.all([
  buildCli(),
  build({ ...common, format: 'esm', entryPoints: ['cli/boot.ts'], outfile: join(dist, 'tsbt.mjs.tmp') })
    .then(() => renameSync(join(dist, 'tsbt.mjs.tmp'), join(dist, 'tsbt.mjs'))),
  build({
    ...common,
    format: 'esm',
    entryPoints: ['api/index.ts'],
    outfile: join(dist, 'api.mjs'),
    // Bundled CommonJS dependencies call require(); give ESM one.
    banner: { js: "import { createRequire as __tsbtCreateRequire } from 'node:module'; const require = __tsbtCreateRequire(import.meta.url);" },
  }),
]);
writeCodeCache(cli);
