import { describe, expect, it } from 'vitest';
import type { SessionSeries, WindowSnapshot } from '@shared/model/series';
import { congestionOption, rateOption, rttOption, seriesLengths, timeSequenceOption, type CongestionLabels, type RateLabels, type TsgLabels } from '../../src-renderer/charts/options';
import { snapshotIndexAt, windowBars } from '../../src-renderer/charts/window';

const ps = (n: number, f: (i: number) => number = (i) => i * 10) => ({ t: Array.from({ length: n }, (_, i) => i / 10), v: Array.from({ length: n }, (_, i) => f(i)) });

function series(over: Partial<SessionSeries> = {}): SessionSeries {
  return {
    stream: 0,
    source: 'capture',
    sender: '192.0.2.1:80',
    receiver: '192.0.2.2:40000',
    algorithm: null,
    cwnd: null,
    ssthresh: null,
    flightSize: null,
    pipe: null,
    sackedBytes: null,
    lostBytes: null,
    recovery: [],
    recoveryPoints: [],
    cwndEstimate: { ...ps(7), method: 'estimate: running peak' },
    bytesInFlight: ps(9),
    rwnd: ps(11),
    rtt: ps(4, () => 0.02),
    throughput: ps(5),
    goodput: ps(5),
    markers: [],
    tsg: { segT: [0.1, 0.2, 0.3], segSeq: [0, 1000, 0], segEnd: [1000, 2000, 1000], retrans: [2], ackT: [0.15, 0.25], ack: [1000, 2000], win: [66000, 67000], sackT: [0.25], sackL: [1000], sackR: [2000], syn: [[0, -1]], fin: [[0.4, 2000]], rst: [] },
    window: { inferred: true, snapshots: [] },
    endT: 1,
    ...over,
  };
}

const markers = { 'fast-retransmit': 'fast retransmit', rto: 'RTO', 'recovery-exit': 'recovery end', ecn: 'ECN', retransmission: 'retransmission', undo: 'undo' };
const cl: CongestionLabels = { cwnd: 'cwnd', ssthresh: 'ssthresh', flight: 'flight', pipe: 'pipe', sacked: 'SACKed', lost: 'lost', rwnd: 'rwnd', estimate: 'cwnd estimate', bytes: 'bytes', time: 's', recovery: 'recovery', cursor: 'cursor', markers };
const tl: TsgLabels = { segments: 'segments', retransmissions: 'retransmissions', ack: 'ACK', window: 'window', sack: 'SACK', recoveryPoint: 'recovery point', syn: 'SYN', fin: 'FIN', rst: 'RST', seq: 'seq', time: 's', cursor: 'cursor' };
const rl: RateLabels = { rtt: 'RTT', rttAxis: 'ms', throughput: 'throughput', goodput: 'goodput', rateAxis: 'bit/s', time: 's', cursor: 'cursor' };

describe('congestion option', () => {
  it('a capture: flight, rwnd and the labelled estimate, each with all its points, LTTB + large', () => {
    const opt = congestionOption(series(), [], cl, null);
    expect(seriesLengths(opt)).toEqual({ flight: 9, rwnd: 11, 'cwnd estimate': 7 });
    for (const s of opt.series) {
      expect(s.sampling).toBe('lttb');
      expect(s.large).toBe(true);
    }
    expect((opt.dataZoom as unknown[]).length).toBe(2);
  });
  it('a lab: true cwnd (with the algorithm), ssthresh, pipe, markers per kind, recovery shaded, overlays', () => {
    const lab = series({
      source: 'lab',
      algorithm: 'reno',
      cwnd: ps(20),
      ssthresh: ps(3),
      flightSize: ps(20),
      pipe: ps(2),
      recovery: [[0.5, 0.9]],
      markers: [
        { t: 0.5, kind: 'fast-retransmit', value: 100, observed: true },
        { t: 0.9, kind: 'recovery-exit', value: 50, observed: true },
        { t: 1.5, kind: 'rto', value: 10, observed: true },
        { t: 1.6, kind: 'fast-retransmit', value: 100, observed: true },
      ],
    });
    const other = series({ algorithm: 'cubic', cwnd: ps(33) });
    const opt = congestionOption(lab, [{ label: 'run 2', series: other }], cl, 0.7);
    const lengths = seriesLengths(opt);
    expect(lengths['cwnd (reno)']).toBe(20);
    expect(lengths['ssthresh']).toBe(3);
    expect(lengths['flight']).toBe(20);
    expect(lengths['cwnd estimate']).toBe(7);
    expect(lengths['cwnd — run 2 (cubic)']).toBe(33);
    expect(lengths['fast retransmit']).toBe(2);
    expect(lengths['RTO']).toBe(1);
    expect(lengths['recovery end']).toBe(1);
    expect(lengths['ECN']).toBeUndefined();
    const cwnd = opt.series[0]!;
    expect((cwnd.markArea as { data: unknown[] }).data).toHaveLength(1);
    expect((cwnd.markLine as { data: { xAxis: number }[] }).data[0]!.xAxis).toBe(0.7);
  });
});

