/**
 * Sender: segmentation, Nagle, RTO (RFC 6298), fast retransmit and limited transmit
 * (RFC 5681/3042), persist timer and zero-window probes, keep-alive, retries → ETIMEDOUT.
 */
import { describe, expect, it } from 'vitest';
import { seqAdd } from '@shared/wire/seq';
import { Harness, PLAIN, TCP_ACK, TCP_FIN, TCP_SYN, bytes, lseq, rseq } from './harness';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';

const CFG: Partial<TcpConfig> = { ...PLAIN, sendBufferSize: 100_000, congestion: 'newreno', initialWindow: 10 };

function est(config: Partial<TcpConfig> = CFG): Harness {
  return new Harness(config).established();
}

describe('segmentation and Nagle', () => {
  it('splits a write into MSS-sized segments; Nagle holds the small tail until the ACK', () => {
    const h = est();
    h.conn.write(bytes(2500));
    const segs = h.take();
    expect(segs.map((s) => s.payload.length)).toEqual([1000, 1000]);
    expect(segs.map((s) => s.seq)).toEqual([lseq(0), lseq(1000)]);
    h.recv({ seq: rseq(0), ack: lseq(2000) });
    const tail = h.one();
    expect(tail.seq).toBe(lseq(2000));
    expect(tail.payload.length).toBe(500);
  });
  it('the peer window limits what is sent (4000 bytes)', () => {
    const h = est();
    h.conn.write(bytes(6000));
    expect(h.take().reduce((n, s) => n + s.payload.length, 0)).toBe(4000);
  });
  it('Nagle: a small segment waits while data is unacknowledged; TCP_NODELAY sends it', () => {
    const h = est();
    h.conn.write(bytes(10));
    expect(h.one().payload.length).toBe(10);
    h.conn.write(bytes(10));
    h.none();
    h.recv({ seq: rseq(0), ack: lseq(10) });
    expect(h.one().payload.length).toBe(10);
    const n = est({ ...CFG, noDelay: true });
    n.conn.write(bytes(10));
    n.conn.write(bytes(10));
    expect(n.take()).toHaveLength(2);
  });
});

describe('sender SWS avoidance (RFC 9293 §3.8.6.2.1)', () => {
  it('a usable window below one MSS and below half the largest window is not used while data is in flight', () => {
    const h = est(); // the peer's SYN offered 4000: Max(SND.WND) = 4000, MSS 1000
    h.conn.write(bytes(6000));
    expect(h.take()).toHaveLength(4);
    // 1000 acknowledged, window 3300: usable = 1000 + 3300 − 4000 = 300 bytes (< MSS, < 2000).
    h.recv({ seq: rseq(0), ack: lseq(1000), window: 3300 });
    h.none();
    // 2000 usable: the two remaining full segments go.
    h.recv({ seq: rseq(0), ack: lseq(2000), window: 4000 });
    expect(h.take().map((s) => [s.seq, s.payload.length])).toEqual([
      [lseq(4000), 1000],
      [lseq(5000), 1000],
    ]);
  });
  it('with nothing in flight a small window is used (else nothing would ever be sent again: no persist timer for a non-zero window)', () => {
    const h = est();
    h.conn.write(bytes(6000));
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 300 });
    const s = h.one();
    expect(s.seq).toBe(lseq(4000));
    expect(s.payload.length).toBe(300);
    // The next 300 bytes wait for that one to be acknowledged (in flight, < MSS, < half of 4000).
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 600 });
    h.none();
  });
});

