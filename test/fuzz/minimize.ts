// Shrinks a failing input while it keeps failing the same way: delta debugging over lines, then
// tokens, then characters, with a budget of attempts so that it always ends.

import { tokenize } from './mutate.ts';

export function minimize(text: string, fails: (t: string) => boolean, budget = 3000): string {
  let attempts = 0;
  const tryIt = (t: string) => attempts++ < budget && t !== text && fails(t);
  const pass = (split: (t: string) => string[]) => {
    let parts = split(text);
    for (let chunk = Math.max(1, Math.floor(parts.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
      for (let i = 0; i + chunk <= parts.length && attempts < budget;) {
        const candidate = [...parts.slice(0, i), ...parts.slice(i + chunk)];
        const t = candidate.join('');
        if (tryIt(t)) {
          text = t;
          parts = candidate;
        } else i += chunk;
      }
    }
  };
  for (let round = 0; round < 3 && attempts < budget; round++) {
    const before = text;
    pass((t) => t.split(/(?<=\n)/));
    pass((t) => tokenize(t).map((k) => t.slice(k.start, k.end)));
    pass((t) => [...t]);
    // Whitespace runs to one space.
    const squeezed = text.replace(/\s+/g, ' ').trim();
    if (tryIt(squeezed)) text = squeezed;
    if (text === before) break;
  }
  return text;
}
