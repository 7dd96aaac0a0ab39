/**
 * The sender publishes its RFC 6675 state through the CongestionProbe (layer 'cc', kind 'cwnd'):
 * pipe, recovery point, SACKed and lost bytes with their causes, at fixed points of a SACK
 * recovery, and these agree with the scoreboard's IsLost / SetPipe.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeEvent } from '@shared/model/probe';
import { congestionSeries } from '../../src-main/stack/tcp/congestion/probes';
import { Harness, LOCAL_ISS, PLAIN, REMOTE_ISS, TCP_ACK, TCP_SYN, bytes, lseq, rseq } from './harness';

const MSS = 1000;

function sackConnection(): Harness {
  const h = new Harness({ ...PLAIN, sack: true, congestion: 'newreno', initialWindow: 10, sendBufferSize: 64000, noDelay: true });
  h.conn.listen(() => LOCAL_ISS);
  h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'mss', value: MSS }, { kind: 'sack-permitted' }] });
  h.take();
  h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), window: 64000 });
  h.take();
  return h;
}

/** An ACK for everything below segment `una` that SACKs segments [from, to). */
function sackAck(h: Harness, una: number, from: number, to: number): void {
  h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(una * MSS), window: 64000, options: [{ kind: 'sack', blocks: [{ left: lseq(from * MSS), right: lseq(to * MSS) }] }] });
}

const cc = (h: Harness): ProbeEvent[] => h.events.filter((e) => e.layer === 'cc' && e.kind === 'cwnd');

describe('sender congestion probes (RFC 6675 state)', () => {
  it('publish init, every send, SACKed bytes, IsLost and SetPipe at the fixed points of one SACK recovery', () => {
    const h = sackConnection();
    expect(cc(h)[0]!.data['event']).toBe('init');
    expect(cc(h)[0]!.data['cwnd']).toBe(10 * MSS);
    h.conn.write(bytes(20 * MSS));
    expect(h.take()).toHaveLength(10);
    // One 'send' event per burst: pipe (no SACK yet: what is outstanding) after the 10 segments.
    const sends = cc(h).filter((e) => e.data['event'] === 'send');
    expect(sends.map((e) => [e.data['pipe'], e.data['flightSize']])).toEqual([[10 * MSS, 10 * MSS]]);
    expect(sends[0]!.data['changed']).toBe('flightSize,pipe');
    expect(sends.every((e) => e.data['recoveryPoint'] === null && e.data['inRecovery'] === false)).toBe(true);

    // Segment 0 is lost; the peer SACKs 1, then 1–2: duplicate ACKs, nothing lost yet (IsLost needs
    // DupThresh = 3 SACKed segments above, or more than 2·SMSS bytes).
    sackAck(h, 0, 1, 2);
    expect(cc(h).find((e) => e.data['event'] === 'dup-ack')!.data).toMatchObject({ sackedBytes: MSS, lostBytes: 0, inRecovery: false });
    h.take(); // limited transmit (RFC 3042)
    sackAck(h, 0, 1, 3);
    expect(cc(h).some((e) => e.data['event'] === 'dup-ack' && e.data['sackedBytes'] === 2 * MSS && e.data['lostBytes'] === 0)).toBe(true);
    h.take();
    const before = cc(h).length;
    // Third SACKed segment: IsLost(HighACK) → enter recovery; recovery point = SND.MAX (10 segments
    // plus what limited transmit sent).
    const sent = (h.conn.sndMax - lseq(0)) / MSS;
    expect(sent).toBeGreaterThan(10);
    sackAck(h, 0, 1, 4);
    const sndMax = h.conn.sndMax;
    expect(sndMax).toBe(lseq(sent * MSS));
    const enter = cc(h).slice(before).find((e) => e.data['event'] === 'enter-recovery')!;
    expect(enter).toBeDefined();
    expect(enter.data).toMatchObject({ inRecovery: true, recoveryPoint: sndMax, sackedBytes: 3 * MSS, lostBytes: MSS });
    // After the retransmission of segment 0, SetPipe: all out − 3 SACKed − 1 lost + 1 retransmitted.
    const afterRtx = cc(h).slice(before).find((e) => e.data['event'] === 'send' && e.data['inRecovery'] === true)!;
    expect(afterRtx.data['pipe']).toBe(sent * MSS - 3 * MSS - MSS + MSS);
    expect(h.take()[0]!.seq).toBe(lseq(0));

    // The retransmission arrives: a cumulative ACK of everything up to the end of the SACK block,
    // still below the recovery point → partial ACK; the SACKed bytes are gone from the scoreboard.
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(4 * MSS), window: 64000 });
    const partial = cc(h).filter((e) => e.data['event'] === 'partial-ack');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial[partial.length - 1]!.data).toMatchObject({ inRecovery: true, recoveryPoint: sndMax, sackedBytes: 0, lostBytes: 0 });
    h.take();
    // The recovery point is ACKed: recovery ends and the recovery point is gone.
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: sndMax, window: 64000 });
    const exit = cc(h).find((e) => e.data['event'] === 'exit-recovery')!;
    expect(exit.data).toMatchObject({ inRecovery: false, recoveryPoint: null, sackedBytes: 0, lostBytes: 0 });

    // Every event names what changed, and the series fold keeps the recovery point column.
    expect(cc(h).every((e, i) => i === 0 || typeof e.data['changed'] === 'string')).toBe(true);
    const series = congestionSeries(h.events).get(h.conn.subject)!;
    expect(series.recoveryPoint).toContain(sndMax);
    expect(series.pipe.length).toBe(series.t.length);
  });

  it('limited transmit with SACK sends by cwnd − pipe: one new segment per SACKed segment (RFC 6675 §5 step 3)', () => {
    const h = sackConnection();
    h.conn.write(bytes(20 * MSS));
    expect(h.take()).toHaveLength(10);
    sackAck(h, 0, 1, 2);
    expect(h.take().map((s) => s.seq)).toEqual([lseq(10 * MSS)]);
    sackAck(h, 0, 1, 3);
    expect(h.take().map((s) => s.seq)).toEqual([lseq(11 * MSS)]);
    const dup = cc(h).filter((e) => e.data['event'] === 'dup-ack' || e.data['event'] === 'send');
    // pipe stays at cwnd: each SACKed segment left the network and one new one entered.
    expect(dup.filter((e) => e.data['event'] === 'send').every((e) => e.data['pipe'] === 10 * MSS)).toBe(true);
  });

  it('publishes nothing when nothing changed (a second identical ACK)', () => {
    const h = sackConnection();
    h.conn.write(bytes(2 * MSS));
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(2 * MSS), window: 64000 });
    const n = cc(h).length;
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(2 * MSS), window: 64000 });
    expect(cc(h).length).toBe(n);
  });
});
