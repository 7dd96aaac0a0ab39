/**
 * DTOs of one TCP conversation as the ladder and the state machine view need it: every segment
 * with its send and receive time where known, the endpoints' states (true from tcplab's stack
 * probes, or inferred by the passive analysis) and the TCP timers. Built in main
 * (src-main/session/conversations.ts), laid out by src-shared/diagram/ladder.ts.
 *
 * Times are microseconds since the session's first frame (FrameSummary.t × 1e6).
 */

/** One conversation (tshark's tcp.stream) as the picker lists it. */
export interface ConversationInfo {
  stream: number;
  /** 'ip:port' of endpoint A (the sender of the first captured segment) and B. */
  a: string;
  b: string;
  segments: number;
  firstUs: number;
  lastUs: number;
  /** Payload bytes A→B and B→A. */
  bytesAB: number;
  bytesBA: number;
}

/** TCP options a label may show (raw 32-bit SACK edges, flattened [l0, r0, l1, r1 …]). */
export interface LadderOptionsDto {
  mss?: number;
  wscale?: number;
  sackOk?: boolean;
  ts?: [number, number];
  sack?: number[];
}

/**
 * How a segment was seen: 'both' = send and receive times known (lab runs); 'one-sided' = only
 * the capture point's time (captures); 'lost' = sent, never received (lab runs).
 */
export type SegmentSeen = 'both' | 'one-sided' | 'lost';

export interface LadderSegmentDto {
  /** Session frame number; null for a lab segment the session's capture point never saw (lost B→A). */
  frame: number | null;
  /** 0: A → B, 1: B → A. */
  dir: 0 | 1;
  /** Send time, µs; for one-sided segments the capture time. */
  tx: number;
  /** Receive time, µs; null when one-sided or lost. */
  rx: number | null;
  seen: SegmentSeen;
  /** Raw 32-bit numbers as on the wire. */
  seq: number;
  ack: number;
  /** TCP flag bits (wire/tcp TCP_*). */
  flags: number;
  /** Window in bytes (scaled when the scale is known; the raw field on SYNs). */
  win: number;
  /** Payload length. */
  len: number;
  opts?: LadderOptionsDto;
  /** Analysis flag bits (analysis/types A_*); 0 when none or unknown. */
  af: number;
}

export interface LadderStateDto {
  side: 0 | 1;
  /** Time the endpoint entered the state, µs. */
  t: number;
  state: string;
  from: string;
  /** true: inferred by the passive analysis; false: reported by tcplab's stack. */
  inferred: boolean;
  /** The frame that caused the transition (or the first one it caused), when known. */
  frame: number | null;
  /** Probe event id (lab runs). */
  eventId?: number;
  /** Why: the stack's cause or the analysis' rule text. */
  cause: string;
}

export interface LadderTimerDto {
  side: 0 | 1;
  /** The stack's timer name: rto, persist, keepalive, delack, time-wait, fin-wait-2, rack-reorder, tlp (RFC 8985). */
  timer: string;
  start: number;
  /** End time, µs: when it fired or was stopped; the run's end if it still ran. */
  end: number;
  outcome: 'fired' | 'stopped' | 'running';
}

export interface LadderData {
  stream: number;
  /** 'ip:port' of A and B. */
  endpoints: [string, string];
  /** Initial sequence numbers of A and B (the SYN's seq, else the first seq seen). */
  isn: [number, number];
  source: 'lab' | 'capture';
  /** The state before the first transition, per side. */
  initialStates: [string, string];
  segments: LadderSegmentDto[];
  states: LadderStateDto[];
  timers: LadderTimerDto[];
  /** Last time in the data, µs. */
  endUs: number;
}

/** LadderData as `conversation.ladder` sends it: segments packed in columns (diagram/pack.ts). */
export interface PackedLadderData extends Omit<LadderData, 'segments'> {
  segmentCount: number;
  /** 50 bytes per segment: see src-shared/diagram/pack.ts. */
  columns: Uint8Array;
  /** [segment index, options] for the segments that carry label-worthy options. */
  options: [number, LadderOptionsDto][];
}
