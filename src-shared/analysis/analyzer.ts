/**
 * Passive TCP analysis, one segment at a time (incremental) or over a whole capture (batch: the
 * same loop), with Wireshark's conversation, sequence-analysis and flag rules.
 *
 * The per-segment checks follow packet-tcp.c's tcp_analyze_sequence_number() in its order,
 * because the order decides which flag wins (a segment that is a keep-alive is never a
 * retransmission, a zero-window probe is nothing else, ...). docs/analysis.md lists each rule.
 * Beside Wireshark's values the analysis keeps SACK-aware ones (bytes in flight, retransmission
 * vs out-of-order) and an inferred RFC 9293 state for each endpoint.
 */
import { Flow, MAX_SACK_RANGES, MAX_UNACKED_SEGMENTS } from './flow';
import { StateTracker } from './state';
import { RowList, SegmentStore } from './store';
import {
  A_ACK_LOST_PACKET,
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_KEEP_ALIVE_ACK,
  A_LOST_PACKET,
  A_OUT_OF_ORDER,
  A_RETRANSMISSION,
  A_REUSED_PORTS,
  A_SACK_OUT_OF_ORDER,
  A_SACK_RETRANSMISSION,
  A_WINDOW_PROBE,
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_FULL,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
  COMPLETENESS_ACK,
  COMPLETENESS_DATA,
  COMPLETENESS_FIN,
  COMPLETENESS_RST,
  COMPLETENESS_SYNACK,
  COMPLETENESS_SYNSENT,
  SCALE_NOT_APPLICABLE,
  type TcpSegmentInput,
} from './types';

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_PUSH = 0x08;
const TH_ACK = 0x10;
const TH_ECE = 0x40;
const TH_CWR = 0x80;

/** Wrap-aware comparisons of raw 32-bit sequence numbers (RFC 1982 serial arithmetic). */
const gt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const u32 = (n: number): number => n >>> 0;

/** a < b with both read as unsigned 64-bit integers (negative = 2^64 + value, huge). */
function u64Less(a: number, b: number): boolean {
  if (a < 0) return b < 0 && a < b;
  return b < 0 || a < b;
}

/** packet-tcp.c: a fast retransmission follows the last duplicate ACK within 20 ms. */
const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;
/** packet-tcp.c: the out-of-order threshold when no initial RTT is known (3 ms). */
const DEFAULT_OOO_THRESHOLD_NS = 3_000_000;

/** One TCP conversation (tshark's tcp.stream). */
export class Conversation {
  /** Endpoint A: the sender of the first captured segment. */
  readonly a: Flow = new Flow();
  readonly b: Flow = new Flow();
  readonly rows = new RowList();
  readonly states = new StateTracker();
  completeness = 0;
  firstTimeNs: number;
  lastTimeNs: number;
  prevTimeNs: number;
  /** Most recent pure SYN's time, NaN if none (packet-tcp.c ts_mru_syn). */
  mruSynNs = NaN;
  /** Initial RTT, 0 = unknown (packet-tcp.c ts_first_rtt). */
  firstRttNs = 0;
  firstFrame: number;
  lastFrame: number;
  /** The conversation this one replaced on a reused 5-tuple, or -1. */
  previousStream = -1;
  reusedPorts = false;

  constructor(
    readonly stream: number,
    readonly ipA: number,
    readonly portA: number,
    readonly ipB: number,
    readonly portB: number,
    timeNs: number,
    frame: number,
  ) {
    this.firstTimeNs = this.lastTimeNs = this.prevTimeNs = timeNs;
    this.firstFrame = this.lastFrame = frame;
    this.sideA = ipA * 65536 + portA;
    this.sideB = ipB * 65536 + portB;
  }

  /** ip * 65536 + port of each endpoint (lookup keys). */
  readonly sideA: number;
  readonly sideB: number;

  flowOf(srcIp: number, srcPort: number): Flow {
    return srcIp === this.ipA && srcPort === this.portA ? this.a : this.b;
  }
}

