// A compact S-expression rendering of the AST, for tests and AST dumps:
//   kprobe:f < @[comm] = count(); if (a > 1) < exit() > >
//   → (probe kprobe:f (= @[comm] (call count)) (if (> a 1) (then (call exit))))
// Types are written in angle brackets: `(cast <struct sock *> arg0)`, `(let $x <uint32> 0)`.

import type { Expr, Node, Stmt, TypeExpr } from './ast.ts';

export function toSExpr(node: Node): string {
  switch (node.kind) {
    case 'Program': {
      const config = node.config.length > 0 ? [`(config ${node.config.map(toSExpr).join(' ')})`] : [];
      return [...config, ...node.structs.map(toSExpr), ...node.mapDecls.map(toSExpr), ...node.probes.map(toSExpr)].join('\n');
    }
    case 'Probe': {
      const parts = ['probe', ...node.specs.map((s) => s.text)];
      if (node.filter) parts.push(`/${toSExpr(node.filter)}/`);
      return `(${[...parts, ...node.body.map(toSExpr)].join(' ')})`;
    }
    case 'ProbeSpec':
      return node.text;
    case 'Config':
      return `(${node.key} ${expr(node.value)})`;
    case 'MapDecl':
      return `(let ${node.name} (${[node.mapKind, ...node.args.map(expr)].join(' ')}))`;
    case 'StructDef':
      return `(${['struct', node.name, ...node.fields.map((f) => `(${type(f.type)} ${f.name})`)].join(' ')})`;
    case 'TypeExpr':
      return type(node);
    case 'ExprStmt':
    case 'Assign':
    case 'Let':
    case 'If':
    case 'While':
    case 'ForRange':
    case 'ForMap':
    case 'Unroll':
    case 'Jump':
    case 'Block':
      return stmt(node);
    default:
      return expr(node);
  }
}

/** `<uint32>`, `<struct sock *>`, `<char[16]>`, `<uint8[]>` */
function type(t: TypeExpr): string {
  const stars = t.pointer > 0 ? ` ${'*'.repeat(t.pointer)}` : '';
  const array = t.arrayLen !== undefined ? `[${t.arrayLen}]` : t.unsizedArray ? '[]' : '';
  return `<${t.name}${stars}${array}>`;
}

const body = (head: string, stmts: Stmt[]) => `(${[head, ...stmts.map(stmt)].join(' ')})`;

function stmt(s: Stmt): string {
  switch (s.kind) {
    case 'ExprStmt':
      return expr(s.expr);
    case 'Assign':
      return `(${s.op ?? ''}= ${expr(s.target)} ${expr(s.value)})`;
    case 'Let': {
      const parts = ['let', s.name, ...(s.type ? [type(s.type)] : []), ...(s.value ? [expr(s.value)] : [])];
      return `(${parts.join(' ')})`;
    }
    case 'If': {
      const otherwise = s.else ? ` ${body('else', s.else)}` : '';
      return `(if ${expr(s.cond)} ${body('then', s.then)}${otherwise})`;
    }
    case 'While':
      return `(while ${expr(s.cond)} ${body('do', s.body)})`;
    case 'ForRange':
      return `(for ${s.var} (range ${expr(s.from)} ${expr(s.to)}) ${body('do', s.body)})`;
    case 'ForMap':
      return `(for ${s.var} ${expr(s.map)} ${body('do', s.body)})`;
    case 'Unroll':
      return `(unroll ${expr(s.count)} ${body('do', s.body)})`;
    case 'Jump':
      return `(${s.jump})`;
    case 'Block':
      return body('block', s.body);
  }
}

function expr(e: Expr): string {
  switch (e.kind) {
    case 'Int':
      return e.value.toString();
    case 'Str':
      return JSON.stringify(e.value);
    case 'Bool':
      return String(e.value);
    case 'Ident':
    case 'Var':
      return e.name;
    case 'Positional':
      return e.count ? '$#' : `$${e.index}`;
    case 'Map':
      return e.keys.length > 0 ? `${e.name}[${e.keys.map(expr).join(' ')}]` : e.name;
    case 'Call':
      return `(${['call', e.callee, ...e.args.map(expr)].join(' ')})`;
    case 'Binary':
      return `(${e.op} ${expr(e.left)} ${expr(e.right)})`;
    case 'Unary':
      return `(${e.op} ${expr(e.operand)})`;
    case 'Field':
      return `(${e.arrow ? '->' : '.'} ${expr(e.object)} ${e.field})`;
    case 'Index':
      return `(index ${expr(e.object)} ${expr(e.index)})`;
    case 'Ternary':
      return `(? ${expr(e.cond)} ${expr(e.then)} ${expr(e.else)})`;
    case 'Cast':
      return `(cast ${type(e.type)} ${expr(e.expr)})`;
    case 'Tuple':
      return `(${['tuple', ...e.elems.map(expr)].join(' ')})`;
    case 'IncDec':
      return `(${e.prefix ? 'pre' : 'post'}${e.op} ${expr(e.target)})`;
    case 'Sizeof':
      return `(sizeof ${e.type ? type(e.type) : expr(e.expr!)})`;
    case 'Offsetof':
      return `(offsetof ${type(e.type)} ${e.field.join('.')})`;
  }
}
