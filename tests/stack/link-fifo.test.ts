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

/**
 * Two directions whose arrivals cause more traffic, as two stacks do: a frame arriving on one side
 * sometimes sends frames back on the other channel and sets timers (some at the same time as
 * frames in flight). With the FIFO, frames due in the same run of the clock are delivered one
 * after another without timers (ManualClock.tryFireInOrder) whenever nothing else comes first;
 * everything must still happen in the order of one timer per frame.
 */
function runTwoWay(fifo: boolean, cfg: ImpairmentConfig): string[] {
  const manual = new ManualClock(0);
  const clock: Clock = fifo ? manual : { now: () => manual.now(), setTimer: (at, cb) => manual.setTimer(at, cb), clearTimer: (h) => manual.clearTimer(h) };
  const r = new SeededRandom(21);
  const log: string[] = [];
  let n = 0;
  const channels: ImpairedChannel[] = [];
  const arrive = (side: number) => (f: Uint8Array, c: number | undefined) => {
    log.push(`${side} got ${f[0]}/${f.length} cause ${c} at ${manual.now()}`);
    const x = r.int(10);
    if (x < 4) {
      // Answer on the other channel (like an ACK), maybe two frames.
      for (let k = 0; k < 1 + (x & 1); k++) {
        const g = new Uint8Array(60 + r.int(100));
        g[0] = n++ & 0xff;
        channels[1 - side]!.submit(g, n);
      }
    } else if (x < 6) {
      const id = n++;
      manual.setTimer(manual.now() + r.int(3) * 0.25, () => log.push(`timer ${id} at ${manual.now()}`));
    } else if (x === 6) {
      const id = n++;
      // A timer set now and cancelled at once (a stopped delayed ACK).
      manual.clearTimer(manual.setTimer(manual.now() + 200, () => log.push(`cancelled timer ${id} fired`)));
    }
  };
  channels.push(new ImpairedChannel(cfg, clock, new SeededRandom(4), arrive(1), emptyStats()));
  channels.push(new ImpairedChannel(cfg, clock, new SeededRandom(5), arrive(0), emptyStats()));
  for (let step = 0; step < 3000; step++) {
    const x = r.int(10);
    if (x < 6) {
      // A burst of data on channel 0, like a window's worth sent at once.
      for (let k = r.int(8); k >= 0; k--) {
        const f = new Uint8Array(60 + r.int(1400));
        f[0] = n++ & 0xff;
        channels[0]!.submit(f, n);
      }
    } else if (x < 8) {
      const at = manual.nextTimerAt();
      if (at !== undefined) manual.advanceTo(at);
    } else {
      manual.advanceBy(r.int(4) * 0.25);
    }
  }
  manual.runUntilIdle();
  return log;
}

describe('ImpairedChannel FIFO delivered within a run of the clock (tryFireInOrder)', () => {
  it.each([
    ['a delay', { delayMs: 0.5 }],
    ['a delay and a bandwidth', { delayMs: 0.25, bandwidthBps: 100e6, queueLimitBytes: 1 << 20 }],
    ['duplicates and loss', { delayMs: 0.5, duplicate: 0.05, loss: 0.02 }],
  ] as [string, ImpairmentConfig][])('two ways with %s: the order of one timer per frame', (_name, cfg) => {
    const withFifo = runTwoWay(true, cfg);
    const perFrame = runTwoWay(false, cfg);
    expect(withFifo.length).toBeGreaterThan(5000);
    expect(withFifo).toEqual(perFrame);
  });
});
