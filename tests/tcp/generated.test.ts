import { describe, expect, it } from 'vitest';
import { fillGenerated } from '../../src-main/stack/tcp/services';

/** The definition, byte by byte (the HTTP service's /bytes/N body and the bulk client's data). */
const reference = (x: number): number => (x * 31 + (x >>> 8) * 7 + (x >>> 16)) & 0xff;

describe('fillGenerated (table-driven) equals the byte formula', () => {
  it.each([0, 1, 255, 256, 65_535, 65_536 - 100, 1_000_003, 2 ** 31 - 7, 2 ** 32 - 300])('from offset %i, lengths 0..700', (offset) => {
    for (const len of [0, 1, 3, 255, 256, 257, 700]) {
      const buf = new Uint8Array(len + 2).fill(0xee).subarray(1, len + 1); // a view: offsets inside a buffer
      fillGenerated(buf, offset);
      for (let i = 0; i < len; i++) if (buf[i] !== reference(offset + i)) expect.fail(`offset ${offset} + ${i}: ${buf[i]} != ${reference(offset + i)}`);
      expect(buf.buffer.byteLength).toBe(len + 2);
      expect(new Uint8Array(buf.buffer)[0]).toBe(0xee); // nothing written outside the view
      expect(new Uint8Array(buf.buffer)[len + 1]).toBe(0xee);
    }
  });
});
