// Finding the file behind a uprobe/USDT target, the way bpftrace and bcc do for `uprobe:TARGET:fn`:
//   - a path (anything with a `/`) is taken as is, relative to the working directory, symlinks
//     resolved (with a pid, an absolute path is first looked up inside /proc/PID/root);
//   - a bare name is, in order: a library the process maps (with a pid), an ELF executable on $PATH
//     (`bash`), a library in /etc/ld.so.cache whose soname is the name or starts with `name.so`
//     or `libname.so` (`libc`, `c`, `libc.so.6`, like bcc's which_so), then the same in the standard
//     library directories. A name that looks like a library (`lib...` or containing `.so`) is looked
//     for among libraries before $PATH.
// The result is always an absolute path with symlinks resolved.
import { accessSync, constants, openSync, readFileSync, readSync, closeSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join, resolve as resolvePath } from 'node:path';
import { LD_SO_CACHE, ldCacheFlagsForArch, readLdSoCache, type LdCacheEntry } from './ld-cache.ts';

export interface ResolveOptions {
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
  /** The search path for executables (default $PATH). */
  path?: string;
  /** The ld.so cache to read (default /etc/ld.so.cache); null to skip it. */
  ldSoCache?: string | null;
  /** Library directories searched after the cache (default: the multiarch and standard ones). */
  libDirs?: string[];
  /** A process whose mappings and mount namespace (/proc/PID/root) come first. */
  pid?: number;
  /** Entry flags accepted from the cache (default: this machine's, e.g. 0x303 on x86-64). */
  cacheFlags?: number[];
}

export class BinaryNotFoundError extends Error {
  constructor(readonly target: string, readonly tried: string[]) {
    super(`cannot find '${target}': tried ${tried.join('; ')}`);
    this.name = 'BinaryNotFoundError';
  }
}

const MULTIARCH: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  ia32: 'i386-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  s390x: 's390x-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
};

