// A generator of valid tsbt programs. It follows docs/language.md for the syntax and mirrors the type
// checker's rules (compiler/passes/typecheck.ts) closely enough that most programs it writes compile:
// it tracks every variable (block scopes for `let`, probe scope for a first assignment, as bpftrace
// does) and every map (key and value types, unified across probes; aggregations with their shape), and
// knows what each probe type offers (see kernel.ts for the fixture kernel the programs are meant for).
// Expressions are printed with the fewest parentheses precedence needs (plus a few extra), and blocks
// are `{ }` or `< >`, the latter written so that every `>` stands where the `< >` rule closes a block.
//
// Not every program compiles: some generated constructs are refused by design (a stack over 512
// bytes, `for ($kv : @map)`, an aggregation read back). The fuzz test only needs most of them valid.

import type { Random } from './random.ts';

export const POSITIONAL = ['42', 'hello', '0x10'];

type Ptr = 'task' | 'sock' | 'list';
type VT = { k: 'int'; ptr?: Ptr } | { k: 'str'; size: number } | { k: 'inet' } | { k: 'tuple'; elems: VT[] };
type AggKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist';
interface Agg {
  agg: AggKind;
  /** The constant arguments that fix the shape, as written: `, 2` for hist, `, 0, 100, 10` for lhist. */
  shape: string;
}
interface MapModel {
  name: string;
  keys: VT[];
  value: VT | Agg;
}

const INT: VT = { k: 'int' };
/** What ntop() returns: an address printed as text. */
const INET: VT = { k: 'inet' };

function isAgg(v: VT | Agg): v is Agg {
  return 'agg' in v;
}

function sameShape(a: VT, b: VT): boolean {
  if (a.k === 'tuple' && b.k === 'tuple') return a.elems.length === b.elems.length && a.elems.every((x, i) => sameShape(x, b.elems[i]!));
  return a.k === b.k;
}

/** A printed expression and the precedence level of its outermost operator (0 = postfix/primary). */
interface E {
  t: string;
  p: number;
}

const PRIMARY = 0;
const UNARY = 2;
const TERNARY = 13;
const BINARY: Record<string, number> = {
  '*': 3, '/': 3, '%': 3, '+': 4, '-': 4, '<<': 5, '>>': 5, '<': 6, '<=': 6, '>': 6, '>=': 6,
  '==': 7, '!=': 7, '&': 8, '^': 9, '|': 10, '&&': 11, '||': 12,
};

/** What one kind of probe offers the statements in its block. */
interface ProbeKind {
  specs: string[];
  ints: string[];
  strs: string[];
  /** Addresses str() can read. */
  ptrs: string[];
  /** Integer arrays: text and element count. */
  arrays: [string, number][];
  tasks: string[];
  socks: string[];
  /** Whether several specs of this kind may share one block (their args are the same). */
  multi: boolean;
  weight: number;
}

const ARGS6 = ['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5'];
const kind = (k: Partial<ProbeKind> & { specs: string[] }): ProbeKind => ({
  ints: [], strs: [], ptrs: [], arrays: [], tasks: [], socks: [], multi: true, weight: 1, ...k,
});

const PROBES: ProbeKind[] = [
  kind({ specs: ['BEGIN', 'begin'], multi: false, weight: 3 }),
  kind({ specs: ['END', 'end'], multi: false, weight: 2 }),
  kind({ specs: ['interval:s:1', 'i:ms:100', 'interval:us:500', 'interval:1s', 'profile:hz:99', 'p:hz:49', 'profile:ms:10',
    'software:cpu-clock:100000', 's:faults', 'software:page-faults', 'hardware:cycles:1000000', 'h:instructions'], weight: 3 }),
  kind({ specs: ['kprobe:vfs_read', 'k:do_sys_openat2', 'kprobe:vfs_read+16', 'kprobe:tcp_v4_connect', 'k:vfs_write'],
    ints: ARGS6, ptrs: ['arg0', 'arg1'], socks: ['((struct sock *)arg0)'], weight: 3 }),
  kind({ specs: ['kretprobe:vfs_read', 'kr:do_sys_openat2'], ints: ['retval'], ptrs: ['retval'] }),
  kind({ specs: ['tracepoint:syscalls:sys_exit_read', 't:syscalls:sys_exit_openat', 'tracepoint:syscalls:sys_exit_*'],
    ints: ['args->ret', 'args.ret'], weight: 2 }),
  kind({ specs: ['tracepoint:syscalls:sys_enter_openat'], ints: ['args->dfd', 'args->flags', 'args->mode'], ptrs: ['args->filename'], weight: 2 }),
  kind({ specs: ['t:syscalls:sys_enter_read'], ints: ['args->fd', 'args->count', 'args->buf'], ptrs: ['args->buf'] }),
  kind({ specs: ['tracepoint:sched:sched_process_exec'], ints: ['args->pid', 'args->old_pid'], strs: ['args->comm'] }),
  kind({ specs: ['tracepoint:sched:sched_switch'], ints: ['args->prev_pid', 'args->next_pid', 'args->prev_prio', 'args->prev_state'],
    strs: ['args->prev_comm', 'args.next_comm'] }),
  kind({ specs: ['t:sched:*', 'tracepoint:sched:sched_*'], multi: false }),
  kind({ specs: ['tracepoint:sock:inet_sock_set_state'], ints: ['args->sport', 'args->dport', 'args->family', 'args->oldstate', 'args->newstate', 'args->skaddr'],
    arrays: [['args->saddr', 4], ['args->daddr', 4], ['args->saddr_v6', 16], ['args->daddr_v6', 16]], socks: ['((struct sock *)args->skaddr)'] }),
  kind({ specs: ['tracepoint:block:block_rq_issue'], ints: ['args->dev', 'args->sector', 'args->nr_sector', 'args->bytes'], strs: ['args->rwbs', 'args->comm'] }),
  kind({ specs: ['rawtracepoint:sched_switch', 'rt:sys_enter'], ints: [...ARGS6, 'arg11'], ptrs: ['arg1'], tasks: ['((struct task_struct *)arg1)'] }),
  // Typed pointers (args->pos, args->file, args->buf) move by elements and take no `*` or `&`: as
  // plain numbers they are cast first, as scripts must.
  kind({ specs: ['fentry:vfs_read', 'kfunc:vfs_read', 'f:vfs_read'], ints: ['args->count', '((uint64)args->pos)', '((uint64)args->file)', '((uint64)args->buf)'], ptrs: ['args->buf'], multi: false }),
  kind({ specs: ['fexit:vfs_read', 'kretfunc:vfs_read'], ints: ['args->count', 'retval'], ptrs: ['args->buf'], multi: false }),
  kind({ specs: ['fentry:tcp_v4_connect'], ints: ['args->addr_len', 'args->uaddr->sa_family'], socks: ['args->sk'], multi: false }),
  kind({ specs: ['fexit:inet_csk_accept'], ints: ['args->flags', 'args->kern'], socks: ['retval', 'args->sk'], multi: false }),
  kind({ specs: ['fentry:wake_up_new_task'], tasks: ['args->p'], multi: false }),
  kind({ specs: ['fexit:do_exit', 'fentry:do_exit'], ints: ['args->code'], multi: false }),
  kind({ specs: ['uprobe:/usr/bin/bash:readline', 'u:bash:main', 'uprobe:libc:malloc', 'uprobe:libc:__libc_malloc', 'uprobe:libc:strlen',
    'uprobe:/usr/bin/bash:0xd5a30', 'uprobe:libc:mall*'], ints: ARGS6, ptrs: ['arg0', 'arg1'] }),
  kind({ specs: ['uretprobe:/usr/bin/bash:readline', 'ur:libc:malloc'], ints: ['retval'], ptrs: ['retval'] }),
  kind({ specs: ['usdt:/opt/app/bin/server:app:request', 'U:/opt/app/bin/server:request', 'usdt:server:app:req*'],
    ints: ['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5', 'arg6'], ptrs: ['arg0'] }),
  kind({ specs: ['usdt:/opt/app/bin/server:app:done'] }),
];

