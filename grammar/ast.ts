// The abstract syntax tree. Every node carries the span of source text it came from, so that
// every later diagnostic (type errors, verifier rejections) can point back at the script.

import type { Span } from './source.ts';

export interface Program {
  kind: 'Program';
  probes: ProbeBlock[];
  /** `config = { max_strlen = 128; ... }` settings, in order. */
  config: ConfigSetting[];
  /** Top-level `let @name = hash(N);` map declarations. */
  mapDecls: MapDecl[];
  /** `struct name { type field; ... }` definitions (for user memory and casts). */
  structs: StructDef[];
  span: Span;
}

/** One `key = value` inside `config = { ... }`. */
export interface ConfigSetting {
  kind: 'Config';
  key: string;
  value: Expr;
  span: Span;
}

/** `let @name = hash(1024);` — `mapKind` is the function name as written (`hash`, `lruhash`, `percpuhash`...). */
export interface MapDecl {
  kind: 'MapDecl';
  name: string;
  mapKind: string;
  args: Expr[];
  span: Span;
}

/** `struct conn { u32 a; char name[16]; struct x *next; }` */
export interface StructDef {
  kind: 'StructDef';
  name: string;
  fields: { type: TypeExpr; name: string; span: Span }[];
  span: Span;
}

/**
 * A type as written: `uint32`, `int8`, `bool`, `string`, `struct sock *`, `char[16]`, `u64`.
 * `name` has no pointer stars or array suffix (`struct sock`, `uint32`); `pointer` counts the stars.
 */
export interface TypeExpr {
  kind: 'TypeExpr';
  name: string;
  pointer: number;
  /** `char name[16]` / `uint8[4]`: element count. */
  arrayLen?: number;
  /** `uint8[]` in a cast (the length comes from the value cast) or `char data[]` in a struct: an array without a length. */
  unsizedArray?: boolean;
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
  | LetStmt
  | IfStmt
  | WhileStmt
  | ForRangeStmt
  | ForMapStmt
  | UnrollStmt
  | JumpStmt
  | BlockStmt;

/** A call (`printf(...)`, `exit()`) or any expression evaluated for its effect. */
export interface ExprStmt {
  kind: 'ExprStmt';
  expr: Expr;
  span: Span;
}

/** `@map = e`, `@map[k] = e`, `$var = e`, and compound forms `@x += e` (op `+`), `$y <<= 2` (op `<<`). */
export interface AssignStmt {
  kind: 'Assign';
  target: MapRef | VarRef;
  value: Expr;
  /** For compound assignment, the binary operator (`+=` → `+`); absent for plain `=`. */
  op?: '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';
  span: Span;
}

/** `let $x;`, `let $x = e;`, `let $x: uint32 = e;` — declares a scratch variable in the enclosing block. */
export interface LetStmt {
  kind: 'Let';
  name: string;
  type?: TypeExpr;
  value?: Expr;
  span: Span;
}

/** `while (cond) < ... >` */
export interface WhileStmt {
  kind: 'While';
  cond: Expr;
  body: Stmt[];
  span: Span;
}

/** `for ($i : start..end) < ... >` — end exclusive, as bpftrace. */
export interface ForRangeStmt {
  kind: 'ForRange';
  var: string;
  from: Expr;
  to: Expr;
  body: Stmt[];
  span: Span;
}

/** `for ($kv : @map) < ... >` — `$kv.0` is the key, `$kv.1` the value. */
export interface ForMapStmt {
  kind: 'ForMap';
  var: string;
  map: MapRef;
  body: Stmt[];
  span: Span;
}

/** `unroll (n) < ... >` */
export interface UnrollStmt {
  kind: 'Unroll';
  count: Expr;
  body: Stmt[];
  span: Span;
}

/** `break;`, `continue;`, `return;` */
export interface JumpStmt {
  kind: 'Jump';
  jump: 'break' | 'continue' | 'return';
  span: Span;
}

/** A nested block `< ... >` / `{ ... }` standing as a statement (its own variable scope). */
export interface BlockStmt {
  kind: 'Block';
  body: Stmt[];
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
  | BoolLit
  | Ident
  | MapRef
  | VarRef
  | Positional
  | Call
  | Binary
  | Unary
  | FieldAccess
  | IndexExpr
  | Ternary
  | Cast
  | TupleExpr
  | IncDec
  | SizeofExpr
  | OffsetofExpr;

/** `true` / `false` */
export interface BoolLit {
  kind: 'Bool';
  value: boolean;
  span: Span;
}

/** `$1`, `$2`, ... (index ≥ 1) and `$#` (count: index 0 with `count: true`). */
export interface Positional {
  kind: 'Positional';
  index: number;
  count: boolean;
  span: Span;
}

/** `e[i]` on something that is not a map: array or pointer indexing. */
export interface IndexExpr {
  kind: 'Index';
  object: Expr;
  index: Expr;
  span: Span;
}

/** `cond ? a : b` */
export interface Ternary {
  kind: 'Ternary';
  cond: Expr;
  then: Expr;
  else: Expr;
  span: Span;
}

/** `(uint32)e`, `(struct sock *)arg0` */
export interface Cast {
  kind: 'Cast';
  type: TypeExpr;
  expr: Expr;
  span: Span;
}

/** `(1, "a", pid)` — at least two elements. Elements are read with `$t.0`, `$t.1` (FieldAccess with a numeric field). */
export interface TupleExpr {
  kind: 'Tuple';
  elems: Expr[];
  span: Span;
}

/** `$x++`, `--@y`, `@m[k]++` — as a statement or a value (postfix yields the old value). */
export interface IncDec {
  kind: 'IncDec';
  target: MapRef | VarRef;
  op: '++' | '--';
  prefix: boolean;
  span: Span;
}

/** `sizeof(uint32)`, `sizeof(struct task_struct)`, `sizeof($x)` — exactly one of type/expr. */
export interface SizeofExpr {
  kind: 'Sizeof';
  type?: TypeExpr;
  expr?: Expr;
  span: Span;
}

/** `offsetof(struct sock, sk_max_ack_backlog)`; `field` may be a dotted path (`a.b`). */
export interface OffsetofExpr {
  kind: 'Offsetof';
  type: TypeExpr;
  field: string[];
  span: Span;
}

/** Integer literals: decimal, hex `0x1f`, octal `0777`, `1_000`, `1e6`; already converted to a value. */
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

/** `*p` reads what a typed pointer points to; `&s->field` is the field's address (no read). */
export type UnaryOp = '!' | '-' | '~' | '*' | '&';

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

export type Node = Program | ProbeBlock | ProbeSpec | ConfigSetting | MapDecl | StructDef | TypeExpr | Stmt | Expr;
