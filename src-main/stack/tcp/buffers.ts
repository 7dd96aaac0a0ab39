/**
 * Byte storage for the sender and the receiver: a ring buffer (no per-byte allocation on the hot
 * path) and a bounded assembler that records which out-of-order ranges beyond RCV.NXT have arrived
 * (smoltcp's storage::Assembler idea), remembering which range changed most recently so SACK
 * blocks can be reported in the order RFC 2018 §4 asks.
 */

/** From this length a contiguous peek() copies with slice() (shorter ones: new + set is as fast). */
const PEEK_SLICE_MIN = 4096;

export class ByteRing {
  /** Allocated on first write, so idle, listening and TIME-WAIT connections cost no buffer memory. */
  private store: Uint8Array | null = null;
  private head = 0;
  private len = 0;

  constructor(readonly capacity: number) {}

  private get buf(): Uint8Array {
    if (!this.store) this.store = new Uint8Array(this.capacity);
    return this.store;
  }

  /** Bytes of memory the ring holds now (0 until the first write). */
  get allocated(): number {
    return this.store ? this.store.length : 0;
  }

  /** Contiguous bytes stored (readable by the application, or unacknowledged/unsent for a sender). */
  get length(): number {
    return this.len;
  }

  get free(): number {
    return this.capacity - this.len;
  }

  /** Appends as much of `data` as fits; returns the number of bytes taken. */
  append(data: Uint8Array): number {
    const n = Math.min(data.length, this.capacity - this.len);
    this.writeAt(this.len, data.subarray(0, n));
    this.len += n;
    return n;
  }

  /**
   * Writes `data` at `offset` bytes after the head without making it readable (out-of-order data
   * beyond the contiguous part). The caller keeps offset + data.length <= capacity.
   */
  writeAt(offset: number, data: Uint8Array): void {
    const cap = this.capacity;
    let pos = (this.head + offset) % cap;
    if (pos + data.length <= cap) {
      // The common case (a segment that does not wrap): no view of `data` per write.
      this.buf.set(data, pos);
      return;
    }
    let src = 0;
    while (src < data.length) {
      const n = Math.min(data.length - src, cap - pos);
      this.buf.set(data.subarray(src, src + n), pos);
      src += n;
      pos = (pos + n) % cap;
    }
  }

  /** Makes `n` more bytes (already written with writeAt) part of the contiguous run. */
  commit(n: number): void {
    this.len = Math.min(this.capacity, this.len + n);
  }

  /** Copies `length` bytes starting `offset` bytes after the head. */
  peek(offset: number, length: number): Uint8Array {
    const cap = this.capacity;
    let pos = (this.head + offset) % cap;
    // A long contiguous run (what recv() takes in a bulk transfer): slice() copies into a new
    // buffer without zero-filling it first, as new Uint8Array(n) + set() does (~2× at 64 KiB).
    if (length >= PEEK_SLICE_MIN && pos + length <= cap) return this.buf.slice(pos, pos + length);
    const out = new Uint8Array(length);
    let dst = 0;
    while (dst < length) {
      const n = Math.min(length - dst, cap - pos);
      out.set(this.buf.subarray(pos, pos + n), dst);
      dst += n;
      pos = (pos + n) % cap;
    }
    return out;
  }

  /**
   * `length` bytes starting `offset` bytes after the head, without copying when they are
   * contiguous in the ring. The view is only valid until the ring changes: a sender hands it to
   * an emitter that copies it at once.
   */
  view(offset: number, length: number): Uint8Array {
    const pos = (this.head + offset) % this.capacity;
    if (pos + length <= this.capacity) return this.buf.subarray(pos, pos + length);
    return this.peek(offset, length);
  }

  /** Drops `n` bytes from the head (acknowledged data, or data the application read). */
  consume(n: number): void {
    const k = Math.min(n, this.len);
    this.head = (this.head + k) % this.capacity;
    this.len -= k;
    // The head is never reset to 0 when empty: out-of-order bytes may already sit beyond it.
  }

