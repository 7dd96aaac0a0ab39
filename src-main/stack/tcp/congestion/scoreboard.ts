/**
 * The SACK scoreboard of RFC 6675 ("A Conservative Loss Recovery Algorithm Based on Selective
 * Acknowledgment (SACK) for TCP"): a pure data structure the sender updates from every ACK and asks
 * what is lost (IsLost), how much is in the network (pipe) and what to send next (NextSeg).
 *
 * Sequence numbers in and out are u32 TCP sequence numbers. Ranges are half-open [start, end):
 *   HighACK  = SND.UNA (first byte not cumulatively acknowledged; the RFC's HighACK + 1),
 *   HighData = SND.NXT (one past the highest byte sent; the RFC's HighData + 1),
 *   HighRxt / RescueRxt = one past the highest byte retransmitted by rules 1/3, resp. rule 4.
 * Inside, sequence numbers are unwrapped against HighACK into plain numbers, so arithmetic is
 * ordinary as long as everything stays within 2^31 of SND.UNA (which TCP guarantees).
 */
export interface SackBlock {
  /** First byte SACKed (u32). */
  left: number;
  /** One past the last byte SACKed (u32). */
  right: number;
}

export interface SackUpdate {
  /** Bytes newly covered by SACK blocks in this ACK. */
  newlySackedBytes: number;
  /** Bytes newly acknowledged cumulatively (SND.UNA advance). */
  newlyAckedBytes: number;
  /** The first block reports data below SND.UNA or inside another block: a D-SACK (RFC 2883). */
  dsack: boolean;
  /** Blocks outside [SND.UNA, SND.NXT) that were ignored (neither D-SACK nor valid). */
  ignoredBlocks: number;
}

export interface NextSegment {
  seq: number;
  len: number;
  /** Which NextSeg rule of RFC 6675 §4 chose it: 1 lost, 2 new data, 3 unSACKed not yet lost, 4 rescue. */
  rule: 1 | 2 | 3 | 4;
}

interface Range {
  start: number;
  end: number;
}

/** A retransmission in flight, with HighData at the moment it was sent. */
interface Retransmission extends Range {
  highDataAtSend: number;
}

export class SackScoreboard {
  readonly dupThresh: number;
  mss: number;
  /** Unwrapped SND.UNA and its u32 form. */
  private unaAbs = 0;
  private una32 = 0;
  private nxtAbs = 0;
  /** SACKed ranges above SND.UNA, sorted, disjoint, merged. */
  private sacked: Range[] = [];
  private highRxtAbs = 0;
  private rescueRxtAbs: number | null = null;
  private recoveryPointAbs: number | null = null;
  /** Retransmissions (rules 1 and 3, and the first one of recovery) not yet SACKed or ACKed. */
  private retransmissions: Retransmission[] = [];
  /** Retransmitted ranges found lost again: NextSeg sends them before anything else. */
  private lostAgain: Range[] = [];
  /** How many retransmissions were found lost (a probe and test figure). */
  lostRetransmissions = 0;

  constructor(opts: { mss: number; dupThresh?: number }) {
    this.mss = opts.mss;
    this.dupThresh = opts.dupThresh ?? 3; // RFC 6675 §2: DupThresh = 3
  }

  /** Starts afresh (connection start, or after an RTO the RFC lets a sender discard SACK state). */
  reset(sndUna: number, sndNxt: number): void {
    this.una32 = sndUna >>> 0;
    this.unaAbs = 0;
    this.nxtAbs = this.abs(sndNxt);
    this.sacked = [];
    this.highRxtAbs = 0;
    this.rescueRxtAbs = null;
    this.recoveryPointAbs = null;
    this.retransmissions = [];
    this.lostAgain = [];
  }

