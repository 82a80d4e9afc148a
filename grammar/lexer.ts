// The lexer. It is hand-written because tsbt's tokens depend on context:
//  - outside any block a word followed by `:` is a whole probe spec (`uprobe:/bin/bash:readline`);
//  - `<` and `>` are block delimiters or comparisons depending on where they stand (docs/language.md,
//    "Blocks: `< >` versus comparison", states the rule implemented by `lessThan` and `greaterThan`).
// It keeps a stack of open groups (blocks, parentheses, brackets, filters) and repairs it: a closer
// that is missing is reported and inserted as a zero-width token, so the parser always sees balanced
// groups and one missing `)` or `>` does not turn the rest of the script into errors.

import { createTokenInstance, type IToken, type TokenType } from 'chevrotain';
import { error, type Diagnostic } from './diagnostics.ts';
import type { SourceFile } from './source.ts';
import { scanInteger, scanString } from './literals.ts';
import { cannotBeOperand, endsLine, isDigit, isSpace, isWordChar, isWordStart, skipTrivia, specEnd, starsThenCloseParen, wordAt } from './lookahead.ts';
import { DIRECTIVES, nextDirectiveLine, PREDEFINED_MACROS, readDirective, type Directive } from './preprocessor.ts';
import { isBareProbe } from './probe-spec.ts';
import * as T from './tokens.ts';

export interface LexResult {
  tokens: IToken[];
  diagnostics: Diagnostic[];
  /** Lexing stopped early (nesting too deep): the tokens are not worth parsing. */
  truncated: boolean;
}

/** Payload of a `>` read as greater-than where it could have closed a `< >` block (used for hints). */
export const AMBIGUOUS_GT = 'ambiguous-gt';

/** Why a `>` (or `>>`) did not close the block, and how to make it: the hint for errors it causes. */
export function explainAmbiguousGt(gt: IToken, next: IToken | undefined, where: string): string {
  const because = next && next.image !== '' ? ` because \`${next.image}\` after it can be its right operand` : '';
  if (gt.image === '>>') {
    return `the \`>>\` at ${where} was read as a shift${because}; to close two blocks there, end the statement with \`;\` first (\`...; > >\`)`;
  }
  return `the \`>\` at ${where} was read as greater-than${because}; ` +
    'to close the block there, end the statement with `;` first (`...; >`), or write the block with `{ }`';
}

export function lex(source: SourceFile): LexResult {
  return new Scanner(source).run();
}

type GroupKind = 'angle' | 'brace' | 'paren' | 'bracket' | 'filter';

interface Conditional {
  directive: Directive;
  /** Its lines are read: the enclosing conditionals are active and this branch was chosen. */
  active: boolean;
  /** The enclosing conditionals are active. */
  parentActive: boolean;
  /** A branch of it was chosen already (so `#else` is not). */
  taken: boolean;
  hasElse: boolean;
}

interface Group {
  kind: GroupKind;
  opener: IToken;
  /** A `(` right after `if`, `while`, `for` or `unroll`: the `<` after its `)` opens a block. */
  beforeBlock: boolean;
  /** In a `< >` block: the last `>` read as greater-than, to explain a block that never closes. */
  gtReadAsOperator?: IToken;
}

const CLOSERS: Record<GroupKind, { type: TokenType; text: string }> = {
  angle: { type: T.BlockClose, text: '>' },
  brace: { type: T.RBrace, text: '}' },
  paren: { type: T.RParen, text: ')' },
  bracket: { type: T.RBracket, text: ']' },
  filter: { type: T.FilterSlash, text: '/' },
};

/** Deeper nesting is refused: the parser recurses a dozen calls per level. */
const MAX_NESTING = 64;

