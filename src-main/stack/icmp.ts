/**
 * ICMP (RFC 792, RFC 1122 §3.2.2): echo replies, a ping client, the errors a host sends (port and
 * protocol unreachable, time exceeded on reassembly timeout) under a token-bucket rate limit
 * (RFC 1812 §4.3.2.8), and received errors routed to the protocol that sent the quoted datagram
 * as an IcmpErrorReport with the errno a socket reports.
 */
import { parseIcmp, decodeIcmpQuoted, emitIcmp, ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, ICMP_PARAMETER_PROBLEM, type IcmpEmitInput, type IcmpErrorRepr } from '@shared/wire/icmp';
import { IPPROTO_ICMP } from '@shared/wire/ipv4';
import { ipv4ToString, parseIpv4 } from '@shared/wire/address';
import type { Stack } from './stack';
import type { IcmpErrorReport, IpProtocolHandler } from './ip/protocols';
import { isMulticast, type ReceivedDatagram } from './ip/ipv4';
import { TokenBucket } from './token-bucket';
import type { CounterHandle } from './counters';
import { SocketError, type Errno } from './errors';

export interface IcmpOptions {
  /** Errors per second (Linux net.ipv4.icmp_msgs_per_sec = 1000). */
  errorRatePerSecond?: number;
  /** Burst (Linux net.ipv4.icmp_msgs_burst = 50). */
  errorBurst?: number;
  /** Answer echo requests sent to a broadcast address (Linux default: no, icmp_echo_ignore_broadcasts). */
  answerBroadcastEcho?: boolean;
}

export interface PingOptions {
  /** Data bytes after the 8-byte ICMP header (ping -s; default 56). */
  size?: number;
  timeoutMs?: number;
  ttl?: number;
  identifier?: number;
  sequence?: number;
  dontFragment?: boolean;
  causeId?: number;
}

export interface PingReply {
  sequence: number;
  identifier: number;
  rttMs: number;
  ttl: number;
  /** ICMP bytes received (header + data), as ping prints them. */
  bytes: number;
  from: string;
}

interface PendingPing {
  sentAt: number;
  resolve: (r: PingReply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<Stack['clock']['setTimer']>;
}

/** Largest ICMP error datagram: 576 bytes (RFC 1812 §4.3.2.3; Linux quotes the same). */
const MAX_ERROR_DATAGRAM = 576;

/** Query types: an error is never sent about an ICMP error message (RFC 1122 §3.2.2). */
function isIcmpQuery(type: number): boolean {
  return type === 0 || type === 8 || type === 13 || type === 14 || type === 15 || type === 16 || type === 17 || type === 18;
}

export function errnoFor(type: number, code: number): IcmpErrorReport['errno'] {
  if (type === ICMP_DEST_UNREACHABLE) {
    switch (code) {
      case 0:
        return 'ENETUNREACH';
      case 2: // protocol unreachable (Linux: ENOPROTOOPT; the seam has EPROTO for it)
        return 'EPROTO';
      case 3:
        return 'ECONNREFUSED';
      case 4:
        return 'EMSGSIZE';
      default:
        return 'EHOSTUNREACH';
    }
  }
  if (type === ICMP_TIME_EXCEEDED) return 'EHOSTUNREACH';
  if (type === ICMP_PARAMETER_PROBLEM) return 'EPROTO';
  return 'EHOSTUNREACH';
}

export class IcmpLayer implements IpProtocolHandler {
  private readonly bucket: TokenBucket;
  private readonly answerBroadcastEcho: boolean;
  private readonly pings = new Map<number, PendingPing>();
  private nextSequence = 1;
  /** Default ping identifier (ping uses its pid). */
  readonly identifier: number;
  private readonly rxByType: CounterHandle[] = [];
  private readonly txEchoReplies: CounterHandle;

  constructor(
    private readonly stack: Stack,
    opts: IcmpOptions = {},
  ) {
    this.bucket = new TokenBucket(stack.clock, opts.errorRatePerSecond ?? 1000, opts.errorBurst ?? 50);
    this.answerBroadcastEcho = opts.answerBroadcastEcho ?? false;
    this.identifier = stack.random.int(0x10000);
    this.txEchoReplies = stack.counters.handle('icmp.tx.echo-replies');
  }

