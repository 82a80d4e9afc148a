// Kernel symbols (runtime/kernel/symbols/kallsyms.ts): parsing a kallsyms fixture, bcc's resolution
// rules (data symbols, user-space range, aliases, no size limit), kaddr's file-order lookup, hidden
// addresses; then the live /proc/kallsyms (vfs_read resolves back to vfs_read+0), and the std::sort
// copy that picks aliases checked against libstdc++'s own std::sort, compiled here with g++.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelSymbols } from '../../runtime/kernel/symbols/kallsyms.ts';
import { stdPartialSortAll, stdSort } from '../../runtime/kernel/symbols/stdsort.ts';
import { renderSymbol } from '../../runtime/format/stack.ts';

const FIXTURE = [
  'ffffffff81000000 T _stext',
  'ffffffff81000000 T _text',
  'ffffffff81000100 t early_helper',
  'ffffffff81000200 T vfs_read',
  'ffffffff81000300 W weak_fn',
  'ffffffff81000300 T strong_fn',
  'ffffffff81000400 D some_data',
  'ffffffff81000400 d static_data',
  'ffffffff81000500 R rodata_sym',
  'ffffffff81000600 b bss_sym',
  'ffffffff81000700 T last_core',
  '0000000000000000 A fixed_percpu_data',
  '0000000000001000 A per_cpu_thing',
  'ffffffffffffffff T max_marker',
  'ffffffffc0001000 t ext4_fill_super\t[ext4]',
  'ffffffffc0001200 T vfs_read\t[shadow]',
  'ffffffffc0002000 t bpf_prog_6deef7357e7b4530_hello\t[bpf]',
  '',
].join('\n');

const t = suite('symbols: /proc/kallsyms');

t('parses lines, modules and types', () => {
  const k = KernelSymbols.fromText(FIXTURE);
  assert.is(k.size, 17);
  assert.not.ok(k.hidden);
  assert.is(k.warning, undefined);
  const entries = [...k.entries()];
  assert.equal(entries[0], { name: '_stext', address: 0xffffffff81000000n, type: 'T' });
  assert.equal(entries[14], { name: 'ext4_fill_super', address: 0xffffffffc0001000n, type: 't', module: 'ext4' });
  assert.is(entries[16]!.module, 'bpf');
});

t('resolves to the symbol at or below, with the offset and module', () => {
  const k = KernelSymbols.fromText(FIXTURE);
  assert.equal(k.resolve(0xffffffff81000200n), { name: 'vfs_read', offset: 0n });
  assert.equal(k.resolve(0xffffffff81000210n), { name: 'vfs_read', offset: 16n });
  assert.equal(k.resolve(0xffffffffc0001004n), { name: 'ext4_fill_super', offset: 4n, module: 'ext4' });
  assert.equal(k.resolve(0xffffffffc0002010n), { name: 'bpf_prog_6deef7357e7b4530_hello', offset: 16n, module: 'bpf' });
  // No size limit: far past the last symbol still resolves (bcc's KSyms has no sizes).
  assert.equal(k.resolve(0xffffffffc0102000n), { name: 'bpf_prog_6deef7357e7b4530_hello', offset: 0x100000n, module: 'bpf' });
  // Below the first symbol, and user-space addresses (below 0x00ffffffffffffff on x86-64): nothing.
  assert.is(k.resolve(0xffffffff80ffffffn), undefined);
  assert.is(k.resolve(0x1000n), undefined);
  assert.is(k.resolve(0n), undefined);
});

t('data symbols (b B d D r R) are not used for resolution', () => {
  const k = KernelSymbols.fromText(FIXTURE);
  assert.equal(k.resolve(0xffffffff81000400n), { name: 'strong_fn', offset: 0x100n });
  assert.equal(k.resolve(0xffffffff81000650n), { name: 'strong_fn', offset: 0x350n });
  assert.equal(k.resolve(0xffffffff81000700n), { name: 'last_core', offset: 0n });
});

t('aliases: the last after std::sort (for few symbols, the last in file order)', () => {
  const k = KernelSymbols.fromText(FIXTURE);
  assert.equal(k.resolve(0xffffffff81000000n), { name: '_text', offset: 0n });
  assert.equal(k.resolve(0xffffffff81000304n), { name: 'strong_fn', offset: 4n });
  assert.equal(k.aliases(0xffffffff81000000n), ['_stext', '_text']);
});

t('address(): first in file order, any type; modules only when asked or when the core has none', () => {
  const k = KernelSymbols.fromText(FIXTURE);
  assert.is(k.address('vfs_read'), 0xffffffff81000200n);
  assert.is(k.address('some_data'), 0xffffffff81000400n);
  assert.is(k.address('ext4_fill_super'), 0xffffffffc0001000n);
  assert.is(k.address('vfs_read', 'shadow'), 0xffffffffc0001200n);
  assert.is(k.address('vfs_read', 'vmlinux'), 0xffffffff81000200n);
  assert.is(k.address('ext4_fill_super', 'vmlinux'), undefined);
  assert.is(k.address('fixed_percpu_data'), undefined, 'address 0 is no address');
  assert.is(k.address('nope'), undefined);
});

