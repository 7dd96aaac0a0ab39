/**
 * SACK loss recovery under heavy loss (the impaired kernel interop, issue #6 item 9): a lost
 * retransmission is sent again without waiting for the RTO, and after an RTO the sender resends
 * only what the peer has not SACKed (once; a second timeout in a row discards the SACK state).
 */
import { describe, expect, it } from 'vitest';
import { Harness, PLAIN, bytes, lseq, rseq } from './harness';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';

const CFG: Partial<TcpConfig> = { ...PLAIN, sack: true, sendBufferSize: 100_000, congestion: 'newreno', initialWindow: 10 };

function sackEstablished(config: Partial<TcpConfig> = CFG): Harness {
  const h = new Harness(config);
  h.conn.listen(() => lseq(-1));
  h.recv({ flags: 0x02, seq: rseq(-1), options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }], window: 60_000 });
  h.recv({ seq: rseq(0), ack: lseq(0), window: 60_000 });
  h.take();
  return h;
}

const sack = (blocks: [number, number][]) => [{ kind: 'sack' as const, blocks: blocks.map(([l, r]) => ({ left: lseq(l), right: lseq(r) })) }];
const ackWith = (h: Harness, ack: number, blocks: [number, number][]) => h.recv({ seq: rseq(0), ack: lseq(ack), window: 60_000, options: sack(blocks) });
const seqsOut = (h: Harness) => h.take().filter((s) => s.payload.length > 0).map((s) => s.seq);

describe('lost retransmission detection', () => {
  it('resends a lost fast retransmission once three segments sent after it are SACKed, before any RTO', () => {
    const h = sackEstablished();
    h.conn.write(bytes(20_000));
    expect(seqsOut(h)).toHaveLength(10);
    // Segment 0 lost; 1–3 SACKed: fast retransmit of 0.
    ackWith(h, 0, [[1000, 2000]]);
    ackWith(h, 0, [[1000, 3000]]);
    const early = seqsOut(h); // limited transmit: new data sent before the retransmission
    expect(early).toContain(lseq(10_000));
    ackWith(h, 0, [[1000, 4000]]);
    expect(seqsOut(h)[0]).toBe(lseq(0));
    // The rest of the window arrives; new data goes out after the retransmission.
    let sent: number[] = [];
    for (let r = 5000; r <= 10_000; r += 1000) {
      ackWith(h, 0, [[1000, r]]);
      sent = sent.concat(seqsOut(h));
    }
    expect(sent).not.toContain(lseq(0));
    expect(sent).toContain(lseq(10_000 + early.length * 1000)); // new data after the retransmission
    expect(h.conn.stats.rtoExpirations).toBe(0);
    // The retransmission of 0 is lost too: three segments sent after it are SACKed.
    // SACKs of what went out before it (limited transmit) do not count; each SACK of what went out
    // after it frees room for one more new segment.
    const after = 10_000 + early.length * 1000;
    let out: number[] = [];
    for (let n = 1; n <= 3; n++) {
      ackWith(h, 0, [[10_000, after + n * 1000], [1000, 10_000]]);
      out = seqsOut(h);
      if (n < 3) expect(out).not.toContain(lseq(0));
    }
    expect(out).toContain(lseq(0));
    expect(h.conn.stats.rtoExpirations).toBe(0);
    const lost = h.events.filter((e) => e.kind === 'retransmit' && e.data.seq === lseq(0));
    expect(lost).toHaveLength(2);
  });
});

