/**
 * The TCP layer of a stack: demultiplexes segments to connections and listeners, answers segments
 * for closed ports with RST (RFC 9293 §3.10.7.1), keeps bounded SYN and accept queues per listener
 * and falls back to SYN cookies (RFC 4987 §3.6) when a SYN queue is full, so established
 * connections and new legitimate ones keep working under a SYN flood.
 *
 * It is the only TCP code that touches bytes: it parses with @shared/wire/tcp, verifies the
 * checksum, and emits through the IP layer (`host.ipv4.send`).
 */
import type { Clock } from '@shared/sim/clock';
import type { RandomSource } from '@shared/sim/random';
import type { ProbeBus } from '@shared/model/probe';
import { seq, seqAdd, seqDiff, type SeqNum } from '@shared/wire/seq';
import { emitTcpInto, parseTcp, tcpHeaderLength, verifyTcpChecksum } from '@shared/wire/tcp';
import { ipv4ToString } from '@shared/wire/address';
import { partialChecksum } from '@shared/wire/checksum';
import type { IcmpErrorReport, Ipv4Datagram, Ipv4SendRequest, Ipv4SendResult, PayloadWriter } from '../ip/protocols';
import type { PortTable } from '../ports';
import type { CounterHandle } from '../counters';
import { TcpConnection, findTimestamps, resetFor, type Endpoints, type TcpConfig, type TcpState } from './connection';
import { IsnGenerator } from './isn';
import { ConnectionTable } from './connection-table';
import { TCP_ACK, TCP_RST, TCP_SYN, type TcpOption, type TcpSegment } from './segment';
// TCP services (echo, discard, chargen, http) register with the stack's service registry when TCP loads.
import './services';

export const IPPROTO_TCP = 6;

/** What the TCP layer needs from its stack (the Stack class satisfies it). */
export interface TcpHost {
  clock: Clock;
  random: RandomSource;
  probes: ProbeBus;
  counters: { inc(name: string, n?: number): void; handle(name: string): CounterHandle };
  tcpPorts: PortTable;
  ipv4: {
    send(req: Ipv4SendRequest): Ipv4SendResult;
    sourceFor(dst: number): number | null;
    register(protocol: number, handler: { receive(d: Ipv4Datagram): void; icmpError?(r: IcmpErrorReport): void }): void;
    /** Whether the route to `dst` offers segmentation offload (TSO); absent = never. */
    segmentationOffloadFor?(dst: number): boolean;
  };
  mtuFor(dst: number): number;
}

export interface TcpLayerOptions {
  /** Defaults for new connections (per-socket options override). */
  config?: Partial<TcpConfig>;
  /** Linux net.ipv4.tcp_syncookies = 1: cookies only when a SYN queue overflows. 0 = drop, 2 = always. */
  synCookies?: 0 | 1 | 2;
  /** RFC 5961 §7: challenge ACKs per second for the whole layer (Linux tcp_challenge_ack_limit). */
  challengeAckLimit?: number;
  /**
   * Off by default. One ACK per batch of received frames (everything one device callback chain
   * delivers before the microtask queue runs: one TAP read batch) instead of one per two full
   * segments, up to 64 KiB unacknowledged — stretch ACKs like Linux's under GRO. Only for a stack
   * on a real device; over a VirtualLink with a ManualClock a "batch" would span simulated time.
   */
  ackPerBatch?: boolean;
}

/**
 * Largest TCP payload of one segment under segmentation offload: an IPv4 datagram of at most
 * 65535 bytes less a 20-byte IP header and the largest TCP header, 60 bytes (Linux's GSO limit,
 * 64 KiB, less headers).
 */
export const TSO_MAX_PAYLOAD = 65535 - 20 - 60;

/** A listening endpoint with its queues (backlog). */
/** Serialises one segment (header, options, payload, checksum) into the IP layer's frame. */
class SegmentWriter implements PayloadWriter {
  segment: TcpSegment | null = null;
  src = 0;
  dst = 0;
  length = 0;
  private readonly partial = { checksum: 0 };
  writeInto(buf: Uint8Array, off: number, checksumOffload = false): void {
    if (checksumOffload) {
      // The device finishes the checksum (CHECKSUM_PARTIAL): only the pseudo-header sum goes in.
      this.partial.checksum = partialChecksum(this.src, this.dst, IPPROTO_TCP, this.length);
      emitTcpInto(buf, off, this.segment!, this.src, this.dst, this.partial);
    } else {
      emitTcpInto(buf, off, this.segment!, this.src, this.dst);
    }
  }
}