export function defaultLibDirs(arch: string = process.arch): string[] {
  const triplet = MULTIARCH[arch];
  const multi = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`, `/usr/local/lib/${triplet}`] : [];
  const lib64 = arch === 'x64' || arch === 'arm64' || arch === 'ppc64' || arch === 's390x' || arch === 'riscv64' ? ['/lib64', '/usr/lib64'] : [];
  return [...multi, ...lib64, '/lib', '/usr/lib', '/usr/local/lib'];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function hasElfMagic(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isExecutableElf(path: string): boolean {
  if (!isFile(path)) return false;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return false;
  }
  return hasElfMagic(path);
}

/** Looks like a library name rather than a program name: `libfoo`, `libfoo.so.1`, `foo.so`. */
export function looksLikeLibrary(name: string): boolean {
  return name.startsWith('lib') || /\.so(\.|$)/.test(name);
}

/**
 * How well a file name (a soname or a directory entry) answers for a library name: 0 exact, 1
 * `name` + `.so...` (or `name.so` + `.N`), 2 and 3 the same with `lib` put in front; undefined for
 * no match. `libc` matches `libc.so.6` but not `libcap.so.2`.
 */
export function libraryNameRank(fileName: string, name: string): number | undefined {
  const bases = name.startsWith('lib') ? [name] : [name, `lib${name}`];
  for (let i = 0; i < bases.length; i++) {
    const b = bases[i]!;
    if (fileName === b) return 2 * i;
    if (!fileName.startsWith(b)) continue;
    const rest = fileName.slice(b.length);
    const ok = /\.so(\.|$)/.test(b) ? rest.startsWith('.') : /^\.so(\.|$)/.test(rest);
    if (ok) return 2 * i + 1;
  }
  return undefined;
}

/** An executable ELF file called `name` in the search path. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableElf(candidate)) return candidate;
  }
  return undefined;
}

/** The library in the ld.so cache that answers for `name` (best rank, then cache order). */
export function findLibraryInCache(name: string, entries: LdCacheEntry[], flags = ldCacheFlagsForArch()): string | undefined {
  let best: { rank: number; path: string } | undefined;
  for (const e of entries) {
    if (flags.length > 0 && !flags.includes(e.flags)) continue;
    const rank = libraryNameRank(e.name, name);
    if (rank === undefined || (best && best.rank <= rank)) continue;
    if (isFile(e.path)) best = { rank, path: e.path };
  }
  return best?.path;
}

/** A file in the library directories that answers for `name` (exact names first). */
export function findLibraryInDirs(name: string, dirs: string[] = defaultLibDirs()): string | undefined {
  let best: { rank: number; path: string } | undefined;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const rank = libraryNameRank(n, name);
      if (rank === undefined || (best && best.rank <= rank)) continue;
      const p = join(dir, n);
      if (isFile(p) && hasElfMagic(p)) best = { rank, path: p };
    }
  }
  return best?.path;
}

/** A library mapped by the process (from /proc/PID/maps), as a path inside /proc/PID/root. */
export function findLibraryInProcess(name: string, pid: number): string | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  let best: { rank: number; path: string } | undefined;
  for (const line of maps.split('\n')) {
    // start-end perms offset dev inode path (the path may contain spaces)
    const m = /^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(\/.*)$/.exec(line);
    if (!m) continue;
    const path = m[1]!.replace(/ \(deleted\)$/, '');
    const rank = libraryNameRank(basename(path), name);
    if (rank === undefined || (best && best.rank <= rank)) continue;
    best = { rank, path: `/proc/${pid}/root${path}` };
  }
  return best?.path;
}

function realFile(path: string, target: string, tried: string[]): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    tried.push(`${path} (${(err as NodeJS.ErrnoException).code ?? 'not found'})`);
    throw new BinaryNotFoundError(target, tried);
  }
  if (!statSync(real).isFile()) {
    tried.push(`${path} (not a regular file)`);
    throw new BinaryNotFoundError(target, tried);
  }
  return real;
}

/**
 * The absolute, symlink-free path of a uprobe/USDT target given as a path or a bare name (see the
 * top of this file). Throws BinaryNotFoundError listing what was tried.
 */
export function resolveBinary(nameOrPath: string, options: ResolveOptions = {}): string {
  const target = nameOrPath;
  const tried: string[] = [];
  if (target === '') throw new BinaryNotFoundError(target, ['an empty name']);
  if (target.includes('/')) {
    if (options.pid !== undefined && target.startsWith('/')) {
      const inNs = `/proc/${options.pid}/root${target}`;
      if (isFile(inNs)) return realFile(inNs, target, tried);
      tried.push(`${inNs} (not found)`);
    }
    return realFile(resolvePath(options.cwd ?? process.cwd(), target), target, tried);
  }

  const fromProcess = () => {
    if (options.pid === undefined) return undefined;
    const p = findLibraryInProcess(target, options.pid);
    if (!p) tried.push(`the mappings of pid ${options.pid}`);
    return p;
  };
  const fromPath = () => {
    const p = findExecutable(target, options.path ?? process.env.PATH ?? '');
    if (!p) tried.push('$PATH');
    return p;
  };
  const fromCache = () => {
    const cachePath = options.ldSoCache === undefined ? LD_SO_CACHE : options.ldSoCache;
    if (cachePath === null) return undefined;
    let entries: LdCacheEntry[];
    try {
      entries = readLdSoCache(cachePath);
    } catch (err) {
      tried.push(`${cachePath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
    const p = findLibraryInCache(target, entries, options.cacheFlags ?? ldCacheFlagsForArch());
    if (!p) tried.push(cachePath);
    return p;
  };
  const fromDirs = () => {
    const dirs = options.libDirs ?? defaultLibDirs();
    const p = findLibraryInDirs(target, dirs);
    if (!p) tried.push(dirs.join(', '));
    return p;
  };
  const order = looksLikeLibrary(target) ? [fromProcess, fromCache, fromDirs, fromPath] : [fromProcess, fromPath, fromCache, fromDirs];
  for (const step of order) {
    const found = step();
    if (found) return realFile(found, target, tried);
  }
  throw new BinaryNotFoundError(target, tried);
}