  receive(d: ReceivedDatagram): void {
    const s = this.stack;
    let msg;
    try {
      msg = parseIcmp(d.payload, 0, d.payload.length);
    } catch (err) {
      s.drop('icmp', 'malformed', d.causeId, { error: (err as Error).message });
      return;
    }
    if (!msg.checksumValid) {
      s.drop('icmp', 'bad-checksum', d.causeId);
      return;
    }
    (this.rxByType[msg.type] ??= s.counters.handle(`icmp.rx.type-${msg.type}`)).value++;
    const id = s.event('icmp', 'message-in', d.causeId, () => ({ type: msg.type, code: msg.code, kind: msg.kind }), () => ipv4ToString(d.src));
    if (msg.kind === 'echo-request') {
      if ((d.ipBroadcast || d.linkBroadcast || isMulticast(d.dst)) && !this.answerBroadcastEcho) {
        s.drop('icmp', 'echo-broadcast-ignored', id);
        return;
      }
      // RFC 792: same identifier, sequence and data; RFC 1122 §3.2.2.6 source = the address it was sent to.
      const reply = emitIcmp({ type: ICMP_ECHO_REPLY, identifier: msg.identifier, sequence: msg.sequence, data: msg.data });
      const r = s.ipv4.send({ src: d.dst, dst: d.src, protocol: IPPROTO_ICMP, payload: reply, causeId: id, dscp: d.dscp });
      if (r.ok) this.txEchoReplies.value++;
      else s.drop('icmp', `echo-reply-${r.errno.toLowerCase()}`, id);
      return;
    }
    if (msg.kind === 'echo-reply') {
      const p = msg.identifier === this.identifier ? this.pings.get(msg.sequence) : undefined;
      if (!p) {
        s.drop('icmp', 'echo-reply-unmatched', id, { identifier: msg.identifier, sequence: msg.sequence });
        return;
      }
      this.pings.delete(msg.sequence);
      s.clock.clearTimer(p.timer);
      p.resolve({ sequence: msg.sequence, identifier: msg.identifier, rttMs: s.clock.now() - p.sentAt, ttl: d.ttl, bytes: d.payload.length, from: ipv4ToString(d.src) });
      return;
    }
    if (msg.kind === 'other') {
      s.drop('icmp', 'unsupported-type', id, { type: msg.type });
      return;
    }
    if (msg.kind === 'redirect' || msg.kind === 'source-quench') {
      // A host may ignore redirects it cannot act on; source quench is deprecated (RFC 6633).
      s.drop('icmp', msg.kind === 'redirect' ? 'redirect-ignored' : 'source-quench-ignored', id);
      return;
    }
    const err = msg as IcmpErrorRepr;
    this.receiveError(err.type, err.code, err.nextHopMtu, err.quoted, id);
  }

  private receiveError(type: number, code: number, nextHopMtu: number | undefined, quoted: Uint8Array, causeId: number): void {
    const s = this.stack;
    let q;
    try {
      q = decodeIcmpQuoted(quoted);
    } catch (err) {
      s.drop('icmp', 'bad-quote', causeId, { error: (err as Error).message });
      return;
    }
    const t = q.transportOffset;
    if (quoted.length - t < 8) {
      // RFC 792 promises 64 bits of the original data; less is not worth routing.
      s.drop('icmp', 'short-quote', causeId);
      return;
    }
    if (!s.isLocalAddress(q.ipv4.src)) {
      s.drop('icmp', 'error-not-ours', causeId, { quotedSrc: ipv4ToString(q.ipv4.src) });
      return;
    }
    if (type === ICMP_DEST_UNREACHABLE && code === 4 && nextHopMtu) this.stack.ipv4.learnPathMtu(q.ipv4.dst, nextHopMtu);
    const report: IcmpErrorReport = {
      type,
      code,
      nextHopMtu: nextHopMtu || undefined,
      errno: errnoFor(type, code),
      quotedSrc: q.ipv4.src,
      quotedDst: q.ipv4.dst,
      quotedProtocol: q.ipv4.protocol,
      quotedTransport: quoted.subarray(t),
      causeId,
    };
    this.deliverError(report);
  }

  /** Routes an error report to the protocol of the quoted datagram (or to a waiting ping). */
  deliverError(report: IcmpErrorReport): void {
    const s = this.stack;
    s.counters.inc('icmp.rx.errors-delivered');
    if (report.quotedProtocol === IPPROTO_ICMP) {
      const qt = report.quotedTransport;
      const identifier = (qt[4]! << 8) | qt[5]!;
      const sequence = (qt[6]! << 8) | qt[7]!;
      const p = qt[0] === ICMP_ECHO_REQUEST && identifier === this.identifier ? this.pings.get(sequence) : undefined;
      if (p) {
        this.pings.delete(sequence);
        s.clock.clearTimer(p.timer);
        p.reject(new SocketError(report.errno as Errno, `ping icmp_seq=${sequence}: ICMP type ${report.type} code ${report.code}`));
      }
      return;
    }
    const h = s.ipv4.handler(report.quotedProtocol);
    if (h?.icmpError) h.icmpError(report);
    else s.drop('icmp', 'error-no-handler', report.causeId, { protocol: report.quotedProtocol });
  }

  /**
   * A datagram we sent could not be delivered locally (ARP failed): tell its protocol as if an
   * ICMP host unreachable had come back (Linux does the same), without sending anything.
   */
  reportLocalUnreachable(src: number, dst: number, protocol: number, first8: Uint8Array, causeId: number): void {
    this.deliverError({
      type: ICMP_DEST_UNREACHABLE,
      code: 1,
      errno: 'EHOSTUNREACH',
      quotedSrc: src,
      quotedDst: dst,
      quotedProtocol: protocol,
      quotedTransport: first8.slice(),
      causeId,
    });
  }

