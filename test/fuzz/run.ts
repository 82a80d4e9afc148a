// The compiler fuzzer from the command line, for longer runs and for replaying one input:
//   node --import tsx test/fuzz/run.ts [--seed N] [--count N] [--from N] [--workers N]
//   node --import tsx test/fuzz/run.ts --seed N --index I [--minimize]   # print (and shrink) one input
// Failures are grouped by their first line; each group shows its shortest input (minimized with
// --minimize, which replays in this process: use it for exceptions, not hangs).

import { checkInput } from './check.ts';
import { POSITIONAL } from './generate.ts';
import { type InputOptions, makeInput } from './inputs.ts';
import { fuzzKernel } from './kernel.ts';
import { minimize } from './minimize.ts';
import { formatSummary, runFuzz, signature } from './runner.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const seed = Number(arg('seed') ?? 1);
const shrink = process.argv.includes('--minimize');
const kernels = { btf: fuzzKernel(), none: fuzzKernel({ types: false }) };
const check = (text: string, o: InputOptions) => checkInput(text, {
  kernel: o.btf === false ? kernels.none : kernels.btf, positional: POSITIONAL, targetPid: o.targetPid, childPid: o.childPid,
});

function show(text: string, problem: string, o: InputOptions): void {
  let t = text;
  if (Object.keys(o).length > 0) console.log(`# compiled with ${JSON.stringify(o)}`);
  if (shrink) {
    const sig = signature(problem);
    t = minimize(text, (x) => check(x, o).problems.some((p) => signature(p) === sig));
  }
  console.log(t.length > 3000 ? `${t.slice(0, 3000)}\n... (${t.length} characters)` : t);
  if (shrink) {
    const again = check(t, o);
    console.log(`--- ${again.problems[0] ?? 'no longer fails'}`);
  }
}

const index = arg('index');
if (index !== undefined) {
  const input = makeInput(seed, Number(index));
  const outcome = check(input.text, input.options);
  console.log(`# seed ${seed} index ${index} (${input.kind}): ${outcome.kind} in ${outcome.ms.toFixed(1)} ms${outcome.firstError ? `, first error: ${outcome.firstError}` : ''}`);
  for (const p of outcome.problems) console.log(p);
  show(input.text, outcome.problems[0] ?? '', input.options);
} else {
  const summary = await runFuzz({
    seed,
    count: Number(arg('count') ?? 10_000),
    from: Number(arg('from') ?? 0),
    ...(arg('workers') ? { workers: Number(arg('workers')) } : {}),
  });
  console.log(formatSummary(summary));
  const groups = new Map<string, { n: number; index: number; text: string; problem: string; options: InputOptions }>();
  for (const f of summary.failures) {
    for (const p of f.problems) {
      const key = signature(p);
      const { text, options } = makeInput(seed, f.index);
      const g = groups.get(key);
      if (!g) groups.set(key, { n: 1, index: f.index, text, problem: p, options });
      else {
        g.n++;
        if (text.length < g.text.length) Object.assign(g, { index: f.index, text, problem: p, options });
      }
    }
  }
  for (const [key, g] of groups) {
    console.log(`\n### ${g.n} x ${key}\n# shortest: --seed ${seed} --index ${g.index}\n${g.problem.split('\n').slice(0, 8).join('\n')}`);
    if (!/no result after|worker (died|exited)/.test(key)) show(g.text, g.problem, g.options);
  }
}
