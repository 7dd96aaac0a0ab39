import { describe, expect, it } from 'vitest';
import { layoutLadder, statesAt, timeToY, visibleArrows, yToTime } from '../../src-shared/diagram/ladder';
import { badgesOf, firstSackBlockIsDsack, segmentLabel } from '../../src-shared/diagram/notation';
import { A_DUPLICATE_ACK, A_RETRANSMISSION, A_ZERO_WINDOW } from '../../src-shared/analysis/types';
import { bulkCapture, labLike } from './fixtures';

describe('labels in the classic notation', () => {
  const data = labLike();
  const s = data.segments;
  it('writes SYNs, pure ACKs and data as Stevens does (absolute numbers)', () => {
    const abs = { relative: false, window: true, options: true };
    expect(segmentLabel(s[0]!, data.isn, abs)).toBe('SYN 1000(0) win 4096 <mss 1460>');
    expect(segmentLabel(s[1]!, data.isn, abs)).toBe('SYN 5000(0) ack 1001 win 4096 <mss 1024>');
    expect(segmentLabel(s[2]!, data.isn, { ...abs, window: false })).toBe('ACK 5001');
    expect(segmentLabel(s[4]!, data.isn, abs)).toBe('1001:2025(1024) ack 5001 win 4096');
    expect(segmentLabel(s[6]!, data.isn, { ...abs, window: false })).toBe('FIN 2025(0) ack 5001');
  });
  it('counts from each side’s ISN by default (relative)', () => {
    expect(segmentLabel(s[0]!, data.isn)).toBe('SYN 0(0) win 4096 <mss 1460>');
    expect(segmentLabel(s[4]!, data.isn)).toBe('1:1025(1024) ack 1 win 4096');
    expect(segmentLabel(s[5]!, data.isn, { relative: true, window: false, options: false })).toBe('ACK 1025');
  });
  it('drops window and options on request, and shows SACK blocks relative to the peer', () => {
    const withSack = { ...s[5]!, opts: { sack: [1001 + 2048, 1001 + 3072] } };
    expect(segmentLabel(withSack, data.isn, { relative: true, window: false, options: true })).toBe('ACK 1025 <sack 2049:3073>');
    expect(segmentLabel(withSack, data.isn, { relative: true, window: false, options: false })).toBe('ACK 1025');
  });
  it('names a D-SACK apart (RFC 2883 §4): first block below the ACK, or inside the second block', () => {
    const opts = { relative: true, window: false, options: true };
    // s[5] acknowledges 2025 (absolute): a first block below it reports a duplicate.
    const belowAck = { ...s[5]!, opts: { sack: [1001, 1001 + 512] } };
    expect(segmentLabel(belowAck, data.isn, opts)).toBe('ACK 1025 <dsack 1:513>');
    const inSecond = { ...s[5]!, opts: { sack: [1001 + 2048, 1001 + 2560, 1001 + 2048, 1001 + 3072, 1001 + 4096, 1001 + 5120] } };
    expect(segmentLabel(inSecond, data.isn, opts)).toBe('ACK 1025 <dsack 2049:2561,sack 2049:3073 4097:5121>');
    // Two ordinary blocks, the first not inside the second: plain SACK.
    const twoHoles = { ...s[5]!, opts: { sack: [1001 + 4096, 1001 + 5120, 1001 + 2048, 1001 + 3072] } };
    expect(segmentLabel(twoHoles, data.isn, opts)).toBe('ACK 1025 <sack 4097:5121 2049:3073>');
    // Sequence space wraps: an ACK just past 2^32 still has 0xffffff00 below it.
    expect(firstSackBlockIsDsack([0xffff_ff00, 0xffff_ff80], 0x10)).toBe(true);
    expect(firstSackBlockIsDsack([0x20, 0x40], 0x10)).toBe(false);
    expect(firstSackBlockIsDsack([0x20, 0x40], undefined)).toBe(false);
  });
  it('wraps sequence numbers modulo 2^32', () => {
    const wrapped = { ...s[4]!, seq: 0xffff_ff00, ack: 5001 };
    expect(segmentLabel(wrapped, [0xffff_fe00, 5000], { relative: true, window: false, options: false })).toBe('256:1280(1024) ack 1');
  });
  it('turns analysis flags into badges', () => {
    expect(badgesOf(0)).toEqual([]);
    expect(badgesOf(A_RETRANSMISSION | A_ZERO_WINDOW)).toEqual(['retransmission', 'zero-window']);
    expect(badgesOf(A_DUPLICATE_ACK)).toEqual(['dup-ack']);
  });
});

