/**
 * Initial sequence numbers by RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), where M is a timer ticking every 4 µs (RFC 9293 §3.4.1) and F a keyed pseudorandom
 * function. F here is SipHash-2-4 (Aumasson & Bernstein) over the 4-tuple, in pure TypeScript with
 * 32-bit halves so no BigInt sits on the connection path. The same function keys SYN cookies.
 */
import { seq, type SeqNum } from '@shared/wire/seq';

/** A 64-bit value as two unsigned 32-bit halves. */
interface U64 {
  hi: number;
  lo: number;
}

function add(a: U64, b: U64): void {
  const lo = (a.lo + b.lo) >>> 0;
  const carry = lo < a.lo ? 1 : 0;
  a.hi = (a.hi + b.hi + carry) >>> 0;
  a.lo = lo;
}
function xor(a: U64, b: U64): void {
  a.hi = (a.hi ^ b.hi) >>> 0;
  a.lo = (a.lo ^ b.lo) >>> 0;
}
function rotl(a: U64, n: number): void {
  const { hi, lo } = a;
  if (n === 32) {
    a.hi = lo;
    a.lo = hi;
    return;
  }
  if (n < 32) {
    a.hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    a.lo = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  } else {
    const m = n - 32;
    a.hi = ((lo << m) | (hi >>> (32 - m))) >>> 0;
    a.lo = ((hi << m) | (lo >>> (32 - m))) >>> 0;
  }
}

function sipRound(v0: U64, v1: U64, v2: U64, v3: U64): void {
  add(v0, v1);
  rotl(v1, 13);
  xor(v1, v0);
  rotl(v0, 32);
  add(v2, v3);
  rotl(v3, 16);
  xor(v3, v2);
  add(v0, v3);
  rotl(v3, 21);
  xor(v3, v0);
  add(v2, v1);
  rotl(v1, 17);
  xor(v1, v2);
  rotl(v2, 32);
}

/**
 * SipHash-2-4 of `words` (32-bit little-endian words, so the message is 4*words.length bytes)
 * under a 128-bit key given as four 32-bit words (k0.lo, k0.hi, k1.lo, k1.hi). Returns the low
 * 32 bits and the high 32 bits of the 64-bit tag.
 */
export function sipHash24(key: readonly number[], words: readonly number[]): { lo: number; hi: number } {
  const k0: U64 = { lo: key[0]! >>> 0, hi: key[1]! >>> 0 };
  const k1: U64 = { lo: key[2]! >>> 0, hi: key[3]! >>> 0 };
  const v0: U64 = { hi: 0x736f6d65, lo: 0x70736575 };
  const v1: U64 = { hi: 0x646f7261, lo: 0x6e646f6d };
  const v2: U64 = { hi: 0x6c796765, lo: 0x6e657261 };
  const v3: U64 = { hi: 0x74656462, lo: 0x79746573 };
  xor(v0, k0);
  xor(v1, k1);
  xor(v2, k0);
  xor(v3, k1);
  const byteLength = words.length * 4;
  let i = 0;
  for (; i + 1 < words.length; i += 2) {
    const m: U64 = { lo: words[i]! >>> 0, hi: words[i + 1]! >>> 0 };
    xor(v3, m);
    sipRound(v0, v1, v2, v3);
    sipRound(v0, v1, v2, v3);
    xor(v0, m);
  }
  // Final block: the remaining word (if any) and the length in the top byte.
  const last: U64 = { lo: i < words.length ? words[i]! >>> 0 : 0, hi: ((byteLength & 0xff) << 24) >>> 0 };
  xor(v3, last);
  sipRound(v0, v1, v2, v3);
  sipRound(v0, v1, v2, v3);
  xor(v0, last);
  xor(v2, { hi: 0, lo: 0xff });
  for (let r = 0; r < 4; r++) sipRound(v0, v1, v2, v3);
  const out: U64 = { hi: v0.hi, lo: v0.lo };
  xor(out, v1);
  xor(out, v2);
  xor(out, v3);
  return { lo: out.lo, hi: out.hi };
}

/** The four-tuple as the ISN generator and SYN cookies hash it. */
export interface FourTuple {
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
}

export class IsnGenerator {
  /** 128-bit secret key (RFC 6528 §3: "a secret key"), drawn once per stack from its random source. */
  constructor(private readonly key: readonly number[]) {}

  /** F(4-tuple): the keyed part of the ISN. */
  offset(t: FourTuple): number {
    return sipHash24(this.key, [t.localAddr, t.remoteAddr, ((t.localPort << 16) | t.remotePort) >>> 0]).lo;
  }

  /** ISN = M + F, M = clock in 4 µs ticks (RFC 6528 §3, RFC 9293 §3.4.1). */
  isn(t: FourTuple, nowMs: number): SeqNum {
    const ticks = Math.floor(nowMs * 250) % 0x1_0000_0000;
    return seq(ticks + this.offset(t));
  }

  /**
   * The TSval offset for a host pair: a keyed hash of the two addresses only (Linux
   * secure_tcp_ts_off since 4.13), so the timestamps a host sends to another keep growing from one
   * connection to the next (RFC 6191 TIME-WAIT reuse, RFC 7323 §5 PAWS) yet reveal no clock.
   */
  tsOffset(localAddr: number, remoteAddr: number): number {
    return sipHash24(this.key, [localAddr, remoteAddr, 0x54535f6f /* "TS_o": apart from the ISN's F() */]).lo;
  }

  /** A keyed hash of arbitrary words (SYN cookies, timestamp offsets). */
  hash(words: readonly number[]): number {
    return sipHash24(this.key, words).lo;
  }
}
