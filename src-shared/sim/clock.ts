/**
 * Time as a value (design principle 3). Everything in the stack and the links reads time only
 * through a Clock, so a lab or a test can drive it by hand and replay exactly.
 * Times are milliseconds as floating-point numbers; their origin is the clock's own.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  /** Calls `callback` once when the clock reaches `atMs` (or at once, asynchronously, if past). */
  setTimer(atMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle | null | undefined): void;
  /**
   * Optional, for queues that hold many timers in FIFO order (the virtual link's frames in
   * flight): the tie-break position a setTimer call made now would get. Such a queue keeps only
   * its head in the clock and arms each next entry, with the position it reserved, via
   * `setTimerInOrder` — the same firing order as one timer per entry, with a much smaller heap.
   */
  reserveOrder?(): number;
  /** setTimer with a position from reserveOrder(): it fires as if it had been set back then. */
  setTimerInOrder?(atMs: number, order: number, callback: () => void): TimerHandle;
  /**
   * Optional, for the same queues: true if a timer (atMs, order) would fire next, right now —
   * inside a run of due timers (ManualClock.advanceTo), due by that run's target, and before every
   * pending timer. The clock's time is then moved to atMs and the caller runs the entry itself,
   * without a timer: the same order as arming it, with no timer object and heap push per entry.
   */
  tryFireInOrder?(atMs: number, order: number): boolean;
  /**
   * True when cancelling a timer costs more than letting it fire and do nothing (RealClock: a
   * clearTimeout and a new setTimeout per restart). A caller that stops and restarts a timer very
   * often may then leave it armed. Never true for ManualClock: there every armed timer shows in
   * nextTimerAt() and pendingTimers(), which tests and labs read.
   */
  readonly lazyCancel?: boolean;
}

interface PendingTimer extends TimerHandle {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Compaction only once this many cancelled timers wait in the heap (and they are over half of it). */
const COMPACT_MIN = 64;

/**
 * A clock that moves only when told. Timers due at the same time fire in the order they were set,
 * so runs are deterministic. Backed by a binary heap: labs schedule millions of timers.
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private insertion = 0;
  private heap: PendingTimer[] = [];
  private live = 0;
  /** Cancelled timers still in the heap (they leave it when they reach the top, or by compact()). */
  private cancelledInHeap = 0;
  /** Inside advanceTo: its target (for tryFireInOrder); -Infinity outside. */
  private firingUntil = Number.NEGATIVE_INFINITY;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(atMs: number, callback: () => void): TimerHandle {
    return this.setTimerInOrder(atMs, this.insertion++, callback);
  }

  reserveOrder(): number {
    return this.insertion++;
  }

  setTimerInOrder(atMs: number, order: number, callback: () => void): TimerHandle {
    const timer: PendingTimer = {
      id: this.nextId++,
      at: Math.max(atMs, this.current),
      seq: order,
      callback,
      cancelled: false,
    };
    this.push(timer);
    this.live++;
    return timer;
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const timer = handle as PendingTimer;
    if (!timer.cancelled) {
      timer.cancelled = true;
      this.live--;
      // Still in the heap (a fired timer was marked cancelled when it left it): now a tombstone.
      this.cancelledInHeap++;
      if (this.cancelledInHeap > COMPACT_MIN && this.cancelledInHeap * 2 > this.heap.length) this.compact();
    }
  }

  /**
   * Drops the cancelled timers from the heap and rebuilds it. A bulk TCP transfer stops its
   * delayed-ACK timer on every other segment: without this the heap filled with thousands of
   * tombstones due 200 ms later, and every pop sifted through them. The heap orders by (at, seq),
   * a total order, so the timers still fire in exactly the same order.
   */
  private compact(): void {
    const h = this.heap.filter((t) => !t.cancelled);
    // Floyd's heap construction: sift every parent down, from the last one to the root.
    for (let i = (h.length >> 1) - 1; i >= 0; i--) ManualClock.siftDown(h, i, h[i]!, h.length);
    this.heap = h;
    this.cancelledInHeap = 0;
  }

  /** Number of timers still pending. */
  pendingTimers(): number {
    return this.live;
  }

  /** Time of the next pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /** Fires every timer due at or before `targetMs` in time order, then sets the time to it. */
  advanceTo(targetMs: number): void {
    const outer = this.firingUntil;
    this.firingUntil = targetMs;
    try {
      for (;;) {
        this.dropCancelledTop();
        const top = this.heap[0];
        if (!top || top.at > targetMs) break;
        this.pop();
        top.cancelled = true;
        this.live--;
        this.current = Math.max(this.current, top.at);
        top.callback();
      }
    } finally {
      this.firingUntil = outer;
    }
    this.current = Math.max(this.current, targetMs);
  }

  tryFireInOrder(atMs: number, order: number): boolean {
    if (atMs > this.firingUntil) return false;
    this.dropCancelledTop();
    const top = this.heap[0];
    if (top !== undefined && (top.at < atMs || (top.at === atMs && top.seq < order))) return false;
    if (atMs > this.current) this.current = atMs;
    return true;
  }

  advanceBy(deltaMs: number): void {
    this.advanceTo(this.current + deltaMs);
  }

  /**
   * Runs timers until none is left or the limit is reached; returns the number fired.
   * `untilMs` bounds simulated time so a periodic timer cannot loop forever.
   */
  runUntilIdle(untilMs = Number.POSITIVE_INFINITY, maxTimers = 10_000_000): number {
    let fired = 0;
    while (fired < maxTimers) {
      const at = this.nextTimerAt();
      if (at === undefined || at > untilMs) break;
      this.advanceTo(at);
      fired++;
    }
    return fired;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.pop();
      this.cancelledInHeap--;
    }
  }

  private static less(a: PendingTimer, b: PendingTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  // Sift with a hole (move parents/children into it, place the timer once) rather than swapping
  // pairs: a bulk transfer in a lab keeps a window of frames in flight, one timer each.
  private push(t: PendingTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!ManualClock.less(t, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = t;
  }

  private pop(): PendingTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n > 0 && last) ManualClock.siftDown(h, 0, last, n);
    return top;
  }

  /** Places `t` at hole `i` or below it, moving smaller children up (the heap has `n` entries). */
  private static siftDown(h: PendingTimer[], i: number, t: PendingTimer, n: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && ManualClock.less(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!ManualClock.less(child, t)) break;
      h[i] = child;
      i = c;
    }
    h[i] = t;
  }
}
