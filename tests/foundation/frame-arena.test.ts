import { describe, expect, it } from 'vitest';
import { FrameArena } from '../../src-main/session/frame-arena';
import { detailFrame } from '../../src-main/session/detail';

describe('frame arena', () => {
  it('keeps every frame intact after the source buffer is reused, sharing slabs between frames', () => {
    const arena = new FrameArena();
    const source = new Uint8Array(100);
    const kept: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      source.fill(i);
      kept.push(arena.copy(source, 10, 20 + i));
    }
    source.fill(255);
    kept.forEach((view, i) => {
      expect(view.length).toBe(20 + i);
      expect(view.every((b) => b === i)).toBe(true);
      expect(view.byteOffset % 8).toBe(0);
    });
    expect(kept[0]!.buffer).toBe(kept[49]!.buffer);
  });

  it('starts a new slab when one is full, and copies large frames on their own', () => {
    const arena = new FrameArena();
    const frame = new Uint8Array(200_000).fill(7);
    const views = Array.from({ length: 6 }, () => arena.copy(frame));
    expect(new Set(views.map((v) => v.buffer)).size).toBeGreaterThan(1);
    const huge = arena.copy(new Uint8Array(300_000).fill(3));
    expect(huge.byteOffset).toBe(0);
    expect(huge.buffer.byteLength).toBe(300_000);
    expect(views.every((v) => v.length === 200_000 && v[199_999] === 7)).toBe(true);
  });

  it('keeps frames whose views are made on demand, equal to the bytes read, after the source is reused', () => {
    const arena = new FrameArena();
    const source = new Uint8Array(2_000);
    const frames = [];
    for (let i = 0; i < 3_000; i++) {
      source.fill(i & 255);
      frames.push(arena.frame(1, i * 10, source, 7, 60 + (i % 1_400), 1_514));
    }
    source.fill(0);
    frames.forEach((f, i) => {
      expect(f).toMatchObject({ linkType: 1, tsUs: i * 10, originalLength: 1_514 });
      expect(f.data.length).toBe(60 + (i % 1_400));
      expect(f.data.every((b) => b === (i & 255))).toBe(true);
    });
    // Capture times live in chunks of the arena: past the first chunk too.
    const many = Array.from({ length: 70_000 }, (_, i) => arena.frame(1, 1.7e15 + i * 0.5, source, 0, 1, 1));
    expect(many.every((f, i) => f.tsUs === 1.7e15 + i * 0.5)).toBe(true);
    // A frame larger than a quarter slab has its own buffer.
    const big = arena.frame(1, 0, new Uint8Array(400_000).fill(5), 0, 400_000, 400_000);
    expect(big.data.buffer.byteLength).toBe(400_000);
  });

  it('gives a frame detail its own bytes, not the shared slab', () => {
    const arena = new FrameArena();
    arena.copy(new Uint8Array(64).fill(1));
    const bytes = Uint8Array.from({ length: 60 }, (_, i) => i);
    const frame = arena.frame(1, 0, bytes, 0, 60, 60);
    const data = frame.data;
    const detail = detailFrame(2, frame);
    expect(detail.bytes.buffer.byteLength).toBe(60);
    expect([...detail.bytes]).toEqual([...data]);
  });
});