  /** Reads and consumes up to `max` bytes. */
  read(max: number): Uint8Array {
    const n = Math.min(max, this.len);
    const out = this.peek(0, n);
    this.consume(n);
    return out;
  }

  /** Drops the contiguous bytes (keeps the position, so out-of-order bytes stay where they are). */
  clear(): void {
    this.head = (this.head + this.len) % this.capacity;
    this.len = 0;
  }
}

/** A received range [start, end) as offsets from RCV.NXT, with the time it last grew. */
interface Range {
  start: number;
  end: number;
  touched: number;
}

/**
 * Out-of-order ranges beyond RCV.NXT, as offsets relative to it. Bounded: at most `maxRanges`
 * disjoint ranges; a segment that would need one more is refused (the sender retransmits it later).
 */
export class Assembler {
  private ranges: Range[] = [];
  private clock = 0;

  constructor(readonly maxRanges = 32) {}

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  get rangeCount(): number {
    return this.ranges.length;
  }

  /** Highest offset covered (0 when empty). */
  get end(): number {
    return this.ranges.length === 0 ? 0 : this.ranges[this.ranges.length - 1]!.end;
  }

  /**
   * Records [offset, offset+length). Returns false if it would need more than maxRanges ranges
   * (nothing is recorded then). Overlaps and adjacency merge.
   */
  add(offset: number, length: number): boolean {
    if (length <= 0) return true;
    let start = offset;
    let end = offset + length;
    const rs = this.ranges;
    let i = 0;
    while (i < rs.length && rs[i]!.end < start) i++;
    let j = i;
    while (j < rs.length && rs[j]!.start <= end) {
      start = Math.min(start, rs[j]!.start);
      end = Math.max(end, rs[j]!.end);
      j++;
    }
    const merged = j - i;
    if (merged === 0 && rs.length >= this.maxRanges) return false;
    rs.splice(i, merged, { start, end, touched: ++this.clock });
    return true;
  }

  /**
   * The first part of [offset, offset+length) already held, as offsets, or null when it brings only
   * new bytes (adjacent ranges do not overlap). The whole segment when it is a pure duplicate.
   */
  firstOverlap(offset: number, length: number): { start: number; end: number } | null {
    const end = offset + length;
    for (const r of this.ranges) {
      if (r.start >= end) break;
      if (r.end > offset) return { start: Math.max(offset, r.start), end: Math.min(end, r.end) };
    }
    return null;
  }

  /**
   * If a range starts at offset 0, removes it and returns its length (bytes now in order);
   * otherwise 0. Then shifts the remaining ranges so offsets stay relative to the new RCV.NXT.
   */
  takeFront(): number {
    const first = this.ranges[0];
    if (!first || first.start > 0) return 0;
    const n = first.end;
    this.ranges.shift();
    this.shift(n);
    return n;
  }

  /**
   * `add(0, length)` then `takeFront()`: data arrived at RCV.NXT; returns the bytes now in order.
   * With nothing held out of order that is just `length`, without making and dropping a range and
   * an array per in-order segment (the bulk receive path).
   */
  addAtFront(length: number): number {
    if (this.ranges.length === 0) return Math.max(0, length);
    this.add(0, length);
    return this.takeFront();
  }

  /** RCV.NXT advanced by n: re-base every range (and drop what fell below zero). */
  shift(n: number): void {
    if (n === 0) return;
    const out: Range[] = [];
    for (const r of this.ranges) {
      const s = r.start - n;
      const e = r.end - n;
      if (e <= 0) continue;
      out.push({ start: Math.max(0, s), end: e, touched: r.touched });
    }
    this.ranges = out;
  }

  /** Ranges most recently changed first (RFC 2018 §4: the first block reports the newest segment). */
  byRecency(limit: number): { start: number; end: number }[] {
    return [...this.ranges]
      .sort((a, b) => b.touched - a.touched)
      .slice(0, limit)
      .map((r) => ({ start: r.start, end: r.end }));
  }

  /** Ranges in offset order. */
  list(): { start: number; end: number }[] {
    return this.ranges.map((r) => ({ start: r.start, end: r.end }));
  }

  clear(): void {
    this.ranges = [];
  }
}
