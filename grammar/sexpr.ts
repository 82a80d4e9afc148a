// A compact S-expression rendering of the AST, for tests and AST dumps:
//   kprobe:f < @[comm] = count(); if (a > 1) < exit() > >
//   → (probe kprobe:f (= @[comm] (call count)) (if (> a 1) (then (call exit))))

import type { Expr, Node, Stmt } from './ast.ts';

export function toSExpr(node: Node): string {
  switch (node.kind) {
    case 'Program':
      return node.probes.map(toSExpr).join('\n');
    case 'Probe': {
      const parts = ['probe', ...node.specs.map((s) => s.text)];
      if (node.filter) parts.push(`/${toSExpr(node.filter)}/`);
      return `(${[...parts, ...node.body.map(toSExpr)].join(' ')})`;
    }
    case 'ProbeSpec':
      return node.text;
    case 'ExprStmt':
    case 'Assign':
    case 'If':
      return stmt(node);
    default:
      return expr(node);
  }
}

function stmt(s: Stmt): string {
  switch (s.kind) {
    case 'ExprStmt':
      return expr(s.expr);
    case 'Assign':
      return `(= ${expr(s.target)} ${expr(s.value)})`;
    case 'If': {
      const then = ['then', ...s.then.map(stmt)].join(' ');
      const otherwise = s.else ? ` (${['else', ...s.else.map(stmt)].join(' ')})` : '';
      return `(if ${expr(s.cond)} (${then})${otherwise})`;
    }
  }
}

function expr(e: Expr): string {
  switch (e.kind) {
    case 'Int':
      return e.value.toString();
    case 'Str':
      return JSON.stringify(e.value);
    case 'Ident':
    case 'Var':
      return e.name;
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
  }
}