const INT_CASTS = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'u8', 's16', 'u32', 's64', '__u32', 'char',
  'unsigned char', 'short', 'unsigned short', 'int', 'unsigned int', 'unsigned', 'long', 'unsigned long', 'long long', 'unsigned long long',
  'size_t', 'bool'];
const LET_TYPES = [...INT_CASTS, 'pid_t'];
const BUILTIN_INTS = ['pid', 'tid', 'uid', 'gid', 'nsecs', 'cpu', 'rand', 'cgroup', '((uint64)curtask)', 'ncpus'];
const WORDS = ['bash', 'sshd', 'a', '', 'systemd-journal', 'x/y', 'tab\\there', 'quote\\"', 'nl\\n', '\\x41\\102', 'pct %d', 'longer-name-01'];

class Scope {
  readonly vars = new Map<string, VT | undefined>();
}

/** Generation limits, so that programs stay small enough to compile fast and fit the stack. */
interface Budget {
  stmts: number;
  strVars: number;
  unrolled: number;
}

export class ProgramGenerator {
  private readonly maps = new Map<string, MapModel>();
  private readonly declared = new Map<string, string>();
  private probe!: ProbeKind;
  private scopes: Scope[] = [];
  private loops = 0;
  private budget!: Budget;
  private filter = false;
  private braces = true;
  private indent = 1;
  private maxStrlen = 64;

  constructor(private readonly r: Random, private readonly flags: GenerateFlags = {}) {}

  program(): string {
    const r = this.r;
    const out: string[] = [];
    if (r.chance(0.1)) out.push('#!/usr/bin/env tsbt');
    if (r.chance(0.1)) out.push(r.pick(['#include <linux/sched.h>', '#include <net/sock.h>', '# include "x.h"']));
    if (r.chance(0.1)) out.push(r.pick(['// fuzz', '/* generated */']));
    if (r.chance(0.15)) out.push(this.config());
    if (r.chance(0.08)) out.push('struct conn { u32 pid; char comm[16]; struct conn *next; unsigned long long n; };');
    const probes: string[] = [];
    const n = r.weighted([[5, 1], [4, 2], [2, 3], [1, 4]] as const);
    for (let i = 0; i < n; i++) probes.push(this.probeText());
    // Declarations go in the preamble, but are only known once the blocks are written.
    for (const [name, kindText] of this.declared) out.push(`let ${name} = ${kindText};`);
    out.push(...probes);
    return out.join('\n') + (r.chance(0.5) ? '\n' : '');
  }

  private config(): string {
    const r = this.r;
    const settings: string[] = [];
    if (r.chance(0.6)) {
      this.maxStrlen = r.pick([8, 16, 32, 64, 100]);
      settings.push(`max_strlen = ${this.maxStrlen}`);
    }
    if (r.chance(0.5)) settings.push(`max_map_keys = ${r.pick(['1000', '1_024', '0x1000', '1e4', '16777216'])}`);
    if (r.chance(0.4)) settings.push(`print_maps_on_exit = ${r.pick(['0', '1', 'false', 'true'])}`);
    return `config = { ${settings.join('; ')}${settings.length && r.chance(0.5) ? ';' : ''} }`;
  }

  // ------------------------------------------------------------------------------------------ probes

  private probeText(): string {
    const r = this.r;
    this.probe = r.weighted(PROBES.map((p) => [p.weight, p] as const));
    const specs = [r.pick(this.probe.specs)];
    if (this.probe.multi && this.probe.specs.length > 1 && r.chance(0.2)) {
      const other = r.pick(this.probe.specs);
      if (!specs.includes(other)) specs.push(other);
    }
    this.scopes = [new Scope()];
    this.loops = 0;
    this.budget = { stmts: r.range(2, 14), strVars: 3, unrolled: 1 };
    this.braces = r.chance(0.5);
    this.indent = 1;
    let head = specs.join(r.pick([', ', ',', ',\n']));
    if (r.chance(0.25)) {
      this.filter = true;
      head += ` /${this.int(2).t}/`;
      this.filter = false;
    }
    return `${head} ${this.blockText(() => this.statements(r.range(1, 6)))}`;
  }

