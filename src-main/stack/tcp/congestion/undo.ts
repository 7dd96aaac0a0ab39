/**
 * Detecting a spurious congestion episode, so the sender can undo its reduction (RFC 4015's
 * response; RFC 9438 §4.9 for CUBIC; Linux undo_marker / undo_retrans / retrans_stamp), two ways:
 * - D-SACKs (RFC 3708 §3): every retransmission of the episode reported as a duplicate;
 * - timestamps (the Eifel algorithm, RFC 3522 §3.2): an ACK that ends the recovery echoes a
 *   timestamp older than the episode's first retransmission, so the original transmissions filled
 *   the hole (Linux tcp_packet_delayed).
 *
 * An episode begins with a loss reduction (fast retransmit, RACK, RTO) and keeps the congestion
 * state from before it. Each retransmission in the episode is remembered as a sequence range; a
 * D-SACK that reports one of them says both copies arrived, so that retransmission was not needed.
 * When every retransmission of the episode has been D-SACKed, nothing was lost and the reduction
 * was spurious (reordering or a delay spike): `onDsack` returns true and `take()` gives back the
 * saved state once.
 *
 * Pure bookkeeping: no clock, no I/O. Ranges are u32 sequence numbers.
 */


/** a < b in sequence space (RFC 9293 §3.4, modulo 2^32). */
const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** Beyond this many retransmissions an episode is taken as real loss (and memory stays bounded). */
const MAX_TRACKED_RETRANSMISSIONS = 256;

export class SpuriousEpisode<S> {
  private saved: S | null = null;
  /** Retransmitted ranges not yet reported by a D-SACK. */
  private pending: { start: number; end: number }[] = [];
  private retransmissions = 0;
  private untrackable = false;
  /** TSval of the episode's first retransmission (RFC 3522 RetransmitTS), null without timestamps. */
  private firstRetransmitTsval: number | null = null;

  /** An episode is open (its state can still be restored). */
  get active(): boolean {
    return this.saved !== null && !this.untrackable;
  }

  /** Retransmissions of this episode not yet D-SACKed. */
  get outstanding(): number {
    return this.pending.length;
  }

  /** Every retransmission of the open episode (at least one) has been D-SACKed. */
  get spurious(): boolean {
    return this.active && this.retransmissions > 0 && this.pending.length === 0;
  }

  /**
   * A loss reduction is about to happen; `saved` is the state before it. `nested`: the sender is
   * already recovering (an RTO during fast recovery), so the episode — and the state from before its
   * first reduction — goes on (as Linux keeps prior_cwnd for a loss inside recovery).
   */
  begin(saved: S, nested: boolean): void {
    if (nested && this.saved !== null) return;
    this.saved = saved;
    this.pending = [];
    this.retransmissions = 0;
    this.untrackable = false;
    this.firstRetransmitTsval = null;
  }

  /**
   * RFC 3522 §3.2: the ACK echoes `tsecr`, older than the first retransmission's TSval — it was
   * sent for an original transmission, so the retransmissions were not needed.
   */
  echoesOriginal(tsecr: number): boolean {
    return this.saved !== null && this.firstRetransmitTsval !== null && ((tsecr - this.firstRetransmitTsval) | 0) < 0;
  }

  /** A retransmission of [seq, seq + len) left while the episode is open, with its TSval (null: none). */
  onRetransmit(seq: number, len: number, tsval: number | null): void {
    if (this.saved === null || len <= 0) return;
    if (this.retransmissions === 0 && this.firstRetransmitTsval === null) this.firstRetransmitTsval = tsval;
    if (this.untrackable) return;
    if (this.pending.length >= MAX_TRACKED_RETRANSMISSIONS) {
      this.untrackable = true;
      this.pending = [];
      return;
    }
    this.retransmissions++;
    this.pending.push({ start: seq >>> 0, end: (seq + len) >>> 0 });
  }

  /**
   * A D-SACK block [left, right) arrived. The first retransmission it overlaps counts as not needed
   * (one D-SACK answers one duplicate copy). True when that was the last one: the episode was spurious.
   */
  onDsack(left: number, right: number): boolean {
    if (!this.active || this.pending.length === 0) return false;
    const i = this.pending.findIndex((r) => before(r.start, right) && before(left, r.end));
    if (i < 0) return false;
    this.pending.splice(i, 1);
    return this.spurious;
  }

  /** The state to restore, once; the episode ends. */
  take(): S | null {
    const s = this.saved;
    this.clear();
    return s;
  }

  clear(): void {
    this.saved = null;
    this.pending = [];
    this.retransmissions = 0;
    this.untrackable = false;
    this.firstRetransmitTsval = null;
  }
}
