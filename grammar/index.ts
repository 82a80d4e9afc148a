// The grammar's entry point: source text → Program, or diagnostics. Never throws on bad input.

import type { IRecognitionException, IToken } from 'chevrotain';
import type { Program } from './ast.ts';
import { error, hasErrors, type Diagnostic } from './diagnostics.ts';
import { lex } from './lexer.ts';
import { parseItem, type ConfigBlock } from './parser.ts';
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
  const noProbes = () => error('no probes in the program', { start: source.text.length, end: source.text.length },
    'a program is one or more probes, each with a block: `BEGIN < printf("hello\\n"); >`');
  if (tokens.length === 0) {
    if (lexErrors.length > 0) return { diagnostics: lexErrors };
    return { diagnostics: [{ ...noProbes(), span: { start: 0, end: 0 } }] };
  }
  const program: Program = { kind: 'Program', probes: [], config: [], mapDecls: [], structs: [], span: { start: 0, end: source.text.length } };
  const parseErrors: Diagnostic[] = [];
  let configBlock: ConfigBlock | undefined;
  // Each item is parsed on its own, so an error in one never hides the errors of the next.
  for (const { start, end } of itemRanges(tokens)) {
    const result = parseItem(tokens.slice(start, end));
    if (result === 'too-deep') {
      const hint = 'split the expression with variables: `$a = ...; $b = $a ...`';
      parseErrors.push(error('this probe is nested too deeply to parse', T.tokenSpan(tokens[start]!), hint));
      continue;
    }
    const context = { source, tokens, following: tokens[end] };
    // The lexer already reported the closer it had to insert; an error on reaching it says no more.
    const reportedRepair = (t: IToken | undefined) => t !== undefined && T.isRepairToken(t) && lexErrors.some((l) => l.span.start === t.startOffset);
    // ... and so does an error on the token right after it (`(uint32 *;`: no value after the inserted `)`).
    const atRepair = (e: IRecognitionException) => reportedRepair(e.token) || reportedRepair(tokens[tokens.indexOf(e.token) - 1]);
    const errors = result.syntaxErrors.filter((e) => !atRepair(e));
    const real = errors.filter((e) => e.name !== 'NotAllInputParsedException');
    const syntax = (real.length > 0 ? real : errors).map((e) => syntaxError(e, context));
    // Errors in nodes rebuilt by error recovery are not worth showing.
    parseErrors.push(...(result.syntaxErrors.length > 0 ? syntax : result.semanticErrors));
    const item = result.item;
    if (item.kind === 'Probe') {
      program.probes.push(item);
      continue;
    }
    const keyword = T.tokenSpan(tokens[start]!);
    if (program.probes.length > 0) {
      const what = item.kind === 'ConfigBlock' ? 'the `config` block' : item.kind === 'MapDecl' ? 'map declarations' : 'struct definitions';
      parseErrors.push(error(`${what} must come before the probes`, keyword, 'move it to the top of the script'));
    }
    if (item.kind === 'MapDecl') program.mapDecls.push(item);
    else if (item.kind === 'StructDef') program.structs.push(item);
    else if (configBlock) {
      const first = source.position(configBlock.span.start);
      parseErrors.push(error('a script has one `config` block', keyword, `merge its settings into the one at ${first.line}:${first.col}`));
    } else {
      configBlock = item;
      program.config.push(...item.settings);
    }
  }
  const diagnostics = [...lexErrors, ...firstPerStatement(parseErrors, tokens).filter((d) => !followsLexError(d, lexErrors, tokens))];
  if (program.probes.length === 0 && !hasErrors(diagnostics)) diagnostics.push(noProbes());
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { program, diagnostics };
}

const BLOCK_OPENERS = new Set([T.BlockOpen, T.LBrace]);
const BLOCK_CLOSERS = new Set([T.BlockClose, T.RBrace]);
const GROUP_OPENERS = new Set([T.LParen, T.LBracket]);
const GROUP_CLOSERS = new Set([T.RParen, T.RBracket]);
/** Top-level items other than probes start with these keywords (the lexer makes them only at top level or inside groups). */
const PREAMBLE_KEYWORDS = new Set([T.Config, T.Let, T.Struct]);

/**
 * Splits the tokens into top-level items. A probe ends with the `>` or `}` that closes its top-level
 * block, and a new one starts at a probe spec not preceded by `,` (so a probe missing its block stays
 * separate). `config = { }` and `struct x { }` end with their `}` (and a `;` right after it);
 * `let @m = ...;` ends with its `;`. The lexer has balanced every group, so depth counting is exact.
 */
function itemRanges(tokens: IToken[]): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  let start = 0;
  let depth = 0;
  let groups = 0;
  let inFilter = false;
  const cut = (end: number) => {
    if (end > start) ranges.push({ start, end });
    start = end;
  };
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    const outside = depth === 0 && groups === 0 && !inFilter;
    if (i > start && ((type === T.ProbeSpec && tokens[i - 1]!.tokenType !== T.Comma) || (outside && PREAMBLE_KEYWORDS.has(type)))) cut(i);
    if (type === T.FilterSlash) inFilter = !inFilter;
    else if (GROUP_OPENERS.has(type)) groups++;
    else if (GROUP_CLOSERS.has(type)) groups--;
    else if (BLOCK_OPENERS.has(type)) depth++;
    else if (BLOCK_CLOSERS.has(type)) {
      depth--;
      if (depth === 0) {
        const first = tokens[start]!.tokenType;
        const semi = (first === T.Config || first === T.Struct) && tokens[i + 1]?.tokenType === T.Semi;
        cut(semi ? i + 2 : i + 1);
        if (semi) i++;
      }
    } else if (type === T.Semi && outside && tokens[start]!.tokenType === T.Let) cut(i + 1);
  }
  cut(tokens.length);
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
