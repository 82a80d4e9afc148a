// Runs the built CLI (dist/tsbt.mjs, what users run) as a child process, for end-to-end tests against
// the real kernel.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/tsbt.mjs', import.meta.url));

/** Kernel tests run as root; with TSBT_REQUIRE_KERNEL=1 (CI) not being root is a failure, not a skip. */
export function kernelTestsEnabled(): boolean {
  const root = process.getuid?.() === 0;
  if (!root && process.env.TSBT_REQUIRE_KERNEL === '1') throw new Error('TSBT_REQUIRE_KERNEL=1 but not running as root');
  return root;
}

export interface TsbtRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /**
   * Called once `Attached N probes` is on stderr (with -f json: the attached_probes record is on
   * stdout); its promise may generate load, then the test decides.
   */
  onAttached?: (child: { kill(signal: NodeJS.Signals): void }) => Promise<void> | void;
  timeoutMs?: number;
}

export function runTsbt(args: string[], options: RunOptions = {}): Promise<TsbtRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let attached = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tsbt ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    const seen = () => {
      if (attached || !(/Attached \d+ probes?/.test(stderr) || /^\{"type": "attached_probes"/m.test(stdout))) return;
      attached = true;
      Promise.resolve(options.onAttached?.({ kill: (s) => child.kill(s) })).catch(reject);
    };
    child.stdout.on('data', (d) => {
      stdout += d;
      seen();
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      seen();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
