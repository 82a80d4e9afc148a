// The one place where the output format is chosen: a session event (events.ts) becomes the text for
// the output stream (stdout or -o FILE) and the text for messages (stderr), as text (bpftrace's
// default format) or as JSON (`-f json`, bpftrace's NDJSON). Each format is a table with one entry per
// event kind, so the compiler says when a new kind is not handled.
//
// Where each event goes:
//
//   event        text                                  json
//   attached     message "Attached N probes"           output attached_probes
//   printf ...   output                                output printf, value, map/hist/stats, time,
//                                                      cat, syscall, join
//   exitMaps     output: two newlines, every map       output: one line per non-empty map
//   lost         message "Lost N events"               output lost_events
//   mapFull      message (a warning with a hint)       output map_full and the same message
//   warning      message                               message
//
// `quiet` (-q) leaves out the attached event, in both formats (bpftrace -q does the same).
import type { SessionEvent } from './events.ts';
import { jsonAttachedProbes, jsonExitMaps, jsonLostEvents, jsonMap, jsonMapFull, jsonText, jsonValue } from './json.ts';
import { renderExitMaps, renderMap, renderValue } from './text.ts';

export type OutputFormat = 'text' | 'json';

export interface RenderOptions {
  /** Text format: traced strings as they are, not escaped for the terminal (--raw-strings). */
  rawStrings?: boolean;
  /** Leave out the attached event (-q). */
  quiet?: boolean;
}

/** What one event becomes; an empty string means nothing. */
export interface Rendered {
  /** For the output stream (stdout, or the -o file). */
  output: string;
  /** For standard error: notices and warnings, always text. */
  message: string;
}

export interface Renderer {
  readonly format: OutputFormat;
  /**
   * Whether printf formats traced strings raw. The text format escapes them for the terminal unless
   * asked not to; JSON's own escaping already makes any string safe, so it takes them as they are.
   */
  readonly rawStrings: boolean;
  render(event: SessionEvent): Rendered;
}

type Table = { [K in SessionEvent['kind']]: (event: Extract<SessionEvent, { kind: K }>, options: RenderOptions) => Partial<Rendered> };

const text: Table = {
  attached: (e, o) => ({ message: o.quiet ? '' : `Attached ${e.probes} probe${e.probes === 1 ? '' : 's'}\n` }),
  printf: (e) => ({ output: e.text }),
  value: (e, o) => ({ output: renderValue(e.value, { raw: o.rawStrings }) }),
  map: (e, o) => ({ output: renderMap(e.map, { top: e.top, div: e.div, raw: o.rawStrings }) }),
  time: (e) => ({ output: e.text }),
  cat: (e) => ({ output: e.text }),
  system: (e) => ({ output: e.text }),
  join: (e) => ({ output: `${e.text}\n` }),
  exitMaps: (e, o) => ({ output: renderExitMaps(e.maps, { raw: o.rawStrings }) }),
  lost: (e) => ({ message: `Lost ${e.events} events\n` }),
  mapFull: (e) => ({ message: mapFullWarning(e) }),
  warning: (e) => ({ message: `tsbt: ${e.message}\n` }),
};

const json: Table = {
  attached: (e, o) => ({ output: o.quiet ? '' : jsonAttachedProbes(e.probes) }),
  printf: (e) => ({ output: jsonText('printf', e.text) }),
  value: (e) => ({ output: jsonValue(e.value) }),
  map: (e) => ({ output: jsonMap(e.map, { top: e.top, div: e.div }) }),
  time: (e) => ({ output: jsonText('time', e.text) }),
  cat: (e) => ({ output: jsonText('cat', e.text) }),
  // bpftrace names system()'s record after the event that carries it.
  system: (e) => ({ output: jsonText('syscall', e.text) }),
  join: (e) => ({ output: jsonText('join', e.text) }),
  exitMaps: (e) => ({ output: jsonExitMaps(e.maps) }),
  lost: (e) => ({ output: jsonLostEvents(e.events) }),
  mapFull: (e) => ({ output: jsonMapFull(e.map, e.maxEntries, e.droppedUpdates), message: mapFullWarning(e) }),
  warning: (e) => ({ message: `tsbt: ${e.message}\n` }),
};

const TABLES: Record<OutputFormat, Table> = { text, json };

export function createRenderer(format: OutputFormat = 'text', options: RenderOptions = {}): Renderer {
  const table = TABLES[format];
  if (!table) throw new Error(`unknown output format: ${String(format)}`);
  return {
    format,
    rawStrings: format === 'json' || options.rawStrings === true,
    render(event) {
      const entry = table[event.kind] as (e: SessionEvent, o: RenderOptions) => Partial<Rendered>;
      const { output = '', message = '' } = entry(event, options);
      return { output, message };
    },
  };
}

function mapFullWarning(e: Extract<SessionEvent, { kind: 'mapFull' }>): string {
  return `tsbt: ${e.map} was full (${e.maxEntries} entries): ${e.droppedUpdates} update${e.droppedUpdates === 1 ? '' : 's'} dropped; ` +
    `raise its size with \`config = { max_map_keys = N }\` or \`let ${e.map} = hash(N);\`\n`;
}
