/**
 * A bounded queue between a session and one subscriber (a window or a WebSocket). Items are
 * coalesced and flushed together every tick (16–50 ms). When the subscriber is slow and the queue
 * is full, new items are dropped and counted; the count travels with the next batch, so a drop is
 * always shown, never silent.
 */
export class Outbox<T> {
  private items: T[] = [];
  private droppedSinceFlush = 0;
  private droppedTotal = 0;

  constructor(readonly capacity: number) {}

  push(item: T): boolean {
    if (this.items.length >= this.capacity) {
      this.droppedSinceFlush++;
      this.droppedTotal++;
      return false;
    }
    this.items.push(item);
    return true;
  }

  get size(): number {
    return this.items.length;
  }

  get totalDropped(): number {
    return this.droppedTotal;
  }

  /** Takes up to `max` items and the drop count since the last take. */
  take(max = Number.POSITIVE_INFINITY): { items: T[]; dropped: number } {
    const items = max >= this.items.length ? this.items : this.items.slice(0, max);
    this.items = max >= this.items.length ? [] : this.items.slice(max);
    const dropped = this.droppedSinceFlush;
    this.droppedSinceFlush = 0;
    return { items, dropped };
  }

  hasPending(): boolean {
    return this.items.length > 0 || this.droppedSinceFlush > 0;
  }
}
