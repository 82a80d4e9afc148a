// A running script. Lifecycle: create maps → load programs (keeping verifier logs) → attach every
// probe disabled → run BEGIN → enable them together → poll events → on exit()/stop(): detach →
// run END → drain events → read maps → close everything. Every failure path closes what was opened:
// a failed start closes before it throws; an exception while handling events (a consumer callback
// throwing, an output that cannot be written) aborts the session (everything closed, wait() rejects);
// abort() closes everything at once, synchronously, without END (a second Ctrl-C, a dying process).
//
// What the script prints comes out as session events (format/events.ts), in order: to onEvent, to
// every events() iterator, and rendered in the chosen format (format/render.ts) to onOutput and
// onMessage.

import { describeProgram, type VerifiedProgram } from './verify.ts';
import { useSymbolizer } from './format/decode.ts';
import { createSymbolizer } from './events/symbolizer.ts';
import type { Artifact, MapSpec, ProgramSpec } from './artifact.ts';
import { EventDispatcher } from './events/dispatch.ts';
import { EventStream } from './events/stream.ts';
import type { PrintfRecord, SessionEvent } from './format/events.ts';
import { createRenderer, type OutputFormat, type Renderer } from './format/render.ts';
import { attach, type Attachment } from './attach/index.ts';
import { RingBufferReader } from './events/ringbuf.ts';
import { buildMapDump } from './format/dump.ts';
import type { MapDump } from './format/model.ts';
import { possibleCpuCount } from './kernel/cpus.ts';
import { type BpfMap, createMap } from './maps.ts';
import { type LoadedProgram, loadProgram } from './programs.ts';
import type { FdWatch, Sys } from './sys/sys.ts';

export interface SessionOptions {
  sys: Sys;
  /** Called with every event, in order, as it happens (see events() for the order). */
  onEvent?(event: SessionEvent): void;
  /** Called for every printf, in order, with the formatted text and the decoded arguments. */
  onPrintf?(record: PrintfRecord): void;
  /**
   * Called with the output, rendered in `format`, as the CLI writes it to stdout: everything the
   * script prints (printf, print, time, cat, system), in order, then the maps at exit; in JSON also
   * the attached_probes, lost_events and map_full records.
   */
  onOutput?(text: string): void;
  /** Called with the messages the CLI writes to stderr, as text: `Attached N probes`, `Lost N events`, warnings. */
  onMessage?(text: string): void;
  /** Called once every probe is attached and enabled, with the number of probes. */
  onAttached?(probes: number): void;
  /** How onOutput's text is rendered: bpftrace's text (the default) or its NDJSON (`-f json`). */
  format?: OutputFormat;
  /** Leave `Attached N probes` (JSON: the attached_probes record) out of onMessage and onOutput (-q). */
  quiet?: boolean;
  /** Verifier log level for program loads (0: only on failure). */
  logLevel?: number;
  /**
   * Traced strings in printf's `%s`, print() and printed maps as their raw bytes; by default they are
   * escaped for the terminal (control characters and invalid UTF-8 become `\xNN`). JSON is never
   * escaped for the terminal: its own escaping is safe.
   */
  rawStrings?: boolean;
  /** -p PID: stop (END runs, maps print) when this process exits, as bpftrace does. */
  untilProcessExits?: number;
}

/** Records handled per wake-up at most, so that a flood of events never starves the event loop. */
const DRAIN_BATCH = 16384;

/** Events waiting in one events() iterator above which the session stops reading the ring buffer. */
const STREAM_HIGH_WATER = 65536;

/** pause()'s hold on reading, as opposed to an events() iterator's. */
const USER_PAUSE = Symbol('pause()');

export interface SessionResult {
  /** Why the session ended: exit() (or END-only scripts), stop(), or abort() (END did not run). */
  reason: 'exit' | 'stopped' | 'aborted';
  /** Every user map, read after END ran (none after abort()). */
  maps: MapDump[];
  /** Events the kernel could not write to the ring buffer. */
  lostEvents: number;
  /** The code the script passed to exit(), 0 otherwise. */
  exitCode: number;
  /** Per user map that was ever full: the updates the kernel refused (none after abort()). */
  droppedUpdates: { map: string; maxEntries: number; count: number }[];
}

