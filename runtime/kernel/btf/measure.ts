// Measures the BTF reader on this machine's /sys/kernel/btf/vmlinux, each sample in a fresh process
// (cold JIT, as at tsbt start-up). Not a test: prints numbers, asserts nothing.
//   node --import tsx runtime/kernel/btf/measure.ts [samples=7]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BtfSpec } from './spec.ts';

const PATH = '/sys/kernel/btf/vmlinux';

interface Sample {
  readMs: number;
  indexMs: number;
  firstStructMs: number;
  secondStructMs: number;
  firstFuncMs: number;
  memberPathMs: number;
  openToFirstStructMs: number;
  indexBytes: number;
  heapDeltaBytes: number;
  types: number;
  blobBytes: number;
}

function once(): Sample {
  const mem0 = process.memoryUsage();
  const t0 = performance.now();
  const blob = readFileSync(PATH);
  const t1 = performance.now();
  const spec = new BtfSpec(blob, { name: 'vmlinux' });
  const t2 = performance.now();
  const sock = spec.findType('struct', 'sock')!;
  const t3 = performance.now();
  spec.findType('struct', 'task_struct');
  const t4 = performance.now();
  spec.findFunc('inet_listen');
  const t5 = performance.now();
  const m = spec.member(sock, '__sk_common.skc_net.net')!;
  spec.typeName(m.type);
  const t6 = performance.now();
  const mem1 = process.memoryUsage();
  return {
    readMs: t1 - t0,
    indexMs: t2 - t1,
    firstStructMs: t3 - t2,
    secondStructMs: t4 - t3,
    firstFuncMs: t5 - t4,
    memberPathMs: t6 - t5,
    openToFirstStructMs: t3 - t0,
    indexBytes: spec.indexBytes(),
    heapDeltaBytes: mem1.heapUsed - mem0.heapUsed,
    types: spec.count,
    blobBytes: blob.length,
  };
}

/** For contrast: what the lazy design avoids. */
function alternatives() {
  const blob = readFileSync(PATH);
  const spec = new BtfSpec(blob);
  const t0 = performance.now();
  const names = new Map<string, number[]>();
  for (const id of spec.ids()) {
    const n = spec.nameOf(id);
    if (n) (names.get(n) ?? names.set(n, []).get(n)!).push(id);
  }
  const t1 = performance.now();
  const eager = new BtfSpec(blob);
  const t2 = performance.now();
  for (const id of eager.ids()) eager.type(id);
  const t3 = performance.now();
  return { mapOfDecodedNamesMs: t1 - t0, inflateEveryTypeMs: t3 - t2 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

if (process.argv[2] === '--once') {
  process.stdout.write(JSON.stringify(process.argv[3] === 'alt' ? alternatives() : once()));
} else {
  const samples = Number(process.argv[2] ?? 7);
  const self = fileURLToPath(import.meta.url);
  const run = (arg: string) => {
    const r = spawnSync(process.execPath, [...process.execArgv, self, '--once', arg], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const runs: Sample[] = Array.from({ length: samples }, () => run('lazy'));
  const s0 = runs[0]!;
  console.log(`vmlinux BTF: ${(s0.blobBytes / 1e6).toFixed(2)} MB, ${s0.types} types; median of ${samples} fresh processes`);
  for (const key of ['readMs', 'indexMs', 'firstStructMs', 'secondStructMs', 'firstFuncMs', 'memberPathMs', 'openToFirstStructMs'] as const) {
    const xs = runs.map((r) => r[key]);
    console.log(`  ${key.padEnd(20)} ${fmt(median(xs)).padStart(10)}   (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`);
  }
  console.log(`  index + name tables  ${(s0.indexBytes / 1e6).toFixed(2)} MB (plus the ${(s0.blobBytes / 1e6).toFixed(2)} MB blob, referenced not copied)`);
  console.log(`  JS heap growth       ${(median(runs.map((r) => r.heapDeltaBytes)) / 1e6).toFixed(2)} MB`);
  const alt = run('alt');
  console.log('for contrast (one process):');
  console.log(`  Map<string, ids> of every decoded name  ${fmt(alt.mapOfDecodedNamesMs)}`);
  console.log(`  inflating every type eagerly            ${fmt(alt.inflateEveryTypeMs)}`);
}
