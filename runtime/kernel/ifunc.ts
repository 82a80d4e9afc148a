// Where an IFUNC sends its calls on this machine. A uprobe at an IFUNC symbol (glibc's strlen, memcpy,
// strchr...) sits on the resolver, which runs once per process when the symbol is bound, so it does not
// fire per call (bpftrace 0.17 attaches there and counts a handful of hits). The implementation the
// resolver picks depends only on the CPU (and GLIBC_TUNABLES), so tsbt asks its own process: when the
// library is already mapped here (libc always is), dlopen(RTLD_NOLOAD) + dlsym runs the resolver and
// returns the implementation's address, which /proc/self/maps turns back into a file offset. Nothing
// is loaded that was not loaded already, so no library constructor runs.
// dlopen/dlsym go through Sys (runtime/sys/), the one place that calls C.
import { readFileSync, realpathSync } from 'node:fs';
import type { Sys } from '../sys/sys.ts';

interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

/** File-backed mappings of this process, from /proc/self/maps. */
function selfMappings(): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(\/.*)$/.exec(line);
    if (m) out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[3]}`), path: m[4]! });
  }
  return out;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * The file offset (in `path`) of the implementation the IFUNC `name` resolves to in this process, or
 * why it cannot be known (the library is not loaded in tsbt, or the resolver picked code elsewhere).
 */
export function resolveIfunc(sys: Sys, path: string, name: string): { offset: number } | { unresolved: string } {
  const maps = selfMappings().filter((m) => samePath(m.path, path));
  if (maps.length === 0) {
    return { unresolved: `${path} is not loaded in tsbt itself, so its resolver cannot be asked which implementation this CPU gets` };
  }
  let address: bigint | undefined;
  try {
    address = sys.dynamicSymbol(maps[0]!.path, name);
  } catch (err) {
    return { unresolved: `cannot call dlsym: ${(err as Error).message}` };
  }
  if (address === undefined) return { unresolved: `${path} is not loaded here, or dlsym(${name}) found nothing` };
  const m = maps.find((mm) => address >= mm.start && address < mm.end);
  if (!m) return { unresolved: `the resolver of ${name} returned code outside ${path}` };
  return { offset: Number(address - m.start + m.offset) };
}