  /**
   * After an RTO, keep what the peer SACKed (Linux tcp_enter_loss keeps its SACK marks unless it
   * detects reneging) but forget retransmissions: everything un-SACKed is resent from SND.UNA.
   * RFC 6675 §5.1 keeps RFC 2018's advice to discard SACK state after a timeout, and notes that an
   * implementation with a reneging safeguard may keep it; the connection discards it on a second
   * timeout in a row (then the peer may really have reneged).
   */
  keepSackedAfterTimeout(sndUna: number, sndNxt: number): void {
    const sacked = this.blocks();
    this.reset(sndUna, sndNxt);
    for (const b of sacked) this.insert(Math.max(this.abs(b.left), this.unaAbs), this.abs(b.right));
  }

  /** SACKed bytes in [from, to) (u32 sequence numbers, from at or above SND.UNA). */
  sackedIn(from: number, to: number): number {
    return this.sackedBetween(this.abs(from), this.abs(to));
  }

  /** The end of the SACKed range holding `s`, or null when `s` is not SACKed (u32). */
  sackedRangeEnd(s: number): number | null {
    const a = this.abs(s);
    for (const r of this.sacked) if (r.start <= a && a < r.end) return this.u32(r.end);
    return null;
  }

  /** The start of the first SACKed range above `s`, or null (u32). */
  nextSackedStart(s: number): number | null {
    const a = this.abs(s);
    for (const r of this.sacked) if (r.start > a) return this.u32(r.start);
    return null;
  }

  private abs(s: number): number {
    return this.unaAbs + ((((s >>> 0) - this.una32) | 0));
  }
  private u32(a: number): number {
    return (this.una32 + (a - this.unaAbs)) >>> 0;
  }

  get highAck(): number {
    return this.una32;
  }
  get highData(): number {
    return this.u32(this.nxtAbs);
  }
  get highRxt(): number {
    return this.u32(Math.max(this.highRxtAbs, this.unaAbs));
  }
  get rescueRxt(): number | null {
    return this.rescueRxtAbs === null ? null : this.u32(this.rescueRxtAbs);
  }
  get recoveryPoint(): number | null {
    return this.recoveryPointAbs === null ? null : this.u32(this.recoveryPointAbs);
  }
  get inRecovery(): boolean {
    return this.recoveryPointAbs !== null;
  }

  /** The SACKed ranges above SND.UNA as u32 blocks (for probes and the window view). */
  blocks(): SackBlock[] {
    return this.sacked.map((r) => ({ left: this.u32(r.start), right: this.u32(r.end) }));
  }

  /** Bytes above SND.UNA covered by SACK. */
  get sackedBytes(): number {
    let n = 0;
    for (const r of this.sacked) n += r.end - r.start;
    return n;
  }

  /** Un-SACKed bytes between SND.UNA and SND.NXT that IsLost() declares lost. */
  get lostBytes(): number {
    return this.unsackedBetween(this.unaAbs, this.lostBoundary());
  }

  /** Notes data sent for the first time (SND.NXT moved). */
  onSend(sndNxt: number): void {
    const a = this.abs(sndNxt);
    if (a > this.nxtAbs) this.nxtAbs = a;
  }

