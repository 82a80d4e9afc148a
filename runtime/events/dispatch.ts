// What each kind of event record means in user space: printf formats a line, print/clear/zero act on a
// whole map, time/cat print, exit ends the session. The session owns the lifecycle; this owns meaning.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EventSpec, MapSpec } from '../artifact.ts';
import { decodeEventArgs } from '../format/decode.ts';
import { buildMapDump } from '../format/dump.ts';
import type { MapDump, PrintfArg } from '../format/model.ts';
import { formatPrintf } from '../format/printf.ts';
import { strftime } from '../format/strftime.ts';
import { displayString, decodeUtf8Lossless } from '../format/strings.ts';
import { renderMap } from '../format/text.ts';
import type { BpfMap } from '../maps.ts';

export interface PrintfRecord {
  kind: 'printf';
  /** The probe's printf call, by event id. */
  id: number;
  text: string;
  args: PrintfArg[];
}

export interface EventSink {
  /** Every piece of text the script prints, in order (printf, print, time, cat). */
  output(text: string): void;
  printf?(record: PrintfRecord): void;
  /** The script called exit(code). */
  exit(code: number): void;
  /** Reads a map as the renderers want it (per-CPU values reduced). */
  dump(spec: MapSpec, map: BpfMap): MapDump;
}

export interface DispatchOptions {
  /**
   * Print traced strings (printf's `%s` arguments, print() of a string, map keys and values) as the
   * bytes they are. By default they are escaped for the terminal: control characters and invalid
   * UTF-8 become `\xNN` (runtime/format/strings.ts), so a traced comm or file name cannot drive the
   * terminal. Raw text keeps invalid UTF-8 as lone surrogates: textToBytes gives the bytes back.
   */
  rawStrings?: boolean;
}

export class EventDispatcher {
  private readonly events = new Map<number, EventSpec>();
  private readonly raw: boolean;

  constructor(
    events: readonly EventSpec[],
    private readonly maps: ReadonlyMap<string, { spec: MapSpec; map: BpfMap }>,
    private readonly sink: EventSink,
    options: DispatchOptions = {},
  ) {
    this.raw = options.rawStrings === true;
    for (const e of events) this.events.set(e.id, e);
  }

  /** Handle one record; `quiet` drops output (events that arrive after exit()). */
  dispatch(record: DataView, quiet: boolean): void {
    const id = Number(record.getBigUint64(0, true));
    const spec = this.events.get(id);
    if (!spec) return;
    switch (spec.kind) {
      case 'exit': {
        const [code] = spec.code ? decodeEventArgs([spec.code], record) : [0n];
        this.sink.exit(Number(code));
        return;
      }
      case 'clearMap':
      case 'zeroMap': {
        const target = this.maps.get(spec.map);
        if (!target) return;
        for (const key of target.map.keys()) {
          if (spec.kind === 'clearMap') target.map.delete(key);
          else target.map.update(key, new Uint8Array(target.map.valueBufferSize));
        }
        return;
      }
    }
    if (quiet) return;
    switch (spec.kind) {
      case 'printf': {
        const args = decodeEventArgs(spec.args, record);
        const text = formatPrintf(spec.format, args, this.raw ? { lossless: true } : { escapeStrings: true });
        this.sink.printf?.({ kind: 'printf', id, text, args });
        this.sink.output(text);
        return;
      }
      case 'printMap': {
        const target = this.maps.get(spec.map);
        if (!target) return;
        const dump = this.sink.dump(target.spec, target.map);
        this.sink.output(renderMap(limit(dump, spec.top ?? 0, spec.div ?? 1), { raw: this.raw }));
        return;
      }
      case 'printValue': {
        const [value] = decodeEventArgs([spec.value], record);
        const text = typeof value === 'bigint' ? String(value) : displayString(typeof value === 'string' ? value : decodeUtf8Lossless(value!), { raw: this.raw });
        this.sink.output(`${text}\n`);
        return;
      }
      case 'time':
        this.sink.output(strftime(spec.format, new Date()));
        return;
      case 'cat': {
        const path = formatPrintf(spec.format, decodeEventArgs(spec.args, record));
        try {
          this.sink.output(readFileSync(path, 'utf8'));
        } catch (e) {
          this.sink.output(`tsbt: cat: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
        }
        return;
      }
      case 'system': {
        // Only compiled with --unsafe. Run in a shell, as bpftrace does; its output joins ours.
        const command = formatPrintf(spec.format, decodeEventArgs(spec.args, record));
        const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
        this.sink.output(r.stdout ?? '');
        return;
      }
    }
  }
}

/** print(@m, top, div): the `top` largest entries (they are sorted ascending), values divided by `div`. */
function limit(dump: MapDump, top: number, div: number): MapDump {
  let entries = dump.entries;
  if (top > 0 && entries.length > top) entries = entries.slice(entries.length - top);
  if (div > 1) entries = entries.map((e) => (typeof e.value === 'bigint' ? { ...e, value: e.value / BigInt(div) } : e));
  return { ...dump, entries };
}
