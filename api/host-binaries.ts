// The uprobe/USDT part of the host's KernelInfo: binaries found by name or path, their symbols with
// file offsets, and their USDT notes with arguments as pt_regs offsets, all read with
// runtime/kernel/elf. ELF files are cached by path (and re-read when the file changes).

import { statSync } from 'node:fs';
import type { BinarySymbol, KernelInfo, UsdtArgLocation, UsdtProbeInfo } from '../compiler/kernel-info.ts';
import { ElfFile, resolveBinary as resolveTarget, SHF_EXECINSTR, SHN_ABS, x86PtRegsOffset, type ElfSymbol, type UsdtArg, type UsdtProbe } from '../runtime/kernel/elf/index.ts';
import { resolveIfunc } from '../runtime/kernel/ifunc.ts';
import { realSys } from '../runtime/sys/index.ts';

const elfCache = new Map<string, { key: string; elf: ElfFile }>();

function openElf(path: string): ElfFile {
  const st = statSync(path);
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const cached = elfCache.get(path);
  if (cached && cached.key === key) return cached.elf;
  const elf = ElfFile.open(path);
  elfCache.set(path, { key, elf });
  return elf;
}

export const resolveBinary: KernelInfo['resolveBinary'] = (nameOrPath, pid) => {
  let path: string;
  try {
    path = resolveTarget(nameOrPath, pid === undefined ? {} : { pid });
  } catch (e) {
    return { error: (e as Error).message };
  }
  try {
    openElf(path).sections;
  } catch (e) {
    return { error: `${path} is not an ELF executable or library (${(e as Error).message.replace(`${path}: `, '')})` };
  }
  return { path };
};

/** Symbol types that can be a probe point when named exactly (NOTYPE: assembly labels in code). */
const EXACT_TYPES = ['FUNC', 'IFUNC', 'NOTYPE', 'OBJECT', 'TLS', 'COMMON'] as const;

export const binarySymbols: KernelInfo['binarySymbols'] = (path, glob) => {
  let elf: ElfFile;
  try {
    elf = openElf(path);
  } catch {
    return [];
  }
  let found = elf.findSymbols(glob);
  if (found.length === 0 && !glob.includes('*')) found = elf.findSymbols(glob, { types: EXACT_TYPES });
  return found.map((sym) => describe(elf, sym, sym.aliases));
};

function describe(elf: ElfFile, sym: ElfSymbol, aliases: string[]): BinarySymbol {
  const section = sym.shndx === SHN_ABS ? undefined : elf.sections[sym.shndx];
  const out: BinarySymbol = {
    name: sym.name,
    offset: elf.vaddrToFileOffset(sym.value) ?? -1,
    address: sym.value,
    size: sym.size,
    type: sym.type,
    section: sym.shndx === SHN_ABS ? '*ABS*' : section?.name ?? `section ${sym.shndx}`,
    executable: section !== undefined && (section.flags & SHF_EXECINSTR) !== 0,
  };
  if (aliases.length > 0) out.aliases = aliases;
  if (sym.type === 'IFUNC') {
    const r = resolveIfunc(realSys(), elf.path, sym.name);
    if ('offset' in r) {
      const impl = implementationName(elf, r.offset);
      out.ifunc = { implementation: impl ? { offset: r.offset, name: impl } : { offset: r.offset } };
    } else {
      out.ifunc = { unresolved: r.unresolved };
    }
  }
  return out;
}

/** The name of the function at a file offset, when the file has a symbol there (.symtab is often stripped). */
function implementationName(elf: ElfFile, offset: number): string | undefined {
  const seg = elf.loadSegments.find((s) => offset >= s.offset && offset < s.offset + s.filesz);
  if (!seg) return undefined;
  const vaddr = offset - seg.offset + seg.vaddr;
  return elf.symbols.find((s) => s.defined && s.value === vaddr && s.type === 'FUNC' && s.name)?.name;
}

export const usdtProbes: KernelInfo['usdtProbes'] = (path) => {
  let probes: readonly UsdtProbe[];
  let elf: ElfFile;
  try {
    elf = openElf(path);
    probes = elf.usdtProbes();
  } catch {
    return [];
  }
  return probes.map((p) => {
    const info: UsdtProbeInfo = { provider: p.provider, name: p.name, offset: p.pcOffset, address: p.pc, semaphoreOffset: p.semaphoreOffset, args: [] };
    if (p.argsError) {
      info.argsError = p.argsError;
      return info;
    }
    try {
      info.args = p.args.map((a) => argLocation(elf, p, a));
    } catch (e) {
      info.argsError = (e as Error).message;
    }
    return info;
  });
};

const IP = x86PtRegsOffset('ip');

/** An argument as the compiler reads it: pt_regs offsets; symbols become ip-relative (ip is the probe's address). */
function argLocation(elf: ElfFile, probe: UsdtProbe, a: UsdtArg): UsdtArgLocation {
  const { size, signed } = a;
  switch (a.kind) {
    case 'register':
      return a.shift ? { kind: 'register', size, signed, regsOffset: a.regsOffset, shift: a.shift } : { kind: 'register', size, signed, regsOffset: a.regsOffset };
    case 'constant':
      return { kind: 'constant', size, signed, value: a.constant };
    case 'memory': {
      const loc: UsdtArgLocation & { kind: 'memory' } = { kind: 'memory', size, signed, offset: a.offset };
      if (a.indexRegsOffset !== undefined) {
        loc.indexRegsOffset = a.indexRegsOffset;
        loc.scale = a.scale ?? 1;
      }
      if (a.symbol === undefined) {
        if (a.baseRegsOffset !== undefined) loc.baseRegsOffset = a.baseRegsOffset;
        return loc;
      }
      if (a.symbolAddress === undefined) throw new Error(`USDT argument '${a.text}': ${a.symbol} is not defined in ${elf.path}`);
      if (a.baseRegister === undefined || a.baseRegister === 'ip') {
        // When a uprobe fires, ip is the probe's runtime address: the symbol is at ip - pc + its address,
        // whatever the load bias of a PIE or shared library.
        loc.baseRegsOffset = IP;
        loc.offset = a.symbolAddress + a.offset - probe.pc;
        return loc;
      }
      if (!elf.isExecutable) throw new Error(`USDT argument '${a.text}': a symbol plus a register in a position-independent file is not supported`);
      loc.baseRegsOffset = a.baseRegsOffset!;
      loc.offset = a.symbolAddress + a.offset;
      return loc;
    }
  }
}
