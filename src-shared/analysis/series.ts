/**
 * Time series of one conversation direction for the views (time-sequence, window and congestion
 * charts): typed arrays of (time in seconds since the conversation began, value).
 */
import type { Conversation, TcpAnalyzer } from './analyzer';
import { A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION } from './types';

export interface Series {
  /** Seconds since the conversation's first segment. */
  t: Float64Array;
  v: Float64Array;
  unit: string;
  label: string;
}

export interface DirectionSeries {
  /** Round-trip samples of this direction's data (Wireshark's ack_rtt), seconds. */
  rtt: Series;
  /** The window the peer advertised to this sender (scaled), bytes. */
  receiverWindow: Series;
  /** Wireshark's bytes in flight, bytes. */
  bytesInFlight: Series;
  /** tcplab's SACK-aware bytes in flight, bytes. */
  sackBytesInFlight: Series;
  /** Payload bytes per second in each bin, retransmissions included. */
  throughput: Series;
  /** Payload bytes per second in each bin, retransmissions excluded. */
  goodput: Series;
  /** An ESTIMATE of the congestion window; see `method`. */
  cwndEstimate: Series & { method: string };
}

export const CWND_ESTIMATE_METHOD =
  'estimate, not an observation: the running peak of SACK-aware bytes in flight since the last loss event ' +
  '(a retransmission), reset at each loss event; a passive observer cannot see cwnd, and the peak ' +
  'understates it whenever the sender was application- or receiver-limited';

class Builder {
  t: number[] = [];
  v: number[] = [];
  add(t: number, v: number): void {
    this.t.push(t);
    this.v.push(v);
  }
  done(unit: string, label: string): Series {
    return { t: Float64Array.from(this.t), v: Float64Array.from(this.v), unit, label };
  }
}

/**
 * `direction` 0 = data sent by A, 1 = by B. `binNs` is the throughput bin width (default: the
 * duration / 200, at least 1 ms).
 */
export function conversationSeries(an: TcpAnalyzer, conv: Conversation, direction: 0 | 1, binNs?: number): DirectionSeries {
  const s = an.store;
  const rows = conv.rows.toArray();
  const t0 = conv.firstTimeNs;
  const dur = Math.max(conv.lastTimeNs - t0, 1);
  const bin = binNs ?? Math.max(dur / 200, 1e6);
  const nbins = Math.floor(dur / bin) + 1;
  const thr = new Float64Array(nbins);
  const good = new Float64Array(nbins);
  const rtt = new Builder();
  const rwnd = new Builder();
  const bif = new Builder();
  const sbif = new Builder();
  const cwnd = new Builder();
  let peak = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const t = (s.timeNs[i]! - t0) / 1e9;
    if (s.direction[i] !== direction) {
      rwnd.add(t, s.windowSize[i]!);
      const r = s.ackRttNs[i]!;
      if (r > 0) rtt.add(t, r / 1e9);
      continue;
    }
    const len = s.len[i]!;
    if (len === 0) continue;
    const fl = s.analysisFlags[i]!;
    const b = Math.floor((s.timeNs[i]! - t0) / bin);
    thr[b] += len;
    if (!(fl & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION))) good[b] += len;
    if (s.bytesInFlight[i]! > 0) bif.add(t, s.bytesInFlight[i]!);
    const sb = s.sackBytesInFlight[i]!;
    if (sb >= 0) sbif.add(t, sb);
    if (fl & (A_RETRANSMISSION | A_FAST_RETRANSMISSION)) {
      peak = 0;
      cwnd.add(t, sb > 0 ? sb : 0);
    } else if (sb > peak) {
      peak = sb;
      cwnd.add(t, peak);
    }
  }
  const bt = new Float64Array(nbins);
  for (let b = 0; b < nbins; b++) {
    bt[b] = (b * bin) / 1e9;
    thr[b] = (thr[b]! * 1e9) / bin;
    good[b] = (good[b]! * 1e9) / bin;
  }
  return {
    rtt: rtt.done('s', 'RTT samples (ack_rtt)'),
    receiverWindow: rwnd.done('bytes', 'receiver window (scaled)'),
    bytesInFlight: bif.done('bytes', 'bytes in flight (Wireshark)'),
    sackBytesInFlight: sbif.done('bytes', 'bytes in flight (SACK-aware)'),
    throughput: { t: bt, v: thr, unit: 'bytes/s', label: 'throughput' },
    goodput: { t: bt.slice(), v: good, unit: 'bytes/s', label: 'goodput' },
    cwndEstimate: { ...cwnd.done('bytes', 'congestion window (estimate)'), method: CWND_ESTIMATE_METHOD },
  };
}
