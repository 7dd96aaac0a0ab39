/**
 * RFC 9293 §3.10 state machine, one endpoint driven by template segments, grouped by state.
 * Every transition of the §3.3.2 diagram, the §3.10.7 RST rules and the RFC 5961 cases.
 */
import { describe, expect, it } from 'vitest';
import { seq, seqAdd } from '@shared/wire/seq';
import { ManualClock } from '@shared/sim/clock';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { TcpConnection, resetFor } from '../../src-main/stack/tcp/connection';
import type { TcpSegment } from '../../src-main/stack/tcp/segment';
import {
  Harness,
  LOCAL_ADDR,
  LOCAL_ISS,
  PLAIN,
  REMOTE_ADDR,
  REMOTE_ISS,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  bytes,
  lseq,
  rseq,
  segment,
} from './harness';

describe('CLOSED (§3.10.7.1)', () => {
  it('answers a segment with ACK by <SEQ=SEG.ACK><CTL=RST>', () => {
    const r = resetFor(segment({ seq: seq(5), ack: seq(777), flags: TCP_ACK }))!;
    expect(r.flags).toBe(TCP_RST);
    expect(r.seq).toBe(777);
  });
  it('answers a segment without ACK by <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const r = resetFor(segment({ seq: seq(100), flags: TCP_SYN | TCP_FIN, payload: bytes(10) }))!;
    expect(r.flags).toBe(TCP_RST | TCP_ACK);
    expect(r.seq).toBe(0);
    expect(r.ack).toBe(112);
  });
  it('never answers a RST', () => {
    expect(resetFor(segment({ seq: seq(1), flags: TCP_RST }))).toBeNull();
  });
  it('a closed connection object resets what reaches it', () => {
    const h = new Harness();
    h.recv({ seq: seq(1), ack: seq(99), flags: TCP_ACK });
    const r = h.one();
    expect(r.flags).toBe(TCP_RST);
    expect(r.seq).toBe(99);
  });
});

describe('LISTEN (§3.10.7.2)', () => {
  it('SYN → SYN-RECEIVED, sends SYN,ACK <SEQ=ISS><ACK=RCV.NXT> with our MSS', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'mss', value: 1200 }] });
    expect(h.conn.state).toBe('SYN-RECEIVED');
    const s = h.one();
    expect(s.flags).toBe(TCP_SYN | TCP_ACK);
    expect(s.seq).toBe(LOCAL_ISS);
    expect(s.ack).toBe(rseq(0));
    expect(s.options).toContainEqual({ kind: 'mss', value: 1000 });
    expect(h.conn.peerMss).toBe(1200);
    expect(h.states()).toEqual(['CLOSED->LISTEN', 'LISTEN->SYN-RECEIVED']);
  });
  it('ignores a RST', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_RST, seq: seq(5) });
    h.none();
    expect(h.conn.state).toBe('LISTEN');
  });
  it('answers any ACK with <SEQ=SEG.ACK><CTL=RST>', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_ACK, seq: seq(5), ack: seq(4242) });
    const r = h.one();
    expect(r.flags).toBe(TCP_RST);
    expect(r.seq).toBe(4242);
    expect(h.conn.state).toBe('LISTEN');
  });
  it('close → CLOSED without a segment', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.conn.close();
    expect(h.conn.state).toBe('CLOSED');
    expect(h.states()).toEqual(['CLOSED->LISTEN', 'LISTEN->CLOSED']);
    h.none();
  });
  it('SEND in LISTEN is refused (ENOTCONN): the BSD API has no LISTEN → SYN-SENT by SEND', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    expect(() => h.conn.write(bytes(1))).toThrowError(/ENOTCONN/);
  });
  it('drops a segment with neither SYN, ACK nor RST', () => {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_FIN, seq: seq(5) });
    h.none();
    expect(h.conn.state).toBe('LISTEN');
  });
});

