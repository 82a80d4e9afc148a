import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { explainRuntimeError, failingInstruction } from '../../cli/explain.ts';
import { SourceFile } from '../../grammar/source.ts';
import { VerifierError } from '../../runtime/programs.ts';
import type { Artifact } from '../../runtime/artifact.ts';

const t = suite('runtime errors in plain words');

const log = [
  '0: R1=ctx() R10=fp0',
  '0: (b7) r2 = 0',
  '1: (79) r1 = *(u64 *)(r0 +0)',
  "R0 invalid mem access 'map_value_or_null'",
  'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
].join('\n');

t('the failing instruction is the last one the verifier printed', () => {
  assert.is(failingInstruction(log), 1);
});

t('a verifier rejection names the cause in words and points at the script line', () => {
  const source = new SourceFile('-e', 'BEGIN {\n  @x = @y[1];\n}');
  const artifact = {
    programs: [{ name: 'tsbt_BEGIN', sourceSpans: [null, [10, 20]] }],
  } as unknown as Artifact;
  const text = explainRuntimeError(new VerifierError('tsbt_BEGIN', 'BEGIN', 13, log), { verbose: false, source, artifact });
  assert.match(text, /verifier rejected BEGIN \(EACCES\): a map value was used without checking that the key exists/);
  assert.match(text, /-e:2:3: error: the verifier stopped at instruction 1, from here\n2 \|   @x = @y\[1\];\n  \|   \^{10}/);
  assert.match(text, /R0 invalid mem access/);
});

t('loops over maps on a kernel without bpf_for_each_map_elem, and a callback the verifier cannot finish', () => {
  const old = explainRuntimeError(new VerifierError('tsbt_BEGIN', 'BEGIN', 22, '40: (85) call unknown#164\nunknown func bpf_for_each_map_elem#164\n'), false);
  assert.match(old, /cannot run `for \(\$kv : @map\)` or `len\(@map\)`: they need Linux 5\.13/);
  const complex = explainRuntimeError(new VerifierError('tsbt_BEGIN', 'BEGIN', 7, '69: (15) if r0 == 0x0 goto pc+7\nThe sequence of 8193 jumps is too complex.\n'), false);
  assert.match(complex, /too many paths for the verifier/);
});

t('EPERM as root for fentry is a policy refusal with an alternative', () => {
  if (process.geteuid?.() !== 0) return;
  const text = explainRuntimeError(new VerifierError('tsbt_x', 'fentry:vfs_read', 1, ''), false);
  assert.match(text, /security policy on this host forbids this program type/);
  assert.match(text, /kprobe\/kretprobe/);
});

t.run();