export class Session {
  private readonly maps = new Map<string, BpfMap>();
  private readonly programs: { spec: ProgramSpec; prog: LoadedProgram }[] = [];
  private readonly attachments: Attachment[] = [];
  private ring: RingBufferReader | undefined;
  private dispatcher: EventDispatcher | undefined;
  private exitCode = 0;
  private watch: FdWatch | undefined;
  /** -p: the traced process's pidfd, and the watch that stops the session when it exits. */
  private pidfd: number | undefined;
  private pidWatch: FdWatch | undefined;
  /** Keeps Node's event loop alive while probes run, even when nothing else (no ring buffer) would. */
  private keepAlive: NodeJS.Timeout | undefined;
  /** Set once teardown starts: no more polling. */
  private stopping = false;
  /** Everything is closed. */
  private closed = false;
  /**
   * Who asked to stop reading (pause(), an events() iterator that fell behind): records wait in the
   * ring buffer meanwhile (and the kernel counts what no longer fits).
   */
  private readonly holds = new Set<unknown>();
  private readonly renderer: Renderer;
  /** The events() iterators still reading. */
  private readonly streams = new Set<EventStream<SessionEvent>>();
  /** The events of start(): the probes attached and BEGIN's output, which every events() iterator gets first. */
  private readonly startEvents: SessionEvent[] = [];
  /** Set while start() runs: BEGIN's events wait here until the attached event went out. */
  private heldBack: SessionEvent[] | undefined;
  /** Why the session was aborted, if it was. */
  private failure: { error: unknown } | undefined;
  /** The lost-event count read just before abort() closed everything. */
  private abortedLost = 0;
  /** The script called exit(). */
  private exitSeen = false;
  /** END is running: its events are shown even after exit(). */
  private inEnd = false;
  private finished: Promise<SessionResult> | undefined;
  private resolveExit!: () => void;
  private readonly exitRequested = new Promise<void>((resolve) => (this.resolveExit = resolve));

  private constructor(readonly artifact: Artifact, private readonly options: SessionOptions) {
    this.renderer = createRenderer(options.format ?? 'text', { rawStrings: options.rawStrings, quiet: options.quiet });
  }

  /** Load and attach everything; throws (after closing whatever it opened) when anything fails. */
  static async start(artifact: Artifact, options: SessionOptions): Promise<Session> {
    const session = new Session(artifact, options);
    try {
      session.setUp();
    } catch (e) {
      try {
        session.closeAll();
      } catch {
        // The error that made start() fail is the one to report.
      }
      throw e;
    }
    return session;
  }

  /**
   * Resolves when the script calls exit() or stop() is called, after END ran and the maps were read;
   * after abort(), at once with reason 'aborted'. Rejects, with everything closed, when handling the
   * events failed.
   */
  wait(): Promise<SessionResult> {
    this.finished ??= this.exitRequested.then(() => this.tearDown(this.exitSeen ? 'exit' : 'stopped'));
    return this.finished;
  }

  /** Stop tracing (Ctrl-C): detach, run END, read the maps, close everything. */
  stop(): Promise<SessionResult> {
    this.resolveExit();
    return this.wait();
  }

  /**
   * Stop at once (a second Ctrl-C, an error, a process about to exit): detach every probe and close
   * every fd now, synchronously; END does not run and the maps are not read. With `error`, wait()
   * rejects with it. Safe to call at any time, more than once.
   */
  abort(error?: unknown): void {
    if (this.closed) return;
    if (error !== undefined) this.failure ??= { error };
    this.stopping = true;
    try {
      this.abortedLost = this.lostEvents();
    } catch {
      // Reporting is best effort here: closing is what matters.
    }
    try {
      this.closeAll();
    } catch (err) {
      this.failure ??= { error: err };
    }
    this.finished ??= this.tearDown('stopped');
    // A rejection nobody waits for yet is still delivered by wait(); it must not crash the process.
    this.finished.catch(() => {});
    this.resolveExit();
  }

