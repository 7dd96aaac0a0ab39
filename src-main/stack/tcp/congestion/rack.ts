/**
 * RACK-TLP loss detection (RFC 8985, "The RACK-TLP Loss Detection Algorithm for TCP"): a pure
 * data structure the sender feeds with every (re)transmission and every ACK, like the SACK
 * scoreboard (scoreboard.ts) beside it. No clock inside: times come in as arguments (ms).
 *
 * RACK (§6) replaces counting duplicate ACKs or SACKed segments (RFC 5681 DupThresh, RFC 6675
 * IsLost) by time: a segment is lost when a segment *sent* after it was delivered (ACKed or
 * SACKed) and more than RACK.rtt + RACK.reo_wnd has passed since it was sent. So a segment the
 * network only reordered (it arrives within reo_wnd) is not retransmitted, and a retransmission
 * that is lost again is found as soon as anything sent after it is delivered — no RTO needed.
 * When a segment is not yet lost only because reo_wnd has not passed, the reordering timer
 * (§6.3) looks again when it has.
 *
 * TLP (§7) sends one probe (new data, else the last segment) when the ACKs stop for about two
 * round trips (PTO), so a loss at the tail of a flight elicits a SACK that lets RACK find it,
 * instead of waiting for the RTO.
 *
 * Sequence numbers in and out are u32. Inside, they are unwrapped against SND.UNA into plain
 * numbers (as in scoreboard.ts), valid while everything stays within 2^31 of SND.UNA.
 */
import { seqGe, seqGt, type SeqNum } from '@shared/wire/seq';
import type { SackBlock } from './scoreboard';

/**
 * One transmitted range of sequence space: a segment, or a run of segments sent at the same
 * instant (a burst shares its xmit_ts, so one entry holds it until a SACK, an ACK or a
 * retransmission splits it), or part of one after a split.
 */
interface TxSegment {
  start: number;
  end: number;
  /** Segment.xmit_ts (§6.1): when it was last (re)transmitted, ms. */
  xmitTs: number;
  /**
   * Transmission order (a counter): breaks ties between entries sent at the same clock time. The
   * injected clock gives one instant to a whole ACK's processing, where new data can leave before
   * a retransmission; RACK_sent_after's sequence tie-break (§6.2) would then call the
   * retransmission older. Linux has the same order from its nanosecond skb timestamps.
   */
  xmitOrder: number;
  /** Segment.retransmitted (§6.1). */
  retrans: boolean;
  /** Segment.lost (§6.1): marked lost and not retransmitted since. */
  lost: boolean;
  /** Delivered by a SACK block (no longer in the network). */
  sacked: boolean;
  /** Probe event id of the loss mark (the cause of its retransmission on the ladder). */
  lossCause?: number;
}

/** What the sender passes with an ACK (RFC 8985 §6.2 steps 1–5). */
export interface RackAck {
  now: number;
  /** SEG.ACK (u32). */
  ack: number;
  /** The ACK's SACK blocks, the D-SACK block (RFC 2883) left out. */
  blocks: readonly SackBlock[];
  /** The ACK carried a D-SACK (RFC 2883): a segment arrived twice. */
  dsack: boolean;
  /** The timestamp the ACK echoes, in the clock's ms (null without timestamps). */
  tsEchoMs: number | null;
  /** RACK.min_RTT (§6.2 step 1): the connection's smallest RTT sample, ms (Infinity if none). */
  minRttMs: number;
  /** SRTT (RFC 6298), ms; null before the first sample. */
  srttMs: number | null;
  /** SND.MAX (u32): the RACK.dsack_round marker. */
  sndMax: number;
  /** In fast recovery or RTO recovery (§6.2 step 4: reo_wnd is 0 there until reordering is seen). */
  inRecovery: boolean;
  /** DupThresh (RFC 6675, 3). */
  dupThresh: number;
  /** SMSS: RACK.segs_sacked is counted from SACKed bytes in segments of this size. */
  mss: number;
}

/** One range RACK found lost. */
export interface RackLoss {
  seq: number;
  len: number;
  /** It was a retransmission (lost again). */
  retransmission: boolean;
}

export class RackTlp {
  // — the transmitted, not yet cumulatively acknowledged segments, in sequence order: segs[head..]
  // (acknowledged ones are dropped by moving head, and the array compacted now and then) —
  private segs: TxSegment[] = [];
  private head = 0;
  private unaAbs = 0;
  private una32 = 0;
  /** SACKed bytes among them (RACK.segs_sacked = this / SMSS). */
  private sackedBytes = 0;
  /** How many of them were retransmitted. */
  private retransCount = 0;
  /** Bytes marked lost, not SACKed, not retransmitted since (they are not in the network). */
  lostBytes = 0;