describe('SYN-SENT (§3.10.7.3)', () => {
  function syn(config = PLAIN): Harness {
    const h = new Harness(config);
    h.conn.connect(LOCAL_ISS);
    return h;
  }
  it('connect sends SYN with MSS and enters SYN-SENT', () => {
    const h = syn();
    const s = h.one();
    expect(s.flags).toBe(TCP_SYN);
    expect(s.seq).toBe(LOCAL_ISS);
    expect(s.options).toContainEqual({ kind: 'mss', value: 1000 });
    expect(h.conn.state).toBe('SYN-SENT');
  });
  it('SYN,ACK → ESTABLISHED and ACK', () => {
    const h = syn();
    h.take();
    h.recv({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: lseq(0) });
    expect(h.conn.state).toBe('ESTABLISHED');
    const a = h.one();
    expect(a.flags).toBe(TCP_ACK);
    expect(a.seq).toBe(lseq(0));
    expect(a.ack).toBe(rseq(0));
  });
  it('an unacceptable ACK (SEG.ACK =< ISS or > SND.NXT) gets <SEQ=SEG.ACK><CTL=RST>, state kept', () => {
    for (const bad of [LOCAL_ISS, seqAdd(LOCAL_ISS, 2)]) {
      const h = syn();
      h.take();
      h.recv({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: bad });
      const r = h.one();
      expect(r.flags).toBe(TCP_RST);
      expect(r.seq).toBe(bad);
      expect(h.conn.state).toBe('SYN-SENT');
    }
  });
  it('RST with an acceptable ACK → CLOSED with ECONNREFUSED', () => {
    const h = syn();
    h.take();
    h.recv({ flags: TCP_RST | TCP_ACK, seq: seq(0), ack: lseq(0) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ECONNREFUSED');
    h.none();
  });
  it('RST without ACK is dropped (RFC 5961 §3.2 / §3.10.7.3)', () => {
    const h = syn();
    h.take();
    h.recv({ flags: TCP_RST, seq: seq(0) });
    expect(h.conn.state).toBe('SYN-SENT');
    h.none();
  });
  it('RST with an unacceptable ACK is dropped without a reply', () => {
    const h = syn();
    h.take();
    h.recv({ flags: TCP_RST | TCP_ACK, seq: seq(0), ack: seqAdd(LOCAL_ISS, 50) });
    expect(h.conn.state).toBe('SYN-SENT');
    h.none();
  });
  it('simultaneous open: SYN → SYN-RECEIVED with SYN,ACK <SEQ=ISS>, then ACK → ESTABLISHED', () => {
    const h = syn();
    h.take();
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS });
    expect(h.conn.state).toBe('SYN-RECEIVED');
    const sa = h.one();
    expect(sa.flags).toBe(TCP_SYN | TCP_ACK);
    expect(sa.seq).toBe(LOCAL_ISS);
    expect(sa.ack).toBe(rseq(0));
    // RFC 9293 Figure 7 line 6: the peer's SYN,ACK repeats its SYN's sequence number and acknowledges
    // ours; it completes the open, answered with a plain ACK (line 7) — not another SYN,ACK.
    h.recv({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: lseq(0) });
    expect(h.conn.state).toBe('ESTABLISHED');
    const ack = h.one();
    expect(ack.flags).toBe(TCP_ACK);
    expect(ack.seq).toBe(lseq(0));
    expect(ack.ack).toBe(rseq(0));
    // The peer's own ACK of our SYN,ACK then changes nothing.
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0) });
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.states()).toEqual(['CLOSED->SYN-SENT', 'SYN-SENT->SYN-RECEIVED', 'SYN-RECEIVED->ESTABLISHED']);
  });
  it('retransmits the SYN with exponential backoff and fails with ETIMEDOUT after syn_retries', () => {
    const h = syn({ ...PLAIN, synRetries: 6 });
    expect(h.take()).toHaveLength(1);
    const times: number[] = [];
    h.clock.runUntilIdle(1_000_000);
    for (const e of h.events) if (e.kind === 'segment-out') times.push(e.t);
    // 0, 1, 3, 7, 15, 31, 63 s, then ETIMEDOUT at 127 s (Linux tcp_syn_retries=6 with a 1 s initial RTO).
    expect(times).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000]);
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ETIMEDOUT');
    const closedAt = h.events.find((e) => e.kind === 'state' && e.data.to === 'CLOSED')!.t;
    expect(closedAt).toBe(127000);
  });
  it('close in SYN-SENT → CLOSED without a segment', () => {
    const h = syn();
    h.take();
    h.conn.close();
    expect(h.conn.state).toBe('CLOSED');
    h.none();
  });
});

