// Stacks and symbols: kstack/ustack collect the call stack with bpf_get_stackid into the script's
// stack-trace map; ksym/usym keep an address (and for user space, the pid). User space symbolizes
// both when it prints, as bpftrace does.

import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { Base } from '../../compiler/ir/ir.ts';
import type { BuiltinFunction, BuiltinVariable, Lowerer } from '../../compiler/registry.ts';
import { STACK_FRAMES, STACK_MAP } from '../../compiler/passes/resources.ts';
import type { StackMode, Type } from '../../compiler/types/types.ts';

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
