// Builtin variables about the current task, CPU and time, each read with one helper call.

import { Helper } from '../../compiler/bpf/helpers.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinVariable, Lowerer } from '../../compiler/registry.ts';
import { str, u32, u64 } from '../../compiler/types/types.ts';
import { writeBytes, zeroMemory } from '../../compiler/passes/memory.ts';
import { fromKernel } from '../../compiler/types/from-kernel.ts';
import type { KernelInfo } from '../../compiler/kernel-info.ts';
import type { VReg } from '../../compiler/ir/ir.ts';

function callHelper(l: Lowerer, helper: number) {
  return l.b.call(helper, [])!;
}

/** The upper or lower 32 bits of a helper's 64-bit result. */
function half(l: Lowerer, helper: number, upper: boolean) {
  const r = callHelper(l, helper);
  if (upper) l.b.alu('rsh', r, imm(32));
  else l.b.emit({ op: 'mov', dst: r, src: reg(r), w32: true });
  return reg(r);
}

export const pid: BuiltinVariable = {
  name: 'pid', summary: 'process id (the kernel tgid) of the current task', type: () => u32,
  lower: (l) => half(l, Helper.get_current_pid_tgid, true),
};
export const tid: BuiltinVariable = {
  name: 'tid', summary: 'thread id (the kernel pid) of the current task', type: () => u32,
  lower: (l) => half(l, Helper.get_current_pid_tgid, false),
};
export const uid: BuiltinVariable = {
  name: 'uid', summary: 'user id of the current task', type: () => u32,
  lower: (l) => half(l, Helper.get_current_uid_gid, false),
};
export const gid: BuiltinVariable = {
  name: 'gid', summary: 'group id of the current task', type: () => u32,
  lower: (l) => half(l, Helper.get_current_uid_gid, true),
};
export const username: BuiltinVariable = {
  name: 'username', summary: 'the current task\'s user, shown by name (looked up in /etc/passwd when it prints)',
  type: () => ({ kind: 'username' }),
  lowerInto(l, base, off) {
    l.b.store(8, base, off, half(l, Helper.get_current_uid_gid, false));
  },
};
export const nsecs: BuiltinVariable = {
  name: 'nsecs', summary: 'nanoseconds since boot (monotonic clock, not counting suspend)', type: () => u64,
  lower: (l) => reg(callHelper(l, Helper.ktime_get_ns)),
};
export const cpu: BuiltinVariable = {
  name: 'cpu', summary: 'the CPU the probe runs on', type: () => u32,
  lower: (l) => reg(callHelper(l, Helper.get_smp_processor_id)),
};

const COMM_SIZE = 16;
export const comm: BuiltinVariable = {
  name: 'comm', summary: 'name of the current task (16 bytes)', type: () => str(COMM_SIZE),
  lowerInto(l, base, off, size, padded = true) {
    // Zero first: some kernels (6.2 and 6.3, before the fix "bpf: ensure all memory is initialized in
    // bpf_get_current_comm") copy the name with strscpy, leaving the bytes after its NUL as they were,
    // and a map key must not depend on stale stack bytes.
    if (padded) zeroMemory(l.b, base, off, size);
    l.b.call(Helper.get_current_comm, [reg(l.pointer(base, off)), imm(Math.min(size, COMM_SIZE))], false);
  },
};

export const rand: BuiltinVariable = {
  name: 'rand', summary: 'a pseudo-random 32-bit number', type: () => u32,
  lower: (l) => reg(callHelper(l, Helper.get_prandom_u32)),
};
export const cgroup: BuiltinVariable = {
  name: 'cgroup', summary: 'the cgroup v2 id of the current task', type: () => u64,
  lower: (l) => reg(callHelper(l, Helper.get_current_cgroup_id)),
};
export const curtask: BuiltinVariable = {
  name: 'curtask', summary: 'the current task: a `struct task_struct *` where the kernel has BTF (`curtask->pid`)',
  type(_probe, _options, kernel) {
    const kt = kernel.kernelTypes();
    const id = 'unavailable' in kt ? undefined : kt.findType('struct', 'task_struct');
    if ('unavailable' in kt || id === undefined) return u64;
    return { kind: 'int', size: 8, signed: false, pointee: fromKernel(kt, id, false), user: false };
  },
  lower: (l) => reg(callHelper(l, Helper.get_current_task)),
};
export const ncpus: BuiltinVariable = {
  name: 'ncpus', summary: 'the number of online CPUs', type: () => u64,
  lower: (l) => imm(l.kernel.onlineCpuCount()),
};
export const probe: BuiltinVariable = {
  name: 'probe', summary: 'the name of the probe that fired (e.g. tracepoint:syscalls:sys_enter_read)',
  type: (p) => str(Buffer.byteLength(p.name) + 1),
  lowerInto: (l, base, off, size) => writeBytes(l.b, Buffer.from(l.probe.name), base, off, size),
};