describe('SYN-RECEIVED', () => {
  function synRcvd(): Harness {
    const h = new Harness();
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS });
    h.take();
    return h;
  }
  it('ACK of our SYN → ESTABLISHED', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0) });
    expect(h.conn.state).toBe('ESTABLISHED');
    h.none();
  });
  it('a FIN with the ACK of our SYN → ESTABLISHED then CLOSE-WAIT, FIN acknowledged (§3.10.7.4 eighth step)', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0), payload: bytes(3) });
    expect(h.conn.state).toBe('CLOSE-WAIT');
    expect(h.states().slice(-2)).toEqual(['SYN-RECEIVED->ESTABLISHED', 'ESTABLISHED->CLOSE-WAIT']);
    expect(h.one().ack).toBe(rseq(4));
    expect(h.conn.read(10)).toEqual(bytes(3));
    expect(h.conn.readEof).toBe(true);
  });
  it('an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: seqAdd(LOCAL_ISS, 9) });
    const r = h.one();
    expect(r.flags).toBe(TCP_RST);
    expect(r.seq).toBe(seqAdd(LOCAL_ISS, 9));
    expect(h.conn.state).toBe('SYN-RECEIVED');
  });
  it('RST (passive open) → back to LISTEN', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_RST, seq: rseq(0) });
    expect(h.conn.state).toBe('LISTEN');
  });
  it('RST (active open, after a simultaneous open) → CLOSED with ECONNREFUSED (§3.10.7.4 second step)', () => {
    const h = new Harness();
    h.conn.connect(LOCAL_ISS);
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS });
    expect(h.conn.state).toBe('SYN-RECEIVED');
    h.take();
    h.recv({ flags: TCP_RST, seq: rseq(0) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ECONNREFUSED');
    h.none();
  });
  it('RST in window but not exact is not a reset: challenge ACK (the SYN,ACK again), state kept (RFC 5961 §3.2)', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_RST, seq: rseq(10) });
    expect(h.conn.state).toBe('SYN-RECEIVED');
    const a = h.one();
    expect(a.flags).toBe(TCP_SYN | TCP_ACK);
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
  it('a new SYN (another sequence number, in window) → back to LISTEN (passive open, §3.10.7.4 fourth step)', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_SYN, seq: rseq(10) });
    expect(h.conn.state).toBe('LISTEN');
    expect(h.states().at(-1)).toBe('SYN-RECEIVED->LISTEN');
  });
  it('a retransmitted SYN gets the SYN,ACK again', () => {
    const h = synRcvd();
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS });
    const s = h.one();
    expect(s.flags).toBe(TCP_SYN | TCP_ACK);
    expect(s.seq).toBe(LOCAL_ISS);
  });
  it('retransmits the SYN,ACK on timeout, then gives up after synack_retries', () => {
    const h = synRcvd();
    h.at(1000);
    expect(h.one().flags).toBe(TCP_SYN | TCP_ACK);
    h.clock.runUntilIdle(1_000_000);
    expect(h.conn.state).toBe('CLOSED');
    expect(h.conn.stats.retransmits).toBe(5);
  });
  it('close → FIN-WAIT-1; the FIN goes out once the handshake ACK arrives', () => {
    const h = synRcvd();
    h.conn.close();
    expect(h.conn.state).toBe('FIN-WAIT-1');
    h.none();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0) });
    const f = h.one();
    expect(f.flags & TCP_FIN).toBeTruthy();
    expect(f.seq).toBe(lseq(0));
  });
});