describe('retransmission timeout with SACK information', () => {
  it('after an RTO, go-back-N skips the ranges the peer SACKed', () => {
    const h = sackEstablished({ ...CFG, initialWindow: 6 });
    h.conn.write(bytes(6000));
    expect(seqsOut(h)).toHaveLength(6);
    // 0 and 1 lost, [2000, 4000) SACKed, 4000 and 5000 lost: too few SACKs for fast retransmit.
    ackWith(h, 0, [[2000, 4000]]);
    expect(seqsOut(h)).toEqual([]);
    h.at(h.conn.rtt.rto); // the RTO (the handshake gave an RTT sample)
    expect(seqsOut(h)).toEqual([lseq(0)]);
    expect(h.conn.stats.rtoExpirations).toBe(1);
    ackWith(h, 1000, [[2000, 4000]]);
    // cwnd 2 SMSS after the ACK (slow start): [1000, 2000), then the SACKed [2000, 4000) is skipped.
    expect(seqsOut(h)).toEqual([lseq(1000), lseq(4000)]);
    ackWith(h, 2000, [[2000, 4000]]);
    ackWith(h, 5000, []);
    expect(seqsOut(h)).toEqual([lseq(5000)]);
    ackWith(h, 6000, []);
    expect(h.conn.sndUna).toBe(lseq(6000));
  });

  it('a go-back-N resend lost again is resent once SACKs show it lost, without a second RTO', () => {
    const h = sackEstablished({ ...CFG, initialWindow: 6 });
    h.conn.write(bytes(10_000));
    expect(seqsOut(h)).toHaveLength(6);
    ackWith(h, 0, [[2000, 4000]]);
    expect(seqsOut(h)).toContain(lseq(6000)); // limited transmit
    h.at(h.conn.rtt.rto);
    expect(seqsOut(h)).toEqual([lseq(0)]);
    const cwndAfterRto = h.conn.cc.cwnd;
    ackWith(h, 1000, [[2000, 4000]]);
    expect(seqsOut(h)).toEqual([lseq(1000), lseq(4000)]);
    // 1000 is lost again; 4000 arrives: three segments SACKed above 1000, IsLost(1000).
    ackWith(h, 1000, [[2000, 5000]]);
    expect(seqsOut(h)).toContain(lseq(1000)); // resent now, not after a second RTO
    expect(h.events.filter((e) => e.kind === 'retransmit' && e.data.why === 'lost after rto')).toHaveLength(1);
    // Only once: more SACKs do not resend it again; no new window reduction.
    ackWith(h, 1000, [[2000, 6000]]);
    ackWith(h, 1000, [[2000, 7000]]);
    expect(seqsOut(h)).not.toContain(lseq(1000));
    expect(h.conn.stats.rtoExpirations).toBe(1);
    expect(h.conn.inRecovery).toBe(false);
    expect(h.conn.cc.cwnd).toBeGreaterThanOrEqual(cwndAfterRto);
  });

  it('a second RTO in a row forgets the SACK information (the peer may have reneged, RFC 2018 §8)', () => {
    const h = sackEstablished({ ...CFG, initialWindow: 6 });
    h.conn.write(bytes(6000));
    h.take();
    ackWith(h, 0, [[2000, 4000]]);
    const rto = h.conn.rtt.rto;
    h.at(rto);
    expect(seqsOut(h)).toEqual([lseq(0)]);
    h.at(rto + h.conn.rtt.rto); // backed off
    expect(seqsOut(h)).toEqual([lseq(0)]);
    expect(h.conn.stats.rtoExpirations).toBe(2);
    // No SACK blocks now: the receiver dropped what it had SACKed. Everything goes again in order.
    h.recv({ seq: rseq(0), ack: lseq(1000), window: 60_000 });
    expect(seqsOut(h)).toEqual([lseq(1000), lseq(2000)]);
  });
});

describe('PAWS and reordered duplicate ACKs (Linux tcp_disordered_ack)', () => {
  function tsSackEstablished(): Harness {
    const h = new Harness({ ...CFG, timestamps: true, initialWindow: 6, delayedAckMs: 0 });
    h.conn.listen(() => lseq(-1));
    const opts = [{ kind: 'mss' as const, value: 1000 }, { kind: 'sack-permitted' as const }, { kind: 'timestamps' as const, tsval: 1000, tsecr: 0 }];
    h.recv({ flags: 0x02, seq: rseq(-1), options: opts, window: 60_000 });
    h.recv({ seq: rseq(0), ack: lseq(0), window: 60_000, options: [{ kind: 'timestamps', tsval: 1001, tsecr: 0 }] });
    h.take();
    return h;
  }
  const tsAck = (h: Harness, tsval: number, blocks: [number, number][], extra: Partial<{ window: number; payload: Uint8Array }> = {}) =>
    h.recv({ seq: rseq(0), ack: lseq(0), window: 60_000, ...extra, options: [{ kind: 'timestamps', tsval, tsecr: 0 }, ...sack(blocks)] });
  const pawsDrops = (h: Harness) => h.events.filter((e) => e.kind === 'drop' && e.data.reason === 'paws').length;

  it('a duplicate ACK overtaken by a newer one is not dropped by PAWS: its SACK blocks count', () => {
    const h = tsSackEstablished();
    h.conn.write(bytes(6000));
    // 12 bytes of timestamps per segment: 988-byte payloads.
    expect(seqsOut(h).slice(0, 4)).toEqual([lseq(0), lseq(988), lseq(1976), lseq(2964)]);
    tsAck(h, 1010, [[1976, 2964]]);
    tsAck(h, 1005, [[988, 1976]]); // sent earlier, arrives later
    expect(pawsDrops(h)).toBe(0);
    expect(h.conn.stats.dupAcksIn).toBe(2);
    tsAck(h, 1011, [[988, 3952]]);
    expect(h.conn.inRecovery).toBe(true);
  });

  it('PAWS still drops an old segment that carries data or moves the window', () => {
    const h = tsSackEstablished();
    h.conn.write(bytes(3000));
    h.take();
    tsAck(h, 1010, []);
    tsAck(h, 1005, [], { payload: bytes(10) });
    expect(pawsDrops(h)).toBe(1);
    tsAck(h, 1006, [], { window: 0 });
    expect(pawsDrops(h)).toBe(2);
    expect(h.conn.readableBytes).toBe(0);
  });
});
