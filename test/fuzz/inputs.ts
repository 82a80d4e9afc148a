// The fuzz inputs, each a pure function of (seed, index), so that any failure replays alone and the
// inputs can be split between workers. The mix (out of every 100 indexes):
//   30 valid generated programs                      (generate.ts)
//   40 generated programs with 1-4 mutations          (mutate.ts)
//   12 corpus programs with 1-4 mutations             (corpus/*.bt)
//    8 random bytes, printable noise, token soup
//    7 deep nesting: blocks, parentheses, unary and cast chains, ternaries, field chains, near and past the limits
//    3 very long inputs: many probes, statements, maps, variables, keys, printf arguments, huge literals, unrolls

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProgram } from './generate.ts';
import { VOCABULARY, mutate } from './mutate.ts';
import { Random } from './random.ts';

export type InputKind = 'generated' | 'mutated' | 'corpus' | 'noise' | 'deep' | 'long';

/** How the input is compiled: `-p`, `-c` and a kernel without BTF, now and then. */
export interface InputOptions {
  targetPid?: number;
  childPid?: number;
  /** false: the fixture kernel has no BTF (every `struct` and fentry probe is then an error). */
  btf?: boolean;
}

export interface FuzzInput {
  index: number;
  kind: InputKind;
  text: string;
  options: InputOptions;
}

const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));
export const CORPUS: string[] = readdirSync(corpusDir).filter((f) => f.endsWith('.bt')).sort().map((f) => readFileSync(join(corpusDir, f), 'utf8'));

const KINDS: [number, InputKind][] = [[30, 'generated'], [40, 'mutated'], [12, 'corpus'], [8, 'noise'], [7, 'deep'], [3, 'long']];

function kindAt(index: number): InputKind {
  // A fixed interleaving of the mix, so that any run of 100 consecutive indexes has it exactly.
  let slot = (index * 37) % 100;
  for (const [n, kind] of KINDS) {
    if (slot < n) return kind;
    slot -= n;
  }
  return 'generated';
}

/** The seed of one input: independent of every other index. */
function inputRandom(seed: number, index: number): Random {
  return new Random((Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b)) >>> 0);
}

export function makeInput(seed: number, index: number): FuzzInput {
  const r = inputRandom(seed, index);
  const kind = kindAt(index);
  const options: InputOptions = {};
  if (kind === 'generated' || kind === 'mutated' || kind === 'corpus') {
    if (r.chance(0.15)) options.targetPid = r.pick([1, 4242]);
    if (r.chance(0.3)) options.childPid = 31337;
    if (r.chance(0.05)) options.btf = false;
  }
  const gen = { cpid: options.childPid !== undefined };
  let text: string;
  switch (kind) {
    case 'generated':
      text = generateProgram(r, gen);
      break;
    case 'mutated':
      text = mutate(generateProgram(r, gen), r, r.weighted([[5, 1], [3, 2], [1, 3], [1, 4]] as const), generateProgram(r, gen));
      break;
    case 'corpus':
      text = mutate(r.pick(CORPUS), r, r.weighted([[5, 1], [3, 2], [1, 3], [1, 4]] as const), r.pick(CORPUS));
      break;
    case 'noise':
      text = noise(r);
      break;
    case 'deep':
      text = deep(r);
      break;
    case 'long':
      text = long(r);
      break;
  }
  return { index, kind, text, options };
}

// ------------------------------------------------------------------------------------------ noise

function noise(r: Random): string {
  const n = r.range(0, r.chance(0.1) ? 4000 : 400);
  switch (r.int(5)) {
    case 0: // any byte, as Latin-1
      return Array.from({ length: n }, () => String.fromCharCode(r.int(256))).join('');
    case 1: // printable ASCII and newlines
      return Array.from({ length: n }, () => (r.chance(0.05) ? '\n' : String.fromCharCode(r.range(32, 126)))).join('');
    case 2: // any UTF-16 code unit, lone surrogates included
      return Array.from({ length: n }, () => String.fromCharCode(r.int(0x10000))).join('');
    case 3: { // a soup of language tokens
      const all = Object.values(VOCABULARY).flat();
      return Array.from({ length: Math.ceil(n / 4) }, () => r.pick(all)).join(r.pick([' ', '', '\n']));
    }
    default: { // a probe header and a block of token soup: gets past the top level more often
      const all = [...VOCABULARY.word, ...VOCABULARY.op, ...VOCABULARY.punct, ...VOCABULARY.number, ...VOCABULARY.map, ...VOCABULARY.var, ...VOCABULARY.string];
      const body = Array.from({ length: Math.ceil(n / 6) }, () => r.pick(all)).join(' ');
      return `${r.pick(VOCABULARY.spec)} { ${body} }`;
    }
  }
}

