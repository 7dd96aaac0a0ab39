/**
 * The seam between the TCP sender and its congestion controller (stack-seams.md).
 *
 * The sender owns duplicate-ACK counting, fast retransmit, limited transmit (RFC 3042), the
 * recovery point and the SACK scoreboard calls; the controller owns cwnd and ssthresh and decides
 * how they change on each event. Controllers are pure: no clock, no I/O, time comes in the events.
 * cwnd and ssthresh are bytes outside; a controller may keep segments inside (CUBIC, Vegas).
 */
export type CongestionName = 'reno' | 'newreno' | 'cubic' | 'vegas';

export const CONGESTION_NAMES: readonly CongestionName[] = ['reno', 'newreno', 'cubic', 'vegas'];

export interface AckSample {
  /** Clock time in ms. */
  now: number;
  /** Bytes newly acknowledged by this ACK (SND.UNA advance; SACKed bytes are not counted here). */
  ackedBytes: number;
  /**
   * Bytes outstanding before this ACK was processed (RFC 5681 FlightSize). cwnd grows only while
   * cwnd < 2·flightSize (Linux tcp_is_cwnd_limited), so a receive-window-limited sender does not
   * inflate cwnd without bound; 0 = not given.
   */
  flightSize: number;
  /** Sender MSS (SMSS) in bytes. */
  mss: number;
  /** RTT measured from this ACK (Karn's rule applied by the sender), ms. */
  rttMs?: number;
  /** Smallest RTT seen on the connection, ms. */
  minRttMs?: number;
  /** True when the sender was not cwnd-limited (nothing more to send): cwnd does not grow (RFC 7661 spirit, Linux tcp_is_cwnd_limited). */
  appLimited: boolean;
  /** Added: the new SND.UNA (u32) after this ACK. Vegas uses it with `sndNxt` to act once per RTT (Linux beg_snd_nxt). */
  ackSeq?: number;
  /** Added: SND.NXT (u32) when this ACK arrived. */
  sndNxt?: number;
  /**
   * Added: the ACK covers data sent in segments of several MSS (segmentation offload), one ACK per
   * such segment being the receiver's normal clock (GRO); the slow-start limit L of RFC 3465 §2.2
   * is then at least this many segments (Linux's tcp_slow_start adds every packet acknowledged).
   */
  abcSegments?: number;
}

export interface CongestionEvent {
  now: number;
  /** FlightSize in bytes when the event happened (RFC 5681 eq. 4 uses it, not cwnd). */
  flightSize: number;
  mss: number;
}

export interface CongestionOptions {
  /**
   * Initial window: 'rfc5681' = min(4*SMSS, max(2*SMSS, 4380)) (RFC 5681 §3.1, = RFC 3390),
   * 'rfc6928' = min(10*SMSS, max(2*SMSS, 14600)) (RFC 6928, Linux's default), or a number of segments.
   * Default 'rfc5681' (the textbook figures).
   */
  initialWindow?: 'rfc5681' | 'rfc6928' | number;
  /** RFC 3465 ABC limit L in segments for slow start: cwnd += min(N, L*SMSS). Default 2. */
  abcLimit?: number;
  /** CUBIC (RFC 9438 §5): C = 0.4, β = 0.7, fast convergence on. */
  cubicC?: number;
  cubicBeta?: number;
  fastConvergence?: boolean;
  /** CUBIC's Reno-friendly region (RFC 9438 §4.3). Default on. */
  renoFriendly?: boolean;
  /** Vegas thresholds in segments (Brakmo & Peterson, Linux defaults 2, 4, 1). */
  vegasAlpha?: number;
  vegasBeta?: number;
  vegasGamma?: number;
}

export interface CongestionControl {
  readonly name: CongestionName;
  /** Bytes. */
  readonly cwnd: number;
  /** Bytes (Infinity at start, RFC 5681 §3.1 "arbitrarily high"). */
  readonly ssthresh: number;
  /** 'reno': a partial ACK ends fast recovery (RFC 5681); 'newreno': stay until the recovery point (RFC 6582). */
  readonly recoveryStyle: 'reno' | 'newreno';
  /** Sets the initial window (RFC 5681 §3.1 / RFC 3390 / RFC 6928) and resets all state. */
  init(mss: number, now: number): void;
  /** New data ACKed outside recovery: slow start / congestion avoidance with ABC (RFC 3465). */
  onAck(s: AckSample): void;
  /**
   * Added: a duplicate ACK. Inside non-SACK fast recovery it inflates cwnd by one SMSS for the
   * segment that left the network (RFC 5681 §3.2 step 5); elsewhere (limited transmit, SACK recovery)
   * it changes nothing — RFC 3042 sends beyond cwnd without touching it, RFC 6675 counts with pipe.
   */
  onDupAck(e: { now: number; mss: number; inRecovery: boolean }): void;
  /**
   * Fast retransmit (or ECN-Echo) happened. Sets ssthresh (RFC 5681 eq. 4 / RFC 9438 §4.6) and cwnd:
   * - cause 'fast-retransmit' without SACK: cwnd = ssthresh + 3*SMSS (RFC 5681 §3.2 step 4, RFC 6582 §3.2 step 2);
   * - cause 'fast-retransmit' with `sack: true`: cwnd = ssthresh (RFC 6675 §5 step 4.2), the sender sends by pipe;
   * - cause 'ecn': cwnd = ssthresh, no retransmission (RFC 3168 §6.1.2); the sender calls this at most
   *   once per window of data and need not call onExitRecovery for it.
   */
  onEnterRecovery(e: CongestionEvent & { cause: 'fast-retransmit' | 'ecn'; sack?: boolean }): void;
  /**
   * An ACK during recovery that advances SND.UNA but does not reach the recovery point (a partial
   * ACK, RFC 6582 §3.2 step 5): without SACK, deflates cwnd by the bytes acked and adds back one SMSS
   * if at least one SMSS was acked. With SACK it does nothing (pipe governs, RFC 6675).
   */
  onRecoveryAck?(s: AckSample & { sack?: boolean }): void;
  /** The recovery point was ACKed: cwnd = ssthresh (RFC 6582 §3.2 step 3 option 1, RFC 6675 §5). */
  onExitRecovery(e: CongestionEvent): void;
  /** Retransmission timeout: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS (RFC 5681 §3.1 eq. 4, 5). */
  onRto(e: CongestionEvent): void;
  /**
   * The state a spurious congestion event would restore (RFC 9438 §4.9: cwnd, ssthresh and CUBIC's
   * W_max, K, epoch …), taken just before a loss reduction (fast retransmit or RTO).
   */
  saveUndoState(): CongestionUndoState;
  /**
   * The reduction after `saved` was spurious (RFC 3708 D-SACK detection): restore it, never
   * lowering cwnd or ssthresh (RFC 4015 §2, Linux tcp_undo_cwnd_reduction), and leave fast recovery's
   * window inflation.
   */
  undo(saved: CongestionUndoState): void;
  /** Algorithm-specific state for probes: CUBIC W_max, K, epoch; Vegas diff, baseRTT … */
  snapshot(): Record<string, number | string | boolean | null>;
}

/** What `saveUndoState` returns; only the controller that made it reads `algorithm`. */
export interface CongestionUndoState {
  cwnd: number;
  ssthresh: number;
  algorithm: unknown;
}
