// The JSON renderer (`-f json`): bpftrace's NDJSON, one object per line, each line ending in "\n".
// render.ts says which event becomes which record.
//
// Shapes and spacing are bpftrace 0.17's, checked with `bpftrace -f json` on this machine: printf,
// time, cat, syscall (system()'s output), value, map, hist, stats, attached_probes, lost_events. The
// newest bpftrace documentation names the option (`-f json`) but describes none of the shapes; where
// the newest bpftrace source differs, it says below. Where we differ from 0.17 on purpose:
// - strings are always valid JSON and valid UTF-8: control characters are escaped the way bpftrace
//   escapes them (`\n`, `\t`, `\r`, `\"`, `\\`, else `\u00XX`), and bytes that are not UTF-8 become
//   U+FFFD (0.17 writes the byte 0xff as the invalid escape `\uffffffff`);
// - the exit dump has no blank lines (0.17 prints the text mode's two newlines before it even with
//   `-f json`; the newest bpftrace source prints nothing there), so the stream stays NDJSON;
// - lost events are one record, written when the script ends (bpftrace writes them while it runs, as
//   it notices them), with the same shape;
// - `map_full` is ours: bpftrace has no record for updates a full map refused (with -k it writes a
//   `helper_error` per failed call, with its source location); tsbt counts them per map and writes
//   `{"type": "map_full", "data": {"@m": {"max_entries": 4, "dropped_updates": 6}}}` at the end,
//   shaped like the map records;
// - errors and warnings (a file cat() cannot read, a full map) stay on stderr as text, as in 0.17.
// Newer bpftrace source (not its docs) changed some shapes, which we do not follow: it writes
// `{"type": "attached_probes", "count": N, "data": {"probes": N}}` and the same `count` in
// lost_events (the `data` part is 0.17's, which is what programs that read the stream look for),
// no space after the commas between histogram buckets, and integers a double cannot hold as strings
// (we write every integer as a number, as 0.17 does: JSON.parse rounds those beyond 2^53).
import type { ValueKind } from '../artifact.ts';
import { hist2BucketEnd, hist2BucketStart, lhistBucketEnd, lhistBucketStart } from './hist.ts';
import type { HistValue, MapDump, MapValue, Primitive } from './model.ts';
import { decodeUtf8Lossless, toWellFormed } from './strings.ts';
import { histRows, renderPrimitive, sortByName, type RenderOptions } from './text.ts';

/** A JSON string literal, escaped as bpftrace does; never invalid, whatever bytes the string holds. */
export function jsonString(s: string | Uint8Array): string {
  const text = toWellFormed(typeof s === 'string' ? s : decodeUtf8Lossless(s));
  let out = '"';
  for (const ch of text) {
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      default: {
        const c = ch.charCodeAt(0);
        out += c <= 0x1f ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
      }
    }
  }
  return out + '"';
}

/** `{"type": "attached_probes", "data": {"probes": 2}}` — bpftrace 0.17. */
export function jsonAttachedProbes(count: number): string {
  return `{"type": "attached_probes", "data": {"probes": ${count}}}\n`;
}

/**
 * `{"type": "lost_events", "data": {"events": 12}}` — bpftrace 0.17's shape (seen by the parsers of
 * its output; the text mode prints `Lost 12 events`).
 */
export function jsonLostEvents(count: number | bigint): string {
  return `{"type": "lost_events", "data": {"events": ${count}}}\n`;
}

/**
 * Text the script printed, as a record of its type: `{"type": "printf", "data": "hi\n"}`, `time`
 * (time(fmt)), `cat` (cat(path)), `syscall` (system(cmd)'s output), `join` (join(argv)'s line).
 */
export function jsonText(type: 'printf' | 'time' | 'cat' | 'syscall' | 'join', output: string | Uint8Array): string {
  return `{"type": "${type}", "data": ${jsonString(output)}}\n`;
}

/** One printf's output: `{"type": "printf", "data": "hi\n"}`. Give the bytes to keep invalid UTF-8 out. */
export function jsonPrintf(output: string | Uint8Array): string {
  return jsonText('printf', output);
}

/** time(fmt)'s output: `{"type": "time", "data": "12:00:01\n"}`. */
export function jsonTime(output: string): string {
  return jsonText('time', output);
}

/** tsbt's own record for a map that was full (see above): `{"type": "map_full", "data": {"@m": {...}}}`. */
export function jsonMapFull(map: string, maxEntries: number, droppedUpdates: number): string {
  return `{"type": "map_full", "data": {${jsonString(map)}: {"max_entries": ${maxEntries}, "dropped_updates": ${droppedUpdates}}}}\n`;
}

/** print(value) of a value that is not a map: `{"type": "value", "data": 5}`, `... "data": [1,"a"]}`. */
export function jsonValue(value: Primitive): string {
  return `{"type": "value", "data": ${jsonMapValue(value, 1n)}}\n`;
}