describe('time-sequence graph option', () => {
  it('one bar (3 points: bottom, top, gap) per segment; retransmissions apart; ACK and window lines; SACK; SYN/FIN marks', () => {
    const opt = timeSequenceOption(series(), tl, null);
    const l = seriesLengths(opt);
    expect(l).toEqual({ segments: 6, retransmissions: 3, ACK: 2, window: 2, SACK: 3, SYN: 1, FIN: 1 });
    const win = opt.series.find((s) => s.name === 'window')!;
    expect(win.data[1]).toEqual([0.25, 67000]);
  });

  it('the recovery point: one horizontal line (start, end, gap) per recovery', () => {
    const opt = timeSequenceOption(series({ recoveryPoints: [{ start: 0.2, end: 0.3, seq: 2000 }, { start: 0.6, end: 0.7, seq: 5000 }] }), tl, null);
    const rp = opt.series.find((s) => s.name === 'recovery point')!;
    expect(rp.data).toEqual([[0.2, 2000], [0.3, 2000], null, [0.6, 5000], [0.7, 5000], null]);
  });
});

describe('congestion option: the scoreboard', () => {
  it('SACKed and lost bytes are drawn when the probes ever saw any, and left out otherwise', () => {
    const zero = series({ source: 'lab', cwnd: ps(5), pipe: ps(5), sackedBytes: ps(5, () => 0), lostBytes: ps(5, () => 0) });
    expect(seriesLengths(congestionOption(zero, [], cl, null))['SACKed']).toBeUndefined();
    const some = series({ source: 'lab', cwnd: ps(5), pipe: ps(5), sackedBytes: ps(5, (i) => i * 1000), lostBytes: ps(5, (i) => (i === 3 ? 1000 : 0)) });
    const l = seriesLengths(congestionOption(some, [], cl, null));
    expect(l['SACKed']).toBe(5);
    expect(l['lost']).toBe(5);
    expect(l['pipe']).toBe(5);
  });
});

describe('RTT and rate options', () => {
  it('RTT samples in ms, each marked; throughput and goodput in bit/s', () => {
    const r = rttOption(series(), rl, null);
    expect(seriesLengths(r)).toEqual({ RTT: 4 });
    expect(r.series[0]!.data[0]).toEqual([0, 20]);
    const t = rateOption(series(), rl, 0.2);
    expect(seriesLengths(t)).toEqual({ throughput: 5, goodput: 5 });
    expect(t.series[0]!.data[2]).toEqual([0.2, 160]);
  });
});

describe('sliding window layout', () => {
  const snap = (o: Partial<WindowSnapshot>): WindowSnapshot => ({ t: 0, cause: 'ack', sndUna: 1000, sndNxt: 3000, sndWnd: 4000, rcvNxt: 1000, rcvWnd: 4000, rcvRead: 500, ooo: [], ...o });
  it('finds the snapshot at a time', () => {
    const s = [snap({ t: 1 }), snap({ t: 2 }), snap({ t: 2 }), snap({ t: 5 })];
    expect(snapshotIndexAt(s, 0.5)).toBe(-1);
    expect(snapshotIndexAt(s, 2)).toBe(2);
    expect(snapshotIndexAt(s, 4.9)).toBe(2);
    expect(snapshotIndexAt(s, 99)).toBe(3);
    expect(snapshotIndexAt(s, null)).toBe(3);
    expect(snapshotIndexAt([], 1)).toBe(-1);
  });
  it('sender: acknowledged | in flight | usable | not allowed, cut at SND.UNA, SND.NXT, SND.UNA+SND.WND', () => {
    const b = windowBars(snap({}));
    expect(b.sender.map((p) => [p.kind, p.from, p.to])).toEqual([
      ['acked', b.start, 1000],
      ['in-flight', 1000, 3000],
      ['usable', 3000, 5000],
      ['not-allowed', 5000, b.end],
    ]);
    const widths = b.sender.reduce((a, p) => a + p.width, 0);
    expect(widths).toBeCloseTo(100, 6);
    expect(b.senderMarkers.map((m) => [m.name, m.value])).toEqual([
      ['SND.UNA', 1000],
      ['SND.NXT', 3000],
      ['SND.UNA+SND.WND', 5000],
    ]);
  });
  it('receiver: read | unread | missing | out of order | free, cut at RCV.NXT and RCV.NXT+RCV.WND', () => {
    const b = windowBars(snap({ ooo: [2000, 2500] }));
    expect(b.receiver.map((p) => [p.kind, p.from, p.to])).toEqual([
      ['read', b.start, 500],
      ['unread', 500, 1000],
      ['missing', 1000, 2000],
      ['out-of-order', 2000, 2500],
      ['free', 2500, 5000],
      ['beyond', 5000, b.end],
    ]);
    expect(b.receiverMarkers.map((m) => m.value)).toEqual([1000, 5000]);
  });
  it('a zero window has no usable part', () => {
    const b = windowBars(snap({ sndNxt: 1000, sndWnd: 0, rcvWnd: 0 }));
    expect(b.sender.some((p) => p.kind === 'usable')).toBe(false);
    expect(b.receiver.some((p) => p.kind === 'free')).toBe(false);
  });
});
