// Turns Chevrotain's recognition exceptions into Diagnostics a person can act on: what was expected
// in words, what was found, where, and (for the `< >` ambiguity) why.

import { EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import { error, type Diagnostic } from './diagnostics.ts';
import { AMBIGUOUS_GT, explainAmbiguousGt } from './lexer.ts';
import type { SourceFile, Span } from './source.ts';
import * as T from './tokens.ts';
import { isRepairToken, tokenSpan } from './tokens.ts';

/**
 * Chevrotain calls this to build exception messages. We keep only the raw facts, which `syntaxError`
 * turns into words: a mismatch's message is the expected token type's name, the others are empty.
 */
export const rawErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => expected.name,
  buildNotAllInputParsedMessage: () => '',
  buildNoViableAltMessage: () => '',
  buildEarlyExitMessage: () => '',
};

export interface ErrorContext {
  source: SourceFile;
  /** Every token of the program; the exception's tokens are among them. */
  tokens: IToken[];
  /** The first token after the probe being parsed: what its "end of input" really is. */
  following: IToken | undefined;
}

const OPERATORS = new Set<TokenType>([
  T.Star, T.Slash, T.Percent, T.Plus, T.Minus, T.Shl, T.Shr, T.Lt, T.Le, T.Gt, T.Ge, T.EqEq, T.NotEq,
  T.Amp, T.Caret, T.Pipe, T.AndAnd, T.OrOr, T.Bang, T.Tilde, T.Assign, T.Comma, T.LParen, T.LBracket,
]);
const STATEMENT_BOUNDARIES = new Set<TokenType>([T.Semi, T.BlockOpen, T.BlockClose, T.LBrace, T.RBrace]);
const STATEMENT_STARTS = new Set<TokenType>([T.If, T.Ident, T.MapName, T.VarName, T.IntLit, T.StrLit, T.LParen]);

export function syntaxError(e: IRecognitionException, ctx: ErrorContext): Diagnostic {
  const site = locate(e.token, ctx);
  const rule = e.context.ruleStack[e.context.ruleStack.length - 1] ?? '';
  const parentRule = e.context.ruleStack[e.context.ruleStack.length - 2] ?? '';
  const previous = site.index > 0 ? ctx.tokens[site.index - 1] : undefined;
  const found = describe(site.token);
  const say = (expected: string, hint?: string) => error(`expected ${expected}, found ${found}`, site.span, hint);
  const foundType = site.token?.tokenType;

  switch (e.name) {
    case 'MismatchedTokenException': {
      const expected = e.message;
      if (rule === 'probe' && expected === T.ProbeSpec.name) {
        if (previous?.tokenType === T.Comma) {
          const trailing = foundType === T.BlockOpen || foundType === T.LBrace || foundType === T.FilterSlash;
          return say('a probe after `,`', trailing ? 'remove the `,` after the last probe' : probeHint(foundType));
        }
        return say('a probe such as `BEGIN` or `kprobe:vfs_read`', probeHint(foundType));
      }
      if (rule === 'probe' && expected === T.FilterSlash.name) {
        return say('`/` to end the filter', 'a filter is one expression between slashes: `kprobe:f /pid > 1/ < ... >`');
      }
      if (rule === 'angleBlock' || rule === 'braceBlock') {
        const closer = rule === 'angleBlock' ? '>' : '}';
        const hint = foundType === T.Else ? 'this `else` has no `if` right before it' : ambiguousGtHint(site.index, ctx);
        return say(`a statement or \`${closer}\``, hint);
      }
      if (rule === 'ifStatement' && expected === T.LParen.name) {
        return say('`(` after `if`', 'write the condition in parentheses: `if (x > 0) < ... >`');
      }
      if (rule === 'ifStatement' && expected === T.RParen.name) return say('`)` after the condition of `if`');
      if (rule === 'nameOrCall' && expected === T.RParen.name) {
        return say(previous?.tokenType === T.LParen ? 'an argument or `)`' : '`,` or `)` after the argument');
      }
      if (rule === 'mapRef' && expected === T.RBracket.name) return say('`,` or `]` after the map key');
      if (rule === 'postfix' && expected === T.Ident.name) return say(`a field name after \`${previous?.image ?? '->'}\``);
      return say(labelOf(expected));
    }
    case 'NoViableAltException': {
      if (rule === 'statementEnd') {
        const closer = enclosingCloser(site.index, ctx);
        const hint = ambiguousGtHint(site.index, ctx)
          ?? (foundType && STATEMENT_STARTS.has(foundType) ? 'separate statements with `;`' : undefined);
        return error(`expected \`;\` or \`${closer}\` after this statement, found ${found}`, site.span, hint);
      }
      if (rule === 'block') {
        const where = parentRule === 'probe' ? "to start the probe's body" : previous?.tokenType === T.Else ? 'after `else`' : 'after `if (...)`';
        return say(`\`<\` or \`{\` ${where}`, blockHint(previous, foundType, parentRule));
      }
      if (rule === 'ifStatement') return say('`if`, `<` or `{` after `else`');
      if (rule === 'unary' || rule === 'primary') {
        const after = previous && OPERATORS.has(previous.tokenType) && !isRepairToken(previous) ? ` after \`${previous.image}\`` : '';
        return say(`an expression${after}`);
      }
      return error(`unexpected ${found}`, site.span);
    }
    case 'EarlyExitException':
      if (rule === 'mapRef') return say('a key inside `[ ]`', 'a map without keys is written without brackets: `@name`');
      return error(`unexpected ${found}`, site.span);
    default:
      return error(`unexpected ${found}`, site.span);
  }
}

