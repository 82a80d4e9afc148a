// Case 2 (whole run) and case 3 (peak RSS): scripts that end by themselves; wall time from fork to exit.

import { BEGIN_EXIT, MAP_100K, MAP_KEYS } from '../corpus.ts';
import { compare, type Context } from '../lib/context.ts';
import type { Runs } from '../lib/pairs.ts';

export interface WholeRow {
  label: string;
  script: string;
  note?: string;
  runs: Runs<{ wallMs: number; rssKb?: number; keys?: number }>;
}

export async function wholeRuns(cx: Context): Promise<WholeRow[]> {
  const rows: WholeRow[] = [];
  const begin = await compare(cx, 'whole run: BEGIN { exit(); }', '`BEGIN { exit(); }`', { text: BEGIN_EXIT }, { timeoutMs: 30_000, noMarker: true },
    (_, r) => (r.wallNs === undefined ? undefined : { wallMs: r.wallNs / 1e6, ...(r.maxRssKb !== undefined ? { rssKb: r.maxRssKb } : {}) }));
  rows.push({ label: '`BEGIN { exit(); }`', script: BEGIN_EXIT, runs: begin });

  // The keys are printed to a file (as `> out.txt` would), and counted afterwards: every run must print all of them.
  let keys = 0;
  const map = await compare(cx, 'whole run: print 100,000 keys', '100,000-key map', { text: MAP_100K, mapKeys: MAP_KEYS },
    {
      timeoutMs: 60_000, noMarker: true, stdout: 'file',
      onStdoutLine: (line) => {
        if (line.startsWith('@m[')) keys++;
      },
    },
    (_, r) => {
      const k = keys;
      keys = 0;
      return r.wallNs === undefined ? undefined : { wallMs: r.wallNs / 1e6, keys: k, ...(r.maxRssKb !== undefined ? { rssKb: r.maxRssKb } : {}) };
    },
    (_, __, v) => (v && v.keys !== MAP_KEYS ? `printed ${v.keys} of ${MAP_KEYS} keys` : undefined));
  rows.push({
    label: 'fill and print a 100,000-key map',
    script: MAP_100K,
    note: `map size: BPFTRACE_MAP_KEYS_MAX=${MAP_KEYS} for both tools`,
    runs: map,
  });
  return rows;
}
