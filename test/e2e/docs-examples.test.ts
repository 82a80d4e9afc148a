// Every example script in docs/examples/ must stay true: each compiles (`tsbt -d artifact FILE`), and
// each whose probes exist on this host is loaded through the kernel's verifier (`tsbt --dry-run FILE`).
// Scripts with fentry/fexit probes are compile-only here: this host refuses BPF trampolines by policy
// (they run in the second kernel, `npm run test:kernels`). kprobe programs are verified too: the
// program type exists here (uprobes use it); only attaching to a kernel function does not.
// The code blocks of docs/tutorial.md that name an example are checked against the file itself, its
// `tsbt -d asm` excerpts (marked `<!-- asm: FILE -->`) against what the compiler emits now, and
// docs/examples/12-api.ts (the programmatic API) is run for real. Compiling needs tracefs and BTF,
// so everything that runs tsbt runs as root only, like the other kernel tests.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI, kernelTestsEnabled } from './harness.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examplesDir = `${root}docs/examples/`;
const scripts = readdirSync(examplesDir).filter((f) => f.endsWith('.bt')).sort();

interface Artifact {
  programs: { probe: string; type: string; attach: { kind: string } }[];
}

function tsbt(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Why a compiled script cannot be loaded on this host, or undefined when it can. */
function compileOnly(artifact: Artifact): string | undefined {
  const tracing = artifact.programs.find((p) => p.attach.kind === 'tracing');
  if (tracing) return `${tracing.probe} needs BPF trampolines, which this host refuses`;
  return undefined;
}

const t = suite('docs/examples');
const k = kernelTestsEnabled() ? t : t.skip;

t('there are examples, one per scenario at least', () => {
  assert.ok(scripts.length >= 12, scripts.join(', '));
  for (const n of ['01', '02', '03', '04', '05', '06', '07', '08', '09']) {
    assert.ok(scripts.some((s) => s.startsWith(`${n}-`)), `no docs/examples/${n}-*.bt`);
  }
  assert.ok(scripts.includes('listen-tracepoint.bt'), 'scenario 11');
});

const artifacts = new Map<string, Artifact>();

for (const script of scripts) {
  k(`${script} compiles (tsbt -d artifact)`, () => {
    const r = tsbt(['-d', 'artifact', `${examplesDir}${script}`]);
    assert.is(r.status, 0, `tsbt -d artifact ${script} failed:\n${r.stderr}`);
    assert.not.match(r.stderr, /warning/, `${script} compiles with warnings:\n${r.stderr}`);
    const artifact = JSON.parse(r.stdout) as Artifact;
    assert.ok(artifact.programs.length > 0);
    artifacts.set(script, artifact);
  });

  k(`${script} passes the kernel's verifier (tsbt --dry-run), where its probes exist here`, () => {
    const artifact = artifacts.get(script);
    assert.ok(artifact, 'did not compile');
    const why = compileOnly(artifact);
    // Compile-only here: the test above compiled it.
    if (why) return;
    const r = tsbt(['--dry-run', `${examplesDir}${script}`]);
    assert.is(r.status, 0, `tsbt --dry-run ${script} failed:\n${r.stderr}`);
    for (const p of artifact.programs) assert.match(r.stderr, `${p.probe}: verified`);
  });
}

t('the tutorial shows each example it names as the file is now', () => {
  const tutorial = readFileSync(`${root}docs/tutorial.md`, 'utf8');
  // A block right after a line naming docs/examples/X (as a link) must be the file, minus its comments.
  const re = /\[`?(?:docs\/)?examples\/([\w.-]+\.(?:bt|ts))`?\]\([^)]*\):?\n+```[a-z]*\n([\s\S]*?)```/g;
  let shown = 0;
  for (let m = re.exec(tutorial); m; m = re.exec(tutorial)) {
    const file = `${examplesDir}${m[1]}`;
    assert.ok(existsSync(file), `docs/tutorial.md shows ${m[1]}, which does not exist`);
    const body = (text: string) => text.split('\n').filter((l) => !/^\s*\/\//.test(l) && l.trim() !== '').join('\n');
    assert.is(body(m[2]!), body(readFileSync(file, 'utf8')), `docs/tutorial.md shows an old ${m[1]}`);
    shown++;
  }
  assert.ok(shown >= 10, `only ${shown} examples shown in full`);
  for (const script of scripts) assert.ok(tutorial.includes(script), `docs/tutorial.md does not mention ${script}`);
});

k('the tutorial\'s `tsbt -d asm` excerpts are what the compiler emits now', () => {
  const tutorial = readFileSync(`${root}docs/tutorial.md`, 'utf8');
  const re = /<!-- asm: ([\w.-]+) -->\n```[a-z]*\n([\s\S]*?)```/g;
  let checked = 0;
  for (let m = re.exec(tutorial); m; m = re.exec(tutorial)) {
    const r = tsbt(['-d', 'asm', `${examplesDir}${m[1]}`]);
    assert.is(r.status, 0, r.stderr);
    const emitted = r.stdout.split('\n');
    // Every excerpt line, in order; `...` lines stand for lines left out.
    let at = 0;
    for (const line of m[2]!.split('\n')) {
      if (line.trim() === '' || line.trim().startsWith('...')) continue;
      const found = emitted.indexOf(line, at);
      assert.ok(found >= 0,
        `docs/tutorial.md's asm excerpt of ${m[1]} has a line tsbt -d asm no longer emits (in this order):\n  ${line}\n` +
        `refresh the excerpt (and the slot numbers its explanation cites) from: tsbt -d asm docs/examples/${m[1]}`);
      at = found + 1;
    }
    checked++;
  }
  assert.ok(checked >= 8, `only ${checked} asm excerpts`);
});

k('12-api.ts, the programmatic API, runs: events as objects, maps as values', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${examplesDir}12-api.ts`], { encoding: 'utf8', cwd: root, timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^attached 2 probes$/m);
  assert.match(r.stdout, /^event 1: "sync\(\) by sync \(pid \d+\)\\n" \[ 'sync', \d+n \]$/m);
  // Other processes on the machine may call sync or run dd meanwhile: at least ours are counted.
  assert.ok(Number(/^@syncs\[sync\] = (\d+)$/m.exec(r.stdout)?.[1]) >= 2, r.stdout);
  assert.ok(Number(/^\[4K, 8K\)\s+(\d+) \|@*\s*\|$/m.exec(r.stdout)?.[1]) >= 16, r.stdout);
  assert.match(r.stdout, /^lost events: 0$/m);
});

t.run();
