// The text renderer: maps exactly as bpftrace prints them (checked against bpftrace 0.17; where the
// newest bpftrace docs show something else, we follow the docs and say so below).
//
// Traced strings (keys, string values, tuple elements) are escaped for the terminal by default
// (strings.ts: control characters and invalid UTF-8 become `\xNN`); `raw: true` prints them as they
// are, which is what bpftrace itself does.
import type { ValueKind } from '../artifact.ts';
import { hist2Label, lhistLabel } from './hist.ts';
import type { HistValue, MapDump, MapEntry, MapValue, Primitive } from './model.ts';
import { displayString, type EscapeOptions } from './strings.ts';

/** print(@m, top, div) and the escaping choice. */
export interface RenderOptions extends EscapeOptions {
  /**
   * Print only the last `top` entries in print order (the largest values, or for hist/lhist the
   * largest totals); 0 or absent prints all. Ignored for stats maps, as bpftrace does (it warns).
   */
  top?: number | bigint;
  /**
   * Divide each value by `div` (truncating, like bpftrace's integer division); 0 or absent means 1.
   * hist: the printed counts are divided but, as in bpftrace 0.17, the bars are drawn from the
   * undivided counts. Ignored for lhist and stats maps, as bpftrace does.
   */
  div?: number | bigint;
}

/**
 * What bpftrace prints when the script ends: two newlines (even with no maps at all), then every
 * map ordered by name.
 */
export function renderExitMaps(dumps: MapDump[], options?: EscapeOptions): string {
  return '\n\n' + renderMaps(dumps, options);
}

/** Maps ordered by name, bytewise (bpftrace keeps them in a std::map keyed by name). */
export function renderMaps(dumps: MapDump[], options?: EscapeOptions): string {
  return sortByName(dumps)
    .map((d) => renderMap(d, options))
    .join('');
}

