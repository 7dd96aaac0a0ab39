/**
 * The skeleton every TCP lab shares: a world, two hosts with TCP, a script that drives sockets
 * while the clock runs, and the run record (frames, events, cc series, results).
 */
import type { ProbeValue } from '@shared/model/probe';
import type { TcpConfig } from '../stack/tcp/connection';
import { congestionSeries } from '../stack/tcp/congestion/probes';
import type { ImpairmentConfig } from '../link/impairment';
import { ADDR_B, twoHosts, type TwoHosts } from './hosts';
import { decodedFrames, type SeenFrame } from './inspect';
import { connOf, pattern, setupTcp, type TcpPair } from './tcp-hosts';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabParams, LabRun } from './types';
import { LabWorld } from './world';

export interface TcpLabContext {
  world: LabWorld;
  h: TwoHosts & TcpPair;
  /** Publishes a lab step (shown on the ladder as an annotation). */
  step(text: string, data?: Record<string, ProbeValue>): void;
  /** Main script only: lets `ms` of simulated time pass, driving the clock (timers fire, promises progress). */
  sleep(ms: number): Promise<void>;
  /** For background tasks (a server coroutine): resolves after `ms` without driving the clock. */
  wait(ms: number): Promise<void>;
  /** Awaits a promise while the clock runs; `{ ok, value | errno }`. */
  outcome<T>(p: Promise<T>, limitMs: number): Promise<{ ok: true; value: T } | { ok: false; errno: string }>;
  result(key: string, v: ProbeValue): void;
}

/**
 * One flow of a lab that runs several in turn: A connects to B:`port`, sends `bytes` of the
 * pattern, closes and lets 3 s pass. Records `${key}Port`, `${key}Iss` and `${key}Received` (from
 * `received`, a receiveEach table). `onConnected` aims the lab's path rule at this flow before any
 * data leaves.
 */
export async function runFlow(
  x: TcpLabContext,
  key: string,
  port: number,
  bytes: number,
  received: Record<number, number>,
  onConnected: (flow: { port: number; iss: number }) => void,
): Promise<void> {
  const c = new TcpSocket(x.h.tcpA);
  await x.outcome(c.connect(ADDR_B, port), 10_000);
  const conn = connOf(c);
  const flow = { port: conn.endpoints.localPort, iss: conn.iss };
  onConnected(flow);
  x.result(`${key}Port`, flow.port);
  x.result(`${key}Iss`, flow.iss);
  await x.outcome(c.send(pattern(bytes)), 30_000);
  await x.outcome(c.close(), 1000);
  await x.sleep(3000);
  x.result(`${key}Received`, received[flow.port] ?? 0);
}

export async function runTcpLab(
  name: string,
  params: LabParams,
  opts: { a?: Partial<TcpConfig>; b?: Partial<TcpConfig>; forward?: ImpairmentConfig; reverse?: ImpairmentConfig; queueLimitBytes?: number; eventLayers?: string[]; snaplen?: number },
  script: (ctx: TcpLabContext) => Promise<void>,
): Promise<Omit<LabRun, 'checks'>> {
  const world = new LabWorld(params, { eventLayers: opts.eventLayers, snaplen: opts.snaplen });
  const hosts = twoHosts(world, { forward: opts.forward, reverse: opts.reverse, queueLimitBytes: opts.queueLimitBytes });
  const pair = setupTcp(world, hosts, { a: opts.a, b: opts.b });
  const h = { ...hosts, ...pair };
  const ctx: TcpLabContext = {
    world,
    h,
    step: (text, data = {}) => void world.note('step', { text, ...data }),
    sleep: async (ms) => void (await world.runUntil(() => false, ms)),
    wait: (ms) => new Promise<void>((resolve) => world.clock.setTimer(world.clock.now() + ms, resolve)),
    async outcome(p, limitMs) {
      const r = await world.settle(p, limitMs);
      if (r.ok) return r;
      if ('error' in r) return { ok: false, errno: (r.error as { code?: string }).code ?? r.error.message };
      return { ok: false, errno: 'lab-timeout' };
    },
    result: (k, v) => void (world.results[k] = v),
  };
  await world.runUntil(() => false, 5); // gratuitous ARP settles
  await script(ctx);
  for (const s of congestionSeries(world.events).values()) {
    world.series[`cwnd ${s.subject}`] = { label: `cwnd ${s.subject}`, unit: 'bytes', t: s.t, v: s.cwnd };
    world.series[`ssthresh ${s.subject}`] = { label: `ssthresh ${s.subject}`, unit: 'bytes', t: s.t, v: s.ssthresh.map((x) => x ?? NaN) };
    world.series[`flightSize ${s.subject}`] = { label: `flight size ${s.subject}`, unit: 'bytes', t: s.t, v: s.flightSize };
    // RFC 6675 state (SACK connections): pipe, the scoreboard's SACKed and lost bytes.
    if (s.pipe.some((x) => x !== null)) {
      world.series[`pipe ${s.subject}`] = { label: `pipe ${s.subject}`, unit: 'bytes', t: s.t, v: s.pipe.map((x) => x ?? NaN) };
      world.series[`sackedBytes ${s.subject}`] = { label: `SACKed bytes ${s.subject}`, unit: 'bytes', t: s.t, v: s.sackedBytes };
      world.series[`lostBytes ${s.subject}`] = { label: `lost bytes ${s.subject}`, unit: 'bytes', t: s.t, v: s.lostBytes };
    }
    // The recovery point (u32 sequence number; NaN → null in JSON outside recovery).
    if (s.recoveryPoint.some((x) => x !== null)) {
      world.series[`recoveryPoint ${s.subject}`] = { label: `recovery point ${s.subject}`, unit: 'seq', t: s.t, v: s.recoveryPoint.map((x) => x ?? NaN) };
    }
  }
  return { lab: name, params, durationMs: world.clock.now(), frames: world.frames, events: world.events, series: world.series, results: world.results };
}

