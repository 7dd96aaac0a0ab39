/**
 * Receiver: delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2), immediate ACK for out-of-order data
 * and gap fills, receive-side SWS avoidance (RFC 9293 §3.8.6.2.2), window updates, bounded
 * out-of-order assembler.
 */
import { describe, expect, it } from 'vitest';
import { seqAdd } from '@shared/wire/seq';
import { Harness, PLAIN, bytes, lseq, rseq } from './harness';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';

function est(config: Partial<TcpConfig> = PLAIN): Harness {
  return new Harness(config).established();
}

describe('delayed ACK', () => {
  it('one segment is ACKed after 200 ms', () => {
    const h = est();
    h.at(10);
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    h.none();
    expect(h.conn.runningTimers()).toContain('delack');
    h.at(209);
    h.none();
    h.at(210);
    expect(h.one().ack).toBe(rseq(100));
  });
  it('every second full-sized segment is ACKed at once', () => {
    const h = est({ ...PLAIN, receiveBufferSize: 10_000 });
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(1000) });
    h.none();
    h.recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(1000) });
    expect(h.one().ack).toBe(rseq(2000));
  });
  it('out-of-order data gets an immediate duplicate ACK; the gap fill an immediate ACK', () => {
    const h = est();
    h.recv({ seq: rseq(100), ack: lseq(0), payload: bytes(100) });
    expect(h.one().ack).toBe(rseq(0));
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    expect(h.one().ack).toBe(rseq(200));
  });
  it('sending data piggybacks the ACK and cancels the timer', () => {
    const h = est();
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(10) });
    h.conn.write(bytes(5));
    expect(h.one().ack).toBe(rseq(10));
    expect(h.conn.runningTimers()).not.toContain('delack');
  });
});

describe('receive window', () => {
  it('the window shrinks as data waits and never moves its right edge left', () => {
    const h = est({ ...PLAIN, delayedAckMs: 0 });
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(1000) });
    expect(h.one().window).toBe(3000);
    h.recv({ seq: rseq(1000), ack: lseq(0), payload: bytes(3000) });
    expect(h.one().window).toBe(0);
  });
  it('SWS avoidance: reading a few bytes from a full buffer does not open a tiny window (§3.8.6.2.2)', () => {
    const h = est({ ...PLAIN, delayedAckMs: 0 });
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(4000) });
    expect(h.one().window).toBe(0);
    h.conn.read(100);
    h.none(); // no window update for 100 bytes (< min(buffer/2, MSS))
    h.recv({ seq: rseq(4000), ack: lseq(0), payload: bytes(1) }); // a zero-window probe is answered with window 0
    expect(h.one().window).toBe(0);
    h.conn.read(1000); // 1100 free ≥ MSS (1000): the window reopens with an update
    expect(h.one().window).toBe(1100);
  });
  it('a zero window rejects data but still takes the ACK in it', () => {
    const h = est({ ...PLAIN, delayedAckMs: 0 });
    h.conn.write(bytes(10));
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(4000) });
    h.take();
    h.recv({ seq: rseq(4000), ack: lseq(10), payload: bytes(1) });
    expect(h.one().ack).toBe(rseq(4000));
    expect(h.conn.sndUna).toBe(lseq(10));
  });
  it('with window scaling the announced edge may round down by < 2^shift; data up to the old edge is still taken (RFC 7323 §2.4, Appendix F)', () => {
    const h = new Harness({ ...PLAIN, windowScaling: true, receiveBufferSize: 100_000, delayedAckMs: 0 });
    h.conn.listen(() => lseq(-1));
    h.recv({ flags: 0x02, seq: rseq(-1), options: [{ kind: 'mss', value: 1000 }, { kind: 'wscale', shift: 0 }] });
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(0) });
    expect(h.conn.rcvShift).toBe(1);
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(1) });
    const a = h.one();
    const edge = seqAdd(a.ack, a.window << 1);
    expect(edge).toBe(rseq(99_999)); // 1 + floor(99,999 / 2)·2: one byte left of the edge announced before
    h.recv({ seq: rseq(99_999), ack: lseq(0), payload: bytes(1) }); // the byte at the old edge
    expect(h.one().ack).toBe(rseq(1)); // out of order, but inside what we offered: kept
    expect(h.conn.assembler.rangeCount).toBe(1);
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'out-of-window')).toBe(false);
  });
  it('the out-of-order assembler is bounded: a segment needing one range too many is dropped', () => {
    const h = est({ ...PLAIN, maxOutOfOrderRanges: 2, receiveBufferSize: 10_000 });
    h.recv({ seq: rseq(100), ack: lseq(0), payload: bytes(10) });
    h.recv({ seq: rseq(200), ack: lseq(0), payload: bytes(10) });
    h.recv({ seq: rseq(300), ack: lseq(0), payload: bytes(10) });
    expect(h.conn.assembler.rangeCount).toBe(2);
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'out-of-order-queue-full')).toBe(true);
  });
  it('data beyond the advertised window is trimmed', () => {
    const h = est({ ...PLAIN, delayedAckMs: 0 });
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(5000) });
    expect(h.one().ack).toBe(rseq(4000));
    expect(h.conn.readableBytes).toBe(4000);
  });
});

describe('probes', () => {
  it('segments, state changes and timers are published with the names docs/tcp.md lists', () => {
    const h = est();
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(10) });
    h.at(200);
    const kinds = new Set(h.events.map((e) => e.kind));
    for (const k of ['state', 'segment-in', 'segment-out', 'timer-start', 'timer-fire']) expect(kinds).toContain(k);
    const out = h.events.filter((e) => e.kind === 'segment-out').at(-1)!;
    for (const key of ['seq', 'ack', 'flags', 'len', 'win', 'sndUna', 'sndNxt', 'sndWnd', 'rcvNxt', 'rcvWnd', 'cwnd']) expect(out.data).toHaveProperty(key);
    // The delayed ACK names the timer event that caused it.
    const fire = h.events.find((e) => e.kind === 'timer-fire' && e.data.timer === 'delack')!;
    expect(out.causeId).toBe(fire.id);
  });
});
