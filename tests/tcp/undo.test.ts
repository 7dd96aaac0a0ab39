/**
 * Undoing a congestion reduction that D-SACKs prove spurious (RFC 3708 §3 detection, RFC 4015 §2
 * response, RFC 9438 §4.9 for CUBIC's state; Linux tcp_try_undo_dsack). The sender-side traces
 * follow tests/tcp/rack.test.ts: a 100 ms handshake, 1000-byte segments, offsets after the first
 * data byte.
 */
import { describe, expect, it } from 'vitest';
import { seqDiff } from '@shared/wire/seq';
import { Harness, PLAIN, TCP_SYN, ackWithSack, bytes, lseq, rseq, sackOption, sackSender } from './harness';
import { TCP_ACK, TCP_CWR, TCP_ECE } from '../../src-main/stack/tcp/segment';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';
import { SpuriousEpisode } from '../../src-main/stack/tcp/congestion/undo';
import { CubicCongestion } from '../../src-main/stack/tcp/congestion/cubic';
import { createCongestionControl } from '../../src-main/stack/tcp/congestion';

const CFG: Partial<TcpConfig> = { ...PLAIN, sack: true, rack: false, sendBufferSize: 100_000, congestion: 'newreno', initialWindow: 10, noDelay: true };

const est = sackSender;
const sack = sackOption;
const ackAt = ackWithSack;
const retransmitted = (h: Harness) => h.events.filter((e) => e.kind === 'retransmit').map((e) => seqDiff(e.data.seq as never, lseq(0)));

/**
 * Segment 2000 arrives late, after three segments above it: the sender fast-retransmits it
 * (DupThresh, RFC 6675 IsLost), the original arrives, recovery ends at 10 000; `dsack` then
 * decides what the receiver says about the retransmission.
 */
function reordered(config: Partial<TcpConfig>, dsack: boolean) {
  const h = est(config);
  h.at(100).conn.write(bytes(10_000));
  h.take();
  ackAt(h, 200, 2000);
  ackAt(h, 202, 2000, [[3000, 4000]]);
  ackAt(h, 203, 2000, [[3000, 5000]]);
  const before = { cwnd: h.conn.cc.cwnd, ssthresh: h.conn.cc.ssthresh };
  ackAt(h, 204, 2000, [[3000, 6000]]);
  expect(retransmitted(h)).toEqual([2000]);
  ackAt(h, 206, 6000);
  ackAt(h, 300, 10_000);
  const reduced = { cwnd: h.conn.cc.cwnd, ssthresh: h.conn.cc.ssthresh };
  // The retransmission reaches the receiver after the original: its ACK D-SACKs [2000, 3000).
  ackAt(h, 305, 10_000, dsack ? [[2000, 3000]] : []);
  return { h, before, reduced };
}

