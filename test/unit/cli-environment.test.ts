// bpftrace's environment variables as compile defaults (cli/environment.ts); test/e2e/cli.test.ts
// checks the CLI compiles with them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { optionsFromEnvironment } from '../../cli/environment.ts';

const t = suite('settings from the environment');

t('newest and 0.17 names; the newest wins; bad values are warned about and ignored', () => {
  assert.equal(optionsFromEnvironment({ BPFTRACE_MAX_STRLEN: '32', BPFTRACE_MAX_MAP_KEYS: '100' }).options, { maxStrlen: 32, mapMaxEntries: 100 });
  assert.equal(optionsFromEnvironment({ BPFTRACE_STRLEN: '20', BPFTRACE_MAP_KEYS_MAX: '9' }).options, { maxStrlen: 20, mapMaxEntries: 9 });
  assert.equal(optionsFromEnvironment({ BPFTRACE_MAX_STRLEN: '32', BPFTRACE_STRLEN: '20' }).options, { maxStrlen: 32 });
  const bad = optionsFromEnvironment({ BPFTRACE_STRLEN: '0', BPFTRACE_MAX_MAP_KEYS: 'lots' });
  assert.equal(bad.options, {});
  assert.equal(bad.warnings, [
    'BPFTRACE_STRLEN=0 is ignored: it must be a whole number from 1 to 4096',
    'BPFTRACE_MAX_MAP_KEYS=lots is ignored: it must be a whole number from 1 to 16777216',
  ]);
  assert.equal(optionsFromEnvironment({}).options, {});
});

t.run();
