// The Chevrotain parser: tokens of one probe → ProbeBlock. AST nodes are built by embedded actions.
// Building a parser runs Chevrotain's grammar analysis, which is part of every start of the CLI, so it
// is kept small: instances are built on first use and reused, lookahead functions are built per
// production on first use (lazy-lookahead.ts), and a script parses first with a parser without error
// recovery (recovery needs the follow sets of every rule, computed when the parser is built); only a
// script with syntax errors is parsed again by a recovering parser, for the complete list of errors.

import { EmbeddedActionsParser, EMPTY_ALT, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import type {
  AssignStmt, BinaryOp, ConfigSetting, Expr, IfStmt, MapDecl, ProbeBlock, ProbeSpec, Stmt, StructDef, TypeExpr, UnaryOp,
} from './ast.ts';
import { error, type Diagnostic } from './diagnostics.ts';
import { LazyLookahead } from './lazy-lookahead.ts';
import { splitProbeSpec } from './probe-spec.ts';
import { spanUnion, type Span } from './source.ts';
import { rawErrorMessages } from './syntax-errors.ts';
import * as T from './tokens.ts';
import { tokenSpan } from './tokens.ts';

interface Block {
  stmts: Stmt[];
  span: Span;
}

const NO_SPAN: Span = { start: 0, end: 0 };
// What a rule returns when error recovery skipped it; the program is discarded when there are errors,
// these only keep the embedded actions from tripping over missing pieces.
const errorExpr = (): Expr => ({ kind: 'Ident', name: '<error>', span: NO_SPAN });
const errorStmt = (): Stmt => ({ kind: 'ExprStmt', expr: errorExpr(), span: NO_SPAN });
const errorBlock = (): Block => ({ stmts: [], span: NO_SPAN });
const errorProbe = (): ProbeBlock => ({ kind: 'Probe', specs: [], body: [], span: NO_SPAN });
const errorType = (): TypeExpr => ({ kind: 'TypeExpr', name: '<error>', pointer: 0, span: NO_SPAN });

/** `config = { ... }`: its settings and its span. */
export interface ConfigBlock {
  kind: 'ConfigBlock';
  settings: ConfigSetting[];
  span: Span;
}

/** What one top-level item parses to. */
export type TopLevelItem = ProbeBlock | ConfigBlock | MapDecl | StructDef;

const MAX_LOOKAHEAD = 2;

/** Type qualifiers, accepted where a type is written and left out of its name. */
const QUALIFIERS = new Set(['const', 'volatile']);

class TsbtParser extends EmbeddedActionsParser {
  /** Errors found while building nodes (assigning to a builtin), besides syntax errors. */
  semanticErrors: Diagnostic[] = [];

  constructor(options: { recovery: boolean; validate?: boolean }) {
    super(T.allTokens, {
      recoveryEnabled: options.recovery,
      maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: new LazyLookahead(MAX_LOOKAHEAD),
      errorMessageProvider: rawErrorMessages,
      skipValidations: !options.validate,
    });
    this.performSelfAnalysis();
  }

  // ---- top level: probes and the preamble -------------------------------------------------------

  /** `spec[, spec...] [/filter/] block` */
  readonly probe = this.RULE('probe', (): ProbeBlock => {
    const specs: ProbeSpec[] = [this.probeSpec(this.CONSUME(T.ProbeSpec))];
    this.MANY(() => {
      this.CONSUME(T.Comma);
      specs.push(this.probeSpec(this.CONSUME2(T.ProbeSpec)));
    });
    let filter: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.FilterSlash);
      filter = this.SUBRULE(this.expression);
      this.CONSUME2(T.FilterSlash);
    });
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({
      kind: 'Probe' as const,
      specs,
      ...(filter ? { filter } : {}),
      body: body.stmts,
      span: spanUnion(specs[0]!.span, body.span),
    }));
  }, { recoveryValueFunc: errorProbe });

  /** `config = { key = value; ... }` */
  readonly configBlock = this.RULE('configBlock', (): ConfigBlock => {
    const keyword = this.CONSUME(T.Config);
    this.CONSUME(T.Assign);
    this.CONSUME(T.LBrace);
    const settings: ConfigSetting[] = [];
    this.MANY(() => this.OR([
      { ALT: () => { this.CONSUME(T.Semi); } },
      {
        ALT: () => {
          settings.push(this.SUBRULE(this.configSetting));
          this.SUBRULE(this.statementEnd, { ARGS: [T.RBrace] });
        },
      },
    ]));
    const close = this.CONSUME(T.RBrace);
    this.OPTION(() => this.CONSUME2(T.Semi));
    return this.ACTION(() => ({ kind: 'ConfigBlock' as const, settings, span: spanUnion(tokenSpan(keyword), tokenSpan(close)) }));
  }, { recoveryValueFunc: (): ConfigBlock => ({ kind: 'ConfigBlock', settings: [], span: NO_SPAN }) });

  readonly configSetting = this.RULE('configSetting', (): ConfigSetting => {
    const key = this.CONSUME(T.Name);
    this.CONSUME(T.Assign);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => ({ kind: 'Config' as const, key: key.image, value, span: spanUnion(tokenSpan(key), value.span) }));
  }, { recoveryValueFunc: (): ConfigSetting => ({ kind: 'Config', key: '<error>', value: errorExpr(), span: NO_SPAN }) });

  /** `let @name = hash(1024);` */
  readonly mapDecl = this.RULE('mapDecl', (): MapDecl => {
    const keyword = this.CONSUME(T.Let);
    const name = this.CONSUME(T.MapName);
    this.CONSUME(T.Assign);
    const mapKind = this.CONSUME(T.Ident);
    this.CONSUME(T.LParen);
    const args: Expr[] = [];
    this.MANY_SEP({ SEP: T.Comma, DEF: () => args.push(this.SUBRULE(this.expression)) });
    const close = this.CONSUME(T.RParen);
    this.CONSUME(T.Semi);
    return this.ACTION(() => ({
      kind: 'MapDecl' as const, name: name.image, mapKind: mapKind.image, args, span: spanUnion(tokenSpan(keyword), tokenSpan(close)),
    }));
  }, { recoveryValueFunc: (): MapDecl => ({ kind: 'MapDecl', name: '<error>', mapKind: '<error>', args: [], span: NO_SPAN }) });

  /** `struct name { type field; ... }` (a `;` after it is allowed, as in C) */
  readonly structDef = this.RULE('structDef', (): StructDef => {
    const keyword = this.CONSUME(T.Struct);
    const name = this.CONSUME(T.Name);
    this.CONSUME(T.LBrace);
    const fields: StructDef['fields'] = [];
    this.MANY(() => this.OR([
      { ALT: () => { this.CONSUME(T.Semi); } },
      {
        ALT: () => {
          fields.push(this.SUBRULE(this.structField));
          this.SUBRULE(this.statementEnd, { ARGS: [T.RBrace] });
        },
      },
    ]));
    const close = this.CONSUME(T.RBrace);
    this.OPTION(() => this.CONSUME2(T.Semi));
    return this.ACTION(() => ({ kind: 'StructDef' as const, name: name.image, fields, span: spanUnion(tokenSpan(keyword), tokenSpan(close)) }));
  }, { recoveryValueFunc: (): StructDef => ({ kind: 'StructDef', name: '<error>', fields: [], span: NO_SPAN }) });

  /**
   * `u32 a`, `unsigned long long n`, `char name[16]`, `struct x *next`, `const char *s`, `pid_t pid`:
   * words, stars, the member's name, an array length. Without stars the last word is the name.
   */
  readonly structField = this.RULE('structField', (): StructDef['fields'][number] => {
    const words: IToken[] = [];
    let structKeyword: IToken | undefined;
    let stars: IToken[] = [];
    let name: IToken | undefined;
    let array: { len?: number; close: IToken } | undefined;
    this.OR([
      {
        ALT: () => {
          structKeyword = this.CONSUME(T.Struct);
          words.push(this.CONSUME(T.Name));
        },
      },
      { ALT: () => { this.AT_LEAST_ONE(() => words.push(this.CONSUME2(T.Name))); } },
    ]);
    stars = this.starsOf();
    this.OPTION(() => { name = this.CONSUME3(T.Name); });
    this.OPTION2(() => { array = this.arraySuffix(); });
    return this.ACTION(() => {
      if (!name && stars.length === 0 && !structKeyword && words.length > 1) name = words.pop();
      const first = structKeyword ?? words[0]!;
      if (!name) {
        const at = tokenSpan(stars[stars.length - 1] ?? words[words.length - 1]!);
        this.semanticErrors.push(error('expected a member name after its type', { start: at.end, end: at.end }, 'members are written `type name;`, e.g. `u32 pid;` or `char comm[16];`'));
        return { type: errorType(), name: '<error>', span: NO_SPAN };
      }
      const typeEnd = tokenSpan(stars[stars.length - 1] ?? words[words.length - 1]!);
      // Several words make a type only as C allows: type words (`unsigned long`), or one typedef name with qualifiers.
      const named = words.filter((w) => w.tokenType !== T.TypeWord);
      const typeWords = words.filter((w) => w.tokenType === T.TypeWord && !QUALIFIERS.has(w.image));
      if (!structKeyword && (named.length > 1 || (named.length === 1 && typeWords.length > 0))) {
        const text = words.map((w) => w.image).join(' ');
        this.semanticErrors.push(error(`\`${text}\` is not a type`, spanUnion(tokenSpan(first), typeEnd), 'members are written `type name;`, e.g. `u32 pid;` or `char comm[16];`'));
      }
      const type = this.typeNode(structKeyword, words, stars.length, array, spanUnion(tokenSpan(first), typeEnd));
      const end = array ? tokenSpan(array.close) : tokenSpan(name);
      return { type, name: name.image, span: spanUnion(tokenSpan(first), end) };
    });
  }, { recoveryValueFunc: () => ({ type: errorType(), name: '<error>', span: NO_SPAN }) });

  // ---- blocks and statements ----------------------------------------------------------------------

  /** `< ... >` or `{ ... }`: the same statements either way. */
  readonly block = this.RULE('block', (): Block => this.OR([
    { ALT: () => this.SUBRULE(this.angleBlock) },
    { ALT: () => this.SUBRULE(this.braceBlock) },
  ]), { recoveryValueFunc: errorBlock });

  readonly angleBlock = this.RULE('angleBlock', (): Block => this.delimited(T.BlockOpen, T.BlockClose),
    { recoveryValueFunc: errorBlock });

  readonly braceBlock = this.RULE('braceBlock', (): Block => this.delimited(T.LBrace, T.RBrace),
    { recoveryValueFunc: errorBlock });

  /**
   * Statements separated by `;`; empty statements are allowed. A statement that ends with a block
   * (`if`, `while`, `for`, `unroll`, a nested block) needs no `;` after it.
   */
  readonly statements = this.RULE('statements', (closer: TokenType): Stmt[] => {
    const stmts: Stmt[] = [];
    this.MANY(() => this.OR([
      { ALT: () => { this.CONSUME(T.Semi); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.ifStatement)); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.whileStatement)); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.forStatement)); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.unrollStatement)); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.blockStatement)); } },
      {
        ALT: () => {
          stmts.push(this.SUBRULE(this.letStatement));
          this.SUBRULE(this.statementEnd, { ARGS: [closer] });
        },
      },
      {
        ALT: () => {
          stmts.push(this.SUBRULE(this.jumpStatement));
          this.SUBRULE2(this.statementEnd, { ARGS: [closer] });
        },
      },
      {
        ALT: () => {
          stmts.push(this.SUBRULE(this.simpleStatement));
          this.SUBRULE3(this.statementEnd, { ARGS: [closer] });
        },
      },
    ]));
    return stmts;
  }, { recoveryValueFunc: () => [] });

  /** A `;`, or nothing when the block ends right here. */
  readonly statementEnd = this.RULE('statementEnd', (closer: TokenType): void => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Semi); } },
      { GATE: () => this.LA(1).tokenType === closer, ALT: EMPTY_ALT() },
    ]);
  });

  readonly ifStatement = this.RULE('ifStatement', (): IfStmt => {
    const keyword = this.CONSUME(T.If);
    this.CONSUME(T.LParen);
    const cond = this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    const then = this.SUBRULE(this.block);
    let otherwise: Stmt[] | undefined;
    let end = then.span;
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        {
          ALT: () => {
            const nested = this.SUBRULE2(this.ifStatement);
            otherwise = [nested];
            end = nested.span;
          },
        },
        {
          ALT: () => {
            const block = this.SUBRULE2(this.block);
            otherwise = block.stmts;
            end = block.span;
          },
        },
      ]);
    });
    return this.ACTION(() => ({
      kind: 'If' as const,
      cond,
      then: then.stmts,
      ...(otherwise ? { else: otherwise } : {}),
      span: spanUnion(tokenSpan(keyword), end),
    }));
  }, { recoveryValueFunc: (): IfStmt => ({ kind: 'If', cond: errorExpr(), then: [], span: NO_SPAN }) });

  /** `while (cond) block` */
  readonly whileStatement = this.RULE('whileStatement', (): Stmt => {
    const keyword = this.CONSUME(T.While);
    this.CONSUME(T.LParen);
    const cond = this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: 'While' as const, cond, body: body.stmts, span: spanUnion(tokenSpan(keyword), body.span) }));
  }, { recoveryValueFunc: errorStmt });

  /** `for ($i : start..end) block` or `for ($kv : @map) block`; the ends of a range are unary expressions. */
  readonly forStatement = this.RULE('forStatement', (): Stmt => {
    const keyword = this.CONSUME(T.For);
    this.CONSUME(T.LParen);
    const variable = this.CONSUME(T.VarName);
    this.CONSUME(T.Colon);
    const from = this.SUBRULE(this.unary);
    let to: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      to = this.SUBRULE2(this.unary);
    });
    this.CONSUME(T.RParen);
    const body = this.SUBRULE(this.block);
    return this.ACTION((): Stmt => {
      const span = spanUnion(tokenSpan(keyword), body.span);
      const name = this.plainVariable(variable, 'the variable of a `for` loop');
      if (to) return { kind: 'ForRange', var: name, from, to, body: body.stmts, span };
      if (from.kind === 'Map' && from.keys.length === 0) return { kind: 'ForMap', var: name, map: from, body: body.stmts, span };
      const hint = from.kind === 'Map' ? 'a `for` loop runs over a whole map: `for ($kv : @name)`, without keys' : 'write a range `start..end` (end excluded) or a map `@name`';
      this.semanticErrors.push(error('expected a range (`0..10`) or a map (`@name`) after `:`', from.span, hint));
      return { kind: 'ForRange', var: name, from, to: errorExpr(), body: body.stmts, span };
    });
  }, { recoveryValueFunc: errorStmt });

  /** `unroll (n) block` */
  readonly unrollStatement = this.RULE('unrollStatement', (): Stmt => {
    const keyword = this.CONSUME(T.Unroll);
    this.CONSUME(T.LParen);
    const count = this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    const body = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: 'Unroll' as const, count, body: body.stmts, span: spanUnion(tokenSpan(keyword), body.span) }));
  }, { recoveryValueFunc: errorStmt });

  /** A nested block: its own scope. */
  readonly blockStatement = this.RULE('blockStatement', (): Stmt => {
    const block = this.SUBRULE(this.block);
    return this.ACTION(() => ({ kind: 'Block' as const, body: block.stmts, span: block.span }));
  }, { recoveryValueFunc: errorStmt });

  /** `let $x`, `let $x = e`, `let $x: type [= e]` */
  readonly letStatement = this.RULE('letStatement', (): Stmt => {
    const keyword = this.CONSUME(T.Let);
    const variable = this.CONSUME(T.VarName);
    let type: TypeExpr | undefined;
    let value: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      type = this.SUBRULE(this.declType);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Assign);
      value = this.SUBRULE(this.expression);
    });
    return this.ACTION(() => {
      const name = this.plainVariable(variable, '`let`');
      const end = value?.span ?? type?.span ?? tokenSpan(variable);
      return { kind: 'Let' as const, name, ...(type ? { type } : {}), ...(value ? { value } : {}), span: spanUnion(tokenSpan(keyword), end) };
    });
  }, { recoveryValueFunc: errorStmt });

  /** `break`, `continue`, `return` */
  readonly jumpStatement = this.RULE('jumpStatement', (): Stmt => {
    const keyword = this.OR([
      { ALT: () => this.CONSUME(T.Break) },
      { ALT: () => this.CONSUME(T.Continue) },
      { ALT: () => this.CONSUME(T.Return) },
    ]);
    return this.ACTION(() => ({ kind: 'Jump' as const, jump: keyword.image as 'break' | 'continue' | 'return', span: tokenSpan(keyword) }));
  }, { recoveryValueFunc: errorStmt });

  /** `target = value`, `target op= value`, or an expression (a call, `$i++`) evaluated for its effect. */
  readonly simpleStatement = this.RULE('simpleStatement', (): Stmt => {
    const target = this.SUBRULE(this.expression);
    let value: Expr | undefined;
    let op: IToken | undefined;
    this.OPTION(() => {
      op = this.OR([
        { ALT: () => this.CONSUME(T.Assign) },
        { ALT: () => this.CONSUME(T.CompoundAssign) },
      ]);
      value = this.SUBRULE2(this.expression);
    });
    return this.ACTION((): Stmt => {
      if (value === undefined) return { kind: 'ExprStmt', expr: target, span: target.span };
      const span = spanUnion(target.span, value.span);
      if (target.kind === 'Map' || target.kind === 'Var') {
        const compound = op!.image === '=' ? {} : { op: op!.image.slice(0, -1) as NonNullable<AssignStmt['op']> };
        return { kind: 'Assign', target, value, ...compound, span };
      }
      const hint = target.kind === 'Binary' && target.op === '>' ? 'is this `>` meant to close the block? then end the statement before it with `;`'
        : target.kind === 'Ternary' ? 'a ternary is a value; to assign in each branch, use `if (c) < $x = a > else < $x = b >`'
        : undefined;
      this.semanticErrors.push(error('only a map (`@name`) or a variable (`$name`) can be assigned to', target.span, hint));
      return { kind: 'ExprStmt', expr: value, span };
    });
  }, { recoveryValueFunc: errorStmt });

  // ---- expressions, loosest first ---------------------------------------------------------------

  readonly expression = this.RULE('expression', (): Expr => this.SUBRULE(this.ternary), { recoveryValueFunc: errorExpr });

  /** `cond ? a : b`, right-associative: `a ? b : c ? d : e` is `a ? b : (c ? d : e)`. */
  readonly ternary = this.RULE('ternary', (): Expr => {
    const cond = this.SUBRULE(this.binary);
    let branches: { then: Expr; else: Expr } | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Question);
      const then = this.SUBRULE(this.expression);
      this.CONSUME(T.Colon);
      branches = { then, else: this.SUBRULE(this.ternary) };
    });
    return this.ACTION((): Expr => branches
      ? { kind: 'Ternary', cond, then: branches.then, else: branches.else, span: spanUnion(cond.span, branches.else.span) }
      : cond);
  }, { recoveryValueFunc: errorExpr });

  /**
   * `operand (op operand)*`, folded into a tree by BINARY_PRECEDENCE: one rule instead of one per
   * level keeps the parser quick to build and to run.
   */
  readonly binary = this.RULE('binary', (): Expr => {
    const operands = [this.SUBRULE(this.unary)];
    const operators: IToken[] = [];
    this.MANY(() => {
      operators.push(this.CONSUME(T.BinaryOp));
      operands.push(this.SUBRULE2(this.unary));
    });
    return this.ACTION(() => foldBinary(operands, operators));
  }, { recoveryValueFunc: errorExpr });

  /** Prefix operators: `!e`, `-e`, `~e`, `*p`, `&s->f`, `++x`, `--x`. (A cast is a primary whose operand is unary.) */
  readonly unary = this.RULE('unary', (): Expr => this.OR([
    {
      ALT: () => {
        const op = this.CONSUME(T.UnaryOp);
        const operand = this.SUBRULE(this.unary);
        return this.ACTION(() => ({
          kind: 'Unary' as const,
          op: op.image as UnaryOp,
          operand,
          span: spanUnion(tokenSpan(op), operand.span),
        }));
      },
    },
    {
      ALT: () => {
        const op = this.OR2([
          { ALT: () => this.CONSUME(T.PlusPlus) },
          { ALT: () => this.CONSUME(T.MinusMinus) },
        ]);
        const operand = this.SUBRULE(this.postfix);
        return this.ACTION(() => this.incDec(op, operand, true));
      },
    },
    { ALT: () => this.SUBRULE2(this.postfix) },
  ]), { recoveryValueFunc: errorExpr });

  /** Field access and indexing chains (`args->ret`, `$t.0`, `$a[1].b`), then an optional `++`/`--`. */
  readonly postfix = this.RULE('postfix', (): Expr => {
    let object = this.SUBRULE(this.primary);
    this.MANY(() => this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Arrow);
          const field = this.CONSUME(T.Name);
          object = this.ACTION(() => this.fieldAccess(object, field, true));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          const field = this.OR2([
            { ALT: () => this.CONSUME2(T.Name) },
            { ALT: () => this.CONSUME(T.IntLit) },
          ]);
          object = this.ACTION(() => this.fieldAccess(object, field, false));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          const index = this.SUBRULE(this.expression);
          const close = this.CONSUME(T.RBracket);
          object = this.ACTION(() => ({ kind: 'Index' as const, object, index, span: spanUnion(object.span, tokenSpan(close)) }));
        },
      },
    ]));
    this.OPTION(() => {
      const op = this.OR3([
        { ALT: () => this.CONSUME(T.PlusPlus) },
        { ALT: () => this.CONSUME(T.MinusMinus) },
      ]);
      object = this.ACTION(() => this.incDec(op, object, false));
    });
    return object;
  }, { recoveryValueFunc: errorExpr });

  readonly primary = this.RULE('primary', (): Expr => this.OR([
    {
      ALT: () => {
        const t = this.CONSUME(T.IntLit);
        return this.ACTION(() => ({ kind: 'Int' as const, value: t.payload as bigint, span: tokenSpan(t) }));
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.StrLit);
        return this.ACTION(() => ({ kind: 'Str' as const, value: t.payload as string, span: tokenSpan(t) }));
      },
    },
    {
      ALT: () => {
        const t = this.OR2([
          { ALT: () => this.CONSUME(T.True) },
          { ALT: () => this.CONSUME(T.False) },
        ]);
        return this.ACTION(() => ({ kind: 'Bool' as const, value: t.tokenType === T.True, span: tokenSpan(t) }));
      },
    },
    { ALT: () => this.SUBRULE(this.nameOrCall) },
    { ALT: () => this.SUBRULE(this.mapRef) },
    {
      ALT: () => {
        const t = this.CONSUME(T.VarName);
        return this.ACTION(() => this.variableOrPositional(t));
      },
    },
    { ALT: () => this.SUBRULE(this.parenthesized) },
    { ALT: () => this.SUBRULE(this.sizeofExpr) },
    { ALT: () => this.SUBRULE(this.offsetofExpr) },
  ]), { recoveryValueFunc: errorExpr });

  /**
   * What starts with `(`: a cast `(type) operand` when a type word or `struct` follows the `(`; a
   * tuple `(a, b)`, `(a,)`, `()`; or a parenthesized expression `(a)`.
   */
  readonly parenthesized = this.RULE('parenthesized', (): Expr => {
    const open = this.CONSUME(T.LParen);
    return this.OR([
      {
        ALT: () => {
          const close = this.CONSUME(T.RParen);
          return this.ACTION(() => ({ kind: 'Tuple' as const, elems: [], span: spanUnion(tokenSpan(open), tokenSpan(close)) }));
        },
      },
      {
        ALT: () => {
          const type = this.SUBRULE(this.castType);
          this.CONSUME2(T.RParen);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION(() => ({ kind: 'Cast' as const, type, expr: operand, span: spanUnion(tokenSpan(open), operand.span) }));
        },
      },
      {
        ALT: () => {
          const elems = [this.SUBRULE(this.expression)];
          let tuple = false;
          this.MANY(() => {
            this.CONSUME(T.Comma);
            tuple = true;
            this.OR2([
              { ALT: () => { elems.push(this.SUBRULE2(this.expression)); } },
              { GATE: () => this.LA(1).tokenType === T.RParen, ALT: EMPTY_ALT() },
            ]);
          });
          const close = this.CONSUME3(T.RParen);
          return this.ACTION((): Expr => tuple ? { kind: 'Tuple', elems, span: spanUnion(tokenSpan(open), tokenSpan(close)) } : elems[0]!);
        },
      },
    ]);
  }, { recoveryValueFunc: errorExpr });

  /** `sizeof(type)` or `sizeof(expr)` */
  readonly sizeofExpr = this.RULE('sizeofExpr', (): Expr => {
    const keyword = this.CONSUME(T.Sizeof);
    this.CONSUME(T.LParen);
    const operand = this.OR([
      { ALT: () => ({ type: this.SUBRULE(this.castType) }) },
      { ALT: () => ({ expr: this.SUBRULE(this.expression) }) },
    ]);
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => ({ kind: 'Sizeof' as const, ...operand, span: spanUnion(tokenSpan(keyword), tokenSpan(close)) }));
  }, { recoveryValueFunc: errorExpr });

  /** `offsetof(struct x, a.b)` */
  readonly offsetofExpr = this.RULE('offsetofExpr', (): Expr => {
    const keyword = this.CONSUME(T.Offsetof);
    this.CONSUME(T.LParen);
    const type = this.SUBRULE(this.declType);
    this.CONSUME(T.Comma);
    const field = [this.CONSUME(T.Name).image];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      field.push(this.CONSUME2(T.Name).image);
    });
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => ({ kind: 'Offsetof' as const, type, field, span: spanUnion(tokenSpan(keyword), tokenSpan(close)) }));
  }, { recoveryValueFunc: errorExpr });

  /** A type in a cast or `sizeof`: type words or `struct name`, stars, an array suffix (`uint8[4]`, `uint8[]`). */
  readonly castType = this.RULE('castType', (): TypeExpr => this.typeExpr(false), { recoveryValueFunc: errorType });

  /** A type after `let $x:` or in `offsetof`: as in a cast, or a typedef name (`pid_t`). */
  readonly declType = this.RULE('declType', (): TypeExpr => this.typeExpr(true), { recoveryValueFunc: errorType });

  /** `pid`, or `count()`, `printf("%d\n", pid)` */
  readonly nameOrCall = this.RULE('nameOrCall', (): Expr => {
    const name = this.CONSUME(T.Ident);
    let args: Expr[] | undefined;
    let close: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      args = [];
      this.MANY_SEP({ SEP: T.Comma, DEF: () => args!.push(this.SUBRULE(this.expression)) });
      close = this.CONSUME(T.RParen);
    });
    return this.ACTION((): Expr => {
      const nameSpan = tokenSpan(name);
      if (!args) return { kind: 'Ident', name: name.image, span: nameSpan };
      return { kind: 'Call', callee: name.image, calleeSpan: nameSpan, args, span: spanUnion(nameSpan, tokenSpan(close!)) };
    });
  }, { recoveryValueFunc: errorExpr });

  /** `@name`, `@name[k1, k2]`, `@[k]` */
  readonly mapRef = this.RULE('mapRef', (): Expr => {
    const name = this.CONSUME(T.MapName);
    const keys: Expr[] = [];
    let close: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => keys.push(this.SUBRULE(this.expression)) });
      close = this.CONSUME(T.RBracket);
    });
    return this.ACTION(() => ({
      kind: 'Map' as const,
      name: name.image,
      keys,
      span: close ? spanUnion(tokenSpan(name), tokenSpan(close)) : tokenSpan(name),
    }));
  }, { recoveryValueFunc: errorExpr });

  // ---- helpers ----------------------------------------------------------------------------------

  private delimited(open: TokenType, close: TokenType): Block {
    const first = this.CONSUME(open);
    const stmts = this.SUBRULE(this.statements, { ARGS: [close] });
    const last = this.CONSUME(close);
    return this.ACTION(() => ({ stmts, span: spanUnion(tokenSpan(first), tokenSpan(last)) }));
  }

  private probeSpec(token: IToken): ProbeSpec {
    return this.ACTION(() => ({ kind: 'ProbeSpec' as const, text: token.image, ...splitProbeSpec(token.image), span: tokenSpan(token) }));
  }

  /** The body of castType / declType (`typedefs`: a bare name may be the type). */
  private typeExpr(typedefs: boolean): TypeExpr {
    const words: IToken[] = [];
    let structKeyword: IToken | undefined;
    const alternatives = [
      {
        ALT: () => {
          structKeyword = this.CONSUME(T.Struct);
          words.push(this.CONSUME(T.Name));
        },
      },
      {
        ALT: () => {
          structKeyword = this.CONSUME(T.Enum);
          words.push(this.CONSUME2(T.Name));
        },
      },
      { ALT: () => { this.AT_LEAST_ONE(() => words.push(this.CONSUME(T.TypeWord))); } },
    ];
    if (typedefs) alternatives.push({ ALT: () => { words.push(this.CONSUME(T.Ident)); } });
    this.OR(alternatives);
    const stars = this.starsOf();
    let array: { len?: number; close: IToken } | undefined;
    this.OPTION(() => { array = this.arraySuffix(); });
    return this.ACTION(() => {
      const first = structKeyword ?? words[0]!;
      const last = array?.close ?? stars[stars.length - 1] ?? words[words.length - 1]!;
      return this.typeNode(structKeyword, words, stars.length, array, spanUnion(tokenSpan(first), tokenSpan(last)));
    });
  }

  private starsOf(): IToken[] {
    const stars: IToken[] = [];
    this.MANY9(() => stars.push(this.CONSUME9(T.Star)));
    return stars;
  }

  /** `[16]` or `[]` */
  private arraySuffix(): { len?: number; close: IToken } {
    this.CONSUME9(T.LBracket);
    let len: IToken | undefined;
    this.OPTION9(() => { len = this.CONSUME8(T.IntLit); });
    const close = this.CONSUME9(T.RBracket);
    return this.ACTION(() => {
      const value = len?.payload as bigint | undefined;
      if (value !== undefined && value > 0xffff_ffffn) this.semanticErrors.push(error('array length too large', tokenSpan(len!)));
      return { ...(value !== undefined ? { len: Number(value) } : {}), close };
    });
  }

  private typeNode(structKeyword: IToken | undefined, words: IToken[], pointer: number, array: { len?: number; close: IToken } | undefined, span: Span): TypeExpr {
    const names = words.map((w) => w.image).filter((w) => structKeyword || !QUALIFIERS.has(w));
    if (names.length === 0) {
      this.semanticErrors.push(error(`\`${words.map((w) => w.image).join(' ')}\` is not a type by itself`, span, 'write the type it qualifies, e.g. `const char *`'));
    }
    const name = structKeyword ? `${structKeyword.image} ${names[0]}` : names.join(' ');
    return {
      kind: 'TypeExpr',
      name,
      pointer,
      ...(array?.len !== undefined ? { arrayLen: array.len } : {}),
      ...(array && array.len === undefined ? { unsizedArray: true } : {}),
      span,
    };
  }

  /** `e.field`, `e->field`, `$t.0` (a tuple element: a plain decimal number). */
  private fieldAccess(object: Expr, field: IToken, arrow: boolean): Expr {
    if (field.tokenType === T.IntLit && !/^[0-9]+$/.test(field.image)) {
      this.semanticErrors.push(error(`invalid tuple index \`${field.image}\``, tokenSpan(field), 'tuple elements are numbered from 0: `$t.0`, `$t.1`'));
    }
    const name = field.tokenType === T.IntLit ? String(field.payload as bigint) : field.image;
    return { kind: 'Field', object, field: name, arrow, fieldSpan: tokenSpan(field), span: spanUnion(object.span, tokenSpan(field)) };
  }

  private incDec(op: IToken, target: Expr, prefix: boolean): Expr {
    const span = spanUnion(tokenSpan(op), target.span);
    if (target.kind !== 'Map' && target.kind !== 'Var') {
      this.semanticErrors.push(error(`\`${op.image}\` applies to a map (\`@name\`) or a variable (\`$name\`)`, target.span));
      return target;
    }
    return { kind: 'IncDec', target, op: op.image as '++' | '--', prefix, span };
  }

  /** `$name`, or the positional parameters `$1`, `$2`... and their count `$#`. */
  private variableOrPositional(t: IToken): Expr {
    const span = tokenSpan(t);
    if (t.image === '$#') return { kind: 'Positional', index: 0, count: true, span };
    if (!/^\$[0-9]+$/.test(t.image)) return { kind: 'Var', name: t.image, span };
    const index = Number(t.image.slice(1));
    if (index === 0 || /^\$0/.test(t.image)) {
      this.semanticErrors.push(error(`invalid positional parameter \`${t.image}\``, span, 'positional parameters are `$1`, `$2`, ...; `$#` is their count'));
    }
    return { kind: 'Positional', index, count: false, span };
  }

  /** The name of a variable being declared; a positional parameter is an error. */
  private plainVariable(t: IToken, what: string): string {
    if (t.image === '$#' || /^\$[0-9]/.test(t.image)) {
      this.semanticErrors.push(error(`\`${t.image}\` is a positional parameter, not a variable`, tokenSpan(t), `${what} needs a variable such as \`$i\``));
    }
    return t.image;
  }
}