describe('ESTABLISHED', () => {
  it('RST with SEG.SEQ = RCV.NXT → CLOSED with ECONNRESET', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_RST, seq: rseq(0) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ECONNRESET');
    h.none();
  });
  it('RST in window but not exact → challenge ACK, stays (RFC 5961 §3.2)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_RST, seq: rseq(100) });
    expect(h.conn.state).toBe('ESTABLISHED');
    const a = h.one();
    expect(a.flags).toBe(TCP_ACK);
    expect(a.seq).toBe(lseq(0));
    expect(a.ack).toBe(rseq(0));
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
  it('RST outside the window is dropped silently', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_RST, seq: rseq(100_000) });
    expect(h.conn.state).toBe('ESTABLISHED');
    h.none();
  });
  it('SYN in a synchronized state → challenge ACK, wherever its sequence number (RFC 5961 §4.2)', () => {
    for (const s of [rseq(0), rseq(10), rseq(1_000_000)]) {
      const h = new Harness().established();
      h.recv({ flags: TCP_SYN, seq: s });
      expect(h.conn.state).toBe('ESTABLISHED');
      const a = h.one();
      expect(a.flags).toBe(TCP_ACK);
      expect(a.ack).toBe(rseq(0));
    }
  });
  it('challenge ACKs are rate-limited (RFC 5961 §7)', () => {
    const h = new Harness({ ...PLAIN, challengeAckLimit: 3 }).established();
    for (let i = 0; i < 10; i++) h.recv({ flags: TCP_RST, seq: rseq(10 + i) });
    expect(h.take()).toHaveLength(3);
    h.at(1000);
    h.recv({ flags: TCP_RST, seq: rseq(10) });
    expect(h.take()).toHaveLength(1);
  });
  it('an ACK for data not yet sent is answered by an ACK and dropped (RFC 5961 §5.2)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(500), payload: bytes(10) });
    const a = h.one();
    expect(a.ack).toBe(rseq(0)); // the data was not accepted
    expect(h.conn.readableBytes).toBe(0);
  });
  it('an ACK older than SND.UNA − MAX.SND.WND is answered by a challenge ACK and dropped (RFC 5961 §5.2)', () => {
    const h = new Harness().established(); // the peer's SYN offered 4000: MAX.SND.WND = 4000
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: seqAdd(lseq(0), -4001), payload: bytes(10) });
    const a = h.one();
    expect(a.flags).toBe(TCP_ACK);
    expect(a.ack).toBe(rseq(0)); // the data was not accepted
    expect(h.conn.readableBytes).toBe(0);
    expect(h.conn.stats.challengeAcks).toBe(1);
    expect(h.events.some((e) => e.kind === 'challenge-ack' && e.data.reason === 'ack-too-old')).toBe(true);
  });
  it('an old ACK inside SND.UNA − MAX.SND.WND is a duplicate: ignored, and the text is still taken (§3.10.7.4 fifth step)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: seqAdd(lseq(0), -3999), payload: bytes(10) });
    expect(h.conn.readableBytes).toBe(10);
    expect(h.conn.sndUna).toBe(lseq(0));
    expect(h.conn.stats.challengeAcks).toBe(0);
  });
  it('a segment without ACK is dropped (§3.10.7.4 fifth step: if the ACK bit is off, drop the segment)', () => {
    const h = new Harness().established();
    h.recv({ flags: 0, seq: rseq(0), payload: bytes(10) });
    expect(h.conn.readableBytes).toBe(0);
    h.none();
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'no-ack')).toBe(true);
  });
  it('segment acceptability: the four cases of the §3.10.7.4 table', () => {
    const dropped = (h: Harness) => h.events.filter((e) => e.kind === 'drop' && e.data.reason === 'out-of-window').length;
    // RCV.WND = 4000 > 0.
    const open = () => new Harness({ ...PLAIN, delayedAckMs: 0 }).established();
    let h = open();
    h.recv({ seq: rseq(3999), ack: lseq(0) }); // length 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
    h.none();
    expect(dropped(h)).toBe(0);
    h.recv({ seq: rseq(4000), ack: lseq(0) }); // just beyond the window
    expect(h.one().ack).toBe(rseq(0));
    expect(dropped(h)).toBe(1);
    h = open();
    h.recv({ seq: rseq(-5), ack: lseq(0), payload: bytes(10) }); // length > 0, only the last octet in the window
    expect(dropped(h)).toBe(0);
    expect(h.conn.readableBytes).toBe(5);
    h = open();
    h.recv({ seq: rseq(3999), ack: lseq(0), payload: bytes(10) }); // only the first octet in the window
    expect(dropped(h)).toBe(0);
    expect(h.conn.assembler.rangeCount).toBe(1); // kept out of order, trimmed to the window
    h = open();
    h.recv({ seq: rseq(-10), ack: lseq(0), payload: bytes(10) }); // wholly old
    expect(dropped(h)).toBe(1);
    // RCV.WND = 0: only a zero-length segment at exactly RCV.NXT is acceptable.
    h = open();
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(4000) });
    h.take();
    expect(h.conn.advertisedWindow()).toBe(0);
    h.recv({ seq: rseq(4000), ack: lseq(0) });
    h.none();
    expect(dropped(h)).toBe(0);
    h.recv({ seq: rseq(4001), ack: lseq(0) });
    expect(h.one().ack).toBe(rseq(4000));
    h.recv({ seq: rseq(4000), ack: lseq(0), payload: bytes(1) });
    expect(h.one().ack).toBe(rseq(4000));
    expect(dropped(h)).toBe(2);
  });
  it('an unacceptable segment (old data) is answered by an ACK (§3.10.7.4 first check)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK, seq: seqAdd(REMOTE_ISS, -100), ack: lseq(0), payload: bytes(10) });
    const a = h.one();
    expect(a.ack).toBe(rseq(0));
  });
  it('FIN → CLOSE-WAIT with an immediate ACK; EOF after the data', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0), payload: bytes(5) });
    expect(h.conn.state).toBe('CLOSE-WAIT');
    expect(h.one().ack).toBe(rseq(6));
    expect(h.conn.read(100)).toEqual(bytes(5));
    expect(h.conn.readEof).toBe(true);
  });
  it('close → FIN-WAIT-1 and sends FIN', () => {
    const h = new Harness().established();
    h.conn.close();
    expect(h.conn.state).toBe('FIN-WAIT-1');
    const f = h.one();
    expect(f.flags).toBe(TCP_ACK | TCP_FIN);
    expect(f.seq).toBe(lseq(0));
  });
  it('abort (SO_LINGER 0) sends RST and closes', () => {
    const h = new Harness().established();
    h.conn.abort('SO_LINGER 0');
    const r = h.one();
    expect(r.flags & TCP_RST).toBeTruthy();
    expect(r.seq).toBe(lseq(0));
    expect(h.conn.state).toBe('CLOSED');
  });
  it('close with unread data aborts with RST (RFC 2525 §2.17)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(5) });
    h.take();
    h.conn.close();
    expect(h.one().flags & TCP_RST).toBeTruthy();
    expect(h.conn.state).toBe('CLOSED');
  });
  it('URG is ignored: urgent data is delivered inline, in order (RFC 6093 §6: no new use of urgent data)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK | 0x20, seq: rseq(0), ack: lseq(0), payload: bytes(10), urgentPointer: 3 });
    h.recv({ flags: TCP_ACK, seq: rseq(10), ack: lseq(0), payload: bytes(5, 10) });
    expect(h.conn.read(100)).toEqual(bytes(15));
  });
  it('a FIN beyond a gap waits for the gap to fill (out-of-order FIN)', () => {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(5), ack: lseq(0), payload: bytes(5, 5) });
    expect(h.conn.state).toBe('ESTABLISHED');
    expect(h.one().ack).toBe(rseq(0)); // immediate duplicate ACK for out-of-order data
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(5) });
    expect(h.conn.state).toBe('CLOSE-WAIT');
    expect(h.conn.read(100)).toEqual(bytes(10));
  });
});