describe('undo of a spurious fast retransmit (RFC 3708 §3, RFC 4015 §2)', () => {
  it('the D-SACK of the only retransmission restores cwnd and ssthresh from before the reduction', () => {
    const { h, before, reduced } = reordered(CFG, true);
    expect(reduced.ssthresh).toBeLessThan(before.cwnd);
    expect(reduced.cwnd).toBeLessThan(before.cwnd);
    expect(h.conn.stats.spuriousUndos).toBe(1);
    expect(h.conn.cc.cwnd).toBe(Math.max(before.cwnd, reduced.cwnd));
    expect(h.conn.cc.ssthresh).toBe(before.ssthresh); // Infinity: slow start goes on
    const undo = h.events.find((e) => e.kind === 'spurious-undo');
    expect(undo?.t).toBe(305);
    expect(undo?.data).toMatchObject({ cwndBefore: reduced.cwnd, cwnd: h.conn.cc.cwnd });
    expect(h.events.some((e) => e.layer === 'cc' && e.data.event === 'undo' && e.t === 305)).toBe(true);
  });

  it('without the D-SACK (the retransmission repaired a loss) the reduction stands', () => {
    const { h, reduced } = reordered(CFG, false);
    expect(h.conn.stats.spuriousUndos).toBe(0);
    expect(h.conn.cc.ssthresh).toBe(reduced.ssthresh);
    expect(h.events.some((e) => e.kind === 'spurious-undo')).toBe(false);
  });

  it('switched off (undo: false), the D-SACK changes nothing', () => {
    const { h, reduced } = reordered({ ...CFG, undo: false }, true);
    expect(h.conn.stats.spuriousUndos).toBe(0);
    expect(h.conn.cc.ssthresh).toBe(reduced.ssthresh);
  });

  it('a D-SACK during recovery waits for its end: a later retransmission may still prove a loss', () => {
    const h = est(CFG);
    h.at(100).conn.write(bytes(10_000));
    h.take();
    ackAt(h, 200, 2000);
    ackAt(h, 202, 2000, [[3000, 4000]]);
    ackAt(h, 203, 2000, [[3000, 5000]]);
    ackAt(h, 204, 2000, [[3000, 6000]]); // fast retransmit of 2000
    // Both copies of 2000 arrive (D-SACK), but 6000 is missing: recovery goes on.
    ackAt(h, 206, 6000, [[2000, 3000], [7000, 8000]]);
    expect(h.conn.stats.spuriousUndos).toBe(0);
    ackAt(h, 207, 6000, [[7000, 9000]]);
    ackAt(h, 208, 6000, [[7000, 10_000]]);
    expect(retransmitted(h).slice(0, 2)).toEqual([2000, 6000]);
    // 6000 was really lost: its retransmission is ACKed, not D-SACKed; no undo at recovery's end.
    ackAt(h, 310, 10_000);
    expect(h.conn.stats.spuriousUndos).toBe(0);
  });
});

describe('undo by timestamps (Eifel detection, RFC 3522 §3.2; Linux tcp_packet_delayed)', () => {
  const ts = (tsval: number, tsecr: number) => ({ kind: 'timestamps' as const, tsval, tsecr });
  /** The reordered trace with timestamps: the full ACK echoes the original's TSval, or the retransmission's. */
  function reorderedWithTimestamps(echoOriginal: boolean) {
    // MSS 1012: 1000 bytes of payload beside the 12 bytes of timestamps, as in the trace above.
    const h = new Harness({ ...CFG, timestamps: true, mss: 1012 });
    h.conn.listen(() => lseq(-1));
    h.at(0).recv({ flags: TCP_SYN, seq: rseq(-1), options: [{ kind: 'mss', value: 1012 }, { kind: 'sack-permitted' }, ts(1, 0)], window: 60_000 });
    const synAck = h.one();
    const tsvalOf = (seg: typeof synAck) => seg.options.find((o) => o.kind === 'timestamps')!.tsval;
    h.at(100).recv({ seq: rseq(0), ack: lseq(0), window: 60_000, options: [ts(2, tsvalOf(synAck))] });
    h.take();
    h.at(100).conn.write(bytes(10_000));
    const originals = tsvalOf(h.take()[0]!);
    const ack = (t: number, a: number, echo: number, blocks: [number, number][] = []) =>
      h.at(t).recv({ seq: rseq(0), ack: lseq(a), window: 60_000, options: [ts(3, echo), ...sack(blocks)] });
    ack(200, 2000, originals);
    ack(202, 2000, originals, [[3000, 4000]]);
    ack(203, 2000, originals, [[3000, 5000]]);
    const before = { cwnd: h.conn.cc.cwnd, ssthresh: h.conn.cc.ssthresh };
    ack(204, 2000, originals, [[3000, 6000]]);
    const rtx = h.take().find((s) => s.payload.length > 0 && s.seq === lseq(2000))!;
    expect(rtx).toBeDefined();
    // The hole is filled by the late original (its TSval echoed) or by the retransmission.
    ack(300, 10_000, echoOriginal ? originals : tsvalOf(rtx));
    return { h, before, ack, tsvalOf };
  }

  it('the full ACK that echoes the original\'s TSval undoes the reduction, without any D-SACK', () => {
    const { h, before } = reorderedWithTimestamps(true);
    expect(h.conn.stats.spuriousUndos).toBe(1);
    expect(h.conn.cc.cwnd).toBeGreaterThanOrEqual(before.cwnd);
    expect(h.conn.cc.ssthresh).toBe(before.ssthresh);
    expect(h.events.find((e) => e.kind === 'spurious-undo')?.data.by).toBe('timestamps');
  });

  it('echoing the retransmission\'s TSval, the reduction stands', () => {
    const { h, before } = reorderedWithTimestamps(false);
    expect(h.conn.stats.spuriousUndos).toBe(0);
    expect(h.conn.cc.ssthresh).toBeLessThan(before.cwnd);
  });

  it('each recovery is its own episode: a later spurious one is measured against its own first retransmission', () => {
    const { h, ack, tsvalOf } = reorderedWithTimestamps(false);
    // Grow cwnd again, one round trip per 100 ms, until five segments fit.
    let acked = 10_000;
    let t = 400;
    for (; h.conn.cc.cwnd < 5000; t += 100) {
      h.at(t).conn.write(bytes(h.conn.cc.cwnd));
      const sentNow = h.take().filter((x) => x.payload.length > 0);
      acked += sentNow.reduce((n, x) => n + x.payload.length, 0);
      ack(t + 50, acked, tsvalOf(sentNow[sentNow.length - 1]!));
    }
    // A flight of 5 segments, its second segment late: a new fast recovery.
    const base = acked;
    h.at(t).conn.write(bytes(5000));
    const flight = h.take().filter((x) => x.payload.length > 0);
    expect(flight.length).toBe(5);
    const second = tsvalOf(flight[0]!);
    ack(t + 100, base + 1000, second);
    ack(t + 102, base + 1000, second, [[base + 2000, base + 3000]]);
    ack(t + 103, base + 1000, second, [[base + 2000, base + 4000]]);
    const before = { cwnd: h.conn.cc.cwnd, ssthresh: h.conn.cc.ssthresh };
    ack(t + 104, base + 1000, second, [[base + 2000, base + 5000]]);
    expect(h.conn.cc.ssthresh).toBeLessThan(before.cwnd);
    // The late original fills the hole: the full ACK echoes the flight's TSval — newer than the
    // first episode's retransmission, older than this one's.
    ack(t + 200, base + 5000, second);
    expect(h.conn.stats.spuriousUndos).toBe(1);
    expect(h.conn.cc.ssthresh).toBe(before.ssthresh);
  });
});

