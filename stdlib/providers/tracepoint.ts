// tracepoint:<category>:<event> — the kernel's static trace events. `args` is the event's record as
// described by tracefs (`events/<category>/<event>/format`), read straight from the context.

import { error } from '../../grammar/diagnostics.ts';
import type { ConcreteProbe, ProbeProvider } from '../../compiler/registry.ts';
import type { KernelInfo, TracepointField } from '../../compiler/kernel-info.ts';
import { INT_TYPES, type RecordField, type Type } from '../../compiler/types/types.ts';
import { fromKernel } from '../../compiler/types/from-kernel.ts';
import { closest } from '../../compiler/suggest.ts';

export const tracepoint: ProbeProvider = {
  name: 'tracepoint',
  aliases: ['t'],
  summary: 'a kernel tracepoint; `args` holds its fields',
  usage: 'tracepoint:<category>:<event>',
  list: (kernel) => kernel.listTracepoints('*', '*').map((t) => `tracepoint:${t.category}:${t.event}`),
  expand(spec, kernel) {
    if (spec.parts.length !== 2 || !spec.parts[0] || !spec.parts[1]) {
      return error(`\`${spec.text}\` is not a tracepoint`, spec.span, `write ${this.usage}, e.g. tracepoint:syscalls:sys_enter_openat`);
    }
    const [category, event] = spec.parts as [string, string];
    const unavailable = kernel.tracingUnavailable();
    if (unavailable) return error(`cannot look up \`${spec.text}\`: ${unavailable}`, spec.span, 'tracepoints need tracefs; run as root so tsbt can mount it at /sys/kernel/tracing');
    const matches = /[*?]/.test(category + event) ? kernel.listTracepoints(category, event) : [{ category, event }];
    const probes: ConcreteProbe[] = [];
    for (const m of matches) {
      const fields = kernel.tracepointFields(m.category, m.event);
      if (!fields) {
        const near = closest(`${m.category}:${m.event}`, kernel.listTracepoints(m.category, '*').map((t) => `${t.category}:${t.event}`));
        return error(`no tracepoint \`${m.category}:${m.event}\` in this kernel`, spec.span,
          near ? `did you mean \`tracepoint:${near}\`?` : 'list them with `tsbt -l \'tracepoint:*\'`');
      }
      probes.push({
        provider: this, spec, name: `tracepoint:${m.category}:${m.event}`, programType: 'tracepoint',
        attach: { kind: 'tracepoint', category: m.category, event: m.event },
        // System call arguments that are pointers point into the calling process (bpftrace reads them
        // with probe_read_user too); the other events hold kernel pointers.
        args: { kind: 'record', name: `struct ${m.category}:${m.event} args`, fields: recordFields(fields, kernel, m.category === 'syscalls') },
        userPointers: m.category === 'syscalls',
      });
    }
    if (probes.length === 0) return error(`no tracepoint matches \`${spec.text}\``, spec.span);
    return probes;
  },
};

/** The fields a script can read: the event's own (the `common_` header is left out, as in bpftrace). */
function recordFields(fields: TracepointField[], kernel: KernelInfo, user: boolean): RecordField[] {
  const out: RecordField[] = [];
  for (const f of fields) {
    if (f.name.startsWith('common_')) continue;
    const pointer = pointerField(f, kernel, user);
    if (typeof pointer === 'function') {
      // Typed from BTF when the script reads the field: an event with `struct x *` fields that the script
      // does not follow never indexes BTF.
      const field = { name: f.name, offset: f.offset } as RecordField;
      let type: Type | undefined;
      Object.defineProperty(field, 'type', { enumerable: true, get: () => (type ??= pointer() ?? fieldType(f)!) });
      out.push(field);
      continue;
    }
    const type = pointer ?? enumField(f, kernel) ?? fieldType(f);
    if (type) out.push({ name: f.name, offset: f.offset, type, ...(f.typeText.startsWith('__data_loc') ? { dataLoc: true } : {}) });
  }
  return out;
}

/** Words in a tracefs pointer type that do not change what it points to. */
const POINTER_QUALIFIERS = /\b(const|volatile|restrict|__user|__kernel|__iomem|__percpu|__rcu|__force|__seg_gs|__seg_fs)\b/g;