describe('FIN-WAIT-1', () => {
  function finWait1(): Harness {
    const h = new Harness().established();
    h.conn.close();
    h.take();
    return h;
  }
  it('ACK of FIN → FIN-WAIT-2', () => {
    const h = finWait1();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(1) });
    expect(h.conn.state).toBe('FIN-WAIT-2');
  });
  it('FIN without ACK of our FIN → CLOSING (simultaneous close), then ACK → TIME-WAIT', () => {
    const h = finWait1();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    expect(h.conn.state).toBe('CLOSING');
    expect(h.one().ack).toBe(rseq(1));
    h.recv({ flags: TCP_ACK, seq: rseq(1), ack: lseq(1) });
    expect(h.conn.state).toBe('TIME-WAIT');
  });
  it('FIN with ACK of our FIN → TIME-WAIT', () => {
    const h = finWait1();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    expect(h.conn.state).toBe('TIME-WAIT');
    // §3.10.7.4: the ACK (fifth step) moves to FIN-WAIT-2 before the FIN (eighth step) is processed.
    expect(h.states().slice(-2)).toEqual(['FIN-WAIT-1->FIN-WAIT-2', 'FIN-WAIT-2->TIME-WAIT']);
  });
  it('RST with SEG.SEQ = RCV.NXT → CLOSED with ECONNRESET', () => {
    const h = finWait1();
    h.recv({ flags: TCP_RST, seq: rseq(0) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ECONNRESET');
    h.none();
  });
  it('SYN → challenge ACK, state kept (RFC 5961 §4.2)', () => {
    const h = finWait1();
    h.recv({ flags: TCP_SYN, seq: rseq(5) });
    expect(h.conn.state).toBe('FIN-WAIT-1');
    const a = h.one();
    expect(a.flags & TCP_RST).toBe(0);
    expect(a.ack).toBe(rseq(0));
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
  it('retransmits the FIN on timeout (RTO 200 ms after a 0 ms handshake RTT)', () => {
    const h = finWait1();
    h.at(199);
    h.none();
    h.at(200);
    const f = h.one();
    expect(f.flags & TCP_FIN).toBeTruthy();
    expect(f.seq).toBe(lseq(0));
  });
});

describe('FIN-WAIT-2', () => {
  function finWait2(orphan = false): Harness {
    const h = new Harness().established();
    if (orphan) h.conn.close();
    else h.conn.shutdown('write');
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(1) });
    return h;
  }
  it('half-close: data from the peer is still delivered after shutdown(SHUT_WR)', () => {
    const h = finWait2();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(1), payload: bytes(7) });
    expect(h.conn.read(100)).toEqual(bytes(7));
  });
  it('FIN → TIME-WAIT, ACKed', () => {
    const h = finWait2();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    expect(h.conn.state).toBe('TIME-WAIT');
    expect(h.one().ack).toBe(rseq(1));
  });
  it('new data after close() aborts with RST (Linux)', () => {
    const h = finWait2(true);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(1), payload: bytes(7) });
    expect(h.one().flags & TCP_RST).toBeTruthy();
    expect(h.conn.state).toBe('CLOSED');
  });
  it('RST with SEG.SEQ = RCV.NXT → CLOSED with ECONNRESET; in window but not exact → challenge ACK', () => {
    const h = finWait2();
    h.recv({ flags: TCP_RST, seq: rseq(3) });
    expect(h.conn.state).toBe('FIN-WAIT-2');
    expect(h.one().ack).toBe(rseq(0));
    h.recv({ flags: TCP_RST, seq: rseq(0) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBe('ECONNRESET');
  });
  it('SYN → challenge ACK, state kept (RFC 5961 §4.2)', () => {
    const h = finWait2();
    h.recv({ flags: TCP_SYN, seq: rseq(0) });
    expect(h.conn.state).toBe('FIN-WAIT-2');
    expect(h.one().flags).toBe(TCP_ACK);
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
  it('an orphaned FIN-WAIT-2 that gets the FIN goes to TIME-WAIT and its orphan timer stops', () => {
    const h = finWait2(true);
    expect(h.conn.runningTimers()).toContain('fin-wait-2');
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    expect(h.conn.state).toBe('TIME-WAIT');
    expect(h.conn.runningTimers()).toEqual(['time-wait']);
  });
  it('an orphaned FIN-WAIT-2 times out (tcp_fin_timeout)', () => {
    const h = finWait2(true);
    h.at(59_999);
    expect(h.conn.state).toBe('FIN-WAIT-2');
    h.at(60_000);
    expect(h.conn.state).toBe('CLOSED');
  });
});

describe('CLOSE-WAIT and LAST-ACK', () => {
  function closeWait(): Harness {
    const h = new Harness().established();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    h.take();
    return h;
  }
  it('data after the peer FIN is ignored (§3.10.7.4 seventh step)', () => {
    const h = closeWait();
    h.recv({ flags: TCP_ACK, seq: rseq(1), ack: lseq(0), payload: bytes(5) });
    expect(h.conn.readableBytes).toBe(0);
    expect(h.one().ack).toBe(rseq(1));
  });
  it('we can still send in CLOSE-WAIT', () => {
    const h = closeWait();
    h.conn.write(bytes(10));
    const d = h.one();
    expect(d.payload.length).toBe(10);
  });
  it('close → LAST-ACK with FIN; ACK of FIN → CLOSED', () => {
    const h = closeWait();
    h.conn.close();
    expect(h.conn.state).toBe('LAST-ACK');
    expect(h.one().flags & TCP_FIN).toBeTruthy();
    h.recv({ flags: TCP_ACK, seq: rseq(1), ack: lseq(1) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBeNull();
  });
  it('RST in LAST-ACK → CLOSED without error', () => {
    const h = closeWait();
    h.conn.close();
    h.take();
    h.recv({ flags: TCP_RST, seq: rseq(1) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBeNull();
  });
  it('SYN in CLOSE-WAIT → challenge ACK (RFC 5961 §4.2)', () => {
    const h = closeWait();
    h.recv({ flags: TCP_SYN, seq: rseq(1) });
    expect(h.conn.state).toBe('CLOSE-WAIT');
    expect(h.one().ack).toBe(rseq(1));
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
  it('LAST-ACK: data after the peer FIN is ignored, the FIN is retransmitted on RTO, SYN gets a challenge ACK', () => {
    const h = closeWait();
    h.conn.close();
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(1), ack: lseq(0), payload: bytes(5) });
    expect(h.conn.readableBytes).toBe(0);
    expect(h.one().ack).toBe(rseq(1));
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'data-after-fin')).toBe(true);
    h.at(200);
    const f = h.one();
    expect(f.flags & TCP_FIN).toBeTruthy();
    expect(f.seq).toBe(lseq(0));
    h.recv({ flags: TCP_SYN, seq: rseq(1) });
    expect(h.conn.state).toBe('LAST-ACK');
    expect(h.one().flags).toBe(TCP_ACK);
  });
  it('RST in CLOSE-WAIT → ECONNRESET', () => {
    const h = closeWait();
    h.recv({ flags: TCP_RST, seq: rseq(1) });
    expect(h.closedWith).toBe('ECONNRESET');
  });
});

describe('TIME-WAIT', () => {
  function timeWait(config = PLAIN): Harness {
    const h = new Harness(config).established();
    h.conn.close();
    h.take();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    h.take();
    return h;
  }
  it('lasts 2×MSL (60 s default, like Linux) then CLOSED', () => {
    const h = timeWait();
    h.at(59_999);
    expect(h.conn.state).toBe('TIME-WAIT');
    h.at(60_000);
    expect(h.conn.state).toBe('CLOSED');
  });
  it('2×MSL is configurable', () => {
    const h = timeWait({ ...PLAIN, timeWaitMs: 2000 });
    h.at(2000);
    expect(h.conn.state).toBe('CLOSED');
  });
  it('a retransmitted FIN is ACKed and restarts the 2×MSL timer', () => {
    const h = timeWait();
    h.at(30_000);
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    expect(h.one().ack).toBe(rseq(1));
    h.at(60_000);
    expect(h.conn.state).toBe('TIME-WAIT');
    h.at(90_000);
    expect(h.conn.state).toBe('CLOSED');
  });
  it('a SYN with a higher sequence number may reopen it (RFC 1122 §4.2.2.13); an old one may not', () => {
    const h = timeWait();
    expect(h.conn.acceptsReopeningSyn(segment({ flags: TCP_SYN, seq: rseq(100_000) }))).toBe(true);
    expect(h.conn.acceptsReopeningSyn(segment({ flags: TCP_SYN, seq: REMOTE_ISS }))).toBe(false);
  });
  it('with timestamps the TSval decides (RFC 6191): a newer one reopens even with a lower sequence number, an older one does not', () => {
    const h = new Harness({ ...PLAIN, timestamps: true });
    h.conn.listen(() => LOCAL_ISS);
    h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'timestamps', tsval: 5000, tsecr: 0 }] });
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), options: [{ kind: 'timestamps', tsval: 5001, tsecr: 0 }] });
    h.conn.close();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1), options: [{ kind: 'timestamps', tsval: 5002, tsecr: 0 }] });
    expect(h.conn.state).toBe('TIME-WAIT');
    const ts = (tsval: number) => [{ kind: 'timestamps' as const, tsval, tsecr: 0 }];
    expect(h.conn.acceptsReopeningSyn(segment({ flags: TCP_SYN, seq: REMOTE_ISS, options: ts(5003) }))).toBe(true);
    expect(h.conn.acceptsReopeningSyn(segment({ flags: TCP_SYN, seq: rseq(100_000), options: ts(5000) }))).toBe(false);
  });
  it('a SYN that does not reopen gets a challenge ACK and the state stays', () => {
    const h = timeWait();
    h.recv({ flags: TCP_SYN, seq: rseq(1) });
    expect(h.conn.state).toBe('TIME-WAIT');
    expect(h.one().flags).toBe(TCP_ACK);
  });
});