export class TcpListener {
  /** Connections in SYN-RECEIVED (the SYN queue). */
  readonly synQueue = new Set<TcpConnection>();
  /** ESTABLISHED connections not yet accepted. */
  readonly acceptQueue: TcpConnection[] = [];
  onAcceptable: (() => void) | null = null;
  closed = false;
  constructor(
    readonly addr: number,
    readonly port: number,
    public backlog: number,
    readonly config: Partial<TcpConfig>,
  ) {}
}

/** MSS values a SYN cookie can carry (2 bits), as Linux's msstab. */
const COOKIE_MSS = [536, 1300, 1440, 1460];
/** Cookie time slot: 64 s (Linux uses 60 s counters); a cookie is valid for the current and previous slot. */
const COOKIE_SLOT_MS = 64_000;

export class TcpLayer {
  readonly connections = new ConnectionTable();
  readonly listeners = new Map<number, TcpListener[]>();
  readonly isn: IsnGenerator;
  readonly options: Required<Omit<TcpLayerOptions, 'config'>> & { config: Partial<TcpConfig> };
  private challengeWindowStart = -Infinity;
  private challengeCount = 0;
  /** Which listener a SYN-RECEIVED connection belongs to. */
  private readonly owners = new WeakMap<TcpConnection, TcpListener>();
  private readonly segmentWriter = new SegmentWriter();
  private readonly rxSegments: CounterHandle;
  private readonly txSegments: CounterHandle;

  constructor(
    readonly host: TcpHost,
    opts: TcpLayerOptions = {},
  ) {
    const r = host.random;
    this.isn = new IsnGenerator([r.u32(), r.u32(), r.u32(), r.u32()]);
    this.options = {
      config: opts.config ?? {},
      synCookies: opts.synCookies ?? 1,
      challengeAckLimit: opts.challengeAckLimit ?? 1000,
      ackPerBatch: opts.ackPerBatch ?? false,
    };
    this.rxSegments = host.counters.handle('tcp.rx.segments');
    this.txSegments = host.counters.handle('tcp.tx.segments');
    host.ipv4.register(IPPROTO_TCP, this);
  }

  // ---------------------------------------------------------------- connections

  /** A new connection object for a four-tuple (not yet registered). */
  createConnection(e: Endpoints, config: Partial<TcpConfig> = {}): TcpConnection {
    const mss = Math.max(88, this.host.mtuFor(e.remoteAddr) - 40);
    const conn = new TcpConnection(
      e,
      {
        clock: this.host.clock,
        probes: this.host.probes,
        output: (segment, causeId, ecn) => this.output(e, segment, causeId, ecn),
        allowChallengeAck: (now) => this.allowChallengeAck(now),
        tsOffset: this.isn.tsOffset(e.localAddr, e.remoteAddr),
        zeroCopyOutput: true, // output() serialises the segment before returning
        deferAck: this.options.ackPerBatch ? this.deferAck : undefined,
        tsoMaxBytes: () => (this.host.ipv4.segmentationOffloadFor?.(e.remoteAddr) ? TSO_MAX_PAYLOAD : 0),
      },
      { mss, ...this.options.config, ...config },
    );
    return conn;
  }

  register(conn: TcpConnection): void {
    this.connections.set(conn);
  }

  unregister(conn: TcpConnection): void {
    this.connections.delete(conn);
  }

  lookup(e: Endpoints): TcpConnection | undefined {
    return this.connections.getFor(e);
  }

  /** ISN for a four-tuple now (RFC 6528). */
  issFor(e: Endpoints): SeqNum {
    return this.isn.isn(e, this.host.clock.now());
  }

  /** Connections (any state but CLOSED) using a local port; used for EADDRINUSE including TIME-WAIT. */
  connectionsOnPort(port: number): TcpConnection[] {
    const out: TcpConnection[] = [];
    for (const c of this.connections.values()) if (c.endpoints.localPort === port && c.state !== 'CLOSED') out.push(c);
    return out;
  }

