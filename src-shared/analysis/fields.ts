/**
 * Field names that mirror tshark's, printed the way `tshark -T fields` prints them (checked
 * against tshark 4.0): FT_NONE flags as `1` when present and empty when not, times as seconds
 * with nine decimals, tcp.flags as `0x` and four hex digits, fields tshark would not add to the
 * tree for a frame as the empty string. So `diff <(tcplab analyze F -e X) <(tshark -r F -T fields -e X)`
 * compares like with like. tcplab's own fields are named `tcplab.*`.
 */
import type { Conversation } from './analyzer';
import { STATE_RULES } from './state';
import type { SegmentStore } from './store';
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
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_PROBE,
  A_WINDOW_FULL,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
  SCALE_NOT_APPLICABLE,
  TCP_STATES,
} from './types';

/** Wireshark's flags only (tcp.analysis.flags is present when one of these is set). */
const WIRESHARK_FLAGS = 0xffff;

/** Seconds with nine decimals, as tshark prints FT_RELATIVE_TIME. */
export function formatSeconds(ns: number): string {
  const neg = ns < 0;
  const v = Math.round(neg ? -ns : ns);
  const sec = Math.floor(v / 1e9);
  const frac = String(v - sec * 1e9).padStart(9, '0');
  return `${neg ? '-' : ''}${sec}.${frac}`;
}

