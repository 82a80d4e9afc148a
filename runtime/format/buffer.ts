// buf() values as bpftrace prints them: printf's %r (and print(), map keys and values) writes the
// printable ASCII bytes 32..126 as they are and every other byte as `\xNN`; %rx writes every byte as
// `\xNN`; %rh writes two hex digits per byte separated by spaces (`0a fe`). Hex digits are lowercase.

export type BufferStyle = 'r' | 'rx' | 'rh';

export function renderBuffer(bytes: Uint8Array, style: BufferStyle = 'r'): string {
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  if (style === 'rh') return Array.from(bytes, hex).join(' ');
  let out = '';
  for (const b of bytes) out += style === 'r' && b >= 32 && b <= 126 ? String.fromCharCode(b) : `\\x${hex(b)}`;
  return out;
}

/** The bytes of a buffer value { u64 length; u8 data[size - 8] } at `offset` (the length is clamped to the capacity). */
export function readBufferBytes(view: DataView, offset: number, size: number): Uint8Array {
  const capacity = size - 8;
  const length = Math.min(Number(view.getBigUint64(offset, true)), capacity);
  return new Uint8Array(view.buffer, view.byteOffset + offset + 8, length).slice();
}
