// printf formatting and format-string parsing. Each golden string was printed by bpftrace v0.17.0
// on a real kernel for the command above it (bpftrace -e 'BEGIN { printf(...); exit(); }').
// 0.17 rejects the `+`, ` ` and `#` flags and `%i`; for those the expected text is glibc's printf,
// which newer bpftrace accepts them for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatPrintf, formatPrintfBytes, parsePrintfFormat } from '../../runtime/format/index.ts';

const t = suite('format: printf output (golden, bpftrace 0.17)');

t('the basics', () => {
  // printf("%5d|%-5s|%x\n", 42, "ab", 255)
  assert.is(formatPrintf('%5d|%-5s|%x\n', [42n, 'ab', 255n]), '   42|ab   |ff\n');
});

t('int widths, flags and precision', () => {
  // printf("[%d] [%5d] [%-5d] [%05d] [%.3d] [%8.3d] [%-8.3d] [%.0d]\n", 42, 42, 42, 42, 42, 42, 42, 0)
  assert.is(
    formatPrintf('[%d] [%5d] [%-5d] [%05d] [%.3d] [%8.3d] [%-8.3d] [%.0d]\n', [42n, 42n, 42n, 42n, 42n, 42n, 42n, 0n]),
    '[42] [   42] [42   ] [00042] [042] [     042] [042     ] []\n',
  );
  // printf("[%d] [%5d] [%-5d] [%05d] [%.3d] [%8.3d]\n", -42, -42, -42, -42, -42, -42)
  assert.is(
    formatPrintf('[%d] [%5d] [%-5d] [%05d] [%.3d] [%8.3d]\n', [-42n, -42n, -42n, -42n, -42n, -42n]),
    '[-42] [  -42] [-42  ] [-0042] [-042] [    -042]\n',
  );
  // printf("[%08x] [%-08x] [%8.4x] [%08.4x] [%016lx]\n", 255, 255, 255, 255, -2)
  assert.is(
    formatPrintf('[%08x] [%-08x] [%8.4x] [%08.4x] [%016lx]\n', [255n, 255n, 255n, 255n, -2n]),
    '[000000ff] [ff      ] [    00ff] [    00ff] [fffffffffffffffe]\n',
  );
});

t('%u, %x and %o of a negative number: 32 bits without a length modifier, 64 with l', () => {
  // printf("[%u] [%x] [%X] [%o] [%lu] [%lx] [%lX] [%lo]\n", -1, -1, -1, -1, -1, -1, -1, -1)
  assert.is(
    formatPrintf('[%u] [%x] [%X] [%o] [%lu] [%lx] [%lX] [%lo]\n', Array(8).fill(-1n)),
    '[4294967295] [ffffffff] [FFFFFFFF] [37777777777] [18446744073709551615] [ffffffffffffffff] [FFFFFFFFFFFFFFFF] [1777777777777777777777]\n',
  );
});

t('length modifiers cast like C: none = int, h = short, hh = char, l ll z j t = 64 bits', () => {
  // printf("[%d] [%u] [%x] [%ld] [%lld] [%lu]\n", 5000000000, 5000000000, 5000000000, 5000000000, 5000000000, 5000000000)
  assert.is(
    formatPrintf('[%d] [%u] [%x] [%ld] [%lld] [%lu]\n', Array(6).fill(5000000000n)),
    '[705032704] [705032704] [2a05f200] [5000000000] [5000000000] [5000000000]\n',
  );
  // printf("[%hd] [%hu] [%hx] [%hhd] [%hhu] [%hhx]\n", 70000, 70000, 70000, 300, 300, 300)
  assert.is(
    formatPrintf('[%hd] [%hu] [%hx] [%hhd] [%hhu] [%hhx]\n', [70000n, 70000n, 70000n, 300n, 300n, 300n]),
    '[4464] [4464] [1170] [44] [44] [2c]\n',
  );
  // printf("[%zd] [%zu] [%jd] [%ju] [%td] [%tx]\n", -3, -3, -3, -3, -3, -3)
  assert.is(
    formatPrintf('[%zd] [%zu] [%jd] [%ju] [%td] [%tx]\n', Array(6).fill(-3n)),
    '[-3] [18446744073709551613] [-3] [18446744073709551613] [-3] [fffffffffffffffd]\n',
  );
});