describe('what is not undone', () => {
  it('an ECN reduction after the recovery closes its episode: the late D-SACK then undoes nothing (Linux tcp_enter_cwr)', () => {
    const run = (ece: boolean) => {
      const h = new Harness({ ...CFG, ecn: 2 });
      h.conn.listen(() => lseq(-1));
      h.at(0).recv({ flags: TCP_SYN | TCP_ECE | TCP_CWR, seq: rseq(-1), options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }], window: 60_000 });
      h.at(100).recv({ seq: rseq(0), ack: lseq(0), window: 60_000 });
      expect(h.conn.ecnOk).toBe(true);
      h.at(100).conn.write(bytes(10_000));
      ackAt(h, 200, 2000);
      ackAt(h, 202, 2000, [[3000, 4000]]);
      ackAt(h, 203, 2000, [[3000, 5000]]);
      ackAt(h, 204, 2000, [[3000, 6000]]); // fast retransmit of 2000
      ackAt(h, 206, 6000);
      ackAt(h, 300, 10_000); // recovery over; no D-SACK yet
      h.at(300).conn.write(bytes(1000));
      // The new segment comes back CE-marked: the ACK carries ECE (or not, in the control run).
      h.at(400).recv({ flags: TCP_ACK | (ece ? TCP_ECE : 0), seq: rseq(0), ack: lseq(11_000), window: 60_000 });
      ackAt(h, 405, 11_000, [[2000, 3000]]); // the late D-SACK of the retransmission
      return h.conn.stats;
    };
    expect(run(false).spuriousUndos).toBe(1);
    const withEcn = run(true);
    expect(withEcn.ecnReductions).toBe(1);
    expect(withEcn.spuriousUndos).toBe(0);
  });
});