/** Tokens after which a statement starts: a `>` here can only close the block, a `<` only open one. */
const STATEMENT_START_AFTER = new Set<TokenType>([T.BlockOpen, T.BlockClose, T.LBrace, T.RBrace, T.Semi]);
/** Keywords whose `( ... )` is followed by a block. */
const BLOCK_HEADS = new Set<TokenType>([T.If, T.While, T.For, T.Unroll]);
/** Words that are keywords at top level, before the probes. */
const TOP_LEVEL_KEYWORDS = new Map<string, TokenType>([['config', T.Config], ['let', T.Let], ['struct', T.Struct]]);

class Scanner {
  private readonly text: string;
  private pos = 0;
  private readonly tokens: IToken[] = [];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly groups: Group[] = [];
  /** The last token was `else` or the `)` of an `if (...)`, `while (...)`...: a `<` now opens a block. */
  private expectBlock = false;
  private lastType: TokenType | undefined;
  /** End of the last token read from the text (zero-width repair tokens are placed here). */
  private lastEnd = 0;
  /** The `>` that closed the last top-level block, to explain a stray `>` after it. */
  private lastTopLevelClose: IToken | undefined;
  /** Groups opened before this offset are not reported as unclosed at the end (see recoverFromUnterminatedString). */
  private unterminatedStringAt = -1;
  private truncated = false;
  /** `#define NAME value`: the value's text range, by name. */
  private readonly macros = new Map<string, { start: number; end: number }>();
  /** Open `#ifdef`/`#ifndef`s; lines are read only when every one of them is active. */
  private readonly conditionals: Conditional[] = [];
  /** Macros being expanded, innermost last (a macro is not expanded inside itself). */
  private readonly expanding: string[] = [];

  constructor(private readonly source: SourceFile) {
    this.text = source.text;
  }

  run(): LexResult {
    const text = this.text;
    if (text.startsWith('\ufeff')) this.pos = 1; // a byte-order mark
    if (text.startsWith('#!', this.pos)) {
      const nl = text.indexOf('\n', this.pos);
      this.pos = nl < 0 ? text.length : nl;
    }
    for (;;) {
      const trivia = skipTrivia(text, this.pos);
      if (trivia.openComment !== undefined) {
        this.report('unterminated comment', trivia.openComment, trivia.openComment + 2, 'close it with `*/`');
      }
      this.pos = trivia.pos;
      if (this.pos >= text.length) break;
      this.scanToken();
    }
    this.closeGroupsAbove(-1, 'end');
    const open = this.conditionals[this.conditionals.length - 1];
    if (open) {
      const at = this.where(open.directive.start);
      this.report(`missing \`#endif\` for the \`#${open.directive.name}\` at ${at}`, this.text.length, this.text.length);
    }
    return { tokens: this.tokens, diagnostics: this.diagnostics, truncated: this.truncated };
  }

  private scanToken(): void {
    const text = this.text;
    const start = this.pos;
    const c = text[start]!;
    switch (c) {
      case '"': return this.stringLiteral(start);
      case '#': return this.hash(start);
      case "'": return this.wronglyQuoted(start, "'");
      case '\u201c': return this.wronglyQuoted(start, '\u201d');
      case '@': return this.sigilName(start, T.MapName);
      case '$': return this.sigilName(start, T.VarName);
      case '(': return this.open('paren', T.LParen, start);
      case '[': return this.open('bracket', T.LBracket, start);
      case ')': return this.closeParenOrBracket('paren', start);
      case ']': return this.closeParenOrBracket('bracket', start);
      case '{': return this.openBrace(start);
      case '}': return this.closeBrace(start);
      case '<': return this.lessThan(start);
      case '>': return this.greaterThan(start);
      case '/': return this.slash(start);
      case ';': return this.semicolon(start);
      case ',': return this.operator(start, T.Comma);
      case '?': return this.operator(start, T.Question);
      case ':': return this.groups.length > 0 ? this.operator(start, T.Colon) : this.unknownCharacters(start);
      case '=': return this.operator(start, T.Assign, { '=': T.EqEq });
      case '!': return this.operator(start, T.Bang, { '=': T.NotEq });
      case '&': return this.operator(start, T.Amp, { '&': T.AndAnd, '=': T.AmpAssign });
      case '|': return this.operator(start, T.Pipe, { '|': T.OrOr, '=': T.PipeAssign });
      case '-': return this.operator(start, T.Minus, { '>': T.Arrow, '-': T.MinusMinus, '=': T.MinusAssign });
      case '+': return this.operator(start, T.Plus, { '+': T.PlusPlus, '=': T.PlusAssign });
      case '^': return this.operator(start, T.Caret, { '=': T.CaretAssign });
      case '*': return this.operator(start, T.Star, { '=': T.StarAssign });
      case '%': return this.operator(start, T.Percent, { '=': T.PercentAssign });
      case '~': return this.operator(start, T.Tilde);
      case '.': return this.operator(start, T.Dot, { '.': T.DotDot });
    }
    const code = text.charCodeAt(start);
    if (isDigit(code)) return this.integerLiteral(start);
    if (isWordStart(code)) return this.word(start);
    this.unknownCharacters(start);
  }