  /**
   * RFC 6675 §5 "Update()": a new ACK with its SACK blocks. Advances SND.UNA, merges valid blocks,
   * and drops scoreboard state below the new SND.UNA.
   */
  update(ack: number, blocks: readonly SackBlock[], sndNxt?: number): SackUpdate {
    if (sndNxt !== undefined) this.onSend(sndNxt);
    const ackAbs = this.abs(ack);
    let newlyAckedBytes = 0;
    let dsack = false;
    let ignoredBlocks = 0;
    // RFC 2883 §4: the first block is a D-SACK when it lies below the cumulative ACK, or inside
    // the second block.
    if (blocks.length > 0) {
      const f = blocks[0]!;
      const fl = this.abs(f.left);
      const fr = this.abs(f.right);
      if (fr <= ackAbs) dsack = true;
      else if (blocks.length > 1) {
        const s = blocks[1]!;
        if (fl >= this.abs(s.left) && fr <= this.abs(s.right)) dsack = true;
      }
    }
    if (ackAbs > this.unaAbs && ackAbs <= this.nxtAbs) {
      newlyAckedBytes = ackAbs - this.unaAbs;
      // Bytes that were SACKed and are now cumulatively ACKed are not "new" to the sender.
      newlyAckedBytes -= this.sackedBetween(this.unaAbs, ackAbs);
      this.una32 = ack >>> 0;
      this.unaAbs = ackAbs;
      this.trimBelow(ackAbs);
    }
    let newlySackedBytes = 0;
    for (let i = 0; i < blocks.length; i++) {
      if (i === 0 && dsack) continue;
      const b = blocks[i]!;
      let l = this.abs(b.left);
      const r = this.abs(b.right);
      if (r <= l || r > this.nxtAbs || r <= this.unaAbs) {
        ignoredBlocks++;
        continue;
      }
      l = Math.max(l, this.unaAbs);
      newlySackedBytes += this.insert(l, r);
    }
    if (this.retransmissions.length > 0 || this.lostAgain.length > 0) this.detectLostRetransmissions();
    if (this.recoveryPointAbs !== null && this.unaAbs >= this.recoveryPointAbs) this.recoveryPointAbs = null;
    return { newlySackedBytes, newlyAckedBytes, dsack, ignoredBlocks };
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): true when DupThresh discontiguous SACKed sequences (counted in
   * segments of SMSS) lie above SeqNum, or more than (DupThresh − 1)·SMSS bytes above it are SACKed.
   */
  isLost(seq: number): boolean {
    const a = this.abs(seq);
    let bytes = 0;
    let segments = 0;
    for (let i = this.sacked.length - 1; i >= 0; i--) {
      const r = this.sacked[i]!;
      if (r.end <= a) break;
      const from = Math.max(r.start, a + 1);
      if (from >= r.end) continue;
      bytes += r.end - from;
      segments += Math.ceil((r.end - from) / this.mss);
    }
    return segments >= this.dupThresh || bytes > (this.dupThresh - 1) * this.mss;
  }

  /**
   * A retransmission is lost when data first sent after it was SACKed as much as IsLost asks
   * (DupThresh segments): the same test RFC 6675 applies to original transmissions, with "sent
   * after" taken from HighData at the time of the retransmission (Linux tcp_mark_lost_retrans, the
   * sequence-order form of RACK, RFC 8985 §6.2). RFC 6675 alone never resends a lost
   * retransmission and waits for the RTO; at a few per cent of loss that is one RTO per ~20 recoveries.
   */
  private detectLostRetransmissions(): void {
    const keep: Retransmission[] = [];
    for (const x of this.retransmissions) {
      const start = Math.max(x.start, this.unaAbs);
      if (x.end <= start || this.unsackedBetween(start, x.end) === 0) continue;
      if (this.sackedAboveIsLost(x.highDataAtSend)) {
        this.lostRetransmissions++;
        this.addLostAgain(start, x.end);
      } else {
        keep.push(x);
      }
    }
    this.retransmissions = keep;
    const lost: Range[] = [];
    for (const r of this.lostAgain) {
      const start = Math.max(r.start, this.unaAbs);
      if (r.end > start && this.unsackedBetween(start, r.end) > 0) lost.push({ start, end: r.end });
    }
    this.lostAgain = lost;
  }

  /** IsLost's SACK threshold, counted over SACKed data at or above `a` (unwrapped). */
  private sackedAboveIsLost(a: number): boolean {
    let bytes = 0;
    let segments = 0;
    for (let i = this.sacked.length - 1; i >= 0; i--) {
      const r = this.sacked[i]!;
      if (r.end <= a) break;
      const from = Math.max(r.start, a);
      bytes += r.end - from;
      segments += Math.ceil((r.end - from) / this.mss);
      if (segments >= this.dupThresh || bytes > (this.dupThresh - 1) * this.mss) return true;
    }
    return false;
  }

  private addLostAgain(start: number, end: number): void {
    this.lostAgain.push({ start, end });
    this.lostAgain.sort((a, b) => a.start - b.start);
  }

  /** Un-SACKed bytes of retransmissions found lost and not yet sent again. */
  get lostAgainBytes(): number {
    let n = 0;
    for (const r of this.lostAgain) n += this.unsackedBetween(Math.max(r.start, this.unaAbs), r.end);
    return n;
  }

