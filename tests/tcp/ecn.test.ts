/**
 * RFC 3168 §6.1 state changes of one connection, driven with template segments (as harness.ts):
 * negotiation (ECN-setup SYN / SYN-ACK, tcp_ecn 0/1/2), ECT(0) only on new data, the receiver's
 * CE → ECE … CWR echo, and the sender's once-per-window reduction with CWR.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@shared/sim/clock';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { seqAdd } from '@shared/wire/seq';
import { TcpConnection, type TcpConfig } from '../../src-main/stack/tcp/connection';
import { ECN_CE, ECN_ECT0, ECN_NOT_ECT, TCP_ACK, TCP_CWR, TCP_ECE, TCP_PSH, TCP_SYN, type TcpSegment } from '../../src-main/stack/tcp/segment';
import { LOCAL_ADDR, LOCAL_ISS, LOCAL_PORT, REMOTE_ADDR, REMOTE_ISS, REMOTE_PORT, bytes, lseq, rseq, segment } from './harness';

const BASE: Partial<TcpConfig> = { timestamps: false, sack: false, windowScaling: false, mss: 1000, receiveBufferSize: 64000, sendBufferSize: 64000, congestion: 'reno', initialWindow: 10 };

interface Out {
  seg: TcpSegment;
  ecn: number;
}

class EcnHarness {
  readonly clock = new ManualClock(0);
  readonly probes = new ProbeBus();
  readonly events: ProbeEvent[] = [];
  readonly out: Out[] = [];
  readonly conn: TcpConnection;
  constructor(config: Partial<TcpConfig>) {
    this.probes.subscribe((e) => this.events.push(e));
    this.conn = new TcpConnection(
      { localAddr: LOCAL_ADDR, localPort: LOCAL_PORT, remoteAddr: REMOTE_ADDR, remotePort: REMOTE_PORT },
      { clock: this.clock, probes: this.probes, output: (seg, _c, ecn) => this.out.push({ seg, ecn: ecn ?? ECN_NOT_ECT }), random: () => 0 },
      { ...BASE, ...config },
    );
  }
  take(): Out[] {
    return this.out.splice(0, this.out.length);
  }
  recv(p: Partial<TcpSegment> & { seq: number }, ecn = ECN_NOT_ECT): void {
    this.conn.handleSegment(segment({ window: 64000, ...p }), undefined, ecn);
  }
  /** Active open; the peer answers with `synAckFlags`. */
  connect(synAckFlags = TCP_SYN | TCP_ACK | TCP_ECE): Out[] {
    this.conn.connect(LOCAL_ISS);
    const syn = this.take();
    this.recv({ flags: synAckFlags, seq: REMOTE_ISS, ack: lseq(0), options: [{ kind: 'mss', value: 1000 }] });
    return [...syn, ...this.take()];
  }
  /** Passive open with the peer's SYN flags; returns the SYN-ACK. */
  accept(synFlags: number): Out {
    this.conn.listen(() => LOCAL_ISS);
    this.recv({ flags: synFlags, seq: REMOTE_ISS, options: [{ kind: 'mss', value: 1000 }] });
    const out = this.take();
    this.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0) });
    this.take();
    return out[0]!;
  }
}

const ECN_SETUP_SYN = TCP_SYN | TCP_ECE | TCP_CWR;