  /**
   * Stop reading events until resume() (the output cannot keep up): records wait in the ring buffer,
   * and once it is full the kernel counts what it drops (lostEvents). Teardown still reads everything.
   */
  pause(): void {
    this.hold(USER_PAUSE);
  }

  resume(): void {
    this.release(USER_PAUSE);
  }

  /**
   * Every event, in order, for `for await`: first the probes attached and BEGIN's output (whenever
   * events() is called), then each event from the moment it is called: printf, print() values and
   * maps, time, cat, system, warnings; when the script ends, the maps (unless print_maps_on_exit is
   * off), the maps that were full and the events lost; then the iteration ends, once the session
   * ended (it drives wait()). It throws what wait() rejects with. A consumer slower than the events
   * makes the session stop reading the ring buffer while many wait; the kernel then counts what it
   * cannot keep (the lost event). Leaving the loop early does not stop the session.
   */
  events(): AsyncIterableIterator<SessionEvent> {
    const stream: EventStream<SessionEvent> = new EventStream({
      onLevel: (waiting) => {
        if (waiting > STREAM_HIGH_WATER) this.hold(stream);
        else if (waiting <= STREAM_HIGH_WATER / 2) this.release(stream);
      },
      onClose: () => {
        this.streams.delete(stream);
        this.release(stream);
      },
    });
    for (const event of this.startEvents) stream.push(event);
    this.streams.add(stream);
    this.wait().then(() => stream.end(), (error) => stream.fail(error));
    return stream;
  }

  /** Whether the session is still tracing (not stopping, not closed). */
  get running(): boolean {
    return !this.stopping && !this.closed;
  }

  /** What the kernel made of each loaded program (-v). */
  programInfo(): VerifiedProgram[] {
    return this.programs.map(({ spec, prog }) => describeProgram(this.options.sys, spec, prog.fd));
  }

  /** Read every user map now (while running, or for a test). */
  readMaps(): MapDump[] {
    const cpus = possibleCpuCount();
    const dumps: MapDump[] = [];
    for (const spec of this.artifact.maps) {
      if (!spec.scriptName || !spec.value) continue;
      const map = this.maps.get(spec.name)!;
      dumps.push(buildMapDump(spec, map.entries(), cpus));
    }
    return dumps;
  }

  private setUp(): void {
    const { sys } = this.options;
    // First, so that a process that is already gone fails the run before anything is loaded.
    if (this.options.untilProcessExits !== undefined) this.pidfd = sys.pidfdOpen(this.options.untilProcessExits);
    for (const spec of this.artifact.maps) this.maps.set(spec.name, createMap(sys, spec));
    this.writeStartTime();
    const stacks = this.artifact.maps.find((m) => m.type === 'stack_trace');
    useSymbolizer(createSymbolizer(stacks ? this.maps.get(stacks.name) : undefined));
    const fds = new Map([...this.maps].map(([name, m]) => [name, m.fd]));
    for (const spec of this.artifact.programs) {
      const prog = loadProgram(sys, spec, fds, { logLevel: this.options.logLevel ?? 0 });
      this.programs.push({ spec, prog });
    }
    if (this.artifact.eventRing) {
      const spec = this.mapSpec(this.artifact.eventRing);
      this.ring = new RingBufferReader(sys, this.maps.get(spec.name)!.fd, spec.maxEntries);
    }
    // Attach everything disabled first, so a probe that cannot attach fails before BEGIN has run;
    // then BEGIN; then enable every probe together.
    for (const { spec, prog } of this.programs) {
      if (spec.attach.kind === 'begin' || spec.attach.kind === 'end') continue;
      this.attachments.push(attach(sys, prog, spec));
    }
    // BEGIN's output waits until the probes are enabled: bpftrace reports them attached first.
    this.heldBack = [];
    for (const { spec, prog } of this.programs) if (spec.attach.kind === 'begin') prog.testRun();
    this.drain();
    if (!this.exitSeen) for (const a of this.attachments) a.enable();
    // A script with nothing but BEGIN and END has nothing to wait for: it ends after BEGIN (bpftrace too).
    if (this.attachments.length === 0 && !this.exitSeen) {
      this.exitSeen = true;
      this.resolveExit();
    }
    const begin = this.heldBack;
    this.heldBack = undefined;
    this.emit({ kind: 'attached', probes: this.programs.length }, true);
    for (const event of begin) this.emit(event, true);
    if (!this.exitSeen) this.keepAlive = setInterval(() => {}, 1 << 30);
    if (!this.exitSeen) this.startWatching();
    if (this.pidfd !== undefined && !this.exitSeen) this.pidWatch = this.options.sys.watchReadable(this.pidfd, () => this.resolveExit());
  }

