// The compiler fuzz test (issue 5): 10,000 generated and mutated programs through the whole compiler
// (parse, resolve, typecheck, resources, lowering, register allocation, finalize) against a fixture
// kernel (test/fuzz/kernel.ts: tracepoints, BTF with struct task_struct and struct sock, typed kernel
// functions, a user binary with symbols and USDT probes). The inputs (test/fuzz/inputs.ts) are valid
// programs from a generator that follows the grammar and the type rules, the same with tokens deleted,
// duplicated, swapped and replaced, mutated corpus scripts, random bytes, deep nesting and very long
// inputs. Each must compile or give located errors, with no exception, in bounded time, and what
// compiles must be well-formed eBPF (test/fuzz/check.ts). Inputs run in worker threads with a watchdog
// (test/fuzz/runner.ts), so a hang fails the test instead of stalling it.
//
// Replay or shrink one input:  node --import tsx test/fuzz/run.ts --seed 1 --index N --minimize
// A longer run:                node --import tsx test/fuzz/run.ts --seed 2 --count 100000

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Insn, decode, encode } from '../../compiler/bpf/insn.ts';
import { encodeFunctionBtf } from '../../compiler/bpf/btf.ts';
import { checkInput, checkProgram } from '../fuzz/check.ts';
import { POSITIONAL } from '../fuzz/generate.ts';
import { CORPUS, makeInput } from '../fuzz/inputs.ts';
import { fuzzKernel } from '../fuzz/kernel.ts';
import { type Failure, formatSummary, runFuzz, signature } from '../fuzz/runner.ts';

const SEED = 1;
const COUNT = 10_000;

interface KnownCrash {
  title: string;
  /** The smallest inputs found that show it, one per form. */
  inputs: string[];
  /** Matches the problem the checker reports (check.ts), stack included. */
  problem: RegExp;
  /** Only fuzz inputs like these, when the problem alone is too general (slowness). */
  matching?: RegExp;
  /** Replayed by the test to see that it still fails (false: it takes seconds, or memory, by nature). */
  replay: boolean;
}

/**
 * Compiler bugs the fuzzer found that are not fixed yet. A fuzz input failing only in these ways does
 * not fail the test. Each entry's inputs are replayed (unless `replay: false`): an input that no longer
 * fails is reported, and the test fails when none does, so that the list stays true: remove inputs
 * and entries as their bugs are fixed.
 */
// Empty since register allocation spills a whole round at once (it was quadratic in the spills: 600
// live variables failed with "did not converge" after 7 s; 400 nested `!` took 8 s).
const KNOWN_CRASHES: KnownCrash[] = [];

function knownAs(problem: string, text: string): KnownCrash | undefined {
  return KNOWN_CRASHES.find((k) => k.problem.test(problem) && (!k.matching || k.matching.test(text)));
}

const t = suite('compiler: fuzzed programs compile or give located errors');

t(`${COUNT} generated and mutated programs`, async () => {
  const summary = await runFuzz({ seed: SEED, count: COUNT });
  const known = new Map<KnownCrash, number>();
  const unknown: { failure: Failure; problem: string; text: string }[] = [];
  for (const failure of summary.failures) {
    const text = makeInput(SEED, failure.index).text;
    for (const problem of failure.problems) {
      const k = knownAs(problem, text);
      if (k) known.set(k, (known.get(k) ?? 0) + 1);
      else unknown.push({ failure, problem, text });
    }
  }
  console.log(`\n${formatSummary(summary)}`);
  for (const [k, n] of known) console.log(`  known (KNOWN_CRASHES): ${n} x ${k.title}`);

  // One report per kind of failure, with its shortest input.
  const groups = new Map<string, { n: number; first: (typeof unknown)[number] }>();
  for (const u of unknown) {
    const key = signature(u.problem);
    const g = groups.get(key);
    if (!g) groups.set(key, { n: 1, first: u });
    else {
      g.n++;
      if (u.text.length < g.first.text.length) g.first = u;
    }
  }
  const report = [...groups.values()].slice(0, 10).map(({ n, first: { failure, problem, text } }) => [
    `${n} x ${problem.split('\n').slice(0, 12).join('\n')}`,
    `input #${failure.index} (${failure.kind}; replay: node --import tsx test/fuzz/run.ts --seed ${SEED} --index ${failure.index} --minimize):`,
    text.length > 1500 ? `${text.slice(0, 1500)}\n... (${text.length} characters)` : text,
  ].join('\n'));
  assert.is(unknown.length, 0, `${unknown.length} failures besides KNOWN_CRASHES:\n\n${report.join('\n\n')}`);

  assert.is(summary.inputs, COUNT, 'every input was checked');
  // The generator must stay useful: most of its programs compile, and mutants reach every pass.
  const generated = summary.byKind.generated!;
  assert.ok(generated.compiled > generated.inputs * 0.9, `only ${generated.compiled} of ${generated.inputs} generated programs compiled`);
  assert.ok(summary.byKind.mutated!.compiled > 100, 'some mutated programs still compile');
  assert.ok(summary.compiled > COUNT * 0.3 && summary.diagnosed > COUNT * 0.3, 'both outcomes are well represented');
});

