// How the built CLI starts (cli/boot.ts, build.mjs): from dist/tsbt.cjs with the V8 code cache written
// for it, and the same without a usable cache. No kernel needed: these compile and print the AST.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI } from './harness.ts';

const t = suite('the CLI starts from its bundle and code cache');
const dist = dirname(CLI);
const BUILD_ID = '\n//# tsbtBuild=';
const SCRIPT = 'tracepoint:syscalls:sys_enter_openat /pid != 1/ { @[comm] = count(); }';

function runCli(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t('the cache carries the bundle\'s build id, and V8 accepts it in a plain node', () => {
  const source = readFileSync(join(dist, 'tsbt.cjs'), 'latin1');
  const at = source.lastIndexOf(BUILD_ID);
  assert.ok(at > 0, 'dist/tsbt.cjs has no build id line');
  const id = source.slice(at + BUILD_ID.length).trim();
  assert.match(id, /^[0-9a-f]{16}$/);
  assert.is(readFileSync(join(dist, 'tsbt.v8cache')).subarray(0, id.length).toString('latin1'), id);
  // A child with no flags, as the CLI is run: V8 rejects a cache made under other flags or another version.
  const check = `const { readFileSync } = require('node:fs'); const { Script } = require('node:vm');
    const file = ${JSON.stringify(join(dist, 'tsbt.cjs'))};
    const s = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData: readFileSync(${JSON.stringify(join(dist, 'tsbt.v8cache'))}).subarray(${id.length}) });
    process.stdout.write(String(s.cachedDataRejected));`;
  const r = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8' });
  assert.is(r.stdout, 'false', r.stderr);
});

t('the bundle is ASCII, as the loader reads it (latin1)', () => {
  assert.not.ok(/[^\x00-\x7f]/.test(readFileSync(join(dist, 'tsbt.cjs'), 'latin1')));
});

t('a missing, foreign or corrupt cache is ignored: the CLI does the same without it', () => {
  const expected = runCli(CLI, ['-d', 'ast', '-e', SCRIPT]);
  assert.is(expected.code, 0, expected.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-boot-'));
  try {
    for (const f of ['tsbt.mjs', 'tsbt.cjs']) copyFileSync(join(dist, f), join(dir, f));
    const cache = readFileSync(join(dist, 'tsbt.v8cache'));
    const variants: Array<[string, Buffer | undefined]> = [
      ['no cache', undefined],
      ['another build\'s id', Buffer.concat([Buffer.from('0123456789abcdef'), cache.subarray(16)])],
      ['the right id, garbage after it', Buffer.concat([cache.subarray(0, 16), Buffer.alloc(4096, 0x5a)])],
      ['the right id, cut short', cache.subarray(0, 1000)],
    ];
    for (const [what, data] of variants) {
      rmSync(join(dir, 'tsbt.v8cache'), { force: true });
      if (data) writeFileSync(join(dir, 'tsbt.v8cache'), data);
      const r = runCli(join(dir, 'tsbt.mjs'), ['-d', 'ast', '-e', SCRIPT]);
      assert.is(r.code, 0, `${what}: ${r.stderr}`);
      assert.is(r.stdout, expected.stdout, what);
      assert.is(r.stderr, expected.stderr, what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t('syntax errors are reported in full by the recovering parser, built only for them', () => {
  const r = runCli(CLI, ['-e', 'BEGIN { x = ; } END { y = 1 +; }']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /-e:1:13: error: expected an expression after `=`, found `;`/);
  assert.match(r.stderr, /-e:1:30: error: /);
});

t.run();
