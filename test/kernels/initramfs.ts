// The guest's initramfs: a static busybox, the few modules the guest needs before it has a root
// (Debian builds virtio, 9p and overlayfs as modules), and an /init that
//   - mounts the host's / read-only over virtio-9p with a tmpfs overlay on top (so the guest sees the
//     host's node, node_modules and dist/ at the same paths, and may write anywhere),
//   - mounts proc, sys, devtmpfs, tracefs, debugfs, bpffs and cgroup2 on it,
//   - mounts the writable results share at its host path,
//   - runs the command (a shell script in the results directory) in the repository directory,
//     its stdout, stderr and exit status going to the results share,
//   - powers off (sysrq o: there is no init system to ask).
// /tmp is the overlay's, not a tmpfs of its own: the results directory lives under the host's /tmp.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CachedKernel } from './fetch.ts';

/** Modules loaded before the root is mounted, with their dependencies resolved from the package. */
const ROOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

export interface InitConfig {
  /** Host directory shared writable with the guest, mounted at the same path there. */
  resultsDir: string;
  /** Directory the command runs in. */
  cwd: string;
  /** Extra environment for the command. */
  env: Record<string, string>;
}

function moduleFiles(kernel: CachedKernel): string[] {
  const files: string[] = [];
  for (const mod of ROOT_MODULES) {
    const out = execFileSync('modprobe', ['-d', join(kernel.dir, 'root'), '-S', kernel.release, '--show-depends', mod], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const m = /^insmod (\S+)/.exec(line);
      if (m && !files.includes(m[1]!)) files.push(m[1]!);
    }
  }
  return files;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function initScript(kernel: CachedKernel, modules: string[], config: InitConfig): string {
  const R = config.resultsDir;
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    TERM: 'dumb',
    LANG: 'C.UTF-8',
    TSBT_GUEST: '1',
    TSBT_GUEST_KERNEL: kernel.spec.name,
    TSBT_RESULTS: R,
    ...config.env,
  };
  const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ');
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
exec < /dev/console > /dev/console 2>&1
say() { echo "$@" > /dev/console; }
fail() { say "TSBT-GUEST-ERROR: $*"; echo o > /proc/sysrq-trigger; sleep 60; }
${modules.map((m) => `insmod /modules/${basename(m)} || fail "insmod ${basename(m)}"`).join('\n')}
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro hostroot /lower || fail "mount the host root over 9p"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/upper /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/upper,workdir=/upper/work /newroot || fail "mount the overlay"
N=/newroot
mount -t proc proc $N/proc
mount -t sysfs sysfs $N/sys
mount -t devtmpfs devtmpfs $N/dev
mkdir -p $N/dev/pts $N/dev/shm
mount -t devpts devpts $N/dev/pts
mount -t tmpfs tmpfs $N/dev/shm
mount -t tracefs tracefs $N/sys/kernel/tracing
mount -t debugfs debugfs $N/sys/kernel/debug
mount -t bpf bpf $N/sys/fs/bpf
mount -t cgroup2 cgroup2 $N/sys/fs/cgroup
mkdir -p $N/lib/modules/${kernel.release}
mount --bind /lower${kernel.modulesDir} $N/lib/modules/${kernel.release}
mkdir -p $N${R}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results $N${R} || fail "mount the results share"
hostname tsbt-guest
ip link set lo up 2>/dev/null
cut -d' ' -f1 /proc/uptime > $N${R}/uptime-start
say "TSBT-GUEST-COMMAND-START"
env -i ${envArgs} chroot $N /bin/sh -c 'cd "$1" && exec /bin/sh "$2"' sh ${shellQuote(config.cwd)} ${shellQuote(`${R}/command.sh`)} \\
  < /dev/null > $N${R}/stdout 2> $N${R}/stderr
echo $? > $N${R}/status
cut -d' ' -f1 /proc/uptime > $N${R}/uptime-end
say "TSBT-GUEST-COMMAND-END"
sync
umount $N${R}
echo o > /proc/sysrq-trigger
sleep 60
`;
}

/** Writes the initramfs (an uncompressed newc cpio: nothing to decompress under TCG) to `out`. */
export function buildInitramfs(kernel: CachedKernel, config: InitConfig, workDir: string, out: string): void {
  const stage = join(workDir, 'initramfs');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'modules']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync('/bin/busybox', join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  const modules = moduleFiles(kernel);
  for (const m of modules) {
    const dest = join(stage, 'modules', basename(m));
    if (/\.ko$/.test(m)) copyFileSync(m, dest);
    else throw new Error(`${m}: compressed modules are not supported yet (busybox insmod wants plain .ko files)`);
  }
  writeFileSync(join(stage, 'init'), initScript(kernel, modules, config), { mode: 0o755 });
  execFileSync('/bin/sh', ['-c', `cd ${shellQuote(stage)} && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > ${shellQuote(out)}`]);
}