  // — RACK state (RFC 8985 §6.1) —
  /** RACK.xmit_ts and RACK.end_seq (unwrapped) of the most recently sent delivered segment. */
  private rackXmitTs = -Infinity;
  private rackXmitOrder = -Infinity;
  private rackEndSeq = -Infinity;
  /** Next TxSegment.xmitOrder. */
  private xmitCounter = 0;
  /** RACK.rtt: RTT of that segment, ms. */
  rackRtt = 0;
  /** RACK.fack: highest end_seq delivered (unwrapped). */
  private fack = -Infinity;
  /** RACK.reordering_seen. */
  reorderingSeen = false;
  /** RACK.dsack_round (unwrapped SND.MAX when a D-SACK last widened the window), null if none. */
  private dsackRound: number | null = null;
  /** RACK.reo_wnd_mult and RACK.reo_wnd_persist (§6.2 step 4). */
  reoWndMult = 1;
  private reoWndPersist = 0;
  /** RACK.reo_wnd as last computed (ms), for probes and tests. */
  reoWnd = 0;

  // — TLP state (RFC 8985 §7.1) —
  /** TLP.end_seq (u32): SND.NXT when the probe went, null when no probe is outstanding. */
  tlpEndSeq: number | null = null;
  /** TLP.is_retrans: the probe was a retransmission (not new data). */
  tlpIsRetrans = false;

  // — counters —
  /** Bytes marked lost, in all (a figure for probes and tests). */
  lostBytesMarked = 0;
  /** Retransmissions marked lost (each is one segment). */
  lostRetransmissions = 0;
  tlpProbes = 0;
  /** TLP retransmissions that repaired a loss (§7.4), each answered by a congestion response. */
  tlpRecoveries = 0;

  /** Starts afresh with SND.UNA (connection start). */
  reset(sndUna: number): void {
    this.una32 = sndUna >>> 0;
    this.unaAbs = 0;
    this.segs = [];
    this.head = 0;
    this.sackedBytes = 0;
    this.retransCount = 0;
    this.lostBytes = 0;
    this.rackXmitTs = -Infinity;
    this.rackXmitOrder = -Infinity;
    this.rackEndSeq = -Infinity;
    this.fack = -Infinity;
    this.tlpEndSeq = null;
  }

  private abs(s: number): number {
    return this.unaAbs + (((s >>> 0) - this.una32) | 0);
  }
  private u32(a: number): number {
    return (this.una32 + (a - this.unaAbs)) >>> 0;
  }

  /**
   * A transmission of `len` bytes of sequence space from `seq` (FIN counts one) at `now`. Sent
   * before (below the highest end recorded): a retransmission — its segments get the new xmit_ts,
   * are retransmitted and no longer lost (RFC 8985 §6.1 Segment.xmit_ts, §6.2).
   */
  onTransmit(seq: number, len: number, now: number): void {
    if (len <= 0) return;
    const a = this.abs(seq);
    const b = a + len;
    const last = this.segs.length > this.head ? this.segs[this.segs.length - 1]! : null;
    const high = last ? last.end : this.unaAbs;
    if (a >= high) {
      // New data (a gap would mean bytes sent without being recorded: record it as sent now).
      // Sent at the same instant as the last entry, right after it: the same entry grows.
      if (last && last.xmitTs === now && last.xmitOrder === this.xmitCounter - 1 && !last.retrans && !last.lost && !last.sacked) last.end = b;
      else this.segs.push({ start: high, end: b, xmitTs: now, xmitOrder: this.xmitCounter++, retrans: false, lost: false, sacked: false });
      return;
    }
    let i = this.indexAt(Math.max(a, this.unaAbs));
    if (i >= 0 && this.segs[i]!.start < a) {
      this.split(i, a);
      i++;
    }
    const order = this.xmitCounter++;
    for (; i >= 0 && i < this.segs.length && this.segs[i]!.start < b; i++) {
      if (this.segs[i]!.end > b) this.split(i, b);
      const s = this.segs[i]!;
      s.xmitTs = now;
      s.xmitOrder = order;
      if (!s.retrans) {
        s.retrans = true;
        this.retransCount++;
      }
      if (s.lost) {
        s.lost = false;
        if (!s.sacked) this.lostBytes -= s.end - s.start;
      }
    }
    // A resend that runs on past the highest byte sent: the rest is new data.
    if (b > high) this.segs.push({ start: high, end: b, xmitTs: now, xmitOrder: order, retrans: false, lost: false, sacked: false });
  }