/** Where an error points: the offending token, or just after the last real token at end of input. */
function locate(token: IToken, ctx: ErrorContext): { token: IToken | undefined; index: number; span: Span } {
  let index = token.tokenType === EOF ? -1 : ctx.tokens.indexOf(token);
  let real: IToken | undefined = token.tokenType === EOF ? ctx.following : token;
  if (index < 0) index = real ? ctx.tokens.indexOf(real) : ctx.tokens.length;
  if (index < 0) index = ctx.tokens.length;
  // A repair token inserted by the lexer stands for whatever real token comes next.
  while (real && isRepairToken(real)) real = ctx.tokens[ctx.tokens.indexOf(real) + 1];
  if (real) return { token: real, index, span: tokenSpan(real) };
  const last = lastRealBefore(index, ctx);
  const end = last ? tokenSpan(last).end : ctx.source.text.length;
  return { token: undefined, index, span: { start: end, end } };
}

function lastRealBefore(index: number, ctx: ErrorContext): IToken | undefined {
  for (let i = Math.min(index, ctx.tokens.length) - 1; i >= 0; i--) if (!isRepairToken(ctx.tokens[i]!)) return ctx.tokens[i];
  return undefined;
}

function describe(token: IToken | undefined): string {
  if (token === undefined) return 'the end of the input';
  const image = token.image.length > 24 ? `${token.image.slice(0, 21)}...` : token.image;
  return `\`${image}\``;
}

function labelOf(tokenTypeName: string): string {
  return T.allTokens.find((t) => t.name === tokenTypeName)?.LABEL ?? tokenTypeName;
}

/** `>` or `}`: the closer of the block that holds the token at `index`. */
function enclosingCloser(index: number, ctx: ErrorContext): string {
  let depth = 0;
  for (let i = index - 1; i >= 0; i--) {
    const type = ctx.tokens[i]!.tokenType;
    if (type === T.BlockClose || type === T.RBrace) depth++;
    else if (type === T.BlockOpen || type === T.LBrace) {
      if (depth === 0) return type === T.BlockOpen ? '>' : '}';
      depth--;
    }
  }
  return '>';
}

/**
 * If the statement before `index` holds a `>` that the lexer read as greater-than although it could
 * have closed the block, explain that: it is the usual cause of a confusing error after a `>`.
 */
function ambiguousGtHint(index: number, ctx: ErrorContext): string | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const token = ctx.tokens[i]!;
    if (STATEMENT_BOUNDARIES.has(token.tokenType)) return undefined;
    if (token.payload !== AMBIGUOUS_GT) continue;
    const at = ctx.source.position(token.startOffset);
    return explainAmbiguousGt(token, ctx.tokens[i + 1], `${at.line}:${at.col}`);
  }
  return undefined;
}

function probeHint(found: TokenType | undefined): string | undefined {
  if (found === T.Ident) return 'a probe is written `type:target` (for example `kprobe:vfs_read`), or `BEGIN` / `END`';
  if (found === T.BlockOpen || found === T.LBrace) return 'a block must come after one or more probes';
  return undefined;
}

function blockHint(previous: IToken | undefined, found: TokenType | undefined, parentRule: string): string | undefined {
  if (parentRule !== 'probe') return 'the body of an `if` is a block: `if (x) < ... >`';
  if (previous?.tokenType === T.FilterSlash) {
    return 'a `/` inside a filter ends it: write division in parentheses, e.g. `/(a / b) > 1/`';
  }
  if (found === T.ProbeSpec) return 'to give several probes one body, separate them with `,`';
  return undefined;
}
