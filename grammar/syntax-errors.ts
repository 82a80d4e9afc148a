// Turns Chevrotain's recognition exceptions into Diagnostics a person can act on: what was expected
// in words, what was found, where, and (for the `< >` ambiguity) why.

import { EOF, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import { error, type Diagnostic } from './diagnostics.ts';
import { AMBIGUOUS_GT, explainAmbiguousGt } from './lexer.ts';
import type { SourceFile, Span } from './source.ts';
import { isProbeTypeWord } from './probe-spec.ts';
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
  T.Question, T.Colon, T.DotDot, T.PlusPlus, T.MinusMinus, T.PlusAssign, T.MinusAssign, T.StarAssign, T.SlashAssign,
  T.PercentAssign, T.AmpAssign, T.PipeAssign, T.CaretAssign, T.ShlAssign, T.ShrAssign,
]);
const STATEMENT_BOUNDARIES = new Set<TokenType>([T.Semi, T.BlockOpen, T.BlockClose, T.LBrace, T.RBrace]);
const STATEMENT_STARTS = new Set<TokenType>([
  T.If, T.While, T.For, T.Unroll, T.Let, T.Break, T.Continue, T.Return, T.Ident, T.MapName, T.VarName, T.IntLit, T.StrLit,
  T.LParen, T.PlusPlus, T.MinusMinus, T.True, T.False, T.Sizeof, T.Offsetof, T.BlockOpen, T.LBrace,
]);
/** The keyword of each statement rule whose body is a block. */
const BLOCK_STATEMENTS: Record<string, string> = { ifStatement: 'if', whileStatement: 'while', forStatement: 'for', unrollStatement: 'unroll' };
const MAP_KINDS_HINT = 'a map declaration is `let @name = hash(N);` (or `lruhash`, `percpuhash`, `percpulruhash`)';
const FOR_HINT = 'a `for` loop is `for ($i : 0..10) < ... >` or `for ($kv : @map) < ... >`';

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
        const unsupported = site.token && ['union', 'enum'].includes(site.token.image) && foundType === T.Ident;
        return say('a probe such as `BEGIN` or `kprobe:vfs_read`', unsupported ? `only \`struct\` definitions are supported (kernel types come from BTF), not \`${site.token!.image}\`` : probeHint(foundType));
      }
      if (rule === 'probe' && expected === T.FilterSlash.name) {
        return say('`/` to end the filter', 'a filter is one expression between slashes: `kprobe:f /pid > 1/ < ... >`');
      }
      if (rule === 'angleBlock' || rule === 'braceBlock') {
        const closer = rule === 'angleBlock' ? '>' : '}';
        const hint = foundType === T.Else ? 'this `else` has no `if` right before it' : ambiguousGtHint(site.index, ctx);
        return say(`a statement or \`${closer}\``, hint);
      }
      const keyword = BLOCK_STATEMENTS[rule];
      if (keyword && expected === T.LParen.name) {
        const example = keyword === 'for' ? '`for ($i : 0..10) < ... >`' : keyword === 'unroll' ? '`unroll (4) < ... >`' : `\`${keyword} (x > 0) < ... >\``;
        return say(`\`(\` after \`${keyword}\``, `write it in parentheses: ${example}`);
      }
      if (keyword === 'for') {
        if (expected === T.VarName.name) return say('a variable after `for (`', FOR_HINT);
        if (expected === T.Colon.name) return say('`:` after the loop variable', FOR_HINT);
        if (expected === T.RParen.name) {
          let afterRange = false;
          for (let i = site.index - 1; i >= 0 && ctx.tokens[i]!.tokenType !== T.For; i--) afterRange ||= ctx.tokens[i]!.tokenType === T.DotDot;
          if (afterRange) return say('`)` after the range', 'the ends of a range are single operands: write `0..($n + 1)`');
          return say('`..` or `)` after the start of the range', FOR_HINT);
        }
      }
      if (keyword && expected === T.RParen.name) {
        return say(`\`)\` after the ${keyword === 'unroll' ? 'count' : 'condition'} of \`${keyword}\``);
      }
      if (rule === 'letStatement' && expected === T.VarName.name) {
        if (foundType === T.MapName) {
          return error('maps are declared at the top of the script, not in a block', site.span, `before the probes: ${MAP_KINDS_HINT.replace('a map declaration is ', '')}`);
        }
        return say('a variable after `let`', 'declare a variable with `let $name;`, `let $name = value;` or `let $name: type = value;`');
      }
      if (rule === 'mapDecl') {
        if (expected === T.MapName.name) {
          const hint = foundType === T.VarName ? 'at the top of the script `let` declares a map; variables are declared inside a block' : MAP_KINDS_HINT;
          return say('a map after `let`', hint);
        }
        if (expected === T.Ident.name) return say('the kind of map after `=`', MAP_KINDS_HINT);
        if (expected === T.Semi.name) return say('`;` after the map declaration');
        return say(labelOf(expected), MAP_KINDS_HINT);
      }
      if (rule === 'configBlock' || rule === 'configSetting') {
        const hint = 'the config block is `config = { max_strlen = 128; max_map_keys = 1000 }`';
        if (rule === 'configSetting' && expected === T.Name.name) return say('a setting name', hint);
        if (rule === 'configSetting' && expected === T.Assign.name) return say(`\`=\` after \`${previous?.image}\``, hint);
        if (rule === 'configBlock' && expected === T.RBrace.name) return say('a setting (`name = value`) or `}`', hint);
        if (rule === 'configBlock' && expected === T.Assign.name) return say('`=` after `config`', hint);
        if (rule === 'configBlock' && expected === T.LBrace.name) return say('`{` after `config =`', hint);
        return say(labelOf(expected), hint);
      }
      if ((rule === 'structDef' || rule === 'castType' || rule === 'declType' || rule === 'structField') && expected === T.Name.name && previous?.tokenType === T.Struct) {
        return say('a struct name after `struct`', rule === 'structDef' ? 'a struct definition is `struct name { type member; ... }`' : 'a struct type is written `struct name`, e.g. `(struct sock *)arg0`');
      }
      if (rule === 'structDef' && expected === T.LBrace.name) return say('`{` after the struct name', 'a struct definition is `struct name { type member; ... }`');
      if (rule === 'structDef' && expected === T.RBrace.name) return say('a member (`type name;`) or `}`', 'a struct definition is `struct name { type member; ... }`');
      if (rule === 'ternary' && expected === T.Colon.name) return say('`:` in the conditional', 'a conditional is written `cond ? value_if_true : value_if_false`');
      if (rule === 'parenthesized' && expected === T.RParen.name) {
        return say(previous && (previous.tokenType === T.Star || previous.tokenType === T.TypeWord || previous.tokenType === T.RBracket) ? '`)` after the type' : '`,` or `)`');
      }
      if (rule === 'sizeofExpr' && expected !== T.RParen.name) return say(`${labelOf(expected)} after \`sizeof\``, 'write `sizeof(type)` or `sizeof(expression)`');
      if (rule === 'offsetofExpr') {
        const hint = 'write `offsetof(struct name, member)`; the member may be a path `a.b`';
        if (expected === T.Comma.name) return say('`,` and a member after the type', hint);
        if (expected === T.Name.name) return say(`a member name after \`${previous?.image}\``, hint);
        return say(labelOf(expected), hint);
      }
      if (rule === 'nameOrCall' && expected === T.RParen.name) {
        return say(previous?.tokenType === T.LParen ? 'an argument or `)`' : '`,` or `)` after the argument', typedefCastHint(site.index, ctx));
      }
      if (rule === 'mapRef' && expected === T.RBracket.name) return say('`,` or `]` after the map key');
      if (rule === 'postfix' && expected === T.Name.name) return say(`a field name after \`${previous?.image ?? '->'}\``);
      if (rule === 'postfix' && expected === T.RBracket.name) return say('`]` after the index', foundType === T.Comma ? 'an index is one expression; only maps take several keys: `@m[a, b]`' : undefined);
      return say(labelOf(expected));
    }
    case 'NoViableAltException': {
      if (rule === 'statementEnd') {
        const closer = enclosingCloser(site.index, ctx);
        const hint = ambiguousGtHint(site.index, ctx)
          ?? (previous?.tokenType === T.Return ? '`return` takes no value here: it ends the probe' : undefined)
          ?? typedefCastHint(site.index, ctx)
          ?? (foundType === T.Ident && ctx.tokens[site.index + 1]?.tokenType === T.Colon && isProbeTypeWord(site.token!.image)
            ? `\`${site.token!.image}:\` starts a probe: is the block before it missing its \`${closer}\`?` : undefined)
          ?? (foundType && STATEMENT_STARTS.has(foundType) ? 'separate statements with `;`' : undefined);
        return error(`expected \`;\` or \`${closer}\` after this statement, found ${found}`, site.span, hint);
      }
      if (rule === 'block') {
        const keyword = BLOCK_STATEMENTS[parentRule] ?? 'if';
        const where = parentRule === 'probe' ? "to start the probe's body" : previous?.tokenType === T.Else ? 'after `else`' : `after \`${keyword} (...)\``;
        return say(`\`<\` or \`{\` ${where}`, blockHint(previous, foundType, parentRule));
      }
      if (rule === 'ifStatement') return say('`if`, `<` or `{` after `else`');
      if (rule === 'parenthesized' && previous?.tokenType === T.Comma) return say('an expression after `,`', 'a tuple is `(a, b)`; a single element tuple is `(a,)`');
      if (rule === 'declType' || rule === 'castType' || rule === 'structField') {
        return say(rule === 'structField' ? 'a member (`type name;`)' : 'a type', 'types are `uint8`...`uint64`, `int8`...`int64`, `bool`, `string`, C types like `u32` or `unsigned int`, and `struct name`');
      }
      if (rule === 'jumpStatement') return error(`unexpected ${found}`, site.span);
      if ((rule === 'unary' || rule === 'primary') && parentRule === 'parenthesized' && previous?.tokenType === T.RParen) {
        return say(`the value to convert after the cast \`${castText(site.index, ctx)}\``, 'a cast is written `(type)value`, e.g. `(uint32)$x`');
      }
      if (rule === 'unary' || rule === 'primary' || rule === 'postfix' || rule === 'sizeofExpr') {
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

/** `(name)x`: a cast to a typedef, which tsbt reads as a parenthesized name followed by `x`. */
function typedefCastHint(index: number, ctx: ErrorContext): string | undefined {
  const [open, name, close] = [ctx.tokens[index - 3], ctx.tokens[index - 2], ctx.tokens[index - 1]];
  if (open?.tokenType !== T.LParen || name?.tokenType !== T.Ident || close?.tokenType !== T.RParen) return undefined;
  return `\`(${name.image})\` is a name in parentheses, not a cast: a cast takes a type word, \`struct name\` or a name with stars, e.g. \`(uint64)\` or \`(${name.image} *)\``;
}

/** The source text of the `(type)` that ends right before the token at `index`. */
function castText(index: number, ctx: ErrorContext): string {
  let open = index - 1;
  while (open > 0 && ctx.tokens[open]!.tokenType !== T.LParen) open--;
  const start = ctx.tokens[open]!.startOffset;
  return ctx.source.text.slice(start, tokenSpan(ctx.tokens[index - 1]!).end);
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
  if (found === T.Semi) return 'a probe\'s block needs no `;` after it';
  if (found === T.BlockOpen || found === T.LBrace) return 'a block must come after one or more probes';
  return undefined;
}

function blockHint(previous: IToken | undefined, found: TokenType | undefined, parentRule: string): string | undefined {
  if (parentRule !== 'probe') {
    const keyword = BLOCK_STATEMENTS[parentRule] ?? 'if';
    return `the body of \`${keyword}\` is a block: \`${keyword} (${keyword === 'for' ? '$i : 0..10' : keyword === 'unroll' ? '4' : 'x'}) < ... >\``;
  }
  if (previous?.tokenType === T.FilterSlash) {
    return 'a `/` inside a filter ends it: write division in parentheses, e.g. `/(a / b) > 1/`';
  }
  if (found === T.ProbeSpec) return 'to give several probes one body, separate them with `,`';
  return undefined;
}
