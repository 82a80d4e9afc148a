import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RingBufferReader } from '../../runtime/events/ringbuf.ts';
import { BpfMapType } from '../../runtime/sys/constants.ts';
import { FakeSys } from '../../runtime/sys/fake-sys.ts';

const t = suite('ring buffer reader against the fake Sys');
const SIZE = 4096;

function setup() {
  const fake = new FakeSys();
  const fd = fake.mapCreate({ mapType: BpfMapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: SIZE, name: 'tsbt_ring' });
  return { fake, fd, reader: new RingBufferReader(fake, fd, SIZE) };
}
const bytes = (...b: number[]) => new Uint8Array(b);
const collect = (reader: RingBufferReader) => {
  const out: number[][] = [];
  const n = reader.drain((r) => out.push([...new Uint8Array(r.buffer, r.byteOffset, r.byteLength)]));
  return { n, out };
};

t('committed records come out in order, in place, and are consumed', () => {
  const { fake, fd, reader } = setup();
  assert.not.ok(reader.pending());
  fake.ringbufOutput(fd, bytes(1, 2, 3));
  fake.ringbufOutput(fd, bytes(4, 5, 6, 7, 8, 9, 10, 11, 12));
  assert.ok(reader.pending());
  assert.equal(collect(reader), { n: 2, out: [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12]] });
  assert.not.ok(reader.pending());
  assert.equal(collect(reader), { n: 0, out: [] });
});

t('discarded records are skipped; a busy record stops the drain until committed', () => {
  const { fake, fd, reader } = setup();
  fake.ringbufOutput(fd, bytes(1));
  fake.ringbufOutput(fd, bytes(2), { discard: true });
  const busy = fake.ringbufOutput(fd, bytes(3), { busy: true });
  fake.ringbufOutput(fd, bytes(4));
  assert.equal(collect(reader), { n: 1, out: [[1]] });
  assert.ok(reader.pending(), 'the busy record and the one after it wait');
  busy.commit();
  assert.equal(collect(reader), { n: 2, out: [[3], [4]] });
});

t('a record that wraps around the end reads contiguously (double-mapped data area)', () => {
  const { fake, fd, reader } = setup();
  // 4096 = 4032 + 64: fill to 8 bytes before the end, then write a 24-byte record across it.
  const filler = new Uint8Array(4032 - 8 - 8);
  fake.ringbufOutput(fd, filler);
  reader.drain(() => {});
  fake.ringbufOutput(fd, new Uint8Array(48));
  reader.drain(() => {}); // position now 4080: 16 bytes before the end
  const payload = new Uint8Array(24).map((_, i) => 100 + i);
  fake.ringbufOutput(fd, payload);
  assert.equal(collect(reader), { n: 1, out: [[...payload]] });
});

t('the callback throwing still consumes its record', () => {
  const { fake, fd, reader } = setup();
  fake.ringbufOutput(fd, bytes(1));
  fake.ringbufOutput(fd, bytes(2));
  assert.throws(() => reader.drain(() => { throw new Error('boom'); }), /boom/);
  assert.equal(collect(reader), { n: 1, out: [[2]] });
});

t('close unmaps both regions; using a closed reader throws', () => {
  const { fake, reader } = setup();
  assert.is(fake.mappedRegionCount(), 2);
  reader.close();
  reader.close();
  assert.is(fake.mappedRegionCount(), 0);
  assert.throws(() => reader.drain(() => {}), /closed/);
});

t('sizes that are not a power of two are refused', () => {
  const { fake, fd } = setup();
  assert.throws(() => new RingBufferReader(fake, fd, 3000), /power of two/);
});

t.run();
