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
      value += String.fromCharCode(parseInt(text.slice(i + 1, j), 8) & 0xff);
      i = j;
    } else if (e === 'x' && isHex(text[i + 2])) {
      const j = isHex(text[i + 3]) ? i + 4 : i + 3;
      value += String.fromCharCode(parseInt(text.slice(i + 2, j), 16));
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

/** A decimal (`1_000`) or hex (`0x1f`) integer literal starting at a digit at `start`. */
export function scanInteger(text: string, start: number): ScannedLiteral<bigint> {
  const hex = text[start] === '0' && (text[start + 1] === 'x' || text[start + 1] === 'X');
  let i = hex ? start + 2 : start;
  while (hex ? isHex(text[i]) || text[i] === '_' : isDigit(text[i]) || text[i] === '_') i++;
  const digits = text.slice(hex ? start + 2 : start, i).replace(/_/g, '');
  // Letters glued to a number (`12ab`, `0x`, `0xfg`) make one bad literal, reported once.
  let end = i;
  while (isWordChar(text[end])) end++;
  const span = { start, end };
  const literal = text.slice(start, end);
  if (end > i || digits === '') {
    const hint = hex ? 'hex literals are written `0x` followed by the digits 0-9 and a-f' : 'a name cannot start with a digit';
    return { end, value: 0n, diagnostics: [error(`invalid number \`${literal}\``, span, hint)] };
  }
  const value = BigInt(hex ? `0x${digits}` : digits);
  if (value > MAX_U64) {
    return { end, value: 0n, diagnostics: [error(`number \`${literal}\` does not fit in 64 bits`, span, 'the largest integer is 0xffff_ffff_ffff_ffff')] };
  }
  return { end, value, diagnostics: [] };
}
