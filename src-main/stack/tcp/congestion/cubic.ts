import type { AckSample, CongestionEvent, CongestionOptions } from './types';
import { BaseCongestion, type ReductionCause } from './base';
import { cwndLimited } from './window';

/**
 * CUBIC (RFC 9438). The window follows W_cubic(t) = C·(t − K)³ + W_max (eq. 1), t in seconds since
 * the congestion-avoidance epoch began, K = ∛((W_max − cwnd_epoch)/C) (eq. 2), which is
 * ∛(W_max·(1−β)/C) when the epoch starts at β·W_max. Windows are in segments inside (the RFC's
 * unit; C = 0.4 segments/s³) and bytes outside.
 */
export class CubicCongestion extends BaseCongestion {
  readonly name = 'cubic' as const;
  readonly recoveryStyle = 'newreno' as const;
  readonly C: number;
  readonly beta: number;
  private readonly fastConvergence: boolean;
  private readonly renoFriendly: boolean;
  private readonly abcLimit: number;

  /** Window before the last reduction, segments (after fast convergence). 0 = none yet. */
  wMax = 0;
  /** Seconds from the epoch start until W_cubic reaches W_max again. */
  k = 0;
  /** When the current congestion-avoidance epoch began (ms), null until the first CA ACK after an event. */
  epochStart: number | null = null;
  /** cwnd at the epoch start, segments. */
  cwndEpoch = 0;
  /** cwnd just before the last reduction, segments (RFC 9438 §4.6 cwnd_prior). */
  cwndPrior = 0;
  /** Reno-friendly estimate (RFC 9438 §4.3), segments. */
  wEst = 0;
  /** Last W_cubic(t) computed, segments. */
  wCubic = 0;
  /** Which region the last CA step used: 'reno-friendly' | 'concave' | 'convex' | 'slow-start'. */
  region = 'slow-start';
  /** Last RTT used for the target (s). */
  private rttSec = 0.1;
  /** Fractional window kept in segments so growth of a fraction of a byte per ACK is not lost. */
  private w = 0;

  constructor(opts: CongestionOptions = {}) {
    super(opts);
    this.C = opts.cubicC ?? 0.4;
    this.beta = opts.cubicBeta ?? 0.7;
    this.fastConvergence = opts.fastConvergence ?? true;
    this.renoFriendly = opts.renoFriendly ?? true;
    this.abcLimit = opts.abcLimit ?? 2;
  }

  /** RFC 9438 eq. (1), in segments; t in seconds. */
  wCubicAt(tSec: number): number {
    return this.C * (tSec - this.k) ** 3 + this.wMax;
  }

  /** RFC 9438 §4.3: α_cubic = 3(1 − β)/(1 + β), and 1 once W_est has reached cwnd_prior. */
  get alphaCubic(): number {
    return this.wEst >= this.cwndPrior && this.cwndPrior > 0 ? 1 : (3 * (1 - this.beta)) / (1 + this.beta);
  }

  protected reset(): void {
    this.wMax = 0;
    this.k = 0;
    this.epochStart = null;
    this.cwndEpoch = 0;
    this.cwndPrior = 0;
    this.wEst = 0;
    this.wCubic = 0;
    this.region = 'slow-start';
    this.w = this.cwnd / this.mss;
  }

  private syncW(): void {
    // cwnd may have been set in bytes by the base class (recovery, RTO); keep w consistent.
    if (Math.floor(this.w * this.mss) !== this.cwnd) this.w = this.cwnd / this.mss;
  }

  private setW(w: number): void {
    this.w = w;
    this.cwnd = Math.floor(w * this.mss);
  }