t('hidden addresses (kptr_restrict): nothing resolves, and the warning says why', () => {
  const hidden = FIXTURE.replace(/^[0-9a-f]{16}/gm, '0000000000000000');
  const k = KernelSymbols.fromText(hidden);
  assert.ok(k.hidden);
  assert.match(k.warning ?? '', /every address as 0/);
  assert.is(k.resolve(0xffffffff81000200n), undefined);
  assert.is(k.address('vfs_read'), undefined);
  assert.is(renderSymbol(0xffffffff81000200n, (a) => k.resolve(a), false), '0xffffffff81000200');
  const empty = KernelSymbols.fromText('');
  assert.match(empty.warning ?? '', /empty or unreadable/);
});

t('a missing file is an empty table, not an exception', () => {
  const k = new KernelSymbols({ path: '/nonexistent/kallsyms' });
  assert.is(k.size, 0);
  assert.is(k.resolve(0xffffffff81000000n), undefined);
});

const live = suite('symbols: the live /proc/kallsyms');

live('vfs_read resolves back to vfs_read+0, and +5', (ctx) => {
  const k = new KernelSymbols();
  if (k.size === 0 || k.hidden) {
    console.log(`    skipped: ${k.warning}`);
    return;
  }
  const addr = k.address('vfs_read');
  assert.ok(addr, 'vfs_read is in kallsyms');
  assert.equal(k.resolve(addr!), { name: 'vfs_read', offset: 0n });
  assert.equal(k.resolve(addr! + 5n), { name: 'vfs_read', offset: 5n });
  assert.is(renderSymbol(addr! + 5n, (a) => k.resolve(a), true), 'vfs_read+5');
  // The file's own text agrees on the address.
  const line = readFileSync('/proc/kallsyms', 'latin1').split('\n').find((l) => / vfs_read$/.test(l));
  assert.is(BigInt('0x' + line!.split(' ')[0]), addr);
  console.log(`    /proc/kallsyms: ${k.size} lines, read ${k.readMs.toFixed(1)} ms, parsed and sorted ${k.parseMs.toFixed(1)} ms`);
  void ctx;
});

live('every text symbol of the live file resolves to itself or an alias at the same address', () => {
  const k = new KernelSymbols();
  if (k.size === 0 || k.hidden) return;
  let checked = 0;
  for (const e of k.entries()) {
    if (!/^[tTwW]$/.test(e.type) || e.address === 0n) continue;
    const r = k.resolve(e.address);
    assert.ok(r, e.name);
    assert.is(r!.offset, 0n, e.name);
    if (r!.name !== e.name) assert.ok(k.aliases(e.address).includes(e.name), `${e.name} is an alias of ${r!.name}`);
    checked++;
  }
  assert.ok(checked > 1000);
});

const sort = suite('symbols: std::sort copy against libstdc++');
let dir = '';
let sorter = '';

sort.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbt-stdsort-'));
  const src = join(dir, 'sort.cc');
  // Sorts (key, id) pairs by key alone, as bcc sorts symbols, and prints the ids in the result order.
  writeFileSync(
    src,
    `#include <algorithm>
#include <cstdio>
#include <vector>
struct E { long long key; int id; bool operator<(const E &o) const { return key < o.key; } };
int main(int argc, char **argv) {
  int n; std::vector<E> v;
  while (scanf("%d", &n) == 1) {
    v.resize(n);
    for (int i = 0; i < n; i++) { scanf("%lld", &v[i].key); v[i].id = i; }
    if (argc > 1) std::partial_sort(v.begin(), v.end(), v.end()); else std::sort(v.begin(), v.end());
    for (int i = 0; i < n; i++) printf("%d%c", v[i].id, i + 1 < n ? ' ' : '\\n');
    if (n == 0) printf("\\n");
  }
}
`,
  );
  const out = join(dir, 'sort');
  const r = spawnSync('g++', ['-O2', '-o', out, src], { encoding: 'utf8' });
  if (r.status === 0) sorter = out;
  else console.log('    g++ unavailable: skipping the libstdc++ comparison');
});

sort.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function inputs(): number[][] {
  let seed = 12345;
  const rnd = (m: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  const cases: number[][] = [[], [1], [2, 1], Array(40).fill(7)];
  for (const n of [5, 16, 17, 33, 100, 1000, 5000]) {
    cases.push(Array.from({ length: n }, () => rnd(Math.max(2, n >> 3)))); // many ties
    cases.push(Array.from({ length: n }, (_, i) => i - (i % 3))); // sorted with runs of aliases
    cases.push(Array.from({ length: n }, (_, i) => n - i - (i % 2))); // reversed
    cases.push(Array.from({ length: n }, (_, i) => Math.min(i, n - i) >> 1)); // organ pipe
    // mostly sorted with a few out of place, like kallsyms (modules and bpf after the core)
    cases.push(Array.from({ length: n }, (_, i) => (i % 97 === 0 ? rnd(n) : i >> 1)));
  }
  return cases;
}

function check(heap: boolean): void {
  if (!sorter) return;
  const cases = inputs();
  const stdin = cases.map((c) => `${c.length}\n${c.join(' ')}\n`).join('');
  const lines = execFileSync(sorter, heap ? ['heap'] : [], { input: stdin, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
  cases.forEach((c, i) => {
    const ids = Int32Array.from(c, (_, j) => j);
    const key = Float64Array.from(c);
    if (heap) stdPartialSortAll(ids, key);
    else stdSort(ids, key);
    assert.is([...ids].join(' '), lines[i], `case ${i} (n=${c.length})`);
  });
}

sort('stdSort moves equal keys exactly as std::sort does', () => check(false));
sort('the heapsort fallback matches std::partial_sort', () => check(true));

t.run();
live.run();
sort.run();
