// The kernel matrix: the kernels `npm run test:kernels` boots under qemu, besides the host's own.
// Each one is a Debian kernel package, fetched with apt and cached under .cache/kernels/.

export interface KernelSpec {
  /** Short name used in reports. */
  name: string;
  /**
   * Anchored regex (apt-cache search --names-only syntax) matching the candidate binary packages; the
   * newest ABI number wins. TSBT_KERNEL_PACKAGE overrides it with one exact package name.
   */
  packagePattern: string;
  /** Why this kernel is in the matrix. */
  why: string;
}

export const KERNELS: KernelSpec[] = [
  {
    name: 'debian-bookworm-6.1',
    // The generic flavour: -cloud-amd64 has no 9p, and -rt-amd64 is a different kernel.
    packagePattern: '^linux-image-6\\.1\\.0-[0-9]+-amd64$',
    why: 'kprobes, kretprobes and fentry/fexit, which the host kernel does not offer',
  },
];
