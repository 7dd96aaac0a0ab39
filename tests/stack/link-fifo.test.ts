import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { ImpairedChannel, type ImpairmentConfig } from '../../src-main/link/impairment';
import { emptyStats } from '../../src-main/link/device';

/**
 * The channel keeps in-order frames in a FIFO with one clock timer when the clock can reserve
 * firing positions (ManualClock). The order of everything must be the same as with one timer per
 * frame, which is what it does with a clock that cannot (the wrapper below hides the methods).
 */
function run(fifo: boolean, configs: ImpairmentConfig[]): string[] {
  const manual = new ManualClock(0);
  const clock: Clock = fifo ? manual : { now: () => manual.now(), setTimer: (at, cb) => manual.setTimer(at, cb), clearTimer: (h) => manual.clearTimer(h) };
  const r = new SeededRandom(9);
  const log: string[] = [];
  const ch = new ImpairedChannel(configs[0]!, clock, new SeededRandom(4), (f, c) => log.push(`frame ${f[0]}/${f.length} cause ${c} at ${manual.now()}`), emptyStats());
  let n = 0;
  for (let step = 0; step < 4000; step++) {
    if (step % 1000 === 999) ch.configure(configs[(step / 1000 + 1) % configs.length | 0]!);
    const x = r.int(10);
    if (x < 6) {
      const f = new Uint8Array(60 + r.int(1400));
      f[0] = n++ & 0xff;
      ch.submit(f, n);
    } else if (x < 8) {
      // Other timers at the same times as frames (ties are where the order could differ).
      const id = n++;
      manual.setTimer(manual.now() + r.int(3) * 0.5, () => log.push(`timer ${id} at ${manual.now()}`));
    } else {
      manual.advanceBy(r.int(4) * 0.25);
    }
  }
  manual.runUntilIdle();
  return log;
}

describe('ImpairedChannel FIFO of frames in flight', () => {
  it('delivers in exactly the order of one timer per frame: delay, bandwidth, duplicates, loss, and a shorter delay mid-run', () => {
    const configs: ImpairmentConfig[] = [
      { delayMs: 0.5 },
      { delayMs: 1, bandwidthBps: 50e6, duplicate: 0.05, loss: 0.02 },
      { delayMs: 0.25 }, // shorter than before: new frames overtake ones in flight
      { delayMs: 0.75, jitterMs: 0.5 }, // jitter: every frame on its own timer
    ];
    const withFifo = run(true, configs);
    const perFrame = run(false, configs);
    expect(withFifo.length).toBeGreaterThan(3000);
    expect(withFifo).toEqual(perFrame);
  });
});
