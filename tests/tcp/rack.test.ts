/**
 * RACK-TLP loss detection (RFC 8985) in the sender, driven at explicit times. The handshake takes
 * 100 ms, so SRTT = min_RTT = 100 ms and the RTO is 300 ms; reo_wnd is min_RTT/4 = 25 ms.
 * Offsets below are bytes after the first data byte; every segment is 1000 bytes.
 */
import { describe, expect, it } from 'vitest';
import { seqDiff } from '@shared/wire/seq';
import { Harness, PLAIN, ackWithSack, bytes, lseq, sackSender } from './harness';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';
import { RackTlp } from '../../src-main/stack/tcp/congestion/rack';
import { SeededRandom } from '@shared/sim/random';

const CFG: Partial<TcpConfig> = { ...PLAIN, sack: true, rack: true, sendBufferSize: 100_000, congestion: 'newreno', initialWindow: 10, noDelay: true };

const est = (config: Partial<TcpConfig> = CFG): Harness => sackSender(config);
const ackAt = ackWithSack;
/** Offsets of the data segments sent since the last call. */
const sent = (h: Harness) =>
  h
    .take()
    .filter((s) => s.payload.length > 0)
    .map((s) => seqDiff(s.seq, lseq(0)));
const retransmissions = (h: Harness) => h.events.filter((e) => e.kind === 'retransmit').map((e) => ({ t: e.t, seq: seqDiff(e.data.seq as never, lseq(0)), why: e.data.why }));
const timerStarts = (h: Harness, timer: string) => h.events.filter((e) => e.kind === 'timer-start' && e.data.timer === timer).map((e) => ({ t: e.t, ms: e.data.durationMs }));

const tens = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i * 1000);

describe('RACK: reordering (RFC 8985 §6.2)', () => {
  /** Segment 0 arrives 1 ms late; later segment 2 arrives 4 ms late, after three segments above it. */
  function reorderedTwice(config: Partial<TcpConfig>): Harness {
    const h = est(config);
    h.at(100).conn.write(bytes(10_000));
    expect(sent(h)).toEqual(tens(0, 10));
    ackAt(h, 200, 0, [[1000, 2000]]);
    ackAt(h, 201, 2000);
    ackAt(h, 202, 2000, [[3000, 4000]]);
    ackAt(h, 203, 2000, [[3000, 5000]]);
    ackAt(h, 204, 2000, [[3000, 6000]]);
    ackAt(h, 206, 6000);
    ackAt(h, 300, 10_000);
    return h;
  }

  it('reordering within reo_wnd retransmits nothing, even with three segments SACKed above the hole', () => {
    const h = reorderedTwice(CFG);
    expect(h.conn.rack!.reorderingSeen).toBe(true);
    expect(retransmissions(h)).toEqual([]);
    expect(h.conn.stats.fastRetransmits).toBe(0);
    // Each SACK above a late segment armed the reordering timer for the rest of its window (all
    // were sent at t = 100: 100 + RACK.rtt + 25 − now = 25 ms); its arrival stopped the timer.
    expect(timerStarts(h, 'rack-reorder')).toEqual([
      { t: 200, ms: 25 },
      { t: 202, ms: 25 },
      { t: 203, ms: 25 },
      { t: 204, ms: 25 },
    ]);
    expect(h.events.filter((e) => e.kind === 'timer-stop' && e.data.timer === 'rack-reorder').map((e) => e.t)).toEqual([201, 206]);
    expect(h.conn.runningTimers()).not.toContain('rack-reorder');
  });

  it('switched off (rack: false), the same trace fast-retransmits on the third SACKed segment (RFC 6675 IsLost)', () => {
    const h = reorderedTwice({ ...CFG, rack: false });
    expect(retransmissions(h)).toEqual([{ t: 204, seq: 2000, why: 'fast retransmit' }]);
    expect(h.conn.stats.fastRetransmits).toBe(1);
    expect(timerStarts(h, 'rack-reorder')).toEqual([]);
    expect(timerStarts(h, 'tlp')).toEqual([]);
  });
});

