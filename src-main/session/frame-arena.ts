/**
 * Where a session keeps its frames' bytes: copied back to back into large slabs instead of one
 * ArrayBuffer per frame. A small ArrayBuffer costs far more to allocate and to collect than the
 * bytes it holds (issue 9 §5: at 100k frames/s the per-frame copies were the worker's largest
 * cost after the encoding). Frames live as long as their session, so slabs are never reused.
 *
 * A returned view shares its slab: hand `view.slice()` to anything that sends or keeps the bytes
 * on their own (structured clone copies a view's whole ArrayBuffer).
 */
const SLAB_BYTES = 1 << 20;

export class FrameArena {
  private slab = new Uint8Array(0);
  private used = 0;

  /** Copies `length` bytes of `source` from `offset` into the arena; returns the arena's view. */
  copy(source: Uint8Array, offset = 0, length = source.length - offset): Uint8Array {
    if (length > SLAB_BYTES / 4) return source.slice(offset, offset + length);
    if (this.used + length > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    this.slab.set(source.subarray(offset, offset + length), start);
    // 8-byte aligned starts, so typed-array views over a frame's fields stay possible.
    this.used = (start + length + 7) & ~7;
    return this.slab.subarray(start, start + length);
  }
}