  // ---------------------------------------------------------------- listeners

  listen(addr: number, port: number, backlog: number, config: Partial<TcpConfig> = {}): TcpListener {
    const l = new TcpListener(addr, port, Math.max(1, backlog), config);
    const list = this.listeners.get(port) ?? [];
    list.push(l);
    this.listeners.set(port, list);
    return l;
  }

  closeListener(l: TcpListener): void {
    l.closed = true;
    const list = (this.listeners.get(l.port) ?? []).filter((x) => x !== l);
    if (list.length) this.listeners.set(l.port, list);
    else this.listeners.delete(l.port);
    // Connections never accepted are reset (Linux inet_csk_listen_stop).
    for (const c of [...l.synQueue, ...l.acceptQueue]) c.abort('listener closed');
    l.synQueue.clear();
    l.acceptQueue.length = 0;
  }

  private findListener(addr: number, port: number): TcpListener | null {
    const list = this.listeners.get(port);
    if (!list) return null;
    return list.find((l) => l.addr === addr) ?? list.find((l) => l.addr === 0) ?? null;
  }

  // ---------------------------------------------------------------- input

  receive(d: Ipv4Datagram): void {
    const h = this.host;
    const bytes = d.payload;
    if (bytes.length < 20) return this.dropSeg('truncated', d.causeId);
    // Skipped only when the link vouched for the checksum (checksum offload, off by default).
    if (d.checksumVerified !== true && !verifyTcpChecksum(bytes, d.src, d.dst)) return this.dropSeg('bad-checksum', d.causeId);
    let seg: TcpSegment;
    try {
      seg = parseTcp(bytes, 0, bytes.length);
    } catch (err) {
      return this.dropSeg('malformed', d.causeId, { error: (err as Error).message });
    }
    this.rxSegments.value++;
    const conn = this.connections.get(d.dst, seg.dstPort, d.src, seg.srcPort);
    if (conn && conn.state !== 'CLOSED') {
      // RFC 1122 §4.2.2.13 / RFC 6191: a new SYN may reopen a TIME-WAIT connection.
      if (conn.state === 'TIME-WAIT' && conn.acceptsReopeningSyn(seg) && this.findListener(d.dst, seg.dstPort)) {
        h.counters.inc('tcp.time-wait.reopened');
        conn.abort('TIME-WAIT reopened by new SYN');
        this.connections.delete(conn);
      } else {
        const owner = this.owners.get(conn);
        if (owner && conn.state === 'SYN-RECEIVED' && owner.acceptQueue.length >= owner.backlog && seg.flags & TCP_ACK && !(seg.flags & (TCP_RST | TCP_SYN))) {
          // Accept queue full: ignore the handshake ACK; our SYN,ACK retransmission retries (Linux, tcp_abort_on_overflow=0).
          return this.dropSeg('accept-queue-full', d.causeId);
        }
        conn.handleSegment(seg, d.causeId, d.ecn);
        return;
      }
    }
    const e: Endpoints = { localAddr: d.dst, localPort: seg.dstPort, remoteAddr: d.src, remotePort: seg.srcPort };
    const listener = this.findListener(d.dst, seg.dstPort);
    if (listener && !listener.closed) {
      this.listenerInput(listener, e, seg, d.causeId, d.ecn);
      return;
    }
    // §3.10.7.1: no connection → RST.
    h.counters.inc('tcp.rx.closed-port');
    const rst = resetFor(seg);
    if (rst) {
      h.counters.inc('tcp.tx.rst-closed-port');
      const id = h.probes.publish({ t: h.clock.now(), layer: 'tcp', kind: 'rst-closed-port', subject: `${ipv4ToString(e.localAddr)}:${e.localPort}-${ipv4ToString(e.remoteAddr)}:${e.remotePort}`, causeId: d.causeId, data: { seq: rst.seq, ack: rst.ack } });
      this.output(e, rst, id);
    } else {
      this.dropSeg('rst-for-closed-port', d.causeId);
    }
  }