export function ipv4String(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

type Getter = (s: SegmentStore, i: number, conv: Conversation) => string;

const flag =
  (bit: number): Getter =>
  (s, i) =>
    s.analysisFlags[i]! & bit ? '1' : '';
const num =
  (col: keyof SegmentStore): Getter =>
  (s, i) =>
    String((s[col] as Uint32Array)[i]);
const nonZero =
  (col: keyof SegmentStore): Getter =>
  (s, i) => {
    const v = (s[col] as Uint32Array)[i]!;
    return v === 0 ? '' : String(v);
  };
/** NaN = not shown; negative times are printed, as tshark does when the clock went backwards. */
const timeOrEmpty =
  (col: keyof SegmentStore): Getter =>
  (s, i) => {
    const v = (s[col] as Float64Array)[i]!;
    return Number.isNaN(v) ? '' : formatSeconds(v);
  };
const src = (s: SegmentStore, i: number, c: Conversation): [number, number] =>
  s.direction[i] === 0 ? [c.ipA, c.portA] : [c.ipB, c.portB];
const dst = (s: SegmentStore, i: number, c: Conversation): [number, number] =>
  s.direction[i] === 0 ? [c.ipB, c.portB] : [c.ipA, c.portA];

/** Every field `tcplab analyze -e` accepts, with what it means. */
export const FIELDS: Record<string, { get: Getter; description: string }> = {
  'frame.number': { get: num('frame'), description: '1-based frame number' },
  'frame.time_relative': {
    get: (s, i) => formatSeconds(s.timeNs[i]! - s.timeNs[0]!),
    description: 'seconds since the first TCP segment of the capture',
  },
  'ip.src': { get: (s, i, c) => ipv4String(src(s, i, c)[0]), description: 'source address' },
  'ip.dst': { get: (s, i, c) => ipv4String(dst(s, i, c)[0]), description: 'destination address' },
  'tcp.srcport': { get: (s, i, c) => String(src(s, i, c)[1]), description: 'source port' },
  'tcp.dstport': { get: (s, i, c) => String(dst(s, i, c)[1]), description: 'destination port' },
  'tcp.stream': { get: num('stream'), description: 'conversation index, numbered like tshark' },
  'tcp.completeness': {
    get: num('completeness'),
    description: 'conversation completeness bitmask before this segment (1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST)',
  },
  'tcp.seq': { get: num('seq'), description: 'relative sequence number' },
  'tcp.seq_raw': { get: num('seqRaw'), description: 'absolute sequence number' },
  'tcp.ack': { get: num('ack'), description: 'relative acknowledgment number (raw when ACK is not set)' },
  'tcp.ack_raw': { get: num('ackRaw'), description: 'absolute acknowledgment number' },
  'tcp.nxtseq': { get: num('nxtseq'), description: 'relative sequence number after this segment' },
  'tcp.len': { get: num('len'), description: 'payload length from the IP header' },
  'tcp.flags': {
    get: (s, i) => `0x${s.flags[i]!.toString(16).padStart(4, '0')}`,
    description: 'TCP flags',
  },
  'tcp.window_size_value': { get: num('windowRaw'), description: 'raw window field' },
  'tcp.window_size': { get: num('windowSize'), description: 'window after scaling (raw when the scale is unknown)' },
  'tcp.window_size_scalefactor': {
    get: (s, i) => {
      const v = s.scaleFactor[i]!;
      return v === SCALE_NOT_APPLICABLE ? '' : String(v);
    },
    description: 'window scale factor: -1 unknown (handshake not captured), -2 no scaling, else 2^shift',
  },
  'tcp.time_relative': { get: timeOrEmpty('timeRelativeNs'), description: 'seconds since the conversation began' },
  'tcp.time_delta': { get: timeOrEmpty('timeDeltaNs'), description: 'seconds since the conversation’s previous segment' },
  'tcp.analysis.flags': {
    get: (s, i) => (s.analysisFlags[i]! & WIRESHARK_FLAGS ? '1' : ''),
    description: 'present when any Wireshark analysis flag is set',
  },
  // tshark adds the expert item tcp.analysis.retransmission to fast and spurious retransmissions too.
  'tcp.analysis.retransmission': {
    get: flag(A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION),
    description: 'retransmission (any kind: tshark adds it to fast and spurious retransmissions too)',
  },
  'tcp.analysis.fast_retransmission': { get: flag(A_FAST_RETRANSMISSION), description: 'fast retransmission' },
  'tcp.analysis.spurious_retransmission': { get: flag(A_SPURIOUS_RETRANSMISSION), description: 'spurious retransmission' },
  'tcp.analysis.out_of_order': { get: flag(A_OUT_OF_ORDER), description: 'out-of-order' },
  'tcp.analysis.lost_segment': { get: flag(A_LOST_PACKET), description: 'previous segment not captured' },
  'tcp.analysis.ack_lost_segment': { get: flag(A_ACK_LOST_PACKET), description: 'ACKed unseen segment' },
  // tshark adds both a field item and an expert item named tcp.analysis.duplicate_ack, so
  // `-T fields` prints two occurrences: "1,1".
  'tcp.analysis.duplicate_ack': {
    get: (s, i) => (s.analysisFlags[i]! & A_DUPLICATE_ACK ? '1,1' : ''),
    description: 'duplicate ACK (printed 1,1 as tshark does: a field and an expert item)',
  },
  'tcp.analysis.duplicate_ack_num': { get: nonZero('dupAckNum'), description: 'duplicate ACK number' },
  'tcp.analysis.duplicate_ack_frame': {
    get: (s, i) => (s.dupAckNum[i]! === 0 ? '' : String(s.dupAckFrame[i])),
    description: 'frame this duplicates the ACK of',
  },
  'tcp.analysis.zero_window': { get: flag(A_ZERO_WINDOW), description: 'zero window' },
  'tcp.analysis.zero_window_probe': { get: flag(A_ZERO_WINDOW_PROBE), description: 'zero window probe' },
  'tcp.analysis.zero_window_probe_ack': { get: flag(A_ZERO_WINDOW_PROBE_ACK), description: 'zero window probe ACK' },
  'tcp.analysis.window_full': { get: flag(A_WINDOW_FULL), description: 'window full' },
  'tcp.analysis.window_update': { get: flag(A_WINDOW_UPDATE), description: 'window update' },
  'tcp.analysis.keep_alive': { get: flag(A_KEEP_ALIVE), description: 'keep-alive' },
  'tcp.analysis.keep_alive_ack': { get: flag(A_KEEP_ALIVE_ACK), description: 'keep-alive ACK' },
  'tcp.analysis.reused_ports': { get: flag(A_REUSED_PORTS), description: 'a SYN reusing the ports of an earlier conversation' },
  'tcp.analysis.acks_frame': { get: nonZero('acksFrame'), description: 'frame whose segment this ACKs' },
  'tcp.analysis.ack_rtt': { get: timeOrEmpty('ackRttNs'), description: 'time from that segment to this ACK' },
  'tcp.analysis.initial_rtt': { get: timeOrEmpty('initialRttNs'), description: 'SYN to handshake ACK time' },
  'tcp.analysis.bytes_in_flight': { get: nonZero('bytesInFlight'), description: 'Wireshark’s bytes in flight (SACK-blind)' },
  'tcp.analysis.push_bytes_sent': {
    get: (s, i) => (s.bytesInFlight[i]! === 0 ? '' : String(s.pushBytesSent[i])),
    description: 'bytes sent since the last PSH',
  },
  'tcplab.direction': { get: (s, i) => (s.direction[i] === 0 ? 'A>B' : 'B>A'), description: 'A is the sender of the first segment' },
  'tcplab.analysis.sack_bytes_in_flight': {
    get: (s, i) => {
      const v = s.sackBytesInFlight[i]!;
      return v < 0 ? '' : String(v);
    },
    description: 'bytes sent and neither cumulatively ACKed nor SACKed (SACK-aware)',
  },
  'tcplab.analysis.sack_retransmission': {
    get: flag(A_SACK_RETRANSMISSION),
    description: 'below the highest sequence sent and seen before, reported missing, or sent later (a newer TSval than the highest segment) (SACK-aware)',
  },
  'tcplab.analysis.sack_out_of_order': {
    get: flag(A_SACK_OUT_OF_ORDER),
    description: 'below the highest sequence sent, never seen, never reported missing, and not sent later (SACK-aware)',
  },
  'tcplab.analysis.window_probe': {
    get: flag(A_WINDOW_PROBE),
    description: 'a keep-alive-shaped segment sent while the peer advertises a zero window (Linux’s zero-window probe)',
  },
  'tcplab.state.a': { get: (s, i) => TCP_STATES[s.stateA[i]!]!, description: 'inferred state of endpoint A after this segment' },
  'tcplab.state.b': { get: (s, i) => TCP_STATES[s.stateB[i]!]!, description: 'inferred state of endpoint B after this segment' },
  'tcplab.state.rule_a': {
    get: (s, i) => (s.ruleA[i] ? STATE_RULES[s.ruleA[i]!]! : ''),
    description: 'the rule that changed A’s inferred state at this segment',
  },
  'tcplab.state.rule_b': {
    get: (s, i) => (s.ruleB[i] ? STATE_RULES[s.ruleB[i]!]! : ''),
    description: 'the rule that changed B’s inferred state at this segment',
  },
};

/** The fields printed when `-e` is not given. */
export const DEFAULT_FIELDS = [
  'frame.number',
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.len',
  'tcp.window_size',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.zero_window',
  'tcp.analysis.out_of_order',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.ack_rtt',
];
