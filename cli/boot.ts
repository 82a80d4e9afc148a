// dist/tsbt.mjs: loads the CLI bundle (dist/tsbt.cjs) through vm.Script with the V8 code cache that
// build.mjs wrote for it (dist/tsbt.v8cache), and runs the command. With the cache, V8 neither parses
// the 1 MB bundle nor compiles the functions a start needs (tens of ms of every start). The cache is
// used only when it was written for this very bundle (the build id both carry) and V8 accepts it
// (same Node and V8 version, same V8 flags); otherwise the bundle is compiled as usual.
//
// This file is bundled on its own and imports only Node's modules: it runs before anything is cached.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** Written by build.mjs as the bundle's last line, and as the first bytes of the cache. */
const BUILD_ID = '\n//# tsbtBuild=';

const dir = dirname(fileURLToPath(import.meta.url));
const bundle = join(dir, 'tsbt.cjs');
// ASCII (build.mjs makes sure): latin1 gives a one-byte string without decoding.
const source = readFileSync(bundle, 'latin1');
const script = new Script(source, { filename: bundle, ...cacheFor(source) });
const init = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
const module = { exports: {} as { runCli(): void } };
init.call(module.exports, module.exports, createRequire(bundle), module, bundle, dir);
module.exports.runCli();

function cacheFor(text: string): { cachedData?: Buffer } {
  const at = text.lastIndexOf(BUILD_ID);
  if (at < 0) return {};
  const id = Buffer.from(text.slice(at + BUILD_ID.length).trim(), 'latin1'); // hex digits
  let data: Buffer;
  try {
    data = readFileSync(join(dir, 'tsbt.v8cache'));
  } catch {
    return {};
  }
  if (id.length === 0 || !data.subarray(0, id.length).equals(id)) return {};
  return { cachedData: data.subarray(id.length) };
}
