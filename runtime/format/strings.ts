// Traced strings are bytes, not text: they may hold terminal escape sequences and invalid UTF-8.
//
// We decode them *losslessly*: valid UTF-8 becomes the characters it encodes, and every byte that is
// not part of a valid UTF-8 sequence becomes the lone surrogate U+DC80 + (byte - 0x80) (Python's
// "surrogateescape"; only bytes >= 0x80 can be invalid). So no information is lost, `textToBytes`
// gives the original bytes back, and each renderer decides what to do with bad bytes: the text
// renderer escapes them as `\xNN`, the JSON renderer writes U+FFFD.

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

const ESCAPE_BASE = 0xdc00; // U+DC80 .. U+DCFF stand for the bytes 0x80 .. 0xFF

/** Bytes → text, keeping bytes that are not valid UTF-8 as lone surrogates U+DC80..U+DCFF. */
export function decodeUtf8Lossless(bytes: Uint8Array): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return decodeSlow(bytes);
  }
}

/** The bytes a losslessly decoded string came from (other lone surrogates encode as U+FFFD). */
export function textToBytes(text: string): Uint8Array {
  if (!hasEscapedByte(text)) return utf8Encoder.encode(text);
  const out: number[] = [];
  let run = '';
  const flush = () => {
    if (run) out.push(...utf8Encoder.encode(run));
    run = '';
  };
  for (let i = 0; i < text.length; i++) {
    const byte = escapedByte(text, i);
    if (byte === undefined) {
      run += text[i];
      continue;
    }
    flush();
    out.push(byte);
  }
  flush();
  return Uint8Array.from(out);
}

/** The byte a lone surrogate at `i` stands for, if it is one of ours. */
export function escapedByte(text: string, i: number): number | undefined {
  const c = text.charCodeAt(i);
  if (c < 0xdc80 || c > 0xdcff) return undefined;
  if (i > 0) {
    const prev = text.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) return undefined; // second half of a real pair
  }
  return c - ESCAPE_BASE;
}

export interface EscapeOptions {
  /** Print strings as they are (bytes that are not UTF-8 become U+FFFD when written out). */
  raw?: boolean;
}

/**
 * A traced string made safe to print on a terminal, one escape per offending byte:
 * - C0 control characters and DEL (U+0000..U+001F, U+007F) → `\xNN`: `\x1b`, `\x0a`, `\x09`;
 * - C1 control characters (U+0080..U+009F, which 8-bit terminals also obey) → the `\xNN` of their two
 *   UTF-8 bytes: U+009B (CSI) → `\xc2\x9b`;
 * - bytes that are not valid UTF-8 → `\xNN`: 0xFF → `\xff`;
 * - everything else, backslashes included, is kept as it is, so a string with nothing to escape
 *   prints exactly as bpftrace prints it (bpftrace itself escapes nothing).
 * Hex digits are lowercase. Takes the raw bytes or a string decoded with decodeUtf8Lossless.
 */
export function escapeForTerminal(s: string | Uint8Array): string {
  const text = typeof s === 'string' ? s : decodeUtf8Lossless(s);
  if (!needsEscape(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const byte = escapedByte(text, i);
    if (byte !== undefined) out += hexByte(byte);
    else if (c < 0x20 || c === 0x7f) out += hexByte(c);
    else if (c >= 0x80 && c <= 0x9f) out += hexByte(0xc0 | (c >> 6)) + hexByte(0x80 | (c & 0x3f));
    else out += text[i];
  }
  return out;
}

/** A string as the text renderer prints it: escaped unless `raw`. */
export function displayString(s: string, options?: EscapeOptions): string {
  return options?.raw || rendered.has(s) ? s : escapeForTerminal(s);
}

/**
 * Text tsbt made itself (a symbolized stack: its newlines are layout, its names already escaped), which
 * must not be escaped again. Bounded by the number of distinct stacks a session prints.
 */
const rendered = new Set<string>();

export function markRendered(text: string): string {
  rendered.add(text);
  return text;
}

/** The text with every escaped byte (and any other lone surrogate) replaced by U+FFFD. */
export function toWellFormed(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] + text[i + 1];
        i++;
        continue;
      }
      out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += text[i];
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f-\u009f\udc80-\udcff]/;

function needsEscape(text: string): boolean {
  return NEEDS_ESCAPE.test(text);
}

function hasEscapedByte(text: string): boolean {
  return /[\udc80-\udcff]/.test(text);
}

function hexByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

// The slow path: walk the bytes, copy each valid UTF-8 sequence, escape each byte that starts none.
function decodeSlow(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = validSequenceLength(bytes, i);
    if (len === 0) {
      out += String.fromCharCode(ESCAPE_BASE + bytes[i]);
      i++;
    } else {
      out += fatalUtf8.decode(bytes.subarray(i, i + len));
      i += len;
    }
  }
  return out;
}

// Length of the well-formed UTF-8 sequence starting at i (Unicode table 3-7), or 0 if none does.
function validSequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i];
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < b.length && b[i + j] >= lo && b[i + j] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
