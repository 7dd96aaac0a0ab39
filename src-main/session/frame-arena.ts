/**
 * Where a file session keeps its frames' bytes: copied back to back into large slabs instead of
 * one ArrayBuffer per frame, and each frame's view made only when asked for. A small ArrayBuffer,
 * and even a kept Uint8Array view, costs more to allocate and to collect than the bytes it holds
 * (issue 9 §5: at 100k frames/s the per-frame copies were the worker's largest cost after the
 * encoding; the lazy view saves ~70 MB of heap per million frames). Frames live as long as their
 * session, so slabs are never reused.
 *
 * A frame's `data` shares its slab: hand `data.slice()` to anything that sends or keeps the bytes
 * on their own (structured clone copies a view's whole ArrayBuffer).
 */
import type { CapturedFrame } from './source';

const SLAB_BYTES = 1 << 20;

/** Capture times kept per this many frames in one Float64Array. */
const TIMES_PER_CHUNK = 65_536;

/**
 * A frame whose bytes are in a FrameArena slab; `data` is a new view on each access. The capture
 * time sits in the arena's Float64Array too: a double in an object field is a separate heap
 * number, one more object per frame for the garbage collector to copy and mark.
 */
export class ArenaFrame implements CapturedFrame {
  constructor(
    readonly linkType: number,
    private readonly times: Float64Array,
    private readonly timeIndex: number,
    private readonly slab: Uint8Array,
    private readonly offset: number,
    private readonly capturedLength: number,
    readonly originalLength: number,
  ) {}

  get tsUs(): number {
    return this.times[this.timeIndex]!;
  }

  get data(): Uint8Array {
    return new Uint8Array(this.slab.buffer, this.slab.byteOffset + this.offset, this.capturedLength);
  }
}

export class FrameArena {
  private slab = new Uint8Array(0);
  private used = 0;
  private times = new Float64Array(0);
  private timesUsed = 0;

  /** Copies `length` bytes of `source` from `offset` into the arena; returns the arena's view. */
  copy(source: Uint8Array, offset = 0, length = source.length - offset): Uint8Array {
    if (length > SLAB_BYTES / 4) return source.slice(offset, offset + length);
    const start = this.place(source, offset, length);
    return this.slab.subarray(start, start + length);
  }

  /** Copies a frame's bytes into the arena and returns the frame, its view made on demand. */
  frame(linkType: number, tsUs: number, source: Uint8Array, offset: number, length: number, originalLength: number): CapturedFrame {
    if (length > SLAB_BYTES / 4) return { linkType, tsUs, data: source.slice(offset, offset + length), originalLength };
    const start = this.place(source, offset, length);
    if (this.timesUsed === this.times.length) {
      this.times = new Float64Array(TIMES_PER_CHUNK);
      this.timesUsed = 0;
    }
    this.times[this.timesUsed] = tsUs;
    return new ArenaFrame(linkType, this.times, this.timesUsed++, this.slab, start, length, originalLength);
  }

  private place(source: Uint8Array, offset: number, length: number): number {
    if (this.used + length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.slab.set(source.subarray(offset, offset + length), start);
    // 8-byte aligned starts, so typed-array views over a frame's fields stay possible.
    this.used = (start + length + 7) & ~7;
    return start;
  }
}