describe('SpuriousEpisode bookkeeping', () => {
  it('is spurious only when every retransmission of the episode has been D-SACKed', () => {
    const e = new SpuriousEpisode<string>();
    e.begin('before', false);
    e.onRetransmit(1000, 500, null);
    e.onRetransmit(3000, 500, null);
    expect(e.onDsack(5000, 5500)).toBe(false); // not one of ours
    expect(e.onDsack(1000, 1500)).toBe(false);
    expect(e.outstanding).toBe(1);
    expect(e.onDsack(3000, 3500)).toBe(true);
    expect(e.take()).toBe('before');
    expect(e.take()).toBeNull(); // once
  });

  it('an episode without retransmissions is never spurious; a nested begin keeps the first state', () => {
    const e = new SpuriousEpisode<string>();
    e.begin('first', false);
    expect(e.spurious).toBe(false);
    e.begin('second', true); // an RTO inside the recovery
    e.onRetransmit(0xffff_ff00, 0x200, null); // wraps past 2^32
    expect(e.onDsack(0x10, 0x20)).toBe(true);
    expect(e.take()).toBe('first');
  });

  it('gives up counting D-SACKs beyond 256 retransmissions in one episode', () => {
    const e = new SpuriousEpisode<string>();
    e.begin('x', false);
    for (let i = 0; i < 257; i++) e.onRetransmit(i * 100, 100, null);
    for (let i = 0; i < 257; i++) expect(e.onDsack(i * 100, i * 100 + 100)).toBe(false);
    expect(e.spurious).toBe(false);
  });

  it('RFC 3522: an echo older than the first retransmission\'s TSval means the originals arrived', () => {
    const e = new SpuriousEpisode<string>();
    expect(e.echoesOriginal(5)).toBe(false); // no episode
    e.begin('x', false);
    expect(e.echoesOriginal(5)).toBe(false); // no retransmission yet
    e.onRetransmit(0, 100, 0xffff_fff0);
    e.onRetransmit(100, 100, 0xffff_fff8); // later ones do not move RetransmitTS
    expect(e.echoesOriginal(0xffff_ffe0)).toBe(true);
    expect(e.echoesOriginal(0xffff_fff0)).toBe(false); // the retransmission's own echo
    expect(e.echoesOriginal(0x10)).toBe(false); // after the wrap: newer
  });
});

describe('controllers restore their state (RFC 9438 §4.9)', () => {
  it('CUBIC gets back W_max, K and its epoch; cwnd and ssthresh are never lowered', () => {
    const c = new CubicCongestion();
    c.init(1000, 0);
    for (let t = 1; t <= 40; t++) c.onAck({ now: t * 10, ackedBytes: 1000, flightSize: 1e9, mss: 1000, rttMs: 10, appLimited: false });
    c.onEnterRecovery({ now: 400, flightSize: 30_000, mss: 1000, cause: 'fast-retransmit', sack: true });
    c.onExitRecovery({ now: 450, flightSize: 0, mss: 1000 });
    for (let t = 46; t <= 60; t++) c.onAck({ now: t * 10, ackedBytes: 1000, flightSize: 1e9, mss: 1000, rttMs: 10, appLimited: false });
    const saved = c.saveUndoState();
    const wMax = c.wMax;
    const k = c.k;
    const epoch = c.epochStart;
    c.onEnterRecovery({ now: 700, flightSize: c.cwnd, mss: 1000, cause: 'fast-retransmit', sack: true });
    expect(c.wMax).not.toBe(wMax);
    c.undo(saved);
    expect(c.cwnd).toBe(saved.cwnd);
    expect(c.ssthresh).toBe(saved.ssthresh);
    expect([c.wMax, c.k, c.epochStart]).toEqual([wMax, k, epoch]);
  });

  it('every controller: undo after an RTO brings back cwnd and ssthresh', () => {
    for (const name of ['reno', 'newreno', 'cubic', 'vegas'] as const) {
      const c = createCongestionControl(name);
      c.init(1000, 0);
      for (let t = 1; t <= 20; t++) c.onAck({ now: t * 10, ackedBytes: 1000, flightSize: 1e9, mss: 1000, rttMs: 10, appLimited: false });
      const saved = c.saveUndoState();
      c.onRto({ now: 300, flightSize: c.cwnd, mss: 1000 });
      expect(c.cwnd, name).toBe(1000);
      c.undo(saved);
      expect(c.cwnd, name).toBe(saved.cwnd);
      expect(c.ssthresh, name).toBe(saved.ssthresh);
    }
  });
});