describe('RACK: loss detection by time', () => {
  /** Segment 0 is lost; segment 1 is SACKed at t = 200. */
  function firstLost(): Harness {
    const h = est();
    h.at(100).conn.write(bytes(20_000));
    expect(sent(h)).toEqual(tens(0, 10));
    ackAt(h, 200, 0, [[1000, 2000]]);
    expect(sent(h)).toEqual([10_000]); // pipe fell by the SACKed segment
    return h;
  }

  it('a lost segment is retransmitted when the reordering timer fires (RFC 8985 §6.3), not before', () => {
    const h = firstLost();
    expect(timerStarts(h, 'rack-reorder')).toEqual([{ t: 200, ms: 25 }]);
    h.at(224);
    expect(sent(h)).toEqual([]);
    h.at(225);
    expect(sent(h)).toEqual([0]);
    expect(h.conn.inRecovery).toBe(true);
    expect(h.conn.stats.rtoExpirations).toBe(0);
    // The ladder's arrow: timer fire -> rack-loss mark -> retransmission.
    const fire = h.events.find((e) => e.kind === 'timer-fire' && e.data.timer === 'rack-reorder')!;
    const mark = h.events.find((e) => e.kind === 'rack-loss')!;
    const rtx = h.events.find((e) => e.kind === 'retransmit')!;
    expect(mark.causeId).toBe(fire.id);
    expect(mark.data).toMatchObject({ seq: lseq(0), len: 1000, byTimer: true, reoWndMs: 25, rackRttMs: 100 });
    expect(rtx.causeId).toBe(mark.id);
    expect(rtx.data.why).toBe('rack');
    const out = h.events.find((e) => e.kind === 'segment-out' && e.t === 225)!;
    expect(out.causeId).toBe(mark.id);
  });

  it('a lost retransmission is found lost when data sent after it is SACKed, and resent without an RTO', () => {
    const h = firstLost();
    h.at(225);
    expect(sent(h)).toEqual([0]);
    // Everything sent before the retransmission arrives: the retransmission is not late yet.
    ackAt(h, 300, 0, [[1000, 11_000]]);
    const fresh = sent(h);
    expect(fresh).toEqual(tens(11_000, fresh.length));
    expect(fresh.length).toBeGreaterThan(0);
    expect(retransmissions(h)).toHaveLength(1);
    // Data sent at t = 300, after the retransmission (t = 225), is SACKed at t = 400: the
    // retransmission is lost (225 + RACK.rtt 100 + reo_wnd 0 in recovery ≤ 400).
    ackAt(h, 400, 0, [[1000, 11_000 + fresh.length * 1000]]);
    expect(sent(h)[0]).toBe(0);
    expect(retransmissions(h).map((r) => [r.t, r.seq])).toEqual([
      [225, 0],
      [400, 0],
    ]);
    expect(h.conn.stats.lostRetransmits).toBe(1);
    expect(h.conn.stats.rtoExpirations).toBe(0);
    expect(h.conn.runningTimers()).toContain('rto'); // restarted at 225: due at 525
  });
});

