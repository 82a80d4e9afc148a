// What each kind of event record means in user space: printf formats a line, print/clear/zero act on a
// whole map, time/cat/system produce text, exit ends the session. The session owns the lifecycle; this
// owns meaning. What comes out are session events (format/events.ts), plain values that the renderers
// (format/render.ts) turn into text or JSON.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EventSpec, MapSpec } from '../artifact.ts';
import { decodeEventArgs, decodeEventValue, readCStringBytes } from '../format/decode.ts';
import type { PrintfRecord, SessionEvent } from '../format/events.ts';
import type { MapDump } from '../format/model.ts';
import { resetValue } from '../format/present.ts';
import { decodeUtf8Lossless, displayString } from '../format/strings.ts';
import { formatPrintf } from '../format/printf.ts';
import { strftime } from '../format/strftime.ts';
import type { BpfMap } from '../maps.ts';

export type { PrintfRecord };

export interface EventSink {
  /** Every event the script's output is made of, in order (printf, print, time, cat, system). */
  event(event: SessionEvent): void;
  /** The script called exit(code). */
  exit(code: number): void;
  /** Reads a map as the renderers want it (per-CPU values reduced). */
  dump(spec: MapSpec, map: BpfMap): MapDump;
}

export interface DispatchOptions {
  /**
   * Format printf's `%s` arguments as the bytes they are. By default they are escaped for the terminal:
   * control characters and invalid UTF-8 become `\xNN` (runtime/format/strings.ts), so a traced comm or
   * file name cannot drive the terminal. Raw text keeps invalid UTF-8 as lone surrogates: textToBytes
   * gives the bytes back. (print() values and maps stay values: the renderer escapes them.)
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
        if (target.spec.presentOffset !== undefined) {
          // A per-CPU array's slots cannot be deleted: they are rewritten (format/present.ts).
          for (const key of target.map.keys()) {
            const value = target.map.lookup(key);
            const reset = value && resetValue(target.spec, value, target.map.possibleCpus, spec.kind === 'clearMap' ? 'clear' : 'zero');
            if (reset) target.map.update(key, reset);
          }
          return;
        }
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
        this.sink.event({ kind: 'printf', id, text, args });
        return;
      }
      case 'printMap': {
        const target = this.maps.get(spec.map);
        if (!target) return;
        this.sink.event({ kind: 'map', map: this.sink.dump(target.spec, target.map), top: spec.top ?? 0, div: spec.div ?? 1 });
        return;
      }
      case 'printValue':
        this.sink.event({ kind: 'value', value: decodeEventValue(spec.value, record) });
        return;
      case 'join': {
        // The strings up to the first empty one (the kernel wrote an empty slot after the last).
        const parts: string[] = [];
        for (let i = 0; i < spec.count; i++) {
          const bytes = readCStringBytes(record, 16 + i * spec.slotSize, spec.slotSize);
          if (bytes.length === 0) break;
          parts.push(displayString(decodeUtf8Lossless(bytes), { raw: this.raw }));
        }
        this.sink.event({ kind: 'join', text: parts.join(spec.delimiter) });
        return;
      }
      case 'time':
        this.sink.event({ kind: 'time', text: strftime(spec.format, new Date()) });
        return;
      case 'cat': {
        const path = formatPrintf(spec.format, decodeEventArgs(spec.args, record));
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (e) {
          // An error, not output: bpftrace writes it to stderr too.
          this.sink.event({ kind: 'warning', message: `cat: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
          return;
        }
        this.sink.event({ kind: 'cat', text });
        return;
      }
      case 'system': {
        // Only compiled with --unsafe. Run in a shell, as bpftrace does; its output joins ours.
        const command = formatPrintf(spec.format, decodeEventArgs(spec.args, record));
        const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
        this.sink.event({ kind: 'system', text: r.stdout ?? '' });
        return;
      }
    }
  }
}
