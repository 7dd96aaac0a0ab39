/** One seeded transfer for seeded-transfers.test.ts (and for debugging a single seed). */
import { SeededRandom } from '@shared/sim/random';
import type { SocketError } from '../../src-main/stack/errors';
import { A, B, SimNet } from './simnet';

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
}

export async function transfer(seed: number, onNet?: (net: SimNet) => void): Promise<Outcome> {
  const r = new SeededRandom(seed);
  const impair = {
    loss: r.next() * 0.1,
    duplicate: r.next() * 0.05,
    reorder: r.next() * 0.1,
    corrupt: r.next() * 0.02,
    delayMs: 1 + r.int(20),
  };
  const net = new SimNet(seed, impair);
  onNet?.(net);
  const cfg = {
    sack: r.next() < 0.7,
    timestamps: r.next() < 0.7,
    windowScaling: r.next() < 0.7,
    noDelay: r.next() < 0.5,
    receiveBufferSize: 4096 + r.int(60_000),
    sendBufferSize: 4096 + r.int(60_000),
    congestion: (['reno', 'newreno', 'cubic', 'vegas'] as const)[r.int(4)]!,
    delayedAckMs: r.next() < 0.2 ? 0 : 200,
  };
  const a = net.addHost(A, { config: cfg }, 576 + r.int(1000));
  const b = net.addHost(B, { config: { ...cfg, sack: r.next() < 0.7, timestamps: r.next() < 0.7 } });
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
    await peer.send(down);
    peer.shutdown('SHUT_WR');
    await reader;
    await peer.close();
  })().catch((e: SocketError) => errors.push(e.code ?? String(e)));
  const client = (async () => {
    await cli.connect(B, 5001);
    const reader = readAll(cli).then((d) => (gotDown = d));
    await cli.send(up);
    cli.shutdown('SHUT_WR');
    await reader;
    await cli.close();
  })().catch((e: SocketError) => errors.push(e.code ?? String(e)));
  let finished = 0;
  void server.then(() => finished++);
  void client.then(() => finished++);
  await net.runUntil(() => finished === 2, 2_000_000);
  if (finished !== 2) {
    await srv.close();
    return { ok: false, errno: null, stuck: `seed ${seed}: app not finished; client ${cli.state} server side ${JSON.stringify(b.tcp.stateCounts())}` };
  }
  // Let TIME-WAIT and any retransmissions run out; then nothing may remain.
  await net.runUntil(() => false, net.clock.now() + 2_000_000);
  const left = [...a.tcp.connections.values(), ...b.tcp.connections.values()].filter((c) => c.state !== 'CLOSED');
  if (left.length > 0 || net.clock.pendingTimers() > 0 || a.tcpPorts.size() + b.tcpPorts.size() > 0) {
    return {
      ok: false,
      errno: null,
      stuck: `seed ${seed}: left ${left.map((c) => c.state).join(',')} timers ${net.clock.pendingTimers()} ports ${a.tcpPorts.size() + b.tcpPorts.size()}`,
    };
  }
  if (errors.length > 0) return { ok: false, errno: errors[0]!, stuck: null };
  const ok = gotUp !== null && gotDown !== null && equal(gotUp, up) && equal(gotDown, down);
  return { ok, errno: ok ? null : 'DATA-MISMATCH', stuck: null };
}