  /**
   * RFC 8985 §6.2 steps 1–4 for one ACK: trims what it acknowledges, takes RACK.xmit_ts /
   * end_seq / rtt from the most recently sent segment it delivered, detects reordering and
   * updates reo_wnd. Returns whether loss detection (step 5, `detectLoss`) can find anything.
   */
  onAck(p: RackAck): boolean {
    const ackAbs = this.abs(p.ack);
    const delivered: TxSegment[] = [];
    let deliveredRetrans = false;
    // Cumulatively acknowledged segments (those SACKed before were delivered then).
    if (ackAbs > this.unaAbs) {
      let k = this.head;
      while (k < this.segs.length && this.segs[k]!.end <= ackAbs) {
        const s = this.segs[k]!;
        if (!s.sacked) delivered.push(s);
        this.forget(s);
        k++;
      }
      this.head = k;
      if (k > 64 && 2 * k > this.segs.length) {
        this.segs = this.segs.slice(k);
        this.head = 0;
      }
      const first = this.segs[this.head];
      if (first && first.start < ackAbs) {
        // The front of an entry (part of a burst) is delivered.
        const n = ackAbs - first.start;
        if (first.sacked) this.sackedBytes -= n;
        else {
          if (first.lost) this.lostBytes -= n;
          delivered.push({ ...first, end: ackAbs });
        }
        first.start = ackAbs;
      }
      this.una32 = p.ack >>> 0;
      this.unaAbs = ackAbs;
    }
    // Selectively acknowledged: the parts of entries inside a block of this ACK, not SACKed
    // before (an entry a block covers only in part is split at the block's edges).
    let sackedAny = false;
    for (const blk of p.blocks) {
      const l = this.abs(blk.left);
      const r = this.abs(blk.right);
      let i = r > l ? this.indexAt(Math.max(l, this.unaAbs)) : -1;
      if (i < 0) continue;
      for (; i < this.segs.length; i++) {
        if (this.segs[i]!.start >= r) break;
        if (this.segs[i]!.sacked) continue;
        if (this.segs[i]!.start < l) {
          this.split(i, l); // the part from l is next
          continue;
        }
        if (this.segs[i]!.end > r) this.split(i, r);
        const s = this.segs[i]!;
        s.sacked = true;
        this.sackedBytes += s.end - s.start;
        if (s.lost) this.lostBytes -= s.end - s.start;
        delivered.push(s);
        sackedAny = true;
      }
    }
    // Step 2 (RACK_update): the most recently sent delivered segment sets RACK.xmit_ts, end_seq
    // and RACK.rtt. A retransmission counts only when the ACK cannot be for its original: the
    // echoed timestamp is not older than the retransmission, and the RTT is not below min_RTT
    // (Linux tcp_rack_advance). Step 3 (RACK_detect_reordering): in ascending end_seq.
    if (sackedAny) delivered.sort((x, y) => x.end - y.end);
    for (const s of delivered) {
      if (s.retrans) {
        deliveredRetrans = true;
        const rtt = p.now - s.xmitTs;
        if (p.tsEchoMs !== null && p.tsEchoMs < Math.floor(s.xmitTs)) continue;
        if (rtt < p.minRttMs) continue;
      }
      if (sentAfter(s.xmitTs, s.xmitOrder, s.end, this.rackXmitTs, this.rackXmitOrder, this.rackEndSeq)) {
        this.rackXmitTs = s.xmitTs;
        this.rackXmitOrder = s.xmitOrder;
        this.rackEndSeq = s.end;
        this.rackRtt = p.now - s.xmitTs;
      }
    }
    for (const s of delivered) {
      if (s.end > this.fack) this.fack = s.end;
      else if (s.end < this.fack && !s.retrans) this.reorderingSeen = true;
    }
    // Step 4 (RACK_update_reo_wnd): a D-SACK widens reo_wnd by min_RTT/4, at most once a round trip.
    if (this.dsackRound !== null && this.unaAbs >= this.dsackRound) this.dsackRound = null;
    if (this.dsackRound === null && p.dsack) {
      this.dsackRound = this.abs(p.sndMax);
      this.reoWndMult++;
      this.reoWndPersist = 16;
    }
    this.reoWnd = this.computeReoWnd(p);
    // Loss is possible only if some outstanding segment was sent before RACK.xmit_ts: one that was
    // SACKed around or retransmitted (original transmissions go out in sequence order).
    return this.sackedBytes > 0 || this.retransCount > 0 || deliveredRetrans;
  }

