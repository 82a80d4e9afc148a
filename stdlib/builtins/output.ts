// Output: printf, print, time, cat and exit all write one record to the event ring buffer
// ({u64 id, values...}); format strings and everything constant stay in user space, which formats the
// record (ply's and bpftrace's design).

import type { Call, Expr } from '../../grammar/ast.ts';
import { Helper } from '../../compiler/bpf/helpers.ts';
import type { BuiltinFunction, Checker, Lowerer } from '../../compiler/registry.ts';
import { type Type, typeName, voidType } from '../../compiler/types/types.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import { parsePrintfFormat } from '../../grammar/printf-format.ts';

/** Write the planned values of an event into the reserved record. */
function lowerEvent(call: Call, l: Lowerer): void {
  const plan = l.eventFor(call);
  l.emitEvent(plan.id, plan.size, (record) => {
    // Unpadded: user space reads each string up to its NUL.
    for (const arg of plan.args) if (!('constant' in arg)) l.writeInto(arg.expr, record, arg.offset, arg.size, false);
  });
}

/**
 * What %s prints: strings and what user space turns into text (addresses, stacks, symbols, times,
 * user names), an enum's value by name (bpftrace), and structs, arrays and tuples as print() shows them.
 */
const STRING_LIKE: string[] = ['string', 'inet', 'stack', 'symbol', 'timestamp', 'username', 'kstruct', 'array', 'tuple', 'record'];
function printsAsText(t: Type): boolean {
  if (t.kind === 'int') return t.enum !== undefined && t.pointee === undefined;
  return STRING_LIKE.includes(t.kind);
}

/** Check a format string literal and that the arguments fit its conversions. */
function checkFormat(name: string, call: Call, c: Checker, fmt: Expr | undefined, args: Expr[]): string | undefined {
  if (!fmt || fmt.kind !== 'Str') {
    c.error(`\`${name}()\` needs a format string literal first`, fmt?.span ?? call.span, `e.g. ${name}("%d\\n", pid)`);
    return undefined;
  }
  const parsed = parsePrintfFormat(fmt.value);
  if (!parsed.ok) {
    c.error(parsed.error.message, fmt.span, parsed.error.hint ?? 'conversions: %d %i %u %x %X %o %c %p %s %r %%');
    return undefined;
  }
  const kinds = parsed.format.conversions.map((conv) => conv.argKind);
  if (kinds.length !== args.length) {
    c.error(`the format has ${kinds.length} conversion${kinds.length === 1 ? '' : 's'} but ${args.length} argument${args.length === 1 ? ' is' : 's are'} given`,
      args.length > kinds.length ? args[kinds.length]!.span : call.span);
    return undefined;
  }
  kinds.forEach((kind, i) => {
    const arg = args[i]!;
    const t = c.typeOf(arg);
    if (t.kind === 'void') return;
    const conv = parsed.format.conversions[i]!.conversion;
    if (kind === 'buffer') {
      if (t.kind !== 'buffer') c.error(`conversion ${i + 1} (%${conv}) expects a buf() value, but this is ${typeName(t)}`, arg.span, t.kind === 'int' ? 'use %d for integers' : 'use %s for strings');
      return;
    }
    if (t.kind === 'buffer') {
      c.error(`conversion ${i + 1} (%${conv}) cannot print a buf() value`, arg.span, 'print buffers with %r (or %rx, %rh)');
      return;
    }
    if (kind === 'string' && !printsAsText(t)) c.error(`conversion ${i + 1} (%s) expects a string, but this is ${typeName(t)}`, arg.span, 'use %d for integers');
    if (kind !== 'string' && t.kind !== 'int') c.error(`conversion ${i + 1} expects an integer, but this is ${typeName(t)}`, arg.span, 'use %s for strings');
  });
  return fmt.value;
}

