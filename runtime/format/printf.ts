// printf as bpftrace does it: glibc's snprintf with each integer first cast to the C type its
// length modifier names, so `%d`/`%x` see 32 bits, `%hd` 16, `%hhd` 8 and `%ld`/`%lld`/`%zd`… 64.
// Output is built as bytes: widths and precisions count bytes, and `%c` writes one raw byte.
import type { PrintfArg } from './model.ts';
import { parsePrintfFormat, type LengthModifier, type PrintfConversion, type PrintfFormat } from '../../grammar/printf-format.ts';
import { decodeUtf8Lossless, escapeForTerminal, textToBytes } from './strings.ts';
import { renderBuffer, type BufferStyle } from './buffer.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const parsedFormats = new Map<string, PrintfFormat>();

export interface PrintfOptions {
  /**
   * Escape each `%s` argument for the terminal (strings.ts's escapeForTerminal: control characters and
   * invalid UTF-8 become `\xNN`), after its precision cut it and before its width pads it. The format
   * text itself is the script's own and is never escaped.
   */
  escapeStrings?: boolean;
  /**
   * Decode the output losslessly (strings.ts's decodeUtf8Lossless): bytes that are not UTF-8 stay as
   * lone surrogates that textToBytes turns back into the same bytes, instead of becoming U+FFFD.
   */
  lossless?: boolean;
}

/** printf's output as text (bytes that are not valid UTF-8 become U+FFFD unless `lossless`; formatPrintfBytes keeps them). */
export function formatPrintf(format: string, args: PrintfArg[], options: PrintfOptions = {}): string {
  const bytes = formatPrintfBytes(format, args, options);
  return options.lossless ? decodeUtf8Lossless(bytes) : utf8Decoder.decode(bytes);
}

/** printf's output as the exact bytes bpftrace writes. Throws if the format is invalid or the arguments do not fit it (the compiler checks both). */
export function formatPrintfBytes(format: string, args: PrintfArg[], options: PrintfOptions = {}): Uint8Array {
  const parsed = parsedFormat(format);
  if (args.length !== parsed.conversions.length) {
    throw new Error(`printf format "${format}" takes ${parsed.conversions.length} arguments, got ${args.length}`);
  }
  const out: Uint8Array[] = [];
  let next = 0;
  for (const piece of parsed.pieces) {
    out.push(typeof piece === 'string' ? textToBytes(piece) : formatConversion(piece, args[next++], options.escapeStrings === true));
  }
  return concat(out);
}

function parsedFormat(format: string): PrintfFormat {
  let parsed = parsedFormats.get(format);
  if (!parsed) {
    const result = parsePrintfFormat(format);
    if (!result.ok) throw new Error(`invalid printf format "${format}": ${result.error.message}`);
    parsed = result.format;
    parsedFormats.set(format, parsed);
  }
  return parsed;
}

/** One conversion's bytes. bpftrace copies each piece out of a C buffer, so it ends at the first NUL (`%c` of 0 prints nothing). */
function formatConversion(conv: PrintfConversion, arg: PrintfArg, escape: boolean): Uint8Array {
  let body: Uint8Array;
  switch (conv.argKind) {
    case 'int':
      body = ascii(formatInteger(conv, intArg(conv, arg)));
      break;
    case 'pointer':
      body = ascii(formatPointer(conv, intArg(conv, arg)));
      break;
    case 'char':
      body = Uint8Array.of(Number(BigInt.asUintN(8, intArg(conv, arg))));
      break;
    case 'buffer':
      // Pure ASCII (hex escapes for everything else): nothing left for terminal escaping to do.
      body = ascii(renderBuffer(bufferArg(conv, arg), conv.conversion as BufferStyle));
      break;
    case 'string': {
      const bytes = stringArg(arg);
      body = conv.precision === undefined ? bytes : bytes.subarray(0, conv.precision);
      // As bpftrace, the piece ends at its first NUL; escaping would turn that NUL into `\x00`.
      if (escape) body = utf8Encoder.encode(escapeForTerminal(cutAtNul(body)));
      break;
    }
  }
  const padded = pad(body, conv.width ?? 0, conv.flags.left);
  const nul = padded.indexOf(0);
  return nul < 0 ? padded : padded.subarray(0, nul);
}

