// The grammar's entry point: source text → Program, or diagnostics. Never throws on bad input.

import type { IRecognitionException, IToken } from 'chevrotain';
import type { Program, ProbeBlock } from './ast.ts';
import { error, type Diagnostic } from './diagnostics.ts';
import { lex } from './lexer.ts';
import { parseProbe } from './parser.ts';
import type { SourceFile } from './source.ts';
import { syntaxError } from './syntax-errors.ts';
import * as T from './tokens.ts';

export type { Program } from './ast.ts';

/**
 * Parses a whole script. `program` is present only when there are no errors; every problem is a
 * Diagnostic with a span into `source`, sorted by position.
 */
export function parse(source: SourceFile): { program?: Program; diagnostics: Diagnostic[] } {
  const { tokens, diagnostics: lexErrors, truncated } = lex(source);
  if (truncated) return { diagnostics: lexErrors };
  if (tokens.length === 0) {
    if (lexErrors.length > 0) return { diagnostics: lexErrors };
    const hint = 'a program is one or more probes, each with a block: `BEGIN < printf("hello\\n"); >`';
    return { diagnostics: [error('no probes in the program', { start: 0, end: 0 }, hint)] };
  }
  const probes: ProbeBlock[] = [];
  const parseErrors: Diagnostic[] = [];
  // Each probe is parsed on its own, so an error in one never hides the errors of the next.
  for (const { start, end } of probeRanges(tokens)) {
    const result = parseProbe(tokens.slice(start, end));
    if (result === 'too-deep') {
      const hint = 'split the expression with variables: `$a = ...; $b = $a ...`';
      parseErrors.push(error('this probe is nested too deeply to parse', T.tokenSpan(tokens[start]!), hint));
      continue;
    }
    probes.push(result.probe);
    const context = { source, tokens, following: tokens[end] };
    // The lexer already reported the closer it had to insert; an error on reaching it says no more.
    const atRepair = (e: IRecognitionException) => T.isRepairToken(e.token) && lexErrors.some((l) => l.span.start === e.token.startOffset);
    const errors = result.syntaxErrors.filter((e) => !atRepair(e));
    const real = errors.filter((e) => e.name !== 'NotAllInputParsedException');
    const syntax = (real.length > 0 ? real : errors).map((e) => syntaxError(e, context));
    // Errors in nodes rebuilt by error recovery are not worth showing.
    parseErrors.push(...(syntax.length > 0 ? syntax : result.semanticErrors));
  }
  const diagnostics = [...lexErrors, ...firstPerStatement(parseErrors, tokens).filter((d) => !followsLexError(d, lexErrors, tokens))];
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { program: { kind: 'Program', probes, config: [], mapDecls: [], structs: [], span: { start: 0, end: source.text.length } }, diagnostics };
}

/**
 * Splits the tokens into probes: one ends with the `>` or `}` that closes its top-level block, and a
 * new one starts at a probe spec not preceded by `,` (so a probe missing its block stays separate).
 * The lexer has balanced every block, so depth counting is exact.
 */
function probeRanges(tokens: IToken[]): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    if (type === T.ProbeSpec && i > start && tokens[i - 1]!.tokenType !== T.Comma) {
      ranges.push({ start, end: i });
      start = i;
    }
    if (type === T.BlockOpen || type === T.LBrace) depth++;
    else if (type === T.BlockClose || type === T.RBrace) {
      depth--;
      if (depth === 0) {
        ranges.push({ start, end: i + 1 });
        start = i + 1;
      }
    }
  }
  if (start < tokens.length) ranges.push({ start, end: tokens.length });
  return ranges;
}

/** A parse error right after text the lexer could not read (a bad character, say) is a consequence of it. */
function followsLexError(d: Diagnostic, lexErrors: Diagnostic[], tokens: IToken[]): boolean {
  let gapStart = 0;
  for (const t of tokens) {
    if (t.startOffset >= d.span.start) break;
    if (!T.isRepairToken(t)) gapStart = T.tokenSpan(t).end;
  }
  return lexErrors.some((l) => l.span.end > l.span.start && l.span.end >= gapStart && l.span.start <= d.span.end);
}

const STATEMENT_BOUNDARIES = new Set([T.Semi, T.BlockOpen, T.BlockClose, T.LBrace, T.RBrace]);

/** After one syntax error in a statement, error recovery's guesses make the next ones unreliable. */
function firstPerStatement(errors: Diagnostic[], tokens: IToken[]): Diagnostic[] {
  const seen = new Set<number>();
  return [...errors].sort((a, b) => a.span.start - b.span.start).filter((d) => {
    let statement = -1;
    for (let i = 0; i < tokens.length && tokens[i]!.startOffset < d.span.start; i++) {
      if (STATEMENT_BOUNDARIES.has(tokens[i]!.tokenType)) statement = i;
    }
    if (seen.has(statement)) return false;
    seen.add(statement);
    return true;
  });
}
