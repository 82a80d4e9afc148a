// Hostile input: traced strings that hold terminal escape sequences or bytes that are not UTF-8 are
// printed escaped (`\xNN`) in text output unless --raw-strings asks for the bytes; -c runs its command
// without a shell; a wildcard that expands past --max-probes (512 by default) is an error, not an
// attach loop.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { formatPrintf } from '../../runtime/format/printf.ts';
import { decodeUtf8Lossless, textToBytes } from '../../runtime/format/strings.ts';
import { CLI, kernelTestsEnabled, runTsbt } from './harness.ts';
import { childBinary, hex } from './reliability-child.ts';

const t = suite('hostile input');
const k = kernelTestsEnabled() ? t : t.skip;

/** Runs the CLI and keeps stdout as bytes. */
function runBytes(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.stdout.on('data', (d: Buffer) => out.push(d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** A comm that clears the screen's colours and holds a byte that is not UTF-8: 10 bytes. */
const EVIL_COMM = Buffer.from([...Buffer.from('ev\x1b[31mil'), 0xff]);
const EVIL_ESCAPED = 'ev\\x1b[31mil\\xff';
const commScript = 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("comm=%s|\\n", comm); @c[comm] = count(); print(comm); }';

const hasControlOrInvalid = (b: Buffer) => b.some((x) => x < 0x20 && x !== 0x0a) || decodeUtf8Lossless(b).includes('\udcff');

k('a traced comm with an escape sequence and invalid UTF-8 is printed escaped: printf %s, print(), map keys', async () => {
  const r = await runBytes(['-c', `${childBinary()} name ${hex(EVIL_COMM)} 2`, '-e', commScript]);
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(hasControlOrInvalid(r.stdout), `raw bytes reached the output: ${JSON.stringify(r.stdout.toString('latin1'))}`);
  const text = r.stdout.toString('utf8');
  assert.is(text.split('\n').filter((l) => l === `comm=${EVIL_ESCAPED}|`).length, 2, text);
  assert.is(text.split('\n').filter((l) => l === EVIL_ESCAPED).length, 2, 'print(comm)');
  assert.ok(text.endsWith(`\n\n@c[${EVIL_ESCAPED}]: 2\n`), text);
});

k('--raw-strings prints the traced bytes as they are', async () => {
  const r = await runBytes(['--raw-strings', '-c', `${childBinary()} name ${hex(EVIL_COMM)} 1`, '-e', commScript]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(Buffer.concat([Buffer.from('comm='), EVIL_COMM, Buffer.from('|\n')])), JSON.stringify(r.stdout.toString('latin1')));
  assert.ok(r.stdout.includes(Buffer.concat([Buffer.from('@c['), EVIL_COMM, Buffer.from(']: 1\n')])));
});

k('str() of user memory (a file name) is escaped too; the script\'s own format text is not', async () => {
  const path = Buffer.from([...Buffer.from('/tmp/tsbt-\x1b]0;pwned\x07'), 0xfe, ...Buffer.from('-x')]);
  const r = await runBytes(['-c', `${childBinary()} open ${hex(path)}`, '-e',
    'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { printf("\\x1b[1mopen\\x1b[0m %s\\n", str(args->filename)); }']);
  assert.is(r.code, 0, r.stderr);
  const text = r.stdout.toString('utf8');
  assert.ok(text.includes('\x1b[1mopen\x1b[0m /tmp/tsbt-\\x1b]0;pwned\\x07\\xfe-x\n'), JSON.stringify(text));
});

t('printf escapes %s arguments after the precision cuts them and before the width pads them', () => {
  const arg = textToBytes(decodeUtf8Lossless(Uint8Array.from([0x61, 0x1b, 0x62, 0xff])));
  assert.is(formatPrintf('[%s]', [arg], { escapeStrings: true }), '[a\\x1bb\\xff]');
  assert.is(formatPrintf('[%.2s]', [arg], { escapeStrings: true }), '[a\\x1b]');
  // The width counts what is printed: the escaped text is 10 characters.
  assert.is(formatPrintf('[%12s]', [arg], { escapeStrings: true }), '[  a\\x1bb\\xff]');
  assert.is(formatPrintf('[%-12s]', [arg], { escapeStrings: true }), '[a\\x1bb\\xff  ]');
  // A string decoded losslessly gives its bytes back: raw output is exact.
  assert.equal([...textToBytes(formatPrintf('%s', [decodeUtf8Lossless(Uint8Array.from([0x1b, 0xff]))], { lossless: true }))], [0x1b, 0xff]);
  // Without options, as before: no escaping.
  assert.is(formatPrintf('%s', ['a\x1bb']), 'a\x1bb');
});

k('-c runs the command without a shell: ; $VAR | ` and * reach it as they are', async () => {
  const r = await runTsbt(['-c', '/bin/echo a;b $HOME |x `id` * \'q w\'', '-e', 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('a;b $HOME |x `id` * q w\n'), r.stdout);
});

k('a wildcard matching more than 512 probes is an error naming it, with the --max-probes hint; nothing attached', async () => {
  const started = Date.now();
  const r = await runTsbt(['-e', 'tracepoint:syscalls:* { @[probe] = count(); }']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /`tracepoint:syscalls:\*` matches \d+ probes, more than the limit of 512/);
  assert.match(r.stderr, /--max-probes \d+/);
  assert.not.match(r.stderr, /Attached/);
  assert.ok(Date.now() - started < 8000);
});

k('--max-probes N and BPFTRACE_MAX_PROBES set the limit, counted over all the script\'s probes', async () => {
  const three = 'tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_getpid { @n = count(); } tracepoint:syscalls:sys_enter_gettid { @n = count(); } BEGIN { exit(); }';
  const over = await runTsbt(['--max-probes', '2', '-d', 'ast', '-e', three]);
  assert.is(over.code, 1);
  assert.match(over.stderr, /the script attaches 3 probes \(.* matches 1\), more than the limit of 2/);
  const env = await runBytes(['-d', 'ast', '-e', three], { ...process.env, BPFTRACE_MAX_PROBES: '2' });
  assert.is(env.code, 1);
  assert.match(env.stderr, /more than the limit of 2/);
  const raised = await runBytes(['--max-probes', '3', '-d', 'ast', '-e', three], { ...process.env, BPFTRACE_MAX_PROBES: '2' });
  assert.is(raised.code, 0, raised.stderr);
  const bad = await runTsbt(['--max-probes', '0', '-e', three]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--max-probes needs a whole number/);
});

t.run();