/**
 * One map, as `print(@m[, top[, div]])` and the exit dump write it:
 * `{"type": "map", "data": {"@x": 5}}`, `{"type": "map", "data": {"@c": {"a": 1, "b": 2}}}`.
 * The type is `stats` for avg and stats maps and `hist` for hist and lhist maps. Keys are their fields
 * joined by `,` without spaces (`"bash,2"`). A map with no entries writes nothing at all (0.17).
 * top and div work as in the text output (RenderOptions).
 */
export function jsonMap(dump: MapDump, options: Pick<RenderOptions, 'top' | 'div'> = {}): string {
  const kind = dump.valueKind;
  const top = kind.kind === 'stats' ? 0n : BigInt(options.top ?? 0);
  const div = kind.kind === 'stats' || kind.kind === 'lhist' ? 1n : BigInt(options.div ?? 0) || 1n;
  const entries = top > 0n && BigInt(dump.entries.length) > top ? dump.entries.slice(dump.entries.length - Number(top)) : dump.entries;
  if (entries.length === 0) return '';
  const render = (value: MapValue) =>
    kind.kind === 'hist' || kind.kind === 'lhist' ? jsonHist(value as HistValue, kind, div) : jsonMapValue(value, div);
  const data = dump.keyed
    ? `{${entries.map((e) => `${jsonString(e.key.map(keyPart).join(','))}: ${render(e.value)}`).join(', ')}}`
    : render(entries[0].value);
  return `{"type": "${jsonType(kind)}", "data": {${jsonString(dump.name)}: ${data}}}\n`;
}

/** Every map, ordered by name, one line each (maps with no entries write nothing). */
export function jsonMaps(dumps: MapDump[]): string {
  return sortByName(dumps)
    .map((d) => jsonMap(d))
    .join('');
}

/** The maps printed when the script ends: as jsonMaps, with no blank lines before them (see above). */
export function jsonExitMaps(dumps: MapDump[]): string {
  return jsonMaps(dumps);
}

/** The `type` of a map's line. */
export function jsonType(kind: ValueKind): 'map' | 'stats' | 'hist' {
  switch (kind.kind) {
    case 'avg':
    case 'stats':
      return 'stats';
    case 'hist':
    case 'lhist':
      return 'hist';
    default:
      return 'map';
  }
}

/**
 * A histogram as bpftrace writes it: the buckets the text output prints (first to last non-zero),
 * each `{"min": a, "max": b, "count": n}` with inclusive bounds; the bucket below everything has no
 * min (`{"max": -1, "count": 1}`), an lhist's last bucket no max (`{"min": 100, "count": 1}`).
 */
function jsonHist(value: HistValue, kind: ValueKind, div: bigint): string {
  const buckets = histRows(value).map((r) => {
    const [min, end] = bucketBounds(r.index, kind);
    const parts: string[] = [];
    if (min !== undefined) parts.push(`"min": ${min}`);
    if (end !== undefined) parts.push(`"max": ${end - 1n}`);
    parts.push(`"count": ${r.count / div}`);
    return `{${parts.join(', ')}}`;
  });
  return `[${buckets.join(', ')}]`;
}

function bucketBounds(index: number, kind: ValueKind): [bigint | undefined, bigint | undefined] {
  if (kind.kind === 'hist') return [hist2BucketStart(index, kind.k), hist2BucketEnd(index, kind.k)];
  if (kind.kind !== 'lhist') throw new Error(`${kind.kind} maps have no buckets`);
  return [lhistBucketStart(index, kind.min, kind.max, kind.step), lhistBucketEnd(index, kind.min, kind.max, kind.step)];
}

function jsonMapValue(value: MapValue, div: bigint): string {
  if (typeof value === 'bigint') return (value / div).toString();
  if (typeof value === 'string') return jsonString(value);
  switch (value.kind) {
    case 'stats':
      return `{"count": ${value.count}, "average": ${value.average}, "total": ${value.total}}`;
    case 'hist':
      throw new Error('a histogram needs its map kind to be written');
    default:
      return jsonPrimitive(value);
  }
}

/**
 * One value in JSON, as the newest bpftrace writes it: enums and pointers as their numbers, structs as
 * objects (`{"a": 1, "b": "x"}`, spaced), arrays and tuples as arrays (`[1,2]`, `[1,[2,"a"]]`, unspaced;
 * bpftrace 0.17 writes nested tuples the same way).
 */
function jsonPrimitive(p: Primitive): string {
  if (typeof p === 'bigint') return p.toString();
  if (typeof p === 'string') return jsonString(p);
  switch (p.kind) {
    case 'symbolic':
      return p.boolean ? p.text : p.value.toString();
    case 'record':
      return `{${p.fields.map((f) => `${jsonString(f.name)}: ${jsonPrimitive(f.value)}`).join(', ')}}`;
    case 'array':
    case 'tuple':
      return `[${p.values.map(jsonPrimitive).join(',')}]`;
  }
}

// Keys are text, as the text output shows them (an enum key by name). A key part that is a tuple keeps
// its parentheses without the spaces (`"(1,2),3"`), as the newest bpftrace writes it.
function keyPart(p: Primitive): string {
  if (typeof p === 'string') return p;
  if (typeof p === 'object' && p.kind === 'tuple') return `(${p.values.map(keyPart).join(',')})`;
  return renderPrimitive(p, { raw: true });
}
