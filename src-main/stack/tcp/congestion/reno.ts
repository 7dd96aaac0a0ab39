import type { AckSample, CongestionEvent, CongestionOptions } from './types';
import { BaseCongestion } from './base';
import { cwndLimited, halfFlight } from './window';

/**
 * Reno (RFC 5681) and NewReno (RFC 6582): the same window arithmetic; they differ only in how the
 * sender treats a partial ACK (`recoveryStyle`). Slow start and congestion avoidance count bytes
 * (Appropriate Byte Counting, RFC 3465), not ACKs, so a delayed-ACK receiver or a stretch ACK does
 * not slow the growth and an ACK-splitting receiver cannot speed it up.
 */
export class RenoCongestion extends BaseCongestion {
  readonly name: 'reno' | 'newreno';
  readonly recoveryStyle: 'reno' | 'newreno';
  /** RFC 3465 §2.1 bytes_acked: bytes ACKed since cwnd last grew in congestion avoidance. */
  bytesAcked = 0;
  private readonly abcLimit: number;

  constructor(name: 'reno' | 'newreno', opts: CongestionOptions = {}) {
    super(opts);
    this.name = name;
    this.recoveryStyle = name;
    this.abcLimit = opts.abcLimit ?? 2;
  }

  protected reset(): void {
    this.bytesAcked = 0;
  }

  onAck(s: AckSample): void {
    if (s.appLimited || s.ackedBytes <= 0 || !cwndLimited(s, this.cwnd)) return;
    renoGrow(this, s.ackedBytes, s.mss, Math.max(this.abcLimit, s.abcSegments ?? 0));
  }

  protected reduce(e: CongestionEvent): number {
    this.bytesAcked = 0;
    return halfFlight(e.flightSize, e.mss); // RFC 5681 eq. (4)
  }

  snapshot(): Record<string, number | string | boolean | null> {
    return { bytesAcked: this.bytesAcked, inflated: this.inflating };
  }
}

/**
 * Slow start and congestion avoidance with ABC (RFC 3465), shared by Reno, NewReno and Vegas's
 * Reno fallback.
 * - Slow start (cwnd < ssthresh, RFC 5681 §3.1): cwnd += min(N, L*SMSS), N = bytes newly ACKed,
 *   L = 2 (RFC 3465 §2.2). What would cross ssthresh is counted in congestion avoidance.
 * - Congestion avoidance (RFC 3465 §2.1): bytes_acked += N; when bytes_acked >= cwnd,
 *   bytes_acked -= cwnd and cwnd += SMSS — one SMSS per window of data ACKed.
 */
export function renoGrow(
  st: { cwnd: number; ssthresh: number; bytesAcked: number },
  ackedBytes: number,
  mss: number,
  abcLimit: number,
): void {
  let n = ackedBytes;
  if (st.cwnd < st.ssthresh) {
    const allowed = Math.min(n, abcLimit * mss);
    const inc = Math.min(allowed, st.ssthresh - st.cwnd);
    st.cwnd += inc;
    n = allowed - inc;
    if (n <= 0) return;
  }
  st.bytesAcked += n;
  if (st.bytesAcked >= st.cwnd) {
    st.bytesAcked -= st.cwnd;
    st.cwnd += mss;
  }
}
