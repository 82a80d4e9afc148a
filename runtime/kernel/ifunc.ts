// Where an IFUNC sends its calls on this machine. A uprobe at an IFUNC symbol (glibc's strlen, memcpy,
// strchr...) sits on the resolver, which runs once per process when the symbol is bound, so it does not
// fire per call (bpftrace 0.17 attaches there and counts a handful of hits). The implementation the
// resolver picks depends only on the CPU (and GLIBC_TUNABLES), so tsbt asks its own process: when the
// library is already mapped here (libc always is), dlopen(RTLD_NOLOAD) + dlsym runs the resolver and
// returns the implementation's address, which /proc/self/maps turns back into a file offset. Nothing
// is loaded that was not loaded already, so no library constructor runs.
//
// The second place besides runtime/sys/koffi-sys.ts that calls C through koffi: dlopen/dlsym are not
// system calls and are needed only at compile time, for IFUNC symbols.
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';

const RTLD_LAZY = 0x1;
const RTLD_NOLOAD = 0x4;

interface Dl {
  koffi: typeof koffiModule;
  dlopen: (file: string, mode: number) => unknown;
  dlsym: (handle: unknown, name: string) => unknown;
}

let dl: Dl | undefined;

function loadDl(): Dl {
  if (dl) return dl;
  const koffi = createRequire(import.meta.url)('koffi') as typeof koffiModule;
  const lib = koffi.load('libc.so.6');
  dl = {
    koffi,
    dlopen: lib.func('void *dlopen(const char *file, int mode)'),
    dlsym: lib.func('void *dlsym(void *handle, const char *name)'),
  };
  return dl;
}

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

function asAddress(koffi: typeof koffiModule, p: unknown): bigint {
  if (p === null || p === undefined) return 0n;
  if (typeof p === 'bigint') return p;
  if (typeof p === 'number') return BigInt(p);
  return koffi.address(p as never);
}

/**
 * The file offset (in `path`) of the implementation the IFUNC `name` resolves to in this process, or
 * why it cannot be known (the library is not loaded in tsbt, or the resolver picked code elsewhere).
 */
export function resolveIfunc(path: string, name: string): { offset: number } | { unresolved: string } {
  const maps = selfMappings().filter((m) => samePath(m.path, path));
  if (maps.length === 0) {
    return { unresolved: `${path} is not loaded in tsbt itself, so its resolver cannot be asked which implementation this CPU gets` };
  }
  let address: bigint;
  try {
    const d = loadDl();
    const handle = d.dlopen(maps[0]!.path, RTLD_LAZY | RTLD_NOLOAD);
    if (asAddress(d.koffi, handle) === 0n) return { unresolved: `dlopen(${path}, RTLD_NOLOAD) failed` };
    address = asAddress(d.koffi, d.dlsym(handle, name));
  } catch (err) {
    return { unresolved: `cannot call dlsym: ${(err as Error).message}` };
  }
  if (address === 0n) return { unresolved: `dlsym(${name}) found nothing` };
  const m = maps.find((mm) => address >= mm.start && address < mm.end);
  if (!m) return { unresolved: `the resolver of ${name} returned code outside ${path}` };
  return { offset: Number(address - m.start + m.offset) };
}