t('a u64 argument above 2^63 prints negative with %ld, as bpftrace passes the raw 64 bits', () => {
  assert.is(formatPrintf('%ld %lu', [2n ** 64n - 1n, 2n ** 64n - 1n]), '-1 18446744073709551615');
});

t('strings: width, left alignment, precision', () => {
  // printf("[%s] [%10s] [%-10s] [%.2s] [%5.1s] [%-5.3s] [%.0s]\n", "hello", "hi", "hi", "hello", "hello", "hello", "hello")
  assert.is(
    formatPrintf('[%s] [%10s] [%-10s] [%.2s] [%5.1s] [%-5.3s] [%.0s]\n', ['hello', 'hi', 'hi', 'hello', 'hello', 'hello', 'hello']),
    '[hello] [        hi] [hi        ] [he] [    h] [hel  ] []\n',
  );
});

t('string widths and precisions count bytes, not characters', () => {
  // printf("[%-6s][%.1s][%4s]\n", "é", "é", "é")  → bytes [ c3 a9 ␠␠␠␠ ] [ c3 ] [ ␠␠ c3 a9 ]
  const bytes = formatPrintfBytes('[%-6s][%.1s][%4s]\n', ['é', new Uint8Array([0xc3, 0xa9]), 'é']);
  assert.equal([...bytes], [...Buffer.from('[\xc3\xa9    ][\xc3][  \xc3\xa9]\n', 'latin1')]);
});

t('%c prints the low byte; a NUL ends that piece of output', () => {
  // printf("[%c] [%3c] [%-3c] [%c]\n", 65, 66, 67, 353)
  assert.is(formatPrintf('[%c] [%3c] [%-3c] [%c]\n', [65n, 66n, 67n, 353n]), '[A] [  B] [C  ] [a]\n');
  // printf("<%-3c|%3c|%c>\n", 0, 0, 0)
  assert.is(formatPrintf('<%-3c|%3c|%c>\n', [0n, 0n, 0n]), '<|  |>\n');
  // printf("%c%c%c\n", 0xc3, 0xa9, 10)  → bytes c3 a9 0a 0a
  assert.equal([...formatPrintfBytes('%c%c%c\n', [0xc3n, 0xa9n, 10n])], [0xc3, 0xa9, 0x0a, 0x0a]);
});

t('%p', () => {
  // printf("[%p] [%p] [%18p] [%-10p]\n", 0, 4096, -1, 255)
  assert.is(
    formatPrintf('[%p] [%p] [%18p] [%-10p]\n', [0n, 4096n, -1n, 255n]),
    '[(nil)] [0x1000] [0xffffffffffffffff] [0xff      ]\n',
  );
});

t('%r, %rx and %rh print buf() values hex-escaped', () => {
  // printf("[%r][%rx][%rh]\n", buf("\x00\x7f\x80 ~", 5), buf("A", 1), buf("\x0a\xfe", 2))
  const buf = (...bytes: number[]) => ({ kind: 'buffer' as const, bytes: Uint8Array.from(bytes) });
  assert.is(formatPrintf('[%r][%rx][%rh]\n', [buf(0, 0x7f, 0x80, 0x20, 0x7e), buf(0x41), buf(0x0a, 0xfe)]), '[\\x00\\x7f\\x80 ~][\\x41][0a fe]\n');
  // A width pads like %s (bpftrace 0.17 does not parse `%8r`; newer versions format buffers through %s).
  assert.is(formatPrintf('[%6r][%-6r]', [buf(0x61, 0x62), buf(0x61, 0x62)]), '[    ab][ab    ]');
});

t('%% prints a percent sign and takes no argument', () => {
  // printf("50%% [%d%%] [%5x]\n", 7, 3054)
  assert.is(formatPrintf('50%% [%d%%] [%5x]\n', [7n, 3054n]), '50% [7%] [  bee]\n');
  // 0.17 prints text after the last conversion unformatted, so its `printf("100%%\n")` shows
  // `100%%`; we print what C (and the bpftrace docs) mean.
  assert.is(formatPrintf('100%%\n', []), '100%\n');
});

