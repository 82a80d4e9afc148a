// The little of the C preprocessor that bpftrace scripts rely on, outside blocks: `#include` lines are
// skipped (kernel types come from BTF), `#ifdef`/`#ifndef`/`#else`/`#endif` choose lines
// (`BPFTRACE_HAVE_BTF` is defined: tsbt always reads types from BTF), and `#define NAME value` defines
// an object-like macro that the lexer expands inside blocks. The lexer owns the state; this file reads
// directives.

import { isSpace, isWordChar, isWordStart } from './lookahead.ts';

/** Defined before the script starts, as bpftrace defines it when the kernel has BTF. */
export const PREDEFINED_MACROS: ReadonlySet<string> = new Set(['BPFTRACE_HAVE_BTF']);

export interface Directive {
  /** `include`, `define`, `ifdef`...; '' when `#` is followed by no word. */
  name: string;
  /** The end of `#name`. */
  nameEnd: number;
  /** Offsets of the `#` and of the end of the line (the `\n`, or the end of the text). */
  start: number;
  lineEnd: number;
  /** The word after the directive's name (`#ifdef X`, `#define X`), and where it is. */
  arg?: { text: string; start: number; end: number };
  /** `#define X(a) ...`: a function-like macro. */
  functionLike?: boolean;
  /** `#define X value`: the value's text range, without the spaces around it (and without a `//` comment). */
  body?: { start: number; end: number };
}

/** Reads the directive whose `#` is at `start`. */
export function readDirective(text: string, start: number): Directive {
  const nl = text.indexOf('\n', start);
  const lineEnd = nl < 0 ? text.length : nl;
  let i = skipSpaces(text, start + 1, lineEnd);
  const nameStart = i;
  while (i < lineEnd && isWordChar(text.charCodeAt(i))) i++;
  const directive: Directive = { name: text.slice(nameStart, i), nameEnd: i, start, lineEnd };
  i = skipSpaces(text, i, lineEnd);
  if (i < lineEnd && isWordStart(text.charCodeAt(i))) {
    const argStart = i;
    while (i < lineEnd && isWordChar(text.charCodeAt(i))) i++;
    directive.arg = { text: text.slice(argStart, i), start: argStart, end: i };
    if (text[i] === '(') directive.functionLike = true;
    let bodyEnd = text.indexOf('//', i);
    if (bodyEnd < 0 || bodyEnd > lineEnd) bodyEnd = lineEnd;
    while (bodyEnd > i && isSpace(text.charCodeAt(bodyEnd - 1))) bodyEnd--;
    directive.body = { start: skipSpaces(text, i, bodyEnd), end: bodyEnd };
  }
  return directive;
}

/** Directives tsbt reads (outside blocks). */
export const DIRECTIVES: ReadonlySet<string> = new Set(['include', 'define', 'undef', 'ifdef', 'ifndef', 'else', 'endif']);

/** The offset of the first `#` that starts a line (after spaces) at or after `from`, or -1. */
export function nextDirectiveLine(text: string, from: number): number {
  let lineStart = from;
  while (lineStart < text.length) {
    const i = skipSpaces(text, lineStart, text.length);
    if (text[i] === '#') return i;
    const nl = text.indexOf('\n', i);
    if (nl < 0) return -1;
    lineStart = nl + 1;
  }
  return -1;
}

function skipSpaces(text: string, i: number, end: number): number {
  while (i < end && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i++;
  return i;
}
