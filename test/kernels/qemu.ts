// Boots a cached kernel under qemu and runs one shell command in it: the guest sees the host's / (read
// only, with a writable overlay), the command runs as root in `cwd`, and its stdout, stderr and exit
// status come back through a writable 9p share (the results directory).
//
// /dev/kvm on this host is a paravirtual KVM that only runs kernels built for it (a stock kernel crawls
// under it without any error), so the guest runs under TCG: 10-40x slower than the host.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CachedKernel } from './fetch.ts';
import { buildInitramfs } from './initramfs.ts';

export interface GuestOptions {
  /** Virtual CPUs (TSBT_KERNEL_SMP, default 2: the host has 2 cores that other work shares). */
  smp?: number;
  /** Guest memory in MiB (TSBT_KERNEL_MEM, default 2048). */
  memMiB?: number;
  /** Kill the guest after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Directory the command runs in (default: the current directory). */
  cwd?: string;
  env?: Record<string, string>;
  /** Host directory for the results share; a new one under the temporary directory by default. */
  resultsDir?: string;
  /** Every line the guest prints on its serial console (kernel messages, init's errors). */
  onConsoleLine?: (line: string) => void;
}

export interface GuestResult {
  /** The command's exit status; null when it did not finish (boot failure, guest crash, timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Everything the guest wrote on its serial console. */
  console: string;
  timedOut: boolean;
  /** Host time from starting qemu to the command starting in the guest. */
  bootToCommandMs?: number;
  /** Host time the command ran for. */
  commandMs?: number;
  /** Guest uptime (s) when the command started. */
  guestUptimeAtCommand?: number;
  totalMs: number;
  resultsDir: string;
  /** The qemu command line, for reproducing by hand. */
  qemuArgs: string[];
}

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function qemuArgs(kernel: CachedKernel, initrd: string, resultsDir: string, smp: number, memMiB: number): string[] {
  return [
    '-nodefaults', '-no-user-config', '-no-reboot',
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', String(smp), '-m', String(memMiB),
    '-M', 'pc',
    '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
    '-kernel', kernel.image, '-initrd', initrd,
    '-append', [
      'console=ttyS0', 'quiet', 'loglevel=4', 'panic=-1', 'oops=panic',
      // Under TCG every cycle counts: no speculation mitigations, no boot-time self tests.
      'mitigations=off', 'random.trust_cpu=on', 'tsc=reliable', 'no_timer_check', '8250.nr_uarts=1',
    ].join(' '),
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${resultsDir},mount_tag=results,security_model=none`,
  ];
}

/** Boots `kernel`, runs `command` (a shell script's text) in it, and powers the guest off. */
export async function runInGuest(kernel: CachedKernel, command: string, options: GuestOptions = {}): Promise<GuestResult> {
  const smp = options.smp ?? Number(process.env.TSBT_KERNEL_SMP ?? 2);
  const memMiB = options.memMiB ?? Number(process.env.TSBT_KERNEL_MEM ?? 2048);
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const resultsDir = options.resultsDir ?? mkdtempSync(join(tmpdir(), 'tsbt-guest-'));
  mkdirSync(resultsDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'tsbt-initramfs-'));
  const initrd = join(workDir, 'initramfs.cpio');
  buildInitramfs(kernel, { resultsDir, cwd: options.cwd ?? process.cwd(), env: options.env ?? {} }, workDir, initrd);
  writeFileSync(join(resultsDir, 'command.sh'), command.endsWith('\n') ? command : command + '\n');

  const args = qemuArgs(kernel, initrd, resultsDir, smp, memMiB);
  const started = Date.now();
  let commandStarted: number | undefined;
  let commandEnded: number | undefined;
  let consoleText = '';
  let timedOut = false;

  await new Promise<void>((resolve, reject) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onData = (d: Buffer) => {
      const text = d.toString('utf8').replace(/\r/g, '');
      consoleText += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.includes('TSBT-GUEST-COMMAND-START')) commandStarted = Date.now();
        if (line.includes('TSBT-GUEST-COMMAND-END')) commandEnded = Date.now();
        options.onConsoleLine?.(line);
      }
    };
    qemu.stdout.on('data', onData);
    qemu.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, timeoutMs);
    qemu.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start qemu-system-x86_64 (apt-get install qemu-system-x86): ${e.message}`));
    });
    qemu.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });

  rmSync(workDir, { recursive: true, force: true });
  const status = readIf(join(resultsDir, 'status'));
  const uptime = readIf(join(resultsDir, 'uptime-start'));
  return {
    status: status === undefined ? null : Number(status.trim()),
    stdout: readIf(join(resultsDir, 'stdout')) ?? '',
    stderr: readIf(join(resultsDir, 'stderr')) ?? '',
    console: consoleText,
    timedOut,
    bootToCommandMs: commandStarted === undefined ? undefined : commandStarted - started,
    commandMs: commandStarted === undefined || commandEnded === undefined ? undefined : commandEnded - commandStarted,
    guestUptimeAtCommand: uptime === undefined ? undefined : Number(uptime.trim()),
    totalMs: Date.now() - started,
    resultsDir,
    qemuArgs: ['qemu-system-x86_64', ...args],
  };
}
