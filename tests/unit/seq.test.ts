import { describe, expect, it } from 'vitest';
import { seq, seqAdd, seqDiff, seqGt, seqInRange, seqLt } from '@shared/wire/seq';

describe('sequence numbers wrap at 2^32', () => {
  it('adds modulo 2^32', () => {
    expect(seqAdd(seq(0xffff_fff0), 0x20)).toBe(0x10);
  });
  it('compares across the wrap', () => {
    const before = seq(0xffff_ff00);
    const after = seqAdd(before, 0x200);
    expect(seqLt(before, after)).toBe(true);
    expect(seqGt(after, before)).toBe(true);
    expect(seqDiff(after, before)).toBe(0x200);
    expect(seqInRange(seq(5), before, after)).toBe(true);
    expect(seqInRange(after, before, after)).toBe(false);
  });
});
