// Stacks and symbols: kstack/ustack collect the call stack with bpf_get_stackid into the script's
// stack-trace map; ksym/usym keep an address (and for user space, the pid). User space symbolizes
// both when it prints, as bpftrace does. kaddr/uaddr go the other way: a symbol's address.

import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { Base } from '../../compiler/ir/ir.ts';
import type { Operand } from '../../compiler/ir/ir.ts';
import type { BuiltinFunction, BuiltinVariable, Checker, Lowerer } from '../../compiler/registry.ts';
import { STACK_FRAMES, STACK_MAP, STACK_SCRATCH_MAP } from '../../compiler/passes/resources.ts';
import { type IntSize, s64, type StackMode, type Type, u64 } from '../../compiler/types/types.ts';
import type { Call, Expr } from '../../grammar/ast.ts';
import type { BinarySymbol, KernelInfo } from '../../compiler/kernel-info.ts';
import type { AttachSpec } from '../../runtime/artifact.ts';
import { PT_REGS_IP_OFFSET } from '../arch/x86_64.ts';

const BPF_F_USER_STACK = 1 << 8;

/** The second word of a stack or symbol value: the pid whose address space a user address belongs to. */
function writePid(l: Lowerer, user: boolean, base: Base, off: number): void {
  if (!user) {
    l.b.store(8, base, off, imm(0));
    return;
  }
  const tgid = l.b.call(Helper.get_current_pid_tgid, [])!;
  l.b.alu('rsh', tgid, imm(32));
  l.b.store(8, base, off, reg(tgid));
}

function writeStack(l: Lowerer, user: boolean, base: Base, off: number): void {
  const id = l.b.call(Helper.get_stackid, [reg(l.ctx()), reg(l.b.ldmap(STACK_MAP)), imm(user ? BPF_F_USER_STACK : 0)])!;
  l.b.store(8, base, off, reg(id));
  writePid(l, user, base, off + 8);
}

function stackVariable(name: 'kstack' | 'ustack'): BuiltinVariable {
  const user = name === 'ustack';
  return {
    name,
    summary: `the ${user ? 'user-space' : 'kernel'} call stack, printed symbolized`,
    type: () => ({ kind: 'stack', user, mode: 'bpftrace', limit: STACK_FRAMES }),
    lowerInto: (l, base, off) => writeStack(l, user, base, off),
  };
}

const MODES: StackMode[] = ['bpftrace', 'perf', 'raw'];

function stackFunction(name: 'kstack' | 'ustack'): BuiltinFunction {
  const user = name === 'ustack';
  return {
    name, signature: `${name}([mode][, int limit])`, role: 'value', rawArgs: true,
    summary: `the ${user ? 'user-space' : 'kernel'} call stack; mode bpftrace, perf or raw, at most limit frames`,
    check(call, c) {
      let mode: StackMode = 'bpftrace';
      let limit = STACK_FRAMES;
      for (const a of call.args) {
        if (a.kind === 'Ident' && (MODES as string[]).includes(a.name)) {
          mode = a.name as StackMode;
          continue;
        }
        c.expr(a);
        const n = c.constantOf(a);
        if (n === undefined || n < 1n || n > BigInt(STACK_FRAMES)) c.error(`a stack limit must be a constant from 1 to ${STACK_FRAMES}`, a.span);
        else limit = Number(n);
      }
      if (call.args.length > 2) c.error(`\`${name}()\` takes a mode (bpftrace, perf, raw) and a limit`, call.span);
      return { kind: 'stack', user, mode, limit } satisfies Type;
    },
    lowerInto: (_call, l, base, off) => writeStack(l, user, base, off),
  };
}

export const kstackVar = stackVariable('kstack');
export const ustackVar = stackVariable('ustack');
export const kstack = stackFunction('kstack');
export const ustack = stackFunction('ustack');

function symbolFunction(name: 'ksym' | 'usym'): BuiltinFunction {
  const user = name === 'usym';
  return {
    name, signature: `${name}(int address)`, role: 'value',
    summary: `the name of the ${user ? 'user-space' : 'kernel'} symbol at an address`,
    check(call, c) {
      const [a] = call.args;
      if (call.args.length !== 1 || !a || c.typeOf(a).kind !== 'int') c.error(`\`${name}()\` takes one address`, call.span);
      return { kind: 'symbol', user };
    },
    lowerInto(call, l, base, off) {
      l.b.store(8, base, off, l.int(call.args[0]!));
      writePid(l, user, base, off + 8);
    },
  };
}

export const ksym = symbolFunction('ksym');
export const usym = symbolFunction('usym');

export const kaddr: BuiltinFunction = {
  name: 'kaddr', signature: 'kaddr(string name)', role: 'value',
  summary: 'the address of a kernel symbol (from /proc/kallsyms, at compile time)',
  check(call, c) {
    const [n] = call.args;
    if (call.args.length !== 1 || n?.kind !== 'Str') {
      c.error('`kaddr()` takes a symbol name as a string literal', call.span);
      return { kind: 'int', size: 8, signed: false };
    }
    if (c.kernelSymbol(n.value) === undefined) c.error(`no kernel symbol \`${n.value}\``, n.span);
    return { kind: 'int', size: 8, signed: false };
  },
  lower(call, l) {
    const address = l.kernel.kernelSymbol?.((call.args[0] as { value: string }).value) ?? 0n;
    const r = l.b.reg();
    l.b.emit({ op: 'ldimm64', dst: r, value: address });
    return reg(r);
  },
};

