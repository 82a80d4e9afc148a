// Settings bpftrace users set in the environment, read as defaults for the compiler. A script's
// `config = { ... }` still wins: it is the more specific choice.

import type { CompileOptions } from '../compiler/context.ts';

interface Setting {
  /** The variable's names, newest bpftrace's first (it renamed them after 0.17). */
  names: string[];
  min: number;
  max: number;
  apply(options: CompileOptions, value: number): void;
}

const SETTINGS: Setting[] = [
  { names: ['BPFTRACE_MAX_STRLEN', 'BPFTRACE_STRLEN'], min: 1, max: 4096, apply: (o, v) => (o.maxStrlen = v) },
  { names: ['BPFTRACE_MAX_MAP_KEYS', 'BPFTRACE_MAP_KEYS_MAX'], min: 1, max: 1 << 24, apply: (o, v) => (o.mapMaxEntries = v) },
];

/** Compile options from the environment, and a warning for each value that is not a usable number. */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): { options: CompileOptions; warnings: string[] } {
  const options: CompileOptions = {};
  const warnings: string[] = [];
  for (const setting of SETTINGS) {
    const name = setting.names.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    const text = env[name]!;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < setting.min || value > setting.max) {
      warnings.push(`${name}=${text} is ignored: it must be a whole number from ${setting.min} to ${setting.max}`);
      continue;
    }
    setting.apply(options, value);
  }
  return { options, warnings };
}
