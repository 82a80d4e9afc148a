import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCpuList } from '../../runtime/kernel/cpus.ts';
import { parsePmuFormat } from '../../runtime/kernel/pmu.ts';

const t = suite('kernel: CPU lists and PMU formats');

t('CPU lists: single CPUs, ranges, mixed, trailing newline', () => {
  assert.equal(parseCpuList('0\n'), [0]);
  assert.equal(parseCpuList('0-3'), [0, 1, 2, 3]);
  assert.equal(parseCpuList('0-1,4,6-7\n'), [0, 1, 4, 6, 7]);
  assert.equal(parseCpuList(''), []);
  assert.throws(() => parseCpuList('0-a'), /malformed CPU list/);
});

t('PMU format fields: one bit or a bit range', () => {
  assert.equal(parsePmuFormat('config:0\n'), { field: 'config', firstBit: 0, lastBit: 0 });
  assert.equal(parsePmuFormat('config:32-63'), { field: 'config', firstBit: 32, lastBit: 63 });
  assert.equal(parsePmuFormat('config1:5'), { field: 'config1', firstBit: 5, lastBit: 5 });
  assert.throws(() => parsePmuFormat('bogus'), /malformed PMU format/);
});

t.run();
