// Summaries of repeated measurements: min / median / max, median ratios, geometric means.

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n: v.length, min: v[0]!, median, max: v[v.length - 1]! };
}

export function ratio(a: Summary | number | undefined, b: Summary | number | undefined): number | undefined {
  const x = typeof a === 'number' ? a : a?.median;
  const y = typeof b === 'number' ? b : b?.median;
  if (x === undefined || y === undefined || !(y > 0)) return undefined;
  return x / y;
}

export function geomean(values: readonly number[]): number | undefined {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return undefined;
  return Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

/** A number with about three significant digits. */
export function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export function fmtSummary(s: Summary | undefined, scale = 1): string {
  if (!s) return '–';
  return `${fmt(s.min / scale)} / **${fmt(s.median / scale)}** / ${fmt(s.max / scale)}`;
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined ? '–' : `${r.toFixed(2)}`;
}
