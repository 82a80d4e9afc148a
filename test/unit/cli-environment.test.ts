// bpftrace's configuration in the environment (cli/environment.ts): BPFTRACE_<SETTING> and 0.17's
// names, winning over the script's config block as in bpftrace; test/e2e/cli.test.ts checks the CLI.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { settingsFromEnvironment } from '../../cli/environment.ts';
import { compile } from '../../api/index.ts';
import { noKernelInfo } from '../../compiler/kernel-info.ts';

const t = suite('settings from the environment');

t('newest and 0.17 names; the newest wins; bad values are warned about and ignored; others are left alone', () => {
  assert.equal(settingsFromEnvironment({ BPFTRACE_MAX_STRLEN: '32', BPFTRACE_MAX_MAP_KEYS: '100' }).settings, { max_strlen: 32, max_map_keys: 100 });
  assert.equal(settingsFromEnvironment({ BPFTRACE_STRLEN: '20', BPFTRACE_MAP_KEYS_MAX: '9' }).settings, { max_strlen: 20, max_map_keys: 9 });
  assert.equal(settingsFromEnvironment({ BPFTRACE_STRLEN: '20', BPFTRACE_MAX_STRLEN: '32' }).settings, { max_strlen: 32 });
  const bad = settingsFromEnvironment({ BPFTRACE_STRLEN: '0', BPFTRACE_MAX_MAP_KEYS: 'lots', BPFTRACE_BTF: '/x', PATH: '/bin' });
  assert.equal(bad.settings, {});
  assert.equal(bad.warnings, [
    'BPFTRACE_MAX_MAP_KEYS=lots is ignored: it must be a whole number from 1 to 16777216',
    'BPFTRACE_STRLEN=0 is ignored: it must be a whole number from 1 to 4096',
  ]);
});

t('settings win over the config block, which also takes the BPFTRACE_ names', () => {
  const maxEntries = (script: string, settings?: Record<string, number>) =>
    compile(script, { kernel: noKernelInfo, ...(settings ? { settings } : {}) }).artifact!.maps.find((m) => m.scriptName === '@m')!.maxEntries;
  assert.is(maxEntries('BEGIN { @m[1] = 2; }', { max_map_keys: 77 }), 77);
  assert.is(maxEntries('config = { max_map_keys = 5 } BEGIN { @m[1] = 2; }', { max_map_keys: 77 }), 77);
  assert.is(maxEntries('config = { max_map_keys = 5 } BEGIN { @m[1] = 2; }'), 5);
  assert.is(maxEntries('config = { BPFTRACE_MAX_MAP_KEYS = 6 } BEGIN { @m[1] = 2; }'), 6);
  assert.is(maxEntries('config = { BPFTRACE_MAP_KEYS_MAX = 7 } BEGIN { @m[1] = 2; }'), 7);
});

t.run();