  /**
   * Every un-SACKed byte below this (unwrapped) boundary is lost by IsLost; none at or above it is.
   * IsLost is monotone (fewer SACKs lie above a higher byte), so one walk from the top finds it.
   */
  private lostBoundary(): number {
    let bytes = 0;
    let segments = 0;
    for (let i = this.sacked.length - 1; i >= 0; i--) {
      const r = this.sacked[i]!;
      bytes += r.end - r.start;
      segments += Math.ceil((r.end - r.start) / this.mss);
      if (segments >= this.dupThresh || bytes > (this.dupThresh - 1) * this.mss) return r.start;
    }
    return this.unaAbs;
  }

  /**
   * RFC 6675 §4 SetPipe(): the sender's estimate of bytes in the network. For each un-SACKed byte
   * between HighACK and HighData: +1 if it is not lost (still in flight), +1 if it was retransmitted
   * (the retransmission is in flight).
   */
  pipe(): number {
    const boundary = this.lostBoundary();
    const notLost = this.unsackedBetween(Math.max(boundary, this.unaAbs), this.nxtAbs);
    const retransmitted = this.unsackedBetween(this.unaAbs, Math.min(Math.max(this.highRxtAbs, this.unaAbs), this.nxtAbs));
    // A retransmission found lost is no longer in the network.
    return notLost + Math.max(0, retransmitted - this.lostAgainBytes);
  }

  /**
   * RFC 6675 §5 step 4: entering loss recovery. RecoveryPoint = HighData; the first segment at
   * HighACK is retransmitted and HighRxt and RescueRxt are set to its end (step 4.3), so neither
   * rule 1 nor the rescue rule sends it again. Returns that segment.
   */
  enterRecovery(): NextSegment {
    this.recoveryPointAbs = this.nxtAbs;
    const len = this.segmentLength(this.unaAbs);
    this.highRxtAbs = this.unaAbs + len;
    this.rescueRxtAbs = this.unaAbs + len;
    this.retransmissions.push({ start: this.unaAbs, end: this.unaAbs + len, highDataAtSend: this.nxtAbs });
    return { seq: this.una32, len, rule: 1 };
  }

  /** Leaving recovery without reaching the recovery point (an RTO). */
  exitRecovery(): void {
    this.recoveryPointAbs = null;
  }

  /**
   * RFC 6675 §4 NextSeg(). `newData` is how many never-sent bytes the sender could send now
   * (application data and receive window allowing); rule 2 returns up to one SMSS of it.
   * Call `sent(seg)` after transmitting what it returns.
   */
  nextSeg(newData: number): NextSegment | null {
    const highestSacked = this.sacked.length > 0 ? this.sacked[this.sacked.length - 1]!.end : this.unaAbs;
    const boundary = this.lostBoundary();
    // (0) a retransmission found lost (detectLostRetransmissions) goes again first, as rule 1.
    for (const r of this.lostAgain) {
      const s0 = this.firstUnsacked(Math.max(r.start, this.unaAbs), r.end);
      if (s0 !== null) return { seq: this.u32(s0), len: this.segmentLength(s0, r.end), rule: 1 };
    }
    const from = Math.max(this.highRxtAbs, this.unaAbs);
    // (1) the smallest un-SACKed S2 > HighRxt, below the highest SACKed byte, with IsLost(S2).
    const s2 = this.firstUnsacked(from, Math.min(highestSacked, boundary));
    if (s2 !== null) return { seq: this.u32(s2), len: this.segmentLength(s2, boundary), rule: 1 };
    // (2) new data.
    if (newData > 0) return { seq: this.u32(this.nxtAbs), len: Math.min(newData, this.mss), rule: 2 };
    // (3) un-SACKed S3 meeting (1.a) and (1.b) only.
    const s3 = this.firstUnsacked(from, highestSacked);
    if (s3 !== null) return { seq: this.u32(s3), len: this.segmentLength(s3, highestSacked), rule: 3 };
    // (4) one rescue retransmission per recovery, covering the highest outstanding un-SACKed byte.
    if (this.recoveryPointAbs !== null && (this.rescueRxtAbs === null || this.unaAbs > this.rescueRxtAbs)) {
      const top = this.lastUnsackedEnd();
      if (top !== null) {
        const start = Math.max(this.unaAbs, top - this.mss);
        return { seq: this.u32(start), len: top - start, rule: 4 };
      }
    }
    return null; // (5)
  }

