/**
 * One bulk transfer A → B over the lab link, for the congestion labs and the Mathis measurement:
 * B listens and reads everything; A connects, sends `bytes` (or keeps the send buffer full until
 * `durationMs`), and the delivered goodput is measured at B.
 */
import type { TcpConfig, TcpConnection } from '../stack/tcp/connection';
import { TcpSocket } from '../stack/tcp/socket';
import { twoHosts, type TwoHosts } from './hosts';
import { ADDR_B, connOf, listenOn, setupTcp, type TcpPair } from './tcp-hosts';
import type { LabWorld } from './world';

export interface BulkOptions {
  /** Stop sending after this much simulated time (ms) of data transfer. */
  durationMs: number;
  /** Measure goodput only after this warm-up (ms from the first data byte). */
  warmupMs?: number;
  port?: number;
  queueLimitBytes?: number;
  a?: Partial<TcpConfig>;
  b?: Partial<TcpConfig>;
  /** Chunk the sender writes at a time. */
  chunk?: number;
}

export interface BulkResult {
  hosts: TwoHosts & TcpPair;
  sender: TcpConnection;
  /** Bytes delivered to B's application during the measurement window. */
  measuredBytes: number;
  measuredMs: number;
  /** Goodput in bytes per second over the measurement window. */
  goodputBps: number;
  deliveredTotal: number;
}

export async function bulkTransfer(world: LabWorld, opts: BulkOptions): Promise<BulkResult> {
  const hosts = twoHosts(world, { queueLimitBytes: opts.queueLimitBytes });
  const pair = setupTcp(world, hosts, { a: opts.a, b: opts.b });
  const port = opts.port ?? 5001;
  const server = listenOn(pair.tcpB, port);
  let delivered = 0;
  let startAt = -1;
  let measureFrom = -1;
  let atMeasureStart = 0;
  const accepted = server.accept().then(async (s) => {
    for (;;) {
      const chunk = await s.recv(1 << 20);
      if (chunk.length === 0) return;
      delivered += chunk.length;
    }
  });
  const client = new TcpSocket(pair.tcpA);
  const conn = await world.settle(client.connect(ADDR_B, port), 60_000);
  if (!conn.ok) throw new Error(`bulk: connect failed: ${'error' in conn ? conn.error.message : 'timeout'}`);
  const sender = connOf(client);
  const chunk = new Uint8Array(opts.chunk ?? 64 * 1024);
  startAt = world.clock.now();
  const endAt = startAt + opts.durationMs;
  measureFrom = startAt + (opts.warmupMs ?? 0);
  let measuring = measureFrom <= startAt;
  if (measuring) atMeasureStart = 0;
  const writer = (async () => {
    while (world.clock.now() < endAt && sender.state === 'ESTABLISHED') {
      // Keep the send buffer full: write what fits, else wait for room.
      const n = sender.write(chunk);
      if (n === 0) await new Promise<void>((r) => world.clock.setTimer(world.clock.now() + 1, r));
    }
  })();
  // Drive time, noting the delivered count when the measurement window opens.
  if (!measuring) {
    await world.runUntil(() => world.clock.now() >= measureFrom, measureFrom - world.clock.now() + 1);
    atMeasureStart = delivered;
    measuring = true;
  }
  await world.runUntil(() => world.clock.now() >= endAt, endAt - world.clock.now() + 1);
  const measuredBytes = delivered - atMeasureStart;
  const measuredMs = endAt - measureFrom;
  void writer;
  void accepted;
  return { hosts: { ...hosts, ...pair }, sender, measuredBytes, measuredMs, goodputBps: (measuredBytes * 1000) / measuredMs, deliveredTotal: delivered };
}
