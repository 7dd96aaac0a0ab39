/** One seeded transfer for seeded-transfers.test.ts (and for debugging a single seed). */
import { SeededRandom } from '@shared/sim/random';
import type { SocketError } from '../../src-main/stack/errors';
import { ManualClock } from '@shared/sim/clock';
import { A, B, SimNet, flushMicrotasks } from './simnet';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { Stack } from '../../src-main/stack/stack';
import { TcpSocket } from '../../src-main/stack/tcp/socket';
import type { TcpLayer } from '../../src-main/stack/tcp/layer';
import type { PortTable } from '../../src-main/stack/ports';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';

/** Either the TCP-only simulation (SimNet) or two whole tcplab stacks on a VirtualLink. */
export type TransferMode = 'sim' | 'stack';

interface Side {
  socket(): TcpSocket;
  tcp: TcpLayer;
  tcpPorts: PortTable;
}

interface Pair {
  clock: ManualClock;
  a: Side;
  b: Side;
  runUntil(done: () => boolean, limitMs: number): Promise<boolean>;
  /** Counters of both sides (for a stuck-transfer report). */
  counters?(): string;
  /** The simulated path (sim mode). */
  net?: SimNet;
}

async function runClock(clock: ManualClock, done: () => boolean, limitMs: number): Promise<boolean> {
  for (;;) {
    await flushMicrotasks();
    if (done()) return true;
    const at = clock.nextTimerAt();
    if (at === undefined || at > limitMs) {
      // Long promise chains (a failure waking an accept() elsewhere) need more than a few ticks.
      await new Promise((r) => setImmediate(r));
      if (done() || clock.nextTimerAt() !== at) continue;
      return done();
    }
    clock.advanceTo(at);
  }
}

/** Set by a debugging session to watch a stack-mode transfer. */
export let debugProbes: import('@shared/model/probe').ProbeBus | null = null;
export function setDebugProbes(p: import('@shared/model/probe').ProbeBus | null): void {
  debugProbes = p;
}

/** Options of a stack-mode transfer. */
export interface TransferOptions {
  /** The VirtualLink's segmentation offload (TSO/GRO; implies checksum offload). */
  segmentationOffload?: boolean;
}

