/**
 * One TCP connection (the TCB of RFC 9293 §3.3.1) as a state machine over segment values.
 *
 * Design principle 2: no I/O inside. The connection consumes segments (`handleSegment`) and user
 * calls (`write`, `read`, `shutdown`, `close`, `abort`), and hands every segment it wants sent to
 * `env.output(segment, causeId)`; timers go through the injected Clock. The sender half
 * (SND.*, send buffer, retransmission, RTO, congestion control, persist, keep-alive) and the
 * receiver half (RCV.*, receive buffer, out-of-order assembler, window, delayed ACK) are kept in
 * separate groups of fields and methods, like gVisor's snd.go and rcv.go.
 *
 * Section numbers refer to RFC 9293 unless another RFC is named.
 */
import type { Clock, TimerHandle } from '@shared/sim/clock';
import type { ProbeBus, ProbeValue } from '@shared/model/probe';
import { seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, type SeqNum } from '@shared/wire/seq';
import { createCongestionControl, type CongestionControl, type CongestionName } from './congestion';
import { SackScoreboard, type SackBlock, type SackUpdate } from './congestion/scoreboard';
import { RackTlp, type RackLoss } from './congestion/rack';
import { CongestionProbe, type CongestionCause } from './congestion/probes';
import { SpuriousEpisode } from './congestion/undo';
import type { CongestionUndoState } from './congestion/types';
import { Assembler, ByteRing } from './buffers';
import { RtoEstimator } from './rtt';
import {
  ECN_CE,
  ECN_ECT0,
  ECN_NOT_ECT,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  flagString,
  optionsLength,
  segLen,
  type TcpOption,
  type TcpSegment,
} from './segment';

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export type TcpErrno = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EPIPE' | 'ENOTCONN' | 'ECONNABORTED';

/**
 * 'rack-reorder' is RACK's reordering timer (RFC 8985 §6.3) and 'tlp' the tail loss probe timer
 * (§7.2); Linux runs both in the retransmission timer's slot, and the ladder draws them in the RTO lane.
 */
export type TimerName = 'rto' | 'persist' | 'keepalive' | 'delack' | 'time-wait' | 'fin-wait-2' | 'rack-reorder' | 'tlp';

export interface TcpConfig {
  /** MSS we advertise: interface MTU − 40 (RFC 9293 §3.7.1, RFC 6691). */
  mss: number;
  sendBufferSize: number;
  receiveBufferSize: number;
  /** TIME-WAIT duration, 2×MSL (§3.3.2; Linux TCP_TIMEWAIT_LEN = 60 s). */
  timeWaitMs: number;
  /** An orphaned FIN-WAIT-2 gives up after this (Linux tcp_fin_timeout = 60 s). */
  finWait2TimeoutMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  initialRtoMs: number;
  /** Smallest variance term of the RTO (Linux floors it at TCP_RTO_MIN; 0 = RFC 6298 as written). See rtt.ts. */
  rtoVarianceFloorMs: number;
  /** SYN retransmissions before connect fails with ETIMEDOUT (Linux tcp_syn_retries = 6). */
  synRetries: number;
  /** SYN-ACK retransmissions (Linux tcp_synack_retries = 5). */
  synAckRetries: number;
  /** Data retransmissions before the connection fails with ETIMEDOUT (Linux tcp_retries2 = 15). */
  retries2: number;
  /** Delayed-ACK timeout (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3: at most 500 ms); 0 disables delaying. */
  delayedAckMs: number;
  /** TCP_NODELAY: disables Nagle's algorithm (RFC 1122 §4.2.3.4). */
  noDelay: boolean;
  keepAlive: boolean;
  /** TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (Linux 7200 s, 75 s, 9). */
  keepIdleMs: number;
  keepIntervalMs: number;
  keepCount: number;
  windowScaling: boolean;
  sack: boolean;
  timestamps: boolean;
  congestion: CongestionName;
  initialWindow: 'rfc5681' | 'rfc6928' | number;
  /** Bound on out-of-order ranges the receiver keeps. */
  maxOutOfOrderRanges: number;
  /** Duplicate-ACK threshold for fast retransmit (RFC 5681 §3.2: 3). */
  dupThresh: number;
  /**
   * RACK-TLP loss detection (RFC 8985; congestion/rack.ts) on SACK connections, like Linux
   * net.ipv4.tcp_recovery = 1: losses by time instead of DupThresh, the reordering timer and tail
   * loss probes. Off: RFC 5681/6582 fast retransmit on DupThresh duplicate ACKs and RFC 6675 IsLost.
   */
  rack: boolean;
  /**
   * Send D-SACKs (RFC 2883), like Linux net.ipv4.tcp_dsack = 1: on a SACK connection, the ACK for a
   * wholly duplicate segment reports the duplicate range as its first SACK block, so the peer's
   * RACK (RFC 8985 §6.2 step 4) and TLP (§7.4) can tell a spurious retransmission from a repair.
   */
  dsack: boolean;
  /**
   * Undo a congestion reduction found spurious (Linux does, always): on a SACK connection, when the
   * peer D-SACKs every retransmission of a recovery or RTO episode (RFC 3708 §3), or the ACK that
   * ends it echoes a timestamp from before them (RFC 3522 §3.2), nothing was lost, so cwnd,
   * ssthresh and the controller's state return to what they were (RFC 4015 §2, RFC 9438 §4.9).
   */
  undo: boolean;
  /** RFC 5961 §7 challenge ACKs per second when no global limiter is given. */
  challengeAckLimit: number;
  /**
   * Explicit Congestion Notification (RFC 3168), Linux net.ipv4.tcp_ecn semantics: 0 = off,
   * 1 = request it in our SYNs and accept it when a peer requests it, 2 = only accept it.
   */
  ecn: 0 | 1 | 2;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  mss: 1460,
  sendBufferSize: 256 * 1024,
  receiveBufferSize: 256 * 1024,
  timeWaitMs: 60_000,
  finWait2TimeoutMs: 60_000,
  minRtoMs: 200,
  maxRtoMs: 120_000,
  initialRtoMs: 1000,
  rtoVarianceFloorMs: 200,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  delayedAckMs: 200,
  noDelay: false,
  keepAlive: false,
  keepIdleMs: 7_200_000,
  keepIntervalMs: 75_000,
  keepCount: 9,
  windowScaling: true,
  sack: true,
  timestamps: true,
  congestion: 'cubic',
  initialWindow: 'rfc6928',
  maxOutOfOrderRanges: 32,
  dupThresh: 3,
  rack: true,
  dsack: true,
  undo: true,
  challengeAckLimit: 1000,
  // Linux's default: never ask (a SYN with ECE+CWR could meet a broken middlebox), but say yes
  // to a peer that asks, so a Linux peer with tcp_ecn=1 (or a lab) gets ECN end to end.
  ecn: 2,
};

export interface Endpoints {
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
}

/** What the connection needs from outside. */
export interface TcpConnectionEnv {
  clock: Clock;
  probes?: ProbeBus;
  /**
   * Sends a segment; `causeId` is the probe event that made it (the ladder's arrow); `ecn` the IP
   * ECN codepoint to put on its datagram (ECT(0) on new data of an ECN connection, else Not-ECT).
   */
  output(segment: TcpSegment, causeId: number | undefined, ecn?: number): void;
  /** RFC 5961 §7: a shared budget of challenge ACKs; returns false when spent. */
  allowChallengeAck?(now: number): boolean;
  /**
   * The offset added to our TSvals (RFC 7323 §5.4: TSval need not start at the clock). One value
   * per host pair, as Linux's secure_tcp_ts_off (per host pair since Linux 4.13): RFC 6191's
   * reopening of a TIME-WAIT connection by a SYN with a newer TSval, and PAWS across incarnations,
   * need the timestamps of one host pair to grow across connections. Without it, `random()`.
   */
  tsOffset?: number;
  /** 32-bit random numbers (the timestamp offset when `tsOffset` is not given). */
  random?(): number;
  /** `output` copies each segment's payload before returning (so payloads may be views of the send buffer). */
  zeroCopyOutput?: boolean;
  /**
   * Segmentation offload on the route (Device.segmentationOffload, Linux's TSO): the most TCP
   * payload one segment may carry, 0 when the route does not offer it (absent = 0). New data then
   * goes out in segments of whole MSS multiples up to that size; retransmissions stay one MSS.
   */
  tsoMaxBytes?(): number;
  /**
   * Opt-in ACK per input batch (TcpLayerOptions.ackPerBatch): instead of ACKing every second
   * full-sized segment at once, the connection asks to be called back (`flushDeferredAck`) when
   * the current batch of received frames is processed — one ACK per TAP read batch, as Linux ACKs
   * a GRO super-segment. Stretch ACKs: RFC 5681 §4.2 says an ACK SHOULD be sent for at least every
   * second full-sized segment, so this is off by default and labs never use it.
   */
  deferAck?(conn: TcpConnection): void;
}

/** One shared, immutable NOP option (options are only read once built). */
const NOP_OPTION: TcpOption = Object.freeze({ kind: 'nop' as const });

/** RFC 8985 §7.2 WCDelAckT: the worst-case delayed-ACK time a one-segment flight adds to the PTO (200 ms). */
const TLP_MAX_ACK_DELAY_MS = 200;
/** Linux tcp_schedule_loss_probe adds TCP_TIMEOUT_MIN (2 ms) to 2·SRTT when more than one segment is in flight. */
const TLP_MIN_EXTRA_MS = 2;

/** With deferAck, still ACK at once once this much is unacknowledged (Linux's GRO limit is 64 KiB). */
const DEFERRED_ACK_MAX_BYTES = 64 * 1024;

/** Notifications to the owner (socket layer, listener). All optional. */
export interface TcpConnectionEvents {
  stateChange?(from: TcpState, to: TcpState, cause: string): void;
  established?(): void;
  readable?(): void;
  writable?(): void;
  /** The connection reached CLOSED; `errno` is null for an orderly end. */
  closed?(errno: TcpErrno | null): void;
}

const SYNCHRONIZED_DATA_STATES: ReadonlySet<TcpState> = new Set([
  'ESTABLISHED',
  'CLOSE-WAIT',
  'FIN-WAIT-1',
  'CLOSING',
  'LAST-ACK',
]);

function endpointName(e: Endpoints): string {
  const ip = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  return `${ip(e.localAddr)}:${e.localPort}-${ip(e.remoteAddr)}:${e.remotePort}`;
}

export class TcpConnection {
  readonly config: TcpConfig;
  readonly subject: string;
  events: TcpConnectionEvents = {};
  state: TcpState = 'CLOSED';
  /** The errno the connection ended with (null while open or after an orderly close). */
  error: TcpErrno | null = null;
  /** Opened by LISTEN (passive) rather than connect (active). */
  passiveOpen = false;
  /** close() was called: nobody will read any more (Linux "orphan"). */
  orphaned = false;
  /** SO_REUSEADDR of the socket that owns it (bind conflicts, TIME-WAIT included). */
  reuseAddr = false;

  // ---- sender (SND.*) ----
  iss: SeqNum = seq(0);
  sndUna: SeqNum = seq(0);
  sndNxt: SeqNum = seq(0);
  /** Highest sequence number sent (BSD snd_max); SND.NXT goes back to SND.UNA after an RTO. */
  sndMax: SeqNum = seq(0);
  /** Send window in bytes (already scaled). */
  sndWnd = 0;
  sndWl1: SeqNum = seq(0);
  sndWl2: SeqNum = seq(0);
  /** MAX.SND.WND of RFC 5961 §5.2 and RFC 9293 §3.8.6.2.1. */
  maxSndWnd = 0;
  /** Window-scale shift applied to windows the peer sends (RFC 7323 §2.3). */
  sndShift = 0;
  /** Peer's MSS option (RFC 9293 §3.7.1: 536 when absent). */
  peerMss = 536;
  readonly sendBuffer: ByteRing;
  /** Sequence number of the first byte in the send buffer. */
  private bufSeq: SeqNum = seq(0);
  private finQueued = false;
  private synAcked = false;
  readonly rtt: RtoEstimator;
  private rttTiming: { end: SeqNum; at: number } | null = null;
  /** Consecutive retransmission timeouts without progress. */
  retransmits = 0;
  cc: CongestionControl;
  dupAcks = 0;
  inRecovery = false;
  recoveryPoint: SeqNum = seq(0);
  /** RFC 6582 `recover`: no new fast retransmit for losses older than the last RTO. */
  private recover: SeqNum | null = null;
  /**
   * The RFC 6675 scoreboard (congestion/scoreboard.ts): what the peer SACKed, IsLost, pipe,
   * NextSeg. Created when SACK is negotiated; reset after an RTO.
   */
  private scoreboard: SackScoreboard | null = null;
  /** RACK-TLP state (congestion/rack.ts): created with the first data sent when `config.rack` and SACK are on. */
  rack: RackTlp | null = null;
  /** Publishes congestion-state changes (created when someone listens). */
  private ccProbe: CongestionProbe | null = null;
  /** The current loss episode, for undoing it if D-SACKs or timestamps prove it spurious. */
  private readonly undoEpisode = new SpuriousEpisode<CongestionUndoState>();
  private persistBackoffs = 0;
  /** Zero-window probes sent since the peer last said anything. */
  private unansweredPersistProbes = 0;
  private keepaliveProbes = 0;
  private lastReceiveAt = 0;
  /** Counters of what happened (retransmissions etc.) for labs and tests. */
  readonly stats = {
    segmentsIn: 0,
    segmentsOut: 0,
    retransmits: 0,
    fastRetransmits: 0,
    /** Retransmissions found lost again during SACK recovery and resent without an RTO. */
    lostRetransmits: 0,
    /** Bytes RACK marked lost (RFC 8985 §6.2 step 5). */
    rackLostBytes: 0,
    /** Tail loss probes sent (RFC 8985 §7.3), and those that repaired a loss (§7.4). */
    tlpProbes: 0,
    tlpRecoveries: 0,
    /** Congestion reductions undone as spurious (D-SACKs, RFC 3708, or timestamps, RFC 3522). */
    spuriousUndos: 0,
    rtoExpirations: 0,
    dupAcksIn: 0,
    challengeAcks: 0,
    zeroWindowProbes: 0,
    keepaliveProbes: 0,
    outOfOrderSegments: 0,
    droppedSegments: 0,
    /** RFC 3168: data segments that arrived CE-marked; ACKs with ECE that arrived; window reductions for them; CWR sent. */
    ceReceived: 0,
    eceReceived: 0,
    ecnReductions: 0,
    cwrSent: 0,
    /** New-data segments sent longer than one MSS (segmentation offload, TcpConnectionEnv.tsoMaxBytes). */
    tsoSegments: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };

  // ---- receiver (RCV.*) ----
  irs: SeqNum = seq(0);
  rcvNxt: SeqNum = seq(0);
  /** Right edge of the window last advertised (RCV.NXT + RCV.WND when we sent it). */
  private rcvAdvRight: SeqNum = seq(0);
  /** Our window-scale shift (what we announce in our SYN). */
  rcvShift = 0;
  private ourShift = 0;
  readonly receiveBuffer: ByteRing;
  readonly assembler: Assembler;
  /** Sequence number of the peer's FIN once seen (possibly out of order). */
  private peerFinSeq: SeqNum | null = null;
  /** The peer's FIN was processed: no more data will come. */
  finReceived = false;
  /** shutdown(SHUT_RD): incoming data is acknowledged and dropped. */
  private readShut = false;
  /** shutdown(SHUT_WR) or close(): no more writes. */
  writeShut = false;
  private fullSegmentsUnacked = 0;
  /** End of the latest new-data segment sent longer than one MSS (segmentation offload), if any. */
  private tsoEnd: SeqNum | null = null;

  // ---- ECN (RFC 3168 §6.1) ----
  /** Both ends agreed on ECN in the handshake (ECN-setup SYN and SYN-ACK). */
  ecnOk = false;
  /** Our SYN was an ECN-setup SYN (ECE+CWR); only then may a SYN-ACK with ECE turn ECN on. */
  private ecnSynSent = false;
  /** Receiver: a CE mark arrived; every ACK carries ECE until a segment with CWR arrives (§6.1.3). */
  private ecnEcho = false;
  /** Sender: the window was reduced; the next new data segment carries CWR (§6.1.2). */
  private cwrPending = false;
  /** Sender: SND.MAX at the last reduction; ECE is answered once per window of data (§6.1.2). */
  private ecnRecover: SeqNum | null = null;

  // ---- options (RFC 7323, RFC 2018) ----
  wsOk = false;
  sackOk = false;
  /**
   * The D-SACK block (RFC 2883 §4) owed to the next ACK: set by the receive path for a duplicate
   * segment, consumed by the one ACK that reports it (§4: a duplicate is reported once).
   */
  private pendingDsack: { left: SeqNum; right: SeqNum } | null = null;
  tsOk = false;
  private tsOffset = 0;
  private tsRecent = 0;
  private tsRecentAt = 0;
  private lastAckSent: SeqNum = seq(0);

  /** Running timers: when each is due (the value is what probes and tests see). */
  private timers = new Map<TimerName, number>();
  /** The Clock timer behind each running timer, and when it is set to go off (≤ the deadline). */
  private clockTimers = new Map<TimerName, { handle: TimerHandle; at: number }>();
  private challengeWindowStart = -Infinity;
  private challengeCount = 0;
  /** Id of the probe event being handled (cause of what we send now). */
  private currentCause: number | undefined;
  /** IP ECN codepoint of the segment being handled. */
  private segmentEcn = ECN_NOT_ECT;
  /** A first CE mark arrived with data: ACK it at once (Linux tcp_ecn_check_ce enters quick-ack). */
  private ceAckNow = false;