export const printf: BuiltinFunction = {
  name: 'printf', signature: 'printf(string fmt, ...)', role: 'statement',
  summary: 'prints a formatted line, with as many arguments as the format has',
  check(call, c) {
    const [fmt, ...args] = call.args;
    checkFormat('printf', call, c, fmt, args);
    return voidType;
  },
  planEvent(call, p) {
    const [fmt, ...args] = call.args;
    const { args: layout, plans, size } = p.layout(args);
    return { spec: { kind: 'printf', format: fmt?.kind === 'Str' ? fmt.value : '', args: layout, size }, plans };
  },
  lowerStatement: lowerEvent,
};

export const cat: BuiltinFunction = {
  name: 'cat', signature: 'cat(string fmt, ...)', role: 'statement',
  summary: 'prints the contents of the file whose path the format gives',
  check(call, c) {
    const [fmt, ...args] = call.args;
    checkFormat('cat', call, c, fmt, args);
    return voidType;
  },
  planEvent(call, p) {
    const [fmt, ...args] = call.args;
    const { args: layout, plans, size } = p.layout(args);
    return { spec: { kind: 'cat', format: fmt?.kind === 'Str' ? fmt.value : '', args: layout, size }, plans };
  },
  lowerStatement: lowerEvent,
};

export const time: BuiltinFunction = {
  name: 'time', signature: 'time([string fmt])', role: 'statement',
  summary: 'prints the current local time (strftime format, default "%H:%M:%S\\n")',
  check(call, c) {
    const [fmt] = call.args;
    if (call.args.length > 1 || (fmt && fmt.kind !== 'Str')) c.error('`time()` takes one optional format string literal', call.span);
    return voidType;
  },
  planEvent(call) {
    const [fmt] = call.args;
    return { spec: { kind: 'time', format: fmt?.kind === 'Str' ? fmt.value : '%H:%M:%S\n', size: 8 }, plans: [] };
  },
  lowerStatement: lowerEvent,
};

export const exit: BuiltinFunction = {
  name: 'exit', signature: 'exit([int code])', role: 'statement',
  summary: 'stops tracing: END runs, the maps print, tsbt exits (with the code given)',
  check(call, c) {
    if (call.args.length > 1) c.error('`exit()` takes at most one argument, the exit code', call.args[1]!.span);
    const [code] = call.args;
    if (code && c.typeOf(code).kind !== 'int') c.error('the exit code must be an integer', code.span);
    return voidType;
  },
  planEvent(call, p) {
    const { args, plans, size } = p.layout(call.args.slice(0, 1));
    return { spec: args[0] ? { kind: 'exit', code: args[0], size } : { kind: 'exit', size }, plans };
  },
  lowerStatement(call, l) {
    l.setExiting();
    lowerEvent(call, l);
    l.returnFromProbe();
  },
};

/** Values print(value) prints on a line of their own. */
const PRINTABLE: string[] = ['int', 'string', 'tuple', 'void', 'buffer', ...STRING_LIKE];

export const print: BuiltinFunction = {
  name: 'print', signature: 'print(@map[, int top[, int div]]) | print(value)', role: 'statement', rawArgs: true,
  summary: 'prints a whole map now (optionally its top entries, values divided), or one value',
  check(call, c) {
    const [what, top, div] = call.args;
    if (!what || call.args.length > 3) {
      c.error('`print()` takes a map (and optional top and div) or one value', call.span);
      return voidType;
    }
    if (what.kind === 'Map' && what.keys.length === 0) {
      c.mapKeys(what);
      for (const n of [top, div]) {
        if (!n) continue;
        c.expr(n);
        if (c.constantOf(n) === undefined) c.error('`top` and `div` must be constant integers', n.span);
      }
      return voidType;
    }
    if (call.args.length > 1) c.error('`print(value)` takes one value; top and div go with a map', call.args[1]!.span);
    const t = c.expr(what);
    if (!PRINTABLE.includes(t.kind)) c.error(`cannot print ${typeName(t)}`, what.span);
    return voidType;
  },
  planEvent(call, p) {
    const [what, top, div] = call.args;
    if (what!.kind === 'Map' && what!.keys.length === 0) {
      return {
        spec: {
          kind: 'printMap', map: p.kernelMapName(what!.name), size: 8,
          top: top ? Number(p.constantOf(top) ?? 0n) : 0, div: div ? Number(p.constantOf(div) ?? 1n) : 1,
        },
        plans: [],
      };
    }
    const { args, plans, size } = p.layout([what!]);
    return { spec: { kind: 'printValue', value: args[0]!, size }, plans };
  },
  lowerStatement: lowerEvent,
};

