// `config = { ... }` settings and `let @m = lruhash(N);` declarations: script-level choices that
// override compile options and map defaults.

import type { MapDecl, Program } from '../../grammar/ast.ts';
import { error } from '../../grammar/diagnostics.ts';
import type { MapType } from '../../runtime/artifact.ts';
import type { CompileContext } from '../context.ts';
import { didYouMean } from '../suggest.ts';
import { constantValue } from './constants.ts';

const SETTINGS: Record<string, { min: number; max: number; apply(cx: CompileContext, v: number): void }> = {
  max_strlen: { min: 1, max: 4096, apply: (cx, v) => (cx.options.maxStrlen = v) },
  max_map_keys: { min: 1, max: 1 << 24, apply: (cx, v) => (cx.options.mapMaxEntries = v) },
  print_maps_on_exit: { min: 0, max: 1, apply: (cx, v) => (cx.options.printMapsOnExit = v !== 0) },
};

/**
 * A config name as bpftrace accepts it: `max_strlen`, its environment form `BPFTRACE_MAX_STRLEN`, or
 * 0.17's environment names (`BPFTRACE_STRLEN`, `BPFTRACE_MAP_KEYS_MAX`).
 */
export function settingName(key: string): string {
  const name = /^BPFTRACE_/.test(key) ? key.slice('BPFTRACE_'.length).toLowerCase() : key;
  return ({ strlen: 'max_strlen', map_keys_max: 'max_map_keys' } as Record<string, string>)[name] ?? name;
}

/** Whether `name` (as settingName gives it) is a setting, and the values it takes. */
export function settingRange(name: string): { min: number; max: number } | undefined {
  const rule = SETTINGS[name];
  return rule && { min: rule.min, max: rule.max };
}

export function applyConfig(program: Program, cx: CompileContext): void {
  for (const setting of program.config) {
    const rule = SETTINGS[settingName(setting.key)];
    if (!rule) {
      cx.diagnostics.push(error(`unknown setting \`${setting.key}\``, setting.span,
        didYouMean(setting.key, Object.keys(SETTINGS)) ?? `settings: ${Object.keys(SETTINGS).join(', ')}`));
      continue;
    }
    const v = constantValue(setting.value, cx.options.positional, () => ({ kind: 'void' }));
    if (v === undefined || v < BigInt(rule.min) || v > BigInt(rule.max)) {
      cx.diagnostics.push(error(`\`${setting.key}\` must be a constant from ${rule.min} to ${rule.max}`, setting.value.span));
      continue;
    }
    rule.apply(cx, Number(v));
  }
  // The environment wins over the script, as in bpftrace.
  for (const [name, value] of Object.entries(cx.options.settings ?? {})) {
    const rule = SETTINGS[name];
    if (rule && value >= rule.min && value <= rule.max) rule.apply(cx, value);
  }
}

export interface DeclaredMap {
  decl: MapDecl;
  /** Kernel map type for plain values; aggregations use the per-CPU twin. */
  type: MapType;
  perCpuType: MapType;
  maxEntries: number;
}

const KINDS: Record<string, { type: MapType; perCpuType: MapType; perCpuOnly?: boolean }> = {
  hash: { type: 'hash', perCpuType: 'percpu_hash' },
  lruhash: { type: 'lru_hash', perCpuType: 'lru_percpu_hash' },
  percpuhash: { type: 'percpu_hash', perCpuType: 'percpu_hash', perCpuOnly: true },
  percpulruhash: { type: 'lru_percpu_hash', perCpuType: 'lru_percpu_hash', perCpuOnly: true },
};

export function declaredMaps(program: Program, cx: CompileContext): Map<string, DeclaredMap> {
  const out = new Map<string, DeclaredMap>();
  for (const decl of program.mapDecls) {
    const kind = KINDS[decl.mapKind];
    if (!kind) {
      cx.diagnostics.push(error(`unknown map kind \`${decl.mapKind}\``, decl.span, didYouMean(decl.mapKind, Object.keys(KINDS)) ?? `kinds: ${Object.keys(KINDS).join(', ')}`));
      continue;
    }
    const [size] = decl.args;
    const n = size ? constantValue(size, cx.options.positional, () => ({ kind: 'void' })) : BigInt(cx.options.mapMaxEntries);
    if (decl.args.length > 1 || n === undefined || n < 1n || n > BigInt(1 << 24)) {
      cx.diagnostics.push(error(`\`${decl.mapKind}()\` takes one constant size from 1 to ${1 << 24}`, decl.span));
      continue;
    }
    if (out.has(decl.name)) {
      cx.diagnostics.push(error(`\`${decl.name}\` is declared twice`, decl.span));
      continue;
    }
    out.set(decl.name, { decl, type: kind.type, perCpuType: kind.perCpuType, maxEntries: Number(n) });
  }
  return out;
}