/** Binding strength of the binary operators, as in C; all of them associate to the left. */
const BINARY_PRECEDENCE: Record<BinaryOp, number> = {
  '*': 10, '/': 10, '%': 10,
  '+': 9, '-': 9,
  '<<': 8, '>>': 8,
  '<': 7, '<=': 7, '>': 7, '>=': 7,
  '==': 6, '!=': 6,
  '&': 5,
  '^': 4,
  '|': 3,
  '&&': 2,
  '||': 1,
};

/** `operands[0] operators[0] operands[1] ...` → a tree, by precedence climbing (recursion depth ≤ the number of levels). */
function foldBinary(operands: Expr[], operators: IToken[]): Expr {
  let nextOperand = 0;
  let nextOperator = 0;
  const climb = (minPrecedence: number): Expr => {
    let left = operands[nextOperand++]!;
    while (nextOperator < operators.length) {
      const op = operators[nextOperator]!;
      const precedence = BINARY_PRECEDENCE[op.image as BinaryOp];
      if (precedence < minPrecedence) break;
      nextOperator++;
      const right = climb(precedence + 1);
      left = { kind: 'Binary', op: op.image as BinaryOp, left, right, opSpan: tokenSpan(op), span: spanUnion(left.span, right.span) };
    }
    return left;
  };
  return climb(0);
}