  // ---- tokens and groups -------------------------------------------------------------------------

  private emit(type: TokenType, start: number, end: number, payload?: unknown): IToken {
    const token = createTokenInstance(type, this.text.slice(start, end), start, end - 1, NaN, NaN, NaN, NaN);
    if (payload !== undefined) token.payload = payload;
    this.tokens.push(token);
    this.lastType = type;
    this.expectBlock = false;
    if (end > start) this.lastEnd = end;
    this.pos = end;
    return token;
  }

  /** A one-character token, or a two-character one by its second character. */
  private operator(start: number, one: TokenType, two?: Record<string, TokenType>): void {
    const second = two?.[this.text[start + 1]!];
    if (second) this.emit(second, start, start + 2);
    else this.emit(one, start, start + 1);
  }

  private top(): Group | undefined {
    return this.groups[this.groups.length - 1];
  }

  private open(kind: GroupKind, type: TokenType, start: number): void {
    if (this.groups.length >= MAX_NESTING) {
      // The parser recurses per level: stop here rather than overflow the stack.
      this.report(`nested too deeply: more than ${MAX_NESTING} levels of blocks, \`( )\` and \`[ ]\``, start, start + 1);
      this.unterminatedStringAt = Infinity; // don't report the groups left open
      this.truncated = true;
      this.pos = this.text.length;
      return;
    }
    const beforeBlock = kind === 'paren' && this.lastType !== undefined && BLOCK_HEADS.has(this.lastType);
    const opener = this.emit(type, start, start + 1);
    this.groups.push({ kind, opener, beforeBlock });
  }

  /** Pops the innermost group, emitting its closer (`start === end` for a repair token). */
  private close(start: number, end: number): void {
    const group = this.groups.pop()!;
    const token = this.emit(CLOSERS[group.kind].type, start, end);
    // A `>` misread in a nested block also explains why the enclosing block ends up unclosed.
    const parent = this.top();
    if (parent && group.gtReadAsOperator) parent.gtReadAsOperator = group.gtReadAsOperator;
    if (group.beforeBlock) this.expectBlock = true;
    if (this.groups.length === 0 && group.kind === 'angle') this.lastTopLevelClose = token;
  }

  /**
   * Closes every group above `index` that its closer never came for: reports each one and inserts its
   * closer as a zero-width token after the last real token. `why` says what ended them.
   */
  private closeGroupsAbove(index: number, why: 'end' | 'outer'): void {
    // Parentheses and brackets closed at one point make one diagnostic: "missing `))` to close ...".
    const expressionGroups: Group[] = [];
    while (this.groups.length - 1 > index) {
      const group = this.top()!;
      const reportIt = why === 'outer' || group.opener.startOffset > this.unterminatedStringAt;
      if (group.kind === 'paren' || group.kind === 'bracket') {
        if (reportIt) expressionGroups.push(group);
      } else {
        this.reportMissingExpressionClosers(expressionGroups.splice(0));
        if (reportIt) this.reportMissingBlockCloser(group);
      }
      this.close(this.lastEnd, this.lastEnd);
    }
    this.reportMissingExpressionClosers(expressionGroups);
  }

