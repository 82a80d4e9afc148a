// A git commit exported apart from the working tree and built there, so that edits in progress do not
// end up in the numbers of a commit (npm run bench --ref, bench/startup.ts --ref).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Export REF into ROOT/.cache/bench/tree-SHA with git archive and build it there (once per commit). */
export function prepareRef(root: string, ref: string, log: (line: string) => void): { dir: string; sha: string } {
  let sha: string;
  try {
    sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error(`no such git commit: ${ref}`);
  }
  const dir = join(root, '.cache', 'bench', `tree-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git -C "$0" archive "$1" | tar -x -C "$2"`, root, sha, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // A commit does not change: build it once.
  if (!existsSync(join(dir, 'dist', 'tsbt.mjs'))) {
    log(`bench: building tsbt ${sha.slice(0, 12)} in ${dir}`);
    try {
      execFileSync(process.execPath, ['build.mjs'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
    } catch {
      throw new Error(`node build.mjs failed for ${ref}`);
    }
  }
  return { dir, sha };
}
