// Parsing printf format strings: C's syntax, restricted to the conversions bpftrace supports. It is
// part of the language, so it lives with the grammar: the compiler checks arguments with it, the
// runtime formats events with it.

/** What a conversion expects as its argument. */
export type PrintfArgKind = 'int' | 'string' | 'char' | 'pointer' | 'buffer';

export type LengthModifier = '' | 'hh' | 'h' | 'l' | 'll' | 'j' | 'z' | 't';

export interface PrintfFlags {
  /** `-`: pad on the right. */
  left: boolean;
  /** `0`: pad numbers with zeros (ignored with `-` or with a precision). */
  zero: boolean;
  /** `+`: always show a sign on signed conversions. */
  plus: boolean;
  /** ` `: a space where a plus sign would go. */
  space: boolean;
  /** `#`: `0x` before hex, a leading 0 in octal. */
  alternate: boolean;
}

export interface PrintfConversion {
  /** Where the conversion is in the format string: its `%` and one past its last character. */
  start: number;
  end: number;
  /** The conversion: one of `d i u o x X c s p`, or bpftrace's `r rx rh` for buf() values. */
  conversion: string;
  argKind: PrintfArgKind;
  flags: PrintfFlags;
  width?: number;
  precision?: number;
  length: LengthModifier;
}

/** Literal text (with `%%` already turned into `%`) or a conversion. */
export type PrintfPiece = string | PrintfConversion;

export interface PrintfFormat {
  pieces: PrintfPiece[];
  /** The conversions in order: one argument each. */
  conversions: PrintfConversion[];
}

/** A format string problem, with the span (in the format string) to underline. */
export interface PrintfFormatError {
  message: string;
  start: number;
  end: number;
  hint?: string;
}

export type PrintfParseResult = { ok: true; format: PrintfFormat } | { ok: false; error: PrintfFormatError };

const ARG_KINDS: Record<string, PrintfArgKind> = {
  d: 'int', i: 'int', u: 'int', o: 'int', x: 'int', X: 'int',
  c: 'char', s: 'string', p: 'pointer', r: 'buffer',
};

const SUPPORTED = 'supported conversions: %d %i %u %o %x %X %c %s %p, %r %rx %rh for buf() and %% for a percent sign';

export function parsePrintfFormat(format: string): PrintfParseResult {
  const pieces: PrintfPiece[] = [];
  const conversions: PrintfConversion[] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      text += format.slice(i);
      break;
    }
    text += format.slice(i, percent);
    const parsed = parseConversion(format, percent);
    if ('message' in parsed) return { ok: false, error: parsed };
    i = parsed.end;
    if ('percentSign' in parsed) {
      text += '%';
      continue;
    }
    if (text) pieces.push(text);
    text = '';
    pieces.push(parsed);
    conversions.push(parsed);
  }
  if (text) pieces.push(text);
  return { ok: true, format: { pieces, conversions } };
}

// Reads `%[flags][width][.precision][length]conversion` starting at the `%`.
function parseConversion(
  format: string,
  start: number,
): PrintfConversion | PrintfFormatError | { percentSign: true; end: number } {
  let i = start + 1;
  const flags: PrintfFlags = { left: false, zero: false, plus: false, space: false, alternate: false };
  for (; ; i++) {
    const c = format[i];
    if (c === '-') flags.left = true;
    else if (c === '0') flags.zero = true;
    else if (c === '+') flags.plus = true;
    else if (c === ' ') flags.space = true;
    else if (c === '#') flags.alternate = true;
    else break;
  }
  const width = readNumber(format, i);
  i = width.end;
  let precision: number | undefined;
  if (format[i] === '.') {
    const p = readNumber(format, i + 1);
    precision = p.value ?? 0; // a lone `.` means precision 0, as in C
    i = p.end;
  }
  if (format[i] === '*') {
    return { message: '`*` widths and precisions are not supported', start, end: i + 1, hint: 'write the number in the format string' };
  }
  const length = readLength(format, i);
  i += length.length;
  const conversion = format[i];
  if (conversion === undefined) {
    return { message: 'incomplete conversion at the end of the format string', start, end: i, hint: 'write %% for a percent sign' };
  }
  // bpftrace's buffer conversions: %r, and %rx / %rh for all-hex forms.
  const variant = conversion === 'r' && (format[i + 1] === 'x' || format[i + 1] === 'h') ? format[i + 1]! : '';
  const end = i + 1 + variant.length;
  if (conversion === '%') return { percentSign: true, end }; // glibc ignores flags and width on %%
  const spec = format.slice(start, end);
  const argKind = ARG_KINDS[conversion];
  if (!argKind) {
    if ('aAeEfFgG'.includes(conversion)) {
      return {
        message: 'floating-point conversions are not supported: BPF (and so bpftrace and tsbt) has no floating-point numbers',
        start, end, hint: 'print a scaled integer instead, e.g. printf("%d.%02d", $x / 100, $x % 100)',
      };
    }
    return { message: `unknown conversion \`${spec}\``, start, end, hint: SUPPORTED };
  }
  if (length && (argKind === 'string' || argKind === 'char' || argKind === 'buffer')) {
    return { message: `length modifier \`${length}\` cannot apply to %${conversion}`, start, end, hint: `write %${conversion}` };
  }
  return { start, end, conversion: conversion + variant, argKind, flags, width: width.value, precision, length };
}

function readNumber(format: string, start: number): { value?: number; end: number } {
  let end = start;
  while (end < format.length && format[end] >= '0' && format[end] <= '9') end++;
  return end > start ? { value: Number(format.slice(start, end)), end } : { end };
}

function readLength(format: string, i: number): LengthModifier {
  for (const m of ['hh', 'h', 'll', 'l', 'j', 'z', 't'] as const) if (format.startsWith(m, i)) return m;
  return '';
}