  private listenerInput(l: TcpListener, e: Endpoints, seg: TcpSegment, causeId: number, ecn = 0): void {
    const h = this.host;
    if (seg.flags & TCP_RST) return this.dropSeg('rst-in-listen', causeId);
    if (seg.flags & TCP_SYN && !(seg.flags & TCP_ACK)) {
      const cookiesAlways = this.options.synCookies === 2;
      const synFull = l.synQueue.size >= l.backlog;
      if (cookiesAlways || synFull) {
        if (this.options.synCookies === 0) return this.dropSeg('syn-queue-full', causeId);
        h.counters.inc('tcp.syncookies.sent');
        this.sendCookieSynAck(l, e, seg, causeId);
        return;
      }
      const conn = this.createConnection(e, l.config);
      this.owners.set(conn, l);
      l.synQueue.add(conn);
      this.register(conn);
      conn.events.established = () => {
        l.synQueue.delete(conn);
        l.acceptQueue.push(conn);
        l.onAcceptable?.();
      };
      conn.events.closed = () => {
        l.synQueue.delete(conn);
        const i = l.acceptQueue.indexOf(conn);
        if (i >= 0) l.acceptQueue.splice(i, 1);
        this.unregister(conn);
      };
      conn.listen(() => this.issFor(e));
      conn.handleSegment(seg, causeId, ecn);
      return;
    }
    if (seg.flags & TCP_ACK && this.options.synCookies !== 0 && !(seg.flags & TCP_SYN)) {
      const conn = this.tryCookie(l, e, seg, causeId);
      if (conn) return;
    }
    // LISTEN with an ACK (§3.10.7.2) → <SEQ=SEG.ACK><CTL=RST>.
    const rst = resetFor(seg);
    if (rst && seg.flags & TCP_ACK) this.output(e, rst, causeId);
    else this.dropSeg('listen-no-syn', causeId);
  }

  // ---------------------------------------------------------------- SYN cookies (RFC 4987 §3.6)

  /**
   * Cookie ISN: 5 bits of time slot | 2 bits MSS index | 25 bits keyed hash of the four-tuple,
   * the peer's ISN and the slot. With timestamps the low 5 bits of our TSval carry the peer's
   * window scale (15 = none) and bit 5 SACK-permitted (Linux's cookie_init_timestamp idea).
   */
  private cookieHash(e: Endpoints, irs: SeqNum, slot: number): number {
    return this.isn.hash([e.localAddr, e.remoteAddr, ((e.localPort << 16) | e.remotePort) >>> 0, irs, slot]) & 0x1ffffff;
  }

  private sendCookieSynAck(l: TcpListener, e: Endpoints, seg: TcpSegment, causeId: number): void {
    const now = this.host.clock.now();
    const slot = Math.floor(now / COOKIE_SLOT_MS) & 0x1f;
    let peerMss = 536;
    let ws: number | null = null;
    let sackOk = false;
    let ts: { tsval: number; tsecr: number } | null = null;
    for (const o of seg.options) {
      if (o.kind === 'mss') peerMss = o.value;
      else if (o.kind === 'wscale') ws = Math.min(14, o.shift);
      else if (o.kind === 'sack-permitted') sackOk = true;
      else if (o.kind === 'timestamps') ts = o;
    }
    let mssIdx = 0;
    for (let i = COOKIE_MSS.length - 1; i >= 0; i--) {
      if (COOKIE_MSS[i]! <= peerMss) {
        mssIdx = i;
        break;
      }
    }
    const iss = seq(((slot << 27) | (mssIdx << 25) | this.cookieHash(e, seg.seq, slot)) >>> 0);
    const cfg = { ...this.options.config, ...l.config };
    const opts: TcpOption[] = [{ kind: 'mss', value: Math.max(88, this.host.mtuFor(e.remoteAddr) - 40) }];
    const useTs = ts !== null && cfg.timestamps !== false;
    if (useTs) {
      // Without state, window scale and SACK survive only inside our timestamp (RFC 4987 §3.6 notes the loss otherwise).
      const wsBits = ws === null || cfg.windowScaling === false ? 15 : ws;
      const sackBit = sackOk && cfg.sack !== false ? 1 : 0;
      // The connection's TSvals will be clock + the host pair's offset (createConnection). The low
      // 6 bits carry the options, so the cookie TSval may not run ahead of that clock: a later TSval
      // smaller than the peer's TS.Recent would be dropped by its PAWS (Linux cookie_init_timestamp
      // steps back one 64-tick slot the same way).
      const tsNow = (Math.floor(now) + this.isn.tsOffset(e.localAddr, e.remoteAddr)) >>> 0;
      let tsval = ((tsNow & ~0x3f) | (sackBit << 5) | wsBits) >>> 0;
      if (((tsval - tsNow) | 0) > 0) tsval = ((((tsNow & ~0x3f) - 0x40) | (sackBit << 5) | wsBits) >>> 0);
      if (sackBit) opts.push({ kind: 'sack-permitted' });
      opts.push({ kind: 'timestamps', tsval, tsecr: ts!.tsval });
      if (wsBits !== 15) opts.push({ kind: 'nop' }, { kind: 'wscale', shift: this.shiftFor(cfg) });
    }
    const out: TcpSegment = {
      srcPort: e.localPort,
      dstPort: e.remotePort,
      seq: iss,
      ack: seqAdd(seg.seq, 1),
      flags: TCP_SYN | TCP_ACK,
      window: Math.min(0xffff, cfg.receiveBufferSize ?? 256 * 1024),
      urgentPointer: 0,
      options: opts,
      payload: new Uint8Array(0),
    };
    this.output(e, out, causeId);
  }