describe('TLP (RFC 8985 §7)', () => {
  it('a probe after 2·SRTT elicits the SACK that starts recovery for the tail loss, instead of an RTO', () => {
    const h = est();
    h.at(100).conn.write(bytes(5000));
    expect(sent(h)).toEqual(tens(0, 5));
    expect(timerStarts(h, 'tlp')).toEqual([{ t: 100, ms: 202 }]); // PTO = 2·SRTT + 2 ms (Linux TCP_TIMEOUT_MIN)
    ackAt(h, 200, 3000); // segments 3 and 4 are lost
    expect(timerStarts(h, 'tlp').at(-1)).toEqual({ t: 200, ms: 202 });
    h.at(401);
    expect(sent(h)).toEqual([]);
    h.at(402); // no new data to send: the probe retransmits the last segment
    expect(sent(h)).toEqual([4000]);
    expect(h.events.filter((e) => e.kind === 'tlp-probe')).toHaveLength(1);
    expect(retransmissions(h)).toEqual([{ t: 402, seq: 4000, why: 'tlp' }]);
    expect(h.conn.stats.tlpProbes).toBe(1);
    // The probe is SACKed: RACK knows segment 3, sent before it, is lost.
    ackAt(h, 520, 3000, [[4000, 5000]]);
    expect(sent(h)).toEqual([3000]);
    expect(h.conn.inRecovery).toBe(true);
    ackAt(h, 640, 5000);
    expect(h.conn.inRecovery).toBe(false);
    expect(h.conn.stats.rtoExpirations).toBe(0);
  });

  it('one probe per episode: with the probe unanswered, the RTO comes next', () => {
    const h = est();
    h.at(100).conn.write(bytes(5000));
    sent(h);
    ackAt(h, 200, 3000);
    h.at(402);
    expect(sent(h)).toEqual([4000]);
    // The RTO was restarted by the probe (402 + 300); no second probe before it.
    h.at(701);
    expect(sent(h)).toEqual([]);
    h.at(702);
    expect(sent(h)).toEqual([3000]);
    expect(h.conn.stats.rtoExpirations).toBe(1);
    expect(h.conn.stats.tlpProbes).toBe(1);
  });

  it('a probe with new data ignores cwnd but respects the receive window, and sends one segment', () => {
    const h = est({ ...CFG, initialWindow: 4 });
    h.at(100).conn.write(bytes(10_000));
    expect(sent(h)).toEqual(tens(0, 4));
    h.at(301);
    expect(sent(h)).toEqual([]);
    h.at(302);
    expect(sent(h)).toEqual([4000]);
    expect(retransmissions(h)).toEqual([]);
    expect(h.events.find((e) => e.kind === 'tlp-probe')!.data.newData).toBe(true);
  });

  it('a probe that repaired the only loss (ACK beyond TLP.end_seq, no D-SACK) reduces cwnd once (§7.4)', () => {
    const h = est();
    h.at(100).conn.write(bytes(5000));
    sent(h);
    ackAt(h, 200, 4000); // the last segment is lost
    // One segment in flight: PTO = 2·SRTT + 200 ms, capped at the RTO's deadline (200 + 300).
    expect(timerStarts(h, 'tlp').at(-1)).toEqual({ t: 200, ms: 300 });
    h.at(500); // the probe goes first; the RTO is restarted
    expect(sent(h)).toEqual([4000]);
    expect(h.conn.stats.rtoExpirations).toBe(0);
    ackAt(h, 600, 5000);
    expect(h.conn.stats.tlpRecoveries).toBe(0); // ACK = TLP.end_seq: nothing known yet
    const cwnd = h.conn.cc.cwnd;
    h.conn.write(bytes(1000));
    expect(sent(h)).toEqual([5000]);
    ackAt(h, 700, 6000);
    expect(h.conn.stats.tlpRecoveries).toBe(1);
    expect(h.conn.cc.cwnd).toBeLessThan(cwnd);
    expect(h.events.some((e) => e.kind === 'tlp-recovery')).toBe(true);
  });

  it('a probe answered with a D-SACK of itself was not needed: no reduction', () => {
    const h = est();
    h.at(100).conn.write(bytes(5000));
    sent(h);
    ackAt(h, 200, 4000);
    h.at(500);
    expect(sent(h)).toEqual([4000]);
    ackAt(h, 600, 5000, [[4000, 5000]]); // the original arrived too: the probe is a duplicate
    h.conn.write(bytes(1000));
    sent(h);
    ackAt(h, 700, 6000);
    expect(h.conn.stats.tlpRecoveries).toBe(0);
    expect(h.conn.cc.ssthresh).toBe(Infinity);
  });

  it('switched off (rack: false), a tail loss waits for the RTO', () => {
    const h = est({ ...CFG, rack: false });
    h.at(100).conn.write(bytes(5000));
    sent(h);
    ackAt(h, 200, 3000);
    h.at(499);
    expect(sent(h)).toEqual([]);
    h.at(500);
    expect(sent(h)).toEqual([3000]);
    expect(h.conn.stats.rtoExpirations).toBe(1);
    expect(h.conn.stats.tlpProbes).toBe(0);
  });
});

