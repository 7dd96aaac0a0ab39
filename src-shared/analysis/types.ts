/**
 * Value types of the passive TCP analysis. The analysis sees one TCP segment at a time, as
 * decoded by `wire`, and answers with the same facts Wireshark's `tcp.analysis.*` fields give,
 * plus tcplab's own SACK-aware values and an inferred state for each endpoint.
 */

/** The few facts about one captured TCP/IPv4 segment the analysis needs (see `fromDecoded`). */
export interface TcpSegmentInput {
  /** 1-based frame number in the capture (tshark's frame.number). */
  frame: number;
  /** Capture timestamp: seconds since the epoch and nanoseconds within the second. */
  tsSec: number;
  tsNsec: number;
  /** Byte offset of the frame's record in its file (for the index), or -1. */
  fileOffset: number;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence and acknowledgment numbers. */
  seq: number;
  ack: number;
  /** TCP_* flag bits (9 bits). */
  flags: number;
  /** Raw, unscaled 16-bit window field. */
  window: number;
  /** Payload bytes the IP header announces (not the captured bytes): tshark's tcp.len. */
  payloadLength: number;
  /** IP ECN field (0..3). */
  ipEcn: number;
  /** Options that matter to the analysis; undefined when absent. */
  mss?: number | undefined;
  wscale?: number | undefined;
  sackPermitted?: boolean | undefined;
  /** SACK blocks as raw 32-bit edges, flattened [left0, right0, left1, right1, ...]. */
  sackBlocks?: number[] | undefined;
  tsval?: number | undefined;
  tsecr?: number | undefined;
}

/** Wireshark's tcp_acked flags (packet-tcp.c TCP_A_*), same bits, plus tcplab's own above 1<<20. */
export const A_RETRANSMISSION = 0x0001;
export const A_LOST_PACKET = 0x0002;
export const A_ACK_LOST_PACKET = 0x0004;
export const A_KEEP_ALIVE = 0x0008;
export const A_DUPLICATE_ACK = 0x0010;
export const A_ZERO_WINDOW = 0x0020;
export const A_ZERO_WINDOW_PROBE = 0x0040;
export const A_ZERO_WINDOW_PROBE_ACK = 0x0080;
export const A_KEEP_ALIVE_ACK = 0x0100;
export const A_OUT_OF_ORDER = 0x0200;
export const A_FAST_RETRANSMISSION = 0x0400;
export const A_WINDOW_UPDATE = 0x0800;
export const A_WINDOW_FULL = 0x1000;
export const A_REUSED_PORTS = 0x2000;
export const A_SPURIOUS_RETRANSMISSION = 0x4000;
/** tcplab: data below the highest sequence sent whose bytes were seen before or reported missing. */
export const A_SACK_RETRANSMISSION = 0x100000;
/** tcplab: data below the highest sequence sent, never seen before and never reported missing. */
export const A_SACK_OUT_OF_ORDER = 0x200000;
/**
 * tcplab: a keep-alive-shaped segment (seq = SND.UNA - 1, 0 or 1 byte) sent while the peer
 * advertises a zero window: Linux's zero-window probe (tcp_xmit_probe_skb), which tshark calls a
 * keep-alive.
 */
export const A_WINDOW_PROBE = 0x400000;

/** tshark's tcp.completeness bits. */
export const COMPLETENESS_SYNSENT = 0x01;
export const COMPLETENESS_SYNACK = 0x02;
export const COMPLETENESS_ACK = 0x04;
export const COMPLETENESS_DATA = 0x08;
export const COMPLETENESS_FIN = 0x10;
export const COMPLETENESS_RST = 0x20;

/** Window scale "factor" codes as tshark prints tcp.window_size_scalefactor. */
export const SCALE_UNKNOWN = -1;
export const SCALE_NONE = -2;
/** Not printed by tshark (SYN segments are never scaled). */
export const SCALE_NOT_APPLICABLE = -3;

/** RFC 9293 connection states, in the order of its state diagram. */
export const TCP_STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;
export type TcpStateName = (typeof TCP_STATES)[number];
export const ST_CLOSED = 0;
export const ST_LISTEN = 1;
export const ST_SYN_SENT = 2;
export const ST_SYN_RECEIVED = 3;
export const ST_ESTABLISHED = 4;
export const ST_FIN_WAIT_1 = 5;
export const ST_FIN_WAIT_2 = 6;
export const ST_CLOSE_WAIT = 7;
export const ST_CLOSING = 8;
export const ST_LAST_ACK = 9;
export const ST_TIME_WAIT = 10;

/** Everything the analysis says about one segment (one row of the store). */
export interface SegmentRecord {
  frame: number;
  stream: number;
  /** 0: sent by endpoint A (the sender of the conversation's first captured segment), 1: by B. */
  direction: 0 | 1;
  timeNs: number;
  fileOffset: number;
  seq: number;
  seqRaw: number;
  ack: number;
  ackRaw: number;
  nxtseq: number;
  len: number;
  flags: number;
  windowRaw: number;
  windowSize: number;
  /** -1 unknown, -2 none, -3 not applicable (SYN), else the factor 1<<shift. */
  scaleFactor: number;
  analysisFlags: number;
  dupAckNum: number;
  dupAckFrame: number;
  acksFrame: number;
  /** NaN when tshark prints no ack_rtt. */
  ackRttNs: number;
  /** NaN when tshark prints no initial_rtt for this frame. */
  initialRttNs: number;
  /** 0 when tshark prints no bytes_in_flight. */
  bytesInFlight: number;
  pushBytesSent: number;
  /** tcplab: bytes sent and neither cumulatively ACKed nor SACKed (RFC 6675 style); -1 unknown. */
  sackBytesInFlight: number;
  completeness: number;
  timeRelativeNs: number;
  timeDeltaNs: number;
  stateA: number;
  stateB: number;
  ruleA: number;
  ruleB: number;
}
