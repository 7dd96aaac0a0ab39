/**
 * Bad input never crashes the stack: mutated golden frames (bit flips, truncation, random tails)
 * and random bytes behind a valid Ethernet header go in; nothing throws, and every frame is
 * either handled or counted as a named drop.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { emptyStats, type FrameListener } from '../../src-main/link/device';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden-frames.json', import.meta.url), 'utf8')) as Record<string, string>;
const inputs = Object.entries(golden)
  .filter(([k]) => k.endsWith('In'))
  .map(([, v]) => Uint8Array.from(Buffer.from(v, 'hex')));

describe('robustness', () => {
  it('30 000 mutated frames: no exception, all accounted for', () => {
    const clock = new ManualClock();
    const rnd = new SeededRandom(2024);
    let listener: FrameListener | null = null;
    let sent = 0;
    const dev = {
      name: 'fz0',
      mtu: 1500,
      mac: '02:00:00:00:00:02',
      send: () => void sent++,
      onReceive: (l: FrameListener | null) => void (listener = l),
      close: async () => {},
      stats: emptyStats,
    };
    const stack = new Stack({ clock, random: new SeededRandom(1) });
    stack.addInterface({ device: dev, ipv4: '192.0.2.2/24' });
    startServices(stack, ['echo', 'discard', 'daytime', 'chargen'], ['udp']);
    const N = 30_000;
    for (let i = 0; i < N; i++) {
      const base = inputs[rnd.int(inputs.length)]!;
      let f: Uint8Array;
      const mode = rnd.int(4);
      if (mode === 0) {
        f = base.slice();
        const flips = 1 + rnd.int(8);
        for (let j = 0; j < flips; j++) {
          const bit = 14 * 8 + rnd.int((f.length - 14) * 8); // keep the Ethernet header (reach the parsers)
          f[bit >> 3]! ^= 1 << (bit & 7);
        }
      } else if (mode === 1) {
        f = base.slice(0, 14 + rnd.int(base.length - 13));
      } else if (mode === 2) {
        f = new Uint8Array(14 + rnd.int(120));
        f.set(base.subarray(0, 14));
        for (let j = 14; j < f.length; j++) f[j] = rnd.int(256);
      } else {
        f = base.slice();
        const at = 14 + rnd.int(Math.min(40, f.length - 14));
        f[at] = rnd.int(256);
      }
      expect(() => listener!(f, { t: clock.now() })).not.toThrow();
      if (i % 1000 === 0) clock.advanceBy(100); // let timers (reassembly, ARP) run too
    }
    clock.advanceBy(120_000);
    const c = stack.counters;
    expect(c.get('eth.rx.frames')).toBe(N);
    const drops = Object.values(c.drops()).reduce((a, b) => a + b, 0);
    expect(drops).toBeGreaterThan(N / 4);
    expect(sent).toBeGreaterThan(0);
    expect(stack.ipv4.reassembler.bytesHeld).toBe(0);
  });
});
