// Traced strings in text and JSON output: lossless decoding of bytes that are not UTF-8, escaping for
// the terminal, and JSON strings that always parse. bpftrace itself (v0.17.0) prints map strings as
// raw bytes: `bpftrace -e 'BEGIN { @m["a\x1b[31mb"] = "c\td\n"; @n = "\xff\xfeok"; exit(); }' | od -c`
// shows `a 033 [ 3 1 m b` and `377 376 o k`. Escaping is ours, on by default; `raw` prints what
// bpftrace prints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bytesToText,
  compareKeys,
  decodeUtf8Lossless,
  escapeForTerminal,
  jsonString,
  textToBytes,
  toWellFormed,
} from '../../runtime/format/index.ts';

const s = suite('format: traced strings');

const bytes = (...b: number[]) => Uint8Array.from(b);

s('valid UTF-8 decodes as usual; each invalid byte is kept as U+DC80 + (byte - 0x80)', () => {
  assert.is(decodeUtf8Lossless(new TextEncoder().encode('héllo ✓ 😀')), 'héllo ✓ 😀');
  assert.is(decodeUtf8Lossless(bytes(0x61, 0xff, 0xfe, 0x62)), 'a\udcff\udcfeb');
  // a truncated sequence, an overlong encoding, an encoded surrogate: every byte escaped on its own
  assert.is(decodeUtf8Lossless(bytes(0xe2, 0x9c)), '\udce2\udc9c');
  assert.is(decodeUtf8Lossless(bytes(0xc0, 0xaf)), '\udcc0\udcaf');
  assert.is(decodeUtf8Lossless(bytes(0xed, 0xa0, 0x80)), '\udced\udca0\udc80');
  assert.is(decodeUtf8Lossless(bytes(0xf4, 0x90, 0x80, 0x80)), '\udcf4\udc90\udc80\udc80', 'above U+10FFFF');
  assert.is(decodeUtf8Lossless(bytes(0xe2, 0x9c, 0x93, 0x80)), '✓\udc80');
  assert.is(bytesToText(bytes(0x6f, 0x6b, 0xc3)), 'ok\udcc3');
});

s('textToBytes gives the original bytes back', () => {
  const cases = [bytes(0x61, 0xff, 0xfe, 0x62), bytes(0xe2, 0x9c), new TextEncoder().encode('😀\x1b'), bytes(0xf0, 0x9f, 0x98, 0x80, 0x80)];
  for (const b of cases) assert.equal([...textToBytes(decodeUtf8Lossless(b))], [...b]);
});

s('escapeForTerminal: control characters, C1 controls and invalid bytes become \\xNN', () => {
  assert.is(escapeForTerminal('a\x1b[31mb'), 'a\\x1b[31mb');
  assert.is(escapeForTerminal('c\td\n\r\0\x7f'), 'c\\x09d\\x0a\\x0d\\x00\\x7f');
  assert.is(escapeForTerminal('x\u009by'), 'x\\xc2\\x9by', 'CSI as its two UTF-8 bytes');
  assert.is(escapeForTerminal(bytes(0xff, 0xfe, 0x6f, 0x6b)), '\\xff\\xfeok');
  assert.is(escapeForTerminal(decodeUtf8Lossless(bytes(0x61, 0xc3))), 'a\\xc3');
  assert.is(escapeForTerminal('plain text, back\\slashes, ünïcödé ✓ 😀'), 'plain text, back\\slashes, ünïcödé ✓ 😀', 'printable text is untouched');
});

s('JSON strings escape like bpftrace and replace invalid bytes with U+FFFD', () => {
  // bpftrace -f json -e 'BEGIN { printf("hi \"there\"\t\x01\\\n"); exit(); }'
  // {"type": "printf", "data": "hi \"there\"\t\u0001\\\n"}
  assert.is(jsonString('hi "there"\t\x01\\\n'), '"hi \\"there\\"\\t\\u0001\\\\\\n"');
  assert.is(jsonString('\x1b\x08\x0c\x7f'), '"\\u001b\\u0008\\u000c\x7f"');
  assert.is(jsonString(bytes(0x61, 0xff, 0x62)), '"a\ufffdb"');
  assert.is(jsonString('😀 ✓'), '"😀 ✓"');
  assert.is(JSON.parse(jsonString(bytes(0xc0, 0x0a, 0x22, 0xed, 0xa0, 0x80))), '\ufffd\n"\ufffd\ufffd\ufffd');
  assert.is(toWellFormed('a\udcffb\ud83d\ude00'), 'a\ufffdb\ud83d\ude00');
});

s('string keys with invalid bytes still sort bytewise', () => {
  const fields = [{ kind: 'string' as const, offset: 0, size: 8 }];
  const a = decodeUtf8Lossless(bytes(0x61, 0xff));
  const b = decodeUtf8Lossless(bytes(0x61, 0xc3, 0xa9)); // "aé"
  assert.is(compareKeys([b], [a], fields) < 0, true, '0xc3 sorts before 0xff');
  assert.is(compareKeys([a], ['a'], fields) > 0, true);
});

s.run();