function formatInteger(conv: PrintfConversion, arg: bigint): string {
  const signed = conv.conversion === 'd' || conv.conversion === 'i';
  const bits = lengthBits(conv.length);
  const value = signed ? BigInt.asIntN(bits, arg) : BigInt.asUintN(bits, arg);
  const magnitude = value < 0n ? -value : value;
  let digits = withPrecision(magnitude.toString(radix(conv.conversion)), magnitude, conv.precision);
  if (conv.conversion === 'X') digits = digits.toUpperCase();
  let prefix = signed ? signPrefix(conv, value < 0n) : '';
  if (conv.flags.alternate) {
    if (conv.conversion === 'o' && !digits.startsWith('0')) digits = '0' + digits;
    if (conv.conversion === 'x' && magnitude !== 0n) prefix = '0x';
    if (conv.conversion === 'X' && magnitude !== 0n) prefix = '0X';
  }
  return zeroPad(conv, prefix, digits);
}

// glibc prints %p as `(nil)` for 0, else like %#lx, honouring sign flags and zero padding.
function formatPointer(conv: PrintfConversion, arg: bigint): string {
  const address = BigInt.asUintN(64, arg);
  if (address === 0n) return '(nil)';
  const digits = withPrecision(address.toString(16), address, conv.precision);
  return zeroPad(conv, signPrefix(conv, false) + '0x', digits);
}

/** Bits of the C type a length modifier names on x86-64/arm64: no modifier means int. */
function lengthBits(length: LengthModifier): number {
  switch (length) {
    case 'hh': return 8;
    case 'h': return 16;
    case '': return 32;
    default: return 64;
  }
}

function radix(conversion: string): number {
  return conversion === 'o' ? 8 : conversion === 'x' || conversion === 'X' ? 16 : 10;
}

// The precision is a minimum digit count; precision 0 prints the value 0 as no digits at all.
function withPrecision(digits: string, magnitude: bigint, precision: number | undefined): string {
  if (precision === undefined) return digits;
  if (precision === 0 && magnitude === 0n) return '';
  return digits.padStart(precision, '0');
}

function signPrefix(conv: PrintfConversion, negative: boolean): string {
  return negative ? '-' : conv.flags.plus ? '+' : conv.flags.space ? ' ' : '';
}

// `0` pads between the sign/0x and the digits, unless `-` or a precision overrides it.
function zeroPad(conv: PrintfConversion, prefix: string, digits: string): string {
  const width = conv.width ?? 0;
  if (!conv.flags.zero || conv.flags.left || conv.precision !== undefined) return prefix + digits;
  return prefix + digits.padStart(width - prefix.length, '0');
}

function pad(body: Uint8Array, width: number, left: boolean): Uint8Array {
  if (body.length >= width) return body;
  const out = new Uint8Array(width).fill(0x20);
  out.set(body, left ? 0 : width - body.length);
  return out;
}

function intArg(conv: PrintfConversion, arg: PrintfArg): bigint {
  if (typeof arg === 'object' && !(arg instanceof Uint8Array) && arg.kind === 'symbolic') return arg.value;
  if (typeof arg !== 'bigint') throw new TypeError(`printf %${conv.conversion} needs an integer argument`);
  return arg;
}

function bufferArg(conv: PrintfConversion, arg: PrintfArg): Uint8Array {
  if (typeof arg === 'object' && 'kind' in arg && arg.kind === 'buffer') return arg.bytes;
  throw new TypeError(`printf %${conv.conversion} needs a buf() argument`);
}

// %s of an integer prints it in decimal, as newer bpftrace allows; of an enum, its name. A string
// decoded losslessly (decode.ts) gives back the bytes it came from.
function stringArg(arg: PrintfArg): Uint8Array {
  if (arg instanceof Uint8Array) return arg;
  if (typeof arg === 'object') return utf8Encoder.encode(arg.kind === 'buffer' ? renderBuffer(arg.bytes) : arg.text);
  return typeof arg === 'bigint' ? utf8Encoder.encode(arg.toString()) : textToBytes(arg);
}

function cutAtNul(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

function ascii(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
