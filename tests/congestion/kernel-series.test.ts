import { describe, expect, it } from 'vitest';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import type { SessionSeries } from '@shared/model/series';
import { kernelPeerSeries } from '../../src-main/session/series';
import { LiveCcRecorder } from '../../src-main/session/live-cc';
import { congestionOption, seriesLengths, type CongestionLabels } from '../../src-renderer/charts/options';

/** Kernel samples as the poller publishes them (layer kernel, kind tcp-info). */
function sample(t: number, subject: string, cwndSegments: number, bytesAcked: number, id = t): ProbeEvent {
  return { id, t, layer: 'kernel', kind: 'tcp-info', subject, data: { origin: 'kernel', via: 'ss', algorithm: 'cubic', cwnd: cwndSegments * 1448, cwndSegments, ssthresh: null, mss: 1448, rttMs: 20 + t / 1000, bytesAcked, retransTotal: 3 } };
}

const TCPLAB = '192.0.2.2:40000';
const KERNEL = '192.0.2.1:5001';

describe('kernel peer series', () => {
  const events: ProbeEvent[] = [
    // The kernel's side of the conversation tcplab sends on: it only ACKs (no bytes ACKed by tcplab).
    sample(100, `${KERNEL}-${TCPLAB}`, 10, 0),
    sample(200, `${KERNEL}-${TCPLAB}`, 10, 0),
    // The kernel sending to tcplab on a second connection.
    sample(100, '192.0.2.1:5002-192.0.2.2:40001', 10, 50_000),
    sample(200, '192.0.2.1:5002-192.0.2.2:40001', 20, 400_000),
    { id: 99, t: 150, layer: 'kernel', kind: 'some-new-kind', subject: 'x', data: {} },
    { id: 98, t: 150, layer: 'cc', kind: 'pipe', subject: `${TCPLAB}-${KERNEL}`, data: { pipe: 1 } },
  ];

  it("sorts the conversation's own sockets first, keeps an idle receiver out, shows another sender, in bytes and seconds", () => {
    const s = kernelPeerSeries(events, { sender: TCPLAB, receiver: KERNEL }, (ms) => ms / 1000);
    expect(s.map((k) => [k.subject, k.role])).toEqual([['192.0.2.1:5002-192.0.2.2:40001', 'other']]);
    expect(s[0]!.cwnd).toEqual({ t: [0.1, 0.2], v: [14480, 28960] });
    expect(s[0]!.rtt.v).toEqual([20.1, 20.2]);
    expect(s[0]!).toMatchObject({ algorithm: 'cubic', bytesAcked: 400_000, retransTotal: 3, ssthresh: { t: [], v: [] } });
  });

  it('the kernel as the data sender of the conversation comes first', () => {
    const s = kernelPeerSeries(events, { sender: '192.0.2.1:5002', receiver: '192.0.2.2:40001' }, (ms) => ms);
    expect(s.map((k) => k.role)).toEqual(['sender']);
  });

  it('the recorder keeps cc and kernel events only and reports every kernel socket it saw', () => {
    const bus = new ProbeBus();
    const rec = new LiveCcRecorder(bus, 50);
    bus.publish({ t: 60, layer: 'tcp', kind: 'segment-out', subject: `${TCPLAB}-${KERNEL}`, data: {} });
    bus.publish({ t: 70, layer: 'cc', kind: 'cwnd', subject: `${TCPLAB}-${KERNEL}`, data: { event: 'ack', algorithm: 'reno', cwnd: 5840, ssthresh: null, flightSize: 2920 } });
    bus.publish({ t: 80, layer: 'cc', kind: 'cwnd', subject: `${TCPLAB}-${KERNEL}`, data: { event: 'rto', algorithm: 'reno', cwnd: 1460, ssthresh: 2920, flightSize: 5840, pipe: 4380, recoveryPoint: null, sackedBytes: 1460, lostBytes: 2920 } });
    for (const e of events) bus.publish({ ...e, id: undefined });
    rec.stop();
    bus.publish({ t: 90, layer: 'cc', kind: 'cwnd', subject: `${TCPLAB}-${KERNEL}`, data: { event: 'ack', cwnd: 2920 } });
    const r = rec.report(null);
    expect(r.tcplab).toEqual([{ subject: `${TCPLAB}-${KERNEL}`, algorithm: 'reno', t: [20, 30], cwnd: [5840, 1460], ssthresh: [null, 2920], flightSize: [2920, 5840], pipe: [null, 4380], recoveryPoint: [null, null], sackedBytes: [null, 1460], lostBytes: [null, 2920], event: ['ack', 'rto'] }]);
    expect(r.events).toEqual([{ t: 30, subject: `${TCPLAB}-${KERNEL}`, event: 'rto', cwnd: 1460, ssthresh: 2920 }]);
    expect(r.kernel.map((k) => [k.subject, k.t, k.cwnd])).toEqual([
      [`${KERNEL}-${TCPLAB}`, [50, 150], [14480, 14480]],
      ['192.0.2.1:5002-192.0.2.2:40001', [50, 150], [14480, 28960]],
    ]);
    expect(r.poller).toBeNull();
  });

  it('the congestion chart names the true and the polled curve for what they are', () => {
    const markers = { 'fast-retransmit': 'fr', rto: 'RTO', 'recovery-exit': 're', ecn: 'ECN', retransmission: 'rt', undo: 'undo' };
    const cl: CongestionLabels = { cwnd: 'cwnd', ssthresh: 'ssthresh', flight: 'flight', pipe: 'pipe', sacked: 'SACKed', lost: 'lost', rwnd: 'rwnd', estimate: 'est', bytes: 'bytes', time: 's', recovery: 'recovery', cursor: 'cursor', markers, tcplabTrue: 'tcplab, true', kernelCwnd: 'cwnd — Linux {subject} ({algorithm}), polled via ss' };
    const p = { t: [0, 1], v: [1, 2] };
    const base: SessionSeries = { stream: 0, source: 'lab', sender: TCPLAB, receiver: KERNEL, algorithm: 'cubic', cwnd: p, ssthresh: null, flightSize: null, pipe: null, sackedBytes: null, lostBytes: null, recovery: [], recoveryPoints: [], cwndEstimate: { ...p, method: 'm' }, bytesInFlight: p, rwnd: p, rtt: p, throughput: p, goodput: p, markers: [], tsg: { segT: [], segSeq: [], segEnd: [], retrans: [], ackT: [], ack: [], win: [], sackT: [], sackL: [], sackR: [], syn: [], fin: [], rst: [] }, window: { inferred: false, snapshots: [] }, endT: 1 };
    expect(Object.keys(seriesLengths(congestionOption(base, [], cl, null)))).toContain('cwnd (cubic)');
    const withKernel = { ...base, kernel: kernelPeerSeries(events, { sender: TCPLAB, receiver: KERNEL }, (ms) => ms / 1000) };
    const lengths = seriesLengths(congestionOption(withKernel, [], cl, null));
    expect(lengths['cwnd (cubic) — tcplab, true']).toBe(2);
    expect(lengths['cwnd — Linux 192.0.2.1:5002-192.0.2.2:40001 (cubic), polled via ss']).toBe(2);
  });
});
