// What the grammar knows about probe specifications: which words start one (the lexer needs this to
// decide whether a `>` closes a block, see docs/language.md) and how a spec splits into parts.
// Resolving aliases (`t` → tracepoint) and validating parts is the compiler's job.

/** Probe types and their aliases. A `>` followed by one of these and `:` closes a block. */
const PROBE_TYPE_WORDS = new Set([
  'tracepoint', 't', 'kprobe', 'k', 'kretprobe', 'kr', 'uprobe', 'u', 'uretprobe', 'ur', 'usdt', 'U',
  'profile', 'p', 'interval', 'i', 'software', 's', 'hardware', 'h', 'rawtracepoint', 'rt',
  'fentry', 'f', 'kfunc', 'fexit', 'fr', 'kretfunc', 'watchpoint', 'w', 'asyncwatchpoint', 'iter',
  'BEGIN', 'END', 'begin', 'end',
]);

/** Probes written as a bare word, with no `:`. */
const BARE_PROBES = new Set(['BEGIN', 'END', 'begin', 'end']);

export function isProbeTypeWord(word: string): boolean {
  return PROBE_TYPE_WORDS.has(word);
}

export function isBareProbe(word: string): boolean {
  return BARE_PROBES.has(word);
}

/** `uprobe:/bin/bash:readline` → provider `uprobe`, parts [`/bin/bash`, `readline`]; `BEGIN` → `BEGIN`, []. */
export function splitProbeSpec(text: string): { provider: string; parts: string[] } {
  const colon = text.indexOf(':');
  if (colon < 0) return { provider: text, parts: [] };
  return { provider: text.slice(0, colon), parts: text.slice(colon + 1).split(':') };
}
