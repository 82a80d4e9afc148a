import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootNsToDate, strftime } from '../../runtime/format/strftime.ts';

const t = suite('strftime');

t('common conversions match C strftime in the local zone', () => {
  const d = new Date(2026, 0, 5, 7, 8, 9, 123);
  assert.is(strftime('%Y-%m-%d %H:%M:%S', d), '2026-01-05 07:08:09');
  assert.is(strftime('%a %b %e %I:%M:%S %p %j %%', d), 'Mon Jan  5 07:08:09 AM 005 %');
  assert.is(strftime('%H:%M:%S.%f', d, 123456), '07:08:09.123456');
  assert.is(strftime('%T %D %F %R', d), '07:08:09 01/05/26 2026-01-05 07:08');
});

t('a boot-time nanosecond stamp becomes wall time relative to now', () => {
  const { date, micros } = bootNsToDate(5_000_000_000n, 7_500_000_000n, 1_000_000_000_000);
  assert.is(date.getTime(), 1_000_000_000_000 - 2500);
  assert.is(micros, 500_000);
});

t.run();