describe('RACK: D-SACK widens reo_wnd (RFC 8985 §6.2 step 4)', () => {
  it('a D-SACK for a spurious retransmission doubles reo_wnd for the next reordering', () => {
    const h = est();
    h.at(100).conn.write(bytes(30_000));
    sent(h);
    ackAt(h, 200, 0, [[1000, 2000]]);
    expect(sent(h)).toEqual([10_000]);
    expect(timerStarts(h, 'rack-reorder').at(-1)).toEqual({ t: 200, ms: 25 });
    h.at(225);
    expect(sent(h)).toEqual([0]); // segment 0 was only late: this retransmission is spurious
    ackAt(h, 230, 11_000);
    expect(h.conn.inRecovery).toBe(false);
    expect(h.conn.rack!.reoWndMult).toBe(1);
    ackAt(h, 330, 11_000, [[0, 1000]]); // the retransmission arrives as a duplicate
    expect(h.conn.rack!.reoWndMult).toBe(2);
    sent(h);
    // The next hole: the segment at 11 000 is late, the one after it SACKed.
    const now = 400;
    const starts = timerStarts(h, 'rack-reorder').length;
    ackAt(h, now, 11_000, [[12_000, 13_000]]);
    const timers = timerStarts(h, 'rack-reorder').slice(starts);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.t).toBe(now);
    // Both went out in one burst, so the timer runs for the whole reordering window:
    // 2 · min_RTT / 4 = 50 ms (25 ms before the D-SACK).
    const sentAt = (at: number) => h.events.find((e) => e.kind === 'segment-out' && e.data.seq === lseq(at))!.t;
    expect(sentAt(11_000)).toBe(sentAt(12_000));
    expect(timers[0]!.ms).toBe(50);
    expect(h.conn.rack!.reoWnd).toBe(50);
  });
});

describe('RACK-TLP probes (issue #6 item 7)', () => {
  it('both RACK-TLP timers are published when they start, stop and fire', () => {
    const kinds = new Map<string, Set<string>>();
    const collect = (h: Harness) => {
      for (const e of h.events) {
        if (!e.kind.startsWith('timer-') || (e.data.timer !== 'tlp' && e.data.timer !== 'rack-reorder')) continue;
        if (!kinds.has(e.data.timer)) kinds.set(e.data.timer, new Set());
        kinds.get(e.data.timer)!.add(e.kind);
        if (e.kind === 'timer-start') expect(e.data.at).toBe(e.t + (e.data.durationMs as number));
      }
    };
    // A hole: the SACK stops the probe timer and starts the reordering timer, which fires.
    const a = est();
    a.at(100).conn.write(bytes(20_000));
    ackAt(a, 200, 0, [[1000, 2000]]);
    a.at(225);
    collect(a);
    // Reordering: the late segment's arrival stops the reordering timer; a tail loss fires the probe timer.
    const b = est();
    b.at(100).conn.write(bytes(5000));
    ackAt(b, 200, 0, [[1000, 2000]]);
    ackAt(b, 201, 3000);
    b.at(1000);
    collect(b);
    expect([...kinds.get('rack-reorder')!].sort()).toEqual(['timer-fire', 'timer-start', 'timer-stop']);
    expect([...kinds.get('tlp')!].sort()).toEqual(['timer-fire', 'timer-start', 'timer-stop']);
  });
});