/**
 * Conversations by 5-tuple without building strings: each side as ip * 65536 + port (< 2^48,
 * exact in a double), the lower side first, in two levels of Map.
 */
/** What one push() decided, beside the row it wrote. */
export interface PushResult {
  row: number;
  conversation: Conversation;
}

class TupleMap {
  private readonly outer = new Map<number, Map<number, Conversation>>();
  get(lo: number, hi: number): Conversation | undefined {
    return this.outer.get(lo)?.get(hi);
  }
  set(lo: number, hi: number, c: Conversation): void {
    let inner = this.outer.get(lo);
    if (inner === undefined) this.outer.set(lo, (inner = new Map()));
    inner.set(hi, c);
  }
}

/** Unwraps a raw sequence number into the flow's relative, monotonic (64-bit-like) space. */
function unwrapRel(flow: Flow, raw: number): number {
  const rel32 = u32(raw - flow.baseSeq);
  const ref = flow.unwrapRef;
  const v = ref + ((rel32 - ref) | 0);
  if (v > flow.unwrapRef) flow.unwrapRef = v;
  return v;
}

export class TcpAnalyzer {
  readonly store: SegmentStore;
  readonly conversations: Conversation[] = [];
  private readonly byTuple = new TupleMap();
  /** The conversation of the latest segment pushed. */
  lastConversation: Conversation | undefined;
  private originSec = -1;

  constructor(opts: { initialRows?: number } = {}) {
    this.store = new SegmentStore(opts.initialRows ?? 1024);
  }

  /** Nanoseconds since the first frame's second (keeps doubles exact for ~104 days). */
  timeOf(tsSec: number, tsNsec: number): number {
    if (this.originSec < 0) this.originSec = tsSec;
    return (tsSec - this.originSec) * 1e9 + tsNsec;
  }

  /** The epoch second that timeNs values count from. */
  get epochOriginSec(): number {
    return this.originSec < 0 ? 0 : this.originSec;
  }