// ------------------------------------------------------------------------------------------- deep

/**
 * Deep nesting. Bracketed constructs (blocks, parentheses, brackets) go from shallow to far past the
 * parser's limit of 64 levels, which it refuses cheaply. Unbracketed chains (unary operators, casts,
 * ternaries, binary operators, `->` chains) stay shallow enough to compile fast, or go deep enough
 * (thousands) that a recursive pass would overflow the stack: the sizes in between only measure how
 * the compiler scales (see KNOWN_CRASHES in the test for where it does not).
 */
function deep(r: Random): string {
  const bracketed = r.weighted([[3, r.range(1, 60)], [3, r.range(60, 70)], [2, r.range(70, 300)], [1, r.range(300, 3000)]] as const);
  const chain = r.weighted([[6, r.range(1, 40)], [1, r.range(40, 64)], [1, r.range(2500, 5000)]] as const);
  const [open, close] = r.chance(0.5) ? ['{', '}'] : ['<', '>'];
  const probe = (body: string) => `${r.pick(['BEGIN', 'kprobe:vfs_read', 'tracepoint:syscalls:sys_exit_read', 'i:s:1'])} ${open} ${body} ${close}`;
  switch (r.int(17)) {
    case 0: return probe(`${`if (pid > 1) ${open} `.repeat(bracketed)}@x = 1; ${`${close} `.repeat(bracketed)}`);
    case 1: return probe(`$x = ${'('.repeat(bracketed)}1${')'.repeat(bracketed)}; @x = $x;`);
    case 2: return probe(`@x = ${'!'.repeat(chain)}pid;`);
    case 3: return probe(`@x = ${'- '.repeat(chain)}pid;`);
    case 4: return probe(`@x = ${'~'.repeat(chain)}1;`);
    case 5: return probe(`@x = ${'(uint32)'.repeat(chain)}pid;`);
    case 6: return probe(`@x = ${'pid ? 1 : '.repeat(chain)}0;`);
    case 7: return probe(`@x = ${Array.from({ length: chain }, () => r.pick(['pid', '1', 'nsecs', '$1'])).join(` ${r.pick(['+', '*', '&&', '|', '<<', '-', '==', '/'])} `)};`);
    case 8: return probe(`$t = ${'('.repeat(bracketed)}1${',)'.repeat(bracketed)}; print($t);`);
    case 9: return probe(`$p = (struct task_struct *)curtask; @x = $p${'->parent'.repeat(chain)}->pid;`);
    case 10: return probe(`@a = 1; @x = ${'@a['.repeat(bracketed)}1${']'.repeat(bracketed)};`);
    case 11: return probe(`$i = 0; ${`while ($i < 3) ${open} $i++; `.repeat(bracketed)}${`${close} `.repeat(bracketed)}`);
    // Unrolls multiply: up to 2^8 copies compile (and take a while), more must be refused.
    case 12: {
      const n = bracketed <= 8 || bracketed > 10 ? bracketed : 8;
      return probe(`${`unroll (2) ${open} `.repeat(n)}@u += 1; ${`${close} `.repeat(n)}`);
    }
    // Each loop keeps registers alive: past ~20 the register allocator spills, slowly (see KNOWN_CRASHES).
    case 13: {
      const n = bracketed <= 70 ? Math.min(bracketed, 20) : bracketed;
      return probe(`${`for ($i : 0..2) ${open} `.repeat(n)}@f[$i] = 1; ${`${close} `.repeat(n)}`);
    }
    case 14: return probe(`$t = (1, (2, (3, (4, "x")))); print($t${'.1'.repeat(chain)});`);
    case 15: return probe(`@x = ${'(uint8)('.repeat(bracketed)}pid${')'.repeat(bracketed)};`);
    default: return probe(`${`${open} `.repeat(bracketed)}@x = 1; ${`${close} `.repeat(bracketed)}`);
  }
}

// ------------------------------------------------------------------------------------------- long

/**
 * Very long inputs, sized so that each compiles in well under a second on a loaded machine: what
 * grows is the count of things the compiler handles one by one (probes, statements, maps, branches,
 * map declarations, characters of names, literals and comments), and what must be refused gets far
 * past its limit (strings, tuples, keys and variables past the 512-byte stack).
 */