  /** The kernel wakes the ring buffer's fd when records arrive; the event loop stays free meanwhile. */
  private startWatching(): void {
    if (!this.ring || this.watch || this.holds.size > 0 || this.stopping) return;
    this.watch = this.options.sys.watchReadable(this.ring.fd, () => this.pump());
  }

  /**
   * Handle up to one batch of waiting events while tracing. The watch is level-triggered: if more
   * wait, it fires again after the event loop had its turn (signals, timers, output). An exception
   * here has nobody to go to: the session aborts with it and wait() rejects.
   */
  private pump(): void {
    if (this.stopping || this.holds.size > 0) return;
    try {
      this.drain(DRAIN_BATCH);
    } catch (err) {
      this.abort(err);
    }
  }

  /** Hand the waiting events (all, or up to `limit`) to their consumers; returns how many there were. */
  private drain(limit = Infinity): number {
    if (!this.ring) return 0;
    return this.ring.drain((record) => this.dispatch(record), limit);
  }

  /** `elapsed` counts from now: the monotonic clock (the one bpf_ktime_get_ns reads) goes into the state map. */
  private writeStartTime(): void {
    const state = this.artifact.state;
    if (state?.startOffset === undefined) return;
    const map = this.maps.get(state.map)!;
    const key = new Uint8Array(4);
    const value = map.lookup(key) ?? new Uint8Array(map.valueBufferSize);
    new DataView(value.buffer, value.byteOffset).setBigUint64(state.startOffset, process.hrtime.bigint(), true);
    map.update(key, value);
  }

  private createDispatcher(): EventDispatcher {
    const maps = new Map(this.artifact.maps.map((spec) => [spec.name, { spec, map: this.maps.get(spec.name)! }]));
    const cpus = possibleCpuCount();
    return new EventDispatcher(this.artifact.events, maps, {
      event: (event) => this.emit(event),
      exit: (code) => {
        if (this.exitSeen) return;
        this.exitSeen = true;
        this.exitCode = code;
        this.resolveExit();
      },
      dump: (spec, map) => buildMapDump(spec, map.entries(), cpus),
    }, { rawStrings: this.renderer.rawStrings });
  }

  /** Stop reading the ring buffer until every holder released it. */
  private hold(holder: unknown): void {
    if (this.holds.has(holder)) return;
    this.holds.add(holder);
    this.watch?.close();
    this.watch = undefined;
  }

  private release(holder: unknown): void {
    if (!this.holds.delete(holder) || this.holds.size > 0) return;
    if (!this.stopping) {
      this.startWatching();
      // Not from inside a consumer's call: the next turn of the event loop reads what waits.
      setImmediate(() => this.pump());
    }
  }

  /** Hand one event to every consumer: the callbacks, the renderer's two streams, the iterators. */
  private emit(event: SessionEvent, starting = false): void {
    if (this.heldBack) {
      this.heldBack.push(event);
      return;
    }
    const { onEvent, onPrintf, onAttached, onOutput, onMessage } = this.options;
    if (event.kind === 'printf') onPrintf?.(event);
    else if (event.kind === 'attached') onAttached?.(event.probes);
    onEvent?.(event);
    if (onOutput || onMessage) {
      const { output, message } = this.renderer.render(event);
      if (output) onOutput?.(output);
      if (message) onMessage?.(message);
    }
    // Events are plain values that own their data (decode.ts copies strings out of the ring buffer),
    // so they can wait in a queue.
    if (starting) this.startEvents.push(event);
    for (const stream of this.streams) stream.push(event);
  }

