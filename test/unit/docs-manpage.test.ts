// The man page (tsbt.1) and `tsbt --help` (cli/args.ts) must agree: every option yargs is told about
// is described in the man page's OPTIONS section, under all its names, and the man page describes no
// option the CLI does not have. The --emit choices are each described too.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const argsSource = readFileSync(`${root}cli/args.ts`, 'utf8');
const man = readFileSync(`${root}tsbt.1`, 'utf8');

/** Options as cli/args.ts declares them: each `.option('name', { alias: ... })`, as `-x` / `--name`. */
function cliOptions(): { names: string[]; choices: string[] }[] {
  const out: { names: string[]; choices: string[] }[] = [];
  const re = /\.option\(\s*'([^']+)'\s*,\s*\{([\s\S]*?)\}\s*\)/g;
  for (let m = re.exec(argsSource); m; m = re.exec(argsSource)) {
    const flag = (n: string) => (n.length === 1 ? `-${n}` : `--${n}`);
    const aliases = [...(/alias:\s*'([^']+)'/.exec(m[2]!)?.slice(1) ?? []), ...(/alias:\s*\[([^\]]*)\]/.exec(m[2]!)?.[1]?.match(/'[^']+'/g)?.map((s) => s.slice(1, -1)) ?? [])];
    const choices = /choices:\s*\[([^\]]*)\]/.exec(m[2]!)?.[1]?.match(/'[^']+'/g)?.map((s) => s.slice(1, -1)) ?? [];
    out.push({ names: [flag(m[1]!), ...aliases.map(flag)], choices });
  }
  // yargs' own --help and --version, with their short aliases (`.alias('h', 'help')`).
  const short = (long: string) => /\.alias\(\s*'(\w)'\s*,\s*'(\w+)'\s*\)/g;
  const aliasesOf = (long: string) => [...argsSource.matchAll(short(long))].filter((m) => m[2] === long).map((m) => `-${m[1]}`);
  if (/\.help\(\)/.test(argsSource)) out.push({ names: ['--help', ...aliasesOf('help')], choices: [] });
  if (/\.version\((?!\s*false)/.test(argsSource)) out.push({ names: ['--version', ...aliasesOf('version')], choices: [] });
  return out;
}

/** roff to plain text, enough for option names: `\-` is `-`, font changes vanish. */
function plain(roff: string): string {
  return roff.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\e/g, '\\');
}

/** The section's lines, from `.SH NAME` to the next `.SH`. */
function section(name: string): string[] {
  const lines = man.split('\n');
  const start = lines.findIndex((l) => l === `.SH ${name}`);
  assert.ok(start >= 0, `the man page has a ${name} section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('.SH '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The option names in the tag lines (the line after each `.TP`) of OPTIONS, outside the nested .RS lists. */
function manOptions(): Set<string> {
  const lines = section('OPTIONS');
  const names = new Set<string>();
  let nested = 0;
  lines.forEach((l, i) => {
    if (l === '.RS') nested++;
    if (l === '.RE') nested--;
    if (l !== '.TP' || nested > 0) return;
    const tag = plain(lines[i + 1] ?? '').replace(/^\.\w+\s*/, '').replace(/"/g, ' ');
    for (const m of tag.matchAll(/(?:^|[\s,])(--?[a-zA-Z][a-z-]*)/g)) names.add(m[1]!);
  });
  return names;
}

const t = suite('man page tsbt.1 and tsbt --help');

t('cli/args.ts declares the options this test reads', () => {
  const names = cliOptions().flatMap((o) => o.names);
  for (const n of ['-e', '-l', '-q', '--quiet', '-v', '--emit', '-d', '--dry-run', '--help']) assert.ok(names.includes(n), n);
});

t('every option of cli/args.ts is described in the man page, under every name', () => {
  const documented = manOptions();
  for (const o of cliOptions()) {
    for (const n of o.names) assert.ok(documented.has(n), `${n} is missing from the OPTIONS section of tsbt.1`);
  }
});

t('the man page describes no option the CLI does not have', () => {
  const known = new Set(cliOptions().flatMap((o) => o.names));
  for (const n of manOptions()) assert.ok(known.has(n), `tsbt.1 describes ${n}, which cli/args.ts does not declare`);
});

t('every choice of an option is described', () => {
  const text = plain(section('OPTIONS').join('\n'));
  for (const o of cliOptions()) {
    for (const c of o.choices) assert.match(text, new RegExp(`^\\.B ${c}$`, 'm'), `${o.names.join('/')} ${c}`);
  }
});

t('the synopsis and the examples use only options the CLI has', () => {
  const known = new Set(cliOptions().flatMap((o) => o.names));
  const used = [...section('SYNOPSIS'), ...section('EXAMPLES')]
    .filter((l) => !l.startsWith('.TP') && (l.startsWith('.B ') || l.startsWith('\\fB')))
    .flatMap((l) => [...plain(l).replace(/'[^']*'/g, '').matchAll(/(?:^|\s)(--?[a-z][a-z-]*)/g)].map((m) => m[1]!));
  assert.ok(used.length > 0);
  // -lv is -l and -v together.
  for (const u of used) {
    const flags = /^-[a-z]{2,}$/.test(u) ? [...u.slice(1)].map((c) => `-${c}`) : [u];
    for (const f of flags) assert.ok(known.has(f), `${u} in tsbt.1`);
  }
});

t.run();