  /** Destination unreachable (type 3) about a received datagram; code 2 protocol, 3 port. */
  sendDestUnreachable(d: ReceivedDatagram, code: number): void {
    const s = this.stack;
    // RFC 1122 §3.2.2: never about broadcast/multicast datagrams or about ICMP errors.
    if (d.ipBroadcast || d.linkBroadcast || isMulticast(d.dst)) {
      s.counters.inc('icmp.tx.suppressed-broadcast');
      return;
    }
    if (d.protocol === IPPROTO_ICMP && d.payload.length > 0 && !isIcmpQuery(d.payload[0]!)) {
      s.counters.inc('icmp.tx.suppressed-error-about-error');
      return;
    }
    const room = MAX_ERROR_DATAGRAM - 20 - 8 - d.header.length;
    const quote = new Uint8Array(d.header.length + Math.min(d.payload.length, room));
    quote.set(d.header, 0);
    quote.set(d.payload.subarray(0, quote.length - d.header.length), d.header.length);
    this.sendError(d.src, d.dst, quote, ICMP_DEST_UNREACHABLE, code, d.causeId);
  }

  /**
   * Sends an ICMP error to `to` quoting `quote` (IP header + data), from `from` (the address the
   * offending datagram was sent to), under the rate limit.
   */
  sendError(to: number, from: number, quote: Uint8Array, type: number, code: number, causeId: number): void {
    const s = this.stack;
    // RFC 1122 §3.2.2: not to a source that is not one host.
    if (to === 0 || to === 0xffffffff || isMulticast(to)) {
      s.counters.inc('icmp.tx.suppressed-bad-source');
      return;
    }
    if (!this.bucket.take()) {
      s.drop('icmp', 'rate-limited', causeId, { type, code });
      return;
    }
    const input: IcmpEmitInput = { type: type as 3 | 11, code, quoted: quote };
    const payload = emitIcmp(input);
    const src = s.isLocalAddress(from) ? from : undefined;
    const id = s.probes.publish({ t: s.clock.now(), layer: 'icmp', kind: 'error-out', subject: ipv4ToString(to), causeId, data: { type, code } });
    const r = s.ipv4.send({ src, dst: to, protocol: IPPROTO_ICMP, payload, causeId: id });
    if (r.ok) s.counters.inc(`icmp.tx.type-${type}-code-${code}`);
    else s.drop('icmp', `error-${r.errno.toLowerCase()}`, id);
  }

  /**
   * Sends one echo request and resolves with the reply (RTT on the stack's clock). Rejects with
   * SocketError ETIMEDOUT, or with the errno of an ICMP error that quotes the request.
   */
  ping(dst: number | string, opts: PingOptions = {}): Promise<PingReply> {
    const s = this.stack;
    const to = typeof dst === 'string' ? parseIpv4(dst) : dst;
    const size = opts.size ?? 56;
    const sequence = opts.sequence ?? this.nextSequence;
    this.nextSequence = ((opts.sequence ?? this.nextSequence) + 1) & 0xffff;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i + 8) & 0xff; // ping's default pattern
    const payload = emitIcmp({ type: ICMP_ECHO_REQUEST, identifier: opts.identifier ?? this.identifier, sequence, data });
    return new Promise<PingReply>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 1000;
      const old = this.pings.get(sequence);
      if (old) {
        s.clock.clearTimer(old.timer);
        old.reject(new SocketError('ETIMEDOUT', `ping icmp_seq=${sequence}: superseded`));
      }
      const timer = s.clock.setTimer(s.clock.now() + timeoutMs, () => {
        if (this.pings.get(sequence)?.timer !== timer) return;
        this.pings.delete(sequence);
        s.counters.inc('icmp.ping.timeouts');
        reject(new SocketError('ETIMEDOUT', `ping ${ipv4ToString(to)} icmp_seq=${sequence}: no reply in ${timeoutMs} ms`));
      });
      this.pings.set(sequence, { sentAt: s.clock.now(), resolve, reject, timer });
      const id = s.probes.publish({ t: s.clock.now(), layer: 'icmp', kind: 'echo-out', subject: ipv4ToString(to), causeId: opts.causeId, data: { sequence, size } });
      const r = s.ipv4.send({ dst: to, protocol: IPPROTO_ICMP, payload, ttl: opts.ttl, dontFragment: opts.dontFragment, causeId: id });
      if (!r.ok) {
        this.pings.delete(sequence);
        s.clock.clearTimer(timer);
        reject(new SocketError(r.errno, `ping ${ipv4ToString(to)}: ${r.errno}`));
        return;
      }
      s.counters.inc('icmp.tx.echo-requests');
    });
  }

  close(): void {
    for (const [seq, p] of this.pings) {
      this.stack.clock.clearTimer(p.timer);
      p.reject(new SocketError('ETIMEDOUT', `ping icmp_seq=${seq}: stack closed`));
    }
    this.pings.clear();
  }
}

