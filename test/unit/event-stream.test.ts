// runtime/events/stream.ts: the queue behind Session.events(), read with `for await`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStream } from '../../runtime/events/stream.ts';

const t = suite('events: the async iterator queue');

t('values pushed before and after the reader waits come in order; end() ends the loop after them', async () => {
  const s = new EventStream<number>();
  s.push(1);
  s.push(2);
  const got: number[] = [];
  const loop = (async () => {
    for await (const v of s) got.push(v);
  })();
  await new Promise((r) => setImmediate(r));
  s.push(3);
  s.push(4);
  s.end();
  s.push(5);
  await loop;
  assert.equal(got, [1, 2, 3, 4]);
});

t('fail(): the waiting values first, then the error is thrown from the loop, once', async () => {
  const s = new EventStream<string>();
  s.push('a');
  s.fail(new Error('broke'));
  const got: string[] = [];
  try {
    for await (const v of s) got.push(v);
    assert.unreachable('the loop should throw');
  } catch (e) {
    assert.is((e as Error).message, 'broke');
  }
  assert.equal(got, ['a']);
  assert.equal(await s.next(), { value: undefined, done: true });
});

t('a reader already waiting when the stream fails gets the error', async () => {
  const s = new EventStream<number>();
  const pending = s.next();
  s.fail(new Error('gone'));
  try {
    await pending;
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'gone');
  }
});

t('onLevel reports how many values wait; leaving the loop closes the stream (onClose) and drops the rest', async () => {
  const levels: number[] = [];
  let closed = 0;
  const s = new EventStream<number>({ onLevel: (n) => levels.push(n), onClose: () => closed++ });
  for (let i = 0; i < 3; i++) s.push(i);
  for await (const v of s) {
    if (v === 1) break;
  }
  assert.equal(levels, [1, 2, 3, 2, 1]);
  assert.is(closed, 1);
  assert.is(s.waiting, 0);
  s.push(9);
  assert.is(s.waiting, 0, 'nothing is queued once the reader left');
  assert.equal(await s.next(), { value: undefined, done: true });
  s.end();
  assert.is(closed, 1, 'onClose once');
});

t('many values: taken ones do not pile up (the queue compacts), order kept', async () => {
  const s = new EventStream<number>();
  const n = 10_000;
  for (let i = 0; i < n; i++) s.push(i);
  s.end();
  let expected = 0;
  for await (const v of s) {
    assert.is(v, expected++);
    if (v === 5000) assert.is(s.waiting, n - 5001);
  }
  assert.is(expected, n);
});

t.run();
