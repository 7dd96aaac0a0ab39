/**
 * Per-direction bookkeeping of one TCP conversation: the state Wireshark's packet-tcp.c keeps in
 * `tcp_flow_t` and `tcp_analyze_seq_flow_info_t`, with the same names where that helps a reader
 * compare the two, plus tcplab's SACK scoreboard and counters.
 *
 * Wireshark stores raw 32-bit sequence numbers and treats 0 as "not yet known" for nextseq,
 * maxseqtobeacked and lastack; the analysis keeps that convention so its flags agree with tshark.
 */

/** packet-tcp.c TCP_MAX_UNACKED_SEGMENTS: stop tracking when the ACKs are not being seen. */
export const MAX_UNACKED_SEGMENTS = 10000;
/** packet-tcp.c MAX_TCP_SACK_RANGES. */
export const MAX_SACK_RANGES = 4;

export class RangeSet {
  /** Sorted, merged [start, end) ranges in unwrapped (relative) sequence space. */
  starts: number[] = [];
  ends: number[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const s = this.starts;
    const e = this.ends;
    const i = s.length;
    // Fast path: appending at or after the last range (bulk transfers).
    if (i === 0 || start > e[i - 1]!) {
      s.push(start);
      e.push(end);
      return;
    }
    if (start >= s[i - 1]!) {
      if (end > e[i - 1]!) e[i - 1] = end;
      return;
    }
    // General case: find the first range whose end >= start, merge all that overlap.
    let lo = 0;
    while (lo < i && e[lo]! < start) lo++;
    let hi = lo;
    let ns = start;
    let ne = end;
    while (hi < i && s[hi]! <= end) {
      if (s[hi]! < ns) ns = s[hi]!;
      if (e[hi]! > ne) ne = e[hi]!;
      hi++;
    }
    s.splice(lo, hi - lo, ns);
    e.splice(lo, hi - lo, ne);
  }

  /** Forgets everything below `floor`. */
  trimBelow(floor: number): void {
    const s = this.starts;
    const e = this.ends;
    let k = 0;
    while (k < s.length && e[k]! <= floor) k++;
    if (k > 0) {
      s.splice(0, k);
      e.splice(0, k);
    }
    if (s.length > 0 && s[0]! < floor) s[0] = floor;
  }

  /** Bytes of [start, end) covered by the set. */
  covered(start: number, end: number): number {
    let n = 0;
    const s = this.starts;
    const e = this.ends;
    for (let k = 0; k < s.length; k++) {
      const a = s[k]! > start ? s[k]! : start;
      const b = e[k]! < end ? e[k]! : end;
      if (b > a) n += b - a;
      if (s[k]! >= end) break;
    }
    return n;
  }

  total(): number {
    let n = 0;
    for (let k = 0; k < this.starts.length; k++) n += this.ends[k]! - this.starts[k]!;
    return n;
  }

  clear(): void {
    this.starts.length = 0;
    this.ends.length = 0;
  }
}

export class Flow {
  // --- tcp_flow_t ---
  baseSeq = 0;
  baseSeqSet = false;
  sawSyn = false;
  sawSynAck = false;
  /** -1 unknown, -2 not used, else the shift (packet-tcp.c win_scale). */
  winScale = -1;
  /** Last raw window; G_MAXUINT32 until one is seen. */
  window = 0xffffffff;
  lastSegmentFlags = 0;
  isFirstAck = false;
  validBif = true;
  pushBytesSent = 0;
  pushSetLast = false;
  closingInitiator = false;

  // --- tcp_analyze_seq_flow_info_t ---
  nextseq = 0;
  nextseqFrame = 0;
  nextseqTimeNs = 0;
  maxseqtobeacked = 0;
  lastack = 0;
  lastackTimeNs = 0;
  lastnondupack = 0;
  dupacknum = 0;
  /** Unacknowledged segments, oldest first (Wireshark keeps them newest first). */
  segFrame: number[] = [];
  segSeq: number[] = [];
  segNext: number[] = [];
  segTimeNs: number[] = [];
  numSackRanges = 0;
  sackLeft = [0, 0, 0, 0];
  sackRight = [0, 0, 0, 0];

  // --- tcplab ---
  /** Highest relative sequence end sent (unwrapped), for SACK-aware values. */
  highRel = 0;
  /** TSval of the segment that last raised highRel (RFC 7323), if it had one. */
  highTsval: number | undefined = undefined;
  /** Unwrapped relative cumulative ACK this endpoint has received from the peer. */
  ackedRel = 0;
  /** Sequence ranges of this direction seen in the capture (above the peer's cumulative ACK). */
  seen = new RangeSet();
  /** SACK scoreboard: ranges the peer reported holding above its cumulative ACK. */
  sacked = new RangeSet();
  /** Highest SACKed relative sequence the peer reported (a hole below it was missing then). */
  highSackedRel = 0;
  unwrapRef = 0;
  mss = 0;
  sackPermitted = false;
  timestamps = false;
  ecnSetup = false;
  sawFin = false;
  finSeqRel = -1;
  sawRst = false;
  segments = 0;
  dataSegments = 0;
  bytes = 0;
  payloadBytes = 0;
  retransmissions = 0;
  fastRetransmissions = 0;
  spuriousRetransmissions = 0;
  outOfOrder = 0;
  lostSegments = 0;
  dupAcks = 0;
  zeroWindows = 0;
  windowFull = 0;
  keepAlives = 0;
  maxRetransmitGapNs = 0;
  rtoStalls = 0;
  lastDataTimeNs = NaN;
  rttSum = 0;
  rttCount = 0;
  rttMin = Infinity;
  rttMax = 0;
}