describe('CLOSING', () => {
  function closing(): Harness {
    const h = new Harness().established();
    h.conn.close();
    h.take();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    h.take();
    expect(h.conn.state).toBe('CLOSING');
    return h;
  }
  it('retransmits its FIN on RTO until the ACK comes', () => {
    const h = closing();
    h.at(200);
    const f = h.one();
    expect(f.flags & TCP_FIN).toBeTruthy();
    expect(f.seq).toBe(lseq(0));
    expect(f.ack).toBe(rseq(1));
  });
  it('a retransmitted FIN of the peer is ACKed again; data after its FIN is ignored', () => {
    const h = closing();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    expect(h.one().ack).toBe(rseq(1));
    h.recv({ flags: TCP_ACK, seq: rseq(1), ack: lseq(0), payload: bytes(3) });
    expect(h.one().ack).toBe(rseq(1));
    expect(h.conn.state).toBe('CLOSING');
  });
  it('RST → CLOSED without an error (§3.10.7.4 second step: CLOSING, LAST-ACK, TIME-WAIT)', () => {
    const h = closing();
    h.recv({ flags: TCP_RST, seq: rseq(1) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBeNull();
  });
  it('SYN → challenge ACK (RFC 5961 §4.2)', () => {
    const h = closing();
    h.recv({ flags: TCP_SYN, seq: rseq(1) });
    expect(h.conn.state).toBe('CLOSING');
    expect(h.one().flags).toBe(TCP_ACK);
    expect(h.conn.stats.challengeAcks).toBe(1);
  });
});

describe('TIME-WAIT (RST)', () => {
  it('RST with SEG.SEQ = RCV.NXT → CLOSED without an error, the 2MSL timer stopped (RFC 9293, not RFC 1337)', () => {
    const h = new Harness().established();
    h.conn.close();
    h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    h.take();
    expect(h.conn.state).toBe('TIME-WAIT');
    h.recv({ flags: TCP_RST, seq: rseq(1) });
    expect(h.conn.state).toBe('CLOSED');
    expect(h.closedWith).toBeNull();
    expect(h.conn.runningTimers()).toEqual([]);
  });
});

describe('ABORT in every state (§3.10.5)', () => {
  // RFC 9293 §3.10.5: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT send
  // <SEQ=SND.NXT><CTL=RST>; LISTEN and SYN-SENT have nothing to reset; CLOSING, LAST-ACK and
  // TIME-WAIT just delete the TCB.
  const reach: Record<string, (h: Harness) => void> = {
    LISTEN: (h) => h.conn.listen(() => LOCAL_ISS),
    'SYN-SENT': (h) => h.conn.connect(LOCAL_ISS),
    'SYN-RECEIVED': (h) => {
      h.conn.listen(() => LOCAL_ISS);
      h.recv({ flags: TCP_SYN, seq: REMOTE_ISS });
    },
    ESTABLISHED: (h) => h.established(),
    'FIN-WAIT-1': (h) => {
      h.established();
      h.conn.shutdown('write');
    },
    'FIN-WAIT-2': (h) => {
      h.established();
      h.conn.shutdown('write');
      h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(1) });
    },
    'CLOSE-WAIT': (h) => {
      h.established();
      h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    },
    CLOSING: (h) => {
      h.established();
      h.conn.shutdown('write');
      h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
    },
    'LAST-ACK': (h) => {
      h.established();
      h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(0) });
      h.conn.shutdown('write');
    },
    'TIME-WAIT': (h) => {
      h.established();
      h.conn.shutdown('write');
      h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    },
  };
  const sendsRst = new Set(['SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT']);
  it.each(Object.keys(reach))('abort in %s', (state) => {
    const h = new Harness();
    reach[state]!(h);
    expect(h.conn.state).toBe(state);
    h.take();
    h.conn.abort('SO_LINGER 0');
    expect(h.conn.state).toBe('CLOSED');
    expect(h.conn.runningTimers()).toEqual([]);
    const out = h.take();
    if (sendsRst.has(state)) {
      expect(out).toHaveLength(1);
      expect(out[0]!.flags & TCP_RST).toBeTruthy();
      // SND.NXT: the FIN, once sent, is counted (we send what the peer expects next).
      const finSent = ['FIN-WAIT-1', 'FIN-WAIT-2'].includes(state);
      expect(out[0]!.seq).toBe(state === 'SYN-RECEIVED' ? seqAdd(LOCAL_ISS, 1) : lseq(finSent ? 1 : 0));
    } else {
      expect(out).toEqual([]);
    }
  });
});