describe('ECN negotiation (RFC 3168 §6.1.1)', () => {
  it('tcp_ecn=1 sends an ECN-setup SYN (ECE+CWR) and a SYN-ACK with ECE alone turns ECN on', () => {
    const h = new EcnHarness({ ecn: 1 });
    const [syn, ack] = h.connect();
    expect(syn!.seg.flags & (TCP_SYN | TCP_ECE | TCP_CWR)).toBe(ECN_SETUP_SYN);
    expect(syn!.ecn).toBe(ECN_NOT_ECT); // §6.1.1: never ECT on a SYN
    expect(h.conn.ecnOk).toBe(true);
    expect(ack!.seg.flags & (TCP_ECE | TCP_CWR)).toBe(0);
    expect(ack!.ecn).toBe(ECN_NOT_ECT);
    expect(h.events.some((e) => e.kind === 'ecn' && e.data['event'] === 'negotiated')).toBe(true);
  });

  it('a SYN-ACK with both ECE and CWR is not an ECN-setup SYN-ACK', () => {
    const h = new EcnHarness({ ecn: 1 });
    h.connect(TCP_SYN | TCP_ACK | TCP_ECE | TCP_CWR);
    expect(h.conn.ecnOk).toBe(false);
  });

  it('a SYN-ACK without ECE leaves ECN off', () => {
    const h = new EcnHarness({ ecn: 1 });
    h.connect(TCP_SYN | TCP_ACK);
    expect(h.conn.ecnOk).toBe(false);
  });

  it('the default (tcp_ecn=2) does not ask, so a SYN-ACK with ECE does not turn it on', () => {
    const h = new EcnHarness({});
    expect(h.conn.config.ecn).toBe(2);
    const [syn] = h.connect();
    expect(syn!.seg.flags & (TCP_ECE | TCP_CWR)).toBe(0);
    expect(h.conn.ecnOk).toBe(false);
  });

  it('tcp_ecn 1 and 2 accept an ECN-setup SYN with ECE alone; 0 refuses; a plain SYN gets a plain SYN-ACK', () => {
    for (const ecn of [1, 2] as const) {
      const h = new EcnHarness({ ecn });
      const synAck = h.accept(ECN_SETUP_SYN);
      expect(synAck.seg.flags & (TCP_ECE | TCP_CWR)).toBe(TCP_ECE);
      expect(synAck.ecn).toBe(ECN_NOT_ECT);
      expect(h.conn.ecnOk).toBe(true);
    }
    const off = new EcnHarness({ ecn: 0 });
    expect(off.accept(ECN_SETUP_SYN).seg.flags & (TCP_ECE | TCP_CWR)).toBe(0);
    expect(off.conn.ecnOk).toBe(false);
    const plain = new EcnHarness({ ecn: 1 });
    expect(plain.accept(TCP_SYN).seg.flags & (TCP_ECE | TCP_CWR)).toBe(0);
    expect(plain.conn.ecnOk).toBe(false);
  });

  it('a retransmitted SYN falls back to a non-ECN SYN (§6.1.1.1)', () => {
    const h = new EcnHarness({ ecn: 1 });
    h.conn.connect(LOCAL_ISS);
    expect(h.take()[0]!.seg.flags & TCP_ECE).toBe(TCP_ECE);
    h.clock.advanceTo(1001);
    const again = h.take();
    expect(again).toHaveLength(1);
    expect(again[0]!.seg.flags & (TCP_SYN | TCP_ECE | TCP_CWR)).toBe(TCP_SYN);
    // …and a SYN-ACK with ECE to that plain SYN does not turn ECN on.
    h.recv({ flags: TCP_SYN | TCP_ACK | TCP_ECE, seq: REMOTE_ISS, ack: lseq(0) });
    expect(h.conn.ecnOk).toBe(false);
  });
});

