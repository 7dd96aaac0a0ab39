/**
 * The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 768).
 * These are the only places in tcplab where these sums are computed.
 */

/**
 * Ones'-complement sum of `len` bytes from `off` (an odd last byte is padded with zero, RFC 1071
 * §4.1), added to `initial` (an unfolded partial sum such as `pseudoHeaderSum`), folded to 16 bits
 * and NOT complemented.
 */
export function onesComplementSum(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len;
  let i = off;
  // Sum 16-bit words into a double; 2^53 leaves room for 2^37 words, so fold only at the end.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * The Internet checksum: the complement of the ones'-complement sum. Over a header that already
 * holds its checksum this returns 0 when the checksum is right; over a header whose checksum field
 * is zero it returns the value to store.
 */
export function internetChecksum(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  return ~onesComplementSum(bytes, off, len, initial) & 0xffff;
}

/** The unfolded sum of the IPv4 pseudo-header: source, destination, zero+protocol, length. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/**
 * The value a checksum field should hold, given the folded ones'-complement sum over data that
 * includes the field's current value: take the field out (add its complement) and complement the
 * rest (RFC 1624 §3). For the "incorrect -> 0x…" that tcpdump -v prints.
 */
export function expectedChecksum(sumWithField: number, field: number): number {
  let s = sumWithField + (~field & 0xffff);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
