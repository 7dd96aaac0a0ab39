/**
 * Drives ONE TcpConnection with template segments at explicit ManualClock times (smoltcp style).
 * The remote peer is imaginary: tests write the segments it "sends" and check what comes out.
 */
import { ManualClock } from '@shared/sim/clock';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { seq, seqAdd, type SeqNum } from '@shared/wire/seq';
import { TcpConnection, type TcpConfig } from '../../src-main/stack/tcp/connection';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpOption, type TcpSegment } from '../../src-main/stack/tcp/segment';

export const LOCAL_ADDR = 0xc0000201; // 192.0.2.1
export const REMOTE_ADDR = 0xc0000202; // 192.0.2.2
export const LOCAL_PORT = 80;
export const REMOTE_PORT = 49152;
export const LOCAL_ISS = seq(10_000);
export const REMOTE_ISS = seq(0xfffff000); // close to the wrap on purpose

/**
 * Plain options for state tests: no timestamps/SACK/scaling so numbers read like the RFC's figures,
 * and classic loss detection (RFC 5681/6582/6675 DupThresh) when a test turns SACK on: RACK-TLP
 * (tests/tcp/rack.test.ts) decides by time, which these tests at one instant do not model.
 */
export const PLAIN: Partial<TcpConfig> = { timestamps: false, sack: false, windowScaling: false, mss: 1000, receiveBufferSize: 4000, sendBufferSize: 8000, rack: false };

export class Harness {
  readonly clock = new ManualClock(0);
  readonly probes = new ProbeBus();
  readonly out: TcpSegment[] = [];
  readonly events: ProbeEvent[] = [];
  readonly conn: TcpConnection;
  closedWith: string | null | undefined = undefined;

  constructor(config: Partial<TcpConfig> = PLAIN) {
    this.probes.subscribe((e) => this.events.push(e));
    this.conn = new TcpConnection(
      { localAddr: LOCAL_ADDR, localPort: LOCAL_PORT, remoteAddr: REMOTE_ADDR, remotePort: REMOTE_PORT },
      { clock: this.clock, probes: this.probes, output: (s) => this.out.push(s), random: () => 0 },
      config,
    );
    this.conn.events.closed = (errno) => {
      this.closedWith = errno;
    };
  }

  /** Segments sent since the last call. */
  take(): TcpSegment[] {
    return this.out.splice(0, this.out.length);
  }

  /** Exactly one segment must have been sent. */
  one(): TcpSegment {
    const s = this.take();
    if (s.length !== 1) throw new Error(`expected one segment, got ${s.length}: ${s.map(describe).join(' | ')}`);
    return s[0]!;
  }

  none(): void {
    const s = this.take();
    if (s.length !== 0) throw new Error(`expected no segment, got ${s.map(describe).join(' | ')}`);
  }

  /** The peer sends a segment. */
  recv(p: Partial<TcpSegment> & { seq: SeqNum }): void {
    this.conn.handleSegment(segment(p));
  }

  at(ms: number): this {
    this.clock.advanceTo(ms);
    return this;
  }

  /** Passive open and completed handshake: ESTABLISHED with RCV.NXT = REMOTE_ISS+1, SND.NXT = LOCAL_ISS+1. */
  established(): this {
    this.conn.listen(() => LOCAL_ISS);
    this.recv({ flags: TCP_SYN, seq: REMOTE_ISS, options: [{ kind: 'mss', value: 1000 }] });
    this.take();
    this.recv({ flags: TCP_ACK, seq: seqAdd(REMOTE_ISS, 1), ack: seqAdd(LOCAL_ISS, 1) });
    this.take();
    return this;
  }

  states(): string[] {
    return this.events.filter((e) => e.kind === 'state').map((e) => `${e.data.from}->${e.data.to}`);
  }
}

export function segment(p: Partial<TcpSegment> & { seq: SeqNum }): TcpSegment {
  return {
    srcPort: REMOTE_PORT,
    dstPort: LOCAL_PORT,
    ack: seq(0),
    flags: TCP_ACK,
    window: 4000,
    urgentPointer: 0,
    options: [] as TcpOption[],
    payload: new Uint8Array(0),
    ...p,
  };
}

/** Remote sequence number n bytes after its ISN+1. */
export function rseq(n = 0): SeqNum {
  return seqAdd(REMOTE_ISS, 1 + n);
}
/** Local sequence number n bytes after its ISN+1. */
export function lseq(n = 0): SeqNum {
  return seqAdd(LOCAL_ISS, 1 + n);
}

export function bytes(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

export function describe(s: TcpSegment): string {
  const f = [s.flags & TCP_SYN ? 'S' : '', s.flags & TCP_FIN ? 'F' : '', s.flags & TCP_RST ? 'R' : '', s.flags & TCP_ACK ? '.' : ''].join('');
  return `[${f}] seq=${s.seq} ack=${s.ack} win=${s.window} len=${s.payload.length}`;
}

export { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN };

/**
 * A SACK sender for traces at explicit times: passive open (the peer offers MSS 1000, SACK and a
 * 60 000-byte window) whose handshake takes 100 ms, so SRTT = min_RTT = 100 ms. Offsets in
 * `ackWithSack` are bytes after the first data byte.
 */
export function sackSender(config: Partial<TcpConfig>): Harness {
  const h = new Harness(config);
  h.conn.listen(() => lseq(-1));
  h.at(0).recv({ flags: TCP_SYN, seq: rseq(-1), options: [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }], window: 60_000 });
  h.at(100).recv({ seq: rseq(0), ack: lseq(0), window: 60_000 });
  h.take();
  return h;
}

/** A SACK option with blocks given as offsets after the first data byte. */
export const sackOption = (blocks: [number, number][]) => [{ kind: 'sack' as const, blocks: blocks.map(([l, r]) => ({ left: lseq(l), right: lseq(r) })) }];

/** The peer ACKs `ack` (an offset) with SACK blocks at time `t`. */
export function ackWithSack(h: Harness, t: number, ack: number, blocks: [number, number][] = []): void {
  h.at(t).recv({ seq: rseq(0), ack: lseq(ack), window: 60_000, options: sackOption(blocks) });
}