  constructor(
    readonly endpoints: Endpoints,
    private readonly env: TcpConnectionEnv,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP_CONFIG, ...config };
    this.subject = endpointName(endpoints);
    this.sendBuffer = new ByteRing(this.config.sendBufferSize);
    this.receiveBuffer = new ByteRing(this.config.receiveBufferSize);
    this.assembler = new Assembler(this.config.maxOutOfOrderRanges);
    this.rtt = new RtoEstimator({
      minRtoMs: this.config.minRtoMs,
      maxRtoMs: this.config.maxRtoMs,
      initialRtoMs: this.config.initialRtoMs,
      granularityMs: 1,
      varianceFloorMs: this.config.rtoVarianceFloorMs,
    });
    this.cc = createCongestionControl(this.config.congestion, { initialWindow: this.config.initialWindow });
    // Our window-scale shift: the smallest that lets the receive buffer be advertised (RFC 7323 §2.3, max 14).
    let shift = 0;
    while (shift < 14 && this.config.receiveBufferSize >> shift > 0xffff) shift++;
    this.ourShift = shift;
    this.tsOffset = env.tsOffset !== undefined ? env.tsOffset >>> 0 : env.random ? env.random() >>> 0 : 0;
  }

  private now(): number {
    return this.env.clock.now();
  }

  // =====================================================================================
  // Opening
  // =====================================================================================

  /** Active OPEN (§3.10.1): send SYN, enter SYN-SENT. */
  connect(iss: SeqNum, causeId?: number): void {
    if (this.state !== 'CLOSED') throw new Error(`connect in state ${this.state}`);
    this.passiveOpen = false;
    this.initSend(iss);
    this.setState('SYN-SENT', 'active open (send SYN)');
    this.currentCause = causeId;
    this.sendSyn(false);
    this.armRto();
  }

  /** Passive OPEN (§3.10.1): wait in LISTEN; the ISS is chosen when a SYN arrives. */
  listen(issForSyn: () => SeqNum): void {
    if (this.state !== 'CLOSED' && this.state !== 'LISTEN') throw new Error(`listen in state ${this.state}`);
    this.passiveOpen = true;
    this.issForSyn = issForSyn;
    this.setState('LISTEN', 'passive open');
  }
  private issForSyn: (() => SeqNum) | null = null;

  private initSend(iss: SeqNum): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.bufSeq = seqAdd(iss, 1);
    this.synAcked = false;
  }

  /**
   * A connection created straight into ESTABLISHED from a valid SYN cookie (RFC 4987 §3.6):
   * the layer decoded ISS, IRS and the MSS from the cookie ACK.
   */
  establishFromCookie(p: {
    iss: SeqNum;
    irs: SeqNum;
    peerMss: number;
    window: number;
    wscale: number | null;
    sackOk: boolean;
    tsecr: number | null;
    tsval: number | null;
    ack: SeqNum;
    seq: SeqNum;
  }): void {
    this.passiveOpen = true;
    // Our TSvals keep the host pair's offset (env.tsOffset), which the cookie SYN,ACK's TSval used
    // too, never ahead of the clock (layer.ts sendCookieSynAck): later TSvals do not go backwards.
    this.initSend(p.iss);
    this.sndUna = seqAdd(p.iss, 1);
    this.sndNxt = this.sndUna;
    this.sndMax = this.sndUna;
    this.synAcked = true;
    this.irs = p.irs;
    this.rcvNxt = seqAdd(p.irs, 1);
    this.lastAckSent = this.rcvNxt;
    this.peerMss = p.peerMss;
    this.wsOk = this.config.windowScaling && p.wscale !== null;
    this.sndShift = this.wsOk ? Math.min(14, p.wscale!) : 0;
    this.rcvShift = this.wsOk ? this.ourShift : 0;
    this.sackOk = this.config.sack && p.sackOk;
    this.tsOk = this.config.timestamps && p.tsval !== null && p.tsecr !== null;
    if (this.tsOk) {
      this.tsRecent = p.tsval!;
      this.tsRecentAt = this.now();
    }
    this.sndWnd = p.window << this.sndShift;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = p.seq;
    this.sndWl2 = p.ack;
    this.rcvAdvRight = seqAdd(this.rcvNxt, Math.min(this.receiveBuffer.capacity, 0xffff << this.rcvShift));
    this.cc.init(this.effectiveMss(), this.now());
    this.probeCc('init');
    this.setState('ESTABLISHED', 'rcv ACK with valid SYN cookie');
    this.onEstablished();
  }

  // =====================================================================================
  // User calls
  // =====================================================================================

  /** SEND (§3.10.2): queues what fits in the send buffer; returns the bytes taken. */
  write(data: Uint8Array, causeId?: number): number {
    if (this.writeShut) throw new TcpError('EPIPE', 'send after shutdown(SHUT_WR) or close');
    switch (this.state) {
      case 'CLOSED':
        throw new TcpError(this.error ?? 'ENOTCONN', 'connection is closed');
      case 'LISTEN':
        throw new TcpError('ENOTCONN', 'socket is listening');
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSING':
      case 'LAST-ACK':
      case 'TIME-WAIT':
        throw new TcpError('EPIPE', `connection closing (${this.state})`);
      default:
        break;
    }
    const n = this.sendBuffer.append(data);
    if (n > 0) {
      this.currentCause = causeId;
      this.trySend();
    }
    return n;
  }

  /** Bytes that can be written now. */
  get writableBytes(): number {
    return this.sendBuffer.free;
  }

  /** Bytes waiting to be read. */
  get readableBytes(): number {
    return this.receiveBuffer.length;
  }

  /** True once the peer's FIN arrived and every byte before it was read. */
  get readEof(): boolean {
    return (this.finReceived || this.readShut) && this.receiveBuffer.length === 0;
  }

  /** RECEIVE (§3.10.3): takes up to `max` bytes; may send a window update. */
  read(max: number, causeId?: number): Uint8Array {
    const before = this.advertisedWindow();
    const out = this.receiveBuffer.read(max);
    if (out.length > 0 && this.isSynchronized()) {
      // Window update (§3.8.6.2.2 with Linux's tcp_cleanup_rbuf rule): tell the peer when the
      // window we may now offer is at least twice what it last saw, or reopens from below one MSS.
      if (this.updateRightEdge()) {
        const after = this.advertisedWindow();
        if (after >= 2 * before || before < this.rcvMss()) {
          this.currentCause = causeId;
          this.sendAck();
        }
      }
    }
    return out;
  }

  /** shutdown(2). */
  shutdown(how: 'read' | 'write' | 'both', causeId?: number): void {
    this.currentCause = causeId;
    if (how === 'read' || how === 'both') {
      this.readShut = true;
      this.receiveBuffer.clear();
      this.assembler.clear();
    }
    if (how === 'write' || how === 'both') this.closeSending('shutdown(SHUT_WR)');
  }

  /**
   * CLOSE (§3.10.4) of a socket nobody will read from again. Unread data makes it an abort
   * (RFC 2525 §2.17, Linux tcp_close), SO_LINGER 0 is `abort()` by the caller.
   */
  close(causeId?: number): void {
    this.currentCause = causeId;
    this.orphaned = true;
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'LISTEN':
      case 'SYN-SENT':
        this.toClosed('close', null);
        return;
      default:
        break;
    }
    if (this.receiveBuffer.length > 0) {
      this.abort('close with unread data (RFC 2525 §2.17)');
      return;
    }
    this.readShut = true;
    this.closeSending('close');
    if (this.state === 'FIN-WAIT-2') this.startTimer('fin-wait-2', this.config.finWait2TimeoutMs);
  }

  /** Ends the connection with an error learned elsewhere (ICMP hard error), without a RST. */
  fail(errno: TcpErrno, cause: string): void {
    if (this.state !== 'CLOSED') this.toClosed(cause, errno);
  }

  /** ABORT (§3.10.5): RST to the peer in synchronized states, then CLOSED. */
  abort(cause = 'abort', errno: TcpErrno | null = null): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.emit({ flags: TCP_RST | TCP_ACK, seq: this.sndMax, ack: this.rcvNxt, payload: EMPTY, options: [], window: 0 });
        break;
      default:
        break;
    }
    if (this.state !== 'CLOSED') this.toClosed(cause, errno);
  }

  private closeSending(cause: string): void {
    if (this.writeShut) return;
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.writeShut = true;
        this.finQueued = true;
        this.setState('FIN-WAIT-1', cause);
        this.trySend();
        break;
      case 'CLOSE-WAIT':
        this.writeShut = true;
        this.finQueued = true;
        this.setState('LAST-ACK', cause);
        this.trySend();
        break;
      case 'SYN-SENT':
        this.writeShut = true;
        this.toClosed(cause, null);
        break;
      default:
        this.writeShut = true;
    }
  }

  // =====================================================================================
  // Segment arrival (§3.10.7)
  // =====================================================================================

  /** `ecn` is the IP ECN codepoint the segment's datagram carried (RFC 3168 §5). */
  handleSegment(seg: TcpSegment, causeId?: number, ecn: number = ECN_NOT_ECT): void {
    this.currentCause = causeId;
    this.segmentEcn = ecn;
    this.ceAckNow = false;
    this.stats.segmentsIn++;
    this.probeSegment('segment-in', seg, causeId);
    switch (this.state) {
      case 'CLOSED':
        this.replyReset(seg);
        return;
      case 'LISTEN':
        this.inListen(seg);
        return;
      case 'SYN-SENT':
        this.inSynSent(seg);
        return;
      default:
        this.inSynchronized(seg);
    }
  }

  /** §3.10.7.1: a reset for a segment that has no (or a closed) connection. */
  private replyReset(seg: TcpSegment): void {
    const r = resetFor(seg);
    if (r) this.emit({ flags: r.flags, seq: r.seq, ack: r.ack, payload: EMPTY, options: [], window: 0 });
  }

  /** §3.10.7.2 LISTEN. */
  private inListen(seg: TcpSegment): void {
    if (seg.flags & TCP_RST) return this.drop('rst-in-listen');
    if (seg.flags & TCP_ACK) {
      // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state."
      this.emit({ flags: TCP_RST, seq: seg.ack, ack: seq(0), payload: EMPTY, options: [], window: 0 });
      return;
    }
    if (!(seg.flags & TCP_SYN)) return this.drop('no-syn-in-listen');
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.takeSynOptions(seg);
    // RFC 3168 §6.1.1: an ECN-setup SYN has both ECE and CWR; we answer with an ECN-setup SYN-ACK
    // (ECE only) when ECN is enabled at all (tcp_ecn 1 or 2).
    this.ecnOk = this.config.ecn !== 0 && (seg.flags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
    if (this.ecnOk) this.probe('ecn', { event: 'negotiated', role: 'passive' });
    const iss = this.issForSyn ? this.issForSyn() : seq(0);
    this.initSend(iss);
    this.sndWnd = seg.window; // a SYN's window is never scaled (RFC 7323 §2.2)
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = seg.seq;
    this.sndWl2 = iss;
    this.setState('SYN-RECEIVED', 'rcv SYN (send SYN,ACK)');
    this.sendSyn(true);
    this.armRto();
  }

  /** §3.10.7.3 SYN-SENT. */
  private inSynSent(seg: TcpSegment): void {
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    // First: the ACK bit. Unacceptable if SEG.ACK =< ISS or SEG.ACK > SND.NXT.
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (!(seg.flags & TCP_RST)) this.emit({ flags: TCP_RST, seq: seg.ack, ack: seq(0), payload: EMPTY, options: [], window: 0 });
      return this.drop('syn-sent-bad-ack');
    }
    // Second: RST. Acceptable only with an acceptable ACK (RFC 5961 §3.2 keeps this for SYN-SENT).
    if (seg.flags & TCP_RST) {
      if (!hasAck) return this.drop('syn-sent-rst-without-ack');
      this.toClosed('rcv RST (connection refused)', 'ECONNREFUSED');
      return;
    }
    // Fourth: SYN.
    if (!(seg.flags & TCP_SYN)) return this.drop('syn-sent-no-syn');
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.takeSynOptions(seg);
    if (hasAck) {
      // RFC 3168 §6.1.1: an ECN-setup SYN-ACK has ECE and not CWR, and counts only as the answer to
      // our ECN-setup SYN. A SYN-ACK with both bits set is from a broken peer: no ECN.
      this.ecnOk = this.ecnSynSent && (seg.flags & (TCP_ECE | TCP_CWR)) === TCP_ECE;
      if (this.ecnOk) this.probe('ecn', { event: 'negotiated', role: 'active' });
      this.tsFromSegment(seg, true);
      this.ackAdvance(seg, seg.ack);
      this.sndWnd = seg.window; // unscaled in a SYN
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.cc.init(this.effectiveMss(), this.now());
      this.probeCc('init');
      this.setState('ESTABLISHED', 'rcv SYN,ACK (send ACK)');
      this.sendAck();
      this.onEstablished();
      this.trySend();
    } else {
      // Simultaneous open (§3.5 figure 7): SYN-RECEIVED and send SYN,ACK with our ISS.
      this.tsFromSegment(seg, true);
      this.sndWnd = seg.window;
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = this.iss;
      this.setState('SYN-RECEIVED', 'rcv SYN (simultaneous open, send SYN,ACK)');
      this.sendSyn(true);
      this.armRto();
    }
  }

  /** §3.10.7.4: SYN-RECEIVED and every synchronized state. */
  private inSynchronized(seg: TcpSegment): void {
    const now = this.now();
    const isRst = (seg.flags & TCP_RST) !== 0;
    const ts = this.tsOk ? findTimestamps(seg.options) : null;

    // RFC 7323 §5.3 R1 (PAWS): a segment with an older timestamp than TS.Recent is a duplicate.
    // TS.Recent older than 24 days is invalid (§5.5) and not used for the test. A reordered
    // duplicate ACK is exempt (below).
    if (ts && !isRst && this.tsRecentValid(now) && tsLt(ts.tsval, this.tsRecent) && !this.isDisorderedAck(seg, ts.tsval)) {
      this.drop('paws');
      // Its bytes below RCV.NXT were delivered already (typically the late original of a segment
      // whose retransmission carried a newer TSval): report them as a D-SACK (RFC 2883 §4), as
      // Linux's tcp_send_dupack does for a PAWS-rejected segment.
      const below = Math.min(seg.payload.length, seqDiff(this.rcvNxt, seg.seq));
      if (below > 0) this.noteDuplicate(seg.seq, below);
      this.sendAck();
      return;
    }

    // Simultaneous open (RFC 9293 §3.5 Figure 7, line 6): in SYN-RECEIVED after an active open, the
    // peer's SYN,ACK repeats its SYN's sequence number (IRS) and acknowledges ours. It completes
    // the handshake (as in the figure, and as Linux does) instead of being an old duplicate that
    // the strict acceptability test would answer with yet another SYN,ACK. Processed as the ACK it
    // carries (the SYN already counted); the window of a SYN segment is never scaled (RFC 7323 §2.2).
    if (
      this.state === 'SYN-RECEIVED' &&
      !this.passiveOpen &&
      seg.flags & TCP_SYN &&
      seg.flags & TCP_ACK &&
      seg.seq === this.irs &&
      seqLt(this.sndUna, seg.ack) &&
      seqLe(seg.ack, this.sndMax)
    ) {
      this.inSynchronized({ ...seg, flags: seg.flags & ~TCP_SYN, seq: seqAdd(seg.seq, 1), window: seg.window >> this.sndShift });
      if (this.state !== 'SYN-RECEIVED' && this.state !== 'CLOSED') {
        this.sndWnd = seg.window;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sendAck();
      }
      return;
    }

    // A retransmitted SYN while in SYN-RECEIVED: our SYN,ACK was lost; send it again.
    if (this.state === 'SYN-RECEIVED' && seg.flags & TCP_SYN && !(seg.flags & TCP_ACK) && seg.seq === this.irs) {
      // The peer may have fallen back to a non-ECN SYN (RFC 3168 §6.1.1.1): answer what it asks now.
      if (this.passiveOpen) this.ecnOk = this.config.ecn !== 0 && (seg.flags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
      this.sendSyn(true);
      return;
    }

    // First: sequence number acceptability (§3.10.7.4 table).
    const len = segLen(seg);
    const wnd = this.receiveWindowForAcceptance();
    let acceptable: boolean;
    if (len === 0) {
      acceptable = wnd === 0 ? seg.seq === this.rcvNxt : inWindow(seg.seq, this.rcvNxt, wnd);
    } else if (wnd === 0) {
      acceptable = false;
    } else {
      acceptable = inWindow(seg.seq, this.rcvNxt, wnd) || inWindow(seqAdd(seg.seq, len - 1), this.rcvNxt, wnd);
    }
    if (!acceptable) {
      if (isRst) return this.drop('rst-out-of-window');
      // §3.10.7.4: with RCV.WND zero, still process valid ACKs (zero-window probes carry them).
      if (wnd === 0 && seg.seq === this.rcvNxt && seg.flags & TCP_ACK && this.isSynchronized()) {
        this.processAck(seg, now);
        if (this.state === 'CLOSED') return;
      }
      if (this.state === 'TIME-WAIT' && seg.flags & TCP_FIN && seqAdd(seg.seq, len) === this.rcvNxt) {
        // §3.10.7.4 eighth step: a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2MSL.
        this.probe('fin-retransmitted', {});
        this.sendAck();
        this.startTimer('time-wait', this.config.timeWaitMs);
        return;
      }
      this.drop(this.state === 'TIME-WAIT' ? 'time-wait-old-duplicate' : 'out-of-window');
      // RFC 2883 §4: data wholly below RCV.NXT was already acknowledged; this ACK reports it.
      if (seqLe(seqAdd(seg.seq, seg.payload.length), this.rcvNxt)) this.noteDuplicate(seg.seq, seg.payload.length);
      this.sendAck();
      return;
    }

    // Second: RST (RFC 5961 §3.2): exact match resets; otherwise in window gets a challenge ACK.
    if (isRst) {
      if (seg.seq !== this.rcvNxt) {
        this.sendChallengeAck('rst-in-window');
        return;
      }
      this.onReset();
      return;
    }

    // RFC 7323 §4.3 (R3): remember the timestamp of a segment that covers Last.ACK.sent.
    if (ts) this.updateTsRecent(seg, ts.tsval, now);

    // Fourth: SYN in a synchronized state (RFC 5961 §4.2): challenge ACK, whatever its sequence.
    if (seg.flags & TCP_SYN) {
      if (this.state === 'SYN-RECEIVED' && this.passiveOpen) {
        // §3.10.7.4: passive SYN-RECEIVED returns to LISTEN on a (new) SYN.
        this.returnToListen('rcv SYN in SYN-RECEIVED');
        return;
      }
      this.sendChallengeAck('syn-in-window');
      return;
    }

    // RFC 3168 §6.1.3 receiver: CWR ends the echo (the sender has reduced), then a CE mark on this
    // segment starts it again. Both before the ACK is processed, so what we send now carries it.
    if (this.ecnOk) this.ecnReceive(seg);

    // Fifth: ACK.
    if (!(seg.flags & TCP_ACK)) return this.drop('no-ack');
    this.lastReceiveAt = now;
    this.keepaliveProbes = 0;
    this.unansweredPersistProbes = 0;
    if (this.state === 'SYN-RECEIVED') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        this.emit({ flags: TCP_RST, seq: seg.ack, ack: seq(0), payload: EMPTY, options: [], window: 0 });
        return this.drop('syn-received-bad-ack');
      }
      this.cc.init(this.effectiveMss(), now);
      this.probeCc('init');
      this.sndWnd = seg.window << this.sndShift;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      const wasClosing = this.finQueued; // close() in SYN-RECEIVED already moved us to FIN-WAIT-1
      if (!wasClosing) this.setState('ESTABLISHED', 'rcv ACK of SYN');
      this.onEstablished();
    } else if (this.state === 'FIN-WAIT-1' && !this.synAcked) {
      // Closed while in SYN-RECEIVED: this ACK completes the handshake.
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndMax))) {
        this.emit({ flags: TCP_RST, seq: seg.ack, ack: seq(0), payload: EMPTY, options: [], window: 0 });
        return this.drop('syn-received-bad-ack');
      }
      this.cc.init(this.effectiveMss(), now);
      this.probeCc('init');
      this.handshakeRtoFallback();
    }
    if (!this.processAck(seg, now)) return;
    if (this.state === 'CLOSED') return;

    // Sixth: URG is not supported; urgent data is delivered inline (RFC 6093 recommends not using it).

    // Seventh: segment text.
    let text = seg.payload;
    let segSeq = seg.seq;
    let fin = (seg.flags & TCP_FIN) !== 0;
    if (text.length > 0 || fin) {
      switch (this.state) {
        case 'ESTABLISHED':
        case 'FIN-WAIT-1':
        case 'FIN-WAIT-2':
          break;
        case 'CLOSE-WAIT':
        case 'CLOSING':
        case 'LAST-ACK':
        case 'TIME-WAIT':
          // "This should not occur since a FIN has been received from the remote side. Ignore".
          if (this.state === 'TIME-WAIT' && fin) {
            // §3.10.7.4 eighth step: a retransmitted FIN in TIME-WAIT is acknowledged and restarts 2MSL.
            this.sendAck();
            this.startTimer('time-wait', this.config.timeWaitMs);
            return;
          }
          if (text.length > 0) this.drop('data-after-fin');
          this.sendAck();
          return;
        default:
          return;
      }
      if (this.orphaned && text.length > 0 && seqGt(seqAdd(segSeq, text.length), this.rcvNxt)) {
        // Linux tcp_rcv_state_process: new data for a closed socket aborts it (RFC 9293 §3.10.4 leaves it open).
        this.abort('data after close');
        return;
      }
      // Trim what we already have (front) and what is beyond the window (back).
      const front = seqDiff(this.rcvNxt, segSeq);
      if (front > 0) {
        // RFC 2883 §4: a segment partly below RCV.NXT is reported by its part below.
        this.noteDuplicate(segSeq, Math.min(front, text.length));
        text = text.subarray(Math.min(front, text.length));
        segSeq = this.rcvNxt;
      }
      const room = seqDiff(this.rcvAdvRightForReceive(), segSeq);
      if (text.length > room) {
        text = text.subarray(0, Math.max(0, room));
        fin = false; // the FIN lies beyond the window
      }
      if (fin) {
        const finSeq = seqAdd(segSeq, text.length);
        if (this.peerFinSeq === null) this.peerFinSeq = finSeq;
      }
      this.receiveText(segSeq, text);
    }
  }

  // =====================================================================================
  // ACK processing (sender side, §3.10.7.4 fifth step, RFC 5681/6582/6675/6298)
  // =====================================================================================

  /** Returns false when the segment must be dropped. */
  private processAck(seg: TcpSegment, now: number): boolean {
    const ack = seg.ack;
    // RFC 5961 §5.2: acceptable if SND.UNA − MAX.SND.WND =< SEG.ACK =< SND.NXT.
    if (seqGt(ack, this.sndMax)) {
      this.drop('ack-of-unsent-data');
      this.sendChallengeAck('ack-too-new');
      return false;
    }
    if (seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
      this.drop('ack-too-old');
      this.sendChallengeAck('ack-too-old');
      return false;
    }
    const window = seg.window << this.sndShift;
    const outstanding = seqDiff(this.sndMax, this.sndUna) > 0;
    // RFC 6675 §5 Update(): SACK blocks and the cumulative ACK go to the scoreboard first.
    const sackUpdate = this.updateScoreboard(seg);
    if (sackUpdate?.dsack && this.undoEpisode.active) {
      const d = this.ackSackBlocks[0]!;
      if (this.undoEpisode.onDsack(d.left, d.right)) this.undoIfSpurious('dsack');
    }
    const newlySacked = sackUpdate ? sackUpdate.newlySackedBytes : 0;
    const advanced = seqGt(ack, this.sndUna);
    const pureDupAck = ack === this.sndUna && outstanding && seg.payload.length === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && window === this.sndWnd;
    if (advanced) {
      this.ackAdvance(seg, ack);
    } else if (
      ack === this.sndUna &&
      outstanding &&
      !this.timers.has('persist') &&
      // RFC 5681 §2 "duplicate acknowledgment" (a)-(e), or RFC 6675 §2: an ACK that SACKs new data.
      (pureDupAck || newlySacked > 0)
    ) {
      this.onDupAck(now);
      this.probeCc('dup-ack');
    } else if (newlySacked > 0) {
      this.probeCc('sack');
    }
    if (this.rack) this.rackOnAck(seg, now, sackUpdate, pureDupAck);
    else if (!this.inRecovery && this.recover !== null && seqLt(this.sndUna, this.recover)) this.retransmitLostAfterRto();
    if (this.ecnOk && seg.flags & TCP_ECE) this.onEcnEcho(ack, now);
    // Window update (§3.10.7.4): if SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK).
    if (seqLe(this.sndUna, ack) && (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack)))) {
      const opened = this.sndWnd === 0 && window > 0;
      this.sndWnd = window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      this.maxSndWnd = Math.max(this.maxSndWnd, window);
      if (opened || window > 0) {
        if (this.timers.has('persist')) {
          this.stopTimer('persist');
          this.persistBackoffs = 0;
        }
      }
    }
    // State-specific parts of the fifth step.
    const finAcked = this.finAcked();
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (finAcked) {
          this.setState('FIN-WAIT-2', 'rcv ACK of FIN');
          if (this.orphaned) this.startTimer('fin-wait-2', this.config.finWait2TimeoutMs);
        }
        break;
      case 'CLOSING':
        if (finAcked) {
          this.setState('TIME-WAIT', 'rcv ACK of FIN');
          this.enterTimeWait();
        }
        break;
      case 'LAST-ACK':
        if (finAcked) {
          this.toClosed('rcv ACK of FIN', null);
          return false;
        }
        break;
      default:
        break;
    }
    const maxBefore = this.sndMax;
    this.ackInProgress = true;
    this.trySend();
    this.ackInProgress = false;
    this.afterSendCheckTimers();
    // RFC 8985 §7.2: (re)start the probe timer on an ACK that acknowledges new data, or after the
    // new data it let us send (once per ACK, not again in trySend).
    if (this.rack && (advanced || this.sndMax !== maxBefore)) this.scheduleTlp();
    return true;
  }

  /** SND.UNA advances to `ack`: free acknowledged data, time RTT, feed congestion control. */
  private ackAdvance(seg: TcpSegment, ack: SeqNum): void {
    const now = this.now();
    const flightBefore = this.flightSize();
    // Acknowledges data at or below the end of the latest multi-MSS (segmentation offload) segment.
    const ackedTso = this.tsoEnd !== null && seqLt(this.sndUna, this.tsoEnd);
    let acked = seqDiff(ack, this.sndUna);
    if (!this.synAcked && seqGt(ack, this.iss)) {
      this.synAcked = true;
      acked -= 1;
    }
    const dataAcked = Math.max(0, Math.min(seqDiff(ack, this.bufSeq), this.sendBuffer.length));
    if (dataAcked > 0) {
      this.sendBuffer.consume(dataAcked);
      this.bufSeq = seqAdd(this.bufSeq, dataAcked);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;

    // RTT sample: RFC 7323 §4 (TSecr) or one timed segment (RFC 6298 §3 with Karn's algorithm).
    let rttMs: number | undefined;
    const ts = this.tsOk ? findTimestamps(seg.options) : null;
    if (ts && ts.tsecr !== 0) {
      rttMs = Math.max(0, (this.tsNow() - ts.tsecr) | 0);
    } else if (this.rttTiming && seqGe(ack, this.rttTiming.end)) {
      rttMs = now - this.rttTiming.at;
    }
    if (this.rttTiming && seqGe(ack, this.rttTiming.end)) this.rttTiming = null;
    if (rttMs !== undefined) {
      this.rtt.sample(rttMs);
      if (this.probing()) this.probe('rtt', {
        rttMs,
        srttMs: this.rtt.srtt,
        rttvarMs: this.rtt.rttvar,
        rtoMs: this.rtt.rto,
      });
    }
    this.rtt.resetBackoff();
    this.retransmits = 0;

    const mss = this.effectiveMss();
    if (this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED') {
      if (this.inRecovery) {
        if (seqGe(ack, this.recoveryPoint)) {
          this.inRecovery = false;
          this.rack?.onRecoveryExit();
          this.cc.onExitRecovery({ now, flightSize: this.flightSize(), mss });
          this.probeCc('exit-recovery');
          // D-SACKs that came during recovery may already have answered every retransmission, or
          // this full ACK echoes a timestamp from before them (RFC 3522, Linux tcp_try_undo_recovery).
          this.undoIfSpurious(this.echoesOriginal(ts) ? 'timestamps' : 'dsack');
        } else {
          // Partial ACK (RFC 6582 §3.2 step 5): retransmit the next unacknowledged segment.
          this.cc.onRecoveryAck?.({ now, ackedBytes: acked, flightSize: flightBefore, mss, appLimited: false, sack: this.sackOk });
          if (this.cc.recoveryStyle === 'reno' && !this.sackOk) {
            this.inRecovery = false;
            this.cc.onExitRecovery({ now, flightSize: this.flightSize(), mss });
            this.probeCc('exit-recovery');
          } else if (!this.sackOk) {
            this.retransmitAt(this.sndUna, 'partial ack');
          }
          if (this.inRecovery) this.probeCc('partial-ack');
        }
      } else if (acked > 0) {
        // The first ACKs of new data after an RTO: one that echoes a timestamp from before the
        // retransmissions says the timeout was spurious (RFC 3522 §3.2; Linux tcp_try_undo_loss).
        if (this.recover !== null && seqLt(seqAdd(ack, -acked), this.recover) && this.echoesOriginal(ts)) this.undoIfSpurious('timestamps');
        const appLimited = this.sendBuffer.length - this.sentOffset() <= 0 && flightBefore < this.cc.cwnd;
        this.cc.onAck({
          now,
          ackedBytes: acked,
          flightSize: flightBefore,
          mss,
          rttMs,
          minRttMs: Number.isFinite(this.rtt.minRtt) ? this.rtt.minRtt : undefined,
          appLimited,
          ackSeq: ack,
          sndNxt: this.sndNxt,
          // One ACK per multi-MSS segment is the receiver's normal clock then (GRO), not a stretch
          // ACK: count each MSS of it, as Linux's tcp_slow_start counts every packet of a GSO segment.
          abcSegments: ackedTso ? Math.ceil(acked / mss) : undefined,
        });
        this.probeCc('ack');
      }
    }
    this.dupAcks = 0;
    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (seqDiff(this.sndMax, this.sndUna) > 0) this.armRto(true);
    else this.stopTimer('rto');
    if (this.sendBuffer.free > 0) this.events.writable?.();
  }

  private onDupAck(now: number): void {
    this.dupAcks++;
    this.stats.dupAcksIn++;
    const mss = this.effectiveMss();
    if (this.inRecovery) {
      this.cc.onDupAck({ now, mss, inRecovery: true });
      return;
    }
    // RFC 8985 §6.2: with RACK, time decides what is lost (rackOnAck), not the count of duplicates.
    if (this.rack) {
      this.cc.onDupAck({ now, mss, inRecovery: false });
      return;
    }
    // RFC 6675 §5: with SACK, recovery starts once IsLost(HighACK + 1) says so, even before 3 duplicates.
    const sackSaysLost = this.scoreboard !== null && this.scoreboard.isLost(this.sndUna);
    if (this.dupAcks >= this.config.dupThresh || sackSaysLost) {
      // RFC 6582 §3.2 step 2: only if this loss is newer than the last recovery or RTO.
      if (this.recover !== null && seqLt(this.sndUna, this.recover)) {
        this.cc.onDupAck({ now, mss, inRecovery: false });
        return;
      }
      this.inRecovery = true;
      this.recoveryPoint = this.sndMax;
      this.recover = this.sndMax;
      this.stats.fastRetransmits++;
      this.beginUndoEpisode(false);
      this.cc.onEnterRecovery({ now, flightSize: this.flightSize(), mss, cause: 'fast-retransmit', sack: this.sackOk });
      this.ecnReduced();
      this.probeCc('enter-recovery');
      if (this.scoreboard) {
        const first = this.scoreboard.enterRecovery(); // RFC 6675 §5 step 4: retransmit HighACK + 1
        this.retransmitAt(seq(first.seq), 'fast retransmit', first.len);
      } else {
        this.retransmitAt(this.sndUna, 'fast retransmit');
      }
      this.probeCc('send');
      this.armRto(true);
      this.trySend();
    } else {
      // Limited transmit (RFC 3042): the first two duplicate ACKs may each send one new segment.
      this.cc.onDupAck({ now, mss, inRecovery: false });
    }
  }

  // ---- ECN (RFC 3168 §6.1.2, §6.1.3) ----

  /** Receiver half: CWR clears the echo, CE (on an ECN connection) sets it. */
  private ecnReceive(seg: TcpSegment): void {
    if (seg.flags & TCP_CWR && this.ecnEcho) {
      this.ecnEcho = false;
      this.probe('ecn', { event: 'cwr-received' });
    }
    if (this.segmentEcn === ECN_CE) {
      this.stats.ceReceived++;
      const first = !this.ecnEcho;
      this.ecnEcho = true;
      // Linux tcp_ecn_check_ce: the first CE is ACKed at once (the sender may have a tiny cwnd).
      if (first && seg.payload.length > 0) this.ceAckNow = true;
      this.probe('ecn', { event: 'ce-received', seq: seg.seq, len: seg.payload.length });
    }
  }

  /**
   * Sender half: an ACK with ECE. RFC 3168 §6.1.2: halve like a loss (ssthresh and cwnd, through
   * the controller's 'ecn' cause) but retransmit nothing, at most once per window of data: ECEs for
   * data sent before the last reduction (ACK ≤ SND.MAX at that reduction) and ECEs during loss
   * recovery (already reduced) are ignored. The next new data segment carries CWR.
   */
  private onEcnEcho(ack: SeqNum, now: number): void {
    this.stats.eceReceived++;
    if (this.inRecovery || (this.ecnRecover !== null && seqLe(ack, this.ecnRecover))) return;
    this.stats.ecnReductions++;
    // A reduction for congestion the network reported: no later evidence may undo past it (Linux
    // tcp_enter_cwr clears undo_marker).
    this.undoEpisode.clear();
    this.cc.onEnterRecovery({ now, flightSize: this.flightSize(), mss: this.effectiveMss(), cause: 'ecn' });
    this.ecnReduced();
    this.probeCc('ecn');
  }

  /**
   * cwnd was just reduced (ECE, fast retransmit or RTO): RFC 3168 §6.1.2 "sets the CWR flag in the
   * TCP header of the first new data packet sent after the window reduction", and ECE for data
   * already in flight says nothing new.
   */
  private ecnReduced(): void {
    if (!this.ecnOk) return;
    this.cwrPending = true;
    this.ecnRecover = this.sndMax;
  }

  /**
   * After an RTO, until SND.UNA passes what was outstanding at the timeout, no new recovery may
   * start (RFC 6582 §3.2 step 2, RFC 6675 §5.1) and go-back-N resends the holes once. When SACKs
   * show that the hole at SND.UNA was lost again after go-back-N resent it (IsLost), resend it
   * now, once, without another window reduction — as Linux does in its Loss state — instead of
   * waiting for a second RTO. At ~10% loss one go-back-N resend in ten is lost.
   */
  private retransmitLostAfterRto(): void {
    const sb = this.scoreboard;
    if (!sb || !seqLt(this.sndUna, this.sndNxt)) return; // go-back-N has not resent it yet
    if (this.lossResentTo !== null && seqLt(this.sndUna, this.lossResentTo)) return;
    if (!sb.isLost(this.sndUna)) return;
    const next = sb.nextSackedStart(this.sndUna);
    const len = next === null ? undefined : seqDiff(seq(next), this.sndUna);
    this.lossResentTo = this.retransmitAt(this.sndUna, 'lost after rto', len);
  }
  /** End of the last segment retransmitLostAfterRto sent (one resend per hole). */
  private lossResentTo: SeqNum | null = null;

  // ---- RACK-TLP (RFC 8985 via congestion/rack.ts) ----

  /** The RACK-TLP state when it is on for this connection (config.rack and SACK negotiated). */
  private rackState(): RackTlp | null {
    if (!this.rack && this.config.rack && this.sackOk && this.synAcked) {
      this.rack = new RackTlp();
      this.rack.reset(this.sndUna);
    }
    return this.rack;
  }

  /** In fast recovery, or recovering from an RTO until SND.UNA passes what was outstanding then. */
  private recovering(): boolean {
    return this.inRecovery || (this.recover !== null && seqLt(this.sndUna, this.recover));
  }

  /**
   * RFC 8985 §6.2 on an ACK: RACK state from what it delivered (steps 1–4), loss detection
   * (step 5) with the reordering timer (§6.3), and the probe episode (§7.4).
   */
  private rackOnAck(seg: TcpSegment, now: number, sack: SackUpdate | null, pureDupAck: boolean): void {
    const rack = this.rack!;
    const all = this.ackSackBlocks;
    const blocks = sack ? (sack.dsack ? all.slice(1) : all) : NO_BLOCKS;
    const ts = this.tsOk ? findTimestamps(seg.options) : null;
    const canLose = rack.onAck({
      now,
      ack: seg.ack,
      blocks,
      dsack: sack?.dsack ?? false,
      tsEchoMs: ts && ts.tsecr !== 0 ? ((ts.tsecr - this.tsOffset) >>> 0) : null,
      minRttMs: this.rtt.minRtt,
      srttMs: this.rtt.srtt,
      sndMax: this.sndMax,
      inRecovery: this.recovering(),
      dupThresh: this.config.dupThresh,
      mss: this.effectiveMss(),
    });
    // §7.4: did a probe retransmission repair a loss the ACKs would otherwise hide?
    if (rack.tlpEndSeq !== null) {
      const verdict = rack.tlpOnAck({ ack: seg.ack, dsackBlock: sack?.dsack ? all[0]! : null, otherSack: blocks.length > 0, dupAck: pureDupAck });
      if (verdict === 'repaired') {
        this.stats.tlpRecoveries = rack.tlpRecoveries;
        this.probe('tlp-recovery', { tlpEndSeq: seg.ack });
        if (!this.recovering()) {
          // One loss repaired by the probe: reduce cwnd once, as for a fast retransmit (Linux tcp_process_tlp_ack).
          // A real loss: an open episode may no longer be undone past it.
          this.undoEpisode.clear();
          this.cc.onEnterRecovery({ now, flightSize: this.flightSize(), mss: this.effectiveMss(), cause: 'fast-retransmit', sack: true });
          this.ecnReduced();
          this.probeCc('tlp-recovery');
        }
      }
    }
    if (canLose || rack.lostBytes > 0 || this.timers.has('rack-reorder')) this.rackDetect(now, false);
  }

  /** RACK_detect_loss_and_arm_timer (§6.2 step 5, §6.3); starts recovery for what it finds lost. */
  private rackDetect(now: number, byTimer: boolean): void {
    const rack = this.rack!;
    const { lost, timeoutMs } = rack.detectLoss(now);
    if (timeoutMs > 0) this.startTimer('rack-reorder', timeoutMs);
    else if (this.timers.has('rack-reorder')) this.stopTimer('rack-reorder');
    if (lost.length > 0) this.rackLossesFound(lost, byTimer);
  }

  /**
   * RACK marked segments lost: a 'rack-loss' probe event (the cause of their retransmissions on
   * the ladder) and, unless already recovering, fast recovery (RFC 8985 §6.2, RFC 6675 §5 with
   * RACK's marks as IsLost; RFC 6582 `recover` still bars a new one inside an RTO's recovery).
   * trySend retransmits the lost segments first.
   */
  private rackLossesFound(lost: RackLoss[], byTimer: boolean): void {
    const rack = this.rack!;
    this.stats.rackLostBytes = rack.lostBytesMarked;
    this.stats.lostRetransmits = rack.lostRetransmissions;
    let bytes = 0;
    let retransmissions = 0;
    for (const l of lost) {
      bytes += l.len;
      if (l.retransmission) retransmissions++;
    }
    const id = this.probe('rack-loss', {
      seq: lost[0]!.seq,
      len: bytes,
      ranges: lost.length,
      retransmissions,
      byTimer,
      rackRttMs: rack.rackRtt,
      reoWndMs: rack.reoWnd,
    });
    rack.tagLossCause(id);
    if (!this.recovering()) {
      const now = this.now();
      this.inRecovery = true;
      this.recoveryPoint = this.sndMax;
      this.recover = this.sndMax;
      this.stats.fastRetransmits++;
      this.stopTimer('tlp');
      rack.tlpEndSeq = null; // the recovery's reduction answers any loss a probe repaired (Linux tcp_init_cwnd_reduction)
      this.beginUndoEpisode(false);
      this.cc.onEnterRecovery({ now, flightSize: this.flightSize(), mss: this.effectiveMss(), cause: 'fast-retransmit', sack: true });
      this.ecnReduced();
      this.probeCc('enter-recovery');
      this.armRto(true);
    }
    // The first lost segment goes at once, whatever cwnd − pipe says: RFC 6675 §5 step 4.3 (the
    // fast retransmit) and, for later marks, RFC 6937 PRR's "at least one" (Linux tcp_cwnd_reduction).
    // Going back N after an RTO, only what it already resent.
    const first = rack.firstLost(this.inRecovery ? undefined : this.sndNxt);
    if (first) {
      this.retransmitRackLoss(first, this.payloadMss());
      this.probeCc('send');
    }
  }

  /** Retransmits (up to `mss` of) a range RACK marked lost, caused by its 'rack-loss' probe event. */
  private retransmitRackLoss(lost: { seq: number; len: number; cause: number | undefined }, mss: number): void {
    const cause = this.currentCause;
    if (lost.cause !== undefined) this.currentCause = lost.cause;
    this.retransmitAt(seq(lost.seq), 'rack', Math.min(lost.len, mss));
    this.currentCause = cause;
  }

  /** The reordering timer fired (§6.3): look again with the time that has passed. */
  private onRackReorderTimer(): void {
    if (!this.rack || !SYNCHRONIZED_DATA_STATES.has(this.state) || seqDiff(this.sndMax, this.sndUna) <= 0) return;
    this.rackDetect(this.now(), true);
    this.trySend();
  }

  /**
   * RFC 8985 §7.2/§7.3: a probe may go only with data outstanding, nothing SACKed, no recovery
   * and no probe of this episode still unanswered, in a state that sends data.
   */
  private tlpMayProbe(rack: RackTlp): boolean {
    const sb = this.scoreboard;
    return (
      SYNCHRONIZED_DATA_STATES.has(this.state) &&
      seqDiff(this.sndMax, this.sndUna) > 0 &&
      !this.recovering() &&
      rack.tlpEndSeq === null &&
      (sb === null || sb.sackedBytes === 0)
    );
  }

  /**
   * TLP scheduling (RFC 8985 §7.2): with data outstanding, nothing SACKed, no recovery and no
   * probe of this episode outstanding, a probe goes after PTO unless an ACK comes first.
   */
  private scheduleTlp(): void {
    const rack = this.rack;
    if (!rack) return;
    if (!this.tlpMayProbe(rack) || this.timers.has('persist')) {
      if (this.timers.has('tlp')) this.stopTimer('tlp');
      return;
    }
    const now = this.now();
    const rtoAt = this.timers.get('rto') ?? now + this.rtt.rto;
    const pto = RackTlp.pto({
      srttMs: this.rtt.srtt,
      oneSegmentInFlight: this.flightSize() <= this.effectiveMss(),
      maxAckDelayMs: TLP_MAX_ACK_DELAY_MS,
      minExtraMs: TLP_MIN_EXTRA_MS,
      rtoRemainingMs: rtoAt - now,
    });
    this.startTimer('tlp', pto);
  }

  /**
   * The probe timeout (RFC 8985 §7.3): send one new segment if the receive window allows (cwnd
   * does not limit a probe), else retransmit the last segment sent; then restart the RTO.
   */
  private onTlp(): void {
    const rack = this.rack;
    if (!rack || !this.synAcked || !this.tlpMayProbe(rack)) return;
    const unsent = this.sendBuffer.length - this.sentOffset();
    const finPending = this.finQueued && seqLe(this.sndNxt, this.finSeq());
    const wndRoom = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
    const id = this.probe('tlp-probe', { newData: unsent > 0 && wndRoom > 0, sndNxt: this.sndNxt, srttMs: this.rtt.srtt });
    if (id !== undefined) this.currentCause = id;
    if (unsent > 0 && wndRoom > 0 && this.sndNxt === this.sndMax) {
      const len = Math.min(unsent, this.payloadMss(), wndRoom);
      const withFin = finPending && len === unsent;
      this.sendData(this.sndNxt, len, withFin, false);
      this.sndNxt = seqAdd(this.sndNxt, len + (withFin ? 1 : 0));
      this.sndMax = this.sndNxt;
      this.scoreboard?.onSend(this.sndMax);
      rack.onProbeSent(this.sndMax, false);
    } else {
      const mss = this.payloadMss();
      const dataEnd = this.finSeq();
      const lastData = seqLt(this.sndMax, dataEnd) ? this.sndMax : dataEnd;
      const lastStart = rack.lastSegmentStart();
      let start = seqAdd(lastData, -mss);
      if (lastStart !== null && seqGt(seq(lastStart), start) && seqLt(seq(lastStart), lastData)) start = seq(lastStart);
      if (seqLt(start, this.sndUna)) start = this.sndUna;
      this.retransmitAt(start, 'tlp');
      rack.onProbeSent(this.sndMax, true);
    }
    this.stats.tlpProbes = rack.tlpProbes;
    this.probeCc('send');
    this.armRto(true);
  }

  // ---- Undoing spurious reductions (RFC 3708 detection, RFC 4015 response, congestion/undo.ts) ----

  /**
   * A loss reduction is about to happen: keep the congestion state from before it. `nested`: a
   * recovery is already under way (an RTO during fast recovery, or a later RTO of the same loss),
   * so the episode goes on with the state from before its first reduction.
   */
  private beginUndoEpisode(nested: boolean): void {
    if (!this.config.undo || !this.sackOk) return;
    this.undoEpisode.begin(this.cc.saveUndoState(), nested);
  }

  /**
   * The episode was spurious — every retransmission D-SACKed (`dsack`; checked here), or the ACK in
   * hand echoes a timestamp from before them (`timestamps`; checked by the caller) — so nothing
   * was lost and the reduction is undone (RFC 4015 §2; cwnd and ssthresh never lowered). In fast
   * recovery this waits for its end, as later retransmissions may still prove a loss.
   */
  private undoIfSpurious(by: 'dsack' | 'timestamps'): void {
    if (this.inRecovery || (by === 'dsack' && !this.undoEpisode.spurious)) return;
    const saved = this.undoEpisode.take();
    if (!saved) return;
    const before = { cwnd: this.cc.cwnd, ssthresh: this.cc.ssthresh };
    this.cc.undo(saved);
    this.stats.spuriousUndos++;
    this.probe('spurious-undo', { by, cwndBefore: before.cwnd, ssthreshBefore: Number.isFinite(before.ssthresh) ? before.ssthresh : null, cwnd: this.cc.cwnd, ssthresh: Number.isFinite(this.cc.ssthresh) ? this.cc.ssthresh : null });
    this.probeCc('undo');
  }

  /** RFC 3522 §3.2 for the ACK in hand (its timestamps, as ackAdvance read them): it echoes a TSval older than the episode's first retransmission. */
  private echoesOriginal(ts: { tsecr: number } | null): boolean {
    return ts !== null && ts.tsecr !== 0 && this.undoEpisode.echoesOriginal(ts.tsecr);
  }

  // ---- SACK scoreboard (RFC 2018 §5, RFC 6675 via congestion/scoreboard.ts) ----

  /**
   * Feeds one ACK to the scoreboard; returns what changed (null without SACK). The ACK's blocks
   * stay in `ackSackBlocks` for RACK (a field, not a new object per ACK: an object spread here
   * cost ~12 % of the in-memory benchmark's CPU).
   */
  private updateScoreboard(seg: TcpSegment): SackUpdate | null {
    if (!this.sackOk || !this.synAcked) return null;
    const sb = this.ensureScoreboard();
    const blocks = this.ackSackBlocks;
    if (blocks.length > 0) blocks.length = 0; // setting length costs even when it is 0 already
    for (const o of seg.options) if (o.kind === 'sack') for (const b of o.blocks) blocks.push({ left: b.left, right: b.right });
    const u = sb.update(seg.ack, blocks, this.sndMax);
    if (!this.rack) this.stats.lostRetransmits = sb.lostRetransmissions;
    return u;
  }
  /** processAck is running trySend: it schedules the probe timer itself afterwards. */
  private ackInProgress = false;
  /** The SACK blocks of the ACK being processed (RFC 2018), as updateScoreboard read them. */
  private readonly ackSackBlocks: SackBlock[] = [];

  private ensureScoreboard(): SackScoreboard {
    if (!this.scoreboard) {
      this.scoreboard = new SackScoreboard({ mss: this.payloadMss(), dupThresh: this.config.dupThresh });
      this.scoreboard.reset(this.sndUna, this.sndMax);
    }
    this.scoreboard.mss = this.payloadMss();
    return this.scoreboard;
  }

  /**
   * Bytes in the network. With SACK in recovery: RFC 6675 SetPipe() from the scoreboard.
   * Otherwise what is outstanding (minus SACKed bytes), the inflated-cwnd scheme of RFC 5681/6582.
   */
  private pipe(): number {
    const outstanding = Math.max(0, seqDiff(this.sndNxt, this.sndUna));
    const sb = this.scoreboard;
    if (!sb) return outstanding;
    // RACK (RFC 8985 §6.2 with RFC 6675 SetPipe): un-SACKed bytes not marked lost; a retransmitted
    // lost segment is in the network again once. Going back N after an RTO, only what was resent.
    if (this.rack) {
      if (outstanding <= 0) return 0;
      return Math.max(0, outstanding - sb.sackedIn(this.sndUna, this.sndNxt) - this.rack.lostBelow(this.sndNxt));
    }
    if (this.inRecovery) return sb.pipe();
    return outstanding > 0 ? Math.max(0, outstanding - sb.sackedIn(this.sndUna, this.sndNxt)) : 0;
  }

  /** RFC 5681 FlightSize: data sent but not yet cumulatively acknowledged. */
  private flightSize(): number {
    return Math.max(0, seqDiff(this.sndMax, this.sndUna));
  }

  // =====================================================================================
  // Sending (segmentation, Nagle, sender SWS avoidance, congestion window)
  // =====================================================================================

  /** Payload bytes of buffer already sent (relative to the buffer start). */
  private sentOffset(): number {
    return Math.max(0, Math.min(seqDiff(this.sndNxt, this.bufSeq), this.sendBuffer.length));
  }

  private finSeq(): SeqNum {
    return seqAdd(this.bufSeq, this.sendBuffer.length);
  }

  private finAcked(): boolean {
    return this.finQueued && this.synAcked && seqGt(this.sndUna, this.finSeq());
  }

  /** Effective send MSS (RFC 9293 §3.7.1, RFC 6691) before per-segment options. */
  effectiveMss(): number {
    return Math.max(64, Math.min(this.peerMss, this.config.mss, this.pathMss));
  }

  /** MSS allowed by the path MTU (RFC 1191 §6.3 / RFC 8201 spirit for IPv4 PMTUD). */
  private pathMss = Infinity;

  /**
   * The path MTU shrank (ICMP "fragmentation needed" quoting our segment, or the IP layer refused
   * a DF datagram with EMSGSIZE): use the smaller MSS and resend what is outstanding at that size
   * at once (RFC 1191 §6.3: "retransmit … without waiting for the retransmission timer").
   */
  pathMtuChanged(mtu: number): void {
    const mss = Math.max(88, mtu - 40);
    if (mss >= this.effectiveMss()) return;
    this.pathMss = mss;
    this.probe('path-mtu', { mtu, mss: this.effectiveMss() });
    if (!SYNCHRONIZED_DATA_STATES.has(this.state) || !this.synAcked) return;
    if (seqDiff(this.sndMax, this.sndUna) > 0) {
      this.sndNxt = this.sndUna;
      this.trySend();
      if (this.sndNxt === this.sndUna) this.sndNxt = this.retransmitAt(this.sndUna, 'path mtu');
      this.armRto(true);
    }
  }

  /** Payload per full segment: the MSS minus the options every segment carries (timestamps). */
  /**
   * Payload that fits one segment now: the MSS minus the options this segment will carry —
   * timestamps (12 bytes) and, while we hold out-of-order data, SACK blocks (RFC 2018 §3:
   * 2 + 2 + 8·n bytes), or the IP datagram would exceed the MTU (RFC 6691 §3).
   */
  private payloadMss(): number {
    let opts = this.tsOk ? 12 : 0;
    const blocks = (this.sackOk ? this.assembler.rangeCount : 0) + (this.pendingDsack ? 1 : 0);
    if (blocks > 0) opts += 4 + 8 * Math.min(blocks, this.tsOk ? 3 : 4);
    return this.effectiveMss() - opts;
  }

  /** Sends what the windows, Nagle and SWS avoidance allow (RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4). */
  trySend(): void {
    if (!SYNCHRONIZED_DATA_STATES.has(this.state) || !this.synAcked) return;
    let guard = 0;
    let sent = false;
    let sentNew = false;
    const tsoMax = this.env.tsoMaxBytes?.() ?? 0;
    while (guard++ < 100_000) {
      const mss = this.payloadMss();
      // Limited transmit (RFC 3042): without SACK each of the first two duplicate ACKs lets one
      // segment beyond cwnd go. With SACK, pipe already leaves out the SACKed segment that ACK
      // reported, so RFC 6675 §5 step (3) sends by cwnd − pipe alone (adding both sent two per ACK).
      const limitedTransmit = !this.inRecovery && !this.scoreboard && this.dupAcks > 0 && this.dupAcks < this.config.dupThresh ? this.dupAcks * this.effectiveMss() : 0;
      const cwndRoom = this.cc.cwnd + limitedTransmit - this.pipe();
      if (this.rack && this.rack.lostBytes > 0 && cwndRoom >= mss) {
        // RACK: segments marked lost go first, lowest first (RFC 8985 §6.2; RFC 6675 NextSeg rule 1
        // with RACK's marks). Going back N after an RTO, only those it already resent (lost again).
        const lost = this.rack.firstLost(this.inRecovery ? undefined : this.sndNxt);
        if (lost) {
          this.retransmitRackLoss(lost, mss);
          sent = true;
          continue;
        }
      }
      if (this.inRecovery && this.scoreboard && !this.rack && cwndRoom >= mss) {
        // RFC 6675 §5 step (C): NextSeg() while cwnd − pipe ≥ 1 SMSS; rule 2 (new data) falls through.
        const unsentNow = Math.max(0, Math.min(this.sendBuffer.length - this.sentOffset(), seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt)));
        const next = this.scoreboard.nextSeg(unsentNow);
        if (next && next.rule !== 2 && next.len > 0) {
          this.retransmitAt(seq(next.seq), next.rule === 4 ? 'sack rescue' : 'sack hole', Math.min(next.len, mss));
          this.scoreboard.sent({ ...next, len: Math.min(next.len, mss) });
          sent = true;
          continue;
        }
      }
      // Going back N after an RTO: skip what the peer SACKed, stop each segment at the next SACKed byte.
      let sackedAhead = Infinity;
      if (this.scoreboard && seqLt(this.sndNxt, this.sndMax)) {
        const sackedEnd = this.scoreboard.sackedRangeEnd(this.sndNxt);
        if (sackedEnd !== null) {
          this.sndNxt = seqLt(seq(sackedEnd), this.sndMax) ? seq(sackedEnd) : this.sndMax;
          continue;
        }
        const next = this.scoreboard.nextSackedStart(this.sndNxt);
        if (next !== null && seqLt(seq(next), this.sndMax)) sackedAhead = seqDiff(seq(next), this.sndNxt);
      }
      const offset = this.sentOffset();
      const unsent = this.sendBuffer.length - offset;
      const finPending = this.finQueued && seqLe(this.sndNxt, this.finSeq());
      if (unsent <= 0 && !finPending) break;
      const wndRoom = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      // Segmentation offload: new data (not a go-back-N resend below SND.MAX) may go in one segment
      // of several MSS; the device cuts it (or, in memory, the peer takes it whole, as after GRO).
      const maxLen = tsoMax > mss && this.sndNxt === this.sndMax ? this.tsoSize(mss, tsoMax) : mss;
      let len = Math.min(unsent, maxLen, Math.max(0, wndRoom), Math.max(0, cwndRoom), sackedAhead);
      if (unsent > 0 && len <= 0) break;
      // A multi-MSS segment not taking the last of the data ends on a whole MSS (Linux
      // tcp_mss_split_point): the rest goes by the one-MSS rules below, so the wire carries what
      // one-MSS segments would have carried, merged.
      if (len > mss && len < unsent) len -= len % mss;
      const withFin = finPending && len === unsent;
      const outstanding = seqDiff(this.sndNxt, this.sndUna) > 0;
      if (len < mss && !withFin && len !== sackedAhead) {
        if (len < unsent) {
          // Window- or cwnd-limited: sender SWS avoidance (§3.8.6.2.1) sends a partial segment only
          // if it is at least half the largest window the peer offered, or nothing is in flight.
          if (!(len >= this.maxSndWnd / 2 && this.maxSndWnd > 0) && outstanding) break;
          if (cwndRoom < mss && outstanding) break;
        } else if (!this.config.noDelay && outstanding) {
          break; // Nagle (RFC 1122 §4.2.3.4): one small segment in flight at a time
        }
      }
      if (withFin && unsent === 0) len = 0;
      if (len > mss) {
        this.stats.tsoSegments++;
        this.tsoEnd = seqAdd(this.sndNxt, len);
      }
      this.sendData(this.sndNxt, len, withFin, false);
      const end = seqAdd(this.sndNxt, len + (withFin ? 1 : 0));
      this.sndNxt = end;
      if (seqGt(end, this.sndMax)) this.sndMax = end;
      this.scoreboard?.onSend(this.sndMax);
      sent = true;
      sentNew = true;
      if (!this.timers.has('rto')) this.armRto();
      if (len === 0 && withFin) break;
    }
    // One congestion event per burst (the segments of one burst share their time): pipe and
    // FlightSize after it. Per segment it cost about 40 % more CPU in a bulk lab for points a
    // chart draws on top of each other.
    if (sent) this.probeCc('send');
    this.afterSendCheckTimers();
    // RFC 8985 §7.2: (re)start the probe timer after sending new data (processAck does it once
    // for the ACK it is handling).
    if (sentNew && this.rack && !this.ackInProgress) this.scheduleTlp();
  }

  /**
   * Upper bound of a segmentation-offload segment now, whole MSS (Linux tcp_tso_autosize): about
   * 1 ms of data at the rate Linux would pace at (2·cwnd/SRTT in slow start, 1.2·cwnd/SRTT after),
   * at least two segments, at most `tsoMax`. On a long path with a small window several segments
   * go per round trip instead of one burst; in memory (SRTT far below 1 ms) it is `tsoMax`. The
   * caller still limits each segment to the send and congestion windows.
   */
  private tsoSize(mss: number, tsoMax: number): number {
    const most = Math.floor(tsoMax / mss);
    const srtt = this.rtt.srtt;
    if (srtt === null || srtt <= 0) return most * mss;
    const perMs = (this.cc.cwnd * (this.cc.cwnd < this.cc.ssthresh ? 2 : 1.2)) / srtt;
    return Math.min(most, Math.max(2, Math.floor(perMs / mss))) * mss;
  }

  /** Persist timer when the peer's window is closed (§3.8.6.1); RTO when data is outstanding. */
  private afterSendCheckTimers(): void {
    if (!SYNCHRONIZED_DATA_STATES.has(this.state) || !this.synAcked) return;
    const unsent = this.sendBuffer.length - this.sentOffset();
    const outstanding = seqDiff(this.sndMax, this.sndUna) > 0;
    if (this.sndWnd === 0 && unsent > 0 && !outstanding) {
      if (!this.timers.has('persist')) this.startTimer('persist', this.persistInterval());
    }
    if (outstanding && !this.timers.has('rto') && !this.timers.has('persist')) this.armRto();
  }

  private persistInterval(): number {
    return Math.min(this.config.maxRtoMs, Math.max(this.rtt.rto, this.config.minRtoMs) * 2 ** this.persistBackoffs);
  }

  /**
   * Sends [start, start+len) from the send buffer (plus FIN if asked). `windowProbe`: a zero-window
   * probe, which RFC 3168 §6.1.6 forbids to mark ECT (it could be CE-marked and lost to a reduction).
   */
  private sendData(start: SeqNum, len: number, fin: boolean, retransmission: boolean, windowProbe = false): void {
    const offset = seqDiff(start, this.bufSeq);
    // A copy only when a consumer may keep the segment (tests capture them); the layer's emitter
    // copies at once, so it gets a zero-copy view of the ring.
    const payload = len > 0 ? (this.env.zeroCopyOutput ? this.sendBuffer.view(offset, len) : this.sendBuffer.peek(offset, len)) : EMPTY;
    let flags = TCP_ACK;
    if (len > 0 && offset + len === this.sendBuffer.length) flags |= TCP_PSH;
    if (fin) flags |= TCP_FIN;
    if (retransmission) {
      this.stats.retransmits++;
      this.rttTiming = null; // Karn: never time a retransmitted segment
      // The TSval dataOptions() is about to put on it (the clock does not move in between).
      this.undoEpisode.onRetransmit(start, len + (fin ? 1 : 0), this.tsOk ? this.tsNow() : null);
    } else if (!this.tsOk && !this.rttTiming && (len > 0 || fin)) {
      this.rttTiming = { end: seqAdd(start, len + (fin ? 1 : 0)), at: this.now() };
    }
    if (!retransmission) this.stats.bytesSent += len;
    // RACK's per-segment transmit time (RFC 8985 §6.1 Segment.xmit_ts).
    if (len > 0 || fin) this.rackState()?.onTransmit(start, len + (fin ? 1 : 0), this.now());
    // RFC 3168 §6.1.5/§6.1.4: ECT(0) on new data only — never on retransmissions, window probes or
    // pure ACKs; the first new data segment after a reduction carries CWR (§6.1.2).
    let ecn = ECN_NOT_ECT;
    if (this.ecnOk && len > 0 && !retransmission && !windowProbe) {
      ecn = ECN_ECT0;
      if (this.cwrPending) {
        flags |= TCP_CWR;
        this.cwrPending = false;
        this.stats.cwrSent++;
      }
    }
    this.emit({ flags, seq: start, ack: this.rcvNxt, payload, options: this.dataOptions(), window: -1 }, retransmission, ecn);
  }

  /** Retransmits up to one segment at `start` (fast retransmit, partial ACK, SACK hole, RTO). */
  private retransmitAt(start: SeqNum, why: string, maxLen?: number): SeqNum {
    const mss = this.payloadMss();
    const dataEnd = this.finSeq();
    const sentEnd = seqLt(this.sndMax, dataEnd) ? this.sndMax : dataEnd;
    const len = Math.max(0, Math.min(seqDiff(sentEnd, start), mss, maxLen ?? mss));
    const fin = this.finQueued && seqGt(this.sndMax, dataEnd) && seqAdd(start, len) === dataEnd;
    this.probe('retransmit', { seq: start, len, fin, why });
    this.sendData(start, len, fin, true);
    return seqAdd(start, len + (fin ? 1 : 0));
  }

  /** Reused by dataOptions() when the output serialises each segment before returning. */
  private readonly optionsScratch: TcpOption[] = [];
  private readonly timestampsScratch = { kind: 'timestamps' as const, tsval: 0, tsecr: 0 };

  private dataOptions(): TcpOption[] {
    // With zeroCopyOutput the segment is serialised before output() returns, so one array and one
    // timestamps option per connection serve every segment (two fewer objects per segment); a
    // consumer that may keep segments (the test harness) gets new ones.
    const reuse = this.env.zeroCopyOutput === true;
    const opts = reuse ? this.optionsScratch : [];
    opts.length = 0;
    if (this.tsOk) {
      const ts = reuse ? this.timestampsScratch : { kind: 'timestamps' as const, tsval: 0, tsecr: 0 };
      ts.tsval = this.tsNow();
      ts.tsecr = this.tsRecent;
      opts.push(NOP_OPTION, NOP_OPTION, ts);
    }
    const dsack = this.pendingDsack;
    if (this.sackOk && (dsack !== null || !this.assembler.isEmpty)) {
      // RFC 2018 §3: at most 3 blocks with timestamps (4 without), newest first (§4). RFC 2883 §4:
      // a D-SACK goes first, once, and the blocks after it keep their RFC 2018 order — so the
      // out-of-order range that holds the duplicate (the most recently touched one) comes second.
      const max = this.tsOk ? 3 : 4;
      const blocks = this.assembler.byRecency(dsack ? max - 1 : max).map((r) => ({
        left: seqAdd(this.rcvNxt, r.start),
        right: seqAdd(this.rcvNxt, r.end),
      }));
      if (dsack) {
        blocks.unshift(dsack);
        this.pendingDsack = null;
      }
      opts.push(NOP_OPTION, NOP_OPTION, { kind: 'sack', blocks });
    }
    return opts;
  }

  private sendSyn(withAck: boolean): void {
    const opts: TcpOption[] = [{ kind: 'mss', value: this.config.mss }];
    const offerSack = this.config.sack && (!withAck || this.sackOk);
    const offerTs = this.config.timestamps && (!withAck || this.tsOk);
    const offerWs = this.config.windowScaling && (!withAck || this.wsOk);
    if (offerSack && offerTs) opts.push({ kind: 'sack-permitted' }, { kind: 'timestamps', tsval: this.tsNow(), tsecr: withAck ? this.tsRecent : 0 });
    else if (offerTs) opts.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: this.tsNow(), tsecr: withAck ? this.tsRecent : 0 });
    else if (offerSack) opts.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' });
    if (offerWs) opts.push({ kind: 'nop' }, { kind: 'wscale', shift: this.ourShift });
    let flags = TCP_SYN | (withAck ? TCP_ACK : 0);
    if (withAck) {
      if (this.ecnOk) flags |= TCP_ECE; // RFC 3168 §6.1.1 ECN-setup SYN-ACK
    } else {
      // RFC 3168 §6.1.1 ECN-setup SYN (ECE+CWR) with tcp_ecn = 1. A retransmitted SYN goes without
      // (§6.1.1.1 allows it; Linux's tcp_ecn_fallback): a middlebox may drop ECN-setup SYNs.
      this.ecnSynSent = this.config.ecn === 1 && this.retransmits === 0;
      if (this.ecnSynSent) flags |= TCP_ECE | TCP_CWR;
    }
    this.emit({ flags, seq: this.iss, ack: withAck ? this.rcvNxt : seq(0), payload: EMPTY, options: opts, window: -1 });
    if (seqGt(seqAdd(this.iss, 1), this.sndMax)) {
      this.sndNxt = seqAdd(this.iss, 1);
      this.sndMax = this.sndNxt;
    }
    if (!this.tsOk && !this.rttTiming && this.retransmits === 0) this.rttTiming = { end: seqAdd(this.iss, 1), at: this.now() };
  }

  /** An ACK now (cancels a pending delayed ACK). */
  sendAck(): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN-SENT') return;
    if (this.state === 'SYN-RECEIVED') {
      this.sendSyn(true);
      return;
    }
    // A pure ACK carries SND.MAX, not a rolled-back SND.NXT (BSD tcp_output): after an RTO the
    // peer may already hold data beyond SND.NXT and would find the ACK out of window.
    this.emit({ flags: TCP_ACK, seq: this.sndMax, ack: this.rcvNxt, payload: EMPTY, options: this.dataOptions(), window: -1 });
  }

  /** RFC 5961 §3.2/§4.2/§5.2 challenge ACK, limited per §7. */
  private sendChallengeAck(reason: string): void {
    const now = this.now();
    let allowed: boolean;
    if (this.env.allowChallengeAck) allowed = this.env.allowChallengeAck(now);
    else {
      if (now - this.challengeWindowStart >= 1000) {
        this.challengeWindowStart = now;
        this.challengeCount = 0;
      }
      allowed = this.challengeCount++ < this.config.challengeAckLimit;
    }
    if (!allowed) {
      this.drop(`challenge-ack-rate-limited:${reason}`);
      return;
    }
    this.stats.challengeAcks++;
    this.probe('challenge-ack', { reason });
    this.sendAck();
  }

  /**
   * Puts header fields the connection owns on a segment and hands it out. `window: -1` means
   * "advertise the current receive window".
   */
  private emit(
    s: { flags: number; seq: SeqNum; ack: SeqNum; payload: Uint8Array; options: TcpOption[]; window: number },
    retransmission = false,
    ecn: number = ECN_NOT_ECT,
  ): void {
    let window = s.window;
    // RFC 3168 §6.1.3: while echoing, every ACK we send (data or pure) carries ECE.
    const flags = this.ecnEcho && this.ecnOk && s.flags & TCP_ACK && !(s.flags & (TCP_SYN | TCP_RST)) ? s.flags | TCP_ECE : s.flags;
    if (window < 0) {
      if (s.flags & TCP_SYN) {
        this.updateRightEdge();
        window = Math.min(0xffff, this.advertisedWindow());
      } else {
        this.updateRightEdge();
        window = Math.min(0xffff, this.advertisedWindow() >>> this.rcvShift);
      }
    }
    const seg: TcpSegment = {
      srcPort: this.endpoints.localPort,
      dstPort: this.endpoints.remotePort,
      seq: s.seq,
      ack: s.flags & TCP_ACK ? s.ack : seq(0),
      flags,
      window,
      urgentPointer: 0,
      options: s.options,
      payload: s.payload,
    };
    if (s.flags & TCP_ACK && !(s.flags & TCP_RST)) {
      this.lastAckSent = this.rcvNxt;
      this.fullSegmentsUnacked = 0;
      if (this.timers.has('delack')) this.stopTimer('delack');
    }
    this.stats.segmentsOut++;
    const id = this.probeSegment('segment-out', seg, this.currentCause, retransmission, ecn);
    this.env.output(seg, id ?? this.currentCause, ecn);
  }

  // =====================================================================================
  // Receiving (receive buffer, assembler, window, delayed ACK)
  // =====================================================================================

  private rcvMss(): number {
    return this.effectiveMss() - (this.tsOk ? 12 : 0);
  }

  /** RCV.WND as last advertised. */
  advertisedWindow(): number {
    return Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
  }

  private receiveWindowForAcceptance(): number {
    return this.advertisedWindow();
  }

  /** Data may be stored up to the advertised right edge (never beyond the buffer). */
  private rcvAdvRightForReceive(): SeqNum {
    const bufferRight = seqAdd(this.rcvNxt, this.receiveBuffer.capacity - this.receiveBuffer.length);
    return seqLt(bufferRight, this.rcvAdvRight) ? bufferRight : this.rcvAdvRight;
  }

  /**
   * Receiver SWS avoidance (§3.8.6.2.2): move the right edge only when it can grow by at least
   * min(RCV.BUFF/2, Eff.snd.MSS); never move it left (§3.8.6: do not shrink the window).
   */
  private updateRightEdge(): boolean {
    const space = this.receiveBuffer.capacity - this.receiveBuffer.length;
    const maxWnd = this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED' || this.state === 'LISTEN' ? 0xffff : 0xffff << this.rcvShift;
    const candidate = seqAdd(this.rcvNxt, Math.min(space, maxWnd));
    const growth = seqDiff(candidate, this.rcvAdvRight);
    if (growth <= 0) return false;
    const threshold = Math.min(this.receiveBuffer.capacity / 2, this.rcvMss());
    const current = this.advertisedWindow();
    if (growth >= threshold || current === 0 && space >= threshold || space === this.receiveBuffer.capacity) {
      this.rcvAdvRight = candidate;
      return true;
    }
    return false;
  }

  private receiveText(segSeq: SeqNum, text: Uint8Array): void {
    let needAckNow = false;
    let deferAck = false;
    if (text.length > 0) {
      const offset = seqDiff(segSeq, this.rcvNxt);
      if (this.readShut) {
        // shutdown(SHUT_RD): acknowledge and discard (BSD sbflush semantics).
        if (offset === 0) this.rcvNxt = seqAdd(this.rcvNxt, text.length);
        needAckNow = true;
      } else if (offset === 0) {
        const hadOutOfOrder = !this.assembler.isEmpty;
        // RFC 2883 §4: a segment that fills the gap and runs on into data held out of order (a
        // retransmission larger than the hole) reports that duplicated part, as Linux does.
        if (hadOutOfOrder) this.noteHeldOverlap(segSeq, 0, text.length);
        this.receiveBuffer.writeAt(this.receiveBuffer.length, text);
        const inOrder = this.assembler.addAtFront(text.length);
        this.receiveBuffer.commit(inOrder);
        this.rcvNxt = seqAdd(this.rcvNxt, inOrder);
        this.stats.bytesReceived += inOrder;
        // RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap.
        if (hadOutOfOrder) needAckNow = true;
        // A segment of several MSS (the peer's segmentation offload, Linux's GRO) counts as that
        // many full segments, so it is ACKed at once (as Linux ACKs a GRO super-segment).
        const mssIn = this.rcvMss();
        if (text.length >= mssIn) this.fullSegmentsUnacked += Math.floor(text.length / mssIn);
        if (this.fullSegmentsUnacked >= 2) {
          if (this.env.deferAck && seqDiff(this.rcvNxt, this.lastAckSent) < DEFERRED_ACK_MAX_BYTES) deferAck = true;
          else needAckNow = true;
        }
        this.events.readable?.();
      } else {
        // Out of order: keep it (bounded) and ACK at once with SACK blocks (RFC 5681 §4.2, RFC 2018).
        this.stats.outOfOrderSegments++;
        // RFC 2883 §4: a duplicate of bytes held out of order, whole or in part, is reported by the
        // duplicated part (Linux tcp_data_queue_ofo). add() below still marks the enclosing range
        // newest, so it follows the D-SACK as the second block (§4.1).
        this.noteHeldOverlap(segSeq, offset, text.length);
        if (this.assembler.add(offset, text.length)) {
          this.receiveBuffer.writeAt(this.receiveBuffer.length + offset, text);
        } else {
          this.drop('out-of-order-queue-full');
        }
        needAckNow = true;
      }
    }
    if (this.peerFinSeq !== null && this.rcvNxt === this.peerFinSeq && !this.finReceived) {
      this.onFin();
      return;
    }
    if (this.ceAckNow) {
      this.ceAckNow = false;
      needAckNow = true;
    }
    // A D-SACK is reported at once (as Linux does), not held for the delayed ACK.
    if (this.pendingDsack !== null) needAckNow = true;
    if (needAckNow || this.config.delayedAckMs <= 0) this.sendAck();
    else if (deferAck) this.env.deferAck!(this);
    else if (!this.timers.has('delack')) this.startTimer('delack', this.config.delayedAckMs);
  }

  /**
   * Remembers [start, start+length) as the D-SACK for the next ACK (RFC 2883), when SACK was
   * negotiated and `config.dsack` is on. At most one D-SACK per ACK (§4): a later duplicate before
   * that ACK replaces an earlier one.
   */
  private noteDuplicate(start: SeqNum, length: number): void {
    // Only where sendAck() sends a plain ACK with data options (not in TIME-WAIT, like Linux's
    // time-wait ACK, which carries no SACK).
    if (length <= 0 || !this.sackOk || !this.config.dsack || !this.isSynchronized() || this.state === 'TIME-WAIT') return;
    this.pendingDsack = { left: start, right: seqAdd(start, length) };
  }

  /** The first part of a segment at `offset` (from RCV.NXT) that duplicates held out-of-order bytes, as a D-SACK. */
  private noteHeldOverlap(segSeq: SeqNum, offset: number, length: number): void {
    const dup = this.assembler.firstOverlap(offset, length);
    if (dup) this.noteDuplicate(seqAdd(segSeq, dup.start - offset), dup.end - dup.start);
  }

  /** The end of an input batch (see TcpConnectionEnv.deferAck): the ACK it deferred, if still owed. */
  flushDeferredAck(): void {
    if (this.fullSegmentsUnacked > 0 && this.isSynchronized() && this.state !== 'TIME-WAIT') this.sendAck();
  }

  /** §3.10.7.4 eighth step: the FIN. */
  private onFin(): void {
    this.finReceived = true;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.sendAck();
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.setState('CLOSE-WAIT', 'rcv FIN');
        break;
      case 'FIN-WAIT-1':
        if (this.finAcked()) {
          this.setState('TIME-WAIT', 'rcv FIN (our FIN acked)');
          this.enterTimeWait();
        } else {
          this.setState('CLOSING', 'rcv FIN (simultaneous close)');
        }
        break;
      case 'FIN-WAIT-2':
        this.stopTimer('fin-wait-2');
        this.setState('TIME-WAIT', 'rcv FIN');
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.events.readable?.();
  }

  // =====================================================================================
  // Options (RFC 7323, RFC 2018, RFC 9293 §3.7.1)
  // =====================================================================================

  private takeSynOptions(seg: TcpSegment): void {
    let mss: number | null = null;
    let ws: number | null = null;
    let sackPerm = false;
    let ts: { tsval: number; tsecr: number } | null = null;
    for (const o of seg.options) {
      if (o.kind === 'mss') mss = o.value;
      else if (o.kind === 'wscale') ws = o.shift;
      else if (o.kind === 'sack-permitted') sackPerm = true;
      else if (o.kind === 'timestamps') ts = { tsval: o.tsval, tsecr: o.tsecr };
    }
    this.peerMss = mss !== null && mss > 0 ? mss : 536;
    this.rcvAdvRight = this.rcvNxt;
    this.lastAckSent = this.rcvNxt;
    this.wsOk = this.config.windowScaling && ws !== null;
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    this.sndShift = this.wsOk ? Math.min(14, ws!) : 0;
    this.rcvShift = this.wsOk ? this.ourShift : 0;
    this.sackOk = this.config.sack && sackPerm;
    this.tsOk = this.config.timestamps && ts !== null;
    if (ts) {
      this.tsRecent = ts.tsval;
      this.tsRecentAt = this.now();
    }
  }

  private tsFromSegment(seg: TcpSegment, syn: boolean): void {
    if (!this.tsOk) return;
    const ts = findTimestamps(seg.options);
    if (ts && syn) {
      this.tsRecent = ts.tsval;
      this.tsRecentAt = this.now();
    }
  }

  private tsNow(): number {
    return (Math.floor(this.now()) + this.tsOffset) >>> 0;
  }

  /**
   * Linux tcp_disordered_ack: a pure duplicate ACK that the network reordered behind a newer one
   * carries an older TSval but is no old duplicate from a previous sequence wrap — dropping it by
   * PAWS would lose its SACK blocks and its count towards fast retransmit. Exempt when it is a pure
   * ACK at RCV.NXT, acknowledges exactly SND.UNA, would not update the window, and its TSval is
   * less than one RTO older than TS.Recent.
   */
  private isDisorderedAck(seg: TcpSegment, tsval: number): boolean {
    if (!(seg.flags & TCP_ACK) || segLen(seg) !== 0 || seg.seq !== this.rcvNxt || seg.ack !== this.sndUna) return false;
    const window = seg.window << this.sndShift;
    const mayUpdateWindow = seqGt(seg.seq, this.sndWl1) || (seg.seq === this.sndWl1 && (window > this.sndWnd || window === 0));
    return !mayUpdateWindow && ((this.tsRecent - tsval) | 0) <= this.rtt.rto;
  }

  private tsRecentValid(now: number): boolean {
    // RFC 7323 §5.5: TS.Recent is invalid after 24 days of idleness.
    return now - this.tsRecentAt < 24 * 24 * 3600 * 1000;
  }

  private updateTsRecent(seg: TcpSegment, tsval: number, now: number): void {
    // RFC 7323 §4.3 (3): SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent. An invalid TS.Recent
    // (idle > 24 days) is replaced whatever the TSval (§5.5: "R3 updates TS.Recent with the TSval
    // from the new segment"); kept, our TSecr would echo a 24-day-old value and the peer's RTTM
    // would take it for its RTT.
    if (seqLe(seg.seq, this.lastAckSent) && (!tsLt(tsval, this.tsRecent) || !this.tsRecentValid(now))) {
      this.tsRecent = tsval;
      this.tsRecentAt = now;
    }
  }

  // =====================================================================================
  // State changes, resets, timers
  // =====================================================================================

  isSynchronized(): boolean {
    return this.state !== 'CLOSED' && this.state !== 'LISTEN' && this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED';
  }

  private onEstablished(): void {
    this.lastReceiveAt = this.now();
    this.handshakeRtoFallback();
    if (this.config.keepAlive) this.startTimer('keepalive', this.config.keepIdleMs);
    this.events.established?.();
  }

  /** RFC 6298 §5.7: a handshake that needed a retransmission and gave no RTT sample → RTO 3 s. */
  private handshakeRtoFallback(): void {
    if (this.stats.rtoExpirations > 0 && this.rtt.srtt === null) this.rtt.handshakeFallback(3000);
  }

  /** Turns keep-alive on or off (SO_KEEPALIVE) on an open connection. */
  setKeepAlive(on: boolean): void {
    this.config.keepAlive = on;
    if (on && this.isSynchronized() && !this.timers.has('keepalive')) this.startTimer('keepalive', this.config.keepIdleMs);
    if (!on) this.stopTimer('keepalive');
  }

  setNoDelay(on: boolean): void {
    this.config.noDelay = on;
    if (on) this.trySend();
  }

  /** A valid RST in a synchronized state (§3.10.7.4 second step). */
  private onReset(): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
        if (this.passiveOpen) this.returnToListen('rcv RST');
        else this.toClosed('rcv RST (connection refused)', 'ECONNREFUSED');
        return;
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.toClosed('rcv RST', 'ECONNRESET');
        return;
      default:
        this.toClosed('rcv RST', null);
    }
  }

  /** §3.10.7.4: a passive SYN-RECEIVED connection goes back to LISTEN. */
  private returnToListen(cause: string): void {
    this.stopAllTimers();
    this.sendBuffer.clear();
    this.receiveBuffer.clear();
    this.assembler.clear();
    this.wsOk = this.sackOk = this.tsOk = this.ecnOk = false;
    this.setState('LISTEN', cause);
    this.events.closed?.(null);
  }

  private enterTimeWait(): void {
    this.stopTimer('rto');
    this.stopTimer('persist');
    this.stopTimer('keepalive');
    this.stopTimer('delack');
    this.stopTimer('fin-wait-2');
    this.stopTimer('rack-reorder');
    this.stopTimer('tlp');
    this.startTimer('time-wait', this.config.timeWaitMs);
    this.events.readable?.();
  }

  /**
   * RFC 1122 §4.2.2.13 / RFC 6191: may a SYN reopen this TIME-WAIT connection? Yes if its
   * sequence number is above RCV.NXT or, with timestamps, its TSval is newer than TS.Recent.
   */
  acceptsReopeningSyn(seg: TcpSegment): boolean {
    if (this.state !== 'TIME-WAIT' || !(seg.flags & TCP_SYN) || seg.flags & TCP_ACK) return false;
    const ts = findTimestamps(seg.options);
    if (this.tsOk && ts) return tsLt(this.tsRecent, ts.tsval);
    return seqGt(seg.seq, this.rcvNxt);
  }

  private toClosed(cause: string, errno: TcpErrno | null): void {
    this.stopAllTimers();
    this.error = errno;
    this.setState('CLOSED', cause);
    this.events.readable?.();
    this.events.writable?.();
    this.events.closed?.(errno);
  }

  private setState(to: TcpState, cause: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.probe('state', { from, to, cause, iss: this.iss, irs: this.irs });
    this.events.stateChange?.(from, to, cause);
  }

  private drop(reason: string): void {
    this.stats.droppedSegments++;
    this.probe('drop', { reason });
  }

  private armRto(restart = false): void {
    if (this.timers.has('rto') && !restart) return;
    this.startTimer('rto', this.rtt.rto);
  }

  /**
   * (Re)starts a timer. Moving a deadline later (the RTO restarted by every ACK) does not touch
   * the Clock: the Clock timer already set fires early and re-arms itself for the rest.
   */
  private startTimer(name: TimerName, afterMs: number): void {
    const at = this.now() + afterMs;
    this.timers.set(name, at);
    const ct = this.clockTimers.get(name);
    if (!ct || ct.at > at) {
      if (ct) this.env.clock.clearTimer(ct.handle);
      this.armClockTimer(name, at);
    }
    // Built only when someone listens: every ACK restarts the RTO (the id is allocated either way).
    if (this.probing()) this.probe('timer-start', { timer: name, at, durationMs: afterMs });
  }

  private armClockTimer(name: TimerName, at: number): void {
    const handle = this.env.clock.setTimer(at, () => {
      this.clockTimers.delete(name);
      const due = this.timers.get(name);
      if (due === undefined) return;
      if (due > this.now()) {
        this.armClockTimer(name, due);
        return;
      }
      this.fire(name);
    });
    this.clockTimers.set(name, { handle, at });
  }

  private stopTimer(name: TimerName): void {
    if (!this.timers.has(name)) return;
    this.timers.delete(name);
    const ct = this.clockTimers.get(name);
    // The delayed-ACK timer starts on every other segment and the ACK that follows stops it. On a
    // clock where cancelling costs more than a wake-up (RealClock) its clock timer stays armed:
    // firing with nothing due does nothing (armClockTimer), and the next start reuses it.
    if (ct && !(name === 'delack' && this.env.clock.lazyCancel)) {
      this.env.clock.clearTimer(ct.handle);
      this.clockTimers.delete(name);
    }
    if (this.probing()) this.probe('timer-stop', { timer: name });
  }

  private stopAllTimers(): void {
    for (const name of [...this.timers.keys()]) this.stopTimer(name);
    // Clock timers left armed by stopTimer go too: a closed connection holds no clock timer.
    for (const ct of this.clockTimers.values()) this.env.clock.clearTimer(ct.handle);
    this.clockTimers.clear();
  }

  /** Names of running timers (for tests and snapshots). */
  runningTimers(): TimerName[] {
    return [...this.timers.keys()];
  }

  private fire(name: TimerName): void {
    if (name === 'rto') {
      // A PTO capped at the RTO's deadline (RFC 8985 §7.2) goes first, as in Linux, where the
      // probe runs in the retransmission timer's slot; it restarts the RTO when it sends.
      const tlpAt = this.timers.get('tlp');
      if (tlpAt !== undefined && tlpAt <= this.now()) {
        this.fire('tlp');
        const rtoAt = this.timers.get('rto');
        if (rtoAt === undefined) return;
        if (rtoAt > this.now()) {
          if (!this.clockTimers.has('rto')) this.armClockTimer('rto', rtoAt);
          return;
        }
      }
    }
    this.timers.delete(name);
    const id = this.probe('timer-fire', { timer: name });
    this.currentCause = id;
    switch (name) {
      case 'rto':
        return this.onRto();
      case 'persist':
        return this.onPersist();
      case 'keepalive':
        return this.onKeepalive();
      case 'delack':
        this.sendAck();
        return;
      case 'time-wait':
        this.toClosed('2MSL timeout', null);
        return;
      case 'fin-wait-2':
        this.toClosed('FIN-WAIT-2 timeout (orphan)', null);
        return;
      case 'rack-reorder':
        return this.onRackReorderTimer();
      case 'tlp':
        return this.onTlp();
    }
  }

  /** RFC 6298 §5.4–5.6 and RFC 5681 §3.1 on a retransmission timeout. */
  private onRto(): void {
    this.stats.rtoExpirations++;
    if (this.state === 'SYN-SENT') {
      if (this.retransmits >= this.config.synRetries) return this.toClosed('SYN retries exhausted', 'ETIMEDOUT');
      this.retransmits++;
      this.rttTiming = null;
      this.rtt.backoff();
      this.stats.retransmits++;
      this.sendSyn(false);
      this.armRto(true);
      return;
    }
    if (this.state === 'SYN-RECEIVED' || (this.state === 'FIN-WAIT-1' && !this.synAcked)) {
      if (this.retransmits >= this.config.synAckRetries) {
        return this.toClosed('SYN,ACK retries exhausted', this.passiveOpen ? null : 'ETIMEDOUT');
      }
      this.retransmits++;
      this.rttTiming = null;
      this.rtt.backoff();
      this.stats.retransmits++;
      this.sendSyn(true);
      this.armRto(true);
      return;
    }
    if (seqDiff(this.sndMax, this.sndUna) <= 0) return;
    // A peer that keeps answering with a zero window is alive (Linux tcp_retransmit_timer):
    // retransmissions into a closed window do not count towards giving up.
    if (this.sndWnd === 0 && this.now() - this.lastReceiveAt <= this.config.maxRtoMs) {
      this.retransmits = Math.min(this.retransmits, Math.max(0, this.config.retries2 - 1));
    }
    if (this.retransmits >= this.config.retries2) {
      this.abort('retransmission retries exhausted', 'ETIMEDOUT');
      return;
    }
    this.retransmits++;
    const mss = this.effectiveMss();
    this.beginUndoEpisode(this.recovering());
    this.cc.onRto({ now: this.now(), flightSize: this.flightSize(), mss });
    this.ecnReduced();
    this.inRecovery = false;
    this.recover = this.sndMax;
    this.dupAcks = 0;
    // Go-back-N resends only what the peer has not SACKed (Linux tcp_enter_loss; see
    // SackScoreboard.keepSackedAfterTimeout). A second timeout without progress may mean the
    // receiver reneged (RFC 2018 §8): then start over from SND.UNA with an empty scoreboard.
    this.scoreboard?.exitRecovery();
    this.lossResentTo = null;
    if (this.retransmits === 1) this.scoreboard?.keepSackedAfterTimeout(this.sndUna, this.sndMax);
    else this.scoreboard?.reset(this.sndUna, this.sndMax);
    if (this.rack) {
      // Go-back-N resends everything un-SACKed: loss marks and the probe episode end (RFC 8985 §6.3, §7).
      this.rack.onRto();
      if (this.retransmits > 1) this.rack.forgetSacks();
      this.stopTimer('rack-reorder');
      this.stopTimer('tlp');
    }
    this.probeCc('rto');
    this.rttTiming = null;
    this.rtt.backoff();
    // Go back N: SND.NXT returns to SND.UNA; the window (cwnd = 1 SMSS) paces the resend.
    this.sndNxt = this.retransmitAt(this.sndUna, 'rto');
    if (seqGt(this.sndNxt, this.sndMax)) this.sndNxt = this.sndMax;
    this.armRto(true);
  }

  /** Zero-window probe (§3.8.6.1): one octet beyond a closed window, backing off like the RTO. */
  private onPersist(): void {
    if (!SYNCHRONIZED_DATA_STATES.has(this.state)) return;
    if (this.sndWnd > 0) {
      this.persistBackoffs = 0;
      this.trySend();
      return;
    }
    // A persisting sender whose probes stay unanswered gives up like a retransmitting one
    // (Linux tcp_probe_timer with tcp_retries2), so a dead peer cannot hold it forever.
    if (this.unansweredPersistProbes >= this.config.retries2) {
      this.abort('zero-window probes unanswered', 'ETIMEDOUT');
      return;
    }
    this.unansweredPersistProbes++;
    this.stats.zeroWindowProbes++;
    const unsent = this.sendBuffer.length - this.sentOffset();
    if (this.sndNxt === this.sndUna && unsent > 0) {
      this.probe('zero-window-probe', { seq: this.sndNxt });
      this.sendData(this.sndNxt, 1, false, false, true);
      this.sndNxt = seqAdd(this.sndNxt, 1);
      if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    } else if (seqDiff(this.sndMax, this.sndUna) > 0) {
      this.probe('zero-window-probe', { seq: this.sndUna });
      this.sendData(this.sndUna, Math.min(1, this.sendBuffer.length), false, true, true);
    } else {
      return;
    }
    if (this.persistBackoffs < 16) this.persistBackoffs++;
    this.startTimer('persist', this.persistInterval());
  }

  /** Keep-alive (RFC 1122 §4.2.3.6): after idle time, probes with SEG.SEQ = SND.UNA − 1. */
  private onKeepalive(): void {
    if (!this.config.keepAlive || !this.isSynchronized() || this.state === 'TIME-WAIT') return;
    const now = this.now();
    const idle = now - this.lastReceiveAt;
    if (this.keepaliveProbes === 0 && idle < this.config.keepIdleMs) {
      this.startTimer('keepalive', this.config.keepIdleMs - idle);
      return;
    }
    // Data outstanding or waiting: the RTO or the persist timer already probes the peer (and ends
    // a dead connection), so no keep-alive goes out, as in Linux's tcp_keepalive_timer.
    if (seqDiff(this.sndMax, this.sndUna) > 0 || this.sendBuffer.length - this.sentOffset() > 0) {
      this.startTimer('keepalive', this.config.keepIdleMs);
      return;
    }
    if (this.keepaliveProbes >= this.config.keepCount) {
      this.abort('keep-alive timeout', 'ETIMEDOUT');
      return;
    }
    this.keepaliveProbes++;
    this.stats.keepaliveProbes++;
    this.probe('keepalive-probe', { count: this.keepaliveProbes });
    this.emit({ flags: TCP_ACK, seq: seqAdd(this.sndUna, -1), ack: this.rcvNxt, payload: EMPTY, options: this.dataOptions(), window: -1 });
    this.startTimer('keepalive', this.config.keepIntervalMs);
  }

  // =====================================================================================
  // Probes (docs/tcp.md names every kind and key)
  // =====================================================================================

  /**
   * True when the bus has listeners. Otherwise it allocates the event's id, as probe() would, so
   * ids stay the same whether anyone listens or not; the caller then skips building the data.
   */
  private probing(): boolean {
    const bus = this.env.probes;
    if (!bus) return false;
    if (bus.hasListeners()) return true;
    bus.allocateId();
    return false;
  }

  private probe(kind: string, data: Record<string, ProbeValue>): number | undefined {
    const bus = this.env.probes;
    if (!bus) return undefined;
    if (!bus.hasListeners()) return bus.allocateId();
    return bus.publish({ t: this.now(), layer: 'tcp', kind, subject: this.subject, causeId: this.currentCause, data: { state: this.state, ...data } });
  }

  /**
   * The sender's congestion state through the CongestionProbe (congestion/probes.ts): cwnd and
   * ssthresh from the controller; FlightSize; pipe — RFC 6675 SetPipe() from the scoreboard in SACK
   * recovery, outstanding minus SACKed bytes outside it (the value trySend compares with cwnd; null
   * without SACK); the recovery point; SACKed and lost (IsLost) bytes. Published when any of them
   * changed, with the cause; the turning points (init, enter/exit recovery, ECN, RTO) always.
   */
  private probeCc(cause: CongestionCause): void {
    const bus = this.env.probes;
    if (!bus || !bus.hasListeners()) return;
    this.ccProbe ??= new CongestionProbe(bus, this.subject);
    const sb = this.scoreboard;
    this.ccProbe.publish(
      this.now(),
      this.cc,
      cause,
      {
        flightSize: this.flightSize(),
        inRecovery: this.inRecovery,
        pipe: this.sackOk ? this.pipe() : null,
        recoveryPoint: this.inRecovery ? this.recoveryPoint : null,
        sackedBytes: sb ? sb.sackedBytes : 0,
        lostBytes: this.rack ? this.rack.lostBytes : sb ? sb.lostBytes : 0,
      },
      this.currentCause,
      ALWAYS_PUBLISHED.has(cause),
    );
  }

  private probeSegment(kind: 'segment-in' | 'segment-out', seg: TcpSegment, causeId: number | undefined, retransmission = false, ecn = this.segmentEcn): number | undefined {
    const bus = this.env.probes;
    if (!bus) return undefined;
    if (!bus.hasListeners()) return bus.allocateId();
    const sack = seg.options.find((o) => o.kind === 'sack');
    return bus.publish({
      t: this.now(),
      layer: 'tcp',
      kind,
      subject: this.subject,
      causeId,
      data: {
        state: this.state,
        seq: seg.seq,
        ack: seg.ack,
        flags: flagString(seg.flags),
        len: seg.payload.length,
        win: seg.window,
        optionsLen: optionsLength(seg.options),
        sack: sack && sack.kind === 'sack' ? sack.blocks.map((b) => `${b.left}-${b.right}`).join(',') : null,
        retransmission,
        ecn,
        iss: this.iss,
        irs: this.irs,
        sndUna: this.sndUna,
        sndNxt: this.sndNxt,
        sndMax: this.sndMax,
        sndWnd: this.sndWnd,
        rcvNxt: this.rcvNxt,
        rcvWnd: this.advertisedWindow(),
        cwnd: this.cc.cwnd,
        ssthresh: Number.isFinite(this.cc.ssthresh) ? this.cc.ssthresh : null,
        sendBuffered: this.sendBuffer.length,
        receiveBuffered: this.receiveBuffer.length,
      },
    });
  }

  /** A plain snapshot for labs, views and tests. */
  snapshot(): Record<string, ProbeValue> {
    return {
      state: this.state,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.advertisedWindow(),
      mss: this.effectiveMss(),
      sndShift: this.sndShift,
      rcvShift: this.rcvShift,
      sack: this.sackOk,
      timestamps: this.tsOk,
      ecn: this.ecnOk,
      srttMs: this.rtt.srtt,
      rttvarMs: this.rtt.rttvar,
      rtoMs: this.rtt.rto,
      cwnd: this.cc.cwnd,
      ssthresh: Number.isFinite(this.cc.ssthresh) ? this.cc.ssthresh : null,
      congestion: this.cc.name,
      inRecovery: this.inRecovery,
      sendBuffered: this.sendBuffer.length,
      receiveBuffered: this.receiveBuffer.length,
      outOfOrderRanges: this.assembler.rangeCount,
      timers: this.runningTimers().join(','),
    };
  }
}