t('KNOWN_CRASHES still fail as listed (remove an entry when its bug is fixed)', () => {
  const kernel = fuzzKernel();
  for (const k of KNOWN_CRASHES.filter((x) => x.replay)) {
    const fixed = k.inputs.filter((input) => !checkInput(input, { kernel, positional: POSITIONAL, slowMs: 60_000 }).problems.some((p) => k.problem.test(p)));
    // Some forms fixed: say so (the list should lose them); all fixed: the entry must go.
    for (const input of fixed) console.log(`  KNOWN_CRASHES: ${JSON.stringify(input)} no longer fails: remove it from "${k.title.slice(0, 60)}..."`);
    assert.ok(fixed.length < k.inputs.length, `fixed? none of the inputs of "${k.title}" fails as listed any more: remove the entry from KNOWN_CRASHES`);
  }
});

t('the checker itself catches malformed programs', () => {
  const ok = [Insn.movImm(0, 0), Insn.exit()];
  const maps = new Set(['tsbt_m']);
  const problems = (insns: Insn[], stack = 0, relocations: { insn: number; map: string }[] = []) =>
    checkProgram(decode(encode(insns)), encode(insns).length / 8, stack, relocations, maps).join('\n');
  assert.is(problems(ok), '');
  assert.match(problems([Insn.jmpImm('jeq', 0, 0, 5), ...ok]), /outside/);
  assert.match(problems([Insn.ja(1), Insn.ldImm64(1, 1n), ...ok]), /middle of an LD_IMM64/);
  assert.match(problems([{ ...Insn.movImm(0, 0), dst: 11 }, Insn.exit()]), /register above r10/);
  assert.match(problems([Insn.movImm(10, 0), Insn.exit()]), /frame pointer/);
  assert.match(problems([Insn.store(8, 10, -520, 1), ...ok]), /outside the 512-byte frame/);
  assert.match(problems([Insn.store(8, 10, 0, 1), ...ok]), /outside the 512-byte frame/);
  assert.match(problems(ok, 1024), /stack size 1024/);
  assert.match(problems([Insn.aluImm('lsh', 0, 64), ...ok]), /shift by the constant 64/);
  assert.match(problems([Insn.aluImm('div', 0, 0), ...ok]), /division by the constant 0/);
  assert.match(problems([Insn.call(9999), ...ok]), /unknown helper/);
  assert.match(problems([Insn.movImm(0, 0)]), /falls off the end/);
  assert.match(problems([Insn.ldMapFd(1), ...ok]), /without a relocation/);
  assert.match(problems([Insn.ldMapFd(1), ...ok], 0, [{ insn: 0, map: 'tsbt_nope' }]), /unknown map/);
  assert.match(problems(ok, 0, [{ insn: 1, map: 'tsbt_m' }]), /not an LD_IMM64/);
  // Subprograms: main at 0 (slots 0-3), a callback at 4.
  const btf = encodeFunctionBtf([{ name: 'tsbt_main', params: ['ctx'], linkage: 'global' }, { name: 'tsbt_for1', params: ['map', 'key', 'value', 'ctx'], linkage: 'static' }]);
  const functions = (linkages = btf) => ({
    btf: Buffer.from(linkages.bytes).toString('base64'),
    funcInfo: [{ insn: 0, typeId: linkages.funcTypeIds[0]!, name: 'tsbt_main', stackSize: 0 }, { insn: 4, typeId: linkages.funcTypeIds[1]!, name: 'tsbt_for1', stackSize: 0 }],
  });
  const withFunctions = (insns: Insn[], f = functions()) => checkProgram(decode(encode(insns)), encode(insns).length / 8, 0, [], maps, f).join('\n');
  assert.is(withFunctions([Insn.ldFunc(2, 3), ...ok, ...ok]), '');
  assert.match(withFunctions([Insn.ldFunc(2, 2), ...ok, Insn.movImm(0, 0), ...ok]), /no subprogram's start/);
  assert.match(withFunctions([Insn.ja(3), Insn.movImm(0, 0), Insn.exit(), Insn.movImm(0, 0), Insn.exit()]), /jumps out of its function/);
  assert.match(withFunctions([Insn.ldFunc(2, 3), ...ok, Insn.movImm(0, 0)]), /falls off the end/);
  const global = encodeFunctionBtf([{ name: 'tsbt_main', params: ['ctx'], linkage: 'global' }, { name: 'tsbt_for1', params: ['map', 'key', 'value', 'ctx'], linkage: 'global' }]);
  assert.match(withFunctions([Insn.ldFunc(2, 3), ...ok, ...ok], functions(global)), /wants static/);
});

t('the corpus scripts, which the corpus inputs mutate, compile against the fuzz kernel', () => {
  const kernel = fuzzKernel();
  for (const text of CORPUS) {
    const outcome = checkInput(text, { kernel, positional: POSITIONAL });
    assert.is(outcome.kind, 'compiled', `${outcome.firstError ?? outcome.problems[0]}\n${text}`);
  }
});

t.run();