t('flags 0.17 rejects, as glibc prints them: + space # and %i', () => {
  assert.is(formatPrintf('[%+d] [% d] [%+d] [%+05d] [% 05d] [%i]', [5n, 5n, -5n, -5n, 5n, -7n]), '[+5] [ 5] [-5] [-0005] [ 0005] [-7]');
  assert.is(formatPrintf('[%#x] [%#X] [%#o] [%#x] [%#o] [%#08x] [%#.0o]', [255n, 255n, 8n, 0n, 0n, 255n, 0n]), '[0xff] [0XFF] [010] [0] [0] [0x0000ff] [0]');
  assert.is(formatPrintf('[%+u] [% x]', [5n, 5n]), '[5] [5]', 'sign flags do nothing on unsigned conversions');
});

t.run();

const p = suite('format: parsing printf formats');

p('each conversion says what argument it takes', () => {
  const result = parsePrintfFormat('%d %5.2lu %x %c %s %p %% %-08hhX %ds');
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.equal(
    result.format.conversions.map((c) => [c.conversion, c.argKind, c.length]),
    [['d', 'int', ''], ['u', 'int', 'l'], ['x', 'int', ''], ['c', 'char', ''], ['s', 'string', ''], ['p', 'pointer', ''], ['X', 'int', 'hh'], ['d', 'int', '']],
  );
  const hh = result.format.conversions[6];
  assert.equal([hh.flags.left, hh.flags.zero, hh.width, hh.precision], [true, true, 8, undefined]);
  const lu = result.format.conversions[1];
  assert.equal([lu.start, lu.end, lu.width, lu.precision], [3, 9, 5, 2]);
});

p('literal text keeps %% as one percent sign', () => {
  const result = parsePrintfFormat('a%%b%dc');
  assert.ok(result.ok);
  if (result.ok) assert.equal(result.format.pieces.filter((x) => typeof x === 'string'), ['a%b', 'c']);
});

p('unknown conversions are errors with a span, not exceptions', () => {
  assert.equal(parsePrintfFormat('ab %q'), {
    ok: false,
    error: {
      message: 'unknown conversion `%q`',
      start: 3,
      end: 5,
      hint: 'supported conversions: %d %i %u %o %x %X %c %s %p, %r %rx %rh for buf() and %% for a percent sign',
    },
  });
  const errors = ['%f', '%5.1e', 'x %', '%*d', '%ls', '%lc', '%n', '%lr'].map((f) => {
    const r = parsePrintfFormat(f);
    return r.ok ? 'ok' : r.error.message;
  });
  assert.equal(errors, [
    'floating-point conversions are not supported: BPF (and so bpftrace and tsbt) has no floating-point numbers',
    'floating-point conversions are not supported: BPF (and so bpftrace and tsbt) has no floating-point numbers',
    'incomplete conversion at the end of the format string',
    '`*` widths and precisions are not supported',
    'length modifier `l` cannot apply to %s',
    'length modifier `l` cannot apply to %c',
    'unknown conversion `%n`',
    'length modifier `l` cannot apply to %r',
  ]);
});

p('%r, %rx and %rh take a buf() value', () => {
  const result = parsePrintfFormat('%r|%rx|%rh|%ry');
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.equal(result.format.conversions.map((c) => [c.conversion, c.argKind]), [['r', 'buffer'], ['rx', 'buffer'], ['rh', 'buffer'], ['r', 'buffer']]);
  assert.equal(result.format.pieces.filter((x) => typeof x === 'string'), ['|', '|', '|', 'y']);
});

p('formatting with the wrong number of arguments throws (the compiler prevents it)', () => {
  assert.throws(() => formatPrintf('%d %d', [1n]), /takes 2 arguments, got 1/);
  assert.throws(() => formatPrintf('%y', []), /invalid printf format/);
});

p.run();