  /** Records a transmission NextSeg chose: rules 1 and 3 move HighRxt, rule 2 HighData, rule 4 sets RescueRxt = RecoveryPoint. */
  sent(seg: NextSegment): void {
    const start = this.abs(seg.seq);
    const end = start + seg.len;
    if (seg.rule === 1 || seg.rule === 3) {
      this.highRxtAbs = Math.max(this.highRxtAbs, end);
      this.retransmissions.push({ start, end, highDataAtSend: this.nxtAbs });
      if (this.lostAgain.length > 0) this.removeLostAgain(start, end);
    } else if (seg.rule === 2) this.nxtAbs = Math.max(this.nxtAbs, end);
    else this.rescueRxtAbs = this.recoveryPointAbs ?? end; // HighRxt is not updated (rule 4)
  }

  // — range helpers (unwrapped numbers) —

  private removeLostAgain(start: number, end: number): void {
    const out: Range[] = [];
    for (const r of this.lostAgain) {
      if (r.end <= start || r.start >= end) out.push(r);
      else {
        if (r.start < start) out.push({ start: r.start, end: start });
        if (r.end > end) out.push({ start: end, end: r.end });
      }
    }
    this.lostAgain = out;
  }

  private insert(l: number, r: number): number {
    const before = this.sackedBetween(l, r);
    const out: Range[] = [];
    let nl = l;
    let nr = r;
    let placed = false;
    for (const x of this.sacked) {
      if (x.end < nl) out.push(x);
      else if (x.start > nr) {
        if (!placed) {
          out.push({ start: nl, end: nr });
          placed = true;
        }
        out.push(x);
      } else {
        nl = Math.min(nl, x.start);
        nr = Math.max(nr, x.end);
      }
    }
    if (!placed) out.push({ start: nl, end: nr });
    this.sacked = out;
    return r - l - before;
  }

  private trimBelow(a: number): void {
    const out: Range[] = [];
    for (const x of this.sacked) {
      if (x.end <= a) continue;
      out.push({ start: Math.max(x.start, a), end: x.end });
    }
    this.sacked = out;
  }

  private sackedBetween(a: number, b: number): number {
    let n = 0;
    for (const x of this.sacked) {
      const l = Math.max(a, x.start);
      const r = Math.min(b, x.end);
      if (r > l) n += r - l;
    }
    return n;
  }

  private unsackedBetween(a: number, b: number): number {
    return b > a ? b - a - this.sackedBetween(a, b) : 0;
  }

  /** The first un-SACKed byte in [a, b), or null. */
  private firstUnsacked(a: number, b: number): number | null {
    let x = a;
    for (const r of this.sacked) {
      if (r.end <= x) continue;
      if (r.start > x) break;
      x = r.end;
    }
    return x < b ? x : null;
  }

  /** One past the highest un-SACKed byte below SND.NXT, or null when everything is SACKed. */
  private lastUnsackedEnd(): number | null {
    let top = this.nxtAbs;
    for (let i = this.sacked.length - 1; i >= 0; i--) {
      const r = this.sacked[i]!;
      if (r.end >= top && r.start < top) top = r.start;
    }
    return top > this.unaAbs ? top : null;
  }

  /** Up to one SMSS from `a`, stopping at the next SACKed byte and at `limit`. */
  private segmentLength(a: number, limit = this.nxtAbs): number {
    let end = Math.min(a + this.mss, this.nxtAbs, Math.max(limit, a + 1));
    for (const r of this.sacked) {
      if (r.start > a) {
        end = Math.min(end, r.start);
        break;
      }
    }
    return Math.max(0, end - a);
  }
}
