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

describe('ManualClock with most timers cancelled (heap compaction)', () => {
  it('fires the survivors in (time, insertion) order when cancellations outnumber them, also while firing', () => {
    const r = new SeededRandom(11);
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const ref: { at: number; n: number }[] = [];
    const pending = new Map<number, TimerHandle>();
    let n = 0;
    const cancel = (id: number): void => {
      clock.clearTimer(pending.get(id));
      pending.delete(id);
      const k = ref.findIndex((x) => x.n === id);
      if (k >= 0) ref.splice(k, 1);
    };
    const add = (at: number): void => {
      const id = n++;
      ref.push({ at: Math.max(at, clock.now()), n: id });
      pending.set(
        id,
        clock.setTimer(at, () => {
          pending.delete(id);
          fired.push(id);
          if (n < 30_000) {
            // Like a delayed-ACK timer: set far ahead, and most are cancelled soon after, from inside a callback.
            add(clock.now() + 200 + r.int(5));
            if (r.next() < 0.9) cancel(n - 1);
            if (r.next() < 0.5) add(clock.now() + r.int(3));
          }
        }),
      );
    };
    for (let i = 0; i < 5_000; i++) add(r.int(400) / 8);
    // Cancel 90 % of them before anything fires (compaction runs many times here).
    for (let i = 0; i < 5_000; i++) if (r.next() < 0.9) cancel(i);
    expect(clock.pendingTimers()).toBe(pending.size);
    clock.runUntilIdle();
    ref.sort((a, b) => a.at - b.at || a.n - b.n);
    expect(fired).toEqual(ref.map((x) => x.n));
    expect(fired.length).toBeGreaterThan(1_000);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('keeps the heap near the live timers: cancelled ones do not pile up', () => {
    const clock = new ManualClock(0);
    const keep = clock.setTimer(10, () => {});
    for (let i = 0; i < 100_000; i++) clock.clearTimer(clock.setTimer(200 + i, () => {}));
    expect(clock.pendingTimers()).toBe(1);
    // White box: the heap's size (tombstones included) stays bounded by compaction.
    expect((clock as unknown as { heap: unknown[] }).heap.length).toBeLessThan(200);
    clock.clearTimer(keep);
    expect(clock.nextTimerAt()).toBeUndefined();
  });
});
