import { describe, expect, it } from 'vitest';
import { ManualClock, type TimerHandle } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';

describe('ManualClock timer order', () => {
  it('fires 20,000 timers (many at equal times, some cancelled, some set while firing) in (time, insertion) order', () => {
    const r = new SeededRandom(3);
    const clock = new ManualClock(0);
    const fired: number[] = [];
    // Reference: every timer with its due time and insertion number; cancelled ones removed.
    const ref: { at: number; n: number }[] = [];
    const handles = new Map<number, TimerHandle>();
    let n = 0;
    const add = (at: number): void => {
      const id = n++;
      const due = Math.max(at, clock.now());
      ref.push({ at: due, n: id });
      handles.set(
        id,
        clock.setTimer(at, () => {
          fired.push(id);
          // A timer set while firing, sometimes at the current time (it must run after the others due now).
          if (r.next() < 0.1 && n < 20_000) add(clock.now() + r.int(3));
        }),
      );
    };
    for (let i = 0; i < 15_000; i++) add(r.int(50) / 4);
    for (let i = 0; i < 3_000; i++) {
      const id = r.int(n);
      clock.clearTimer(handles.get(id));
      const k = ref.findIndex((x) => x.n === id);
      if (k >= 0) ref.splice(k, 1);
    }
    clock.runUntilIdle();
    ref.sort((a, b) => a.at - b.at || a.n - b.n);
    // Timers added while running are due no earlier than now, so the global order still holds.
    expect(fired).toEqual(ref.map((x) => x.n));
    expect(clock.pendingTimers()).toBe(0);
  });
});
