/**
 * Long-running A → B flows inside a TCP lab: a sink on B counts what each flow delivers, a source
 * on A keeps its send buffer full for a while. For the congestion labs.
 */
import type { CongestionName } from '../stack/tcp/congestion/types';
import type { TcpConnection } from '../stack/tcp/connection';
import { TcpSocket } from '../stack/tcp/socket';
import { ADDR_B, connOf, listenOn } from './tcp-hosts';
import type { TcpLabContext } from './tcp-lab';

export interface FlowStats {
  cc: CongestionName;
  /** Client port on A (identifies the flow in frames and probes). */
  port: number;
  subject: string;
  conn: TcpConnection;
  /** Bytes delivered to B's application so far. */
  delivered: number;
  /** (t, delivered) samples taken every `sampleMs`. */
  samples: { t: number; bytes: number }[];
  startedAt: number;
  stoppedAt: number | null;
}

/** A sink on B: accepts forever and counts bytes per client port. */
export function startSink(x: TcpLabContext, port: number): Map<number, { bytes: number }> {
  const counts = new Map<number, { bytes: number }>();
  const server = listenOn(x.h.tcpB, port);
  void (async () => {
    for (;;) {
      const s = await server.accept();
      const c = { bytes: 0 };
      counts.set(connOf(s).endpoints.remotePort, c);
      void (async () => {
        for (;;) {
          const chunk = await s.recv(1 << 20);
          if (chunk.length === 0) break;
          c.bytes += chunk.length;
        }
        await s.close();
      })();
    }
  })();
  return counts;
}

/**
 * Opens a flow with congestion control `cc` and keeps it busy for `durationMs` (background; the
 * main script drives the clock). Resolves once connected.
 */
export async function startFlow(
  x: TcpLabContext,
  sink: Map<number, { bytes: number }>,
  sinkPort: number,
  cc: CongestionName,
  durationMs: number,
  sampleMs = 100,
  /** Socket options before connect (TCP_ECN …). */
  setup?: (s: TcpSocket) => void,
): Promise<FlowStats> {
  const sock = new TcpSocket(x.h.tcpA);
  sock.setsockopt('TCP_CONGESTION', cc);
  setup?.(sock);
  const r = await x.outcome(sock.connect(ADDR_B, sinkPort), 10_000);
  if (!r.ok) throw new Error(`flow ${cc}: connect failed (${r.errno})`);
  const conn = connOf(sock);
  const clock = x.world.clock;
  const stats: FlowStats = { cc, port: conn.endpoints.localPort, subject: conn.subject, conn, delivered: 0, samples: [], startedAt: clock.now(), stoppedAt: null };
  const endAt = clock.now() + durationMs;
  const chunk = new Uint8Array(64 * 1024);
  const sample = () => {
    stats.delivered = sink.get(stats.port)?.bytes ?? 0;
    stats.samples.push({ t: clock.now(), bytes: stats.delivered });
    if (clock.now() < endAt + 2000) clock.setTimer(clock.now() + sampleMs, sample);
  };
  sample();
  void (async () => {
    while (clock.now() < endAt && conn.state === 'ESTABLISHED') {
      if (conn.write(chunk) === 0) await x.wait(1);
    }
    stats.stoppedAt = clock.now();
    await sock.close();
  })();
  return stats;
}

/** Bytes a flow delivered between two times (from its samples). */
export function deliveredBetween(f: FlowStats, from: number, to: number): number {
  const at = (t: number) => {
    let v = 0;
    for (const s of f.samples) {
      if (s.t > t) break;
      v = s.bytes;
    }
    return v;
  };
  return at(to) - at(from);
}

/** Jain's fairness index of throughputs: (Σx)² / (n·Σx²); 1 = perfectly fair. */
export function jainIndex(xs: number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const sq = xs.reduce((a, b) => a + b * b, 0);
  return sq === 0 ? 0 : (sum * sum) / (xs.length * sq);
}
