// Symbolization: kernel addresses through /proc/kallsyms, user addresses through /proc/PID/maps and
// the ELF files mapped there, both resolved as bpftrace 0.17 (bcc) resolves them. The text of stacks
// and symbols is in runtime/format/stack.ts.
export { KernelSymbols, kernelSymbols, X86_64_KERNEL_ADDR_SPACE, type KernelSymbolEntry, type KernelSymbolsOptions, type ResolvedSymbol } from './kallsyms.ts';
export { UserSymbols, userSymbols, SymbolTable, parseMaps, parsePerfMap, cxxFilt, type MapsEntry, type UserSymbolsOptions } from './user.ts';
export { stdSort } from './stdsort.ts';
