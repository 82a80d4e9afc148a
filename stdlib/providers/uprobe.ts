// uprobe:<binary>:<function>[+<offset>], uprobe:<binary>:0x<address> and uretprobe:<binary>:<function>
// — dynamic probes on user-space code, attached through the uprobe PMU at a file offset. The binary is
// a path or a name (`bash` on $PATH, `libc` through the ld.so cache; with -p, the libraries that process
// maps come first); `*` in the function matches symbols, one program per address. Arguments are read
// from the saved registers (pt_regs) like kprobes; pointers in them point into the traced process.
//
// IFUNC symbols (glibc's strlen, memcpy...) are resolved to the implementation this machine's resolver
// picks (asked through the host's KernelInfo): a uprobe on the IFUNC symbol itself would fire in the
// resolver, once per process, not per call (bpftrace 0.17 attaches there).

import { error, warning, type Diagnostic } from '../../grammar/diagnostics.ts';
import type { ProbeSpec } from '../../grammar/ast.ts';
import type { CompileOptions } from '../../compiler/context.ts';
import type { BinarySymbol, KernelInfo } from '../../compiler/kernel-info.ts';
import type { ConcreteProbe, ProbeProvider } from '../../compiler/registry.ts';
import { closest } from '../../compiler/suggest.ts';
import { PT_REGS_ARG_OFFSETS, PT_REGS_RETVAL_OFFSET } from '../arch/x86_64.ts';

/** The file a spec's binary part means, or the diagnostic saying why there is none (shared with usdt). */
export function targetBinary(
  spec: ProbeSpec, binary: string | undefined, kernel: KernelInfo, options: CompileOptions | undefined, usage: string,
): { path: string } | Diagnostic {
  const pid = options?.targetPid;
  if (binary === undefined) {
    if (pid === undefined) return error(`\`${spec.text}\` names no binary`, spec.span, `write ${usage} (or give -p PID to probe that process's executable)`);
    binary = `/proc/${pid}/exe`;
  }
  if (binary === '') return error(`\`${spec.text}\` names no binary`, spec.span, `write ${usage}`);
  const r = kernel.resolveBinary(binary, pid);
  if ('error' in r) {
    return error(`no binary for \`${spec.text}\`: ${r.error}`, spec.span,
      'give a path, a program on $PATH (`bash`) or a library name (`libc`)');
  }
  return r;
}

const isCode = (s: BinarySymbol) => s.executable !== false && (s.type === undefined || s.type === 'FUNC' || s.type === 'IFUNC' || s.type === 'NOTYPE');