describe('ECN data transfer (RFC 3168 §6.1.2–§6.1.6)', () => {
  it('new data is ECT(0); pure ACKs, retransmissions and window probes are Not-ECT', () => {
    const h = new EcnHarness({ ecn: 1, noDelay: true });
    h.connect();
    h.conn.write(bytes(2000));
    const data = h.take();
    expect(data.map((o) => [o.seg.payload.length, o.ecn])).toEqual([
      [1000, ECN_ECT0],
      [1000, ECN_ECT0],
    ]);
    // RTO: the retransmission goes out Not-ECT.
    h.clock.advanceTo(h.clock.now() + 1100);
    const rtx = h.take();
    expect(rtx.length).toBeGreaterThan(0);
    expect(rtx[0]!.seg.seq).toBe(lseq(0));
    expect(rtx[0]!.ecn).toBe(ECN_NOT_ECT);
    // The peer ACKs everything with a zero window; our next byte leaves as a window probe.
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(2000), window: 0 });
    h.take();
    h.conn.write(bytes(10));
    h.clock.advanceTo(h.clock.now() + 5000);
    const probes = h.take().filter((o) => o.seg.payload.length > 0);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((o) => o.ecn === ECN_NOT_ECT)).toBe(true);
    // A pure ACK of the peer's data (nothing of ours to send): Not-ECT.
    const r = new EcnHarness({ ecn: 1 });
    r.connect();
    r.recv({ flags: TCP_ACK | TCP_PSH, seq: rseq(0), ack: lseq(0), payload: bytes(100) }, ECN_ECT0);
    r.clock.advanceTo(r.clock.now() + 300);
    const acks = r.take();
    expect(acks).toHaveLength(1);
    expect(acks[0]!.seg.payload.length).toBe(0);
    expect(acks[0]!.ecn).toBe(ECN_NOT_ECT);
  });

  it('receiver: a CE mark is ACKed at once with ECE, ECE repeats on every ACK until CWR arrives', () => {
    const h = new EcnHarness({ ecn: 2 });
    h.accept(ECN_SETUP_SYN);
    // Not-ECT and ECT data: no echo (delayed ACK → nothing at once).
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(500) }, ECN_ECT0);
    expect(h.take()).toEqual([]);
    // CE: immediate ACK with ECE.
    h.recv({ flags: TCP_ACK, seq: rseq(500), ack: lseq(0), payload: bytes(500) }, ECN_CE);
    const ce = h.take();
    expect(ce).toHaveLength(1);
    expect(ce[0]!.seg.flags & TCP_ECE).toBe(TCP_ECE);
    expect(ce[0]!.seg.ack).toBe(rseq(1000));
    expect(h.conn.stats.ceReceived).toBe(1);
    // Later unmarked data is still answered with ECE (the sender may not have seen the first).
    h.recv({ flags: TCP_ACK, seq: rseq(1000), ack: lseq(0), payload: bytes(1000) }, ECN_ECT0);
    h.recv({ flags: TCP_ACK, seq: rseq(2000), ack: lseq(0), payload: bytes(1000) }, ECN_ECT0);
    const more = h.take();
    expect(more.length).toBeGreaterThan(0);
    expect(more.every((o) => (o.seg.flags & TCP_ECE) !== 0)).toBe(true);
    // CWR stops the echo.
    h.recv({ flags: TCP_ACK | TCP_CWR, seq: rseq(3000), ack: lseq(0), payload: bytes(1000) }, ECN_ECT0);
    h.recv({ flags: TCP_ACK, seq: rseq(4000), ack: lseq(0), payload: bytes(1000) }, ECN_ECT0);
    const after = h.take();
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((o) => (o.seg.flags & TCP_ECE) === 0)).toBe(true);
  });

  it('a connection without ECN ignores CE', () => {
    const h = new EcnHarness({ ecn: 0 });
    h.accept(ECN_SETUP_SYN);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(1000) }, ECN_CE);
    h.recv({ flags: TCP_ACK, seq: rseq(1000), ack: lseq(0), payload: bytes(1000) }, ECN_CE);
    const acks = h.take();
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((o) => (o.seg.flags & TCP_ECE) === 0)).toBe(true);
    expect(h.conn.stats.ceReceived).toBe(0);
  });

  it('sender: ECE halves cwnd without a retransmission, once per window, and the next new data carries CWR', () => {
    const h = new EcnHarness({ ecn: 1, noDelay: true });
    h.connect();
    h.conn.write(bytes(40_000));
    const first = h.take();
    expect(first).toHaveLength(10); // initial window of 10 segments
    const cwnd0 = h.conn.cc.cwnd;
    // ACK of two segments with ECE: ssthresh = FlightSize/2 (8 segments still out), cwnd = ssthresh.
    h.recv({ flags: TCP_ACK | TCP_ECE, seq: rseq(0), ack: lseq(2000) });
    expect(h.conn.cc.ssthresh).toBe(4000);
    expect(h.conn.cc.cwnd).toBe(4000);
    expect(h.conn.cc.cwnd).toBeLessThan(cwnd0);
    expect(h.conn.stats.ecnReductions).toBe(1);
    expect(h.conn.stats.retransmits).toBe(0);
    expect(h.conn.inRecovery).toBe(false);
    const sent = h.take();
    // The window was halved to 4 segments and 8 are still out: nothing new may leave yet.
    expect(sent).toEqual([]);
    // More ECEs for data sent before the reduction change nothing.
    for (let k = 3; k <= 7; k++) h.recv({ flags: TCP_ACK | TCP_ECE, seq: rseq(0), ack: lseq(k * 1000) });
    expect(h.conn.stats.ecnReductions).toBe(1);
    const next = h.take().filter((o) => o.seg.payload.length > 0);
    expect(next.length).toBeGreaterThan(0);
    expect(next[0]!.seg.seq).toBe(lseq(10_000));
    expect(next[0]!.seg.flags & TCP_CWR).toBe(TCP_CWR);
    expect(next[0]!.ecn).toBe(ECN_ECT0);
    expect(next.slice(1).every((o) => (o.seg.flags & TCP_CWR) === 0)).toBe(true);
    expect(h.conn.stats.cwrSent).toBe(1);
    // An ECE that acknowledges data sent after the reduction is a new signal.
    const ss1 = h.conn.cc.ssthresh;
    h.recv({ flags: TCP_ACK | TCP_ECE, seq: rseq(0), ack: lseq(11_000) });
    expect(h.conn.stats.ecnReductions).toBe(2);
    expect(h.conn.cc.ssthresh).toBeLessThanOrEqual(ss1);
    const cc = h.events.filter((e) => e.layer === 'cc' && e.data['event'] === 'ecn');
    expect(cc).toHaveLength(2);
    expect(h.conn.stats.retransmits).toBe(0);
  });

  it('ECE on an ACK of a connection without ECN changes nothing', () => {
    const h = new EcnHarness({ ecn: 0, noDelay: true });
    h.connect(TCP_SYN | TCP_ACK);
    h.conn.write(bytes(10_000));
    h.take();
    const cwnd = h.conn.cc.cwnd;
    h.recv({ flags: TCP_ACK | TCP_ECE, seq: rseq(0), ack: seqAdd(lseq(0), 2000) });
    expect(h.conn.stats.ecnReductions).toBe(0);
    expect(h.conn.cc.cwnd).toBeGreaterThanOrEqual(cwnd);
  });
});
