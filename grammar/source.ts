// Source text and positions. Spans are half-open character offsets into one SourceFile; line and
// column are computed only when a diagnostic is printed.

export interface Span {
  start: number;
  end: number;
}

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based, in characters */
  col: number;
}

export class SourceFile {
  private lineStarts: number[] | undefined;

  /** `name` is what diagnostics print before `:line:col` (a path, or `-e` for a one-liner). */
  constructor(readonly name: string, readonly text: string) {}

  position(offset: number): Position {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const starts = this.starts();
    const start = starts[line - 1] ?? this.text.length;
    let end = this.text.indexOf('\n', start);
    if (end < 0) end = this.text.length;
    return this.text.slice(start, end);
  }

  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  private starts(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
}

export function spanUnion(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
