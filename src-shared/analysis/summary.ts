/**
 * One conversation in a few numbers and words: endpoints, duration, bytes and segments each way,
 * the options the handshake negotiated, retransmission counts, tshark's completeness, the
 * inferred final states and a short diagnosis of what limited the transfer.
 */
import type { Conversation, TcpAnalyzer } from './analyzer';
import { ipv4String } from './fields';
import type { Flow } from './flow';
import {
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_SACK_OUT_OF_ORDER,
  A_WINDOW_FULL,
  A_ZERO_WINDOW,
  COMPLETENESS_ACK,
  COMPLETENESS_DATA,
  COMPLETENESS_FIN,
  COMPLETENESS_RST,
  COMPLETENESS_SYNACK,
  COMPLETENESS_SYNSENT,
  TCP_STATES,
  type TcpStateName,
} from './types';

export interface DirectionSummary {
  /** "ip:port" of the sender. */
  from: string;
  segments: number;
  dataSegments: number;
  /** Payload bytes including retransmissions. */
  bytes: number;
  /** Payload bytes not flagged as retransmitted. */
  uniqueBytes: number;
  retransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  duplicateAcks: number;
  zeroWindows: number;
  windowFull: number;
  keepAlives: number;
  /** MSS this side announced in its SYN, 0 if none seen. */
  mss: number;
  /** Window scale shift this side announced; -1 unknown (no SYN seen), -2 not used. */
  windowScale: number;
  sackPermitted: boolean;
  timestamps: boolean;
  /** RTT samples of this side's data (from the peer's ACKs), in ns. */
  rtt: { samples: number; minNs: number; avgNs: number; maxNs: number };
  finalState: TcpStateName;
}

export interface Diagnosis {
  code: 'receiver-limited' | 'congestion-limited' | 'application-limited' | 'rto-stalls' | 'reordering' | 'healthy' | 'no-data';
  /** Why, with the numbers that decided it. */
  reason: string;
}

export interface ConversationSummary {
  stream: number;
  a: string;
  b: string;
  firstFrame: number;
  lastFrame: number;
  /** Seconds since the epoch of the first segment. */
  startEpochSec: number;
  durationNs: number;
  segments: number;
  /** tshark's tcp.completeness after the last segment, and its parts. */
  completeness: number;
  completenessText: string;
  options: { mss: [number, number]; windowScale: [number, number]; sack: boolean; timestamps: boolean; ecn: boolean };
  initialRttNs: number;
  reusedPorts: boolean;
  previousStream: number;
  directions: [DirectionSummary, DirectionSummary];
  /** States are inferred from the captured segments, never observed. */
  statesInferred: true;
  diagnosis: Diagnosis[];
}

export function completenessText(c: number): string {
  if (c === 0) return 'none';
  const parts: string[] = [];
  if (c & COMPLETENESS_SYNSENT) parts.push('SYN');
  if (c & COMPLETENESS_SYNACK) parts.push('SYN-ACK');
  if (c & COMPLETENESS_ACK) parts.push('ACK');
  if (c & COMPLETENESS_DATA) parts.push('DATA');
  if (c & COMPLETENESS_FIN) parts.push('FIN');
  if (c & COMPLETENESS_RST) parts.push('RST');
  // tshark calls 31 (and 63) "Complete, WITH_DATA".
  const complete = (c & 0x1f) === 0x1f || (c & 0x2f) === 0x2f;
  return `${complete ? 'complete: ' : 'incomplete: '}${parts.join(' ')}`;
}

function direction(flow: Flow, ip: number, port: number, state: number): DirectionSummary {
  return {
    from: `${ipv4String(ip)}:${port}`,
    segments: flow.segments,
    dataSegments: flow.dataSegments,
    bytes: flow.bytes,
    uniqueBytes: flow.payloadBytes,
    retransmissions: flow.retransmissions,
    fastRetransmissions: flow.fastRetransmissions,
    spuriousRetransmissions: flow.spuriousRetransmissions,
    outOfOrder: flow.outOfOrder,
    lostSegments: flow.lostSegments,
    duplicateAcks: flow.dupAcks,
    zeroWindows: flow.zeroWindows,
    windowFull: flow.windowFull,
    keepAlives: flow.keepAlives,
    mss: flow.mss,
    windowScale: flow.winScale,
    sackPermitted: flow.sackPermitted,
    timestamps: flow.timestamps,
    rtt: {
      samples: flow.rttCount,
      minNs: flow.rttCount ? flow.rttMin : 0,
      avgNs: flow.rttCount ? flow.rttSum / flow.rttCount : 0,
      maxNs: flow.rttMax,
    },
    finalState: TCP_STATES[state]!,
  };
}

/**
 * The diagnosis looks at the direction that carried most data. Thresholds are rules of thumb,
 * stated in each reason so a reader can judge them.
 */
