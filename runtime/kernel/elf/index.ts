// ELF support for uprobes and USDT: symbols and their file offsets, .note.stapsdt probes, and
// resolving `uprobe:libc:...`-style targets to files.
export * from './elf-file.ts';
export * from './usdt.ts';
export * from './ld-cache.ts';
export * from './resolve.ts';
