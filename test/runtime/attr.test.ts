import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeMapInfo,
  decodeProgInfo,
  encodeBtfLoad,
  encodeMapBatch,
  encodeMapCreate,
  encodeMapElem,
  encodeObjectName,
  encodePerfEventAttr,
  encodeProgLoad,
  encodeTestRun,
} from '../../runtime/sys/attr.ts';

const t = suite('sys: bpf_attr and perf_event_attr layouts');
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(at, true);
const text = (b: Uint8Array, at: number, n: number) => Buffer.from(b.subarray(at, at + n)).toString('latin1');

t('BPF_MAP_CREATE: type, sizes, flags at 0..16, name at 28, 72 bytes', () => {
  const a = encodeMapCreate({ mapType: 5, keySize: 8, valueSize: 16, maxEntries: 4096, flags: 1, name: 'tsbt_counts' }).bytes;
  assert.is(a.length, 72);
  assert.equal([u32(a, 0), u32(a, 4), u32(a, 8), u32(a, 12), u32(a, 16)], [5, 8, 16, 4096, 1]);
  assert.is(text(a, 28, 16), 'tsbt_counts\0\0\0\0\0');
  assert.ok(a.subarray(44).every((x) => x === 0), 'everything after the name is zero');
});

t('map element commands: fd at 0, key at 8, value at 16, flags at 24', () => {
  const a = encodeMapElem(7, 0x1111n, 0x2222n, 2).bytes;
  assert.is(a.length, 32);
  assert.equal([u32(a, 0), u32(a, 4), u64(a, 8), u64(a, 16), u64(a, 24)], [7, 0, 0x1111n, 0x2222n, 2n]);
});

t('BPF_MAP_LOOKUP_BATCH: pointers at 0/8/16/24, count at 32, fd at 36, 56 bytes', () => {
  const a = encodeMapBatch(9, { inBatch: 1n, outBatch: 2n, keys: 3n, values: 4n }, 256).bytes;
  assert.is(a.length, 56);
  assert.equal([u64(a, 0), u64(a, 8), u64(a, 16), u64(a, 24), u32(a, 32), u32(a, 36)], [1n, 2n, 3n, 4n, 256, 9]);
});

t('BPF_PROG_LOAD: insns at 8, license at 16, log at 24/28/32, name at 48, 144 bytes', () => {
  const a = encodeProgLoad({
    progType: 5, insnCnt: 3, insns: 0xaaaan, license: 0xbbbbn, name: 'tsbt_p', logLevel: 1, logSize: 4096, logBuf: 0xccccn,
  }).bytes;
  assert.is(a.length, 144);
  assert.equal([u32(a, 0), u32(a, 4), u64(a, 8), u64(a, 16)], [5, 3, 0xaaaan, 0xbbbbn]);
  assert.equal([u32(a, 24), u32(a, 28), u64(a, 32)], [1, 4096, 0xccccn]);
  assert.is(text(a, 48, 7), 'tsbt_p\0');
  assert.is(u32(a, 140), 0, 'log_true_size is the kernel’s to write');
});

t('BPF_PROG_LOAD with BTF: prog_btf_fd 72, func_info_rec_size 76, func_info 80, func_info_cnt 88', () => {
  const a = encodeProgLoad({
    progType: 17, insnCnt: 9, insns: 1n, license: 2n, logLevel: 0, logSize: 0, logBuf: 0n,
    progBtfFd: 12, funcInfo: 0xddddn, funcInfoRecSize: 8, funcInfoCnt: 2,
  }).bytes;
  assert.equal([u32(a, 72), u32(a, 76), u64(a, 80), u32(a, 88)], [12, 8, 0xddddn, 2]);
  assert.equal([u32(a, 92), u64(a, 96), u32(a, 104)], [0, 0n, 0], 'no line_info');
});

t('BPF_BTF_LOAD: btf at 0, log buffer at 8, sizes at 16/20, log level 24, 32 bytes', () => {
  const a = encodeBtfLoad({ btf: 0x1234n, btfSize: 99, logBuf: 0x5678n, logSize: 4096, logLevel: 1 }).bytes;
  assert.is(a.length, 32);
  assert.equal([u64(a, 0), u64(a, 8), u32(a, 16), u32(a, 20), u32(a, 24), u32(a, 28)], [0x1234n, 0x5678n, 99, 4096, 1, 0]);
});

t('BPF_PROG_TEST_RUN: fd 0, data 8/16, repeat 32, ctx size 40, ctx 48, 80 bytes', () => {
  const a = encodeTestRun({ progFd: 3, ctxIn: 0x50n, ctxSizeIn: 96, dataIn: 0x60n, dataSizeIn: 14, repeat: 2 }).bytes;
  assert.is(a.length, 80);
  assert.equal([u32(a, 0), u32(a, 8), u64(a, 16), u32(a, 32), u32(a, 40), u64(a, 48)], [3, 14, 0x60n, 2, 96, 0x50n]);
  assert.is(u32(a, 4), 0, 'retval starts zero');
  assert.is(u32(a, 36), 0, 'duration must be zero on input');
});

t('perf_event_attr: size 112, config 8, period 16, flag bits at 40, config1/2 at 56/64', () => {
  const a = encodePerfEventAttr({ type: 1, config: 0, samplePeriod: 10_000_000, disabled: true, config2: 0x40n }, 0x7000n).bytes;
  assert.is(a.length, 112);
  assert.equal([u32(a, 0), u32(a, 4), u64(a, 8), u64(a, 16)], [1, 112, 0n, 10_000_000n]);
  assert.is(u64(a, 40), 1n, 'only the disabled bit');
  assert.equal([u64(a, 56), u64(a, 64)], [0x7000n, 0x40n]);
  const f = encodePerfEventAttr({ type: 1, config: 0, frequency: 99, samplePeriod: 5 }).bytes;
  assert.is(u64(f, 16), 99n, 'sample_freq shares sample_period’s slot');
  assert.is(u64(f, 40), 1n << 10n, 'the freq bit');
});

t('object names: at most 15 characters of [A-Za-z0-9_.]', () => {
  assert.is(encodeObjectName('tsbt_0123456789').length, 16);
  assert.throws(() => encodeObjectName('tsbt_01234567890'), /at most 15/);
  assert.throws(() => encodeObjectName('tsbt-x'), /A-Za-z0-9_/);
});

t('info structs decode from their offsets', () => {
  const p = new Uint8Array(232);
  const pv = new DataView(p.buffer);
  pv.setUint32(0, 17, true);
  pv.setUint32(4, 42, true);
  p.set([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3], 8);
  pv.setUint32(16, 120, true);
  pv.setUint32(20, 16, true);
  p.set(Buffer.from('tsbt_begin'), 64);
  pv.setUint32(216, 2, true);
  assert.equal(decodeProgInfo(p), {
    type: 17, id: 42, tag: 'deadbeef00010203', name: 'tsbt_begin', jitedProgLen: 120, xlatedProgLen: 16, verifiedInsns: 2, nrMapIds: 0,
  });
  const m = new Uint8Array(88);
  const mv = new DataView(m.buffer);
  [1, 9, 8, 16, 64, 0].forEach((v, i) => mv.setUint32(i * 4, v, true));
  m.set(Buffer.from('tsbt_map'), 24);
  assert.equal(decodeMapInfo(m), { type: 1, id: 9, keySize: 8, valueSize: 16, maxEntries: 64, flags: 0, name: 'tsbt_map' });
});

t.run();
