// Scenario 12: bcc's Python API, in TypeScript. bcc's
//
//   b = BPF(text=prog); b.attach_kprobe(...); b["events"].open_perf_buffer(cb); b.perf_buffer_poll()
//   b["dist"].print_log2_hist("kbytes")
//
// becomes: compile a script, run it, receive each printf as an object, stop, read the maps as values.
// Run it as root from the repository: node --import tsx docs/examples/12-api.ts
// (an application would import from 'tsbt' instead of '../../api/index.ts').
import { execFileSync } from 'node:child_process';
import { compile, formatDiagnostics, renderMaps, run, type PrintfRecord } from '../../api/index.ts';

const script = `
tracepoint:syscalls:sys_enter_sync
<
  @syncs[comm] = count();
  printf("sync() by %s (pid %d)\\n", comm, pid);
>

tracepoint:syscalls:sys_exit_read
/comm == "dd" && args->ret > 0/
<
  @bytes = hist(args->ret);
>`;

const { artifact, diagnostics, source } = compile(script, { name: 'api-example' });
if (!artifact) {
  console.error(formatDiagnostics(diagnostics, source));
  process.exit(1);
}

// printf events arrive as objects: the formatted text, and the decoded arguments: integers as bigint,
// strings as their bytes. Those bytes are a view into the ring buffer, valid only during the callback:
// keep a copy (here: as text), not the view.
const events: { id: number; text: string; args: (bigint | string)[] }[] = [];
const session = await run(artifact, {
  onPrintf: (e: PrintfRecord) => events.push({
    id: e.id, text: e.text, args: e.args.map((a) => (a instanceof Uint8Array ? Buffer.from(a).toString() : a)),
  }),
  onAttached: (n) => console.log(`attached ${n} probes`),
});

// Some work to trace: two syncs, and dd reading 4 KiB blocks.
execFileSync('sync');
execFileSync('sync');
execFileSync('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=4k', 'count=16'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 200));

// stop(): detach, run END, read every map, close everything.
const { maps, lostEvents } = await session.stop();

for (const e of events) console.log(`event ${e.id}: ${JSON.stringify(e.text)}`, e.args);
const syncs = maps.find((m) => m.name === '@syncs')!;
for (const { key, value } of syncs.entries) console.log(`@syncs[${key[0]}] = ${value}`);
const bytes = maps.find((m) => m.name === '@bytes')!;
const hist = bytes.entries[0]?.value;
if (hist && typeof hist === 'object' && hist.kind === 'hist') {
  console.log(`@bytes buckets: ${hist.buckets.map((b) => `${b.index}:${b.count}`).join(' ')}`);
}
// The same maps as tsbt prints them (bcc's print_log2_hist):
process.stdout.write(renderMaps([bytes]));
console.log(`lost events: ${lostEvents}`);
