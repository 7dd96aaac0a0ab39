import { describe, expect, it } from 'vitest';
import { checksumBackend, internetChecksum, jsOnesComplementSum, onesComplementSum, pseudoHeaderSum } from '@shared/wire/checksum';
import { emitTcp, type TcpOption } from '@shared/wire/tcp';
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

describe('onesComplementSum through WebAssembly (runs of 128 bytes up to 128 KiB under Node)', () => {
  it('is the backend under Node', () => {
    expect(checksumBackend()).toBe('wasm');
  });

  it('equals the JavaScript path and the by-the-book sum for 100,000 random ranges (every alignment, odd lengths, the length limits)', () => {
    const r = new SeededRandom(17);
    const big = new Uint8Array(140_000);
    for (let i = 0; i < big.length; i++) big[i] = r.int(256);
    big.fill(0xff, 5_000, 9_000); // long runs of ones: many end-around carries
    const lengths = [0, 1, 2, 7, 8, 9, 63, 64, 127, 128, 129, 130, 135, 136, 1480, 1481, 65_535, 2 * 65536 - 9, 2 * 65536 - 8, 2 * 65536 - 7];
    for (let k = 0; k < 100_000; k++) {
      const len = k < lengths.length * 8 ? lengths[k % lengths.length]! : r.next() < 0.05 ? r.int(70_000) : r.int(3_000);
      const off = r.int(big.length - len + 1);
      const initial = r.int(0x40000);
      const got = onesComplementSum(big, off, len, initial);
      const js = jsOnesComplementSum(big, off, len, initial);
      if (got !== js || (len < 10_000 && got !== reference(big, off, len, initial))) expect.fail(`range ${off}+${len} (initial ${initial}): wasm ${got}, js ${js}`);
    }
  });
});

describe('emitTcpInto sums header and payload apart', () => {
  it('writes the checksum one pass over the whole segment gives, for 5,000 random segments', () => {
    const r = new SeededRandom(23);
    for (let k = 0; k < 5_000; k++) {
      const payload = new Uint8Array(r.int(k % 3 === 0 ? 9000 : 1500));
      for (let i = 0; i < payload.length; i++) payload[i] = r.int(256);
      const options: TcpOption[] = r.next() < 0.5 ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: r.u32(), tsecr: r.u32() }] : r.next() < 0.5 ? [{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 7 }] : [];
      const src = r.u32();
      const dst = r.u32();
      const seg = emitTcp({ srcPort: r.int(65536), dstPort: r.int(65536), seq: r.u32(), ack: r.u32(), flags: r.int(512), window: r.int(65536), options, payload }, src, dst);
      const field = (seg[16]! << 8) | seg[17]!;
      const zeroed = seg.slice();
      zeroed[16] = 0;
      zeroed[17] = 0;
      expect(field).toBe(internetChecksum(zeroed, 0, zeroed.length, pseudoHeaderSum(src, dst, 6, zeroed.length)));
    }
  });
});
