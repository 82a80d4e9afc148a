// Stack ids and code addresses → text, for kstack/ustack/ksym/usym: frames come from the script's
// stack-trace map, kernel names from /proc/kallsyms, user-space names from the process's mappings and
// ELF symbols (loaded on first use only: most scripts never print a stack). User ids (`username`) →
// names from /etc/passwd.

import type { FieldLayout } from '../artifact.ts';
import type { Symbolizer } from '../format/decode.ts';
import { renderStack, renderSymbol, stackFrames } from '../format/stack.ts';
import { escapeForTerminal, markRendered } from '../format/strings.ts';

const PERF_CONTEXT_MAX = 0xfffffffffffff001n;
import { kernelSymbols, userSymbols } from '../kernel/symbols/index.ts';
import type { BpfMap } from '../maps.ts';
import { userName } from './users.ts';

function resolverFor(user: boolean, pid: bigint) {
  return user ? userSymbols().resolver(Number(pid)) : (address: bigint) => kernelSymbols().resolve(address);
}

export function createSymbolizer(stackMap: BpfMap | undefined): Symbolizer {
  return {
    stack(field: FieldLayout & { kind: 'stack' }, id: bigint, pid: bigint, context) {
      const options = { mode: field.mode, resolve: resolverFor(field.user, pid), limit: field.limit, user: field.user, context };
      // A negative id is the helper's error (e.g. a kernel stack sampled in user mode): an empty stack.
      if (id < 0n || !stackMap) return markRendered(renderStack(undefined, options));
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, Number(id), true);
      const value = stackMap.lookup(key);
      // perf's context markers (PERF_CONTEXT_KERNEL and friends, the top 4095 values) are not frames.
      const frames = value ? stackFrames(value).filter((f) => f < PERF_CONTEXT_MAX) : undefined;
      return markRendered(renderStack(frames, options));
    },
    symbol(field: FieldLayout & { kind: 'symbol' }, address: bigint, pid: bigint) {
      return markRendered(escapeForTerminal(renderSymbol(address, resolverFor(field.user, pid), false)));
    },
    userName(uid: bigint) {
      return userName(uid);
    },
  };
}
