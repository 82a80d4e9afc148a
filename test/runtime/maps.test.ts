import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MapSpec } from '../../runtime/artifact.ts';
import { createMap } from '../../runtime/maps.ts';
import { BPF_NOEXIST, BpfMapType, Errno } from '../../runtime/sys/constants.ts';
import { FakeSys } from '../../runtime/sys/fake-sys.ts';
import { isSysError, type Sys } from '../../runtime/sys/sys.ts';

const t = suite('maps against the fake Sys');
const hashSpec: MapSpec = { name: 'tsbt_h', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000 };
const key = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const val = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const num = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

/** Counts calls per Sys method. */
function spy(sys: Sys): { sys: Sys; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(sys, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return v.apply(target, args);
      };
    },
  });
  return { sys: proxy, calls };
}

t('createMap passes type, sizes, entries and name; no flags (preallocated)', () => {
  const fake = new FakeSys();
  const map = createMap(fake, hashSpec);
  const info = fake.mapGetInfo(map.fd);
  assert.equal(info, { type: BpfMapType.HASH, id: info.id, keySize: 4, valueSize: 8, maxEntries: 1000, flags: 0, name: 'tsbt_h' });
  map.close();
  map.close();
  assert.equal(fake.openFds(), [], 'closed once, idempotent');
});

t('hash map lookup/update/delete with kernel semantics', () => {
  const map = createMap(new FakeSys(), hashSpec);
  map.update(key(1), val(10));
  assert.is(num(map.lookup(key(1))!), 10);
  assert.is(map.lookup(key(2)), undefined);
  assert.throws(() => map.update(key(1), val(11), BPF_NOEXIST), (e: unknown) => isSysError(e, 'EEXIST'));
  assert.ok(map.delete(key(1)));
  assert.not.ok(map.delete(key(1)));
  assert.throws(() => map.update(key(1), new Uint8Array(4)), /value is 4 bytes, expected 8/);
  assert.throws(() => map.lookup(new Uint8Array(8)), /key is 8 bytes, expected 4/);
});

t('entries() uses batch lookup, in several batches when needed', () => {
  const { sys, calls } = spy(new FakeSys());
  const map = createMap(sys, hashSpec);
  for (let i = 0; i < 600; i++) map.update(key(i), val(i * 2));
  const entries = map.entries();
  assert.is(entries.length, 600);
  assert.is(calls.mapLookupBatch, 3);
  assert.is(calls.mapGetNextKey, undefined);
  for (const { key: k, value } of entries) assert.is(num(value), new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(0, true) * 2);
});

for (const errno of [Errno.ENOTSUPP, Errno.EINVAL]) {
  t(`entries() falls back to get_next_key when batch fails with errno ${errno}, and remembers`, () => {
    const { sys, calls } = spy(new FakeSys({ batchErrno: errno }));
    const map = createMap(sys, hashSpec);
    for (let i = 0; i < 5; i++) map.update(key(i), val(i));
    assert.equal(map.entries().map((e) => num(e.value)), [0, 1, 2, 3, 4]);
    map.entries();
    assert.is(calls.mapLookupBatch, 1);
    assert.is(calls.mapGetNextKey, 12);
  });
}

t('other batch errors propagate', () => {
  const fake = new FakeSys();
  const map = createMap(fake, hashSpec);
  fake.failNext('mapLookupBatch', Errno.EPERM);
  assert.throws(() => map.entries(), (e: unknown) => isSysError(e, 'EPERM'));
});

t('per-CPU values are possibleCpus × round_up(valueSize, 8) bytes', () => {
  const fake = new FakeSys({ possibleCpus: 3 });
  const map = createMap(fake, { name: 'tsbt_p', type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 8 }, { possibleCpus: 3 });
  assert.is(map.perCpuStride, 8);
  assert.is(map.valueBufferSize, 24);
  const value = new Uint8Array(24).map((_, i) => i);
  map.update(key(5), value);
  assert.equal([...map.lookup(key(5))!], [...value]);
  assert.equal([...map.entries()[0]!.value], [...value]);
});

t('array maps: every index is an entry', () => {
  const map = createMap(new FakeSys(), { name: 'tsbt_a', type: 'array', keySize: 4, valueSize: 8, maxEntries: 3 });
  map.update(key(2), val(7));
  assert.equal(map.entries().map((e) => num(e.value)), [0, 0, 7]);
  assert.equal(map.keys().length, 3);
});

t('a failed create names the map and keeps the errno', () => {
  const fake = new FakeSys();
  fake.failNext('mapCreate', Errno.EPERM);
  try {
    createMap(fake, hashSpec);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSysError(err, 'EPERM'));
    assert.match((err as Error).message, /bpf\(BPF_MAP_CREATE\): EPERM \(Operation not permitted\): map tsbt_h \(hash/);
  }
});

t.run();