/** A TCP segment seen on the wire, flattened for checks. */
export interface Seg {
  t: number;
  host: string;
  flags: string;
  seq: number;
  ack: number;
  len: number;
  win: number;
  mss: number | null;
  sackBlocks: number;
  /** The TCP flags as a number (TCP_ECE, TCP_CWR … from @shared/wire/tcp). */
  tcpFlags: number;
  /** The IP header's ECN codepoint (0 Not-ECT, 2 ECT(0), 1 ECT(1), 3 CE). */
  ecn: number;
  frame: SeenFrame;
  /** Position in the run's frame list (orders frames recorded at the same instant). */
  idx: number;
}

/** TCP segments a host sent (dir 'tx') or received ('rx'), flattened. */
export function segments(run: Pick<LabRun, 'frames'>, host: string, dir: 'tx' | 'rx' = 'tx'): Seg[] {
  const out: Seg[] = [];
  const all = decodedFrames(run);
  for (let idx = 0; idx < all.length; idx++) {
    const f = all[idx]!;
    if (f.frame.host !== host || f.frame.dir !== dir || !f.pkt.tcp) continue;
    const t = f.pkt.tcp;
    const mssOpt = t.options.find((o) => o.kind === 'mss') as { kind: 'mss'; value: number } | undefined;
    const sack = t.options.find((o) => o.kind === 'sack') as { kind: 'sack'; blocks: unknown[] } | undefined;
    let flags = '';
    if (t.flags & 0x02) flags += 'S';
    if (t.flags & 0x01) flags += 'F';
    if (t.flags & 0x04) flags += 'R';
    if (t.flags & 0x08) flags += 'P';
    if (t.flags & 0x10) flags += '.';
    const ip = f.pkt.ipv4;
    const len = ip ? ip.totalLength - ip.headerLength - t.dataOffset : t.payload.length;
    out.push({ t: f.frame.t, host, flags, seq: t.seq, ack: t.ack, len, win: t.window, mss: mssOpt?.value ?? null, sackBlocks: sack?.blocks.length ?? 0, tcpFlags: t.flags, ecn: ip?.ecn ?? 0, frame: f, idx });
  }
  return out;
}

/** tcpdump-like one-liner for details. */
export function segText(s: Seg): string {
  return `${s.host} [${s.flags}] seq ${s.seq} ack ${s.ack} len ${s.len} win ${s.win}${s.mss !== null ? ` mss ${s.mss}` : ''} @${s.t.toFixed(1)}`;
}

/** State changes of the connections whose local side is `addr` (optionally one local port). */
export function stateChanges(run: Pick<LabRun, 'events'>, addr: string, port?: number): { t: number; from: string; to: string; subject: string; cause: string }[] {
  const prefix = port === undefined ? `${addr}:` : `${addr}:${port}-`;
  return run.events
    .filter((e) => e.layer === 'tcp' && e.kind === 'state' && (e.subject ?? '').startsWith(prefix))
    .map((e) => ({ t: e.t, from: String(e.data['from']), to: String(e.data['to']), subject: e.subject ?? '', cause: String(e.data['cause'] ?? '') }));
}

/** The sequence of states one connection went through, e.g. 'SYN-SENT>ESTABLISHED>FIN-WAIT-1'. */
export function statePath(changes: { to: string }[]): string {
  return changes.map((c) => c.to).join('>');
}

/** TCP probe events of a kind for connections local to `addr`. */
export function tcpEvents(run: Pick<LabRun, 'events'>, addr: string, kind: string) {
  return run.events.filter((e) => e.layer === 'tcp' && e.kind === kind && (e.subject ?? '').startsWith(`${addr}:`));
}