describe('RackTlp bookkeeping (congestion/rack.ts)', () => {
  it('at one clock instant, transmission order decides RACK_sent_after: new data sent before a retransmission does not make it lost', () => {
    const ackAt = (rack: RackTlp, now: number, ack: number, blocks: [number, number][]) =>
      rack.onAck({ now, ack, blocks: blocks.map(([left, right]) => ({ left, right })), dsack: false, tsEchoMs: null, minRttMs: 20, srttMs: 20, sndMax: 3000, inRecovery: true, dupThresh: 3, mss: 1000 });
    const run = (newDataFirst: boolean) => {
      const rack = new RackTlp();
      rack.reset(0);
      rack.onTransmit(0, 1000, 0);
      rack.onTransmit(1000, 1000, 0);
      ackAt(rack, 20, 0, [[1000, 2000]]);
      expect(rack.detectLoss(20).lost).toEqual([{ seq: 0, len: 1000, retransmission: false }]);
      // One ACK's processing at t = 20 sends both (the clock does not move inside it).
      if (newDataFirst) rack.onTransmit(2000, 1000, 20);
      rack.onTransmit(0, 1000, 20);
      if (!newDataFirst) rack.onTransmit(2000, 1000, 20);
      // The new segment is SACKed one RTT later; the retransmission's ACK is not in yet.
      ackAt(rack, 40, 0, [[1000, 3000]]);
      return rack.detectLoss(40).lost;
    };
    // Sent after the new data: still in flight, not lost (RFC 8985 §6.2 with Linux's ns timestamps' order).
    expect(run(true)).toEqual([]);
    // Sent before it, the same SACK does mark it lost (the reo_wnd is 0 in recovery).
    expect(run(false)).toEqual([{ seq: 0, len: 1000, retransmission: true }]);
  });

  it('keeps its lost-byte count equal to its segments through random splits, SACKs, ACKs and the sequence wrap', () => {
    let marked = 0;
    let retransmissionsLost = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = new SeededRandom(seed);
      const rack = new RackTlp();
      const base = 0xffff_0000 + r.int(0x2_0000); // some runs cross 2^32
      const at = (off: number) => (base + off) >>> 0;
      rack.reset(at(0));
      let una = 0;
      let nxt = 0;
      let now = 0;
      for (let step = 0; step < 400; step++) {
        now += r.int(20);
        const op = r.int(4);
        if (op === 0 || nxt === una) {
          const len = 1 + r.int(1500);
          rack.onTransmit(at(nxt), len, now);
          nxt += len;
        } else if (op === 1) {
          const from = una + r.int(nxt - una);
          rack.onTransmit(at(from), 1 + r.int(Math.min(1500, nxt - from)), now); // a retransmission, maybe of part of a segment
        } else if (op === 2) {
          const l = una + r.int(nxt - una);
          const rr = l + 1 + r.int(nxt - l);
          rack.onAck({ now, ack: at(una), blocks: [{ left: at(l), right: at(rr) }], dsack: false, tsEchoMs: null, minRttMs: 10, srttMs: 20, sndMax: at(nxt), inRecovery: false, dupThresh: 3, mss: 1000 });
        } else {
          una += r.int(nxt - una + 1);
          rack.onAck({ now, ack: at(una), blocks: [], dsack: false, tsEchoMs: null, minRttMs: 10, srttMs: 20, sndMax: at(nxt), inRecovery: false, dupThresh: 3, mss: 1000 });
        }
        rack.detectLoss(now);
        expect(rack.lostBytes).toBe(rack.lostBelow(at(nxt)));
        expect(rack.lostBytes).toBeGreaterThanOrEqual(0);
        const first = rack.firstLost();
        if (rack.lostBytes > 0) expect(first).not.toBeNull();
        if (first) expect(seqDiff(first.seq as never, at(una) as never)).toBeGreaterThanOrEqual(0);
      }
      marked += rack.lostBytesMarked;
      retransmissionsLost += rack.lostRetransmissions;
    }
    // The walk did exercise loss marking, of originals and of retransmissions.
    expect(marked).toBeGreaterThan(100_000);
    expect(retransmissionsLost).toBeGreaterThan(10);
  });
});
