// Runs every test/**/*.test.ts file with uvu in one process, then prints the closing line CI reads:
// `N passed, N failed`. An optional argument filters files by substring: `npm test -- parser`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2];

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts') && (!filter || relative(root, path).includes(filter))) out.push(path);
  }
  return out;
}

(globalThis as any).UVU_DEFER = 1;
const uvu = await import('uvu');
const files = findTests(root);
let index = 0;
for (const file of files) {
  (globalThis as any).UVU_INDEX = index++;
  (globalThis as any).UVU_QUEUE.push([relative(root, file)]);
  await import(pathToFileURL(file).href);
}

// uvu prints its own totals; keep a copy of what it writes so the closing line can repeat them.
let written = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: any, ...rest: any[]) => {
  written += String(chunk);
  return (write as any)(chunk, ...rest);
}) as typeof process.stdout.write;
await uvu.exec(false);
process.stdout.write = write;
const plain = written.replace(/\x1b\[[0-9;]*m/g, '');
const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
// uvu's Total counts the tests that ran; skipped ones are not in it.
const failed = total - passed;
if (files.length === 0 || total === 0) process.exitCode = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (failed > 0) process.exitCode = 1;
