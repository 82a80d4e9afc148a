// bpftrace's configuration in the environment: BPFTRACE_<SETTING> (BPFTRACE_MAX_STRLEN), and 0.17's
// older names (BPFTRACE_STRLEN, BPFTRACE_MAP_KEYS_MAX). As in bpftrace, they win over the script's
// `config = { ... }` block (the config pass applies them last).

import { settingName, settingRange } from '../compiler/passes/config.ts';

/** Settings by config name from the environment, and a warning for each value that is not usable. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): { settings: Record<string, number>; warnings: string[] } {
  const settings: Record<string, number> = {};
  const warnings: string[] = [];
  // Newest names first: they win over 0.17's when both are set.
  const names = Object.keys(env).filter((k) => k.startsWith('BPFTRACE_') && env[k] !== '').sort((a, b) => legacy(a) - legacy(b));
  for (const variable of names) {
    const name = settingName(variable);
    const range = settingRange(name);
    if (!range || name in settings) continue;
    const text = env[variable]!;
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || value < range.min || value > range.max) {
      warnings.push(`${variable}=${text} is ignored: it must be a whole number from ${range.min} to ${range.max}`);
      continue;
    }
    settings[name] = value;
  }
  return { settings, warnings };
}

/** 0.17's names (BPFTRACE_STRLEN) are the ones settingName() renames; they sort after the newest. */
function legacy(variable: string): number {
  return settingName(variable) === variable.slice('BPFTRACE_'.length).toLowerCase() ? 0 : 1;
}
