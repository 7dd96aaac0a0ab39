/**
 * BSD-shaped sockets over tcplab's TCP, with async/await: socket → bind → listen → accept, or
 * socket → connect; send, recv, shutdown, close, setsockopt/getsockopt. Errors are SocketError
 * with the errno names people know (ECONNREFUSED, ETIMEDOUT, EADDRINUSE, ECONNRESET, EPIPE,
 * ENOTCONN …). `toDuplex(socket)` wraps a connected socket as a Node Duplex stream.
 */
import { Duplex } from 'node:stream';
import { parseIpv4, ipv4ToString } from '@shared/wire/address';
import { SocketError, type Errno } from '../errors';
import type { PortBinding } from '../ports';
import { isCongestionName } from './congestion';
import { TcpConnection, TcpError, type TcpConfig, type TcpState } from './connection';
import type { TcpLayer, TcpListener } from './layer';

export type ShutdownHow = 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR';

export type SocketOption =
  | 'TCP_NODELAY'
  | 'SO_LINGER'
  | 'SO_REUSEADDR'
  | 'SO_KEEPALIVE'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'TCP_CONGESTION'
  | 'TCP_MAXSEG'
  | 'TCP_SYNCNT'
  | 'TCP_ECN'
  | 'SO_ERROR'
  | 'TCP_INFO';

/** SO_LINGER value: `{ onoff: true, linger: 0 }` makes close() abort with RST. Seconds, as in struct linger. */
export interface Linger {
  onoff: boolean;
  linger: number;
}

type Waiter = () => void;

function toAddr(a: string | number): number {
  return typeof a === 'number' ? a >>> 0 : parseIpv4(a);
}

function socketError(err: unknown): SocketError {
  if (err instanceof SocketError) return err;
  if (err instanceof TcpError) return new SocketError(err.errno as Errno, err.message);
  return err as SocketError;
}

export class TcpSocket {
  private conn: TcpConnection | null = null;
  private listener: TcpListener | null = null;
  private binding: PortBinding | null = null;
  private localAddr = 0;
  private localPort = 0;
  private waiters: Waiter[] = [];
  private readonly config: Partial<TcpConfig> = {};
  private reuseAddr = false;
  private linger: Linger = { onoff: false, linger: 0 };
  private closed = false;
  /** Pending errno (SO_ERROR), e.g. after a RST. */
  private pendingError: Errno | null = null;

  constructor(
    readonly layer: TcpLayer,
    conn?: TcpConnection,
  ) {
    if (conn) this.adopt(conn);
  }

  // ------------------------------------------------------------------ addresses

  get state(): TcpState {
    if (this.listener) return 'LISTEN';
    return this.conn?.state ?? 'CLOSED';
  }

  get connection(): TcpConnection | null {
    return this.conn;
  }

  address(): { address: string; port: number } {
    const e = this.conn?.endpoints;
    return e ? { address: ipv4ToString(e.localAddr), port: e.localPort } : { address: ipv4ToString(this.localAddr), port: this.localPort };
  }

  remoteAddress(): { address: string; port: number } {
    const e = this.conn?.endpoints;
    if (!e) throw new SocketError('ENOTCONN', 'tcp: socket is not connected');
    return { address: ipv4ToString(e.remoteAddr), port: e.remotePort };
  }

  // ------------------------------------------------------------------ bind / listen / accept

  /**
   * bind(2). EADDRINUSE when another socket holds the port, including connections lingering in
   * TIME-WAIT, unless both sides set SO_REUSEADDR and none of them listens (Linux rules).
   */
  bind(addr: string | number, port: number): void {
    if (this.binding || this.conn) throw new SocketError('EINVAL', 'tcp: socket is already bound');
    const a = toAddr(addr);
    if (port !== 0) {
      for (const c of this.layer.connectionsOnPort(port)) {
        const overlap = a === 0 || c.endpoints.localAddr === a;
        if (overlap && !(this.reuseAddr && c.reuseAddr)) {
          throw new SocketError('EADDRINUSE', `tcp: port ${port} is in use by a connection in ${c.state}`);
        }
      }
    }
    try {
      this.binding = this.layer.host.tcpPorts.bind(port, a, this, { reuseAddr: this.reuseAddr });
    } catch (err) {
      const code = (err as { code?: Errno }).code ?? 'EADDRINUSE';
      throw new SocketError(code, (err as Error).message);
    }
    this.localAddr = a;
    this.localPort = this.binding.port;
  }

