/**
 * UDP (RFC 768, RFC 1122 §4.1) with a BSD-like socket API: bind / connect / send / sendto /
 * recvfrom, ephemeral ports from the shared PortTable, SO_REUSEADDR, SO_BROADCAST, and ICMP errors
 * reported on connected sockets only (Linux without IP_RECVERR: an unconnected socket cannot tell
 * which send failed).
 */
import { UDP_HEADER_LENGTH, UdpView, emitUdp, udpChecksumState } from '@shared/wire/udp';
import { IPPROTO_UDP } from '@shared/wire/ipv4';
import { ipv4ToString, parseIpv4 } from '@shared/wire/address';
import type { Stack } from './stack';
import type { IcmpErrorReport, IpProtocolHandler } from './ip/protocols';
import { isMulticast, type ReceivedDatagram } from './ip/ipv4';
import { PortError, type PortBinding } from './ports';
import { SocketError } from './errors';
import type { CounterHandle } from './counters';
import type { TimerHandle } from '@shared/sim/clock';

/** 65535 − 20 (IPv4 header) − 8 (UDP header). */
export const UDP_MAX_PAYLOAD = 65507;

export interface UdpMessage {
  data: Uint8Array;
  /** Sender's address (u32) and its dotted form. */
  addr: number;
  address: string;
  port: number;
  /** Local address it was sent to (ours or a broadcast). */
  localAddr: number;
  /** Probe id of the arrival. */
  causeId: number;
}

export interface UdpSocketOptions {
  reuseAddr?: boolean;
  broadcast?: boolean;
  /** Receive buffer in bytes of payload (Linux default rmem 212992). */
  receiveBufferBytes?: number;
}

type Address = number | string;

function toAddr(a: Address): number {
  return typeof a === 'number' ? a >>> 0 : parseIpv4(a);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SocketError('EINVAL', `udp: port ${port} is not in 0..65535`);
}

export class UdpSocket {
  private binding: PortBinding | null = null;
  private remote: { addr: number; port: number } | null = null;
  private readonly queue: UdpMessage[] = [];
  private queuedBytes = 0;
  private readonly waiters: { resolve: (m: UdpMessage) => void; reject: (e: Error) => void; timer: TimerHandle | null }[] = [];
  private listener: ((m: UdpMessage) => void) | null = null;
  private pendingError: SocketError | null = null;
  private closed = false;
  readonly reuseAddr: boolean;
  broadcast: boolean;
  readonly receiveBufferBytes: number;

  constructor(
    private readonly layer: UdpLayer,
    opts: UdpSocketOptions = {},
  ) {
    this.reuseAddr = opts.reuseAddr ?? false;
    this.broadcast = opts.broadcast ?? false;
    this.receiveBufferBytes = opts.receiveBufferBytes ?? 212_992;
  }

