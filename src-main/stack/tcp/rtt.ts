/**
 * Retransmission timeout by RFC 6298. Defaults follow Linux where the RFC leaves room:
 * RTO = SRTT + max(G, 4·RTTVAR, 200 ms): Linux floors the variance term, not only the sum, at
 * TCP_RTO_MIN (tcp_rtt_estimator's mdev_max), so an ACK delayed by the peer's 200 ms delayed-ACK
 * timer never looks lost on a short path (`varianceFloorMs: 0` gives RFC 6298 §2.3 exactly);
 * minimum RTO 200 ms (Linux TCP_RTO_MIN; RFC 6298 §2.4 says 1 s — `minRtoMs: 1000` gives that),
 * maximum 120 s (Linux TCP_RTO_MAX; RFC 6298 §2.5 allows a maximum of at least 60 s),
 * initial 1 s (RFC 6298 §2.1).
 */
export interface RtoOptions {
  minRtoMs: number;
  maxRtoMs: number;
  initialRtoMs: number;
  /** Clock granularity G (RFC 6298 §2). */
  granularityMs: number;
  /** Smallest variance term added to SRTT (Linux: TCP_RTO_MIN); 0 = RFC 6298 as written. */
  varianceFloorMs: number;
}

export const DEFAULT_RTO_OPTIONS: RtoOptions = { minRtoMs: 200, maxRtoMs: 120_000, initialRtoMs: 1000, granularityMs: 1, varianceFloorMs: 200 };

export class RtoEstimator {
  srtt: number | null = null;
  rttvar = 0;
  minRtt = Infinity;
  latestRtt: number | null = null;
  /** Number of consecutive backoffs (RFC 6298 §5.5); reset when new data is acknowledged. */
  backoffs = 0;
  private base: number;

  constructor(private readonly opts: RtoOptions = DEFAULT_RTO_OPTIONS) {
    this.base = opts.initialRtoMs;
  }

  /** Current RTO including backoff, clamped to [min, max]. */
  get rto(): number {
    return Math.min(this.opts.maxRtoMs, this.base * 2 ** this.backoffs);
  }

  /** An RTT measurement R (RFC 6298 §2.2 first, §2.3 subsequent; alpha 1/8, beta 1/4). */
  sample(r: number): void {
    const rtt = Math.max(0, r);
    this.latestRtt = rtt;
    this.minRtt = Math.min(this.minRtt, rtt);
    if (this.srtt === null) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    const raw = this.srtt + Math.max(this.opts.granularityMs, 4 * this.rttvar, this.opts.varianceFloorMs);
    this.base = Math.min(this.opts.maxRtoMs, Math.max(this.opts.minRtoMs, raw));
  }

  /** RFC 6298 §5.5: RTO <- RTO * 2 ("back off the timer"). */
  backoff(): void {
    if (this.rto < this.opts.maxRtoMs) this.backoffs++;
  }

  /**
   * RFC 6298 §5.7: the SYN (or SYN,ACK) timed out and the handshake gave no RTT sample, so data
   * starts with the RTO re-initialised to 3 s (Linux TCP_TIMEOUT_FALLBACK) rather than 1 s.
   */
  handshakeFallback(ms = 3000): void {
    if (this.srtt !== null) return;
    this.base = Math.min(this.opts.maxRtoMs, Math.max(this.opts.minRtoMs, ms));
    this.backoffs = 0;
  }

  resetBackoff(): void {
    this.backoffs = 0;
  }
}
