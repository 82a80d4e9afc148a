// What a running script reports, in order, as plain values: the messages bpftrace prints (printf
// lines, print() values and maps, time, cat, system, the maps at exit, lost events) and the events
// around them (probes attached, maps that were full). The session produces them; the text and JSON
// renderers (render.ts) and API users (Session.events(), onEvent) read them.
import type { MapDump, PrintfArg, Primitive } from './model.ts';

/** Every probe is attached and enabled (BEGIN's output follows this event, as in bpftrace). */
export interface AttachedEvent {
  kind: 'attached';
  probes: number;
}

/** One printf. */
export interface PrintfRecord {
  kind: 'printf';
  /** The probe's printf call, by event id. */
  id: number;
  /**
   * The formatted line. Traced strings in it are escaped for the terminal (runtime/format/strings.ts)
   * unless the session prints raw strings (`rawStrings`, or the JSON format, whose own escaping is safe).
   */
  text: string;
  /** The arguments as decoded: integers as bigint, traced strings as their bytes. */
  args: PrintfArg[];
}

/** `print(value)` of something that is not a map. */
export interface ValueEvent {
  kind: 'value';
  value: Primitive;
}

/** `print(@map[, top[, div]])`: the whole map; `top` (0: all) and `div` (1: as is) as the script gave them. */
export interface MapEvent {
  kind: 'map';
  map: MapDump;
  top: number;
  div: number;
}

/**
 * The text `time(fmt)`, `cat(path)`, `system(cmd)` or `join(argv)` printed (system: the command's
 * standard output; join: the strings joined, without the newline the text format adds, as bpftrace's
 * JSON has none).
 */
export type TextEvent = { [K in TextEventKind]: { kind: K; text: string } }[TextEventKind];
type TextEventKind = 'time' | 'cat' | 'system' | 'join';

/** The maps printed when the script ends (not sent when `print_maps_on_exit` is off, or after abort()). */
export interface ExitMapsEvent {
  kind: 'exitMaps';
  maps: MapDump[];
}

/** At the end, for a map that was full: the updates the kernel refused. */
export interface MapFullEvent {
  kind: 'mapFull';
  /** The map's name in the script. */
  map: string;
  maxEntries: number;
  droppedUpdates: number;
}

/** At the end, when any: events the kernel could not write to the ring buffer. */
export interface LostEvent {
  kind: 'lost';
  events: number;
}

/** Something went wrong in user space while handling an event (a file cat() cannot read). */
export interface WarningEvent {
  kind: 'warning';
  message: string;
}

export type SessionEvent =
  | AttachedEvent
  | PrintfRecord
  | ValueEvent
  | MapEvent
  | TextEvent
  | ExitMapsEvent
  | MapFullEvent
  | LostEvent
  | WarningEvent;
