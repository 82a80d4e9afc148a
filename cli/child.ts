// -c CMD: the traced command is started before the script is compiled (so `cpid` is known), held
// stopped until every probe is attached, then let go; tsbt ends when it exits. The command line is split
// like a shell would split words, but no shell interprets it: a stopped `sh` only execs it verbatim.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Split a command line into words: spaces separate, quotes group, backslash escapes. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in the command`);
  if (inWord) words.push(word);
  return words;
}

export interface HeldChild {
  pid: number;
  /** Let the command run. */
  release(): void;
  /** Resolves with the exit code when the command ends. */
  exited: Promise<number>;
  kill(): void;
}

export async function startHeld(words: string[]): Promise<HeldChild> {
  if (words.length === 0) throw new Error('-c needs a command');
  // `kill -STOP $$` stops the wrapper before exec, so the pid we hand to the compiler is the command's.
  const child: ChildProcess = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'tsbt-cmd', ...words], { stdio: 'inherit' });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${words[0]}`);
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  await waitStopped(pid);
  return {
    pid,
    release: () => process.kill(pid, 'SIGCONT'),
    exited,
    kill: () => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } },
  };
}

/** Wait until /proc says the process is stopped (state T). */
async function waitStopped(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) T /.test(stat)) return;
    } catch {
      throw new Error('the command exited before it could be traced');
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('the command did not start');
}
