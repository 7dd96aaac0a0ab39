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
  // Long runs that start at an even address: sum whole 32-bit words in host order (one load per
  // 4 bytes instead of two per 2), then fold and byte-swap. The ones'-complement sum does not
  // depend on the byte order it is computed in except for a final swap (RFC 1071 §2 (B)), and
  // 32-bit words fold to the same 16-bit sum (RFC 1071 §2 (C), "parallel summation").
  if (len >= WORD_SUM_MIN && ((bytes.byteOffset + off) & 1) === 0) {
    // Network-order 16-bit words until the address is 4-byte aligned.
    if (((bytes.byteOffset + i) & 3) !== 0) {
      sum += (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    }
    const words = (end - i) >>> 2;
    const first = (bytes.byteOffset + i) >>> 2;
    const u32 = wordsOver(bytes.buffer, first + words);
    // A double holds 2^53: room for 2^21 words of 2^32 (8 MiB) before folding; fold per block.
    let host = 0;
    for (let w = first, last = first + words; w < last; ) {
      const blockEnd = Math.min(last, w + 0x100000);
      let block = 0;
      for (; w < blockEnd; w++) block += u32[w]!;
      host += (block % 0x10000) + Math.floor(block / 0x10000);
    }
    i += words << 2;
    while (host > 0xffff) host = (host & 0xffff) + Math.floor(host / 0x10000);
    sum += LITTLE_ENDIAN ? ((host & 0xff) << 8) | (host >>> 8) : host;
  }
  // Sum 16-bit words into a double; 2^53 leaves room for 2^37 words, so fold only at the end.
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * A word view over a whole buffer, kept for the next call on the same buffer: frames come from
 * slabs and batch buffers, so consecutive sums mostly share one, and a new view per call cost
 * about as much as summing a small segment. Only buffers up to CACHED_VIEW_MAX_BYTES are kept, so
 * the cache pins at most that much memory.
 */
let cachedBuffer: ArrayBufferLike | null = null;
let cachedWords: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
const CACHED_VIEW_MAX_BYTES = 4 << 20;

function wordsOver(buffer: ArrayBufferLike, wordsNeeded: number): Uint32Array<ArrayBufferLike> {
  // (A resizable buffer may have grown since the view was made: then make a new one.)
  if (buffer === cachedBuffer && cachedWords.length >= wordsNeeded) return cachedWords;
  const words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  if (buffer.byteLength <= CACHED_VIEW_MAX_BYTES) {
    cachedBuffer = buffer;
    cachedWords = words;
  }
  return words;
}

/** Below this many bytes the plain 16-bit loop is as fast as setting up a word view. */
const WORD_SUM_MIN = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
 * What a sender stores in the checksum field when the device finishes the checksum (Linux's
 * CHECKSUM_PARTIAL, e.g. on lo and veth): the folded pseudo-header sum, not complemented. The
 * device adds the ones'-complement sum of the transport header and data and complements the
 * total — which gives the ordinary checksum (RFC 1071 §2 (B): the sum is associative). tcpdump
 * on lo prints such a field as "incorrect -> 0x…".
 */
export function partialChecksum(src: number, dst: number, proto: number, len: number): number {
  let s = pseudoHeaderSum(src, dst, proto, len);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
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
