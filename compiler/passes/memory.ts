// Byte-level stack and memory code: copying, zeroing and writing constants as naturally aligned
// loads and stores (the verifier rejects misaligned stack access).

import { imm, reg, type IrBuilder } from '../ir/builder.ts';
import type { Base } from '../ir/ir.ts';

type Width = 1 | 2 | 4 | 8;

/**
 * Split `size` bytes at offset `off` into naturally aligned accesses of at most `max` bytes:
 * e.g. off -22, size 6 → 2 bytes at -22, 4 at -20.
 */
export function alignedChunks(off: number, size: number, max: Width = 8): [at: number, width: Width][] {
  const out: [number, Width][] = [];
  let at = 0;
  while (at < size) {
    let width: Width = max;
    while (width > 1 && (((off + at) % width) + width) % width !== 0) width = (width / 2) as Width;
    while (width > size - at) width = (width / 2) as Width;
    out.push([at, width]);
    at += width;
  }
  return out;
}

export function zeroMemory(b: IrBuilder, base: Base, off: number, size: number): void {
  for (const [at, width] of alignedChunks(off, size)) b.store(width, base, off + at, imm(0));
}

/** Write constant bytes (NUL-padded to `size`). */
export function writeBytes(b: IrBuilder, bytes: Uint8Array, base: Base, off: number, size: number): void {
  const padded = new Uint8Array(size + 8);
  padded.set(bytes.subarray(0, size));
  const view = new DataView(padded.buffer);
  for (const [at, width] of alignedChunks(off, size)) {
    if (width === 8) {
      const v = view.getBigInt64(at, true);
      if (v >= -(2n ** 31n) && v < 2n ** 31n) b.store(8, base, off + at, imm(Number(v)));
      else {
        const r = b.reg();
        b.emit({ op: 'ldimm64', dst: r, value: v });
        b.store(8, base, off + at, reg(r));
      }
    } else {
      const v = width === 4 ? view.getInt32(at, true) : width === 2 ? view.getInt16(at, true) : view.getInt8(at);
      b.store(width, base, off + at, imm(v));
    }
  }
}

/** Copy `n` bytes and zero the rest up to `size` (strings stay NUL-padded, so they compare by words). */
export function copyMemory(b: IrBuilder, from: { base: Base; off: number }, to: { base: Base; off: number }, n: number, size: number): void {
  const misaligned = (((from.off - to.off) % 8) + 8) % 8 !== 0;
  for (const [at, width] of alignedChunks(to.off, n, misaligned ? 1 : 8)) {
    b.store(width, to.base, to.off + at, reg(b.load(width, from.base, from.off + at)));
  }
  if (size > n) zeroMemory(b, to.base, to.off + n, size - n);
}
