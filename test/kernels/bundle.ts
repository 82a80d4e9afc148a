// Bundles the guest harness and every batch file (test/kernels/batch/*.ts) into one ES module that the
// guest's node runs as is: no tsx, no module resolution, which matter when node runs 10-40x slower.
// Adding a kind of test (fentry, fexit, ...) is adding one file to batch/: its name is the group name.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The batch files' groups, in the order they run. */
export function batchGroups(): string[] {
  return readdirSync(join(here, 'batch')).filter((f) => f.endsWith('.ts')).sort().map((f) => f.replace(/\.ts$/, ''));
}

/**
 * Writes the bundle to `out`. Run as `node out` it runs the batch (results in $TSBT_RESULTS); with
 * `--list` it prints the plan (group and name of every test) as JSON and runs nothing.
 */
export async function bundleBatch(out: string): Promise<string[]> {
  const groups = batchGroups();
  // Dynamic imports run each file's top level (its test() calls) after setGroup has named its group.
  const entry = [
    `import { runBatch, setGroup } from './guest/harness.ts';`,
    ...groups.map((g) => `setGroup(${JSON.stringify(g)}); await import(${JSON.stringify(`./batch/${g}.ts`)});`),
    'await runBatch(process.argv.includes("--list"));',
  ].join('\n');
  await build({
    stdin: { contents: entry, resolveDir: here, loader: 'ts', sourcefile: 'guest-entry.ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'warning',
  });
  return groups;
}