function mapAction(name: 'clear' | 'zero', summary: string): BuiltinFunction {
  return {
    name, signature: `${name}(@map)`, role: 'statement', rawArgs: true, summary,
    check(call, c) {
      const [m] = call.args;
      if (call.args.length !== 1 || !m || m.kind !== 'Map' || m.keys.length > 0) {
        c.error(`\`${name}()\` takes one map, written without keys: \`${name}(@m)\``, call.span);
        return voidType;
      }
      c.mapKeys(m);
      return voidType;
    },
    planEvent(call, p) {
      const m = call.args[0]!;
      return { spec: { kind: name === 'clear' ? 'clearMap' : 'zeroMap', map: p.kernelMapName((m as { name: string }).name), size: 8 }, plans: [] };
    },
    lowerStatement: lowerEvent,
  };
}

export const clear = mapAction('clear', 'deletes every entry of a map (done in user space, soon after)');
export const zero = mapAction('zero', 'sets every value of a map to zero (done in user space, soon after)');

export const strftime: BuiltinFunction = {
  name: 'strftime', signature: 'strftime(string fmt, int nsecs)', role: 'value',
  summary: 'a timestamp (nsecs) as local time in strftime format, for printf %s',
  check(call, c) {
    const [fmt, ns] = call.args;
    if (call.args.length !== 2 || fmt?.kind !== 'Str' || !ns || c.typeOf(ns).kind !== 'int') {
      c.error('`strftime()` takes a format string literal and a timestamp in nanoseconds (nsecs)', call.span);
      return { kind: 'timestamp', format: '' };
    }
    return { kind: 'timestamp', format: fmt.value };
  },
  lowerInto(call, l, base, off) {
    l.b.store(8, base, off, l.int(call.args[1]!));
  },
};

export const system: BuiltinFunction = {
  name: 'system', signature: 'system(string fmt, ...)', role: 'statement',
  summary: 'runs a shell command in user space when the event arrives (needs --unsafe)',
  check(call, c) {
    if (!c.unsafe()) c.error('`system()` runs commands on this machine and needs --unsafe', call.calleeSpan, 'run tsbt with --unsafe if you mean it');
    const [fmt, ...args] = call.args;
    checkFormat('system', call, c, fmt, args);
    return voidType;
  },
  planEvent(call, p) {
    const [fmt, ...args] = call.args;
    const { args: layout, plans, size } = p.layout(args);
    return { spec: { kind: 'system', format: fmt?.kind === 'Str' ? fmt.value : '', args: layout, size }, plans };
  },
  lowerStatement: lowerEvent,
};

/** Linux's signal numbers (x86-64 and arm64), for signal("SIGKILL") as bpftrace writes it. */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

