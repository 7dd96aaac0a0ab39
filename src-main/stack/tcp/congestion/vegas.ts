import type { AckSample, CongestionEvent, CongestionOptions } from './types';
import { BaseCongestion } from './base';
import { renoGrow } from './reno';
import { cwndLimited, halfFlight } from './window';

/**
 * TCP Vegas (Brakmo & Peterson, IEEE JSAC 1995; Linux net/ipv4/tcp_vegas.c).
 *
 * Once per RTT it compares the expected rate cwnd/baseRTT with the actual rate cwnd/RTT, where
 * baseRTT is the smallest RTT ever seen and RTT the smallest of the last round trip:
 *   diff = (Expected − Actual)·baseRTT = cwnd·(RTT − baseRTT)/RTT   [segments]
 * — its estimate of how many of its own segments sit in the bottleneck queue.
 *   congestion avoidance: diff < α → cwnd += 1; diff > β → cwnd −= 1; otherwise hold.
 *   slow start: grow exponentially only every other RTT (so RTT can be measured at a fixed
 *   window); leave slow start when diff > γ, with cwnd = min(cwnd, target + 1).
 * (Linux divides by baseRTT instead of RTT; B&P's form is kept here as the text does.)
 * On loss Vegas behaves as Reno (the Linux module uses tcp_reno_ssthresh).
 */
export class VegasCongestion extends BaseCongestion {
  readonly name = 'vegas' as const;
  readonly recoveryStyle = 'newreno' as const;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  private readonly abcLimit: number;

  /** ms; Infinity until the first sample. */
  baseRtt = Number.POSITIVE_INFINITY;
  /** Smallest RTT in the current round trip, ms. */
  minRttInRound = Number.POSITIVE_INFINITY;
  /** RTT samples in the current round trip (Linux cntRTT). */
  samplesInRound = 0;
  /** Last computed diff (segments), null before the first decision. */
  diff: number | null = null;
  /** Last target window cwnd·baseRTT/RTT (segments). */
  targetCwnd: number | null = null;
  /** The last once-per-RTT decision: 'increase' | 'decrease' | 'hold' | 'exit-slow-start' | 'slow-start' | 'reno'. */
  decision = 'none';
  /** Slow start grows on alternate round trips (B&P §3.3). */
  private growThisRound = true;
  /** SND.NXT at the start of the round (Linux beg_snd_nxt); null when sequence numbers are not given. */
  private roundEndSeq: number | null = null;
  /** Time the round started, used when the sender gives no sequence numbers. */
  private roundStart = 0;
  bytesAcked = 0;

  constructor(opts: CongestionOptions = {}) {
    super(opts);
    this.alpha = opts.vegasAlpha ?? 2;
    this.beta = opts.vegasBeta ?? 4;
    this.gamma = opts.vegasGamma ?? 1;
    this.abcLimit = opts.abcLimit ?? 2;
  }

  protected reset(now: number): void {
    this.baseRtt = Number.POSITIVE_INFINITY;
    this.minRttInRound = Number.POSITIVE_INFINITY;
    this.samplesInRound = 0;
    this.diff = null;
    this.targetCwnd = null;
    this.decision = 'none';
    this.growThisRound = true;
    this.roundEndSeq = null;
    this.roundStart = now;
    this.bytesAcked = 0;
  }

  onAck(s: AckSample): void {
    this.mss = s.mss;
    if (s.rttMs !== undefined && s.rttMs > 0) {
      this.baseRtt = Math.min(this.baseRtt, s.rttMs);
      this.minRttInRound = Math.min(this.minRttInRound, s.rttMs);
      this.samplesInRound++;
    }
    if (this.roundOver(s)) {
      this.onRoundEnd(s);
      return;
    }
    if (s.appLimited || s.ackedBytes <= 0 || !cwndLimited(s, this.cwnd)) return;
    if (this.cwnd < this.ssthresh) {
      if (this.growThisRound) renoGrow(this, s.ackedBytes, s.mss, Math.max(this.abcLimit, s.abcSegments ?? 0));
    } else if (!Number.isFinite(this.baseRtt)) {
      renoGrow(this, s.ackedBytes, s.mss, Math.max(this.abcLimit, s.abcSegments ?? 0)); // no RTT yet: behave as Reno
    }
  }

