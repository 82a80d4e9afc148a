// Scanning of string and integer literals: their extent, their value, and what is wrong with them.

import { error, type Diagnostic } from './diagnostics.ts';

export interface ScannedLiteral<T> {
  /** Offset just past the literal. */
  end: number;
  value: T;
  diagnostics: Diagnostic[];
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v',
};

/**
 * The character standing for the byte an escape (`\xNN`, `\NNN`) gives. Bytes from 0x80 up become the
 * lone surrogates U+DC80..U+DCFF (runtime/format/strings.ts's lossless convention), so that `"\xff"`
 * is the one byte 0xff and not the UTF-8 encoding of U+00FF; literalBytes() turns them back.
 */
function escapedByte(byte: number): string {
  return String.fromCharCode(byte < 0x80 ? byte : 0xdc00 + byte);
}

/** The bytes of a string literal's value: UTF-8, with escaped bytes as they were written. */
export function literalBytes(value: string): Uint8Array {
  if (!/[\udc80-\udcff]/.test(value)) return new TextEncoder().encode(value);
  const out: number[] = [];
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xdc80 && c <= 0xdcff) out.push(c - 0xdc00);
    else out.push(...new TextEncoder().encode(ch));
  }
  return Uint8Array.from(out);
}

const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * A string literal starting at the `"` at `start`. Strings end at the end of their line: a string that
 * is not closed there is reported and ends there, so one missing `"` does not swallow the script.
 */
export function scanString(text: string, start: number): ScannedLiteral<string> {
  const diagnostics: Diagnostic[] = [];
  let value = '';
  let i = start + 1;
  for (;;) {
    const c = text[i];
    if (c === undefined || c === '\n' || (c === '\\' && (i + 1 >= text.length || text[i + 1] === '\n'))) {
      diagnostics.push(error('unterminated string', { start, end: i }, 'close it with `"` on the same line (write `\\n` for a newline)'));
      return { end: i, value, diagnostics };
    }
    if (c === '"') return { end: i + 1, value, diagnostics };
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1]!;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      value += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (isOctal(e)) {
      let j = i + 1;
      while (j < i + 4 && isOctal(text[j])) j++;
      value += escapedByte(parseInt(text.slice(i + 1, j), 8) & 0xff);
      i = j;
    } else if (e === 'x' && isHex(text[i + 2])) {
      const j = isHex(text[i + 3]) ? i + 4 : i + 3;
      value += escapedByte(parseInt(text.slice(i + 2, j), 16));
      i = j;
    } else {
      const what = e === 'x' ? '`\\x` needs one or two hex digits after it' : `unknown escape \`\\${e}\` in string`;
      diagnostics.push(error(what, { start: i, end: i + 2 }, 'write `\\\\` for a backslash; known escapes are \\n \\t \\r \\\\ \\" \\0 \\xNN and octal \\NNN'));
      value += e;
      i += 2;
    }
  }
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isWordChar = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const MAX_U64 = (1n << 64n) - 1n;

/** C's integer suffixes, accepted and ignored as bpftrace does: `123U`, `123UL`, `123LL`. */
const INT_SUFFIX = /^(?:[uU]|[uU]?[lL]{1,2})$/;
/** Duration suffixes: the literal is that many nanoseconds (`1ms` is 1000000). */
const DURATION_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n,
};

/**
 * An integer literal starting at a digit at `start`: decimal `1_000`, hex `0x1f`, octal `0777`,
 * scientific `1e6` (integers only), with an optional C suffix (`10UL`, ignored) or a duration suffix
 * (`5ms` → nanoseconds). `afterDot`: the literal follows a `.` (a tuple index, `$t.0.1`), so a `.`
 * after it is not a decimal point.
 */
export function scanInteger(text: string, start: number, afterDot = false): ScannedLiteral<bigint> {
  const hex = text[start] === '0' && (text[start + 1] === 'x' || text[start + 1] === 'X');
  let i = hex ? start + 2 : start;
  while (hex ? isHex(text[i]) || text[i] === '_' : isDigit(text[i]) || text[i] === '_') i++;
  const digits = text.slice(hex ? start + 2 : start, i).replace(/_/g, '');
  let exponent: string | undefined;
  if (!hex && (text[i] === 'e' || text[i] === 'E') && isDigit(text[i + 1])) {
    let j = i + 1;
    while (isDigit(text[j])) j++;
    exponent = text.slice(i + 1, j);
    i = j;
  }
  // Letters glued to a number (`12ab`, `0x`, `0xfg`) make one bad literal, reported once, unless they
  // are a suffix.
  let end = i;
  while (isWordChar(text[end])) end++;
  const suffix = text.slice(i, end);
  const fail = (message: string, hint?: string, to = end) =>
    ({ end: to, value: 0n, diagnostics: [error(message, { start, end: to }, hint)] });
  const literal = text.slice(start, end);
  if (!hex && !afterDot && text[end] === '.' && isDigit(text[end + 1])) {
    let to = end + 1;
    while (isWordChar(text[to])) to++;
    return fail(`\`${text.slice(start, to)}\` is not an integer`, 'floating-point numbers are not supported: BPF has no floating point', to);
  }
  if (!hex && (text[i] === 'e' || text[i] === 'E') && (text[i + 1] === '-' || text[i + 1] === '+') && isDigit(text[i + 2])) {
    let to = i + 2;
    while (isDigit(text[to])) to++;
    return fail(`\`${text.slice(start, to)}\` is not an integer`, 'scientific notation is for integers only: `2e3` is 2000, `1e-3` has no integer value', to);
  }
  const isDuration = !hex && Object.hasOwn(DURATION_NS, suffix);
  if ((suffix !== '' && !INT_SUFFIX.test(suffix) && !isDuration) || digits === '') {
    const hint = hex ? 'hex literals are written `0x` followed by the digits 0-9 and a-f'
      : /^[0-9]/.test(suffix) || suffix === '' ? undefined
      : 'a name cannot start with a digit; a number may end in a duration (`ns` `us` `ms` `s` `m` `h` `d`) or a C suffix (`U` `L` `UL` `LL` `ULL`)';
    return fail(`invalid number \`${literal}\``, hint);
  }
  const octal = !hex && exponent === undefined && digits.length > 1 && digits[0] === '0';
  if (octal && /[89]/.test(digits)) {
    return fail(`invalid octal number \`${literal}\``, `a number starting with 0 is octal (digits 0-7); for decimal write \`${digits.replace(/^0+(?=.)/, '')}\``);
  }
  let value = BigInt(hex ? `0x${digits}` : octal ? `0o${digits}` : digits);
  // 10^20 already overflows: cap the power so that `1e999999999` costs nothing.
  if (exponent !== undefined && value !== 0n) value *= 10n ** BigInt(Math.min(Number(exponent), 20));
  if (isDuration) value *= DURATION_NS[suffix]!;
  if (value > MAX_U64) {
    return fail(`number \`${literal}\` does not fit in 64 bits`, 'the largest integer is 0xffff_ffff_ffff_ffff');
  }
  return { end, value, diagnostics: [] };
}
