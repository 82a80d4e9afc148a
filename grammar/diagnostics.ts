// Errors are values until the CLI prints them: every pass returns Diagnostics with a span into the
// source, and one renderer turns them into `file:line:col: error: message`, the line and a caret.

import type { SourceFile, Span } from './source.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  message: string;
  span: Span;
  /** One more sentence on how to fix it, printed under the caret. */
  hint?: string;
}

export function error(message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { severity: 'error', message, span } : { severity: 'error', message, span, hint };
}

export function warning(message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { severity: 'warning', message, span } : { severity: 'warning', message, span, hint };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Thrown only across the boundary of one pass, to stop it; carries the diagnostics already made. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

export interface RenderStyle {
  bold(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
}

const plain: RenderStyle = { bold: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s, green: (s) => s };

/**
 * ```
 * script.bt:3:14: error: unknown builtin `pdi`
 *     3 | @[pdi] = count();
 *       |   ^^^
 *       = hint: did you mean `pid`?
 * ```
 */
export function renderDiagnostic(d: Diagnostic, source: SourceFile, style: RenderStyle = plain): string {
  const start = source.position(d.span.start);
  const end = source.position(Math.max(d.span.start, d.span.end - 1));
  const label = d.severity === 'error' ? style.red('error') : style.yellow('warning');
  const lines = [`${style.bold(`${source.name}:${start.line}:${start.col}:`)} ${label}: ${style.bold(d.message)}`];
  const text = source.lineText(start.line).replace(/\t/g, ' ');
  const gutter = String(start.line).length;
  const pad = ' '.repeat(gutter);
  const width = end.line === start.line ? Math.max(1, end.col - start.col + 1) : Math.max(1, text.length - start.col + 1);
  lines.push(`${style.cyan(`${start.line} |`)} ${text}`);
  lines.push(`${style.cyan(`${pad} |`)} ${' '.repeat(start.col - 1)}${style.green('^'.repeat(width))}`);
  if (d.hint) lines.push(`${style.cyan(`${pad} =`)} hint: ${d.hint}`);
  return lines.join('\n');
}
