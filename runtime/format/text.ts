// The text renderer: maps exactly as bpftrace prints them (checked against bpftrace 0.17).
import type { MapDump, MapEntry, MapValue, Primitive } from './model.ts';

/**
 * What bpftrace prints when the script ends: two newlines (even with no maps at all), then every
 * map ordered by name.
 */
export function renderExitMaps(dumps: MapDump[]): string {
  return '\n\n' + renderMaps(dumps);
}

/** Maps ordered by name, bytewise (bpftrace keeps them in a std::map keyed by name). */
export function renderMaps(dumps: MapDump[]): string {
  return [...dumps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(renderMap).join('');
}

/**
 * One map, as `print(@m)` and the exit dump show it: its lines joined by newlines, then one newline.
 * So a map with no entries (never assigned, or all deleted) prints a blank line.
 */
export function renderMap(dump: MapDump): string {
  return dump.entries.map((e) => renderEntry(dump, e)).join('\n') + '\n';
}

function renderEntry(dump: MapDump, entry: MapEntry): string {
  const key = dump.keyed ? `[${renderKey(entry.key)}]` : '';
  return `${dump.name}${key}: ${renderValue(entry.value)}`;
}

/** Key fields joined by `, `; strings are not quoted (`@m[bash, 2]`). */
export function renderKey(key: Primitive[]): string {
  return key.map(renderPrimitive).join(', ');
}

function renderValue(value: MapValue): string {
  return renderPrimitive(value);
}

function renderPrimitive(value: Primitive): string {
  return typeof value === 'bigint' ? value.toString() : value;
}