function diagnose(an: TcpAnalyzer, conv: Conversation): Diagnosis[] {
  const flows = [conv.a, conv.b];
  const dataDir = conv.a.bytes >= conv.b.bytes ? 0 : 1;
  const f = flows[dataDir]!;
  const peer = flows[1 - dataDir]!;
  if (f.dataSegments === 0) return [{ code: 'no-data', reason: 'no payload was sent in either direction' }];
  const s = an.store;
  const rows = conv.rows.toArray();
  const out: Diagnosis[] = [];
  let zeroWin = 0;
  let windowFull = 0;
  let nearWindow = 0;
  let withBif = 0;
  let lossEvents = 0;
  let reorder = 0;
  let idleGaps = 0;
  let lastData = -1;
  const rtt = f.rttCount ? f.rttSum / f.rttCount : conv.firstRttNs;
  let peerWindow = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const fl = s.analysisFlags[i]!;
    if (s.direction[i] !== dataDir) {
      peerWindow = s.windowSize[i]!;
      if (fl & A_ZERO_WINDOW) zeroWin++;
      continue;
    }
    if (s.len[i]! === 0) continue;
    if (fl & A_WINDOW_FULL) windowFull++;
    if (fl & (A_RETRANSMISSION | A_FAST_RETRANSMISSION)) lossEvents++;
    if (fl & A_SACK_OUT_OF_ORDER) reorder++;
    const bif = s.sackBytesInFlight[i]!;
    if (bif > 0 && peerWindow > 0) {
      withBif++;
      if (bif >= 0.8 * peerWindow) nearWindow++;
    }
    const t = s.timeNs[i]!;
    if (lastData >= 0 && rtt > 0 && t - lastData > Math.max(10 * rtt, 1e6)) idleGaps++;
    lastData = t;
  }
  if (zeroWin > 0 || windowFull > 0.01 * f.dataSegments || (withBif > 0 && nearWindow > 0.2 * withBif)) {
    out.push({
      code: 'receiver-limited',
      reason: `${zeroWin} zero-window advertisements, ${windowFull} window-full segments, ${nearWindow}/${withBif} data segments with ≥80% of the receive window in flight`,
    });
  }
  if (lossEvents > 0) {
    out.push({
      code: 'congestion-limited',
      reason: `${lossEvents} retransmitted segments (${f.fastRetransmissions} fast) and ${peer.dupAcks} duplicate ACKs: the sender saw loss and reduced its window`,
    });
  }
  if (f.rtoStalls > 0) {
    out.push({
      code: 'rto-stalls',
      reason: `${f.rtoStalls} retransmissions after a silence over 200 ms and 3 initial RTTs (longest ${(f.maxRetransmitGapNs / 1e6).toFixed(1)} ms): retransmission timeouts`,
    });
  }
  if (reorder > 0) {
    out.push({
      code: 'reordering',
      reason: `${reorder} segments arrived below the highest sequence without having been seen or reported missing (SACK-aware out-of-order)`,
    });
  }
  if (idleGaps > 0 && out.length === 0) {
    out.push({
      code: 'application-limited',
      reason: `${idleGaps} pauses longer than 10 RTTs between data segments with no loss and an open window: the application did not supply data`,
    });
  }
  if (out.length === 0) out.push({ code: 'healthy', reason: 'no loss, no window limit, no stalls seen' });
  return out;
}

export function summarizeConversation(an: TcpAnalyzer, conv: Conversation): ConversationSummary {
  const st = conv.states.state;
  return {
    stream: conv.stream,
    a: `${ipv4String(conv.ipA)}:${conv.portA}`,
    b: `${ipv4String(conv.ipB)}:${conv.portB}`,
    firstFrame: conv.firstFrame,
    lastFrame: conv.lastFrame,
    startEpochSec: an.epochOriginSec + conv.firstTimeNs / 1e9,
    durationNs: conv.lastTimeNs - conv.firstTimeNs,
    segments: conv.rows.length,
    completeness: conv.completeness,
    completenessText: completenessText(conv.completeness),
    options: {
      mss: [conv.a.mss, conv.b.mss],
      windowScale: [conv.a.winScale, conv.b.winScale],
      sack: conv.a.sackPermitted && conv.b.sackPermitted,
      timestamps: conv.a.timestamps && conv.b.timestamps,
      ecn: conv.a.ecnSetup && conv.b.ecnSetup,
    },
    initialRttNs: conv.firstRttNs,
    reusedPorts: conv.reusedPorts,
    previousStream: conv.previousStream,
    directions: [direction(conv.a, conv.ipA, conv.portA, st[0]!), direction(conv.b, conv.ipB, conv.portB, st[1]!)],
    statesInferred: true,
    diagnosis: diagnose(an, conv),
  };
}