  private dispatch(record: DataView): void {
    // After exit(), only END's output is still shown (as bpftrace does).
    this.dispatcher ??= this.createDispatcher();
    this.dispatcher.dispatch(record, this.exitSeen && !this.inEnd);
  }

  private async tearDown(reason: 'exit' | 'stopped'): Promise<SessionResult> {
    if (this.failure) throw this.failure.error;
    if (this.closed) {
      if (this.abortedLost > 0) this.emit({ kind: 'lost', events: this.abortedLost });
      return { reason: 'aborted', maps: [], lostEvents: this.abortedLost, exitCode: this.exitCode, droppedUpdates: [] };
    }
    this.stopping = true;
    this.watch?.close();
    this.watch = undefined;
    try {
      for (const a of this.attachments.splice(0)) a.detach();
      this.drain();
      this.inEnd = true;
      for (const { spec, prog } of this.programs) if (spec.attach.kind === 'end') prog.testRun();
      this.drain();
      const maps = this.readMaps();
      const result: SessionResult = { reason, maps, lostEvents: this.lostEvents(), exitCode: this.exitCode, droppedUpdates: this.droppedUpdates() };
      if (this.artifact.printMapsOnExit) this.emit({ kind: 'exitMaps', maps });
      for (const d of result.droppedUpdates) this.emit({ kind: 'mapFull', map: d.map, maxEntries: d.maxEntries, droppedUpdates: d.count });
      if (result.lostEvents > 0) this.emit({ kind: 'lost', events: result.lostEvents });
      return result;
    } finally {
      this.closeAll();
    }
  }

  private lostEvents(): number {
    const state = this.artifact.state;
    if (state?.lostOffset === undefined) return 0;
    const value = this.maps.get(state.map)?.lookup(new Uint8Array(4));
    return value ? Number(new DataView(value.buffer, value.byteOffset).getBigUint64(state.lostOffset, true)) : 0;
  }

  /** The state map's per-map counters of updates refused because the map was full (lower.ts counts them). */
  private droppedUpdates(): SessionResult['droppedUpdates'] {
    const state = this.artifact.state;
    if (!state || state.drops.length === 0) return [];
    const value = this.maps.get(state.map)?.lookup(new Uint8Array(4));
    if (!value) return [];
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const out: SessionResult['droppedUpdates'] = [];
    for (const { map, offset } of state.drops) {
      const count = Number(view.getBigUint64(offset, true));
      if (count === 0) continue;
      const spec = this.mapSpec(map);
      out.push({ map: spec.scriptName ?? map, maxEntries: spec.maxEntries, count });
    }
    return out;
  }

  private mapSpec(name: string): MapSpec {
    const spec = this.artifact.maps.find((m) => m.name === name);
    if (!spec) throw new Error(`artifact names a map it does not have: ${name}`);
    return spec;
  }

  /**
   * Detach every probe first (so nothing fires into half-closed state), then unmap the ring buffer and
   * close every program and map fd. Each close is attempted even when one before it fails; the first
   * failure is rethrown after all were tried.
   */
  private closeAll(): void {
    useSymbolizer(undefined);
    this.closed = true;
    this.stopping = true;
    let first: { error: unknown } | undefined;
    const attempt = (close: () => void) => {
      try {
        close();
      } catch (error) {
        first ??= { error };
      }
    };
    attempt(() => this.watch?.close());
    this.watch = undefined;
    attempt(() => this.pidWatch?.close());
    this.pidWatch = undefined;
    if (this.pidfd !== undefined) attempt(() => this.options.sys.close(this.pidfd!));
    this.pidfd = undefined;
    clearInterval(this.keepAlive);
    for (const a of this.attachments.splice(0)) attempt(() => a.detach());
    attempt(() => this.ring?.close());
    this.ring = undefined;
    for (const { prog } of this.programs.splice(0)) attempt(() => prog.close());
    for (const m of this.maps.values()) attempt(() => m.close());
    this.maps.clear();
    if (first) throw first.error;
  }
}

export type { PrintfRecord, SessionEvent };