function makePair(mode: TransferMode, seed: number, impair: { loss: number; duplicate: number; reorder: number; corrupt: number; delayMs: number }, cfgA: Partial<TcpConfig>, cfgB: Partial<TcpConfig>, mtuA: number, onNet?: (net: SimNet) => void, opts: TransferOptions = {}): Pair {
  if (mode === 'sim') {
    const net = new SimNet(seed, impair);
    onNet?.(net);
    const a = net.addHost(A, { config: cfgA }, mtuA);
    const b = net.addHost(B, { config: cfgB });
    return { clock: net.clock, a, b, runUntil: (d, l) => net.runUntil(d, l), net };
  }
  const clock = new ManualClock(0);
  const random = new SeededRandom(seed);
  const ch = { ...impair, reorderDelayMs: 5 + random.int(10) };
  const link = new VirtualLink({ clock, random: random.fork(), aToB: ch, bToA: ch, mtu: 1500, ...(opts.segmentationOffload ? { segmentationOffload: true } : {}) });
  const probes = debugProbes ?? undefined;
  const sa = new Stack({ clock, random: random.fork(), probes });
  const sb = new Stack({ clock, random: random.fork(), probes });
  sa.addInterface({ device: link.a, ipv4: '192.0.2.1/24', mtu: Math.min(1500, mtuA) });
  sb.addInterface({ device: link.b, ipv4: '192.0.2.2/24' });
  sa.tcp.options.config = cfgA;
  sb.tcp.options.config = cfgB;
  const side = (s: Stack): Side => ({ socket: () => new TcpSocket(s.tcp), tcp: s.tcp, tcpPorts: s.tcpPorts });
  return {
    clock,
    a: side(sa),
    b: side(sb),
    runUntil: (d, l) => runClock(clock, d, l),
    counters: () => `A ${JSON.stringify(sa.counters.snapshot())} B ${JSON.stringify(sb.counters.snapshot())}`,
  };
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readAll(sock: { recv(n: number): Promise<Uint8Array> }): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const c = await sock.recv(65536);
    if (c.length === 0) break;
    parts.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface Outcome {
  ok: boolean;
  errno: string | null;
  stuck: string | null;
  /** Counters of both stacks when it failed (stack mode). */
  detail?: string;
}

/**
 * `blackholeAtMs`: from that simulated time on, the path drops everything (a dead peer or a cut
 * cable), so both ends must give up with a connection errno instead of hanging.
 */
export async function transfer(seed: number, onNet?: (net: SimNet) => void, mode: TransferMode = 'sim', blackholeAtMs?: number, opts: TransferOptions = {}): Promise<Outcome> {
  // A half-closed connection (FIN-WAIT-2) on a dead path waits forever unless keep-alive is on
  // (as on Linux), so the dead-path runs turn it on with short timers.
  const keepAlive = blackholeAtMs !== undefined ? { keepAlive: true, keepIdleMs: 30_000, keepIntervalMs: 5_000, keepCount: 3 } : {};
  const r = new SeededRandom(seed);
  const impair = {
    loss: r.next() * 0.1,
    duplicate: r.next() * 0.05,
    reorder: r.next() * 0.1,
    corrupt: r.next() * 0.02,
    delayMs: 1 + r.int(20),
  };
  const cfg = {
    sack: r.next() < 0.7,
    timestamps: r.next() < 0.7,
    windowScaling: r.next() < 0.7,
    noDelay: r.next() < 0.5,
    receiveBufferSize: 4096 + r.int(60_000),
    sendBufferSize: 4096 + r.int(60_000),
    congestion: (['reno', 'newreno', 'cubic', 'vegas'] as const)[r.int(4)]!,
    delayedAckMs: r.next() < 0.2 ? 0 : 200,
    ...keepAlive,
  };
  const mtuA = 576 + r.int(1000);
  const net = makePair(mode, seed, impair, cfg, { ...cfg, sack: r.next() < 0.7, timestamps: r.next() < 0.7 }, mtuA, onNet, opts);
  const { a, b } = net;
  const up = pattern(r.int(20_000), seed * 3 + 1);
  const down = pattern(r.int(8_000), seed * 7 + 5);
  const srv = b.socket();
  srv.bind(0, 5001);
  srv.listen(4);
  const cli = a.socket();
  const errors: string[] = [];
  let gotUp: Uint8Array | null = null;
  let gotDown: Uint8Array | null = null;
  const server = (async () => {
    const peer = await srv.accept();
    await srv.close();
    const reader = readAll(peer).then((d) => (gotUp = d));
    reader.catch(() => {}); // its error is the one send() or `await reader` reports
    await peer.send(down);
    peer.shutdown('SHUT_WR');
    await reader;
    await peer.close();
  })().catch((e: SocketError) => errors.push(e.code ?? String(e)));
  const client = (async () => {
    await cli.connect(B, 5001);
    const reader = readAll(cli).then((d) => (gotDown = d));
    reader.catch(() => {});
    await cli.send(up);
    cli.shutdown('SHUT_WR');
    await reader;
    await cli.close();
  })().catch((e: SocketError) => {
    errors.push(e.code ?? String(e));
    // The server may still wait in accept() for a connection that never came: stop listening.
    void srv.close();
  });
  if (blackholeAtMs !== undefined) {
    const sim = net.net;
    if (!sim) throw new Error('blackhole only on the simulated path');
    net.clock.setTimer(blackholeAtMs, () => {
      sim.impair = { loss: 1 };
    });
  }
  let finished = 0;
  void server.then(() => finished++);
  void client.then(() => finished++);
  await net.runUntil(() => finished === 2, 2_000_000);
  if (finished !== 2) {
    await srv.close();
    return { ok: false, errno: null, stuck: `seed ${seed}: app not finished (errors ${errors.join(',')}); client ${cli.state} server side ${JSON.stringify(b.tcp.stateCounts())} ${net.counters?.() ?? ''}` };
  }
  // Let TIME-WAIT and any retransmissions run out; then nothing may remain.
  await net.runUntil(() => false, net.clock.now() + 2_000_000);
  const left = [...a.tcp.connections.values(), ...b.tcp.connections.values()].filter((c) => c.state !== 'CLOSED');
  const tcpTimers = [...a.tcp.connections.values(), ...b.tcp.connections.values()].reduce((n, c) => n + c.runningTimers().length, 0);
  if (left.length > 0 || tcpTimers > 0 || (mode === 'sim' && net.clock.pendingTimers() > 0) || a.tcpPorts.size() + b.tcpPorts.size() > 0) {
    return {
      ok: false,
      errno: null,
      stuck: `seed ${seed}: left ${left.map((c) => c.state).join(',')} timers ${tcpTimers} ports ${a.tcpPorts.size() + b.tcpPorts.size()}`,
    };
  }
  if (errors.length > 0) return { ok: false, errno: errors[0]!, stuck: null, detail: net.counters?.() };
  const ok = gotUp !== null && gotDown !== null && equal(gotUp, up) && equal(gotDown, down);
  return { ok, errno: ok ? null : 'DATA-MISMATCH', stuck: null };
}

