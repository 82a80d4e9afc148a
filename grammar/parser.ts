// The Chevrotain parser: tokens of one probe → ProbeBlock. AST nodes are built by embedded actions.
// The instance is built on first use (grammar analysis costs a few milliseconds) and reused.

import { EmbeddedActionsParser, EMPTY_ALT, type IRecognitionException, type IToken, type ParserMethod, type TokenType } from 'chevrotain';
import type { BinaryOp, Expr, IfStmt, ProbeBlock, ProbeSpec, Stmt, UnaryOp } from './ast.ts';
import { error, type Diagnostic } from './diagnostics.ts';
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

class TsbtParser extends EmbeddedActionsParser {
  /** Errors found while building nodes (assigning to a builtin), besides syntax errors. */
  semanticErrors: Diagnostic[] = [];

  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: rawErrorMessages, skipValidations: !validate });
    this.performSelfAnalysis();
  }

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

  /** `< ... >` or `{ ... }`: the same statements either way. */
  readonly block = this.RULE('block', (): Block => this.OR([
    { ALT: () => this.SUBRULE(this.angleBlock) },
    { ALT: () => this.SUBRULE(this.braceBlock) },
  ]), { recoveryValueFunc: errorBlock });

  readonly angleBlock = this.RULE('angleBlock', (): Block => this.delimited(T.BlockOpen, T.BlockClose),
    { recoveryValueFunc: errorBlock });

  readonly braceBlock = this.RULE('braceBlock', (): Block => this.delimited(T.LBrace, T.RBrace),
    { recoveryValueFunc: errorBlock });

  /** Statements separated by `;`; empty statements are allowed, an `if` needs no `;` after it. */
  readonly statements = this.RULE('statements', (closer: TokenType): Stmt[] => {
    const stmts: Stmt[] = [];
    this.MANY(() => this.OR([
      { ALT: () => { this.CONSUME(T.Semi); } },
      { ALT: () => { stmts.push(this.SUBRULE(this.ifStatement)); } },
      {
        ALT: () => {
          stmts.push(this.SUBRULE(this.simpleStatement));
          this.SUBRULE(this.statementEnd, { ARGS: [closer] });
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

  /** `target = value` or an expression (a call) evaluated for its effect. */
  readonly simpleStatement = this.RULE('simpleStatement', (): Stmt => {
    const target = this.SUBRULE(this.expression);
    let value: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      value = this.SUBRULE2(this.expression);
    });
    return this.ACTION((): Stmt => {
      if (value === undefined) return { kind: 'ExprStmt', expr: target, span: target.span };
      const span = spanUnion(target.span, value.span);
      if (target.kind === 'Map' || target.kind === 'Var') return { kind: 'Assign', target, value, span };
      this.semanticErrors.push(error('only a map (`@name`) or a variable (`$name`) can be assigned to', target.span,
        target.kind === 'Binary' && target.op === '>' ? 'is this `>` meant to close the block? then end the statement before it with `;`' : undefined));
      return { kind: 'ExprStmt', expr: value, span };
    });
  }, { recoveryValueFunc: errorStmt });

  // ---- expressions, loosest first; every binary level is left-associative ---------------------------

  readonly expression = this.RULE('expression', (): Expr => this.SUBRULE(this.logicalOr), { recoveryValueFunc: errorExpr });
  readonly logicalOr = this.binaryLevel('logicalOr', T.OrOr, () => this.logicalAnd);
  readonly logicalAnd = this.binaryLevel('logicalAnd', T.AndAnd, () => this.bitOr);
  readonly bitOr = this.binaryLevel('bitOr', T.Pipe, () => this.bitXor);
  readonly bitXor = this.binaryLevel('bitXor', T.Caret, () => this.bitAnd);
  readonly bitAnd = this.binaryLevel('bitAnd', T.Amp, () => this.equality);
  readonly equality = this.binaryLevel('equality', T.EqOp, () => this.relational);
  readonly relational = this.binaryLevel('relational', T.RelOp, () => this.shift);
  readonly shift = this.binaryLevel('shift', T.ShiftOp, () => this.additive);
  readonly additive = this.binaryLevel('additive', T.AddOp, () => this.multiplicative);
  readonly multiplicative = this.binaryLevel('multiplicative', T.MulOp, () => this.unary);

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
    { ALT: () => this.SUBRULE(this.postfix) },
  ]), { recoveryValueFunc: errorExpr });

  /** Field access chains: `args->ret`, `args.filename`, `a->b.c`. */
  readonly postfix = this.RULE('postfix', (): Expr => {
    let object = this.SUBRULE(this.primary);
    this.MANY(() => {
      const arrow = this.OR([
        { ALT: () => { this.CONSUME(T.Arrow); return true; } },
        { ALT: () => { this.CONSUME(T.Dot); return false; } },
      ]);
      const field = this.CONSUME(T.Ident);
      object = this.ACTION(() => ({
        kind: 'Field' as const,
        object,
        field: field.image,
        arrow,
        fieldSpan: tokenSpan(field),
        span: spanUnion(object.span, tokenSpan(field)),
      }));
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
    { ALT: () => this.SUBRULE(this.nameOrCall) },
    { ALT: () => this.SUBRULE(this.mapRef) },
    {
      ALT: () => {
        const t = this.CONSUME(T.VarName);
        return this.ACTION(() => ({ kind: 'Var' as const, name: t.image, span: tokenSpan(t) }));
      },
    },
    {
      ALT: () => {
        this.CONSUME(T.LParen);
        const inner = this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
        return inner;
      },
    },
  ]), { recoveryValueFunc: errorExpr });

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

  private binaryLevel(name: string, operator: TokenType, operand: () => ParserMethod<[], Expr>) {
    return this.RULE(name, (): Expr => {
      let left = this.SUBRULE(operand());
      this.MANY(() => {
        const op = this.CONSUME(operator);
        const right = this.SUBRULE2(operand());
        left = this.ACTION(() => ({
          kind: 'Binary' as const,
          op: op.image as BinaryOp,
          left,
          right,
          opSpan: tokenSpan(op),
          span: spanUnion(left.span, right.span),
        }));
      });
      return left;
    }, { recoveryValueFunc: errorExpr });
  }
}

let instance: TsbtParser | undefined;

export interface ProbeParse {
  probe: ProbeBlock;
  syntaxErrors: IRecognitionException[];
  semanticErrors: Diagnostic[];
}

/**
 * Parses the tokens of one probe (a spec list, an optional filter and one block). The lexer bounds
 * nesting, but a long run of prefix operators (`- - - ... 1`) still recurses: that is 'too-deep'.
 */
export function parseProbe(tokens: IToken[]): ProbeParse | 'too-deep' {
  instance ??= new TsbtParser();
  instance.input = tokens; // also resets the parser's state
  instance.semanticErrors = [];
  try {
    const probe = instance.probe();
    return { probe, syntaxErrors: instance.errors, semanticErrors: instance.semanticErrors };
  } catch (e) {
    if (e instanceof RangeError) return 'too-deep';
    throw e;
  }
}

/** Builds a parser with Chevrotain's grammar checks on (ambiguities, left recursion); for tests. */
export function validateGrammar(): void {
  new TsbtParser(true);
}
