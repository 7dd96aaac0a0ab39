import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@shared/sim/random';
import { Assembler, ByteRing } from '../../src-main/stack/tcp/buffers';

/**
 * Assembler.addAtFront (the receive path for a segment at RCV.NXT) against the plain
 * add(0, n) + takeFront() it replaces: same bytes in order, same ranges left, same SACK order.
 */
describe('Assembler.addAtFront', () => {
  it('matches add(0, n) + takeFront() over 20,000 random in-order and out-of-order arrivals', () => {
    const r = new SeededRandom(7);
    const fast = new Assembler(8);
    const plain = new Assembler(8);
    let nonTrivial = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = r.int(3) === 0 ? 0 : 1 + r.int(1460);
      if (r.next() < 0.3) {
        // Out of order: a range somewhere beyond RCV.NXT, the same on both.
        const off = 1 + r.int(20_000);
        expect(fast.add(off, len)).toBe(plain.add(off, len));
      } else {
        if (!plain.isEmpty) nonTrivial++;
        const a = fast.addAtFront(len);
        plain.add(0, len);
        const b = plain.takeFront();
        expect(a).toBe(b);
      }
      expect(fast.list()).toEqual(plain.list());
      expect(fast.byRecency(4)).toEqual(plain.byRecency(4));
      if (r.next() < 0.02) {
        fast.clear();
        plain.clear();
      }
    }
    // Both branches ran: with out-of-order data held and without.
    expect(nonTrivial).toBeGreaterThan(1000);
  });

  it('returns the whole segment when nothing is held out of order, and joins held data behind it', () => {
    const a = new Assembler();
    expect(a.addAtFront(1448)).toBe(1448);
    expect(a.isEmpty).toBe(true);
    expect(a.add(1448, 100)).toBe(true);
    expect(a.addAtFront(1448)).toBe(1548);
    expect(a.isEmpty).toBe(true);
  });
});

describe('ByteRing.peek (slice for long contiguous runs, new + set otherwise)', () => {
  it('returns the same bytes as a plain model over 3,000 random appends, consumes and peeks that wrap or not', () => {
    const r = new SeededRandom(13);
    const cap = 20_000;
    const ring = new ByteRing(cap);
    // The model: the stream of bytes written, and how many were consumed (byte i is i & 0xff).
    let written = 0;
    let consumed = 0;
    let sliced = 0;
    for (let k = 0; k < 3_000; k++) {
      const n = r.int(Math.min(cap - (written - consumed), 9_000) + 1);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (written + i) & 0xff;
      expect(ring.append(data)).toBe(n);
      written += n;
      const stored = written - consumed;
      const off = r.int(stored + 1);
      const len = r.int(stored - off + 1);
      if (len >= 4096) sliced++;
      const got = ring.peek(off, len);
      expect(got.length).toBe(len);
      for (let i = 0; i < len; i++) if (got[i] !== ((consumed + off + i) & 0xff)) expect.fail(`peek(${off}, ${len}) byte ${i}`);
      // The copy is the caller's own: changing it leaves the ring alone.
      if (len > 0) {
        got[0] = got[0]! ^ 0xff;
        expect(ring.peek(off, 1)[0]).toBe((consumed + off) & 0xff);
      }
      const c = r.int(stored + 1);
      ring.consume(c);
      consumed += c;
    }
    expect(sliced).toBeGreaterThan(300);
  });
});
