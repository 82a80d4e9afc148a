// tracefs: where it is (mounting it when nobody has), tracepoint ids, tracepoint record formats, and
// listing tracepoints that match a glob.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const TRACEFS_PATH = '/sys/kernel/tracing';
export const DEBUGFS_PATH = '/sys/kernel/debug';
/** debugfs mounts tracefs here automatically on kernels that have both. */
export const DEBUGFS_TRACING_PATH = '/sys/kernel/debug/tracing';

/** What locating tracefs needs from the system; injectable for tests. */
export interface TracefsEnv {
  exists(path: string): boolean;
  /** mount(2); absent means "never mount". */
  mount?(source: string, target: string, fstype: string): void;
}

/**
 * Finds a tracefs whose `events/` directory exists: /sys/kernel/tracing, mounting tracefs there when
 * it is empty, else /sys/kernel/debug/tracing, mounting debugfs first when needed.
 */
export function locateTracefs(env: TracefsEnv): string {
  const hasEvents = (root: string) => env.exists(join(root, 'events'));
  const failures: string[] = [];
  const tryMount = (source: string, target: string, fstype: string) => {
    if (!env.mount) return;
    try {
      env.mount(source, target, fstype);
    } catch (err) {
      failures.push((err as Error).message);
    }
  };
  if (hasEvents(TRACEFS_PATH)) return TRACEFS_PATH;
  tryMount('nodev', TRACEFS_PATH, 'tracefs');
  if (hasEvents(TRACEFS_PATH)) return TRACEFS_PATH;
  if (hasEvents(DEBUGFS_TRACING_PATH)) return DEBUGFS_TRACING_PATH;
  tryMount('nodev', DEBUGFS_PATH, 'debugfs');
  if (hasEvents(DEBUGFS_TRACING_PATH)) return DEBUGFS_TRACING_PATH;
  throw new Error(
    `tracefs not found at ${TRACEFS_PATH} or ${DEBUGFS_TRACING_PATH}` +
      (failures.length ? ` (${failures.join('; ')})` : ' and mounting was not allowed'),
  );
}

export interface TracepointField {
  name: string;
  /** The C type as written, without the array suffix or `__data_loc` (`const char *`, `char[]`). */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  /** A `__data_loc`/`__rel_loc` field: a u32 holding (length << 16 | offset) of data stored later. */
  isDataLoc: boolean;
  /** `__rel_loc`: the offset is relative to the end of this field. */
  isRelLoc: boolean;
  /** Element count of a fixed array field (`char comm[16]` → 16); absent otherwise. */
  arrayLen?: number;
  /** One of the `common_*` fields every record starts with. */
  common: boolean;
}

export interface TracepointFormat {
  name: string;
  id: number;
  fields: TracepointField[];
}

const FIELD_LINE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;
const DECLARATION = /^(.*?)\s*\b([A-Za-z_]\w*)\s*(?:\[\s*([^\]]*?)\s*\])?$/;

export function parseTracepointField(line: string): TracepointField | undefined {
  const m = FIELD_LINE.exec(line);
  if (!m) return undefined;
  let decl = m[1]!.trim();
  const loc = /^__(data|rel)_loc\s+/.exec(decl);
  if (loc) decl = decl.slice(loc[0].length);
  const d = DECLARATION.exec(decl);
  if (!d) throw new Error(`cannot parse tracepoint field declaration '${m[1]}'`);
  const name = d[2]!;
  const field: TracepointField = {
    name,
    type: d[1]!.trim(),
    offset: Number(m[2]),
    size: Number(m[3]),
    signed: m[4] === '1',
    isDataLoc: loc !== null,
    isRelLoc: loc?.[1] === 'rel',
    common: name.startsWith('common_'),
  };
  if (d[3] !== undefined && /^\d+$/.test(d[3])) field.arrayLen = Number(d[3]);
  return field;
}

/** Parses the text of `events/<category>/<event>/format`. */
export function parseTracepointFormat(text: string): TracepointFormat {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const id = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (name === undefined || id === undefined) throw new Error('tracepoint format has no name or ID line');
  const fields: TracepointField[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('print fmt:')) break;
    const field = parseTracepointField(line);
    if (field) fields.push(field);
  }
  return { name, id: Number(id), fields };
}

/** `*` any run of characters, `?` one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export interface TracepointName {
  category: string;
  event: string;
}

/** A tracefs mount: tracepoint lookups relative to its root. */
export class Tracefs {
  constructor(readonly root: string) {}

  private eventDir(category: string, event: string): string {
    if (category.includes('/') || event.includes('/')) throw new Error(`invalid tracepoint ${category}:${event}`);
    return join(this.root, 'events', category, event);
  }

  private readEventFile(category: string, event: string, file: string): string {
    const path = join(this.eventDir(category, event), file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`tracepoint ${category}:${event} does not exist (no ${path})`);
      throw new Error(`cannot read ${path}: ${code ?? (err as Error).message}`);
    }
  }

  /** The id perf_event_open(PERF_TYPE_TRACEPOINT) takes as config. */
  tracepointId(category: string, event: string): number {
    return Number(this.readEventFile(category, event, 'id').trim());
  }

  format(category: string, event: string): TracepointFormat {
    return parseTracepointFormat(this.readEventFile(category, event, 'format'));
  }

  /** Tracepoints whose category and event match the globs, sorted. */
  list(categoryGlob: string, eventGlob: string): TracepointName[] {
    const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
    const catRe = globToRegExp(categoryGlob);
    const evRe = globToRegExp(eventGlob);
    const events = join(this.root, 'events');
    const out: TracepointName[] = [];
    for (const category of readdirSync(events).sort()) {
      if (!catRe.test(category) || !isDir(join(events, category))) continue;
      for (const event of readdirSync(join(events, category)).sort()) {
        if (evRe.test(event) && isDir(join(events, category, event))) out.push({ category, event });
      }
    }
    return out;
  }
}

let located: Tracefs | undefined;

/**
 * The system's tracefs, located once per process. `mount` (normally `sys.mount`) is used only when no
 * tracefs is mounted yet.
 */
export function systemTracefs(mount?: TracefsEnv['mount']): Tracefs {
  return (located ??= new Tracefs(locateTracefs({ exists: existsSync, mount })));
}
