// Fetches a Debian kernel package on first use and caches it, unpacked, under .cache/kernels/<package>/:
//   root/      the package unpacked with `dpkg -x` (never installed), with a module index from depmod
//   vmlinux    the uncompressed ELF kernel extracted from root/boot/vmlinuz-* (qemu boots it directly,
//              which saves the in-guest decompression: seconds under TCG)
//   kernel.json  what is in the directory; written last, so a directory without it is incomplete.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelSpec } from './kernels.ts';

export interface CachedKernel {
  spec: KernelSpec;
  /** The Debian binary package, e.g. linux-image-6.1.0-56-amd64. */
  package: string;
  /** Its Debian version, e.g. 6.1.192-2. */
  version: string;
  /** `uname -r` of the kernel, e.g. 6.1.0-56-amd64. */
  release: string;
  dir: string;
  /** The kernel image qemu boots: the extracted ELF vmlinux, or the bzImage when extraction failed. */
  image: string;
  /** /lib/modules/<release> of the unpacked package. */
  modulesDir: string;
}

/** The kernel package could not be found or fetched (no apt, no network, no such package). */
export class KernelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelUnavailableError';
  }
}

type Log = (line: string) => void;

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`);
  }
}

function abiNumber(pkg: string): number {
  return Number(/-(\d+)-[a-z0-9]+$/.exec(pkg)?.[1] ?? -1);
}

/** The newest package apt knows for this spec, or undefined (apt missing, or no such package). */
export function resolvePackage(spec: KernelSpec): string | undefined {
  if (process.env.TSBT_KERNEL_PACKAGE) return process.env.TSBT_KERNEL_PACKAGE;
  const out = spawnSync('apt-cache', ['search', '--names-only', spec.packagePattern], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const names = out.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && new RegExp(spec.packagePattern).test(n));
  names.sort((a, b) => abiNumber(b) - abiNumber(a));
  return names[0];
}

function readCached(spec: KernelSpec, dir: string): CachedKernel | undefined {
  const meta = join(dir, 'kernel.json');
  if (!existsSync(meta)) return undefined;
  const k = JSON.parse(readFileSync(meta, 'utf8')) as Omit<CachedKernel, 'spec' | 'dir' | 'image' | 'modulesDir'> & { image: string };
  return { ...k, spec, dir, image: join(dir, k.image), modulesDir: join(dir, 'root/lib/modules', k.release) };
}

/**
 * Decompresses the kernel inside a bzImage, as the kernel's scripts/extract-vmlinux does: look for each
 * compression format's magic, decompress from there, keep the first result that is an ELF file.
 */
export function extractVmlinux(vmlinuz: string, out: string): boolean {
  const image = readFileSync(vmlinuz);
  const formats: Array<[Buffer, string, string[]]> = [
    [Buffer.from([0x1f, 0x8b, 0x08]), 'gzip', ['-dc']],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz', ['-dc']],
    [Buffer.from('BZh'), 'bzip2', ['-dc']],
    [Buffer.from([0x5d, 0x00, 0x00, 0x00]), 'xz', ['-dc', '--format=lzma']],
    [Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), 'lzop', ['-dc']],
    [Buffer.from([0x02, 0x21, 0x4c, 0x18]), 'lz4', ['-dc']],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd', ['-dc']],
  ];
  for (const [magic, tool, args] of formats) {
    let at = image.indexOf(magic);
    for (let tries = 0; at >= 0 && tries < 4; tries++, at = image.indexOf(magic, at + 1)) {
      const fd = openSync(out, 'w');
      // The decompressor complains about the trailing data after the stream; its output is complete.
      const r = spawnSync(tool, args, { input: image.subarray(at), stdio: ['pipe', fd, 'ignore'], maxBuffer: 1 << 30 });
      closeSync(fd);
      if (r.error) break; // tool not installed
      const head = Buffer.alloc(4);
      const rfd = openSync(out, 'r');
      const n = readSync(rfd, head, 0, 4, 0);
      closeSync(rfd);
      if (n === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return true;
    }
  }
  rmSync(out, { force: true });
  return false;
}

/** The kernel for `spec`, from the cache or fetched now. Throws KernelUnavailableError when it cannot be had. */
export function ensureKernel(spec: KernelSpec, cacheRoot: string, log: Log): CachedKernel {
  mkdirSync(cacheRoot, { recursive: true });
  const pkg = resolvePackage(spec);
  if (pkg) {
    const cached = readCached(spec, join(cacheRoot, pkg));
    if (cached) return cached;
  } else {
    // apt knows no such package (no apt, or its lists are missing): use the newest cached one, if any.
    const re = new RegExp(spec.packagePattern);
    const dirs = existsSync(cacheRoot) ? readdirSync(cacheRoot).filter((d) => re.test(d)).sort((a, b) => abiNumber(b) - abiNumber(a)) : [];
    for (const d of dirs) {
      const cached = readCached(spec, join(cacheRoot, d));
      if (cached) return cached;
    }
    throw new KernelUnavailableError(
      `no package matching ${spec.packagePattern} is known to apt (is this Debian bookworm, and has \`apt-get update\` run?) and none is cached in ${cacheRoot}`,
    );
  }

  const started = Date.now();
  const tmp = join(cacheRoot, `.tmp-${pkg}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    log(`fetching ${pkg} with apt-get download`);
    try {
      run('apt-get', ['download', '-q', pkg], tmp);
    } catch (e) {
      throw new KernelUnavailableError(`cannot download ${pkg}: ${(e as Error).message}`);
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new KernelUnavailableError(`apt-get download ${pkg} left no .deb in ${tmp}`);
    const version = run('dpkg-deb', ['-f', join(tmp, deb), 'Version']).trim();
    run('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'root')]);
    rmSync(join(tmp, deb));
    const releases = readdirSync(join(tmp, 'root/lib/modules'));
    if (releases.length !== 1) throw new Error(`${pkg}: expected one directory in lib/modules, found ${releases.join(', ')}`);
    const release = releases[0]!;
    // The package ships no module index (the postinst builds it): make one for modprobe --show-depends.
    run('depmod', ['-b', join(tmp, 'root'), release]);
    const vmlinuz = join(tmp, 'root/boot', `vmlinuz-${release}`);
    let image = 'vmlinux';
    if (!extractVmlinux(vmlinuz, join(tmp, image))) {
      log(`could not extract an ELF vmlinux from ${vmlinuz}; booting the compressed image instead`);
      image = `root/boot/vmlinuz-${release}`;
    }
    writeFileSync(join(tmp, 'kernel.json'), JSON.stringify({ package: pkg, version, release, image }, null, 2) + '\n');
    const dir = join(cacheRoot, pkg);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another run cached the same kernel meanwhile: use that one.
      if (!readCached(spec, dir)) throw e;
    }
    log(`cached ${pkg} ${version} (${release}) in ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return readCached(spec, dir)!;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
