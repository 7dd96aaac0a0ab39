import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@shared/sim/random';
import { Assembler } from '../../src-main/stack/tcp/buffers';

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