  /** listen(2): backlog bounds both the SYN queue and the accept queue. */
  listen(backlog = 128): void {
    if (this.conn) throw new SocketError('EINVAL', 'tcp: socket is connected');
    if (!this.binding) this.bind(0, 0);
    // A listening socket blocks its port even for SO_REUSEADDR binders (Linux inet_csk_bind_conflict).
    this.binding!.reuseAddr = false;
    if (this.listener) {
      this.listener.backlog = Math.max(1, backlog);
      return;
    }
    this.listener = this.layer.listen(this.localAddr, this.localPort, backlog, { ...this.config });
    this.listener.onAcceptable = () => this.wake();
  }

  /** accept(2): the next established connection. */
  async accept(): Promise<TcpSocket> {
    for (;;) {
      const l = this.listener;
      if (!l || this.closed) throw new SocketError('EINVAL', 'tcp: socket is not listening');
      const conn = l.acceptQueue.shift();
      if (conn) {
        conn.reuseAddr = this.reuseAddr;
        return new TcpSocket(this.layer, conn);
      }
      await this.wait();
    }
  }

  // ------------------------------------------------------------------ connect

  /** connect(2): resolves when ESTABLISHED; ECONNREFUSED on RST, ETIMEDOUT after tcp_syn_retries. */
  async connect(addr: string | number, port: number): Promise<void> {
    if (this.listener) throw new SocketError('EISCONN', 'tcp: socket is listening');
    if (this.conn) throw new SocketError(this.conn.state === 'SYN-SENT' ? 'EALREADY' as Errno : 'EISCONN', 'tcp: socket is already connected');
    const remote = toAddr(addr);
    let local = this.localAddr;
    if (local === 0) {
      const src = this.layer.host.ipv4.sourceFor(remote);
      if (src === null) throw new SocketError('ENETUNREACH', `tcp: no route to ${ipv4ToString(remote)}`);
      local = src;
    }
    if (!this.binding) this.bind(local, 0);
    const e = { localAddr: local, localPort: this.localPort, remoteAddr: remote, remotePort: port };
    if (this.layer.lookup(e)?.state && this.layer.lookup(e)!.state !== 'CLOSED') {
      throw new SocketError('EADDRINUSE' as Errno, `tcp: ${ipv4ToString(local)}:${this.localPort} → ${ipv4ToString(remote)}:${port} exists`);
    }
    const conn = this.layer.createConnection(e, this.config);
    conn.reuseAddr = this.reuseAddr;
    this.layer.register(conn);
    this.adopt(conn);
    conn.connect(this.layer.issFor(e));
    for (;;) {
      if (conn.state === 'CLOSED') {
        throw new SocketError((conn.error ?? 'ECONNREFUSED') as Errno, `tcp: connect to ${ipv4ToString(remote)}:${port} failed`);
      }
      if (conn.state !== 'SYN-SENT' && conn.state !== 'SYN-RECEIVED') return;
      await this.wait();
    }
  }

  private adopt(conn: TcpConnection): void {
    this.conn = conn;
    this.localAddr = conn.endpoints.localAddr;
    this.localPort = conn.endpoints.localPort;
    const prev = conn.events.closed;
    conn.events = {
      ...conn.events,
      established: () => this.wake(),
      readable: () => this.wake(),
      writable: () => this.wake(),
      stateChange: () => this.wake(),
      closed: (errno) => {
        prev?.(errno);
        if (errno) this.pendingError = errno as Errno;
        this.layer.unregister(conn);
        if (this.binding) {
          this.layer.host.tcpPorts.release(this.binding);
          this.binding = null;
        }
        this.wake();
      },
    };
  }

  // ------------------------------------------------------------------ data

