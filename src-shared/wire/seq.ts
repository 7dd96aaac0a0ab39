/**
 * TCP sequence numbers as their own type (RFC 9293 §3.4): 32-bit unsigned values that wrap,
 * compared only through these helpers, which take the signed 32-bit difference
 * (RFC 1982 serial-number arithmetic), so comparisons stay right across the wrap.
 */
export type SeqNum = number & { readonly __seqnum: unique symbol };

/** Wraps any integer into a sequence number (mod 2^32). */
export function seq(n: number): SeqNum {
  return (n >>> 0) as SeqNum;
}

/** a + n, modulo 2^32. */
export function seqAdd(a: SeqNum, n: number): SeqNum {
  return ((a + n) >>> 0) as SeqNum;
}

/** The signed distance a - b, in (-2^31, 2^31]. */
export function seqDiff(a: SeqNum, b: SeqNum): number {
  return (a - b) | 0;
}

export function seqLt(a: SeqNum, b: SeqNum): boolean {
  return ((a - b) | 0) < 0;
}
export function seqLe(a: SeqNum, b: SeqNum): boolean {
  return ((a - b) | 0) <= 0;
}
export function seqGt(a: SeqNum, b: SeqNum): boolean {
  return ((a - b) | 0) > 0;
}
export function seqGe(a: SeqNum, b: SeqNum): boolean {
  return ((a - b) | 0) >= 0;
}
export function seqMax(a: SeqNum, b: SeqNum): SeqNum {
  return seqGe(a, b) ? a : b;
}
export function seqMin(a: SeqNum, b: SeqNum): SeqNum {
  return seqLe(a, b) ? a : b;
}
/** lo <= x < hi, wrap-aware (RFC 9293 §3.4 acceptability tests use this shape). */
export function seqInRange(x: SeqNum, lo: SeqNum, hi: SeqNum): boolean {
  return seqLe(lo, x) && seqLt(x, hi);
}