export const signal: BuiltinFunction = {
  name: 'signal', signature: 'signal(int sig | string name)', role: 'statement',
  summary: 'sends a signal (a number, or a name like "SIGKILL") to the current process (needs --unsafe)',
  check(call, c) {
    if (!c.unsafe()) c.error('`signal()` acts on traced processes and needs --unsafe', call.calleeSpan, 'run tsbt with --unsafe if you mean it');
    const [sig] = call.args;
    if (call.args.length === 1 && sig?.kind === 'Str') {
      const name = sig.value.toUpperCase();
      if (SIGNALS[name] === undefined && SIGNALS[`SIG${name}`] === undefined) c.error(`unknown signal \`${sig.value}\``, sig.span, 'e.g. "SIGKILL", "SIGUSR1" or a number');
    } else if (call.args.length !== 1 || !sig || c.typeOf(sig).kind !== 'int') c.error('`signal()` takes a signal number or name', call.span);
    return voidType;
  },
  lowerStatement(call, l) {
    const sig = call.args[0]!;
    if (sig.kind === 'Str') {
      const name = sig.value.toUpperCase();
      l.b.call(Helper.send_signal, [imm(SIGNALS[name] ?? SIGNALS[`SIG${name}`]!)], false);
      return;
    }
    l.b.call(Helper.send_signal, [l.int(sig)], false);
  },
};

/** join(): how many strings of the array it reads, and at most how many bytes of each (bpftrace's limits). */
export const JOIN_MAX_ELEMENTS = 16;
export const JOIN_ELEMENT_SIZE = 1024;

export const join: BuiltinFunction = {
  name: 'join', signature: 'join(char **array[, string delimiter])', role: 'statement',
  summary: `prints the strings of a NULL-terminated array (execve's argv) on one line, joined by the delimiter (" "); at most ${JOIN_MAX_ELEMENTS} strings of ${JOIN_ELEMENT_SIZE - 1} bytes`,
  check(call, c) {
    const [arr, delim] = call.args;
    if (!arr || call.args.length > 2) {
      c.error('`join()` takes an array of strings (a `char **`) and an optional delimiter string literal', call.span);
      return voidType;
    }
    if (c.typeOf(arr).kind !== 'int') c.error(`\`join()\` needs the address of an array of string pointers, not ${typeName(c.typeOf(arr))}`, arr.span, 'e.g. join(args->argv)');
    if (delim && delim.kind !== 'Str') c.error('the delimiter must be a string literal', delim.span);
    return voidType;
  },
  planEvent(call) {
    const delim = call.args[1];
    const size = 16 + JOIN_MAX_ELEMENTS * JOIN_ELEMENT_SIZE;
    return {
      spec: { kind: 'join', delimiter: delim?.kind === 'Str' ? delim.value : ' ', count: JOIN_MAX_ELEMENTS, slotSize: JOIN_ELEMENT_SIZE, size },
      plans: [],
    };
  },
  lowerStatement(call, l) {
    const arr = call.args[0]!;
    const t = l.typeOf(arr);
    const user = (t.kind === 'int' ? t.user : undefined) ?? l.probe.userPointers === true;
    const plan = l.eventFor(call);
    const base = l.intReg(arr);
    l.emitEvent(plan.id, plan.size, (record) => {
      const slot = l.b.frame.alloc(8);
      const done = l.b.label('joined');
      for (let i = 0; i < JOIN_MAX_ELEMENTS; i++) {
        // arr[i]: a string pointer (a failed read leaves 0), then the string into the i-th slot.
        const at = 16 + i * JOIN_ELEMENT_SIZE;
        const element = l.b.reg();
        l.b.mov(element, reg(base));
        if (i > 0) l.b.alu('add', element, imm(8 * i));
        l.b.call(user ? Helper.probe_read_user : Helper.probe_read_kernel, [reg(l.pointer('fp', slot)), imm(8), reg(element)], false);
        const p = l.b.load(8, 'fp', slot);
        const more = l.b.label('joinnext');
        l.b.jcond('jne', p, imm(0), more);
        // The end of the array: an empty slot ends the list for user space (the record is not zeroed).
        l.b.store(1, record, at, imm(0));
        l.b.jmp(done);
        l.b.place(more);
        l.b.call(user ? Helper.probe_read_user_str : Helper.probe_read_kernel_str, [reg(l.pointer(record, at)), imm(JOIN_ELEMENT_SIZE), reg(p)], false);
      }
      l.b.place(done);
    });
  },
};