  /**
   * One conversation's rows, frame numbers and file offsets: enough to show its segments from
   * the store, or to read just its frames back from the file, without re-reading everything.
   */
  conversationIndex(stream: number): { rows: Uint32Array; frames: Uint32Array; fileOffsets: Float64Array } {
    const conv = this.conversations[stream];
    if (conv === undefined) throw new RangeError(`no tcp.stream ${stream} (${this.conversations.length} conversations)`);
    const rows = conv.rows.toArray();
    const frames = new Uint32Array(rows.length);
    const fileOffsets = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      frames[k] = this.store.frame[rows[k]!]!;
      fileOffsets[k] = this.store.fileOffset[rows[k]!]!;
    }
    return { rows, frames, fileOffsets };
  }

  /** Analyses one segment (frames in capture order): the row it wrote and its conversation. */
  push(p: TcpSegmentInput): PushResult {
    const row = this.pushRow(p);
    return { row, conversation: this.lastConversation! };
  }

  /** push() without the result object, for the hot loop over a file. */
  pushRow(p: TcpSegmentInput): number {
    const now = this.timeOf(p.tsSec, p.tsNsec);
    const flags = p.flags;
    const sideS = p.srcIp * 65536 + p.srcPort;
    const sideD = p.dstIp * 65536 + p.dstPort;
    const lo = sideS <= sideD ? sideS : sideD;
    const hi = sideS <= sideD ? sideD : sideS;
    let conv = this.lastConversation;
    // Consecutive segments are usually of the same conversation: skip the map then.
    if (conv === undefined || !((conv.sideA === sideS && conv.sideB === sideD) || (conv.sideA === sideD && conv.sideB === sideS))) {
      conv = this.byTuple.get(lo, hi);
    }
    let isNew = false;
    if (conv === undefined) {
      conv = this.newConversation(lo, hi, p, now);
      isNew = true;
    }
    let fwd = conv.flowOf(p.srcIp, p.srcPort);
    let rev = fwd === conv.a ? conv.b : conv.a;
    let taFlags = 0;
    let taExists = false;

    // Port reuse (packet-tcp.c dissect_tcp): a SYN whose ISN differs from the conversation's
    // starts a new conversation (flagged reused ports); the same ISN is a retransmitted SYN.
    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN && fwd.baseSeqSet) {
      if (p.seq !== fwd.baseSeq) {
        const old = conv;
        conv = this.newConversation(lo, hi, p, now);
        conv.previousStream = old.stream;
        conv.reusedPorts = true;
        conv.completeness = COMPLETENESS_SYNSENT;
        fwd = conv.flowOf(p.srcIp, p.srcPort);
        rev = fwd === conv.a ? conv.b : conv.a;
        isNew = false; // packet-tcp.c sets completeness itself here, not as for a new conversation
        taFlags |= A_REUSED_PORTS;
      } else {
        // A retransmitted SYN: restore nextseq (a RST may have moved it, issue 17616).
        fwd.nextseq = fwd.maxseqtobeacked;
      }
      taExists = true;
    }
    if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && fwd.baseSeqSet && p.seq !== fwd.baseSeq) {
      fwd.baseSeq = p.seq;
      taFlags |= A_REUSED_PORTS;
      taExists = true;
    }
    conv.lastFrame = p.frame;
    conv.lastTimeNs = now;

    const s = this.store;
    const row = s.allocate();
    conv.rows.push(row);
    const dir = fwd === conv.a ? 0 : 1;
    s.frame[row] = p.frame;
    s.stream[row] = conv.stream;
    s.direction[row] = dir;
    s.timeNs[row] = now;
    s.fileOffset[row] = p.fileOffset;
    s.completeness[row] = conv.completeness;

    fwd.numSackRanges = 0;

    // tcp_calculate_timestamps: time since the conversation's first frame and its previous one.
    s.timeRelativeNs[row] = now - conv.firstTimeNs;
    s.timeDeltaNs[row] = now - conv.prevTimeNs;
    conv.prevTimeNs = now;

    const seq = p.seq;
    const ack = p.ack;
    const seglen = p.payloadLength;
    const window = p.window;

    // ---- tcp_analyze_sequence_number() ----
    if (!fwd.baseSeqSet) {
      if (flags & TH_SYN) {
        fwd.baseSeq = seq;
        if (flags & TH_ACK) fwd.sawSynAck = true;
        else fwd.sawSyn = true;
      } else {
        fwd.baseSeq = u32(seq - 1);
      }
      fwd.baseSeqSet = true;
    }
    if (!rev.baseSeqSet && flags & TH_ACK) {
      rev.baseSeq = u32(ack - 1);
      rev.baseSeqSet = true;
    }
    if (flags & TH_ACK) rev.validBif = true;

    let dupAckNum = 0;
    let dupAckFrame = 0;
    let acksFrame = 0;
    let ackRtt = NaN;
    let bif = 0;
    let pushBytes = 0;
    let bifSet = false;

    analysis: {
      // ZERO WINDOW PROBE: exactly 1 byte at the next expected sequence while the peer's window is 0.
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        taFlags |= A_ZERO_WINDOW_PROBE;
        taExists = true;
        break analysis;
      }
      // ZERO WINDOW: window 0 on a segment without SYN, FIN or RST.
      if (window === 0 && (flags & (TH_RST | TH_FIN | TH_SYN)) === 0) {
        taFlags |= A_ZERO_WINDOW;
        taExists = true;
      }
      // LOST PACKET: the segment starts beyond the highest sequence seen (not for RST).
      if (fwd.nextseq && gt(seq, fwd.nextseq) && (flags & TH_RST) === 0) {
        taFlags |= A_LOST_PACKET;
        taExists = true;
        fwd.validBif = false;
      }
      // KEEP ALIVE: 0 or 1 byte starting one byte before the next expected sequence.
      if ((seglen === 0 || seglen === 1) && seq === u32(fwd.nextseq - 1) && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        taFlags |= A_KEEP_ALIVE;
        taExists = true;
      }
      const pureSameSeqAck =
        seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0;
      // WINDOW UPDATE: no data, same seq/ack as before, a different non-zero window.
      if (pureSameSeqAck && window !== 0 && window !== fwd.window) {
        taFlags |= A_WINDOW_UPDATE;
        taExists = true;
      }
      // WINDOW FULL: data reaching exactly the right edge of the peer's advertised window.
      if (seglen > 0 && rev.winScale !== -1 && (flags & (TH_SYN | TH_FIN | TH_RST)) === 0) {
        const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
        if (u32(seq + seglen) === u32(rev.lastack + u32(rev.window << shift))) {
          taFlags |= A_WINDOW_FULL;
          taExists = true;
        }
      }
      // KEEP ALIVE ACK: repeats the previous ACK and window after the peer's keep-alive.
      if (pureSameSeqAck && window !== 0 && window === fwd.window && rev.lastSegmentFlags & A_KEEP_ALIVE) {
        taFlags |= A_KEEP_ALIVE_ACK;
        taExists = true;
        break analysis;
      }
      // ZERO WINDOW PROBE ACK: repeats the previous ACK and zero window after the peer's probe.
      if (pureSameSeqAck && window === 0 && window === fwd.window && rev.lastSegmentFlags & A_ZERO_WINDOW_PROBE) {
        taFlags |= A_ZERO_WINDOW_PROBE_ACK;
        taExists = true;
        break analysis;
      }
      // DUPLICATE ACK: no data, same seq/ack/window (non-zero) as the previous segment.
      if (pureSameSeqAck && window !== 0 && window === fwd.window) {
        // -1 (set by the ACKed-unseen rule) restarts the count at 1.
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
        taFlags |= A_DUPLICATE_ACK;
        taExists = true;
        dupAckNum = fwd.dupacknum;
        dupAckFrame = fwd.lastnondupack;
      }
    }
    // finished_fwd:
    if (ack !== fwd.lastack) {
      fwd.lastnondupack = p.frame;
      fwd.dupacknum = 0;
    }
    // ACKED LOST PACKET: acknowledges beyond the highest contiguous sequence seen in the other
    // direction. tshark 4.0 then moves that limit up to the highest sequence seen, or, when it
    // is already there, reports it only if the other direction has not been marked (dupacknum
    // -1) since its last ACK change, so one gap is not reported again and again.
    if (rev.maxseqtobeacked && gt(ack, rev.maxseqtobeacked) && flags & TH_ACK) {
      taExists = true;
      if (lt(rev.maxseqtobeacked, rev.nextseq)) {
        rev.maxseqtobeacked = rev.nextseq;
        taFlags |= A_ACK_LOST_PACKET;
      } else {
        if (rev.dupacknum === 0) taFlags |= A_ACK_LOST_PACKET;
        rev.dupacknum = -1;
      }
    }

    // RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER
    // (A zero-window probe jumped to finished_fwd above, so it still gets these checks.)
    retrans: if (seglen > 0 || flags & (TH_SYN | TH_FIN)) {
      let seqNotAdvanced = fwd.nextseq !== 0 && lt(seq, fwd.nextseq);
      if (taFlags & A_KEEP_ALIVE) break retrans;
      // One byte below nextseq with more than one byte: new data after a probe, not a retransmission.
      if (seglen > 1 && u32(fwd.nextseq - 1) === seq) seqNotAdvanced = false;
      // SPURIOUS: everything in it was already acknowledged.
      if (seglen > 0 && rev.lastack && le(u32(seq + seglen), rev.lastack)) {
        taFlags |= A_SPURIOUS_RETRANSMISSION;
        taExists = true;
        break retrans;
      }
      // FAST RETRANSMISSION: >= 2 duplicate ACKs for this sequence, within 20 ms of the last one.
      let t = now - rev.lastackTimeNs;
      if (t < 0) t = Infinity; // guint64 in packet-tcp.c
      if (seqNotAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && t < FAST_RETRANSMISSION_WINDOW_NS) {
        taFlags |= A_FAST_RETRANSMISSION;
        taExists = true;
        break retrans;
      }
      // OUT-OF-ORDER: arrives sooner after the highest segment than the initial RTT (or 3 ms).
      const oooThreshold = conv.firstRttNs === 0 ? DEFAULT_OOO_THRESHOLD_NS : conv.firstRttNs;
      // packet-tcp.c compares these as guint64: a negative time (the capture's clock went
      // backwards) or a negative initial RTT counts as huge.
      if (seqNotAdvanced && u64Less(now - fwd.nextseqTimeNs, oooThreshold) && fwd.nextseq !== u32(seq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0))) {
        taFlags |= A_OUT_OF_ORDER;
        taExists = true;
        break retrans;
      }
      if (seqNotAdvanced) {
        taFlags |= A_RETRANSMISSION;
        taExists = true;
      }
    }
    // finished_checking_retransmission_type:
    let nextseq = u32(seq + seglen);
    if ((seglen || flags & (TH_SYN | TH_FIN)) && fwd.segFrame.length < MAX_UNACKED_SEGMENTS) {
      if (flags & (TH_SYN | TH_FIN)) nextseq = u32(nextseq + 1);
      fwd.segFrame.push(p.frame);
      fwd.segSeq.push(seq);
      fwd.segNext.push(nextseq);
      fwd.segTimeNs.push(now);
    }
    const isZwp = (taFlags & A_ZERO_WINDOW_PROBE) !== 0;
    if (gt(nextseq, fwd.nextseq) || !fwd.nextseq) {
      if (!isZwp) {
        fwd.nextseq = nextseq;
        fwd.nextseqFrame = p.frame;
        fwd.nextseqTimeNs = now;
      }
    }
    if (seq === fwd.maxseqtobeacked || !fwd.maxseqtobeacked) {
      if (!isZwp) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackTimeNs = now;
    fwd.lastSegmentFlags = taExists ? taFlags : 0;

    // Remove what this ACK covers from the other direction's unacknowledged list.
    {
      const fr = rev.segFrame;
      const sq = rev.segSeq;
      const nx = rev.segNext;
      const tm = rev.segTimeNs;
      let w = 0;
      // packet-tcp.c walks newest first; the last (oldest) exact match wins acks_frame.
      for (let i = fr.length - 1; i >= 0; i--) {
        if (ack === nx[i]) {
          acksFrame = fr[i]!;
          ackRtt = now - tm[i]!;
          taExists = true;
        }
      }
      for (let i = 0; i < fr.length; i++) {
        const n = nx[i]!;
        if (ack === n) continue;
        if (gt(ack, sq[i]!) && le(ack, n)) sq[i] = ack;
        if (gt(n, ack)) {
          fr[w] = fr[i]!;
          sq[w] = sq[i]!;
          nx[w] = n;
          tm[w] = tm[i]!;
          w++;
        }
      }
      if (w !== fr.length) fr.length = sq.length = nx.length = tm.length = w;
    }

    // BYTES IN FLIGHT (packet-tcp.c, payload-based method, the default).
    if (seglen !== 0 && fwd.segFrame.length > 0 && fwd.validBif) {
      const base = fwd.baseSeq;
      const sq = fwd.segSeq;
      const nx = fwd.segNext;
      let first = u32(sq[sq.length - 1]! - base);
      let last = u32(nx[nx.length - 1]! - base);
      for (let i = 0; i < sq.length; i++) {
        const e = u32(nx[i]! - base);
        if (e > last) last = e;
        const b = u32(sq[i]! - base);
        if (b < first) first = b;
      }
      let inFlight = u32(last - first);
      if (rev.numSackRanges > 0) {
        let delivered = 0;
        for (let i = 0; i < rev.numSackRanges; i++) delivered += u32(rev.sackRight[i]! - rev.sackLeft[i]!);
        inFlight = u32(inFlight - delivered);
      }
      if (inFlight > 0 && inFlight < 2000000000) {
        bif = inFlight;
        if (flags & (TH_SYN | TH_FIN)) bif -= 1;
        bifSet = true;
      }
      if (flags & TH_PUSH && !fwd.pushSetLast) {
        fwd.pushBytesSent += seglen;
        fwd.pushSetLast = true;
      } else if (flags & TH_PUSH && fwd.pushSetLast) {
        fwd.pushBytesSent = seglen;
        fwd.pushSetLast = true;
      } else if (fwd.pushSetLast) {
        fwd.pushBytesSent = seglen;
        fwd.pushSetLast = false;
      } else {
        fwd.pushBytesSent += seglen;
      }
      pushBytes = fwd.pushBytesSent;
      taExists = true;
    }

    // ---- back in dissect_tcp ----
    // Relative numbers and the window as tshark prints them.
    const relSeq = u32(seq - fwd.baseSeq);
    const relAck = flags & TH_ACK ? u32(ack - rev.baseSeq) : ack;
    s.seqRaw[row] = seq;
    s.ackRaw[row] = ack;
    s.seq[row] = relSeq;
    s.ack[row] = relAck;
    s.len[row] = seglen;
    s.nxtseq[row] = u32(relSeq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0));
    s.flags[row] = flags;
    s.windowRaw[row] = window;
    if (flags & TH_SYN) {
      s.windowSize[row] = window;
      s.scaleFactor[row] = SCALE_NOT_APPLICABLE;
    } else if (fwd.winScale >= 0) {
      s.windowSize[row] = u32(window << fwd.winScale);
      s.scaleFactor[row] = 1 << fwd.winScale;
    } else {
      s.windowSize[row] = window;
      s.scaleFactor[row] = fwd.winScale;
    }

    // Conversation completeness (shown value is the one before this segment, as tshark does).
    {
      let c = 0;
      if (isNew) {
        if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
          c |= COMPLETENESS_SYNSENT;
          if (seglen > 0) c |= COMPLETENESS_DATA;
        }
      } else {
        c = conv.completeness;
        if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) c |= COMPLETENESS_SYNACK;
        if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) c |= seglen > 0 ? COMPLETENESS_DATA : COMPLETENESS_ACK;
        if ((flags & (TH_FIN | TH_ACK)) === (TH_FIN | TH_ACK)) c |= COMPLETENESS_FIN;
        if (flags & TH_RST) c |= COMPLETENESS_RST;
      }
      conv.completeness = c;
    }

    if (flags & TH_SYN) {
      if (!(flags & TH_ACK)) conv.mruSynNs = now;
      fwd.isFirstAck = true;
    }
    if (flags & TH_FIN) {
      if (!rev.closingInitiator) fwd.closingInitiator = true;
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) {
      if (!Number.isNaN(conv.mruSynNs) && conv.firstRttNs === 0) conv.firstRttNs = now - conv.mruSynNs;
      fwd.isFirstAck = false;
    }

    // Options, dissected after the sequence analysis in packet-tcp.c.
    const sb = p.sackBlocks;
    if (sb !== undefined) {
      // tshark 4.0 keeps only the first MAX_TCP_SACK_RANGES - 1 = 3 blocks of an option.
      for (let i = 0; i + 1 < sb.length && fwd.numSackRanges < MAX_SACK_RANGES - 1; i += 2) {
        fwd.sackLeft[fwd.numSackRanges] = sb[i]!;
        fwd.sackRight[fwd.numSackRanges] = sb[i + 1]!;
        fwd.numSackRanges++;
      }
    }
    if (p.wscale !== undefined) fwd.winScale = p.wscale > 14 ? 14 : p.wscale;

    s.analysisFlags[row] = taFlags;
    s.dupAckNum[row] = dupAckNum;
    s.dupAckFrame[row] = dupAckFrame;
    s.acksFrame[row] = acksFrame;
    // NaN = not shown; tshark shows any non-zero time, negative ones included.
    s.ackRttNs[row] = acksFrame !== 0 && ackRtt !== 0 ? ackRtt : NaN;
    s.initialRttNs[row] = taExists && conv.firstRttNs !== 0 ? conv.firstRttNs : NaN;
    s.bytesInFlight[row] = bifSet ? bif : 0;
    s.pushBytesSent[row] = bifSet ? pushBytes : 0;

    // verify_tcp_window_scaling (SYN and SYN,ACK), after the options.
    if (flags & TH_SYN) {
      if (fwd.winScale === -1) {
        fwd.winScale = -2;
        rev.winScale = -2;
      } else if (flags & TH_ACK && rev.winScale === -2) {
        fwd.winScale = -2;
      }
    }

    this.tcplabExtras(conv, fwd, rev, p, row, now, dir);
    this.lastConversation = conv;
    return row;
  }

  private newConversation(lo: number, hi: number, p: TcpSegmentInput, now: number): Conversation {
    const c = new Conversation(this.conversations.length, p.srcIp, p.srcPort, p.dstIp, p.dstPort, now, p.frame);
    this.conversations.push(c);
    this.byTuple.set(lo, hi, c);
    return c;
  }

  /**
   * tcplab's own values: SACK scoreboard, SACK-aware bytes in flight and retransmission vs
   * out-of-order, options negotiated, counters for the summary, inferred states.
   */
  private tcplabExtras(conv: Conversation, fwd: Flow, rev: Flow, p: TcpSegmentInput, row: number, now: number, dir: number): void {
    const s = this.store;
    const flags = p.flags;
    const seglen = p.payloadLength;
    const seqRel = unwrapRel(fwd, p.seq);
    const endRel = seqRel + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0);
    let ackRel = -1;
    if (flags & TH_ACK && rev.baseSeqSet) {
      ackRel = unwrapRel(rev, p.ack);
      if (ackRel > rev.ackedRel) {
        rev.ackedRel = ackRel;
        rev.seen.trimBelow(ackRel);
        rev.sacked.trimBelow(ackRel);
      }
      const sb = p.sackBlocks;
      if (sb !== undefined) {
        for (let i = 0; i + 1 < sb.length; i += 2) {
          const l = unwrapRel(rev, sb[i]!);
          const r = unwrapRel(rev, sb[i + 1]!);
          if (r > l && r > rev.ackedRel) {
            rev.sacked.add(l > rev.ackedRel ? l : rev.ackedRel, r);
            if (r > rev.highSackedRel) rev.highSackedRel = r;
          }
        }
      }
    }

    // Options negotiated (SYN and SYN,ACK).
    if (flags & TH_SYN) {
      if (p.mss !== undefined) fwd.mss = p.mss;
      if (p.sackPermitted) fwd.sackPermitted = true;
      if (p.tsval !== undefined) fwd.timestamps = true;
      // RFC 3168 §6.1.1: ECN-setup SYN has ECE and CWR; the SYN,ACK has ECE only.
      if (flags & TH_ACK ? (flags & (TH_ECE | TH_CWR)) === TH_ECE : (flags & (TH_ECE | TH_CWR)) === (TH_ECE | TH_CWR)) fwd.ecnSetup = true;
    }

    // SACK-aware classification of data below the highest sequence sent.
    let aflags = s.analysisFlags[row]!;
    if (aflags & A_KEEP_ALIVE && rev.window === 0 && rev.segments > 0) {
      aflags |= A_WINDOW_PROBE;
      s.analysisFlags[row] = aflags;
    }
    if (seglen > 0 && !(aflags & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) && fwd.highRel > 0 && seqRel < fwd.highRel) {
      const end = seqRel + seglen;
      const seenBefore = fwd.seen.covered(seqRel, end) > 0;
      const reportedMissing = rev.highSackedRel > seqRel || fwd.ackedRel >= end || rev.dupacknum > 0;
      // Sent after the highest segment (a newer TSval; RFC 7323 clocks only move forward): a
      // resend of bytes whose first copy the capture missed, not a segment the network reordered.
      const sentLater = p.tsval !== undefined && fwd.highTsval !== undefined && ((p.tsval - fwd.highTsval) | 0) > 0;
      aflags |= seenBefore || reportedMissing || sentLater ? A_SACK_RETRANSMISSION : A_SACK_OUT_OF_ORDER;
      s.analysisFlags[row] = aflags;
    }
    if (seglen > 0 || flags & (TH_SYN | TH_FIN)) {
      if (endRel > fwd.highRel) {
        fwd.highRel = endRel;
        fwd.highTsval = p.tsval;
      }
      if (seglen > 0) fwd.seen.add(seqRel, seqRel + seglen);
    }
    // SACK-aware bytes in flight: sent, not cumulatively ACKed and not SACKed (RFC 6675 "pipe"
    // without its retransmission accounting).
    if (fwd.highRel > 0 && (seglen > 0 || flags & (TH_SYN | TH_FIN))) {
      const una = fwd.ackedRel;
      const out = fwd.highRel - una;
      s.sackBytesInFlight[row] = out > 0 ? out - fwd.sacked.covered(una, fwd.highRel) : 0;
    } else {
      s.sackBytesInFlight[row] = -1;
    }

    // Counters for the summary.
    fwd.segments++;
    fwd.bytes += seglen;
    if (seglen > 0) {
      fwd.dataSegments++;
      if (!(aflags & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION))) fwd.payloadBytes += seglen;
      if (aflags & A_RETRANSMISSION && !Number.isNaN(fwd.lastDataTimeNs)) {
        const gap = now - fwd.lastDataTimeNs;
        if (gap > fwd.maxRetransmitGapNs) fwd.maxRetransmitGapNs = gap;
        // An RTO stall: a plain retransmission after a silence longer than 200 ms (Linux's
        // minimum RTO, RFC 6298 §2.4 says 1 s) and longer than 3 initial RTTs.
        if (gap > 200_000_000 && gap > 3 * conv.firstRttNs) fwd.rtoStalls++;
      }
      fwd.lastDataTimeNs = now;
    }
    if (aflags & A_RETRANSMISSION) fwd.retransmissions++;
    if (aflags & A_FAST_RETRANSMISSION) fwd.fastRetransmissions++;
    if (aflags & A_SPURIOUS_RETRANSMISSION) fwd.spuriousRetransmissions++;
    if (aflags & A_OUT_OF_ORDER) fwd.outOfOrder++;
    if (aflags & A_LOST_PACKET) fwd.lostSegments++;
    if (aflags & A_DUPLICATE_ACK) fwd.dupAcks++;
    if (aflags & A_ZERO_WINDOW) fwd.zeroWindows++;
    if (aflags & A_WINDOW_FULL) fwd.windowFull++;
    if (aflags & A_KEEP_ALIVE) fwd.keepAlives++;
    if (flags & TH_FIN) fwd.sawFin = true;
    if (flags & TH_RST) fwd.sawRst = true;
    const rtt = s.ackRttNs[row]!;
    if (rtt > 0) {
      rev.rttSum += rtt;
      rev.rttCount++;
      if (rtt < rev.rttMin) rev.rttMin = rtt;
      if (rtt > rev.rttMax) rev.rttMax = rtt;
    }

    conv.states.apply(dir, flags, seqRel, ackRel, seglen);
    s.stateA[row] = conv.states.state[0]!;
    s.stateB[row] = conv.states.state[1]!;
    s.ruleA[row] = conv.states.rule[0]!;
    s.ruleB[row] = conv.states.rule[1]!;
  }
}

/** Batch mode: the same loop as pushing the segments one by one. */
export function analyzeSegments(inputs: Iterable<TcpSegmentInput>, opts: { initialRows?: number } = {}): TcpAnalyzer {
  const an = new TcpAnalyzer(opts);
  for (const p of inputs) an.pushRow(p);
  return an;
}

export { TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN };
