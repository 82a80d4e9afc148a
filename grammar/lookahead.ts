// Pure functions over the raw text, used by the lexer: character classes, skipping spaces and comments,
// the extent of a probe spec, and the look-ahead behind the rule for `>` (docs/language.md, "Blocks:
// `< >` versus comparison").

import { isBareProbe, isProbeTypeWord } from './probe-spec.ts';

export const isWordStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
export const isWordChar = (c: number) => isWordStart(c) || (c >= 48 && c <= 57);
export const isDigit = (c: number) => c >= 48 && c <= 57;
export const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
/** Keywords that start a statement (or `struct`, which only follows a `(`): never an operand. */
const STATEMENT_KEYWORDS = new Set(['if', 'else', 'while', 'for', 'unroll', 'let', 'break', 'continue', 'return', 'struct']);
/** Characters that can begin an operand (and `++`): what may follow a `>` that is greater-than. */
const OPERAND_START = new Set(['"', '@', '$', '(', '!', '-', '~', '*', '&']);
/** Where a probe spec ends (a `/` inside it is part of a path; `//` starts a comment). */
const SPEC_END = new Set([',', '{', '}', '<', '>', ';', '(', ')', '"']);

/**
 * Where a probe spec that has a `:` at `colon` ends: at a space, a delimiter or a comment. A `/` belongs
 * to the spec only inside a part that is a path (starts with `/` or `.`), so that
 * `uprobe:/bin/bash:readline` stays whole while `kprobe:f/pid == 1/` is a spec and a filter.
 */
export function specEnd(text: string, colon: number): number {
  let partStart = colon + 1;
  let end = colon;
  for (; end < text.length; end++) {
    const c = text[end]!;
    if (isSpace(text.charCodeAt(end)) || SPEC_END.has(c) || text.startsWith('//', end)) break;
    if (c === ':') partStart = end + 1;
    else if (c === '/' && text[partStart] !== '/' && text[partStart] !== '.') break;
  }
  return end;
}

/** The offset after any spaces and comments at `pos`; `openComment` is set if a `/*` is never closed. */
export function skipTrivia(text: string, pos: number): { pos: number; openComment?: number } {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (isSpace(c)) pos++;
    else if (c === 47 && text.charCodeAt(pos + 1) === 47) {
      const nl = text.indexOf('\n', pos);
      pos = nl < 0 ? text.length : nl;
    } else if (c === 47 && text.charCodeAt(pos + 1) === 42) {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0) return { pos: text.length, openComment: pos };
      pos = close + 2;
    } else return { pos };
  }
}

export function wordAt(text: string, pos: number): string {
  let end = pos;
  while (isWordChar(text.charCodeAt(end))) end++;
  return text.slice(pos, end);
}

/** Whether only spaces and comments follow `pos` on its line (a block comment may run past the line end). */
export function endsLine(text: string, pos: number): boolean {
  const next = skipTrivia(text, pos).pos;
  const newline = text.indexOf('\n', pos);
  return newline >= 0 && newline < next;
}

/**
 * Whether the text at `pos` cannot be the right operand of a `>`, so that a `>` before it closes a
 * block: end of input, a token that cannot start an expression, a statement keyword (`if`, `else`,
 * `while`...), or a probe header.
 */
export function cannotBeOperand(text: string, pos: number): boolean {
  const at = skipTrivia(text, pos).pos;
  if (at >= text.length) return true;
  const c = text.charCodeAt(at);
  if (isWordStart(c)) {
    const word = wordAt(text, at);
    if (STATEMENT_KEYWORDS.has(word)) return true;
    const after = at + word.length;
    if (text[after] === ':' && isProbeTypeWord(word)) return true;
    if (isBareProbe(word)) {
      const next = text[skipTrivia(text, after).pos];
      return next === '<' || next === '{' || next === ',' || next === '/';
    }
    return false;
  }
  if (text.startsWith('++', at)) return false;
  return !isDigit(c) && !OPERAND_START.has(text[at]!);
}

/** Whether the text at `pos` is one or more `*` and then `)` (spaces and comments between): `task_struct *)`. */
export function starsThenCloseParen(text: string, pos: number): boolean {
  let at = skipTrivia(text, pos).pos;
  if (text[at] !== '*') return false;
  while (text[at] === '*') at = skipTrivia(text, at + 1).pos;
  return text[at] === ')';
}