  onAck(s: AckSample): void {
    if (s.appLimited || s.ackedBytes <= 0 || !cwndLimited(s, this.cwnd)) return;
    this.mss = s.mss;
    this.syncW();
    if (s.rttMs !== undefined && s.rttMs > 0) this.rttSec = s.rttMs / 1000;
    else if (s.minRttMs !== undefined && s.minRttMs > 0) this.rttSec = s.minRttMs / 1000;

    if (this.cwnd < this.ssthresh) {
      // Slow start as Reno (RFC 9438 §4.10), with ABC (RFC 3465).
      const inc = Math.min(s.ackedBytes, Math.max(this.abcLimit, s.abcSegments ?? 0) * s.mss, this.ssthresh - this.cwnd);
      this.setW(this.w + inc / s.mss);
      this.region = 'slow-start';
      return;
    }
    const acked = s.ackedBytes / s.mss; // segments
    if (this.epochStart === null) this.startEpoch(s.now);
    const t = (s.now - this.epochStart!) / 1000;
    this.wCubic = this.wCubicAt(t);

    // RFC 9438 §4.3: W_est grows like an AIMD flow with α_cubic per RTT.
    this.wEst += (this.alphaCubic * acked) / this.w;

    if (this.renoFriendly && this.wCubic < this.wEst) {
      this.region = 'reno-friendly';
      this.setW(this.wEst);
      return;
    }
    // RFC 9438 §4.4/4.5: aim at W_cubic(t + RTT), bounded to [cwnd, 1.5·cwnd], and approach it by
    // (target − cwnd)/cwnd per segment ACKed.
    let target = this.wCubicAt(t + this.rttSec);
    target = Math.min(Math.max(target, this.w), 1.5 * this.w);
    this.region = this.wCubic < this.wMax ? 'concave' : 'convex';
    this.setW(this.w + ((target - this.w) / this.w) * acked);
  }

  /** RFC 9438 §4.2: a new epoch begins at the first ACK in congestion avoidance after an event. */
  private startEpoch(now: number): void {
    this.epochStart = now;
    this.cwndEpoch = this.w;
    if (this.w < this.wMax) {
      this.k = Math.cbrt((this.wMax - this.w) / this.C);
    } else {
      // Leaving slow start without a loss (or above the old maximum): the plateau is here.
      this.k = 0;
      this.wMax = this.w;
    }
    this.wEst = this.w;
  }

  protected reduce(e: CongestionEvent, _cause: ReductionCause): number {
    this.mss = e.mss;
    this.syncW();
    const cwndSeg = this.w;
    // RFC 9438 §4.7 fast convergence: a flow whose maximum is shrinking releases bandwidth faster.
    if (this.fastConvergence && cwndSeg < this.wMax) this.wMax = (cwndSeg * (1 + this.beta)) / 2;
    else this.wMax = cwndSeg;
    this.cwndPrior = cwndSeg;
    // RFC 9438 §4.6: ssthresh = flight_size · β_cubic, at least 2 segments.
    const ssthresh = Math.max(Math.floor(e.flightSize * this.beta), 2 * e.mss);
    this.epochStart = null;
    // K as the next epoch will compute it if it starts at ssthresh (eq. 2); shown in probes now.
    const startSeg = ssthresh / e.mss;
    this.k = startSeg < this.wMax ? Math.cbrt((this.wMax - startSeg) / this.C) : 0;
    return ssthresh;
  }

  override onEnterRecovery(e: CongestionEvent & { cause: 'fast-retransmit' | 'ecn'; sack?: boolean }): void {
    super.onEnterRecovery(e);
    this.w = this.cwnd / e.mss;
  }
  override onRto(e: CongestionEvent): void {
    super.onRto(e);
    this.w = this.cwnd / e.mss;
    this.region = 'slow-start';
  }
  protected override afterRecovery(): void {
    this.w = this.cwnd / this.mss;
  }

  /** RFC 9438 §4.9: W_max, K, epoch_start, cwnd_epoch, cwnd_prior and W_est from before the event. */
  protected override saveAlgorithm(): CubicUndoState {
    this.syncW();
    return { wMax: this.wMax, k: this.k, epochStart: this.epochStart, cwndEpoch: this.cwndEpoch, cwndPrior: this.cwndPrior, wEst: this.wEst, region: this.region };
  }

  protected override restoreAlgorithm(saved: unknown): void {
    Object.assign(this, saved as CubicUndoState);
    this.w = this.cwnd / this.mss;
  }

  snapshot(): Record<string, number | string | boolean | null> {
    return {
      wMax: round3(this.wMax),
      k: round3(this.k),
      epochStart: this.epochStart,
      cwndEpoch: round3(this.cwndEpoch),
      wEst: round3(this.wEst),
      wCubic: round3(this.wCubic),
      region: this.region,
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

interface CubicUndoState {
  wMax: number;
  k: number;
  epochStart: number | null;
  cwndEpoch: number;
  cwndPrior: number;
  wEst: number;
  region: string;
}