/** Maps in bpftrace's order: by name, bytewise. */
export function sortByName(dumps: MapDump[]): MapDump[] {
  return [...dumps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * One map, as `print(@m[, top[, div]])` and the exit dump show it.
 * - Plain maps (count, sum, min, max, integers, strings, tuples): one `@m[key]: value` line per
 *   entry. A map with no entries (never assigned, or all deleted) prints a blank line.
 * - avg and stats maps: the same, then one more blank line (bpftrace 0.17).
 * - hist and lhist maps: per entry, a `@m[key]:` line, the bucket lines and a blank line; a map with
 *   no entries prints a blank line.
 */
export function renderMap(dump: MapDump, options: RenderOptions = {}): string {
  const kind = dump.valueKind;
  const top = kind.kind === 'stats' ? 0n : BigInt(options.top ?? 0);
  const div = kind.kind === 'stats' || kind.kind === 'lhist' ? 1n : BigInt(options.div ?? 0) || 1n;
  const entries = top > 0n && BigInt(dump.entries.length) > top ? dump.entries.slice(dump.entries.length - Number(top)) : dump.entries;
  if (kind.kind === 'hist' || kind.kind === 'lhist') {
    if (entries.length === 0) return '\n';
    return entries.map((e) => renderHistEntry(entryName(dump, e, options), e.value as HistValue, kind, div)).join('');
  }
  const lines = entries.map((e) => `${entryName(dump, e, options)}: ${renderMapValue(e.value, div, options)}`);
  const trailer = kind.kind === 'avg' || kind.kind === 'stats' ? '\n' : '';
  return lines.join('\n') + '\n' + trailer;
}

/**
 * Key fields joined by `, `; strings are not quoted (`@m[bash, 2]`), but escaped unless `raw`. A key
 * part that is a tuple keeps its parentheses (`@m[(1, 2), 3]`), as in the newest bpftrace.
 */
export function renderKey(key: Primitive[], options?: EscapeOptions): string {
  return key.map((p) => renderPrimitive(p, options)).join(', ');
}

/**
 * What `print(value)` prints for a value that is not a map: the value and a newline (`5`, `abc`,
 * `(1, abc)`).
 */
export function renderValue(value: Primitive, options?: EscapeOptions): string {
  return renderMapValue(value, 1n, options) + '\n';
}

/**
 * The bucket lines of one histogram, as bpftrace draws them: only the buckets from the first to the
 * last non-zero one; each line is the label left-aligned in 16 columns, the count right-aligned in 8,
 * ` |`, a bar of `@` padded to 52 columns and `|`. The bar is count / max * 52 computed in single
 * precision (C++ `float`) and truncated, so 15 of 26 draws 30 `@`, not 29.
 */
export function renderHistBuckets(value: HistValue, kind: ValueKind, div: bigint = 1n): string {
  const rows = histRows(value);
  if (rows.length === 0) return '';
  const max = rows.reduce((m, r) => (r.count > m ? r.count : m), 0n);
  return rows
    .map((r) => {
      const label = bucketLabel(r.index, kind);
      const count = (r.count / div).toString();
      const bar = '@'.repeat(barWidth(r.count, max));
      return `${label.padEnd(16)}${count.padStart(8)} |${bar.padEnd(52)}|\n`;
    })
    .join('');
}

/** The buckets bpftrace prints: every index from the first to the last with a non-zero count, zeros filled in. */
export function histRows(value: HistValue): { index: number; count: bigint }[] {
  const nonZero = value.buckets.filter((b) => b.count > 0n);
  if (nonZero.length === 0) return [];
  const first = nonZero[0].index;
  const last = nonZero[nonZero.length - 1].index;
  const counts = new Map(value.buckets.map((b) => [b.index, b.count]));
  const rows: { index: number; count: bigint }[] = [];
  for (let i = first; i <= last; i++) rows.push({ index: i, count: counts.get(i) ?? 0n });
  return rows;
}

/** A bucket's label for the map's kind (hist.ts). */
export function bucketLabel(index: number, kind: ValueKind): string {
  if (kind.kind === 'hist') return hist2Label(index, kind.k);
  if (kind.kind === 'lhist') return lhistLabel(index, kind.min, kind.max, kind.step);
  throw new Error(`${kind.kind} maps have no buckets`);
}

// The header line has no trailing space: bpftrace 0.17 prints `@h: ` (and `@h[k]: `), but the newest
// bpftrace docs (docs/stdlib.md, print/hist/socket_cookie examples) and source print `@h:`.
function renderHistEntry(name: string, value: HistValue, kind: ValueKind, div: bigint): string {
  return `${name}:\n${renderHistBuckets(value, kind, div)}\n`;
}

function entryName(dump: MapDump, entry: MapEntry, options?: EscapeOptions): string {
  return dump.keyed ? `${dump.name}[${renderKey(entry.key, options)}]` : dump.name;
}

function renderMapValue(value: MapValue, div: bigint, options?: EscapeOptions): string {
  if (typeof value === 'bigint') return (value / div).toString();
  if (typeof value === 'string') return displayString(value, options);
  switch (value.kind) {
    case 'stats':
      return `count ${value.count}, average ${value.average}, total ${value.total}`;
    case 'hist':
      throw new Error('a histogram prints on lines of its own');
    default:
      return renderPrimitive(value, options);
  }
}

/**
 * One value as bpftrace's text output shows it: enums by name and pointers in hex (symbolic), structs
 * as `{ .a = 1, .b = abc }` (`{}` when empty), arrays as `[1,2,3]` (no spaces, as bpftrace), tuples
 * as `(1, abc)` and a tuple inside one in its own parentheses (`(1, (2, abc))`).
 */
export function renderPrimitive(value: Primitive, options?: EscapeOptions): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return displayString(value, options);
  switch (value.kind) {
    case 'symbolic':
      return value.text;
    case 'record':
      return value.fields.length === 0 ? '{}' : `{ ${value.fields.map((f) => `.${f.name} = ${renderPrimitive(f.value, options)}`).join(', ')} }`;
    case 'array':
      return `[${value.values.map((v) => renderPrimitive(v, options)).join(',')}]`;
    case 'tuple':
      return `(${value.values.map((v) => renderPrimitive(v, options)).join(', ')})`;
  }
}

// bpftrace: int bar_width = (count / static_cast<float>(max)) * 52; all in float, truncated.
function barWidth(count: bigint, max: bigint): number {
  if (max === 0n) return 0;
  const f = Math.fround;
  return Math.trunc(f(f(f(Number(count)) / f(Number(max))) * 52));
}