/**
 * A pointer field (`struct __kernel_timespec * rqtp`, `const char * filename`, `void * skbaddr`) as a
 * pointer to what the format names, as bpftrace types it: `args->rqtp->tv_sec` reads through it, and it
 * prints in hex in maps and print(). `void`, `char` and the language's integer names need no BTF; a
 * struct, union, enum or typedef is looked up in BTF, lazily (the returned function), and a name BTF does
 * not have leaves the field a plain number, as before.
 */
function pointerField(f: TracepointField, kernel: KernelInfo, user: boolean): Type | (() => Type | undefined) | undefined {
  if (f.size !== 8 || !f.typeText.includes('*') || f.typeText.includes('[') || f.typeText.includes('(')) return undefined;
  const text = f.typeText.replace(POINTER_QUALIFIERS, ' ');
  const stars = (text.match(/\*/g) ?? []).length;
  const base = text.replace(/\*/g, ' ').replace(/\s+/g, ' ').trim();
  const wrap = (pointee: Type): Type => {
    let t: Type = pointee;
    for (let i = 0; i < stars; i++) t = { kind: 'int', size: 8, signed: false, pointee: t, user };
    return t;
  };
  if (base === 'void') return wrap({ kind: 'void' });
  const int = INT_TYPES[base];
  if (int) return wrap(int);
  const named = /^(struct|union|enum) (\w+)$/.exec(base);
  if (!named && !/^\w+$/.test(base)) return undefined;
  return () => {
    const kt = kernel.kernelTypes();
    if ('unavailable' in kt) return undefined;
    const id = named ? kt.findType(named[1] as 'struct' | 'union' | 'enum', named[2]!) : kt.findType('typedef', base);
    return id === undefined ? undefined : wrap(fromKernel(kt, id, user));
  };
}

const SIGNED_C_TYPE = /^(const )?(int|long|short|long long|signed( \w+)?|s8|s16|s32|s64|__s8|__s16|__s32|__s64|pid_t|ssize_t|off_t|loff_t|time64_t|ktime_t|clockid_t|key_serial_t|int(8|16|32|64)_t)$/;

/** How much of a `__data_loc char[]` string (a file name, a command) is read. */
const DATA_LOC_STRING_SIZE = 128;

/**
 * A field declared `enum skb_drop_reason reason`: typed from the kernel's BTF so that its values print
 * by name with %s (bpftrace). BTF is only read for events that have such fields.
 */
function enumField(f: TracepointField, kernel: KernelInfo): Type | undefined {
  const name = /^enum (\w+)$/.exec(f.typeText)?.[1];
  if (!name || (f.size !== 1 && f.size !== 2 && f.size !== 4 && f.size !== 8)) return undefined;
  const kt = kernel.kernelTypes();
  const id = 'unavailable' in kt ? undefined : kt.findType('enum', name);
  if (id === undefined || 'unavailable' in kt) return undefined;
  const t = fromKernel(kt, id, false);
  // The record's field size wins over the enum's own (the event may store it narrower).
  return t.kind === 'int' ? { ...t, size: f.size, signed: f.signed } : undefined;
}

function fieldType(f: TracepointField): Type | undefined {
  if (f.typeText.startsWith('__data_loc')) return /char/.test(f.typeText) ? { kind: 'string', size: DATA_LOC_STRING_SIZE } : undefined;
  if (/^(const )?(unsigned )?char\b.*\[\d+\]$/.test(f.typeText) || /\bchar\[\d+\]$/.test(f.typeText)) {
    return { kind: 'string', size: f.size };
  }
  const array = /^(.*)\[(\d+)\]$/.exec(f.typeText);
  if (array) {
    // An integer array such as `__u8 saddr[4]`: element size from the field size and count.
    const count = Number(array[2]);
    const elemSize = count > 0 ? f.size / count : 0;
    if (elemSize !== 1 && elemSize !== 2 && elemSize !== 4 && elemSize !== 8) return undefined;
    return { kind: 'array', elem: { kind: 'int', size: elemSize, signed: SIGNED_C_TYPE.test(array[1]!.trim()) }, count };
  }
  if (/\[/.test(f.typeText)) return undefined;
  if (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8) {
    // Pointers are unsigned addresses. System call records store every argument as 8 bytes with
    // `signed:0`, so the C type decides: `int dfd` holding AT_FDCWD is -100, as bpftrace prints it.
    if (f.typeText.includes('*')) return { kind: 'int', size: f.size, signed: false };
    return { kind: 'int', size: f.size, signed: f.signed || SIGNED_C_TYPE.test(f.typeText) };
  }
  return undefined;
}