  /** `{ ... }` or `< ... >` around statements; every simple statement ends with `;`. */
  private blockText(body: () => string[]): string {
    this.indent++;
    const lines = body();
    this.indent--;
    const [open, close] = this.braces ? ['{', '}'] : ['<', '>'];
    if (lines.length === 0) return `${open} ${close}`;
    // On one line, unless a `//` comment would swallow the rest of it.
    if (this.r.chance(0.15) && lines.every((l) => !l.includes('\n') && !l.includes('//'))) return `${open} ${lines.join(' ')} ${close}`;
    const pad = '  '.repeat(this.indent);
    return `${open}\n${lines.map((l) => pad + l).join('\n')}\n${'  '.repeat(this.indent - 1)}${close}`;
  }

  private nested(body: () => string[]): string {
    this.scopes.push(new Scope());
    try {
      return this.blockText(body);
    } finally {
      this.scopes.pop();
    }
  }

  private statements(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n && this.budget.stmts > 0; i++) {
      this.budget.stmts--;
      out.push(this.statement());
      if (this.r.chance(0.04)) out.push(this.r.pick(['// note', '/* c */ ;', ';']));
    }
    return out;
  }

  // -------------------------------------------------------------------------------------- statements

  private statement(): string {
    const r = this.r;
    const depth = this.scopes.length;
    const compound = depth < 4 ? 1 : 0;
    const choice = r.weighted([
      [6, 'mapAssign'], [4, 'aggregate'], [5, 'varAssign'], [2, 'let'], [2, 'compound'], [2, 'incdec'],
      [5, 'printf'], [1, 'print'], [1, 'mapAction'], [1, 'delete'], [0.5, 'time'], [0.3, 'exit'], [0.3, 'cat'],
      [3 * compound, 'if'], [1 * compound, 'while'], [1.2 * compound, 'for'], [0.8 * compound, 'unroll'], [0.5 * compound, 'block'],
      [this.loops > 0 ? 1.5 : 0, 'jump'], [0.2, 'return'], [0.1, 'forMap'], [0.15, 'call'],
    ] as const);
    switch (choice) {
      case 'mapAssign': return this.mapAssign();
      case 'aggregate': return this.aggregate();
      case 'varAssign': return this.varAssign();
      case 'let': return this.letStmt();
      case 'compound': return this.compound();
      case 'incdec': return this.incDecStmt();
      case 'printf': return this.printf();
      case 'print': return this.printStmt();
      case 'mapAction': return this.mapAction();
      case 'delete': return this.deleteStmt();
      case 'time': return r.pick(['time();', 'time("%H:%M:%S\\n");', 'time("%Y-%m-%d ");']);
      case 'exit': return r.pick(['exit();', 'exit(1);', `exit(${this.int(1).t});`]);
      case 'cat': return r.pick(['cat("/proc/%d/status", pid);', 'cat("/proc/loadavg");', `cat("/tmp/%s", ${this.str(1).t});`]);
      case 'if': return this.ifStmt(0);
      case 'while': return this.whileStmt();
      case 'for': return this.forStmt();
      case 'unroll': return this.unrollStmt();
      case 'block': return this.nested(() => this.statements(r.range(1, 3)));
      case 'jump': return r.pick(['break;', 'continue;']);
      case 'return': return 'return;';
      case 'forMap': {
        const m = this.someMap((x) => x.keys.length > 0);
        return m ? `for ($kv : ${m.name}) { print($kv.0); }` : 'return;';
      }
      case 'call': return `${this.r.pick([() => this.hasKey(), () => this.int(1).t])()};`;
    }
  }

  private mapName(): string {
    const r = this.r;
    if (r.chance(0.1)) return '@';
    return r.pick(['@a', '@b', '@c', '@d', '@e', '@f', '@g', '@bytes', '@count_by_comm', '@start', '@x', '@latency_ns']);
  }

  private someMap(ok: (m: MapModel) => boolean): MapModel | undefined {
    const all = [...this.maps.values()].filter(ok);
    return all.length ? this.r.pick(all) : undefined;
  }

  /** `@m[k1, k2]` for a map with these key types. */
  private mapRef(m: MapModel, depth: number): string {
    if (m.keys.length === 0) return m.name;
    return `${m.name}[${m.keys.map((k) => this.ofType(k, depth).t).join(', ')}]`;
  }

  private newKeys(): VT[] {
    const r = this.r;
    const n = r.weighted([[3, 0], [5, 1], [2, 2], [0.5, 3]] as const);
    return Array.from({ length: n }, () => r.weighted([
      [6, INT], [3, { k: 'str', size: 16 } as VT], [0.7, { k: 'tuple', elems: [INT, { k: 'str', size: 16 }] } as VT], [0.3, INET],
    ] as const));
  }

  /** A map to assign a plain value to: an existing one, or a new one (registered after its statement). */
  private plainMap(): { m: MapModel; isNew: boolean } {
    const existing = this.someMap((m) => !isAgg(m.value));
    if (existing && this.r.chance(0.6)) return { m: existing, isNew: false };
    for (let i = 0; i < 4; i++) {
      const name = this.mapName();
      if (!this.maps.has(name)) return { m: { name, keys: this.newKeys(), value: this.newValueType() }, isNew: true };
    }
    return existing ? { m: existing, isNew: false } : { m: { name: `@m${this.maps.size}`, keys: [], value: INT }, isNew: true };
  }

  /** A new map becomes known only after the statement that assigns it (its keys cannot read it). */
  private register(m: MapModel): void {
    this.maps.set(m.name, m);
    this.maybeDeclare(m);
  }

  private newValueType(): VT {
    return this.r.weighted([
      [7, INT], [2, { k: 'str', size: 16 } as VT], [1, { k: 'tuple', elems: [INT, { k: 'str', size: 16 }] } as VT],
      [0.5, { k: 'tuple', elems: [INT, INT, INT] } as VT], [0.3, INET], [0.2, { k: 'tuple', elems: [INET, INT] } as VT],
    ] as const);
  }

  private maybeDeclare(m: MapModel): void {
    if (m.name === '@' || !this.r.chance(0.12)) return;
    const r = this.r;
    const size = r.pick(['', '100', '10240', '1_000', '0x100', '1e3']);
    const kinds = isAgg(m.value) ? ['hash', 'lruhash', 'percpuhash', 'percpulruhash'] : ['hash', 'lruhash'];
    this.declared.set(m.name, `${r.pick(kinds)}(${size})`);
  }

  private mapAssign(): string {
    const { m, isNew } = this.plainMap();
    const text = `${this.mapRef(m, 1)} = ${this.ofType(m.value as VT, 2).t};`;
    if (isNew) this.register(m);
    return text;
  }

  private aggregate(): string {
    const r = this.r;
    let m = this.someMap((x) => isAgg(x.value));
    if (!m || r.chance(0.4)) {
      for (let i = 0; i < 4; i++) {
        const name = this.mapName();
        if (this.maps.has(name)) continue;
        const agg: AggKind = r.pick(['count', 'count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'hist', 'lhist']);
        let shape = '';
        if (agg === 'hist' && r.chance(0.5)) shape = `, ${r.range(0, 5)}`;
        if (agg === 'lhist') {
          const min = r.pick([0, 0, 10, 100]);
          const step = r.pick([1, 5, 10, 100]);
          const max = min + step * r.range(1, 50);
          shape = `, ${min}, ${max}, ${step}`;
        }
        const created: MapModel = { name, keys: this.newKeys(), value: { agg, shape } };
        const text = this.aggregateInto(created);
        this.register(created);
        return text;
      }
    }
    return m && isAgg(m.value) ? this.aggregateInto(m) : this.mapAssign();
  }

  private aggregateInto(m: MapModel): string {
    const { agg, shape } = m.value as Agg;
    const arg = agg === 'count' ? '' : this.int(2).t;
    return `${this.mapRef(m, 1)} = ${agg}(${arg}${shape});`;
  }

  private varName(): string {
    return this.r.pick(['$x', '$y', '$z', '$i', '$n', '$s', '$t', '$p', '$sum', '$name', '$tmp', '$a1']);
  }

  private lookup(name: string): { found: boolean; type: VT | undefined; scope: Scope | undefined } {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = this.scopes[i]!;
      if (s.vars.has(name)) return { found: true, type: s.vars.get(name), scope: s };
    }
    return { found: false, type: undefined, scope: undefined };
  }

  private visibleVars(ok: (t: VT) => boolean): [string, VT][] {
    const seen = new Set<string>();
    const out: [string, VT][] = [];
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      for (const [name, t] of this.scopes[i]!.vars) {
        if (seen.has(name)) continue;
        seen.add(name);
        if (t && ok(t)) out.push([name, t]);
      }
    }
    return out;
  }

  private newVarType(): VT {
    const r = this.r;
    const canStr = this.budget.strVars > 0;
    const t = r.weighted([
      [8, INT], [canStr ? 3 : 0, { k: 'str', size: 16 } as VT], [canStr ? 1 : 0, { k: 'tuple', elems: [INT, { k: 'str', size: 16 }] } as VT],
      [1, { k: 'tuple', elems: [INT, INT] } as VT], [this.probeTasks().length ? 1.5 : 0, { k: 'int', ptr: 'task' } as VT],
      [this.probe.socks.length ? 1.5 : 0, { k: 'int', ptr: 'sock' } as VT],
    ] as const);
    if (t.k !== 'int') this.budget.strVars--;
    return t;
  }

  private varAssign(): string {
    const name = this.varName();
    const { found, type, scope } = this.lookup(name);
    if (found && type) return `${name} = ${this.ofType(type, 2).t};`;
    // The checker types the value before the assignment declares the variable (for the whole probe).
    const t = this.newVarType();
    const value = this.ofType(t, 2).t;
    (scope ?? this.scopes[0]!).vars.set(name, t);
    return `${name} = ${value};`;
  }

  private letStmt(): string {
    const r = this.r;
    const current = this.scopes[this.scopes.length - 1]!;
    let name = this.varName();
    for (let i = 0; i < 4 && current.vars.has(name); i++) name = this.varName();
    if (current.vars.has(name)) return this.varAssign();
    const form = r.weighted([[3, 'typed'], [3, 'value'], [1, 'bare'], [1, 'string'], [this.probeTasks().length ? 1 : 0, 'ptr']] as const);
    let text: string;
    let t: VT | undefined;
    switch (form) {
      case 'typed':
        t = INT;
        text = `let ${name}: ${r.pick(LET_TYPES)} = ${this.int(2).t};`;
        break;
      case 'value':
        t = this.newVarType();
        text = `let ${name} = ${this.ofType(t, 2).t};`;
        break;
      case 'bare':
        t = undefined;
        text = `let ${name};`;
        break;
      case 'string':
        if (this.budget.strVars-- <= 0) return this.varAssign();
        t = { k: 'str', size: this.maxStrlen };
        text = `let ${name}: string = ${this.str(2).t};`;
        break;
      case 'ptr':
        t = { k: 'int', ptr: 'task' };
        text = `let ${name}: struct task_struct * = ${this.taskPtr(1).t};`;
        break;
    }
    current.vars.set(name, t);
    return text;
  }

  /**
   * The right operand of `op`: a constant shift stays within 0..63 and a constant divisor is not 0
   * (both are errors); anything computed at run time goes.
   */
  private rightOperand(op: string, depth: number): E {
    const r = this.r;
    if (op === '<<' || op === '>>') return r.chance(0.7) ? { t: String(r.range(0, 63)), p: PRIMARY } : this.nonConstant(depth);
    if (op === '/' || op === '%') return r.chance(0.5) ? { t: String(r.range(1, 1000)), p: PRIMARY } : this.nonConstant(depth);
    return this.int(depth);
  }

  /** An integer expression that is not a compile-time constant. */
  private nonConstant(depth: number): E {
    const r = this.r;
    const vars = this.visibleVars((t) => t.k === 'int' && !t.ptr);
    if (vars.length && r.chance(0.4)) return { t: r.pick(vars)[0], p: PRIMARY };
    if (this.probe.ints.length && r.chance(0.4)) return { t: r.pick(this.probe.ints), p: PRIMARY };
    const e = this.int(depth);
    return /^[\d(]|true|false|\$[#13]/.test(e.t) || /^[-~!]/.test(e.t) ? { t: r.pick(BUILTIN_INTS), p: PRIMARY } : e;
  }

  private compound(): string {
    const r = this.r;
    const op = r.pick(['+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);
    const value = () => this.rightOperand(op.slice(0, -1), 2).t;
    const vars = this.visibleVars((t) => t.k === 'int' && !t.ptr);
    if (vars.length && r.chance(0.5)) return `${r.pick(vars)[0]} ${op} ${value()};`;
    const m = this.someMap((x) => !isAgg(x.value) && (x.value as VT).k === 'int');
    if (m) return `${this.mapRef(m, 1)} ${op} ${value()};`;
    const name = this.mapName();
    if (this.maps.has(name)) return this.mapAssign();
    // A compound assignment to a new map makes it an integer map.
    const nm: MapModel = { name, keys: r.chance(0.5) ? [] : [INT], value: INT };
    const text = `${this.mapRef(nm, 1)} ${op} ${value()};`;
    this.register(nm);
    return text;
  }

  private incDecStmt(): string {
    const r = this.r;
    const op = r.pick(['++', '--']);
    const prefix = r.chance(0.4);
    let target: string;
    const vars = this.visibleVars((t) => t.k === 'int');
    const intMap = this.someMap((x) => !isAgg(x.value) && (x.value as VT).k === 'int');
    if (vars.length && r.chance(0.5)) target = r.pick(vars)[0];
    else if (intMap && r.chance(0.6)) target = this.mapRef(intMap, 1);
    else {
      const name = this.varName();
      const found = this.lookup(name);
      if (found.found) {
        if (found.type?.k !== 'int') return this.varAssign();
      } else this.scopes[0]!.vars.set(name, INT);
      target = name;
    }
    return prefix ? `${op}${target};` : `${target}${op};`;
  }

  private printf(): string {
    const r = this.r;
    const n = r.weighted([[2, 0], [4, 1], [3, 2], [2, 3], [0.5, 5]] as const);
    let fmt = r.pick(['', 'value: ', '[', 'pid=', '%% ']);
    const args: string[] = [];
    for (let i = 0; i < n; i++) {
      const kind = r.weighted([[6, 'int'], [3, 'str'], [0.5, 'ntop'], [0.5, 'lit']] as const);
      switch (kind) {
        case 'int':
          fmt += r.pick(['%d', '%u', '%x', '%5d', '%-8d', '%08x', '%lu', '%lld', '%#x', '%i', '%o', '%X', '%c', '%p', '%+d', '%hhu', '%zu']);
          args.push(this.int(2).t);
          break;
        case 'str':
          fmt += r.pick(['%s', '%-16s', '%10s', '%.3s']);
          args.push(this.str(2).t);
          break;
        case 'lit':
          fmt += r.pick(['%s', '%d']);
          args.push(fmt.endsWith('%s') ? `"${r.pick(WORDS)}"` : String(r.range(0, 1000)));
          break;
        case 'ntop':
          fmt += '%s';
          args.push(this.inet().t);
          break;
      }
      fmt += r.pick([' ', ', ', '\\t', ':', '']);
    }
    fmt += r.pick(['\\n', '\\n', '', '\\r\\n']);
    return `printf("${fmt}"${args.map((a) => `, ${a}`).join('')});`;
  }

  private ntop(): string {
    const r = this.r;
    const arrays = this.probe.arrays;
    if (arrays.length && r.chance(0.6)) {
      const [a] = r.pick(arrays);
      return r.chance(0.3) ? `ntop(${r.pick(['2', '10'])}, ${a})` : `ntop(${a})`;
    }
    const socks = this.probe.socks;
    if (socks.length && r.chance(0.5)) {
      const s = r.pick(socks);
      return r.pick([`ntop(${s}->__sk_common.skc_daddr)`, `ntop(${s}->__sk_common.skc_v6_daddr.in6_u.u6_addr8)`, `ntop(10, ${s}->__sk_common.skc_v6_daddr.in6_u.u6_addr8)`]);
    }
    return `ntop(${this.int(3).t})`;
  }

  /** An ntop() value: from a variable or a map holding one, or a call. */
  private inet(): E {
    const r = this.r;
    const vars = this.visibleVars((t) => t.k === 'inet');
    if (vars.length && r.chance(0.4)) return { t: r.pick(vars)[0], p: PRIMARY };
    const m = this.someMap((x) => !isAgg(x.value) && (x.value as VT).k === 'inet');
    if (m && r.chance(0.3)) return { t: this.mapRef(m, 3), p: PRIMARY };
    return { t: this.ntop(), p: PRIMARY };
  }

  private printStmt(): string {
    const r = this.r;
    const m = this.someMap(() => true);
    if (m && r.chance(0.6)) {
      return r.pick([`print(${m.name});`, `print(${m.name}, ${r.range(1, 20)});`, `print(${m.name}, ${r.range(1, 20)}, ${r.pick([1, 2, 1000])});`]);
    }
    const t = r.weighted([[3, INT], [2, { k: 'str', size: 16 } as VT], [1, { k: 'tuple', elems: [INT, { k: 'str', size: 16 }] } as VT]] as const);
    return `print(${this.ofType(t, 2).t});`;
  }

  private mapAction(): string {
    const m = this.someMap(() => true);
    return m ? `${this.r.pick(['clear', 'zero'])}(${m.name});` : this.printf();
  }

  private deleteStmt(): string {
    const r = this.r;
    const m = this.someMap((x) => !isAgg(x.value) || r.chance(0.5));
    if (!m) return this.mapAssign();
    if (m.keys.length === 0) return `delete(${m.name});`;
    if (r.chance(0.5)) return `delete(${this.mapRef(m, 1)});`;
    return `${this.entryCall('delete', m)};`;
  }

  /** The key of `has_key(@m, key)` / `delete(@m, key)`: one key part, or a tuple of them. */
  private keyArg(m: MapModel): string {
    const parts = m.keys.map((k) => this.ofType(k, 2).t);
    return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
  }

  /** `f(@m, key)`, or `f(@m[key])` when the one key is a tuple (a tuple argument means several keys). */
  private entryCall(f: string, m: MapModel): string {
    if (m.keys.length === 1 && m.keys[0]!.k === 'tuple') return `${f}(${this.mapRef(m, 1)})`;
    return `${f}(${m.name}, ${this.keyArg(m)})`;
  }

  private hasKey(): string {
    const m = this.someMap((x) => x.keys.length > 0);
    if (!m) return '0';
    // has_key() is a bool, which does not mix with the integers the generator puts it among.
    return `(int64)${this.entryCall('has_key', m)}`;
  }

  private ifStmt(chain: number): string {
    const r = this.r;
    const cond = this.int(2).t;
    let text = `if (${cond}) ${this.nested(() => this.statements(r.range(1, 3)))}`;
    if (r.chance(0.4)) {
      const elseIf = chain < 3 && r.chance(0.4);
      text += ` else ${elseIf ? this.ifStmt(chain + 1) : this.nested(() => this.statements(r.range(1, 3)))}`;
    }
    return text;
  }

  private loop(body: () => string[]): string {
    this.loops++;
    try {
      return this.nested(body);
    } finally {
      this.loops--;
    }
  }

  private whileStmt(): string {
    const r = this.r;
    const vars = this.visibleVars((t) => t.k === 'int' && !t.ptr);
    if (vars.length && r.chance(0.7)) {
      const [v] = r.pick(vars);
      return `while (${v} < ${r.range(1, 20)}) ${this.loop(() => [...this.statements(r.range(0, 2)), `${v}++;`])}`;
    }
    return `while (${this.int(2).t}) ${this.loop(() => [...this.statements(r.range(1, 2)), 'break;'])}`;
  }

  private forStmt(): string {
    const r = this.r;
    const name = r.pick(['$i', '$j', '$k', '$idx']);
    const from = r.pick(['0', '1', '-1', '$#', String(r.range(0, 5)), '$1']);
    const to = r.pick(['10', '5', '$3', 'ncpus', '(2 + 3)', '$#', String(r.range(0, 30))]);
    // The loop variable lives in its own scope around the body.
    const scope = new Scope();
    scope.vars.set(name, INT);
    this.scopes.push(scope);
    this.loops++;
    try {
      return `for (${name} : ${from}..${to}) ${this.nested(() => this.statements(r.range(1, 3)))}`;
    } finally {
      this.loops--;
      this.scopes.pop();
    }
  }

  private unrollStmt(): string {
    const r = this.r;
    // Nested unrolls multiply: at most 100 copies of the innermost body.
    const room = Math.max(1, Math.floor(100 / this.budget.unrolled));
    const n = Math.min(room, r.weighted([[5, r.range(1, 4)], [2, r.range(5, 8)], [0.2, 100]] as const));
    const saved = this.budget.unrolled;
    this.budget.unrolled *= n;
    // Unrolled bodies are copied n times: keep them short.
    const savedStmts = this.budget.stmts;
    this.budget.stmts = Math.min(this.budget.stmts, n > 8 ? 1 : 3);
    try {
      // A constant expression now and then: the count only has to fold to a constant.
      const count = n === 4 && r.chance(0.3) ? '(2 * 2)' : n === 1 && r.chance(0.3) ? '$# - 2' : String(n);
      return `unroll (${count}) ${this.nested(() => this.statements(r.range(1, 2)))}`;
    } finally {
      this.budget.unrolled = saved;
      this.budget.stmts = Math.max(0, savedStmts - 2);
    }
  }

  // ------------------------------------------------------------------------------------- expressions

  private wrap(e: E, maxPrec: number): string {
    return e.p > maxPrec || this.r.chance(0.03) ? `(${e.t})` : e.t;
  }

  private ofType(t: VT, depth: number): E {
    switch (t.k) {
      case 'int': return t.ptr ? (t.ptr === 'task' ? this.taskPtr(depth) : t.ptr === 'sock' ? this.sockPtr() : this.int(depth)) : this.int(depth);
      case 'str': return this.str(depth);
      case 'inet': return this.inet();
      case 'tuple': return this.tuple(t, depth);
    }
  }

  private tuple(t: VT & { k: 'tuple' }, depth: number): E {
    const r = this.r;
    const vars = this.visibleVars((v) => sameShape(v, t));
    if (vars.length && r.chance(0.4)) return { t: r.pick(vars)[0], p: PRIMARY };
    const maps = this.someMap((m) => !isAgg(m.value) && sameShape(m.value as VT, t));
    if (maps && r.chance(0.2)) return { t: this.mapRef(maps, depth + 1), p: PRIMARY };
    if (depth < 3 && r.chance(0.1)) {
      return { t: `${this.wrap(this.int(depth + 1), 12)} ? ${this.wrap(this.tuple(t, depth + 1), 12)} : ${this.wrap(this.tuple(t, depth + 1), TERNARY)}`, p: TERNARY };
    }
    return { t: `(${t.elems.map((e) => this.ofType(e, depth + 1).t).join(', ')}${t.elems.length === 1 ? ',' : ''})`, p: PRIMARY };
  }

  private probeTasks(): string[] {
    return [...this.probe.tasks, '((struct task_struct *)curtask)'];
  }

  private taskPtr(depth: number): E {
    const r = this.r;
    const vars = this.visibleVars((t) => t.k === 'int' && t.ptr === 'task');
    if (vars.length && r.chance(0.5)) return { t: r.pick(vars)[0], p: PRIMARY };
    const base = r.pick(this.probeTasks());
    if (r.chance(0.3) && depth < 4) return { t: `${this.wrap(this.taskPtr(depth + 1), PRIMARY)}->${r.pick(['parent', 'real_parent', 'group_leader'])}`, p: PRIMARY };
    // Without its outer parentheses, a cast binds like a unary operator.
    return r.chance(0.2) && base.startsWith('((') ? { t: base.slice(1, -1), p: UNARY } : { t: base, p: PRIMARY };
  }

  private sockPtr(): E {
    const r = this.r;
    const vars = this.visibleVars((t) => t.k === 'int' && t.ptr === 'sock');
    if (vars.length && r.chance(0.5)) return { t: r.pick(vars)[0], p: PRIMARY };
    return { t: r.pick(this.probe.socks.length ? this.probe.socks : ['((struct sock *)curtask)']), p: PRIMARY };
  }

  /** An integer read through kernel pointers. */
  private kernelInt(depth: number): E | undefined {
    const r = this.r;
    const which = r.weighted([[2, 'task'], [this.probe.socks.length ? 2 : 0, 'sock']] as const);
    if (which === 'task') {
      const p = this.wrap(this.taskPtr(depth + 1), PRIMARY);
      return {
        t: r.pick([`${p}->pid`, `${p}->tgid`, `${p}->flags`, `${p}->prio`, `${p}->start_time`, `((uint64)${p}->tasks.next)`,
          `((uint64)${p}->children.prev->next)`, `((uint64)${p}->mm)`, `${p}->parent->pid`]),
        p: PRIMARY,
      };
    }
    const s = this.wrap(this.sockPtr(), PRIMARY);
    return {
      t: r.pick([`${s}->__sk_common.skc_dport`, `${s}->__sk_common.skc_daddr`, `${s}->__sk_common.skc_family`, `${s}->sk_max_ack_backlog`,
        `${s}->__sk_common.skc_num`, `${s}->sk_state_enum`, `${s}->sk_dead`, `${s}->__sk_common.skc_reuse`, `${s}->__sk_common.skc_state`,
        `${s}->__sk_common.skc_v6_daddr.in6_u.u6_addr8[${r.range(0, 15)}]`, `${s}->__sk_common.skc_v6_daddr.in6_u.u6_addr32[${r.range(0, 3)}]`,
        `${s}->sk_rcvbuf`, `((uint64)${s}->__sk_common.skc_node.next)`]),
      p: PRIMARY,
    };
  }

  private literal(): E {
    const r = this.r;
    const text = r.weighted([
      [6, String(r.range(0, 100))], [2, String(r.range(0, 1_000_000))], [1, `0x${r.range(0, 0xffff).toString(16)}`], [0.5, `0${r.range(0, 511).toString(8)}`],
      [0.5, '1_000'], [0.5, `${r.range(1, 9)}e${r.range(0, 6)}`], [0.3, '10UL'], [0.3, '7ULL'], [0.5, r.pick(['5ms', '2s', '100us', '3ns', '1m'])],
      [0.3, '18446744073709551615'], [0.3, '0xffffffff'], [0.3, '9223372036854775807'], [0.5, '(int64)true'], [0.5, '(int64)false'], [0.3, '0'],
    ] as const);
    return { t: text, p: PRIMARY };
  }

  int(depth: number): E {
    const r = this.r;
    const leaf = depth >= 4;
    const vars = this.visibleVars((t) => t.k === 'int' && !t.ptr);
    const intMaps = this.someMap((m) => !isAgg(m.value) && (m.value as VT).k === 'int');
    const tupleInt = this.visibleVars((t) => t.k === 'tuple' && t.elems.some((e) => e.k === 'int'));
    const choice = r.weighted([
      [4, 'lit'], [4, 'builtin'], [this.probe.ints.length ? 4 : 0, 'probe'], [vars.length ? 5 : 0, 'var'], [intMaps ? 2 : 0, 'map'],
      [0.6, 'positional'], [leaf ? 0 : 3, 'binary'], [leaf ? 0 : 1.5, 'unary'], [leaf ? 0 : 0.8, 'ternary'], [leaf ? 0 : 1.2, 'cast'],
      [leaf ? 0 : 1, 'strcmp'], [leaf ? 0 : 0.4, 'haskey'], [0.4, 'sizeof'], [0.2, 'offsetof'], [vars.length && !this.filter ? 0.4 : 0, 'incdec'],
      [leaf ? 0 : 0.5, 'swap'], [tupleInt.length ? 0.8 : 0, 'tupleElem'], [leaf ? 0 : 1, 'kernel'], [this.probe.arrays.length ? 0.8 : 0, 'array'],
      [leaf ? 0 : 0.3, 'ptrIndex'],
    ] as const);
    switch (choice) {
      case 'lit': return this.literal();
      case 'builtin': return { t: this.flags.cpid && r.chance(0.1) ? 'cpid' : r.pick(BUILTIN_INTS), p: PRIMARY };
      case 'probe': return { t: r.pick(this.probe.ints), p: PRIMARY };
      case 'var': return { t: r.pick(vars)[0], p: PRIMARY };
      case 'map': return { t: this.mapRef(intMaps!, depth + 1), p: PRIMARY };
      case 'positional': return { t: r.pick(['$1', '$3', '$#']), p: PRIMARY };
      case 'binary': {
        const op = r.pick(Object.keys(BINARY));
        const p = BINARY[op]!;
        const left = this.wrap(this.int(depth + 1), p);
        const right = this.wrap(this.rightOperand(op, depth + 1), p - 1);
        const text = `${left} ${op} ${right}`;
        // In a filter, the first `/` outside parentheses ends it.
        if (this.filter && op === '/') return { t: `(${text})`, p: PRIMARY };
        return { t: text, p };
      }
      case 'unary': {
        const op = r.pick(['!', '-', '~']);
        const operand = this.wrap(this.int(depth + 1), UNARY);
        return { t: `${op}${operand.startsWith('-') || (op === '-' && operand.startsWith('-')) ? ' ' : ''}${operand}`, p: UNARY };
      }
      case 'ternary': {
        const c = this.wrap(this.int(depth + 1), 12);
        return { t: `${c} ? ${this.wrap(this.int(depth + 1), 12)} : ${this.wrap(this.int(depth + 1), TERNARY)}`, p: TERNARY };
      }
      case 'cast': {
        const operand = this.wrap(this.int(depth + 1), UNARY);
        return { t: `(${r.pick(INT_CASTS)})${operand}`, p: UNARY };
      }
      case 'strcmp': {
        const op = r.pick(['==', '!=']);
        return { t: `${this.wrap(this.str(depth + 1), BINARY[op]!)} ${op} ${this.wrap(this.str(depth + 1), BINARY[op]! - 1)}`, p: BINARY[op]! };
      }
      case 'haskey': return { t: this.hasKey(), p: PRIMARY };
      case 'sizeof': {
        const what = r.pick(['uint32', 'int8', 'u64', 'struct task_struct', 'struct sock', 'struct sock *', 'uint8[4]', 'char']);
        if (r.chance(0.3)) return { t: `sizeof(${this.int(depth + 1).t})`, p: PRIMARY };
        return { t: `sizeof(${what})`, p: PRIMARY };
      }
      case 'offsetof':
        return { t: r.pick(['offsetof(struct sock, sk_max_ack_backlog)', 'offsetof(struct sock, __sk_common.skc_dport)',
          'offsetof(struct task_struct, comm)', 'offsetof(struct sock, __sk_common.skc_daddr)', 'offsetof(struct list_head, prev)']), p: PRIMARY };
      case 'incdec': {
        const [v] = r.pick(vars);
        const op = r.pick(['++', '--']);
        return r.chance(0.5) ? { t: `${v}${op}`, p: PRIMARY } : { t: `${op}${v}`, p: UNARY };
      }
      case 'swap': return { t: `${r.pick(['ntohs', 'ntohl', 'htons', 'htonl', 'bswap'])}(${this.int(depth + 1).t})`, p: PRIMARY };
      case 'tupleElem': {
        const [v, t] = r.pick(tupleInt);
        const elems = (t as VT & { k: 'tuple' }).elems;
        const idx = elems.findIndex((e) => e.k === 'int');
        return { t: `${v}.${idx}`, p: PRIMARY };
      }
      case 'kernel': return this.kernelInt(depth) ?? this.literal();
      case 'array': {
        const [a, n] = r.pick(this.probe.arrays);
        return { t: `${a}[${r.chance(0.8) ? r.range(0, n - 1) : this.int(depth + 1).t}]`, p: PRIMARY };
      }
      case 'ptrIndex': {
        const base = this.probe.ptrs.length ? r.pick(this.probe.ptrs) : 'curtask';
        return { t: `((${r.pick(['uint32', 'uint8', 'int64', 'u16'])} *)${base})[${r.range(0, 7)}]`, p: PRIMARY };
      }
    }
  }

  str(depth: number): E {
    const r = this.r;
    const leaf = depth >= 4;
    const vars = this.visibleVars((t) => t.k === 'str');
    const strMaps = this.someMap((m) => !isAgg(m.value) && (m.value as VT).k === 'str');
    const tupleStr = this.visibleVars((t) => t.k === 'tuple' && t.elems.some((e) => e.k === 'str'));
    const choice = r.weighted([
      [4, 'lit'], [3, 'comm'], [this.probe.strs.length ? 3 : 0, 'probe'], [vars.length ? 4 : 0, 'var'], [strMaps ? 1.5 : 0, 'map'],
      [this.probe.ptrs.length ? 2 : 0, 'str'], [0.5, 'positional'], [leaf ? 0 : 0.6, 'ternary'], [0.4, 'probeName'],
      [tupleStr.length ? 0.6 : 0, 'tupleElem'], [leaf ? 0 : 0.6, 'taskComm'],
    ] as const);
    switch (choice) {
      case 'lit': return { t: `"${r.pick(WORDS)}"`, p: PRIMARY };
      case 'comm': return { t: 'comm', p: PRIMARY };
      case 'probe': return { t: r.pick(this.probe.strs), p: PRIMARY };
      case 'var': return { t: r.pick(vars)[0], p: PRIMARY };
      case 'map': return { t: this.mapRef(strMaps!, depth + 1), p: PRIMARY };
      case 'str': {
        const p = r.pick(this.probe.ptrs);
        return { t: r.chance(0.4) ? `str(${p}, ${r.pick([1, 8, 16, 32])})` : `str(${p})`, p: PRIMARY };
      }
      case 'positional': return { t: r.pick(['str($2)', 'str($1)']), p: PRIMARY };
      case 'ternary': {
        const c = this.wrap(this.int(depth + 1), 12);
        return { t: `${c} ? ${this.wrap(this.str(depth + 1), 12)} : ${this.wrap(this.str(depth + 1), TERNARY)}`, p: TERNARY };
      }
      case 'probeName': return { t: 'probe', p: PRIMARY };
      case 'tupleElem': {
        const [v, t] = r.pick(tupleStr);
        const idx = (t as VT & { k: 'tuple' }).elems.findIndex((e) => e.k === 'str');
        return { t: `${v}.${idx}`, p: PRIMARY };
      }
      case 'taskComm': return { t: `${this.wrap(this.taskPtr(depth + 1), PRIMARY)}->comm`, p: PRIMARY };
    }
  }
}

export interface GenerateFlags {
  /** The program is compiled with -c, so `cpid` is available. */
  cpid?: boolean;
}

/** One valid program from the generator. */
export function generateProgram(r: Random, flags: GenerateFlags = {}): string {
  return new ProgramGenerator(r, flags).program();
}