describe('retransmission timeout (RFC 6298)', () => {
  it('a handshake that needed a retransmission and gave no RTT sample starts data with a 3 s RTO (RFC 6298 §5.7)', () => {
    for (const side of ['active', 'passive'] as const) {
      const h = new Harness(CFG); // no timestamps: Karn leaves the handshake without a sample
      if (side === 'active') {
        h.conn.connect(lseq(-1));
        h.take();
        h.at(1000); // the SYN is retransmitted
        expect(h.one().flags).toBe(TCP_SYN);
        h.at(1100);
        h.recv({ flags: TCP_SYN | TCP_ACK, seq: rseq(-1), ack: lseq(0) });
      } else {
        h.conn.listen(() => lseq(-1));
        h.recv({ flags: TCP_SYN, seq: rseq(-1) });
        h.take();
        h.at(1000); // the SYN,ACK is retransmitted
        expect(h.one().flags).toBe(TCP_SYN | TCP_ACK);
        h.at(1100);
        h.recv({ seq: rseq(0), ack: lseq(0) });
      }
      h.take();
      expect(h.conn.state, side).toBe('ESTABLISHED');
      expect(h.conn.rtt.srtt).toBeNull();
      h.conn.write(bytes(100));
      h.take();
      h.at(1100 + 2999);
      h.none();
      h.at(1100 + 3000);
      expect(h.one().seq, side).toBe(lseq(0));
    }
  });
  it('a handshake without retransmission keeps the 1 s initial RTO until a sample (RFC 6298 §2.1)', () => {
    const h = new Harness({ ...CFG, initialRtoMs: 1000 });
    h.conn.connect(lseq(-1));
    h.take();
    h.recv({ flags: TCP_SYN | TCP_ACK, seq: rseq(-1), ack: lseq(0) }); // at 0 ms: a 0 ms sample
    h.take();
    expect(h.conn.rtt.srtt).toBe(0);
    expect(h.conn.rtt.rto).toBe(200);
  });
  it('data retransmissions back off exponentially (RFC 6298 §5.5) from the 200 ms minimum', () => {
    const h = est();
    h.conn.write(bytes(100));
    h.take();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      h.at(h.clock.nextTimerAt()!);
      const out = h.take();
      expect(out).toHaveLength(1);
      expect(out[0]!.seq).toBe(lseq(0));
      times.push(h.clock.now());
    }
    expect(times).toEqual([200, 600, 1400, 3000, 6200]);
    // A new ACK clears the backoff (§5.7 keeps the RTO; tcplab recomputes it from the next sample).
    h.recv({ seq: rseq(0), ack: lseq(100) });
    expect(h.conn.rtt.backoffs).toBe(0);
    expect(h.conn.runningTimers()).not.toContain('rto');
  });
  it('initial RTO is 1 s before any sample, then doubles (Karn backoff)', () => {
    const h = new Harness(CFG);
    h.conn.connect(lseq(-1));
    h.take();
    h.at(999);
    h.none();
    h.at(1000);
    expect(h.take()).toHaveLength(1);
    h.at(2999);
    h.none();
    h.at(3000);
    expect(h.take()).toHaveLength(1);
  });
  it('SRTT/RTTVAR from samples; RTO = SRTT + max(4·RTTVAR, 200 ms) as Linux floors the variance term', () => {
    const h = est();
    h.conn.write(bytes(100));
    h.take();
    h.at(100);
    h.recv({ seq: rseq(0), ack: lseq(100) });
    // Samples: handshake 0 ms, then 100 ms: SRTT = 12.5, RTTVAR = 0.75·0 + 0.25·100 = 25 (RFC 6298 §2.3).
    expect(h.conn.rtt.srtt).toBeCloseTo(12.5);
    expect(h.conn.rtt.rttvar).toBeCloseTo(25);
    expect(h.conn.rtt.rto).toBeCloseTo(212.5); // 12.5 + max(100, 200)
  });
  it('RFC 6298 as written with no variance floor: RTO = SRTT + 4·RTTVAR clamped to the minimum', () => {
    const h = est({ ...CFG, rtoVarianceFloorMs: 0 });
    h.conn.write(bytes(100));
    h.take();
    h.at(100);
    h.recv({ seq: rseq(0), ack: lseq(100) });
    expect(h.conn.rtt.rto).toBeCloseTo(200); // 12.5 + 100 < 200
  });
  it('the minimum is an option (1 s per RFC 6298 §2.4)', () => {
    const h = est({ ...CFG, minRtoMs: 1000 });
    h.conn.write(bytes(100));
    h.take();
    h.at(999);
    h.none();
    h.at(1000);
    expect(h.one().seq).toBe(lseq(0));
  });
  it('Karn: no RTT sample from an ACK of a retransmitted segment', () => {
    const h = est();
    h.conn.write(bytes(100));
    h.take();
    h.at(200); // RTO fires, retransmission
    expect(h.one().seq).toBe(lseq(0));
    const srtt = h.conn.rtt.srtt;
    h.at(700);
    h.recv({ seq: rseq(0), ack: lseq(100) });
    expect(h.conn.rtt.srtt).toBe(srtt);
    expect(h.conn.rtt.backoffs).toBe(0); // backoff cleared by the new ACK
  });
  it('the RTO is capped at 120 s and the connection fails with ETIMEDOUT after tcp_retries2', () => {
    const h = est({ ...CFG, retries2: 15 });
    h.conn.write(bytes(100));
    h.take();
    h.clock.runUntilIdle(10_000_000);
    expect(h.closedWith).toBe('ETIMEDOUT');
    const rtos = h.events.filter((e) => e.kind === 'timer-start' && e.data.timer === 'rto').map((e) => e.data.durationMs as number);
    expect(Math.max(...rtos)).toBe(120_000);
    expect(h.conn.stats.rtoExpirations).toBe(16);
  });
  it('on RTO, cwnd collapses to one segment (RFC 5681 §3.1) and sending goes back to SND.UNA', () => {
    const h = est();
    h.conn.write(bytes(4000));
    expect(h.take()).toHaveLength(4);
    h.at(200);
    const r = h.one();
    expect(r.seq).toBe(lseq(0));
    expect(h.conn.cc.cwnd).toBe(1000);
    h.recv({ seq: rseq(0), ack: lseq(1000) });
    // Slow start: 2 segments for the ACK of 1.
    expect(h.take().map((s) => s.seq)).toEqual([lseq(1000), lseq(2000)]);
  });
});