  /** Linux: after(ack, beg_snd_nxt). Without sequence numbers: one smallest-RTT has passed. */
  private roundOver(s: AckSample): boolean {
    if (s.ackSeq !== undefined && s.sndNxt !== undefined) {
      if (this.roundEndSeq === null) {
        this.roundEndSeq = s.sndNxt;
        return false;
      }
      if (((s.ackSeq - this.roundEndSeq) | 0) > 0) {
        this.roundEndSeq = s.sndNxt;
        return true;
      }
      return false;
    }
    const rtt = Number.isFinite(this.minRttInRound) ? this.minRttInRound : this.baseRtt;
    if (!Number.isFinite(rtt)) return false;
    if (s.now - this.roundStart >= rtt) {
      this.roundStart = s.now;
      return true;
    }
    return false;
  }

  private onRoundEnd(s: AckSample): void {
    const mss = s.mss;
    const cwndSeg = this.cwnd / mss;
    const slowStart = this.cwnd < this.ssthresh;
    if (this.samplesInRound <= 2 || !Number.isFinite(this.baseRtt)) {
      // Too few samples to trust (Linux cntRTT <= 2): one Reno step.
      if (!s.appLimited && cwndLimited(s, this.cwnd)) renoGrow(this, s.ackedBytes, mss, Math.max(this.abcLimit, s.abcSegments ?? 0));
      this.decision = 'reno';
    } else {
      const rtt = this.minRttInRound;
      this.targetCwnd = (cwndSeg * this.baseRtt) / rtt;
      this.diff = (cwndSeg * (rtt - this.baseRtt)) / rtt;
      if (slowStart && this.diff > this.gamma) {
        const seg = Math.min(cwndSeg, Math.floor(this.targetCwnd) + 1);
        this.cwnd = Math.round(seg) * mss;
        this.ssthresh = Math.min(this.ssthresh, Math.max(this.cwnd - mss, 2 * mss));
        this.decision = 'exit-slow-start';
      } else if (slowStart) {
        this.growThisRound = !this.growThisRound;
        this.decision = 'slow-start';
      } else if (this.diff > this.beta) {
        this.cwnd -= mss;
        this.ssthresh = Math.min(this.ssthresh, Math.max(this.cwnd - mss, 2 * mss));
        this.decision = 'decrease';
      } else if (this.diff < this.alpha) {
        if (!s.appLimited && cwndLimited(s, this.cwnd)) this.cwnd += mss;
        this.decision = 'increase';
      } else {
        this.decision = 'hold';
      }
      if (this.cwnd < 2 * mss) this.cwnd = 2 * mss;
    }
    this.samplesInRound = 0;
    this.minRttInRound = Number.POSITIVE_INFINITY;
  }

  protected reduce(e: CongestionEvent): number {
    this.bytesAcked = 0;
    this.roundEndSeq = null;
    this.samplesInRound = 0;
    this.minRttInRound = Number.POSITIVE_INFINITY;
    return halfFlight(e.flightSize, e.mss);
  }

  snapshot(): Record<string, number | string | boolean | null> {
    return {
      baseRtt: Number.isFinite(this.baseRtt) ? this.baseRtt : null,
      diff: this.diff === null ? null : Math.round(this.diff * 1000) / 1000,
      targetCwnd: this.targetCwnd === null ? null : Math.round(this.targetCwnd * 1000) / 1000,
      decision: this.decision,
      alpha: this.alpha,
      beta: this.beta,
      gamma: this.gamma,
    };
  }
}