/** Parsers for a first attempt (no recovery) and for scripts with syntax errors (recovery). */
let fast: TsbtParser | undefined;
let recovering: TsbtParser | undefined;

export interface ItemParse {
  item: TopLevelItem;
  syntaxErrors: IRecognitionException[];
  semanticErrors: Diagnostic[];
}

/**
 * Parses the tokens of one top-level item: a probe (a spec list, an optional filter and one block),
 * `config = { ... }`, `let @map = kind(...);` or `struct name { ... }`, by its first token. The lexer
 * bounds nesting, but a long run of prefix operators (`- - - ... 1`) still recurses: that is 'too-deep'.
 */
export function parseItem(tokens: IToken[]): ItemParse | 'too-deep' {
  const first = parseWith((fast ??= new TsbtParser({ recovery: false })), tokens);
  if (first === 'too-deep' || first.syntaxErrors.length === 0) return first;
  // Without recovery the parser stops at the first error; the recovering one reports every error
  // (and the same first one). The embedded actions run again: they have no effects outside the parser.
  return parseWith((recovering ??= new TsbtParser({ recovery: true })), tokens);
}

function parseWith(parser: TsbtParser, tokens: IToken[]): ItemParse | 'too-deep' {
  parser.input = tokens; // also resets the parser's state
  parser.semanticErrors = [];
  try {
    const first = tokens[0]?.tokenType;
    const item: TopLevelItem = first === T.Config ? parser.configBlock()
      : first === T.Let ? parser.mapDecl()
      : first === T.Struct ? parser.structDef()
      : parser.probe();
    return { item, syntaxErrors: parser.errors, semanticErrors: parser.semanticErrors };
  } catch (e) {
    if (e instanceof RangeError) return 'too-deep';
    throw e;
  }
}

/** Builds both parsers with Chevrotain's grammar checks on (ambiguities, left recursion); for tests. */
export function validateGrammar(): void {
  new TsbtParser({ recovery: false, validate: true });
  new TsbtParser({ recovery: true, validate: true });
}
