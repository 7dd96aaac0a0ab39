import { describe, expect, it } from 'vitest';
import { onesComplementSum } from '@shared/wire/checksum';
import { SeededRandom } from '@shared/sim/random';

/** RFC 1071 by the book: 16-bit big-endian words, odd byte padded, end-around carry. */
function reference(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < len; i += 2) sum += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

describe('onesComplementSum (aligned words, cached word view per buffer)', () => {
  it('equals the by-the-book sum for 20,000 random ranges over a few shared buffers (views into slabs)', () => {
    const r = new SeededRandom(5);
    const buffers = [new Uint8Array(4096), new Uint8Array(new SharedArrayBuffer(3001)), new Uint8Array(70_000)];
    for (const b of buffers) for (let i = 0; i < b.length; i++) b[i] = r.int(256);
    for (let k = 0; k < 20_000; k++) {
      const whole = buffers[r.int(buffers.length)]!;
      // A view at some offset (like a frame in a slab), then a range inside it.
      const viewOff = r.int(64);
      const view = whole.subarray(viewOff, viewOff + r.int(whole.length - viewOff));
      const off = r.int(Math.max(1, Math.min(view.length, 40)));
      const len = r.int(view.length - off + 1);
      const initial = r.int(0x40000);
      const got = onesComplementSum(view, off, len, initial);
      const want = reference(view, off, len, initial);
      if (got !== want) expect.fail(`view at ${viewOff}, range ${off}+${len}: ${got} != ${want}`);
    }
  });

  it('a buffer that grows after its words were cached still sums every byte', () => {
    const ab = new ArrayBuffer(256, { maxByteLength: 8192 });
    const b = new Uint8Array(ab);
    b.fill(0x11);
    expect(onesComplementSum(b, 0, 256)).toBe(reference(b, 0, 256));
    ab.resize(8192);
    const grown = new Uint8Array(ab);
    grown.fill(0xa5, 256);
    expect(onesComplementSum(grown, 0, 8192)).toBe(reference(grown, 0, 8192));
  });
});
