// ntop()'s addresses as text: IPv4 dotted quads, IPv6 in RFC 5952 form (the longest run of two or
// more zero groups becomes `::`, hex in lower case, no leading zeros).

export const AF_INET = 2;
export const AF_INET6 = 10;

/** `family` is AF_INET or AF_INET6; `bytes` the address in network order (4 or 16 bytes used). */
export function formatInet(family: number, bytes: Uint8Array): string {
  if (family === AF_INET) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (family !== AF_INET6) return `(unknown address family ${family})`;
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // An IPv4-mapped address prints its IPv4 part dotted, as inet_ntop does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Decode { u64 family; u8 addr[16] } at `offset`. */
export function decodeInet(view: DataView, offset: number): string {
  const family = Number(view.getBigUint64(offset, true));
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset + 8, 16);
  return formatInet(family, bytes);
}
