// A running script. Lifecycle: create maps → load programs (keeping verifier logs) → attach every
// probe disabled → run BEGIN → enable them together → poll events → on exit()/stop(): detach →
// run END → drain events → read maps → close everything. Every failure path closes what was opened.

import type { Artifact, MapSpec, ProgramSpec } from './artifact.ts';
import { EventDispatcher, type PrintfRecord } from './events/dispatch.ts';
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
  /** Called for every printf, in order, with the formatted text and the decoded arguments. */
  onPrintf?(record: PrintfRecord): void;
  /** Called with all text the script prints (printf, print, time, cat), in order. */
  onOutput?(text: string): void;
  /** Called once every probe is attached and enabled, with the number of probes. */
  onAttached?(probes: number): void;
  /** Verifier log level for program loads (0: only on failure). */
  logLevel?: number;
}

export interface SessionResult {
  /** Why the session ended. */
  reason: 'exit' | 'stopped';
  /** Every user map, read after END ran. */
  maps: MapDump[];
  /** Events the kernel could not write to the ring buffer. */
  lostEvents: number;
  /** The code the script passed to exit(), 0 otherwise. */
  exitCode: number;
}

export class Session {
  private readonly maps = new Map<string, BpfMap>();
  private readonly programs: { spec: ProgramSpec; prog: LoadedProgram }[] = [];
  private readonly attachments: Attachment[] = [];
  private ring: RingBufferReader | undefined;
  private events: EventDispatcher | undefined;
  private exitCode = 0;
  private watch: FdWatch | undefined;
  /** Keeps Node's event loop alive while probes run, even when nothing else (no ring buffer) would. */
  private keepAlive: NodeJS.Timeout | undefined;
  /** Set once teardown starts: no more polling. */
  private stopping = false;
  /** The script called exit(). */
  private exitSeen = false;
  /** END is running: its events are shown even after exit(). */
  private inEnd = false;
  private finished: Promise<SessionResult> | undefined;
  private resolveExit!: () => void;
  private readonly exitRequested = new Promise<void>((resolve) => (this.resolveExit = resolve));

  private constructor(readonly artifact: Artifact, private readonly options: SessionOptions) {
  }

  /** Load and attach everything; throws (after closing whatever it opened) when anything fails. */
  static async start(artifact: Artifact, options: SessionOptions): Promise<Session> {
    const session = new Session(artifact, options);
    try {
      session.setUp();
    } catch (e) {
      session.closeAll();
      throw e;
    }
    return session;
  }

  /** Resolves when the script calls exit() or stop() is called, after END ran and the maps were read. */
  wait(): Promise<SessionResult> {
    this.finished ??= this.exitRequested.then(() => this.tearDown(this.exitSeen ? 'exit' : 'stopped'));
    return this.finished;
  }

  /** Stop tracing (Ctrl-C): detach, run END, read the maps, close everything. */
  stop(): Promise<SessionResult> {
    this.resolveExit();
    return this.wait();
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
    for (const spec of this.artifact.maps) this.maps.set(spec.name, createMap(sys, spec));
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
    for (const { spec, prog } of this.programs) if (spec.attach.kind === 'begin') prog.testRun();
    this.drain();
    if (!this.exitSeen) for (const a of this.attachments) a.enable();
    // A script with nothing but BEGIN and END has nothing to wait for: it ends after BEGIN (bpftrace too).
    if (this.attachments.length === 0 && !this.exitSeen) {
      this.exitSeen = true;
      this.resolveExit();
    }
    this.options.onAttached?.(this.programs.length);
    if (!this.exitSeen) this.keepAlive = setInterval(() => {}, 1 << 30);
    // The kernel wakes the ring buffer's fd when records arrive; the event loop stays free meanwhile.
    if (this.ring && !this.exitSeen) {
      this.watch = sys.watchReadable(this.maps.get(this.artifact.eventRing!)!.fd, () => {
        if (!this.stopping) this.drain();
      });
    }
  }

  /** Hand every waiting event to its consumer; returns how many there were. */
  private drain(): number {
    if (!this.ring) return 0;
    return this.ring.drain((record) => this.dispatch(record));
  }

  private dispatcher(): EventDispatcher {
    const maps = new Map(this.artifact.maps.map((spec) => [spec.name, { spec, map: this.maps.get(spec.name)! }]));
    const cpus = possibleCpuCount();
    return new EventDispatcher(this.artifact.events, maps, {
      output: (text) => this.options.onOutput?.(text),
      printf: (record) => this.options.onPrintf?.(record),
      exit: (code) => {
        if (this.exitSeen) return;
        this.exitSeen = true;
        this.exitCode = code;
        this.resolveExit();
      },
      dump: (spec, map) => buildMapDump(spec, map.entries(), cpus),
    });
  }

  private dispatch(record: DataView): void {
    // After exit(), only END's output is still shown (as bpftrace does).
    this.events ??= this.dispatcher();
    this.events.dispatch(record, this.exitSeen && !this.inEnd);
  }

  private async tearDown(reason: 'exit' | 'stopped'): Promise<SessionResult> {
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
      return { reason, maps, lostEvents: this.lostEvents(), exitCode: this.exitCode };
    } finally {
      this.closeAll();
    }
  }

  private lostEvents(): number {
    if (!this.artifact.lostCounter) return 0;
    const map = this.maps.get(this.artifact.lostCounter)!;
    const value = map.lookup(new Uint8Array(4));
    return value ? Number(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)) : 0;
  }

  private mapSpec(name: string): MapSpec {
    const spec = this.artifact.maps.find((m) => m.name === name);
    if (!spec) throw new Error(`artifact names a map it does not have: ${name}`);
    return spec;
  }

  private closeAll(): void {
    this.watch?.close();
    this.watch = undefined;
    clearInterval(this.keepAlive);
    for (const a of this.attachments.splice(0)) a.detach();
    this.ring?.close();
    this.ring = undefined;
    for (const { prog } of this.programs.splice(0)) prog.close();
    for (const m of this.maps.values()) m.close();
    this.maps.clear();
  }
}

export type { PrintfRecord };