  /** Fast or RTO recovery ended: 16 recoveries without a D-SACK reset reo_wnd (§6.2 step 4). */
  onRecoveryExit(): void {
    if (this.reoWndPersist > 0 && --this.reoWndPersist === 0) this.reoWndMult = 1;
  }

  private computeReoWnd(p: { inRecovery: boolean; dupThresh: number; mss: number; minRttMs: number; srttMs: number | null }): number {
    if (!this.reorderingSeen) {
      if (p.inRecovery) return 0;
      if (Math.ceil(this.sackedBytes / Math.max(1, p.mss)) >= p.dupThresh) return 0;
    }
    const minRtt = Number.isFinite(p.minRttMs) ? p.minRttMs : 0;
    return Math.min((this.reoWndMult * minRtt) / 4, p.srttMs ?? Infinity);
  }

  /**
   * Step 5 (RACK_detect_loss): every outstanding segment sent before RACK.xmit_ts is lost once
   * RACK.rtt + reo_wnd has passed since it was sent. Returns the newly lost ranges and the time
   * until the next one could be (the reordering timer of §6.3; 0 = none).
   */
  detectLoss(now: number): { lost: RackLoss[]; timeoutMs: number } {
    const lost: RackLoss[] = [];
    this.lastMarked.length = 0;
    let timeout = 0;
    if (this.rackXmitTs === -Infinity) return { lost, timeoutMs: 0 };
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.sacked || s.lost) continue;
      if (!sentAfter(this.rackXmitTs, this.rackXmitOrder, this.rackEndSeq, s.xmitTs, s.xmitOrder, s.end)) continue;
      const remaining = s.xmitTs + this.rackRtt + this.reoWnd - now;
      if (remaining <= 0) {
        s.lost = true;
        s.lossCause = undefined;
        this.lastMarked.push(s);
        this.lostBytes += s.end - s.start;
        this.lostBytesMarked += s.end - s.start;
        if (s.retrans) this.lostRetransmissions++;
        const prev = lost[lost.length - 1];
        if (prev && this.abs(prev.seq) + prev.len === s.start && prev.retransmission === s.retrans) prev.len += s.end - s.start;
        else lost.push({ seq: this.u32(s.start), len: s.end - s.start, retransmission: s.retrans });
      } else {
        timeout = Math.max(timeout, remaining);
      }
    }
    return { lost, timeoutMs: timeout };
  }

  /** Names the probe event of the last detectLoss as the cause of those segments' retransmissions. */
  tagLossCause(id: number | undefined): void {
    for (const s of this.lastMarked) s.lossCause = id;
    this.lastMarked.length = 0;
  }
  private readonly lastMarked: TxSegment[] = [];

  /** Start (u32) of the highest segment sent: what a TLP retransmits when it has no new data. */
  lastSegmentStart(): number | null {
    const last = this.segs.length > this.head ? this.segs[this.segs.length - 1]! : null;
    return last ? this.u32(last.start) : null;
  }

  /** The peer may have reneged (a second RTO in a row, RFC 2018 §8): SACK marks go. */
  forgetSacks(): void {
    for (let i = this.head; i < this.segs.length; i++) this.segs[i]!.sacked = false;
    this.sackedBytes = 0;
  }

  /**
   * After an RTO the sender goes back N from SND.UNA: everything not SACKed is resent anyway, so
   * the loss marks go (the resends get new xmit_ts), and so does a probe episode (§7: the RTO
   * ends it).
   */
  onRto(): void {
    for (let i = this.head; i < this.segs.length; i++) this.segs[i]!.lost = false;
    this.lostBytes = 0;
    this.tlpEndSeq = null;
  }

  /** The lowest lost segment below `limit` (u32; all if undefined): what to retransmit first. */
  firstLost(limit?: number): { seq: number; len: number; cause: number | undefined } | null {
    if (this.lostBytes <= 0) return null;
    const lim = limit === undefined ? Infinity : this.abs(limit);
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.start >= lim) break;
      if (s.lost && !s.sacked) return { seq: this.u32(s.start), len: Math.min(s.end, lim) - s.start, cause: s.lossCause };
    }
    return null;
  }

  /** Lost bytes below `limit` (u32). */
  lostBelow(limit: number): number {
    if (this.lostBytes <= 0) return 0;
    const lim = this.abs(limit);
    let n = 0;
    for (let i = this.head; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (s.start >= lim) break;
      if (s.lost && !s.sacked) n += Math.min(s.end, lim) - s.start;
    }
    return n;
  }

  // — TLP (§7) —

  /**
   * TLP_calc_PTO (§7.2): 2·SRTT, plus the worst-case delayed-ACK time when only one segment is in
   * flight (the receiver may hold its ACK for it); 1 s without an RTT sample; never beyond the
   * RTO's deadline. With more in flight Linux adds TCP_TIMEOUT_MIN (2 ms, `minExtraMs`): with
   * millisecond timestamps a sub-millisecond path measures SRTT = 0, and a PTO of 0 would probe
   * every flight at once.
   */
  static pto(p: { srttMs: number | null; oneSegmentInFlight: boolean; maxAckDelayMs: number; minExtraMs: number; rtoRemainingMs: number }): number {
    let pto = p.srttMs === null ? 1000 : 2 * p.srttMs + (p.oneSegmentInFlight ? p.maxAckDelayMs : p.minExtraMs);
    if (pto > p.rtoRemainingMs) pto = p.rtoRemainingMs;
    return Math.max(0, pto);
  }

  /** A probe went (§7.3): one per episode until an ACK at or above TLP.end_seq ends it. */
  onProbeSent(sndNxt: number, retransmission: boolean): void {
    this.tlpEndSeq = sndNxt >>> 0;
    this.tlpIsRetrans = retransmission;
    this.tlpProbes++;
  }

  /**
   * TLP_process_ack (§7.4): ends the probe episode and says whether the probe repaired a loss
   * (the sender then reduces cwnd as for a loss, once): an ACK beyond TLP.end_seq without a
   * D-SACK for the probe. A probe that only retransmitted what the peer already had comes back
   * as a D-SACK of it, or as a pure duplicate ACK: no loss. An ACK of exactly TLP.end_seq says
   * neither, and the episode goes on (as in Linux, where TLP.end_seq is SND.NXT after the probe).
   */
  tlpOnAck(p: { ack: number; dsackBlock: SackBlock | null; otherSack: boolean; dupAck: boolean }): 'none' | 'repaired' {
    const end = this.tlpEndSeq;
    if (end === null || !seqGe(p.ack as SeqNum, end as SeqNum)) return 'none';
    if (!this.tlpIsRetrans) {
      this.tlpEndSeq = null; // new data delivered
      return 'none';
    }
    if (p.dsackBlock && ((p.dsackBlock.right - end) | 0) === 0 && !p.otherSack) {
      this.tlpEndSeq = null; // the retransmission was redundant
      return 'none';
    }
    if (seqGt(p.ack as SeqNum, end as SeqNum)) {
      this.tlpEndSeq = null; // the probe repaired the only loss
      this.tlpRecoveries++;
      return 'repaired';
    }
    if (p.dupAck && !p.otherSack && !p.dsackBlock) {
      this.tlpEndSeq = null; // a pure duplicate ACK: original and probe both arrived, no loss (Linux tcp_process_tlp_ack)
    }
    return 'none';
  }

  // — helpers —

  /** Index of the segment holding unwrapped `a` (or the first after it); -1 when none. */
  private indexAt(a: number): number {
    let lo = this.head;
    let hi = this.segs.length - 1;
    if (hi < lo) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segs[mid]!.end <= a) lo = mid + 1;
      else hi = mid;
    }
    return this.segs[lo]!.end > a ? lo : -1;
  }

  private split(i: number, at: number): void {
    const s = this.segs[i]!;
    const tail: TxSegment = { ...s, start: at };
    s.end = at;
    this.segs.splice(i + 1, 0, tail);
    if (s.retrans) this.retransCount++;
  }

  private forget(s: TxSegment): void {
    if (s.retrans) this.retransCount--;
    if (s.sacked) this.sackedBytes -= s.end - s.start;
    else if (s.lost) this.lostBytes -= s.end - s.start;
  }
}

/**
 * RACK_sent_after (§6.2): t1 after t2, or at the same time with a higher end sequence — with the
 * transmission order between the two (TxSegment.xmitOrder) decided first at the same time.
 */
function sentAfter(t1: number, order1: number, seq1: number, t2: number, order2: number, seq2: number): boolean {
  if (t1 !== t2) return t1 > t2;
  if (order1 !== order2) return order1 > order2;
  return seq1 > seq2;
}
