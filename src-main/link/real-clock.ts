import type { Clock, TimerHandle } from '@shared/sim/clock';

/**
 * The wall-side Clock for runs against a real kernel: `performance.now()` (monotonic, never jumps
 * with NTP) and `setTimeout`. Labs and tests use ManualClock instead.
 */
interface RealTimer extends TimerHandle {
  timeout: ReturnType<typeof setTimeout> | null;
}

export class RealClock implements Clock {
  /** A setTimeout + clearTimeout pair per delayed ACK cost ≈ 10 % of a bulk receiver's main thread. */
  readonly lazyCancel = true;
  private nextId = 1;
  private readonly live = new Set<RealTimer>();

  /**
   * @param opts.unref timers do not keep the process alive (a stack's ARP ageing should not stop
   *   a finished CLI from exiting; the TAP worker keeps it alive while it runs).
   */
  constructor(private readonly opts: { unref?: boolean } = {}) {}

  now(): number {
    return performance.now();
  }

  setTimer(atMs: number, callback: () => void): TimerHandle {
    const timer: RealTimer = { id: this.nextId++, timeout: null };
    const delay = Math.max(0, Math.ceil(atMs - performance.now()));
    // setTimeout's limit is 2^31-1 ms; longer timers fire early and re-arm.
    const arm = (ms: number): void => {
      timer.timeout = setTimeout(() => {
        // libuv measures from its cached loop time, so a timeout can fire up to ~1 ms early;
        // never run a callback before its time (a 5 ms delay must be at least 5 ms).
        const left = atMs - performance.now();
        if (left > 0) {
          arm(Math.ceil(left));
          return;
        }
        this.live.delete(timer);
        timer.timeout = null;
        callback();
      }, Math.min(ms, 0x7fffffff));
      if (this.opts.unref) timer.timeout.unref?.();
    };
    arm(delay);
    this.live.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const timer = handle as RealTimer;
    if (timer.timeout) clearTimeout(timer.timeout);
    timer.timeout = null;
    this.live.delete(timer);
  }

  /** Cancels every pending timer (used on shutdown). */
  clearAll(): void {
    for (const t of this.live) if (t.timeout) clearTimeout(t.timeout);
    this.live.clear();
  }

  pendingTimers(): number {
    return this.live.size;
  }
}
