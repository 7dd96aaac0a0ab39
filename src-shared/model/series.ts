/**
 * Time series of one TCP conversation for the Sliding-window and Congestion views
 * (`session.series`). Times are seconds since the session's first frame (FrameSummary.t), so every
 * view shares the timeline cursor. Sequence numbers are relative to the data sender's ISN + 1
 * (byte 0 is the first data byte), as tcptrace and Wireshark print them.
 */
export interface PointSeries {
  t: number[];
  v: number[];
}

export type SeriesMarkerKind = 'fast-retransmit' | 'rto' | 'recovery-exit' | 'ecn' | 'retransmission' | 'undo';

export interface SeriesMarker {
  t: number;
  kind: SeriesMarkerKind;
  /** cwnd (or bytes in flight) at the marker, bytes, for placing it on the cwnd chart. */
  value: number;
  /** True when it comes from the stack's probes, false when inferred from the capture. */
  observed: boolean;
}

/** One moment of both ends' windows (true probe values for labs, inferred for captures). */
export interface WindowSnapshot {
  t: number;
  /** What happened: the sender sent data, an ACK arrived, the receiver's buffer changed. */
  cause: string;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  /** Bytes the receiving application has read (RCV.NXT − unread bytes). */
  rcvRead: number;
  /** Out-of-order byte ranges held by the receiver, [left, right) pairs flattened. */
  ooo: number[];
}

export interface TimeSequenceData {
  /** Data segments: time, first and end sequence number. */
  segT: number[];
  segSeq: number[];
  segEnd: number[];
  /** Index into seg* of retransmitted segments. */
  retrans: number[];
  /** The ACK line and the receive-window line (ACK + window) from the receiver's segments. */
  ackT: number[];
  ack: number[];
  win: number[];
  /** SACK blocks reported by the receiver: time, left and right edge. */
  sackT: number[];
  sackL: number[];
  sackR: number[];
  /** SYN, FIN, RST marks: [time, seq] in either direction. */
  syn: [number, number][];
  fin: [number, number][];
  rst: [number, number][];
}

/**
 * The Linux kernel peer's own congestion state, polled from `ss -tin` (probe layer `kernel`) when
 * the peer is local: sampled every N ms, not every change, so views label it "polled".
 */
export interface KernelPeerSeries {
  /** The kernel socket, `LOCAL-PEER` as the kernel sees it. */
  subject: string;
  /**
   * `sender`: the kernel sends on this conversation (its cwnd is the data sender's);
   * `receiver`: the kernel receives here (its cwnd governs the reverse direction);
   * `other`: another connection of the same peer, e.g. the kernel sending to tcplab at the same time.
   */
  role: 'sender' | 'receiver' | 'other';
  /** The kernel's congestion-control module (`cubic`, `reno`, `bbr` …). */
  algorithm: string | null;
  /** Bytes (segments × MSS), on the same time axis as the other series. */
  cwnd: PointSeries;
  ssthresh: PointSeries;
  /** Smoothed RTT, ms. */
  rtt: PointSeries;
  /** Bytes the kernel had sent and got ACKed at its last sample. */
  bytesAcked: number;
  /** Retransmissions in total at its last sample. */
  retransTotal: number;
}

export interface SessionSeries {
  stream: number;
  source: 'lab' | 'capture';
  sender: string;
  receiver: string;
  /** Congestion-control algorithm named by the probes (labs), else null. */
  algorithm: string | null;
  /** True values from the stack (labs), else null. */
  cwnd: PointSeries | null;
  ssthresh: PointSeries | null;
  flightSize: PointSeries | null;
  pipe: PointSeries | null;
  /** SACKed bytes above SND.UNA and bytes RFC 6675 IsLost() declares lost, from the probes (SACK connections), else null. */
  sackedBytes: PointSeries | null;
  lostBytes: PointSeries | null;
  /** Recovery periods [start, end] from the probes. */
  recovery: [number, number][];
  /**
   * Each loss recovery with its recovery point (RFC 6582 "recover" / RFC 6675 RecoveryPoint) as a
   * relative sequence number: recovery ends when the ACK line reaches it. From the probes.
   */
  recoveryPoints: { start: number; end: number; seq: number }[];
  /** From the passive analysis, for every source. */
  cwndEstimate: PointSeries & { method: string };
  bytesInFlight: PointSeries;
  rwnd: PointSeries;
  rtt: PointSeries;
  throughput: PointSeries;
  goodput: PointSeries;
  markers: SeriesMarker[];
  tsg: TimeSequenceData;
  window: { inferred: boolean; snapshots: WindowSnapshot[] };
  endT: number;
  /** The local Linux peer's cwnd polled via `ss` (TAP sessions that poll it); absent otherwise. */
  kernel?: KernelPeerSeries[];
}

/** Stream and analysis flag bits of a range of frames (`frame.analysis`): colouring the table. */
export interface FrameAnalysisRange {
  from: number;
  /** tcp.stream per frame, -1 for frames the analysis did not see (not TCP). */
  stream: number[];
  /** Analysis flag bits (src-shared/analysis/types A_*) per frame, 0 when none. */
  flags: number[];
}

export interface FilterResult {
  filter: string;
  /** Matching frame numbers, ascending. */
  frames: number[];
  /** Frames examined. */
  total: number;
}