describe('fast retransmit, fast recovery, limited transmit', () => {
  it('limited transmit on the first two duplicate ACKs, fast retransmit on the third (RFC 3042, RFC 5681 §3.2)', () => {
    const h = est({ ...CFG, initialWindow: 4 });
    h.conn.write(bytes(8000));
    expect(h.take()).toHaveLength(4); // cwnd 4 segments, window 4000
    // Peer opens its window so that limited transmit is not window-limited.
    h.recv({ seq: rseq(0), ack: lseq(0), window: 20_000 });
    h.none();
    h.recv({ seq: rseq(0), ack: lseq(0), window: 20_000 });
    expect(h.one().seq).toBe(lseq(4000)); // limited transmit 1
    h.recv({ seq: rseq(0), ack: lseq(0), window: 20_000 });
    expect(h.one().seq).toBe(lseq(5000)); // limited transmit 2
    h.recv({ seq: rseq(0), ack: lseq(0), window: 20_000 });
    const fr = h.take();
    expect(fr[0]!.seq).toBe(lseq(0)); // fast retransmit
    expect(h.conn.inRecovery).toBe(true);
    expect(h.conn.stats.fastRetransmits).toBe(1);
    // ssthresh = FlightSize/2 = 3000 (RFC 5681 eq. 4)
    expect(h.conn.cc.ssthresh).toBe(3000);
    // Full ACK of everything outstanding ends recovery.
    h.recv({ seq: rseq(0), ack: lseq(6000), window: 20_000 });
    expect(h.conn.inRecovery).toBe(false);
  });
  it('NewReno partial ACK retransmits the next hole (RFC 6582)', () => {
    const h = est({ ...CFG, initialWindow: 4 });
    h.conn.write(bytes(4000));
    h.take();
    for (let i = 0; i < 3; i++) h.recv({ seq: rseq(0), ack: lseq(0) });
    expect(h.take()[0]!.seq).toBe(lseq(0));
    h.recv({ seq: rseq(0), ack: lseq(2000) });
    expect(h.take()[0]!.seq).toBe(lseq(2000));
    expect(h.conn.inRecovery).toBe(true);
  });
  it('with SACK, recovery retransmits the un-SACKed holes', () => {
    const h = new Harness({ ...CFG, sack: true, initialWindow: 6 });
    h.conn.listen(() => lseq(-1));
    h.recv({ flags: 0x02, seq: rseq(-1), options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }], window: 30_000 });
    h.recv({ seq: rseq(0), ack: lseq(0), window: 30_000 });
    h.take();
    h.conn.write(bytes(6000));
    expect(h.take()).toHaveLength(6);
    // Segments 0 and 2 lost; 1, 3, 4, 5 arrive.
    const sack = (blocks: [number, number][]) => [{ kind: 'sack' as const, blocks: blocks.map(([l, r]) => ({ left: lseq(l), right: lseq(r) })) }];
    h.recv({ seq: rseq(0), ack: lseq(0), window: 30_000, options: sack([[1000, 2000]]) });
    h.recv({ seq: rseq(0), ack: lseq(0), window: 30_000, options: sack([[3000, 4000], [1000, 2000]]) });
    h.recv({ seq: rseq(0), ack: lseq(0), window: 30_000, options: sack([[3000, 5000], [1000, 2000]]) });
    // RFC 6675 IsLost: the first hole has three SACKed segments above it: fast retransmit of 0.
    const first = h.take().map((s) => s.seq);
    expect(first[0]).toBe(lseq(0));
    expect(first).not.toContain(lseq(2000)); // only two segments SACKed above it: not lost yet
    h.recv({ seq: rseq(0), ack: lseq(0), window: 30_000, options: sack([[3000, 6000], [1000, 2000]]) });
    const out = [...first, ...h.take().map((s) => s.seq)];
    expect(out).toContain(lseq(0));
    expect(out).toContain(lseq(2000));
    expect(out).not.toContain(lseq(1000));
  });
});