const EMPTY = new Uint8Array(0);
const NO_BLOCKS: readonly SackBlock[] = [];

/** Congestion causes published even when no value changed (they mark a turning point). */
const ALWAYS_PUBLISHED: ReadonlySet<CongestionCause> = new Set(['init', 'enter-recovery', 'exit-recovery', 'ecn', 'rto', 'undo']);

/** A socket error with its errno name. */
export class TcpError extends Error {
  constructor(
    readonly errno: TcpErrno | 'EADDRINUSE' | 'EINVAL' | 'EISCONN' | 'EALREADY' | 'EOPNOTSUPP' | 'EADDRNOTAVAIL' | 'EHOSTUNREACH' | 'ENETUNREACH',
    detail: string,
  ) {
    super(`${errno}: ${detail}`);
    this.name = 'TcpError';
  }
  get code(): string {
    return this.errno;
  }
}

function inWindow(x: SeqNum, start: SeqNum, wnd: number): boolean {
  const d = seqDiff(x, start);
  return d >= 0 && d < wnd;
}

/** Timestamp comparison modulo 2^32 (RFC 7323 §5.2). */
function tsLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function findTimestamps(options: TcpOption[]): { tsval: number; tsecr: number } | null {
  for (const o of options) if (o.kind === 'timestamps') return o;
  return null;
}

/**
 * §3.10.7.1: the reset answering a segment for which no connection exists. None for a RST.
 * If the segment has an ACK: <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function resetFor(seg: TcpSegment): TcpSegment | null {
  if (seg.flags & TCP_RST) return null;
  if (seg.flags & TCP_ACK) {
    return { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: seq(0), flags: TCP_RST, window: 0, urgentPointer: 0, options: [], payload: EMPTY };
  }
  return {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: seq(0),
    ack: seqAdd(seg.seq, segLen(seg)),
    flags: TCP_RST | TCP_ACK,
    window: 0,
    urgentPointer: 0,
    options: [],
    payload: EMPTY,
  };
}