  private shiftFor(cfg: Partial<TcpConfig>): number {
    const size = cfg.receiveBufferSize ?? 256 * 1024;
    let s = 0;
    while (s < 14 && size >> s > 0xffff) s++;
    return s;
  }

  private tryCookie(l: TcpListener, e: Endpoints, seg: TcpSegment, causeId: number): TcpConnection | null {
    const h = this.host;
    const cookie = seqAdd(seg.ack, -1) >>> 0;
    const irs = seqAdd(seg.seq, -1);
    const slot = cookie >>> 27;
    const now = h.clock.now();
    const current = Math.floor(now / COOKIE_SLOT_MS) & 0x1f;
    const age = (current - slot) & 0x1f;
    if (age > 1) return null;
    if ((cookie & 0x1ffffff) !== this.cookieHash(e, irs, slot)) return null;
    if (l.acceptQueue.length >= l.backlog) {
      this.dropSeg('accept-queue-full', causeId);
      return null;
    }
    h.counters.inc('tcp.syncookies.ok');
    const mssIdx = (cookie >>> 25) & 3;
    const ts = findTimestamps(seg.options);
    let wscale: number | null = null;
    let sackOk = false;
    if (ts) {
      const bits = ts.tsecr & 0x3f;
      wscale = (bits & 0x1f) === 15 ? null : bits & 0x1f;
      sackOk = (bits & 0x20) !== 0;
    }
    const conn = this.createConnection(e, l.config);
    this.register(conn);
    this.owners.set(conn, l);
    conn.events.closed = () => {
      const i = l.acceptQueue.indexOf(conn);
      if (i >= 0) l.acceptQueue.splice(i, 1);
      this.unregister(conn);
    };
    conn.establishFromCookie({
      iss: seq(cookie),
      irs,
      peerMss: COOKIE_MSS[mssIdx]!,
      window: seg.window,
      wscale,
      sackOk,
      tsecr: ts ? ts.tsecr : null,
      tsval: ts ? ts.tsval : null,
      ack: seg.ack,
      seq: seg.seq,
    });
    l.acceptQueue.push(conn);
    l.onAcceptable?.();
    if (seg.payload.length > 0) conn.handleSegment(seg, causeId);
    return conn;
  }

  // ---------------------------------------------------------------- deferred ACKs (ackPerBatch)

  private readonly ackOwed = new Set<TcpConnection>();
  private ackFlushQueued = false;

  private readonly deferAck = (conn: TcpConnection): void => {
    this.ackOwed.add(conn);
    if (!this.ackFlushQueued) {
      this.ackFlushQueued = true;
      // Microtasks run once the device's whole batch has gone through the stack.
      queueMicrotask(this.flushAcks);
    }
  };

  private readonly flushAcks = (): void => {
    this.ackFlushQueued = false;
    for (const c of this.ackOwed) c.flushDeferredAck();
    this.ackOwed.clear();
  };

  // ---------------------------------------------------------------- output

