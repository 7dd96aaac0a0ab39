/**
 * TCP on the lab's two hosts: a TcpLayer per host (the stack's own when it has one), the lab's
 * per-host parameters applied (MSS, receive buffer, pinned ISN, the sender's congestion control),
 * a firewall device for "silent host" and "pulled cable", and a bulk-transfer helper.
 */
import { seq } from '@shared/wire/seq';
import { decodePacket } from '@shared/wire/decode';
import type { Stack } from '../stack/stack';
import type { TcpConfig, TcpConnection } from '../stack/tcp/connection';
import { TcpLayer } from '../stack/tcp/layer';
import { TcpSocket } from '../stack/tcp/socket';
import { ADDR_A, ADDR_B } from './hosts';
import type { LabParams } from './types';
import type { LabWorld } from './world';

export { ADDR_A, ADDR_B };
export { Firewall, type FrameFilter } from './firewall';

/**
 * Lab TCP defaults: Linux-like, but RFC 5681's initial window and classic loss detection — fast
 * retransmit on three duplicate ACKs (RFC 5681/6582) and RFC 6675 IsLost with SACK, no RACK-TLP
 * (RFC 8985) and no undo of spurious reductions: the textbook figures the labs follow use them, and
 * their recorded runs stay the same.
 */
export const LAB_TCP_DEFAULTS: Partial<TcpConfig> = { initialWindow: 'rfc5681', rack: false, undo: false };

/** The stack's TCP layer, created on first use if the stack has none yet. */
export function tcpLayerOf(stack: Stack, config: Partial<TcpConfig> = {}): TcpLayer {
  const s = stack as Stack & { tcp?: TcpLayer };
  if (!s.tcp) s.tcp = new TcpLayer(stack, { config: {} });
  Object.assign(s.tcp.options.config, config);
  return s.tcp;
}

/**
 * Pins the ISN of the next connection the layer opens (active or passive), so a run can match a
 * textbook figure number for number. Later connections get RFC 6528 ISNs again.
 */
export function pinIsn(layer: TcpLayer, isn: number | null): void {
  if (isn === null) return;
  const original = layer.issFor.bind(layer);
  let used = false;
  layer.issFor = (e) => {
    if (used) return original(e);
    used = true;
    return seq(isn);
  };
}

/** The per-host TCP config from the lab parameters (index 0 = A, 1 = B). */
export function hostConfig(params: LabParams, host: 0 | 1, extra: Partial<TcpConfig> = {}): Partial<TcpConfig> {
  const c: Partial<TcpConfig> = { ...LAB_TCP_DEFAULTS, congestion: params.cc, ...extra };
  const mss = params.mss[host];
  const rcv = params.rcvbuf[host];
  if (mss !== null) c.mss = mss;
  if (rcv !== null) c.receiveBufferSize = rcv;
  return c;
}

export interface TcpPair {
  a: Stack;
  b: Stack;
  tcpA: TcpLayer;
  tcpB: TcpLayer;
}

export function setupTcp(world: LabWorld, hosts: { a: Stack; b: Stack }, extra: { a?: Partial<TcpConfig>; b?: Partial<TcpConfig> } = {}): TcpPair {
  const p = world.params;
  const tcpA = tcpLayerOf(hosts.a, hostConfig(p, 0, extra.a));
  const tcpB = tcpLayerOf(hosts.b, hostConfig(p, 1, extra.b));
  pinIsn(tcpA, p.isn[0]);
  pinIsn(tcpB, p.isn[1]);
  return { a: hosts.a, b: hosts.b, tcpA, tcpB };
}

/** Frame predicates for firewalls. */
export const frames = {
  tcp: (f: Uint8Array) => decodePacket(1, f).tcp !== undefined,
  /** TCP segments carrying data. */
  tcpData: (f: Uint8Array) => (decodePacket(1, f).tcp?.payload.length ?? 0) > 0,
  all: () => true,
};

/** Makes bytes 0..n-1 with a recognisable pattern. */
export function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 13) & 0xff;
  return b;
}

/** Reads until EOF; resolves with the byte count. */
export async function readAll(sock: TcpSocket, onData?: (n: number) => void): Promise<number> {
  let total = 0;
  for (;;) {
    const chunk = await sock.recv(1 << 20);
    if (chunk.length === 0) return total;
    total += chunk.length;
    onData?.(total);
  }
}

/** A listening socket on host B, with the lab's options applied before listen. */
export function listenOn(layer: TcpLayer, port: number, setup?: (s: TcpSocket) => void): TcpSocket {
  const s = new TcpSocket(layer);
  setup?.(s);
  s.bind(0, port);
  s.listen(16);
  return s;
}

/**
 * A server on `port` that accepts every connection and reads each to its end: the bytes each
 * client port sent, filled in when that connection's data ends (labs that run several flows).
 */
export function receiveEach(layer: TcpLayer, port: number): Record<number, number> {
  const server = listenOn(layer, port);
  const received: Record<number, number> = {};
  void (async () => {
    for (;;) {
      const s = await server.accept();
      const clientPort = connOf(s).endpoints.remotePort;
      void readAll(s).then((n) => (received[clientPort] = n));
    }
  })();
  return received;
}

/** The connection under a socket (throws if none). */
export function connOf(sock: TcpSocket): TcpConnection {
  const c = sock.connection;
  if (!c) throw new Error('lab: socket has no connection');
  return c;
}
