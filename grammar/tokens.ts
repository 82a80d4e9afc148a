// Token types shared by the lexer (which creates the tokens itself, see lexer.ts) and the Chevrotain
// parser. They have no patterns: the lexer is context-sensitive, so it is hand-written. LABEL is how a
// token is named in error messages.

import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import type { Span } from './source.ts';

function token(name: string, label: string, categories?: TokenType[]): TokenType {
  return createToken({ name, label, pattern: Lexer.NA, ...(categories ? { categories } : {}) });
}

// Categories. The parser reads `operand (BinaryOp operand)*` and builds the tree by precedence
// (parser.ts, BINARY_PRECEDENCE).
export const BinaryOp = token('BinaryOp', 'an operator');
export const UnaryOp = token('UnaryOp', '`!`, `-`, `~`, `*` or `&`');
/** `+=`, `<<=`, ...: payload-free; the operator is the image without its `=`. */
export const CompoundAssign = token('CompoundAssign', 'a compound assignment');
/** Any word: names, type words and keywords (but `struct`). Field names, config keys, struct members. */
export const Name = token('Name', 'a name');

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
export const DotDot = token('DotDot', '`..`');
export const Question = token('Question', '`?`');
export const Colon = token('Colon', '`:`');
export const PlusPlus = token('PlusPlus', '`++`');
export const MinusMinus = token('MinusMinus', '`--`');

// Keywords are words the lexer sets apart inside blocks (and `config`, `let`, `struct` at top level).
export const If = token('If', '`if`', [Name]);
export const Else = token('Else', '`else`', [Name]);
export const While = token('While', '`while`', [Name]);
export const For = token('For', '`for`', [Name]);
export const Unroll = token('Unroll', '`unroll`', [Name]);
export const Let = token('Let', '`let`', [Name]);
export const Break = token('Break', '`break`', [Name]);
export const Continue = token('Continue', '`continue`', [Name]);
export const Return = token('Return', '`return`', [Name]);
export const Sizeof = token('Sizeof', '`sizeof`', [Name]);
export const Offsetof = token('Offsetof', '`offsetof`', [Name]);
export const True = token('True', '`true`', [Name]);
export const False = token('False', '`false`', [Name]);
export const Config = token('Config', '`config`', [Name]);
/** Not a Name: a member cannot be called `struct`, and `struct x` must not read as two words. */
export const Struct = token('Struct', '`struct`');
/** `enum` in a cast or sizeof: `(enum tcp_state)x` names a kernel enum, whose values print by name with %s. */
export const Enum = token('Enum', '`enum`');
/** A builtin or C type word (`uint32`, `u64`, `char`, `unsigned`...): one of TYPE_WORDS. */
export const TypeWord = token('TypeWord', 'a type', [Name]);
export const Ident = token('Ident', 'a name', [Name]);
/** `@name`, or `@` alone for the anonymous map. */
export const MapName = token('MapName', 'a map');
export const VarName = token('VarName', 'a variable');
/** payload: the value as a bigint */
export const IntLit = token('IntLit', 'a number');
/** payload: the string after escape processing */
export const StrLit = token('StrLit', 'a string');

export const Star = token('Star', '`*`', [BinaryOp, UnaryOp]);
export const Slash = token('Slash', '`/`', [BinaryOp]);
export const Percent = token('Percent', '`%`', [BinaryOp]);
export const Plus = token('Plus', '`+`', [BinaryOp]);
export const Minus = token('Minus', '`-`', [BinaryOp, UnaryOp]);
export const Shl = token('Shl', '`<<`', [BinaryOp]);
export const Shr = token('Shr', '`>>`', [BinaryOp]);
export const Lt = token('Lt', '`<`', [BinaryOp]);
export const Le = token('Le', '`<=`', [BinaryOp]);
export const Gt = token('Gt', '`>`', [BinaryOp]);
export const Ge = token('Ge', '`>=`', [BinaryOp]);
export const EqEq = token('EqEq', '`==`', [BinaryOp]);
export const NotEq = token('NotEq', '`!=`', [BinaryOp]);
export const Amp = token('Amp', '`&`', [BinaryOp, UnaryOp]);
export const Caret = token('Caret', '`^`', [BinaryOp]);
export const Pipe = token('Pipe', '`|`', [BinaryOp]);
export const AndAnd = token('AndAnd', '`&&`', [BinaryOp]);
export const OrOr = token('OrOr', '`||`', [BinaryOp]);
export const Bang = token('Bang', '`!`', [UnaryOp]);
export const Tilde = token('Tilde', '`~`', [UnaryOp]);

function compound(name: string, op: string): TokenType {
  return token(name, `\`${op}=\``, [CompoundAssign]);
}
export const PlusAssign = compound('PlusAssign', '+');
export const MinusAssign = compound('MinusAssign', '-');
export const StarAssign = compound('StarAssign', '*');
export const SlashAssign = compound('SlashAssign', '/');
export const PercentAssign = compound('PercentAssign', '%');
export const AmpAssign = compound('AmpAssign', '&');
export const PipeAssign = compound('PipeAssign', '|');
export const CaretAssign = compound('CaretAssign', '^');
export const ShlAssign = compound('ShlAssign', '<<');
export const ShrAssign = compound('ShrAssign', '>>');

/** Keyword tokens by word, inside blocks. */
export const KEYWORDS: ReadonlyMap<string, TokenType> = new Map([
  ['if', If], ['else', Else], ['while', While], ['for', For], ['unroll', Unroll], ['let', Let],
  ['break', Break], ['continue', Continue], ['return', Return], ['sizeof', Sizeof], ['offsetof', Offsetof],
  ['true', True], ['false', False], ['struct', Struct], ['enum', Enum],
]);

/**
 * Words that name types inside blocks: bpftrace's own, C's, and the kernel's fixed-width typedefs.
 * `const` and `volatile` are accepted where a type is written and dropped from its name.
 */
export const TYPE_WORDS: ReadonlySet<string> = new Set([
  'bool', 'string', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'void', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'const', 'volatile',
  'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64',
  '__u8', '__u16', '__u32', '__u64', '__s8', '__s16', '__s32', '__s64',
  'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t', 'size_t', 'ssize_t',
]);

/** Every token type, for the parser's constructor. */
export const allTokens: TokenType[] = [
  BinaryOp, UnaryOp, CompoundAssign, Name,
  ProbeSpec, FilterSlash, BlockOpen, BlockClose, LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Comma, Semi, Assign, Arrow, Dot, DotDot, Question, Colon, PlusPlus, MinusMinus,
  If, Else, While, For, Unroll, Let, Break, Continue, Return, Sizeof, Offsetof, True, False, Config, Struct, Enum,
  TypeWord, Ident, MapName, VarName, IntLit, StrLit,
  Star, Slash, Percent, Plus, Minus, Shl, Shr, Lt, Le, Gt, Ge, EqEq, NotEq,
  Amp, Caret, Pipe, AndAnd, OrOr, Bang, Tilde,
  PlusAssign, MinusAssign, StarAssign, SlashAssign, PercentAssign, AmpAssign, PipeAssign, CaretAssign, ShlAssign, ShrAssign,
];

/** A token's half-open span. A repair token (a missing closer the lexer inserted) is zero-width. */
export function tokenSpan(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

export function isRepairToken(token: IToken): boolean {
  return (token.endOffset ?? 0) < token.startOffset;
}