export const cpid: BuiltinVariable = {
  name: 'cpid', summary: 'the pid of the command started with -c',
  type: (_probe, options) => options.childPid !== undefined ? u32
    : { error: '`cpid` is the pid of the command started with -c, and no -c was given', hint: "tsbt -c 'command args' -e '...'" },
  lower: (l) => imm(l.childPid()),
};

export const elapsed: BuiltinVariable = {
  name: 'elapsed', summary: 'nanoseconds since tsbt started tracing', type: () => u64,
  lower(l) {
    const now = callHelper(l, Helper.ktime_get_ns);
    l.b.alu('sub', now, reg(l.b.load(8, l.startTimeAddress(), 0)));
    return reg(now);
  },
};

export const jiffies: BuiltinVariable = {
  name: 'jiffies', summary: 'the kernel\'s jiffies counter (timer ticks since boot, 64 bits)', type: () => u64,
  lower: (l) => reg(callHelper(l, Helper.jiffies64)),
};
export const numaid: BuiltinVariable = {
  name: 'numaid', summary: 'the NUMA node of the CPU the probe runs on', type: () => u32,
  lower: (l) => reg(callHelper(l, Helper.get_numa_node_id)),
};

/** Where `curtask->real_parent->tgid` is, from the kernel's BTF (or why it cannot be found). */
function parentOffsets(kernel: KernelInfo): { realParent: number; tgid: number } | { error: string; hint?: string } {
  const kt = kernel.kernelTypes();
  const unavailable = { error: '`ppid` reads curtask->real_parent->tgid, which needs the kernel\'s BTF (/sys/kernel/btf/vmlinux)' };
  if ('unavailable' in kt) return unavailable;
  const task = kt.findType('struct', 'task_struct');
  if (task === undefined) return unavailable;
  const realParent = kt.member(task, 'real_parent');
  const tgid = kt.member(task, 'tgid');
  if (realParent === undefined || tgid === undefined || kt.sizeOf(tgid.type) !== 4) return unavailable;
  return { realParent: realParent.offset, tgid: tgid.offset };
}

/** Read `size` bytes of kernel memory at `address + off` into a register (0 if unreadable). */
function readKernel(l: Lowerer, address: VReg, off: number, size: 4 | 8): VReg {
  const slot = l.b.frame.alloc(8);
  l.b.store(8, 'fp', slot, imm(0));
  l.b.call(Helper.probe_read_kernel, [reg(l.pointer('fp', slot)), imm(size), reg(l.pointer(address, off))], false);
  return l.b.load(size, 'fp', slot);
}

export const ppid: BuiltinVariable = {
  name: 'ppid', summary: 'process id of the current task\'s parent (curtask->real_parent->tgid)',
  type: (_probe, _options, kernel) => {
    const at = parentOffsets(kernel);
    return 'error' in at ? at : u32;
  },
  lower(l) {
    const at = parentOffsets(l.kernel);
    if ('error' in at) throw new Error(at.error);
    const parent = readKernel(l, callHelper(l, Helper.get_current_task), at.realParent, 8);
    return reg(readKernel(l, parent, at.tgid, 4));
  },
};

export const func: BuiltinVariable = {
  name: 'func', summary: 'name of the probed function (kprobes, uprobes, fentry/fexit and their return probes)',
  // Each probe tsbt attaches is at one known function, so the name is a constant of the program.
  type: (p) => p.funcName !== undefined ? str(Buffer.byteLength(p.funcName) + 1)
    : { error: `\`func\` is not available in ${p.provider.name} probes`, hint: 'kprobes, uprobes and fentry/fexit probes (and their return probes) have it' },
  lowerInto: (l, base, off, size) => writeBytes(l.b, Buffer.from(l.probe.funcName!), base, off, size),
};