describe('persist timer and zero-window probes (§3.8.6.1)', () => {
  it('a zero window starts the persist timer; probes carry one octet and back off; an opening window resumes', () => {
    const h = est();
    h.conn.write(bytes(6000));
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 0 });
    h.none();
    expect(h.conn.runningTimers()).toContain('persist');
    h.at(200);
    const p1 = h.one();
    expect(p1.payload.length).toBe(1);
    expect(p1.seq).toBe(lseq(4000));
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 0 });
    h.at(599);
    h.none();
    h.at(600); // backoff: 400 ms
    expect(h.one().payload.length).toBe(1);
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 4000 });
    const resumed = h.take();
    expect(resumed.length).toBeGreaterThan(0);
    expect(h.conn.runningTimers()).not.toContain('persist');
  });
});

describe('zero window and a dead or live peer', () => {
  it('unanswered zero-window probes end in ETIMEDOUT after tcp_retries2 (no connection stuck in persist)', () => {
    const h = est({ ...CFG, retries2: 5 });
    h.conn.write(bytes(6000));
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 0 });
    h.clock.runUntilIdle(10_000_000);
    expect(h.conn.stats.zeroWindowProbes).toBe(5);
    expect(h.closedWith).toBe('ETIMEDOUT');
  });
  it('a peer that answers every zero-window probe keeps the connection open indefinitely (RFC 1122 §4.2.2.17)', () => {
    const h = est({ ...CFG, retries2: 3 });
    h.conn.write(bytes(6000));
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(4000), window: 0 });
    let probes = 0;
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const next = h.clock.nextTimerAt()!;
      h.at(next);
      const out = h.take();
      if (out.length > 0) {
        probes++;
        expect(out).toHaveLength(1);
        expect(out[0]!.payload.length).toBe(1);
        last = h.clock.now();
        h.recv({ seq: rseq(0), ack: lseq(4000), window: 0 }); // alive, window still closed
      }
    }
    expect(probes).toBeGreaterThan(10); // far more than tcp_retries2 = 3
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.closedWith).toBeUndefined();
    // The probe interval backs off to the 120 s maximum RTO and stays there.
    const starts = h.events.filter((e) => e.kind === 'timer-start' && e.data.timer === 'persist').map((e) => e.data.durationMs as number);
    expect(Math.max(...starts)).toBe(120_000);
    expect(last).toBeGreaterThan(120_000 * 10);
  });
  it('retransmissions into a window the peer keeps closed do not kill a live connection', () => {
    const h = est({ ...CFG, retries2: 3 });
    h.conn.write(bytes(4000));
    h.take();
    // The peer takes nothing more and advertises a zero window; it answers every retransmission.
    h.recv({ seq: rseq(0), ack: lseq(1000), window: 0 });
    for (let i = 0; i < 10; i++) {
      const next = h.clock.nextTimerAt()!;
      h.at(next);
      if (h.take().length > 0) h.recv({ seq: rseq(0), ack: lseq(1000), window: 0 });
    }
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.conn.stats.retransmits).toBeGreaterThan(3);
  });
});

