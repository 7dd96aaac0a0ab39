/**
 * Splitting a 64-bit pcapng timestamp (two u32 halves, in units of an interface's if_tsresol)
 * into whole seconds and nanoseconds, exactly and without BigInt on the common paths
 * (10^-6 and 10^-9 units), because this runs once per packet.
 */
import type { TimestampResolution } from './types';

export interface TimestampConverter {
  /** Units per second (10^e or 2^e), as a number when exact, else as a bigint. */
  readonly unitsPerSecond: number | bigint;
  /** Writes seconds and nanoseconds into out[0], out[1]. */
  split(high: number, low: number, out: Float64Array): void;
}

const TWO_32 = 4294967296;

/**
 * Long division of (high * 2^32 + low) by `divisor` in 16-bit limbs: every intermediate value
 * stays below 2^53 as long as divisor < 2^37, so float arithmetic is exact.
 */
function divide64(high: number, low: number, divisor: number, out: Float64Array): void {
  let q = 0;
  let r = 0;
  let limb: number;
  let d: number;
  limb = high >>> 16;
  r = limb;
  d = Math.floor(r / divisor);
  r -= d * divisor;
  q = d;
  limb = high & 0xffff;
  r = r * 65536 + limb;
  d = Math.floor(r / divisor);
  r -= d * divisor;
  q = q * 65536 + d;
  limb = low >>> 16;
  r = r * 65536 + limb;
  d = Math.floor(r / divisor);
  r -= d * divisor;
  q = q * 65536 + d;
  limb = low & 0xffff;
  r = r * 65536 + limb;
  d = Math.floor(r / divisor);
  r -= d * divisor;
  q = q * 65536 + d;
  out[0] = q;
  out[1] = r;
}

export function timestampConverter(res: TimestampResolution): TimestampConverter {
  if (res.base === 10 && res.exponent <= 9) {
    const divisor = 10 ** res.exponent;
    const nsPerUnit = 10 ** (9 - res.exponent);
    return {
      unitsPerSecond: divisor,
      split(high, low, out) {
        if (high < 0x200000) {
          // The whole value is below 2^53: one exact float division.
          const t = high * TWO_32 + low;
          const sec = Math.floor(t / divisor);
          out[0] = sec;
          out[1] = (t - sec * divisor) * nsPerUnit;
        } else {
          divide64(high, low, divisor, out);
          out[1] *= nsPerUnit;
        }
      },
    };
  }
  // Rare resolutions (finer than ns, or binary fractions): BigInt keeps them exact.
  const units = res.base === 10 ? 10n ** BigInt(res.exponent) : 1n << BigInt(res.exponent);
  return {
    unitsPerSecond: units,
    split(high, low, out) {
      const t = (BigInt(high) << 32n) | BigInt(low);
      out[0] = Number(t / units);
      out[1] = Number(((t % units) * 1_000_000_000n) / units);
    },
  };
}

/** Inverse of split for the writers: seconds + nanoseconds -> units of 10^-exponent s. */
export function toUnits(tsSec: number, tsNsec: number, exponent: number, out: Uint32Array): void {
  if (exponent === 6 || exponent === 9) {
    const perSec = exponent === 6 ? 1e6 : 1e9;
    const frac = exponent === 6 ? Math.floor(tsNsec / 1000) : tsNsec;
    const t = tsSec * perSec + frac;
    if (t < 2 ** 53) {
      out[0] = Math.floor(t / TWO_32);
      out[1] = t % TWO_32;
      return;
    }
  }
  const t = BigInt(tsSec) * 10n ** BigInt(exponent) + (BigInt(tsNsec) * 10n ** BigInt(exponent)) / 1_000_000_000n;
  out[0] = Number((t >> 32n) & 0xffffffffn);
  out[1] = Number(t & 0xffffffffn);
}