  private reportMissingExpressionClosers(groups: Group[]): void {
    if (groups.length === 0) return;
    const closers = groups.map((g) => CLOSERS[g.kind].text).join('');
    const openers = groups.map((g) => `the \`${g.opener.image}\` at ${this.where(g.opener.startOffset)}`).join(' and ');
    this.report(`missing \`${closers}\` to close ${openers}`, this.lastEnd, this.lastEnd);
  }

  private reportMissingBlockCloser(group: Group): void {
    const at = this.where(group.opener.startOffset);
    if (group.kind === 'filter') {
      const hint = 'a filter is one expression between slashes: `kprobe:f /pid == 42/ < ... >`';
      return this.report(`missing \`/\` to end the filter that starts at ${at}`, this.lastEnd, this.lastEnd, hint);
    }
    if (group.kind === 'brace') return this.report(`missing \`}\` to close the block opened at ${at}`, this.lastEnd, this.lastEnd);
    const gt = group.gtReadAsOperator;
    const hint = gt
      ? explainAmbiguousGt(gt, this.tokens[this.tokens.indexOf(gt) + 1], this.where(gt.startOffset))
      : 'add `>` after the last statement of the block';
    this.report(`missing \`>\` to close the block opened at ${at}`, this.lastEnd, this.lastEnd, hint);
  }

  // ---- brackets and blocks -----------------------------------------------------------------------