describe('keep-alive (RFC 1122 §4.2.3.6)', () => {
  it('after the idle time probes with SEG.SEQ = SND.UNA − 1; gives up after the count with RST and ETIMEDOUT', () => {
    const h = est({ ...CFG, keepAlive: true, keepIdleMs: 10_000, keepIntervalMs: 1000, keepCount: 3 });
    h.at(9_999);
    h.none();
    h.at(10_000);
    const p = h.one();
    expect(p.seq).toBe(seqAdd(lseq(0), -1));
    expect(p.payload.length).toBe(0);
    h.at(12_000);
    expect(h.take()).toHaveLength(2);
    h.at(13_000);
    expect(h.one().flags & 0x04).toBeTruthy(); // RST
    expect(h.closedWith).toBe('ETIMEDOUT');
  });
  it('sends no keep-alive probe while data is unacknowledged (the RTO probes then; Linux tcp_keepalive_timer)', () => {
    const h = est({ ...CFG, keepAlive: true, keepIdleMs: 10_000, keepIntervalMs: 1000, keepCount: 3 });
    h.conn.write(bytes(100));
    h.take();
    // The peer is silent for 25 s: only retransmissions of the 100 bytes leave, no keep-alive.
    const out = [];
    for (let t = 1000; t <= 25_000; t += 1000) out.push(...h.at(t).take());
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((seg) => seg.seq === lseq(0) && seg.payload.length === 100)).toBe(true);
    expect(h.conn.state).toBe('ESTABLISHED');
    // Once everything is acknowledged, idle time counts again from that ACK.
    h.at(25_500).recv({ seq: rseq(0), ack: lseq(100) });
    h.at(35_499);
    h.take();
    h.at(35_500);
    const p = h.one();
    expect(p.seq).toBe(seqAdd(lseq(100), -1));
    expect(p.payload.length).toBe(0);
  });
  it('an answer resets the probe count', () => {
    const h = est({ ...CFG, keepAlive: true, keepIdleMs: 10_000, keepIntervalMs: 1000, keepCount: 2 });
    h.at(10_000);
    h.take();
    h.recv({ seq: rseq(0), ack: lseq(0) });
    h.at(19_999);
    h.none();
    expect(h.conn.state).toBe('ESTABLISHED');
  });
});

describe('half-close and shutdown', () => {
  it('shutdown(SHUT_WR) sends FIN after the queued data; the connection still receives', () => {
    const h = est();
    h.conn.write(bytes(1500));
    h.conn.shutdown('write');
    const segs = h.take();
    expect(segs.at(-1)!.flags & TCP_FIN).toBeTruthy();
    expect(segs.at(-1)!.seq).toBe(lseq(1000));
    expect(() => h.conn.write(bytes(1))).toThrowError(/EPIPE/);
    h.recv({ seq: rseq(0), ack: lseq(1501), payload: bytes(10) });
    expect(h.conn.state).toBe('FIN-WAIT-2');
    expect(h.conn.read(100)).toEqual(bytes(10));
  });
  it('shutdown(SHUT_RD) acknowledges and discards incoming data', () => {
    const h = est({ ...CFG, delayedAckMs: 0 });
    h.conn.shutdown('read');
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(10) });
    expect(h.one().ack).toBe(rseq(10));
    expect(h.conn.readableBytes).toBe(0);
    expect(h.conn.readEof).toBe(true);
  });
  it('shutdown(SHUT_RDWR) sends the FIN, ends reading at once and discards what still arrives', () => {
    const h = est({ ...CFG, delayedAckMs: 0 });
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(10) });
    h.take();
    h.conn.shutdown('both');
    expect(h.conn.state).toBe('FIN-WAIT-1');
    const f = h.one();
    expect(f.flags & TCP_FIN).toBeTruthy();
    expect(h.conn.readableBytes).toBe(0); // unread data is discarded
    expect(h.conn.readEof).toBe(true);
    expect(() => h.conn.write(bytes(1))).toThrowError(/EPIPE/);
    h.recv({ seq: rseq(10), ack: lseq(1), payload: bytes(5) });
    expect(h.one().ack).toBe(rseq(15));
    expect(h.conn.readableBytes).toBe(0);
    expect(h.conn.state).toBe('FIN-WAIT-2');
  });
  it('FIN is sent with TCP_ACK and lands after all data (§3.10.4)', () => {
    const h = est();
    h.conn.write(bytes(100));
    h.take();
    h.conn.close();
    const f = h.one();
    expect(f.flags).toBe(TCP_ACK | TCP_FIN);
    expect(f.seq).toBe(lseq(100));
  });
});
