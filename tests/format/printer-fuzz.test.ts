import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@shared/sim/random';
import { TcpdumpPrinter, type TcpdumpFlags } from '@shared/format/tcpdump';
import { craftedFrames } from './crafted';

/**
 * Mutated frames through the tcpdump printer under every flag family: no exception may escape,
 * no internal error (anything but a clean truncation) may be caught, and every packet's text ends
 * in one newline (no empty line).
 */
const FLAG_SETS: TcpdumpFlags[] = [
  {},
  { verbose: 3, linkHeader: true, hexAscii: 2 },
  { verbose: 2, quiet: 1, absoluteSeq: true, hex: 1, timestamp: 3 },
  { linkHeader: true, quiet: 1, packetNumber: true, timestamp: 4 },
];

describe('tcpdump printer on mutated frames', () => {
  it('prints 100k mutated frames without an internal error', () => {
    const random = new SeededRandom(20261122);
    /** Uniform integer in [lo, hi]. */
    const rnd = { int: (lo: number, hi: number) => lo + random.int(hi - lo + 1) };
    const seeds = craftedFrames().map((c) => Uint8Array.from(c.frame));
    const linkTypes = [1, 1, 1, 1, 101, 0, 108, 113, 276, 228];
    const printers = FLAG_SETS.map((f) => new TcpdumpPrinter(f));
    let frames = 0;
    for (let i = 0; i < 100_000; i++) {
      const seed = seeds[rnd.int(0, seeds.length - 1)]!;
      const f = seed.slice(0, rnd.int(0, seed.length));
      const flips = rnd.int(0, 6);
      for (let k = 0; k < flips && f.length > 0; k++) f[rnd.int(0, f.length - 1)] = rnd.int(0, 255);
      const linkType = linkTypes[rnd.int(0, linkTypes.length - 1)]!;
      const p = printers[i % printers.length]!;
      const text = p.print({ linkType, data: f, originalLength: f.length + rnd.int(0, 3) * 10, tsSec: 1_767_225_600 + i, tsUsec: i % 1_000_000 });
      if (text.endsWith('\n') && !text.endsWith('\n\n')) frames++;
    }
    expect(frames).toBe(100_000);
    for (const p of printers) expect(p.internalErrors).toBe(0);
  });
});