  /** The innermost block (`< >`, `{ }`) or filter below the top, or -1. */
  private innermostBlockOrFilter(): number {
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const kind = this.groups[i]!.kind;
      if (kind === 'angle' || kind === 'brace' || kind === 'filter') return i;
    }
    return -1;
  }

  private closeParenOrBracket(kind: 'paren' | 'bracket', start: number): void {
    // A `)` only closes a `(` opened inside the current block or filter.
    const boundary = this.innermostBlockOrFilter();
    let index = -1;
    for (let i = this.groups.length - 1; i > boundary; i--) {
      if (this.groups[i]!.kind === kind) {
        index = i;
        break;
      }
    }
    const text = kind === 'paren' ? ')' : ']';
    if (index < 0) {
      this.report(`unexpected \`${text}\``, start, start + 1, `there is no \`${kind === 'paren' ? '(' : '['}\` open here`);
      this.pos = start + 1;
      return;
    }
    this.closeGroupsAbove(index, 'outer');
    this.close(start, start + 1);
  }

  /** `{` and `;` cannot stand inside `( )`, `[ ]` or a filter: close those first, reporting them. */
  private closeExpressionGroups(): void {
    let i = this.groups.length - 1;
    while (i >= 0 && this.groups[i]!.kind !== 'angle' && this.groups[i]!.kind !== 'brace') i--;
    this.closeGroupsAbove(i, 'outer');
  }

  private openBrace(start: number): void {
    this.closeExpressionGroups();
    this.open('brace', T.LBrace, start);
  }

  private closeBrace(start: number): void {
    let index = this.groups.length - 1;
    while (index >= 0 && this.groups[index]!.kind !== 'brace') index--;
    if (index < 0) {
      const hint = this.top()?.kind === 'angle' ? 'a block opened with `<` is closed with `>`' : 'there is no `{` block open here';
      this.report('unexpected `}`', start, start + 1, hint);
      this.pos = start + 1;
      return;
    }
    this.closeGroupsAbove(index, 'outer');
    this.close(start, start + 1);
  }

  private semicolon(start: number): void {
    // Inside a block (or at top level, after a map declaration) `;` ends the statement, so nothing
    // opened in it can still be open. (In a filter a `;` is left for the parser to report.)
    const boundary = this.innermostBlockOrFilter();
    if (boundary < 0 || this.groups[boundary]!.kind !== 'filter') this.closeExpressionGroups();
    this.emit(T.Semi, start, start + 1);
  }

  /**
   * `<` opens a block where one is expected (top level, after `if (...)`, `while (...)`, `for (...)`,
   * `unroll (...)` or `else`, and where a statement starts); else it compares.
   */
  private lessThan(start: number): void {
    if (this.groups.length === 0 || this.expectBlock || this.atStatementStart()) return this.open('angle', T.BlockOpen, start);
    const next = this.text[start + 1];
    if (next === '<') {
      if (this.text[start + 2] === '=') this.emit(T.ShlAssign, start, start + 3);
      else this.emit(T.Shl, start, start + 2);
    } else if (next === '=') this.emit(T.Le, start, start + 2);
    else this.emit(T.Lt, start, start + 1);
  }

  /** Directly inside a block, right after its opener, a `;` or a nested block. */
  private atStatementStart(): boolean {
    const kind = this.top()?.kind;
    return (kind === 'angle' || kind === 'brace') && this.lastType !== undefined && STATEMENT_START_AFTER.has(this.lastType);
  }

  /**
   * In a `< >` block (not inside parentheses, brackets or a filter) `>` closes the block when it stands
   * where a statement starts, when it ends its line, or when what follows cannot be its right operand.
   * `>>` is read as two closers under the same conditions (judged after it); `>=` is always an operator.
   */
  private greaterThan(start: number): void {
    const group = this.top();
    if (group === undefined) {
      const earlier = this.lastTopLevelClose;
      const hint = earlier
        ? `the block before was already closed by the \`>\` at ${this.where(earlier.startOffset)}`
        : 'a `>` closes a block opened with `<`';
      this.report('unexpected `>`: no block is open here', start, start + 1, hint);
      this.pos = start + 1;
      return;
    }
    const next = this.text[start + 1];
    // `>=` and `>>=` are always operators (but where a statement starts).
    const withEquals = next === '=' || (next === '>' && this.text[start + 2] === '=');
    if (group.kind === 'angle') {
      if (this.lastType !== undefined && STATEMENT_START_AFTER.has(this.lastType)) return this.close(start, start + 1);
      const after = start + (next === '>' ? 2 : 1);
      if (!withEquals && (endsLine(this.text, after) || cannotBeOperand(this.text, after))) return this.close(start, start + 1);
    } else if (this.isBlockCloseInOpenGroup(start)) {
      // Error recovery only: `printf("x" >` then the end. Valid programs never get here.
      this.closeGroupsAbove(this.innermostBlockOrFilter(), 'outer');
      return this.close(start, start + 1);
    }
    const ambiguous = group.kind === 'angle' && !withEquals ? AMBIGUOUS_GT : undefined;
    let token: IToken;
    if (next === '>' && withEquals) token = this.emit(T.ShrAssign, start, start + 3);
    else if (next === '>') token = this.emit(T.Shr, start, start + 2, ambiguous);
    else if (next === '=') token = this.emit(T.Ge, start, start + 2);
    else token = this.emit(T.Gt, start, start + 1, ambiguous);
    if (ambiguous) group.gtReadAsOperator = token;
  }

  /**
   * A `>` inside `( )` or `[ ]` of a `< >` block, followed by what can neither be its operand nor stand
   * inside the group (the end, `;`, `>`, `}`, `else`, a probe): the group lacks its closer and the `>`
   * closes the block.
   */
  private isBlockCloseInOpenGroup(start: number): boolean {
    const block = this.innermostBlockOrFilter();
    if (block < 0 || this.groups[block]!.kind !== 'angle' || this.text[start + 1] === '=') return false;
    if (this.text.startsWith('>>=', start)) return false;
    const after = start + (this.text[start + 1] === '>' ? 2 : 1);
    const at = skipTrivia(this.text, after).pos;
    const next = this.text[at];
    if (next === undefined || next === ';' || next === '}' || next === '>') return true;
    const word = wordAt(this.text, at);
    return word === 'else' || (word !== '' && cannotBeOperand(this.text, at));
  }

  /** After a probe spec `/` opens a filter; the next `/` directly inside the filter ends it; else it divides. */
  private slash(start: number): void {
    const group = this.top();
    if (group === undefined && this.lastType === T.ProbeSpec) return this.open('filter', T.FilterSlash, start);
    if (group?.kind === 'filter') return this.close(start, start + 1);
    if (this.text[start + 1] === '=') this.emit(T.SlashAssign, start, start + 2);
    else this.emit(T.Slash, start, start + 1);
  }

  /**
   * A preprocessor line, outside blocks (preprocessor.ts): `#include` is skipped, `#define` records a
   * macro, `#ifdef`/`#ifndef`/`#else`/`#endif` choose the lines that are read. Inside a block `#` is an error.
   */
  private hash(start: number): void {
    const d = readDirective(this.text, start);
    if (this.groups.length > 0) {
      if (!DIRECTIVES.has(d.name)) return this.unknownCharacters(start);
      const hint = 'preprocessor lines go outside blocks, before the probes (or between them)';
      this.report(`\`#${d.name}\` inside a block`, start, d.nameEnd, hint);
      this.pos = d.lineEnd;
      return;
    }
    this.pos = d.lineEnd;
    const nameSpan = { start, end: d.nameEnd };
    switch (d.name) {
      case 'include':
        return;
      case 'define':
        if (!d.arg) return this.report('expected a macro name after `#define`', start, d.lineEnd, 'write `#define NAME value`');
        if (d.functionLike) {
          return this.report('macros with parameters are not supported', start, d.lineEnd, 'only `#define NAME value` is: write the expression where it is used, or use a variable');
        }
        this.macros.set(d.arg.text, d.body!);
        return;
      case 'undef':
        if (d.arg) this.macros.delete(d.arg.text);
        return;
      case 'ifdef':
      case 'ifndef':
        if (!d.arg) this.report(`expected a macro name after \`#${d.name}\``, start, d.lineEnd, `write \`#${d.name} NAME\``);
        this.conditional(d);
        break;
      case 'else':
      case 'endif':
        this.conditional(d);
        break;
      case 'if':
      case 'elif': {
        const hint = d.name === 'if' ? 'write `#ifdef NAME` or `#ifndef NAME`' : 'write `#else` and a nested `#ifdef`';
        this.report(`\`#${d.name}\` is not supported: only \`#ifdef\`, \`#ifndef\`, \`#else\` and \`#endif\``, nameSpan.start, nameSpan.end, hint);
        this.conditional({ ...d, name: d.name === 'if' ? 'ifdef' : 'else', arg: undefined }); // keep the nesting
        break;
      }
      default: {
        const hint = 'of the C preprocessor tsbt reads `#include` (skipped), `#define NAME value`, `#ifdef`, `#ifndef`, `#else` and `#endif`';
        return this.report(d.name ? `unknown preprocessor directive \`#${d.name}\`` : 'unexpected character `#`', start, d.name ? nameSpan.end : start + 1,
          d.name ? hint : 'comments start with `//`');
      }
    }
    if (!this.conditionals.every((c) => c.active)) this.skipInactiveLines();
  }

  /** `#ifdef`, `#ifndef` (`#if`, as an error, is read as a `#ifdef` of nothing), `#else`, `#endif`. */
  private conditional(d: Directive): void {
    const top = this.conditionals[this.conditionals.length - 1];
    if (d.name === 'ifdef' || d.name === 'ifndef') {
      const parentActive = this.conditionals.every((c) => c.active);
      const name = d.arg?.text;
      const defined = name !== undefined && (this.macros.has(name) || PREDEFINED_MACROS.has(name));
      const chosen = d.name === 'ifdef' ? defined : !defined;
      this.conditionals.push({ directive: d, active: parentActive && chosen, parentActive, taken: chosen, hasElse: false });
    } else if (d.name === 'else') {
      if (!top) return this.report('`#else` without `#ifdef` or `#ifndef`', d.start, d.lineEnd);
      if (top.hasElse && top.parentActive) this.report('a second `#else` for the same `#ifdef`', d.start, d.lineEnd);
      top.active = top.parentActive && !top.taken;
      top.taken = true;
      top.hasElse = true;
    } else if (!this.conditionals.pop()) {
      this.report('`#endif` without `#ifdef` or `#ifndef`', d.start, d.lineEnd);
    }
  }

  /** Skips the lines of a branch that is not chosen, following nested conditionals, up to one that is. */
  private skipInactiveLines(): void {
    while (!this.conditionals.every((c) => c.active)) {
      const at = nextDirectiveLine(this.text, this.pos);
      if (at < 0) {
        this.pos = this.text.length;
        return;
      }
      const d = readDirective(this.text, at);
      this.pos = d.lineEnd;
      if (d.name === 'if') this.conditional({ ...d, name: 'ifdef', arg: undefined });
      else if (d.name === 'elif') this.conditional({ ...d, name: 'else' });
      else if (d.name === 'ifdef' || d.name === 'ifndef' || d.name === 'else' || d.name === 'endif') this.conditional(d);
    }
  }

  /**
   * A macro used in a block: the tokens of its value, placed at the name where it is used (so that
   * the AST and errors point there). A macro is not expanded inside itself, as in C.
   */
  private expandMacro(name: string, body: { start: number; end: number }, start: number, end: number): void {
    const first = this.tokens.length;
    this.expanding.push(name);
    this.pos = body.start;
    for (;;) {
      const trivia = skipTrivia(this.text, this.pos);
      if (trivia.pos >= body.end || this.truncated) break;
      this.pos = trivia.pos;
      this.scanToken();
    }
    this.expanding.pop();
    for (let i = first; i < this.tokens.length; i++) {
      const token = this.tokens[i]!;
      const repair = T.isRepairToken(token);
      token.startOffset = repair ? end : start;
      token.endOffset = end - 1;
    }
    if (this.truncated) return;
    this.pos = end;
    this.lastEnd = end;
  }

  // ---- words, names and literals -----------------------------------------------------------------

  private word(start: number): void {
    const word = wordAt(this.text, start);
    const end = start + word.length;
    if (this.groups.length === 0) {
      if (this.text[end] === ':') this.emit(T.ProbeSpec, start, specEnd(this.text, end));
      else this.emit(isBareProbe(word) ? T.ProbeSpec : TOP_LEVEL_KEYWORDS.get(word) ?? T.Ident, start, end);
      return;
    }
    const macro = this.macros.get(word);
    if (macro && !this.expanding.includes(word) && this.expanding.length < 16 && this.lastType !== T.Dot && this.lastType !== T.Arrow) {
      return this.expandMacro(word, macro, start, end);
    }
    const keyword = T.KEYWORDS.get(word);
    // `(task_struct *)`: a name, stars and `)` right after `(` can only be a type (`name *` cannot end an expression).
    const typeWord = T.TYPE_WORDS.has(word) || (this.lastType === T.LParen && starsThenCloseParen(this.text, end));
    this.emit(keyword ?? (typeWord ? T.TypeWord : T.Ident), start, end);
    if (keyword === T.Else) this.expectBlock = true;
  }

  /** `@name`, `@` (the anonymous map), `$name`, and the positional parameters `$1`, `$2`... and `$#`. */
  private sigilName(start: number, type: TokenType): void {
    let end = start + 1;
    const first = this.text.charCodeAt(end);
    if (type === T.VarName && this.text[end] === '#') {
      end++;
    } else if (type === T.VarName && isDigit(first)) {
      while (isDigit(this.text.charCodeAt(end))) end++;
      if (isWordChar(this.text.charCodeAt(end))) {
        while (isWordChar(this.text.charCodeAt(end))) end++;
        const hint = 'variable names start with a letter or `_`; `$1`, `$2`... are the positional parameters';
        this.report(`invalid variable name \`${this.text.slice(start, end)}\``, start, end, hint);
      }
    } else if (isWordStart(first)) {
      while (isWordChar(this.text.charCodeAt(end))) end++;
    } else if (type === T.VarName) {
      this.report('expected a variable name after `$`', start, start + 1, 'variables are written `$name`');
    }
    this.emit(type, start, end);
  }

  private stringLiteral(start: number): void {
    const scanned = scanString(this.text, start);
    this.diagnostics.push(...scanned.diagnostics);
    this.emit(T.StrLit, start, scanned.end, scanned.value);
    if (scanned.diagnostics.some((d) => d.message === 'unterminated string')) this.recoverFromUnterminatedString(start);
  }

  /**
   * The string swallowed the rest of its line, most likely with the `)`s and the `;` that ended the
   * statement: close those silently (the string's error explains them) so the next line parses.
   */
  private recoverFromUnterminatedString(start: number): void {
    this.unterminatedStringAt = start;
    const boundary = this.innermostBlockOrFilter();
    while (this.groups.length - 1 > boundary) this.close(this.lastEnd, this.lastEnd);
    const group = this.top();
    if (group && group.kind !== 'filter') this.emit(T.Semi, this.lastEnd, this.lastEnd);
  }

  private integerLiteral(start: number): void {
    const scanned = scanInteger(this.text, start, this.lastType === T.Dot);
    this.diagnostics.push(...scanned.diagnostics);
    this.emit(T.IntLit, start, scanned.end, scanned.value);
  }

  /** `'text'` or `“text”` is reported once, and read as a string so that parsing goes on. */
  private wronglyQuoted(start: number, quote: string): void {
    const close = this.text.indexOf(quote, start + 1);
    const newline = this.text.indexOf('\n', start);
    if (close < 0 || (newline >= 0 && newline < close)) return this.unknownCharacters(start);
    const content = this.text.slice(start + 1, close);
    const hint = quote === "'" && [...content].length === 1
      ? `there are no character literals: write the character's code, ${content.codePointAt(0)}, or the string "${content}"`
      : `write "${content}"`;
    this.report('strings are written in plain double quotes', start, close + 1, hint);
    this.emit(T.StrLit, start, close + 1, this.text.slice(start + 1, close));
  }

  /** A run of characters that start no token, reported once. */
  private unknownCharacters(start: number): void {
    let end = start + 1;
    while (end < this.text.length) {
      const c = this.text.charCodeAt(end);
      if (isSpace(c) || isWordChar(c) || '"\'\u201c@$()[]{}<>;,=!&|^~+-*%./?:'.includes(this.text[end]!)) break;
      end++;
    }
    const chars = this.text.slice(start, end);
    const message = `unexpected character${[...chars].length > 1 ? 's' : ''} ${showCharacters(chars)}`;
    this.report(message, start, end, unknownCharacterHint(chars[0]!, this.groups.length > 0));
    this.pos = end;
  }

  // ---- diagnostics -------------------------------------------------------------------------------

  private report(message: string, start: number, end: number, hint?: string): void {
    this.diagnostics.push(error(message, { start, end }, hint));
  }

  private where(offset: number): string {
    const p = this.source.position(offset);
    return `${p.line}:${p.col}`;
  }
}

/** `#`, or U+00A0 for what would not show (a no-break space pasted from a web page, say). */
function showCharacters(chars: string): string {
  if (/^[\x21-\x7e]+$/.test(chars)) return chars.includes('`') ? `'${chars}'` : `\`${chars}\``;
  if (/^[\p{L}\p{N}\p{P}\p{S}]+$/u.test(chars)) return `\`${chars}\``;
  return [...chars].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
}

function unknownCharacterHint(c: string, inBlock: boolean): string | undefined {
  if (c === '#') {
    return inBlock ? 'comments start with `//`' : 'comments start with `//`; of the C preprocessor only `#include` lines are accepted (and ignored)';
  }
  if (c === "'") return 'strings are written in double quotes: "text"';
  if (c === '\u201c' || c === '\u201d') return 'use a plain double quote `"`';
  if (c === ':') return '`:` only appears in probe specs, written without spaces: `kprobe:vfs_read`';
  return undefined;
}