  /** `ecn`: the IP ECN codepoint of the datagram (RFC 3168 §5; the connection decides ECT). */
  output(e: Endpoints, segment: TcpSegment, causeId: number | undefined, ecn = 0): void {
    const h = this.host;
    // The segment is serialised straight into the IP layer's frame (no intermediate array); the
    // writer is reused because the IP layer calls it before send() returns.
    const w = this.segmentWriter;
    w.segment = segment;
    w.src = e.localAddr;
    w.dst = e.remoteAddr;
    w.length = tcpHeaderLength(segment) + segment.payload.length;
    this.txSegments.value++;
    // DF on every segment: TCP does path MTU discovery (RFC 1191) rather than fragmenting.
    const r = h.ipv4.send({ src: e.localAddr, dst: e.remoteAddr, protocol: IPPROTO_TCP, payload: w, causeId, dontFragment: true, ecn });
    w.segment = null;
    if (!r.ok) {
      h.counters.inc(`tcp.tx.error.${r.errno}`);
      // The IP layer knows a smaller path MTU than this segment: shrink the MSS and resend.
      if (r.errno === 'EMSGSIZE' && segment.payload.length > 0) {
        const conn = this.lookup(e);
        const mtu = h.mtuFor(e.remoteAddr);
        if (conn && mtu - 40 < segment.payload.length + 20) queueMicrotask(() => conn.pathMtuChanged(mtu));
      }
    }
  }

  private dropSeg(reason: string, causeId: number | undefined, extra: Record<string, string | number> = {}): void {
    const h = this.host;
    h.counters.inc(`tcp.drop.${reason}`);
    if (h.probes.hasListeners()) h.probes.publish({ t: h.clock.now(), layer: 'tcp', kind: 'drop', causeId, data: { reason, ...extra } });
  }

  /** RFC 5961 §7: one budget for the whole layer, reset every second. */
  private allowChallengeAck(now: number): boolean {
    if (now - this.challengeWindowStart >= 1000) {
      this.challengeWindowStart = now;
      this.challengeCount = 0;
    }
    return this.challengeCount++ < this.options.challengeAckLimit;
  }

  // ---------------------------------------------------------------- ICMP

  /** RFC 1122 §4.2.3.9 / RFC 5927: hard errors abort a connection still in SYN-SENT; others are soft. */
  icmpError(r: IcmpErrorReport): void {
    if (r.quotedTransport.length < 8) return;
    const q = r.quotedTransport;
    const srcPort = (q[0]! << 8) | q[1]!;
    const dstPort = (q[2]! << 8) | q[3]!;
    const conn = this.lookup({ localAddr: r.quotedSrc, localPort: srcPort, remoteAddr: r.quotedDst, remotePort: dstPort });
    if (!conn) return;
    const qseq = seq(((q[4]! << 24) | (q[5]! << 16) | (q[6]! << 8) | q[7]!) >>> 0);
    // RFC 5927 §4.1: the quoted sequence number must be in SND.UNA..SND.MAX.
    if (seqDiff(qseq, conn.sndUna) < 0 || seqDiff(qseq, conn.sndMax) > 0) {
      this.host.counters.inc('tcp.icmp.out-of-window');
      return;
    }
    if (r.type === 3 && r.code === 4 && r.nextHopMtu && r.nextHopMtu >= 68) {
      conn.pathMtuChanged(r.nextHopMtu);
      return;
    }
    if (conn.state === 'SYN-SENT' && (r.errno === 'ECONNREFUSED' || r.errno === 'EHOSTUNREACH' || r.errno === 'ENETUNREACH')) {
      conn.fail(r.errno === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'ETIMEDOUT', `ICMP ${r.type}/${r.code}`);
    }
  }

  /** Stops every connection's timers without sending anything (the stack is shutting down). */
  close(): void {
    for (const l of [...this.listeners.values()].flat()) l.closed = true;
    this.listeners.clear();
    for (const c of [...this.connections.values()]) c.fail('ECONNABORTED', 'stack closed');
    this.connections.clear();
  }

  /** Counts of connections by state (for status output). */
  stateCounts(): Partial<Record<TcpState, number>> {
    const out: Partial<Record<TcpState, number>> = {};
    for (const c of this.connections.values()) out[c.state] = (out[c.state] ?? 0) + 1;
    return out;
  }
}
