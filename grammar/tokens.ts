// Token types shared by the lexer (which creates the tokens itself, see lexer.ts) and the Chevrotain
// parser. They have no patterns: the lexer is context-sensitive, so it is hand-written. LABEL is how a
// token is named in error messages.

import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import type { Span } from './source.ts';

function token(name: string, label: string, categories?: TokenType[]): TokenType {
  return createToken({ name, label, pattern: Lexer.NA, ...(categories ? { categories } : {}) });
}

// Categories: one per binary precedence level, so the parser matches "any operator of this level".
export const MulOp = token('MulOp', '`*`, `/` or `%`');
export const AddOp = token('AddOp', '`+` or `-`');
export const ShiftOp = token('ShiftOp', '`<<` or `>>`');
export const RelOp = token('RelOp', 'a comparison');
export const EqOp = token('EqOp', '`==` or `!=`');
export const UnaryOp = token('UnaryOp', '`!`, `-` or `~`');

/** A whole probe specification (`kprobe:vfs_read`, `BEGIN`); only lexed outside blocks. */
export const ProbeSpec = token('ProbeSpec', 'a probe');
/** The `/` that opens or closes a `/filter/` (division inside a filter needs parentheses). */
export const FilterSlash = token('FilterSlash', '`/`');
/** `<` and `>` when they open and close a block rather than compare. */
export const BlockOpen = token('BlockOpen', '`<`');
export const BlockClose = token('BlockClose', '`>`');
export const LBrace = token('LBrace', '`{`');
export const RBrace = token('RBrace', '`}`');
export const LParen = token('LParen', '`(`');
export const RParen = token('RParen', '`)`');
export const LBracket = token('LBracket', '`[`');
export const RBracket = token('RBracket', '`]`');
export const Comma = token('Comma', '`,`');
export const Semi = token('Semi', '`;`');
export const Assign = token('Assign', '`=`');
export const Arrow = token('Arrow', '`->`');
export const Dot = token('Dot', '`.`');

export const If = token('If', '`if`');
export const Else = token('Else', '`else`');
export const Ident = token('Ident', 'a name');
/** `@name`, or `@` alone for the anonymous map. */
export const MapName = token('MapName', 'a map');
export const VarName = token('VarName', 'a variable');
/** payload: the value as a bigint */
export const IntLit = token('IntLit', 'a number');
/** payload: the string after escape processing */
export const StrLit = token('StrLit', 'a string');

export const Star = token('Star', '`*`', [MulOp]);
export const Slash = token('Slash', '`/`', [MulOp]);
export const Percent = token('Percent', '`%`', [MulOp]);
export const Plus = token('Plus', '`+`', [AddOp]);
export const Minus = token('Minus', '`-`', [AddOp, UnaryOp]);
export const Shl = token('Shl', '`<<`', [ShiftOp]);
export const Shr = token('Shr', '`>>`', [ShiftOp]);
export const Lt = token('Lt', '`<`', [RelOp]);
export const Le = token('Le', '`<=`', [RelOp]);
export const Gt = token('Gt', '`>`', [RelOp]);
export const Ge = token('Ge', '`>=`', [RelOp]);
export const EqEq = token('EqEq', '`==`', [EqOp]);
export const NotEq = token('NotEq', '`!=`', [EqOp]);
export const Amp = token('Amp', '`&`');
export const Caret = token('Caret', '`^`');
export const Pipe = token('Pipe', '`|`');
export const AndAnd = token('AndAnd', '`&&`');
export const OrOr = token('OrOr', '`||`');
export const Bang = token('Bang', '`!`', [UnaryOp]);
export const Tilde = token('Tilde', '`~`', [UnaryOp]);

/** Every token type, for the parser's constructor. */
export const allTokens: TokenType[] = [
  MulOp, AddOp, ShiftOp, RelOp, EqOp, UnaryOp,
  ProbeSpec, FilterSlash, BlockOpen, BlockClose, LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Comma, Semi, Assign, Arrow, Dot, If, Else, Ident, MapName, VarName, IntLit, StrLit,
  Star, Slash, Percent, Plus, Minus, Shl, Shr, Lt, Le, Gt, Ge, EqEq, NotEq,
  Amp, Caret, Pipe, AndAnd, OrOr, Bang, Tilde,
];

/** A token's half-open span. A repair token (a missing closer the lexer inserted) is zero-width. */
export function tokenSpan(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

export function isRepairToken(token: IToken): boolean {
  return (token.endOffset ?? 0) < token.startOffset;
}