  get localPort(): number | null {
    return this.binding?.port ?? null;
  }
  get localAddr(): number | null {
    return this.binding?.addr ?? null;
  }
  get remoteAddr(): { addr: number; port: number } | null {
    return this.remote;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Binds to `port` (0 = ephemeral) on `addr` (0 = any). Throws SocketError EADDRINUSE / EINVAL / EADDRNOTAVAIL. */
  bind(port = 0, addr: Address = 0): this {
    this.ensureOpen();
    if (this.binding) throw new SocketError('EINVAL', 'udp: socket is already bound');
    checkPort(port);
    const a = toAddr(addr);
    if (a !== 0 && !this.layer.stack.isLocalAddress(a)) throw new SocketError('EADDRNOTAVAIL', `udp: ${ipv4ToString(a)} is not a local address`);
    try {
      this.binding = this.layer.stack.udpPorts.bind(port, a, this, { reuseAddr: this.reuseAddr });
    } catch (err) {
      if (err instanceof PortError) throw new SocketError(err.code, err.message);
      throw err;
    }
    return this;
  }

  /** Fixes the peer: send() goes there, only its datagrams are received, ICMP errors are reported. */
  connect(addr: Address, port: number): this {
    this.ensureOpen();
    checkPort(port);
    const a = toAddr(addr);
    if (port === 0) throw new SocketError('EINVAL', 'udp: cannot connect to port 0');
    if (!this.binding) {
      const src = this.layer.stack.ipv4.sourceFor(a);
      if (src === null) throw new SocketError('ENETUNREACH', `udp: no route to ${ipv4ToString(a)}`);
      this.bind(0, 0);
    }
    this.remote = { addr: a, port };
    return this;
  }

  send(data: Uint8Array): void {
    if (!this.remote) throw new SocketError('EDESTADDRREQ', 'udp: send on an unconnected socket; use sendto or connect first');
    this.sendto(data, this.remote.addr, this.remote.port);
  }

  /**
   * Sends one datagram. Throws SocketError: EMSGSIZE (> 65507 bytes), EACCES (broadcast without
   * SO_BROADCAST), ENETUNREACH, or a pending ICMP error on a connected socket (as Linux does).
   */
  sendto(data: Uint8Array, addr: Address, port: number, opts: { causeId?: number; ttl?: number; dontFragment?: boolean } = {}): void {
    this.ensureOpen();
    checkPort(port);
    const stack = this.layer.stack;
    const dst = toAddr(addr);
    if (port === 0) throw new SocketError('EINVAL', 'udp: cannot send to port 0');
    if (data.length > UDP_MAX_PAYLOAD) throw new SocketError('EMSGSIZE', `udp: ${data.length} bytes is more than the ${UDP_MAX_PAYLOAD} a datagram holds`);
    if (stack.isBroadcastAddress(dst) && !this.broadcast) {
      throw new SocketError('EACCES', `udp: sending to broadcast ${ipv4ToString(dst)} needs SO_BROADCAST (broadcast: true)`);
    }
    if (this.pendingError && this.remote) {
      const e = this.pendingError;
      this.pendingError = null;
      throw e;
    }
    if (!this.binding) this.bind(0, 0);
    const src = this.binding!.addr !== 0 ? this.binding!.addr : stack.ipv4.sourceFor(dst);
    if (src === null) throw new SocketError('ENETUNREACH', `udp: no route to ${ipv4ToString(dst)}`);
    const payload = emitUdp({ srcPort: this.binding!.port, dstPort: port, payload: data }, src, dst);
    const srcPort = this.binding!.port;
    const id = stack.event(
      'udp',
      'datagram-out',
      opts.causeId,
      () => ({ bytes: data.length }),
      () => `${ipv4ToString(src)}:${srcPort}-${ipv4ToString(dst)}:${port}`,
    );
    const r = stack.ipv4.send({ src, dst, protocol: IPPROTO_UDP, payload, causeId: id, ttl: opts.ttl, dontFragment: opts.dontFragment });
    if (!r.ok) {
      stack.counters.inc(`udp.tx.${r.errno.toLowerCase()}`);
      throw new SocketError(r.errno, `udp: send to ${ipv4ToString(dst)}:${port} failed`);
    }
    this.layer.handles.txDatagrams.value++;
  }

  /** Next datagram. Rejects with a pending ICMP error (connected sockets), ETIMEDOUT, or EBADF once closed. */
  recvfrom(opts: { timeoutMs?: number } = {}): Promise<UdpMessage> {
    if (this.closed) return Promise.reject(new SocketError('EBADF', 'udp: socket is closed'));
    if (this.pendingError) {
      const e = this.pendingError;
      this.pendingError = null;
      return Promise.reject(e);
    }
    const m = this.queue.shift();
    if (m) {
      this.queuedBytes -= m.data.length;
      return Promise.resolve(m);
    }
    return new Promise<UdpMessage>((resolve, reject) => {
      const clock = this.layer.stack.clock;
      const waiter = { resolve, reject, timer: null as TimerHandle | null };
      if (opts.timeoutMs !== undefined) {
        waiter.timer = clock.setTimer(clock.now() + opts.timeoutMs, () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new SocketError('ETIMEDOUT', `udp: no datagram in ${opts.timeoutMs} ms`));
        });
      }
      this.waiters.push(waiter);
    });
  }

  /** Event style (services): every datagram goes to `listener` instead of the queue. */
  onMessage(listener: ((m: UdpMessage) => void) | null): void {
    this.listener = listener;
  }

  /** Datagrams waiting in the receive queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** Called by the layer. */
  deliver(m: UdpMessage): void {
    const stack = this.layer.stack;
    if (this.listener) {
      this.layer.handles.delivered.value++;
      this.listener(m);
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      stack.clock.clearTimer(w.timer);
      this.layer.handles.delivered.value++;
      w.resolve(m);
      return;
    }
    if (this.queuedBytes + m.data.length > this.receiveBufferBytes) {
      stack.drop('udp', 'receive-buffer-full', m.causeId, { port: this.binding?.port ?? 0 });
      return;
    }
    this.layer.handles.delivered.value++;
    this.queue.push(m);
    this.queuedBytes += m.data.length;
  }

  /** Matches a received datagram against a connected socket's peer. */
  accepts(src: number, srcPort: number): boolean {
    return !this.remote || (this.remote.addr === src && this.remote.port === srcPort);
  }

  icmpError(report: IcmpErrorReport): void {
    // Linux reports errors only on connected sockets (without IP_RECVERR).
    if (!this.remote) {
      this.layer.stack.counters.inc('udp.icmp-errors.unconnected-ignored');
      return;
    }
    const err = new SocketError(report.errno, `udp: ${ipv4ToString(this.remote.addr)}:${this.remote.port}: ICMP type ${report.type} code ${report.code}`);
    const w = this.waiters.shift();
    if (w) {
      this.layer.stack.clock.clearTimer(w.timer);
      w.reject(err);
    } else {
      this.pendingError = err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.layer.sockets.delete(this);
    if (this.binding) this.layer.stack.udpPorts.release(this.binding);
    this.binding = null;
    for (const w of this.waiters.splice(0)) {
      this.layer.stack.clock.clearTimer(w.timer);
      w.reject(new SocketError('EBADF', 'udp: socket closed'));
    }
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private ensureOpen(): void {
    if (this.closed) throw new SocketError('EBADF', 'udp: socket is closed');
  }
}

export class UdpLayer implements IpProtocolHandler {
  private readonly rxDatagrams: CounterHandle;
  /** Per-datagram counter handles (no map lookup on the hot path). */
  readonly handles: { delivered: CounterHandle; txDatagrams: CounterHandle };

  constructor(readonly stack: Stack) {
    this.rxDatagrams = stack.counters.handle('udp.rx.datagrams');
    this.handles = { delivered: stack.counters.handle('udp.rx.delivered'), txDatagrams: stack.counters.handle('udp.tx.datagrams') };
  }

  /** Open sockets, so that closing the stack closes them (and their timers). */
  readonly sockets = new Set<UdpSocket>();

  socket(opts: UdpSocketOptions = {}): UdpSocket {
    const sock = new UdpSocket(this, opts);
    this.sockets.add(sock);
    return sock;
  }

  /** Closes every socket: pending recvfrom calls reject with EBADF. */
  close(): void {
    for (const sock of [...this.sockets]) sock.close();
  }

  receive(d: ReceivedDatagram): void {
    const s = this.stack;
    const v = new UdpView(d.payload, 0);
    if (v.check()) {
      s.drop('udp', d.payload.length < UDP_HEADER_LENGTH ? 'truncated' : 'bad-length', d.causeId);
      return;
    }
    const length = v.length;
    if (length > d.payload.length) {
      s.drop('udp', 'bad-length', d.causeId, { length, ipPayload: d.payload.length });
      return;
    }
    const bytes = d.payload.subarray(0, length);
    // A link with checksum offload vouches for the sum (a zero field still means "none", RFC 768).
    const ck = d.checksumVerified === true ? (bytes[6] === 0 && bytes[7] === 0 ? 'none' : 'good') : udpChecksumState(bytes, d.src, d.dst);
    if (ck === 'bad') {
      s.drop('udp', 'bad-checksum', d.causeId);
      return;
    }
    if (ck === 'none') s.counters.inc('udp.rx.no-checksum');
    this.rxDatagrams.value++;
    const srcPort = v.srcPort;
    const dstPort = v.dstPort;
    const id = s.event(
      'udp',
      'datagram-in',
      d.causeId,
      () => ({ bytes: length - UDP_HEADER_LENGTH }),
      () => `${ipv4ToString(d.dst)}:${dstPort}-${ipv4ToString(d.src)}:${srcPort}`,
    );
    const bindings = s.udpPorts.lookup(dstPort, d.dst);
    const only = bindings.length === 1 ? (bindings[0]!.owner as UdpSocket) : null;
    const sockets = only ? (only.accepts(d.src, srcPort) ? [only] : []) : bindings.map((b) => b.owner as UdpSocket).filter((sock) => sock.accepts(d.src, srcPort));
    if (sockets.length === 0) {
      s.drop('udp', 'no-socket', id, { port: dstPort });
      // RFC 1122 §4.1.3.1: SHOULD send port unreachable (rules for broadcasts inside).
      s.icmp.sendDestUnreachable(d, 3);
      return;
    }
    // The data must outlive the receive buffer batch: copy once per datagram.
    const data = bytes.slice(UDP_HEADER_LENGTH);
    const msg: UdpMessage = { data, addr: d.src, address: ipv4ToString(d.src), port: srcPort, localAddr: d.dst, causeId: id };
    if (d.ipBroadcast || isMulticast(d.dst)) {
      // Broadcast/multicast: every matching socket gets a copy (RFC 1122 §4.1.3.5 behaviour of BSD).
      for (const sock of sockets) sock.deliver(sock === sockets[0] ? msg : { ...msg, data: data.slice() });
      return;
    }
    // Unicast: a connected socket that matches wins, then the most specific binding.
    const connected = sockets.find((sock) => sock.remoteAddr !== null);
    (connected ?? sockets[0]!).deliver(msg);
  }

  icmpError(report: IcmpErrorReport): void {
    const t = report.quotedTransport;
    const srcPort = (t[0]! << 8) | t[1]!;
    const dstPort = (t[2]! << 8) | t[3]!;
    for (const b of this.stack.udpPorts.lookup(srcPort, report.quotedSrc)) {
      const sock = b.owner as UdpSocket;
      const r = sock.remoteAddr;
      if (!r || (r.addr === report.quotedDst && r.port === dstPort)) sock.icmpError(report);
    }
  }
}
