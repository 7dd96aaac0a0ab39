import type { AckSample, CongestionControl, CongestionEvent, CongestionName, CongestionOptions, CongestionUndoState } from './types';
import { initialWindowBytes } from './window';

export type ReductionCause = 'fast-retransmit' | 'ecn' | 'rto';

/**
 * What every controller shares: the initial window, the fast-recovery window inflation and
 * deflation of RFC 5681 §3.2 / RFC 6582 §3.2 (non-SACK), and the RTO rule of RFC 5681 §3.1.
 * A subclass decides growth (`onAck`) and the new ssthresh after a congestion signal (`reduce`).
 */
export abstract class BaseCongestion implements CongestionControl {
  abstract readonly name: CongestionName;
  abstract readonly recoveryStyle: 'reno' | 'newreno';
  cwnd = 0;
  ssthresh = Number.POSITIVE_INFINITY;
  /** SMSS given at init; controllers that think in segments use it. */
  protected mss = 1460;
  /** True while in non-SACK fast recovery: duplicate ACKs inflate cwnd. */
  protected inflating = false;

  constructor(protected readonly opts: CongestionOptions = {}) {}

  init(mss: number, now: number): void {
    this.mss = mss;
    this.cwnd = initialWindowBytes(mss, this.opts.initialWindow);
    this.ssthresh = Number.POSITIVE_INFINITY;
    this.inflating = false;
    this.reset(now);
  }

  /** Clears algorithm state at init. */
  protected abstract reset(now: number): void;
  /** Returns the new ssthresh in bytes for a congestion signal, updating algorithm state. */
  protected abstract reduce(e: CongestionEvent, cause: ReductionCause): number;

  abstract onAck(s: AckSample): void;
  abstract snapshot(): Record<string, number | string | boolean | null>;

  onDupAck(e: { now: number; mss: number; inRecovery: boolean }): void {
    // RFC 5681 §3.2 step 5: each further duplicate ACK means one more segment has left the network.
    if (e.inRecovery && this.inflating) this.cwnd += e.mss;
  }

  onEnterRecovery(e: CongestionEvent & { cause: 'fast-retransmit' | 'ecn'; sack?: boolean }): void {
    this.mss = e.mss;
    this.ssthresh = this.reduce(e, e.cause);
    if (e.cause === 'fast-retransmit' && !e.sack) {
      // RFC 5681 §3.2 step 4 / RFC 6582 §3.2 step 2: the three duplicate ACKs are three segments gone.
      this.cwnd = this.ssthresh + 3 * e.mss;
      this.inflating = true;
    } else {
      // RFC 6675 §5 step 4.2 (pipe governs sending) and RFC 3168 §6.1.2 (ECN: halve, no retransmit).
      this.cwnd = this.ssthresh;
      this.inflating = false;
    }
  }

  onRecoveryAck(s: AckSample & { sack?: boolean }): void {
    if (s.sack || !this.inflating) return;
    // RFC 6582 §3.2 step 5: deflate by the amount of new data acknowledged, then add back one SMSS
    // if at least one SMSS was acknowledged, so about ssthresh worth of data stays in flight.
    this.cwnd = Math.max(this.cwnd - s.ackedBytes, s.mss);
    if (s.ackedBytes >= s.mss) this.cwnd += s.mss;
  }

  onExitRecovery(e: CongestionEvent): void {
    this.inflating = false;
    // RFC 6582 §3.2 step 3: option (1) cwnd = ssthresh; option (2) bounds the burst when little
    // data is outstanding: min(ssthresh, max(FlightSize, SMSS) + SMSS). FlightSize here is what is
    // still outstanding after the full ACK.
    this.cwnd = Math.min(this.ssthresh, Math.max(e.flightSize, e.mss) + e.mss);
    this.afterRecovery(e);
  }

  /** Hook after recovery ends (CUBIC keeps its state in segments). */
  protected afterRecovery(_e: CongestionEvent): void {}

  onRto(e: CongestionEvent): void {
    this.mss = e.mss;
    this.inflating = false;
    this.ssthresh = this.reduce(e, 'rto');
    this.cwnd = e.mss; // RFC 5681 §3.1: the loss window LW is one full-sized segment
  }

  saveUndoState(): CongestionUndoState {
    return { cwnd: this.cwnd, ssthresh: this.ssthresh, algorithm: this.saveAlgorithm() };
  }

  undo(saved: CongestionUndoState): void {
    this.inflating = false;
    this.cwnd = Math.max(this.cwnd, saved.cwnd);
    this.ssthresh = Math.max(this.ssthresh, saved.ssthresh);
    this.restoreAlgorithm(saved.algorithm);
  }

  /** Algorithm state an undo restores (RFC 9438 §4.9 for CUBIC); none by default. */
  protected saveAlgorithm(): unknown {
    return null;
  }

  protected restoreAlgorithm(_saved: unknown): void {}
}
