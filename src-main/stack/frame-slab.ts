/**
 * Frames for the send path, carved from shared slabs instead of one ArrayBuffer each.
 *
 * A `new Uint8Array(1514)` per segment costs a backing-store allocation and its later collection
 * (≈ 5× a view into an existing buffer, and GC was ≈ 9 % of a bulk transfer). A slab is a plain
 * Uint8Array; each frame is a zero-filled, never reused view into it, so nobody has to hand frames
 * back and a device, capture or lab may keep a frame as long as it likes. The cost of that
 * freedom: a kept frame keeps its whole slab (SLAB_BYTES) alive. Code that keeps a few frames
 * for a long time should copy them (`frame.slice()`), as the TAP session's capture already does
 * for the TAP reader's batch buffers.
 */
const SLAB_BYTES = 128 * 1024;
/** Larger frames (jumbo frames, big fragments) get their own buffer. */
const MAX_SLAB_FRAME = SLAB_BYTES / 8;

export class FrameSlab {
  private slab: Uint8Array | null = null;
  private used = 0;

  /** A zero-filled frame of `length` bytes. */
  alloc(length: number): Uint8Array {
    if (length > MAX_SLAB_FRAME) return new Uint8Array(length);
    let slab = this.slab;
    if (slab === null || this.used + length > SLAB_BYTES) {
      slab = this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const frame = slab.subarray(this.used, this.used + length);
    // The next frame starts 8-byte aligned, like a fresh buffer (the checksum sums aligned words).
    this.used = (this.used + length + 7) & ~7;
    return frame;
  }
}