/** A symbol (any type: data symbols are what uaddr() is for) with a non-zero address. */
function findSymbol(kernel: KernelInfo, path: string, name: string): BinarySymbol | undefined {
  return kernel.binarySymbols(path, name).find((s) => (s.name === name || s.aliases?.includes(name)) && s.address);
}

const POINTEE_BY_SIZE: Record<number, IntSize> = { 1: 1, 2: 2, 4: 4, 8: 8 };

export const uaddr: BuiltinFunction = {
  name: 'uaddr', signature: 'uaddr(string symbol)', role: 'value',
  summary: 'the run-time address of a symbol of the probed binary (uprobes and USDT), a pointer to an unsigned integer of the symbol\'s size',
  check(call, c) {
    const [n] = call.args;
    const fallback: Type = { kind: 'int', size: 8, signed: false, pointee: u64, user: true };
    if (call.args.length !== 1 || n?.kind !== 'Str') {
      c.error('`uaddr()` takes a symbol name as a string literal', call.span);
      return fallback;
    }
    const attach = c.probe.attach;
    if (attach.kind !== 'uprobe') {
      c.error('`uaddr()` is for uprobes and USDT probes: it finds symbols of the probed binary', call.span, 'use kaddr() for kernel symbols');
      return fallback;
    }
    if (c.probe.linkAddress === undefined) {
      c.error(attach.retprobe ? '`uaddr()` is not available in uretprobes: tsbt finds the binary\'s load address from the probe point, and a uretprobe fires in the caller'
        : '`uaddr()` needs the probe point\'s address in the binary, which tsbt does not know for this probe (an IFUNC implementation)', call.span,
        attach.retprobe ? 'read the value in the uprobe of the same function and keep it in a map keyed by tid' : undefined);
      return fallback;
    }
    const sym = findSymbol(c.kernel, attach.path, n.value);
    if (!sym) {
      c.error(`no symbol \`${n.value}\` in ${attach.path}`, n.span, 'list its symbols with `nm` (`nm -D` for dynamic ones)');
      return fallback;
    }
    // As bpftrace: a pointer to an unsigned integer as wide as the symbol (when that is 1, 2, 4 or 8 bytes).
    const size = POINTEE_BY_SIZE[sym.size ?? 8] ?? 8;
    return { kind: 'int', size: 8, signed: false, pointee: { kind: 'int', size, signed: false }, user: true };
  },
  lower(call, l) {
    // ip is the probe point's run-time address: the symbol is as far from it as in the file, whatever
    // the load bias of a PIE or a shared library.
    const ip = l.b.load(8, l.ctx(), PT_REGS_IP_OFFSET);
    // The same call may be compiled for probes on different binaries: look the symbol up for this one.
    const attach = l.probe.attach as AttachSpec & { kind: 'uprobe' };
    const sym = findSymbol(l.kernel, attach.path, (call.args[0] as Expr & { kind: 'Str' }).value)!;
    const delta = sym.address! - l.probe.linkAddress!;
    if (delta >= -(2 ** 31) && delta < 2 ** 31) l.b.alu('add', ip, imm(delta));
    else {
      const d = l.b.reg();
      l.b.emit({ op: 'ldimm64', dst: d, value: BigInt(delta) });
      l.b.alu('add', ip, reg(d));
    }
    return reg(ip);
  },
};

/**
 * `len(kstack)`, `len(ustack)`, `len(kstack(3))`: how many frames the stack has now (at most its
 * limit). Only a stack taken right there: a stored stack keeps just its id in the stack-trace map,
 * which programs cannot read.
 */
export function checkStackDepth(call: Call, c: Checker): Type {
  const [a] = call.args;
  const direct = a && ((a.kind === 'Ident' && (a.name === 'kstack' || a.name === 'ustack'))
    || (a.kind === 'Call' && (a.callee === 'kstack' || a.callee === 'ustack')));
  const t = a ? c.expr(a) : undefined;
  if (t && t.kind !== 'stack' && t.kind !== 'void') c.error(`\`len()\` takes a map or a stack, not ${t.kind === 'int' ? 'an integer' : `a ${t.kind}`}`, a!.span);
  else if (t?.kind === 'stack' && !direct) {
    c.error('`len()` of a stack needs `kstack` or `ustack` itself', a!.span, 'a stored stack keeps only its id; write `len(kstack)`');
  }
  return s64;
}

/** bpf_get_stack into a per-CPU scratch buffer returns the bytes it wrote: 8 per frame. */
export function lowerStackDepth(call: Call, l: Lowerer): Operand {
  const t = l.typeOf(call.args[0]!);
  if (t.kind !== 'stack') throw new Error('len() of a stack without a stack');
  const key = l.b.frame.alloc(8);
  l.b.store(4, 'fp', key, imm(0));
  const buffer = l.b.call(Helper.map_lookup_elem, [reg(l.b.ldmap(STACK_SCRATCH_MAP)), reg(l.b.addr(key))])!;
  const out = l.b.movImm(0);
  const done = l.b.label('depth');
  l.b.jcond('jeq', buffer, imm(0), done);
  const bytes = l.b.call(Helper.get_stack, [reg(l.ctx()), reg(buffer), imm(8 * t.limit), imm(t.user ? BPF_F_USER_STACK : 0)])!;
  l.b.jcond('jsle', bytes, imm(0), done);
  l.b.mov(out, reg(bytes));
  l.b.alu('rsh', out, imm(3));
  l.b.place(done);
  return reg(out);
}
