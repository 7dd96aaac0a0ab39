import { describe, expect, it } from 'vitest';
import { MATHIS_TOLERANCE, measureMathis } from '../../src-main/labs/mathis';
import { BASE_PARAMS } from '../../src-main/labs/types';

/**
 * Long seeded runs of Reno (no SACK, no timestamps) over a 100 ms round trip with random loss p on
 * the data direction: the goodput must stay within the stated tolerance of Mathis et al.'s
 * BW = MSS/RTT · √(3/2)/√p. The runs are long enough for about a hundred loss events each.
 */
describe('Reno throughput vs the Mathis formula', () => {
  for (const loss of [0.002, 0.005, 0.01, 0.02]) {
    it(`p = ${loss}: measured / predicted within [${MATHIS_TOLERANCE.low}, ${MATHIS_TOLERANCE.high}]`, async () => {
      const durationMs = Math.round(12 / Math.sqrt(loss)) * 1000;
      const m = await measureMathis({ ...BASE_PARAMS, cc: 'reno', loss, delayMs: 50, seed: 1 }, durationMs);
      expect(m.ratio).toBeGreaterThanOrEqual(MATHIS_TOLERANCE.low);
      expect(m.ratio).toBeLessThanOrEqual(MATHIS_TOLERANCE.high);
      // Losses are mostly repaired by fast retransmit, as the formula assumes.
      expect(m.fastRetransmits).toBeGreaterThan(m.timeouts);
      expect(m.fastRetransmits).toBeGreaterThan(20);
    }, 120_000);
  }
});
