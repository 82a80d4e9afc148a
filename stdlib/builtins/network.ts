// Network helpers: ntop() formats IPv4/IPv6 addresses (in user space: the record carries the family
// and the 16 address bytes), and the byte-order swaps ntohs/ntohl/htons/htonl/bswap (one BPF_END each).

import type { Call } from '../../grammar/ast.ts';
import { imm, reg } from '../../compiler/ir/builder.ts';
import type { BuiltinFunction, Checker } from '../../compiler/registry.ts';
import { type Type, typeName, u64 } from '../../compiler/types/types.ts';
import { zeroMemory } from '../../compiler/passes/memory.ts';

const AF_INET = 2;
const AF_INET6 = 10;

/** The address argument's family when its type says it: u32 / u8[4] → IPv4, u8[16] → IPv6. */
function familyOf(t: Type): number | undefined {
  if (t.kind === 'int' && t.size <= 4) return AF_INET;
  if (t.kind === 'array' && t.elem.size * t.count === 4) return AF_INET;
  if (t.kind === 'array' && t.elem.size * t.count === 16) return AF_INET6;
  return undefined;
}

export const ntop: BuiltinFunction = {
  name: 'ntop', signature: 'ntop([int af, ] addr)', role: 'value',
  summary: 'an IPv4 or IPv6 address as text (addr: a u32, or a 4- or 16-byte array)',
  check(call, c) {
    const addr = call.args[call.args.length - 1];
    if (!addr || call.args.length > 2) {
      c.error('`ntop()` takes an address, optionally after its family (AF_INET = 2, AF_INET6 = 10)', call.span);
      return { kind: 'inet' };
    }
    const t = c.typeOf(addr);
    if (familyOf(t) === undefined && !(t.kind === 'int')) {
      c.error(`\`ntop()\` needs an IPv4 address (u32 or u8[4]) or an IPv6 address (u8[16]), not ${typeName(t)}`, addr.span);
    }
    if (call.args.length === 2 && c.typeOf(call.args[0]!).kind !== 'int') c.error('the family must be an integer', call.args[0]!.span);
    return { kind: 'inet' };
  },
  lowerInto(call, l, base, off, size, padded = true) {
    const addr = call.args[call.args.length - 1]!;
    const t = l.typeOf(addr);
    // In an event record the address's own family says how many bytes user space reads, and they are
    // all written below; with a family given apart from the address (two arguments), they may not be.
    if (padded || call.args.length === 2) zeroMemory(l.b, base, off, size);
    if (call.args.length === 2) l.b.store(8, base, off, l.int(call.args[0]!));
    else l.b.store(8, base, off, imm(familyOf(t) ?? AF_INET));
    if (t.kind === 'int') l.b.store(4, base, off + 8, reg(l.intReg(addr)));
    else l.writeInto(addr, base, off + 8, Math.min(16, t.kind === 'array' ? t.elem.size * t.count : 16));
  },
};

function swap(name: string, bits: 16 | 32 | 64 | 'auto', summary: string): BuiltinFunction {
  return {
    name, signature: `${name}(int n)`, role: 'value', summary,
    check(call: Call, c: Checker) {
      const [n] = call.args;
      if (call.args.length !== 1 || !n || c.typeOf(n).kind !== 'int') c.error(`\`${name}()\` takes one integer`, call.span);
      if (bits === 'auto') {
        const t = n ? c.typeOf(n) : u64;
        return t.kind === 'int' ? { kind: 'int', size: t.size, signed: false } : u64;
      }
      return { kind: 'int', size: bits / 8 as 2 | 4 | 8, signed: false };
    },
    lower(call, l) {
      const t = l.typeOf(call.args[0]!);
      const width = bits === 'auto' ? (t.kind === 'int' && t.size >= 2 ? (t.size * 8) as 16 | 32 | 64 : 64) : bits;
      const r = l.b.reg();
      l.b.mov(r, l.int(call.args[0]!));
      if (t.kind === 'int' && t.size === 1 && bits === 'auto') return reg(r);
      l.b.emit({ op: 'bswap', dst: r, bits: width });
      return reg(r);
    },
  };
}

export const ntohs = swap('ntohs', 16, 'a 16-bit number from network to host byte order');
export const htons = swap('htons', 16, 'a 16-bit number from host to network byte order');
export const ntohl = swap('ntohl', 32, 'a 32-bit number from network to host byte order');
export const htonl = swap('htonl', 32, 'a 32-bit number from host to network byte order');
export const bswap = swap('bswap', 'auto', 'reverses the byte order of an integer of its own width');