describe('ladder layout', () => {
  it('slants two-sided arrows from send to receive time and keeps y monotonic in time', () => {
    const l = layoutLadder(labLike());
    expect(l.arrows).toHaveLength(9);
    const syn = l.arrows.find((a) => a.frame === 1)!;
    expect(syn.x1).toBe(l.geometry.lifelineA);
    expect(syn.x2).toBe(l.geometry.lifelineB);
    expect(syn.y2).toBeGreaterThan(syn.y1);
    expect(syn.y2).toBeCloseTo(timeToY(l, 10_000));
    const synAck = l.arrows.find((a) => a.frame === 2)!;
    expect(synAck.x1).toBe(l.geometry.lifelineB);
    // The SYN-ACK leaves B when the SYN arrives.
    expect(synAck.y1).toBeCloseTo(syn.y2);
    for (let i = 1; i < l.keyYs.length; i++) expect(l.keyYs[i]!).toBeGreaterThan(l.keyYs[i - 1]!);
    for (const t of [0, 5_000, 21_000, 1_000_000, 2_260_000]) expect(yToTime(l, timeToY(l, t))).toBeCloseTo(t, 3);
  });

  it('ends a lost segment mid-air and badges the retransmission', () => {
    const l = layoutLadder(labLike());
    const lost = l.arrows.find((a) => a.frame === 4)!;
    expect(lost.seen).toBe('lost');
    expect(lost.x2).toBeGreaterThan(l.geometry.lifelineA);
    expect(lost.x2).toBeLessThan(l.geometry.lifelineB);
    expect(l.legend.lost).toBe(true);
    expect(l.arrows.find((a) => a.frame === 5)!.badges).toEqual(['retransmission']);
    expect(layoutLadder(labLike(), { detail: { flags: false } }).arrows.find((a) => a.frame === 5)!.badges).toEqual([]);
  });

  it('folds idle gaps (nothing in flight) but never a gap an arrow spans', () => {
    const l = layoutLadder(labLike());
    // Idle: the RTO wait after the lost segment (the ACK in flight lands at 30 ms; the
    // retransmission leaves at 221 ms) and the 2 s before the close.
    expect(l.breaks.map((b) => [b.fromUs, b.toUs])).toEqual([
      [30_000, 221_000],
      [241_000, 2_241_000],
    ]);
    expect(l.legend.folded).toBe(true);
    // 2 s take the break's height, not 2 s at the ladder's scale.
    const b = l.breaks[1]!;
    expect(timeToY(l, 2_241_000) - timeToY(l, 241_000)).toBe(b.height);
    // The SYN's 10 ms flight is spanned by an arrow: never folded, drawn at the ladder's scale.
    expect(l.breaks.some((x) => x.fromUs < 10_000 && x.toUs > 0)).toBe(false);
    // Without a long gap nothing is folded.
    const dense = labLike();
    dense.segments = dense.segments.slice(0, 3);
    dense.timers = [];
    dense.states = dense.states.filter((x) => x.t <= 30_000);
    expect(layoutLadder(dense).breaks).toEqual([]);
  });

  it('draws one-sided capture arrows with a small fixed slant', () => {
    const l = layoutLadder(bulkCapture(30));
    expect(l.arrows.every((a) => a.seen === 'one-sided' && Math.abs(a.y2 - a.y1 - 6) < 1e-9)).toBe(true);
    expect(l.legend.oneSided).toBe(true);
    expect(l.breaks).toHaveLength(1);
  });

  it('puts a state column beside each lifeline, box after box, true states marked as such', () => {
    const l = layoutLadder(labLike());
    const a = l.states.filter((s) => s.side === 0).sort((p, q) => p.y1 - q.y1);
    expect(a.map((s) => s.state)).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'TIME-WAIT']);
    for (let i = 1; i < a.length; i++) expect(a[i]!.y1).toBeCloseTo(a[i - 1]!.y2);
    const b = l.states.filter((s) => s.side === 1).sort((p, q) => p.y1 - q.y1);
    expect(b.map((s) => s.state)).toEqual(['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
    expect(l.states.every((s) => !s.inferred)).toBe(true);
    expect(l.legend.trueStates).toBe(true);
    expect(l.legend.inferred).toBe(false);
    expect(layoutLadder(labLike(), { detail: { states: false } }).states).toEqual([]);
  });

  it('puts timers in their own lane outside the state column', () => {
    const l = layoutLadder(labLike());
    const rto = l.timers.find((t) => t.timer === 'rto')!;
    expect(rto.outcome).toBe('fired');
    expect(rto.x).toBeLessThan(l.geometry.stateA);
    expect(rto.y2).toBeGreaterThan(rto.y1);
    const tw = l.timers.find((t) => t.timer === 'time-wait')!;
    expect(tw.x).not.toBe(rto.x);
  });

  it('lays out a frame range only', () => {
    const l = layoutLadder(labLike(), { frameRange: { from: 3, to: 6 } });
    expect(l.arrows.map((a) => a.frame).sort()).toEqual([3, 4, 5, 6]);
    // The state before the range is shown from the top: A is ESTABLISHED already.
    expect(l.states.find((s) => s.side === 0)!.state).toBe('ESTABLISHED');
  });

  it('finds the visible arrows by y range (virtualisation) and scales to 100k segments', () => {
    const data = bulkCapture(100_000);
    const l = layoutLadder(data);
    expect(l.arrows).toHaveLength(100_000);
    const y0 = l.arrows[50_000]!.y1;
    const y1 = y0 + 800;
    const [start, end] = visibleArrows(l, y0, y1);
    const brute = l.arrows.map((a, i) => [i, a] as const).filter(([, a]) => Math.max(a.y1, a.y2) >= y0 && Math.min(a.y1, a.y2) <= y1);
    expect(end - start).toBeLessThan(200);
    for (const [i] of brute) {
      expect(i).toBeGreaterThanOrEqual(start);
      expect(i).toBeLessThan(end);
    }
  });

  it('tells the state of each side at a time', () => {
    const data = labLike();
    expect(statesAt(data, -1)).toEqual(['CLOSED', 'LISTEN']);
    expect(statesAt(data, 25_000)).toEqual(['ESTABLISHED', 'SYN-RECEIVED']);
    expect(statesAt(data, Infinity)).toEqual(['TIME-WAIT', 'CLOSED']);
  });
});

describe('packing for the IPC', () => {
  it('round-trips every field of every segment, nulls and options included', async () => {
    const { packLadder, unpackLadder } = await import('../../src-shared/diagram/pack');
    const data = labLike();
    data.segments[3]!.frame = null; // a lost segment the capture host never saw
    const packed = packLadder(data);
    expect(packed.columns).toBeInstanceOf(Uint8Array);
    expect(packed.columns.length).toBe(50 * data.segments.length);
    expect('segments' in packed).toBe(false);
    // The attachment may arrive at an odd offset of a larger message.
    const shifted = new Uint8Array(packed.columns.length + 3);
    shifted.set(packed.columns, 3);
    const back = unpackLadder({ ...packed, columns: shifted.subarray(3) });
    expect(back).toEqual(data);
    expect(() => unpackLadder({ ...packed, columns: packed.columns.subarray(1) })).toThrow(/expected/);
  });
});