function uprobeProvider(name: 'uprobe' | 'uretprobe', alias: string, retprobe: boolean): ProbeProvider {
  const usage = retprobe ? 'uretprobe:<binary>:<function>' : 'uprobe:<binary>:<function>[+<offset>] or uprobe:<binary>:0x<address>';
  return {
    name,
    aliases: [alias],
    summary: retprobe
      ? 'the return of a user-space function; `retval` holds its result'
      : 'entry to a user-space function (or an address in one); arg0..arg5 hold its arguments',
    usage,
    list(kernel, pattern) {
      // `uprobe:<binary>:<glob>`: the binary's functions.
      const m = /^[^:]+:([^:]+):(.*)$/.exec(pattern);
      if (!m) return [];
      const bin = kernel.resolveBinary(m[1]!);
      if ('error' in bin) return [];
      // Named as the user wrote the binary, so the listing matches the pattern they gave.
      return kernel.binarySymbols(bin.path, m[2] || '*').filter(isCode).map((s) => `${name}:${m[1]}:${s.name}`);
    },
    expand(spec, kernel, options, warn) {
      if (spec.parts.length < 1 || spec.parts.length > 2 || !spec.parts[spec.parts.length - 1]) {
        return error(`\`${spec.text}\` is not a ${name}`, spec.span, `write ${usage}`);
      }
      const target = spec.parts[spec.parts.length - 1]!;
      const bin = targetBinary(spec, spec.parts.length === 2 ? spec.parts[0] : undefined, kernel, options, usage);
      if ('severity' in bin) return bin;
      const path = bin.path;
      const pid = options?.targetPid;
      const probe = (label: string, offset: number, linkAddress: number | undefined, funcName: string): ConcreteProbe => ({
        provider: this, spec, name: `${name}:${path}:${label}`, programType: 'kprobe', funcName,
        attach: { kind: 'uprobe', path, offset, retprobe, ...(pid !== undefined ? { pid } : {}) },
        userPointers: true,
        ...(retprobe ? { retvalOffset: PT_REGS_RETVAL_OFFSET } : { argOffsets: PT_REGS_ARG_OFFSETS }),
        // A uretprobe fires at the return address, in the caller: its ip says nothing about this file.
        ...(linkAddress !== undefined && !retprobe ? { linkAddress } : {}),
      });

      const addr = /^0x[0-9a-fA-F]+$/.test(target) ? Number(BigInt(target)) : undefined;
      const m = /^(.+?)\+(\d+|0x[0-9a-fA-F]+)$/.exec(target);
      const func = addr !== undefined ? undefined : m ? m[1]! : target;
      const offset = m ? Number(m[2]) : 0;

      // uprobe:BIN:0xADDR — a link-time address inside a function (its start, or with --unsafe anywhere in it).
      if (addr !== undefined) {
        if (addr === 0) return error(`\`${spec.text}\`: address 0 is not in any function`, spec.span, `write ${usage}`);
        const all = kernel.binarySymbols(path, '*').filter((s) => isCode(s) && s.address !== undefined);
        const at = all.find((s) => s.address === addr) ??
          all.find((s) => addr > s.address! && addr < s.address! + (s.size ?? 0));
        if (!at) return error(`0x${addr.toString(16)} is not inside any function of ${path}`, spec.span, 'give an address from `nm` or `objdump -d` of that file');
        const into = addr - at.address!;
        const bad = unsafeOffset(spec, at.name, into, retprobe, options);
        if (bad) return bad;
        return [probe(`0x${addr.toString(16)}`, at.offset + into, addr, at.name)];
      }
      if (retprobe && m) return error(`a uretprobe takes a function, not an offset into one: \`${spec.text}\``, spec.span, `write ${usage}`);

      if (func!.includes('*')) {
        if (m) return error(`\`${spec.text}\`: an offset cannot follow a wildcard`, spec.span, `write ${usage}`);
        const probes: ConcreteProbe[] = [];
        const seen = new Set<number>();
        const atResolvers: string[] = [];
        for (const s of kernel.binarySymbols(path, func!)) {
          if (!isCode(s) || s.offset < 0) continue;
          let off = s.offset;
          let address = s.address;
          if (s.ifunc) {
            address = undefined;
            if ('implementation' in s.ifunc) off = s.ifunc.implementation.offset;
            else {
              atResolvers.push(s.name);
              address = s.address;
            }
          }
          if (seen.has(off)) continue;
          seen.add(off);
          probes.push(probe(s.name, off, address, s.name));
        }
        if (probes.length === 0) return error(`no function of ${path} matches \`${func}\``, spec.span, 'list its symbols with `nm -D` (or `nm` when it is not stripped)');
        if (atResolvers.length > 0) {
          const which = atResolvers.length === 1 ? `\`${atResolvers[0]}\` is an IFUNC`
            : `${atResolvers.length} matches are IFUNCs (${atResolvers.slice(0, 5).join(', ')}${atResolvers.length > 5 ? ', ...' : ''})`;
          warn?.(warning(`${which} whose implementation tsbt cannot find: probed in the resolver, it fires once per process, not per call`, spec.span));
        }
        return probes;
      }

      const sym = kernel.binarySymbols(path, func!).find((s) => s.name === func || s.aliases?.includes(func!));
      if (!sym) {
        const near = closest(func!, kernel.binarySymbols(path, '*').flatMap((s) => [s.name, ...(s.aliases ?? [])]));
        return error(`no function \`${func}\` in ${path}`, spec.span,
          near ? `did you mean \`${near}\`?` : 'list its symbols with `nm -D` (or `nm` when it is not stripped)');
      }
      if (!isCode(sym) || sym.offset < 0) {
        const what = sym.type === 'OBJECT' || sym.type === 'COMMON' || sym.type === 'TLS' ? `a data symbol (${sym.type})` : `a ${sym.type ?? 'symbol'}`;
        return error(`\`${func}\` in ${path} is ${what} in ${sym.section ?? 'no section'}, not a function in a code section`, spec.span,
          'uprobes attach to code: name a function');
      }
      let at = sym.offset;
      let address = sym.address === undefined ? undefined : sym.address + offset;
      if (sym.ifunc) {
        address = undefined;
        if ('unresolved' in sym.ifunc) {
          return error(`\`${func}\` in ${path} is an IFUNC: a uprobe on it would fire in its resolver, once per process, not per call`, spec.span,
            `${sym.ifunc.unresolved}; probe the implementation by name if the file has it${sym.address ? `, or the resolver itself with ${name}:${path}:0x${sym.address.toString(16)}` : ''}`);
        }
        if (offset !== 0) {
          return error(`\`${func}\` in ${path} is an IFUNC: an offset into it is meaningless`, spec.span, 'probe the implementation by name or address');
        }
        at = sym.ifunc.implementation.offset;
      }
      const bad = unsafeOffset(spec, func!, offset, retprobe, options, sym.size);
      if (bad) return bad;
      return [probe(m ? target : func!, at + offset, address, func!)];
    },
  };
}

/**
 * An offset into a function must start an instruction, or the breakpoint corrupts the traced program;
 * tsbt has no disassembler to check, so (as bpftrace without one) it wants --unsafe.
 */
function unsafeOffset(spec: ProbeSpec, func: string, offset: number, retprobe: boolean, options: CompileOptions | undefined, size?: number): Diagnostic | undefined {
  if (offset === 0) return undefined;
  if (retprobe) return error(`a uretprobe attaches at the start of a function, not ${offset} bytes into \`${func}\``, spec.span);
  if (size !== undefined && size > 0 && offset >= size) {
    return error(`offset ${offset} is past the end of \`${func}\` (${size} bytes)`, spec.span);
  }
  if (!options?.unsafe) {
    return error(`tsbt cannot check that \`${func}+${offset}\` is the start of an instruction`, spec.span,
      'a uprobe in the middle of an instruction corrupts the traced program; pass --unsafe to attach anyway');
  }
  return undefined;
}

export const uprobe = uprobeProvider('uprobe', 'u', false);
export const uretprobe = uprobeProvider('uretprobe', 'ur', true);