/** Two TcpConnections wired back to back; segments cross in flight until `flush()` delivers them. */
function backToBack(config = PLAIN) {
  const clock = new ManualClock(0);
  const probes = new ProbeBus();
  const toA: TcpSegment[] = [];
  const toB: TcpSegment[] = [];
  const a = new TcpConnection({ localAddr: LOCAL_ADDR, localPort: 4000, remoteAddr: REMOTE_ADDR, remotePort: 5000 }, { clock, probes, output: (s) => toB.push(s), random: () => 0 }, config);
  const b = new TcpConnection({ localAddr: REMOTE_ADDR, localPort: 5000, remoteAddr: LOCAL_ADDR, remotePort: 4000 }, { clock, probes, output: (s) => toA.push(s), random: () => 0 }, config);
  const events: ProbeEvent[] = [];
  probes.subscribe((e) => events.push(e));
  const states = (c: TcpConnection) => events.filter((e) => e.kind === 'state' && e.subject === c.subject).map((e) => `${e.data.to}`);
  /** Delivers everything in flight, round by round (what each side sends in a round crosses the other's). */
  const flush = () => {
    for (let i = 0; i < 20 && (toA.length || toB.length); i++) {
      const forA = toA.splice(0);
      const forB = toB.splice(0);
      for (const s of forA) a.handleSegment(s);
      for (const s of forB) b.handleSegment(s);
    }
  };
  return { clock, a, b, toA, toB, flush, states };
}

