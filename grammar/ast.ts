// The abstract syntax tree. Every node carries the span of source text it came from, so that
// every later diagnostic (type errors, verifier rejections) can point back at the script.

import type { Span } from './source.ts';

export interface Program {
  kind: 'Program';
  probes: ProbeBlock[];
  span: Span;
}

/** `spec[, spec ...] [/filter/] < body >` */
export interface ProbeBlock {
  kind: 'Probe';
  specs: ProbeSpec[];
  filter?: Expr;
  body: Stmt[];
  span: Span;
}

/**
 * A probe specification as written, split on `:` (a `:` inside a path is kept as written by the lexer's
 * rules: the provider decides how many parts it takes). `BEGIN` has provider `BEGIN` and no parts.
 * `provider` is as typed (`t`, `tracepoint`...): resolving aliases is the compiler's job.
 */
export interface ProbeSpec {
  kind: 'ProbeSpec';
  text: string;
  provider: string;
  parts: string[];
  span: Span;
}

export type Stmt =
  | ExprStmt
  | AssignStmt
  | IfStmt;

/** A call (`printf(...)`, `exit()`) or any expression evaluated for its effect. */
export interface ExprStmt {
  kind: 'ExprStmt';
  expr: Expr;
  span: Span;
}

/** `@map = e`, `@map[k] = e`, `$var = e` */
export interface AssignStmt {
  kind: 'Assign';
  target: MapRef | VarRef;
  value: Expr;
  span: Span;
}

/** `if (cond) < ... > [else < ... > | else if ...]` */
export interface IfStmt {
  kind: 'If';
  cond: Expr;
  then: Stmt[];
  else?: Stmt[];
  span: Span;
}

export type Expr =
  | IntLit
  | StrLit
  | Ident
  | MapRef
  | VarRef
  | Call
  | Binary
  | Unary
  | FieldAccess;

export interface IntLit {
  kind: 'Int';
  value: bigint;
  span: Span;
}

export interface StrLit {
  kind: 'Str';
  /** The string after escape processing. */
  value: string;
  span: Span;
}

/** A bare name: a builtin variable (`pid`, `comm`, `args`...). */
export interface Ident {
  kind: 'Ident';
  name: string;
  span: Span;
}

/** `@`, `@name`, `@name[k1, k2]`. `name` is `@` for the anonymous map, otherwise `@name`. */
export interface MapRef {
  kind: 'Map';
  name: string;
  keys: Expr[];
  span: Span;
}

/** `$name` */
export interface VarRef {
  kind: 'Var';
  name: string;
  span: Span;
}

/** `name(args...)` */
export interface Call {
  kind: 'Call';
  callee: string;
  calleeSpan: Span;
  args: Expr[];
  span: Span;
}

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '&&' | '||'
  | '&' | '|' | '^' | '<<' | '>>';

export interface Binary {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  opSpan: Span;
  span: Span;
}

export type UnaryOp = '!' | '-' | '~';

export interface Unary {
  kind: 'Unary';
  op: UnaryOp;
  operand: Expr;
  span: Span;
}

/** `e->field` or `e.field` */
export interface FieldAccess {
  kind: 'Field';
  object: Expr;
  field: string;
  arrow: boolean;
  fieldSpan: Span;
  span: Span;
}

export type Node = Program | ProbeBlock | ProbeSpec | Stmt | Expr;