function long(r: Random): string {
  const n = r.weighted([[4, r.range(100, 500)], [2, r.range(500, 2000)], [1, r.range(2000, 5000)]] as const);
  switch (r.int(16)) {
    case 0: // many probes
      return Array.from({ length: Math.min(n, 150) }, (_, i) => `${r.pick(['kprobe:vfs_read', 'BEGIN', 'i:s:1', 'tracepoint:syscalls:sys_exit_read'])} { @m${i % 50}[pid] = count(); }`).join('\n');
    case 1: // many statements in one probe
      return `BEGIN { ${Array.from({ length: Math.min(n, 500) }, (_, i) => `@x[${i}] = ${i};`).join(' ')} }`;
    case 2: // many maps
      return `BEGIN { ${Array.from({ length: Math.min(n, 500) }, (_, i) => `@map_${i} = ${i};`).join(' ')} }`;
    case 3: // many integer variables alive together: register pressure (more is one of KNOWN_CRASHES)
      return `BEGIN { ${Array.from({ length: Math.min(n, 30) }, (_, i) => `$v${i} = nsecs + ${i};`).join(' ')} @s = ${Array.from({ length: Math.min(n, 30) }, (_, i) => `$v${i}`).join(' + ')}; }`;
    case 4: // many string variables: past the stack
      return `BEGIN { ${Array.from({ length: Math.min(n, 300) }, (_, i) => `$s${i} = comm;`).join(' ')} printf("%s\\n", $s0); }`;
    case 5: // a very long string literal
      return `BEGIN { @s = "${'x'.repeat(n * 4)}"; printf("${'y'.repeat(n)}%s\\n", @s); }`;
    case 6: // a long printf
      return `BEGIN { printf("${'%d '.repeat(Math.min(n, 300))}\\n"${', pid'.repeat(Math.min(n, 300))}); }`;
    case 7: // many keys
      return `BEGIN { @k[${Array.from({ length: Math.min(n, 300) }, (_, i) => (i % 3 === 0 ? 'comm' : String(i))).join(', ')}] = 1; }`;
    case 8: // a big tuple
      return `BEGIN { $t = (${Array.from({ length: Math.min(n, 500) }, (_, i) => (i % 2 ? `"${i}"` : String(i))).join(', ')}); print($t); @t = $t; }`;
    case 9: // unrolls that multiply: up to 250 copies, or past the limit
      return `BEGIN { unroll (${r.pick([10, 20, 50])}) { unroll (${r.pick([2, 5, 200])}) { @x += 1; $y = nsecs; if ($y > 5) { @z[$y] = count(); } } } }`;
    case 10: // long names
      return `BEGIN { @${'m'.repeat(n)} = 1; $${'v'.repeat(n)} = 2; } kprobe:${'f'.repeat(n)} { @${'m'.repeat(n)}++; }`;
    case 11: // whitespace and comments
      return `${'// comment\n'.repeat(n)}BEGIN {${' '.repeat(n * 10)}/*${'*'.repeat(n * 10)}*/ @x = 1; }`;
    case 12: // long constant expressions
      return `BEGIN { unroll (${Array.from({ length: Math.min(n, 300) }, () => '1').join(' * ')}) { @x = 1; } @y = ${Array.from({ length: Math.min(n, 300) }, (_, i) => i).join(' + ')}; }`;
    case 13: // many map declarations and a config block with many settings
      return `${Array.from({ length: Math.min(n, 1000) }, (_, i) => `let @d${i} = hash(${i + 1});`).join('\n')}\nconfig = { ${'max_strlen = 8; '.repeat(Math.min(n, 1000))}}\nBEGIN { @d0 = 1; }`;
    case 14: // many branches
      return `kprobe:vfs_read { ${Array.from({ length: Math.min(n, 200) }, (_, i) => `if (arg0 == ${i}) { @b[${i}] = count(); } else `).join('')}{ @b[0] = count(); } }`;
    default: { // a long generated program: the probes of several generated programs
      const programs = Array.from({ length: Math.min(Math.ceil(n / 100), 30) }, () => generateProgram(r));
      // Preambles must come first: keep each program's lines up to its first probe there.
      const preamble = programs.flatMap((p) => p.split('\n').filter((l) => /^(config|let @|struct |#)/.test(l)));
      const probes = programs.map((p) => p.split('\n').filter((l) => !/^(config|let @|struct |#)/.test(l)).join('\n'));
      return [...new Set(preamble)].join('\n') + '\n' + probes.join('\n');
    }
  }
}