  /** send(2): resolves once every byte is in the send buffer (waits for room). */
  async send(data: Uint8Array | string): Promise<number> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const conn = this.requireConn();
    let off = 0;
    while (off < bytes.length) {
      if (conn.state === 'CLOSED') throw new SocketError((conn.error ?? 'EPIPE') as Errno, 'tcp: connection closed while sending');
      let n: number;
      try {
        n = conn.write(off === 0 ? bytes : bytes.subarray(off));
      } catch (err) {
        throw socketError(err);
      }
      off += n;
      if (off < bytes.length) await this.wait();
    }
    return bytes.length;
  }

  /** recv(2): up to `max` bytes; an empty array means end of stream (the peer's FIN). */
  async recv(max = 65536): Promise<Uint8Array> {
    const conn = this.requireConn();
    for (;;) {
      if (conn.readableBytes > 0) return conn.read(max);
      if (conn.readEof) return new Uint8Array(0);
      if (conn.state === 'CLOSED') {
        if (conn.error) throw new SocketError(conn.error as Errno, 'tcp: connection ended');
        return new Uint8Array(0);
      }
      if (conn.state === 'LISTEN') throw new SocketError('ENOTCONN', 'tcp: socket is not connected');
      await this.wait();
    }
  }

  /** Waits until the send buffer is empty and everything is acknowledged (or the connection ends). */
  async drain(): Promise<void> {
    const conn = this.requireConn();
    while (conn.state !== 'CLOSED' && (conn.sendBuffer.length > 0 || conn.sndUna !== conn.sndMax)) await this.wait();
  }

  shutdown(how: ShutdownHow): void {
    const conn = this.requireConn();
    if (conn.state === 'SYN-SENT' || conn.state === 'CLOSED') throw new SocketError('ENOTCONN', 'tcp: socket is not connected');
    conn.shutdown(how === 'SHUT_RD' ? 'read' : how === 'SHUT_WR' ? 'write' : 'both');
    this.wake();
  }

  /**
   * close(2). SO_LINGER {on, 0} aborts with RST; {on, N} waits up to N seconds for the data and
   * FIN to be acknowledged; otherwise it returns at once and the connection closes in the background.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listener) {
      this.layer.closeListener(this.listener);
      this.listener = null;
      if (this.binding) this.layer.host.tcpPorts.release(this.binding);
      this.binding = null;
      this.wake();
      return;
    }
    const conn = this.conn;
    if (!conn) {
      if (this.binding) this.layer.host.tcpPorts.release(this.binding);
      this.binding = null;
      return;
    }
    if (this.linger.onoff && this.linger.linger === 0) {
      conn.abort('close with SO_LINGER 0');
      return;
    }
    conn.close();
    if (this.linger.onoff) {
      const clock = this.layer.host.clock;
      const deadline = clock.now() + this.linger.linger * 1000;
      let timedOut = false;
      const t = clock.setTimer(deadline, () => {
        timedOut = true;
        this.wake();
      });
      while (!timedOut && conn.state !== 'CLOSED' && conn.state !== 'TIME-WAIT' && conn.state !== 'FIN-WAIT-2') await this.wait();
      clock.clearTimer(t);
    }
  }

  // ------------------------------------------------------------------ options

  setsockopt(name: SocketOption, value: boolean | number | string | Linger): void {
    const c = this.conn;
    const num = (v: unknown) => {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SocketError('EINVAL', `tcp: ${name} needs a non-negative number, got ${String(v)}`);
      return v;
    };
    switch (name) {
      case 'TCP_NODELAY':
        this.config.noDelay = num(value) !== 0;
        c?.setNoDelay(this.config.noDelay);
        return;
      case 'SO_REUSEADDR':
        this.reuseAddr = num(value) !== 0;
        if (this.binding && !this.listener) this.binding.reuseAddr = this.reuseAddr;
        if (c) c.reuseAddr = this.reuseAddr;
        return;
      case 'SO_LINGER': {
        const l = value as Linger;
        if (typeof l !== 'object' || typeof l.onoff !== 'boolean' || !(l.linger >= 0)) throw new SocketError('EINVAL', 'tcp: SO_LINGER needs { onoff: boolean, linger: seconds }');
        this.linger = { onoff: l.onoff, linger: l.linger };
        return;
      }
      case 'SO_KEEPALIVE':
        this.config.keepAlive = num(value) !== 0;
        c?.setKeepAlive(this.config.keepAlive);
        return;
      case 'TCP_KEEPIDLE':
        this.config.keepIdleMs = num(value) * 1000;
        if (c) c.config.keepIdleMs = this.config.keepIdleMs;
        return;
      case 'TCP_KEEPINTVL':
        this.config.keepIntervalMs = num(value) * 1000;
        if (c) c.config.keepIntervalMs = this.config.keepIntervalMs;
        return;
      case 'TCP_KEEPCNT':
        this.config.keepCount = num(value);
        if (c) c.config.keepCount = this.config.keepCount;
        return;
      case 'SO_RCVBUF':
      case 'SO_SNDBUF': {
        if (c) throw new SocketError('EINVAL', `tcp: set ${name} before connect/listen (buffers are fixed per connection)`);
        const v = Math.max(2048, Math.floor(num(value)));
        if (name === 'SO_RCVBUF') this.config.receiveBufferSize = v;
        else this.config.sendBufferSize = v;
        return;
      }
      case 'TCP_CONGESTION': {
        if (typeof value !== 'string' || !isCongestionName(value)) throw new SocketError('EINVAL' as Errno, `tcp: unknown congestion control '${String(value)}' (reno, newreno, cubic, vegas)`);
        if (c) throw new SocketError('EINVAL', 'tcp: set TCP_CONGESTION before connect/listen');
        this.config.congestion = value;
        return;
      }
      case 'TCP_MAXSEG': {
        const v = num(value);
        if (v < 88 || v > 65495) throw new SocketError('EINVAL', `tcp: TCP_MAXSEG ${v} is outside 88..65495`);
        this.config.mss = v;
        return;
      }
      case 'TCP_SYNCNT':
        this.config.synRetries = Math.min(127, Math.max(1, num(value)));
        return;
      case 'TCP_ECN': {
        // tcplab's own option: Linux sets ECN per host (net.ipv4.tcp_ecn) or per route (`ip route …
        // features ecn`); a lab wants it per socket. Same values: 0 off, 1 request+accept, 2 accept.
        const v = num(value);
        if (v !== 0 && v !== 1 && v !== 2) throw new SocketError('EINVAL', `tcp: TCP_ECN ${v} is not 0 (off), 1 (request and accept) or 2 (accept only)`);
        if (c) throw new SocketError('EINVAL', 'tcp: set TCP_ECN before connect/listen (ECN is negotiated in the handshake)');
        this.config.ecn = v;
        return;
      }
      default:
        throw new SocketError('EINVAL', `tcp: option ${name} cannot be set`);
    }
  }

  getsockopt(name: SocketOption): boolean | number | string | Linger | Record<string, unknown> | null {
    const c = this.conn;
    const cfg = c ? c.config : { ...this.layer.options.config, ...this.config };
    switch (name) {
      case 'TCP_NODELAY':
        return cfg.noDelay ?? false;
      case 'SO_REUSEADDR':
        return this.reuseAddr;
      case 'SO_LINGER':
        return { ...this.linger };
      case 'SO_KEEPALIVE':
        return cfg.keepAlive ?? false;
      case 'TCP_KEEPIDLE':
        return (cfg.keepIdleMs ?? 7_200_000) / 1000;
      case 'TCP_KEEPINTVL':
        return (cfg.keepIntervalMs ?? 75_000) / 1000;
      case 'TCP_KEEPCNT':
        return cfg.keepCount ?? 9;
      case 'SO_RCVBUF':
        return cfg.receiveBufferSize ?? 256 * 1024;
      case 'SO_SNDBUF':
        return cfg.sendBufferSize ?? 256 * 1024;
      case 'TCP_CONGESTION':
        return c ? c.cc.name : (cfg.congestion ?? 'cubic');
      case 'TCP_MAXSEG':
        return c ? c.effectiveMss() : (cfg.mss ?? 536);
      case 'TCP_SYNCNT':
        return cfg.synRetries ?? 6;
      case 'TCP_ECN':
        return cfg.ecn ?? 2; // the setting; whether the handshake agreed is TCP_INFO's `ecn`
      case 'SO_ERROR': {
        const e = this.pendingError;
        this.pendingError = null;
        return e;
      }
      case 'TCP_INFO':
        return c ? c.snapshot() : { state: this.state };
      default:
        throw new SocketError('EINVAL', `tcp: unknown option ${String(name)}`);
    }
  }

  // ------------------------------------------------------------------ internals

  private requireConn(): TcpConnection {
    if (!this.conn) throw new SocketError('ENOTCONN', 'tcp: socket is not connected');
    return this.conn;
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

/**
 * A Node Duplex over a connected socket, so users can `pipe()`: writes go to send(), reads come
 * from recv(), end() sends FIN (shutdown SHUT_WR), destroy() closes.
 */
export function toDuplex(sock: TcpSocket, opts: { highWaterMark?: number } = {}): Duplex {
  let reading = false;
  return new Duplex({
    highWaterMark: opts.highWaterMark ?? 64 * 1024,
    read() {
      if (reading) return;
      reading = true;
      void (async () => {
        try {
          for (;;) {
            const chunk = await sock.recv(64 * 1024);
            if (chunk.length === 0) {
              this.push(null);
              break;
            }
            if (!this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))) break;
          }
        } catch (err) {
          this.destroy(err as Error);
        } finally {
          reading = false;
        }
      })();
    },
    write(chunk: Buffer, _enc, cb) {
      sock.send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)).then(
        () => cb(),
        (err) => cb(err as Error),
      );
    },
    final(cb) {
      try {
        if (sock.state !== 'CLOSED') sock.shutdown('SHUT_WR');
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    destroy(err, cb) {
      sock.close().then(
        () => cb(err),
        () => cb(err),
      );
    },
  });
}

export function tcpSocket(layer: TcpLayer): TcpSocket {
  return new TcpSocket(layer);
}