describe('two endpoints back to back (simultaneous open and close, §3.5 Figure 7, §3.6 Figure 13)', () => {
  it('both connect at once: SYNs cross, both pass SYN-RECEIVED to ESTABLISHED and then move data', () => {
    const p = backToBack();
    p.a.connect(seq(1000));
    p.b.connect(seq(900_000));
    expect(p.toA).toHaveLength(1);
    expect(p.toB).toHaveLength(1);
    p.flush();
    expect(p.a.state).toBe('ESTABLISHED');
    expect(p.b.state).toBe('ESTABLISHED');
    expect(p.states(p.a)).toEqual(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
    expect(p.states(p.b)).toEqual(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
    p.a.write(bytes(300, 1));
    p.b.write(bytes(200, 2));
    p.flush();
    expect(p.b.read(1000)).toEqual(bytes(300, 1));
    expect(p.a.read(1000)).toEqual(bytes(200, 2));
  });
  it('both close at once: FINs cross, both pass CLOSING to TIME-WAIT, then CLOSED after 2×MSL', () => {
    const q = backToBack();
    q.b.listen(() => seq(900_000));
    q.a.connect(seq(1000));
    q.flush();
    expect([q.a.state, q.b.state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    q.a.close();
    q.b.close();
    expect([q.a.state, q.b.state]).toEqual(['FIN-WAIT-1', 'FIN-WAIT-1']);
    q.flush();
    expect([q.a.state, q.b.state]).toEqual(['TIME-WAIT', 'TIME-WAIT']);
    expect(q.states(q.a).slice(-3)).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    expect(q.states(q.b).slice(-3)).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
    q.clock.advanceTo(59_999);
    expect(q.a.state).toBe('TIME-WAIT');
    q.clock.advanceTo(60_000);
    expect([q.a.state, q.b.state]).toEqual(['CLOSED', 'CLOSED']);
  });
  it('half-open after a reboot (§3.5.2 Figure 11 with RFC 5961): the new SYN gets a challenge ACK, whose RST <SEQ=SEG.ACK> resets the old connection', () => {
    const p = backToBack();
    p.b.listen(() => seq(900_000));
    p.a.connect(seq(1000));
    p.flush();
    expect(p.b.state).toBe('ESTABLISHED');
    // A crashed and comes back: a new TCB for the same four-tuple, another ISN.
    const a2 = new TcpConnection(p.a.endpoints, { clock: p.clock, output: (s) => p.toB.push(s) }, PLAIN);
    a2.connect(seq(400_000));
    const syn = p.toB.splice(0);
    expect(syn.map((s) => s.flags)).toEqual([TCP_SYN]);
    p.b.handleSegment(syn[0]!);
    const ack = p.toA.splice(0);
    expect(ack.map((s) => s.flags)).toEqual([TCP_ACK]); // challenge ACK, not a reset (RFC 5961 §4.2)
    expect(p.b.state).toBe('ESTABLISHED');
    a2.handleSegment(ack[0]!);
    const rst = p.toB.splice(0);
    expect(rst.map((s) => s.flags)).toEqual([TCP_RST]); // §3.10.7.3: an ACK of nothing we sent
    expect(rst[0]!.seq).toBe(ack[0]!.ack);
    expect(a2.state).toBe('SYN-SENT');
    p.b.handleSegment(rst[0]!); // SEG.SEQ = RCV.NXT exactly
    expect(p.b.state).toBe('CLOSED');
    expect(p.b.error).toBe('ECONNRESET');
  });
});

