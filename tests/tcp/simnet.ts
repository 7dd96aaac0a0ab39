/**
 * Two (or more) TCP layers joined by a simulated IP path with seeded impairments, on a
 * ManualClock: the fast whole-TCP simulation (no Ethernet/ARP/IP code in the way). The layers are
 * the real TcpLayer; only the IP layer under them is this stand-in.
 */
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom, type RandomSource } from '@shared/sim/random';
import { ProbeBus } from '@shared/model/probe';
import { payloadBytes, type Ipv4Datagram, type Ipv4SendRequest, type Ipv4SendResult } from '../../src-main/stack/ip/protocols';
import { PortTable } from '../../src-main/stack/ports';
import { Counters } from '../../src-main/stack/counters';
import { TcpLayer, type TcpHost, type TcpLayerOptions } from '../../src-main/stack/tcp/layer';
import { TcpSocket } from '../../src-main/stack/tcp/socket';

export interface Impairments {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
  /** One-way delay, ms. */
  delayMs?: number;
  /** Extra delay for reordered packets, ms. */
  reorderDelayMs?: number;
}

export class SimHost implements TcpHost {
  readonly counters = new Counters();
  readonly tcpPorts: PortTable;
  readonly tcp: TcpLayer;
  handler: { receive(d: Ipv4Datagram): void } | null = null;
  readonly ipv4;

  constructor(
    readonly net: SimNet,
    readonly addr: number,
    readonly random: RandomSource,
    opts: TcpLayerOptions = {},
    readonly mtu = 1500,
  ) {
    this.tcpPorts = new PortTable('tcp', random.fork());
    this.ipv4 = {
      send: (req: Ipv4SendRequest): Ipv4SendResult => net.send(this, req),
      sourceFor: (_dst: number) => this.addr,
      register: (_p: number, h: { receive(d: Ipv4Datagram): void }) => {
        this.handler = h;
      },
    };
    this.tcp = new TcpLayer(this, opts);
  }
  get clock(): ManualClock {
    return this.net.clock;
  }
  get probes(): ProbeBus {
    return this.net.probes;
  }
  mtuFor(_dst: number): number {
    return this.mtu;
  }
  socket(): TcpSocket {
    return new TcpSocket(this.tcp);
  }
}

export class SimNet {
  readonly clock = new ManualClock(0);
  readonly probes = new ProbeBus();
  readonly random: SeededRandom;
  readonly hosts = new Map<number, SimHost>();
  delivered = 0;
  dropped = 0;
  /** Optional tap on every datagram put on the path (before impairments). */
  onSend: ((from: number, to: number, payload: Uint8Array) => void) | null = null;

  constructor(
    seed: number,
    public impair: Impairments = {},
  ) {
    this.random = new SeededRandom(seed);
  }

  addHost(addr: number, opts: TcpLayerOptions = {}, mtu = 1500): SimHost {
    const h = new SimHost(this, addr, this.random.fork(), opts, mtu);
    this.hosts.set(addr, h);
    return h;
  }

  send(from: SimHost, req: Ipv4SendRequest): Ipv4SendResult {
    const dst = this.hosts.get(req.dst);
    if (!dst) return { ok: false, errno: 'EHOSTUNREACH' };
    const bytes = payloadBytes(req.payload);
    this.onSend?.(from.addr, req.dst, bytes);
    const im = this.impair;
    const r = this.random;
    if (im.loss && r.next() < im.loss) {
      this.dropped++;
      return { ok: true };
    }
    const copies = im.duplicate && r.next() < im.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const payload = bytes.slice();
      if (im.corrupt && r.next() < im.corrupt) {
        const at = r.int(payload.length);
        payload[at] = payload[at]! ^ (1 + r.int(255));
      }
      let delay = im.delayMs ?? 1;
      if (im.reorder && r.next() < im.reorder) delay += im.reorderDelayMs ?? 5 + r.int(10);
      const src = req.src ?? from.addr;
      const d: Ipv4Datagram = { src, dst: req.dst, protocol: req.protocol, ttl: 64, dscp: 0, ecn: 0, identification: 0, payload, causeId: req.causeId ?? 0, ifname: 'sim0' };
      this.clock.setTimer(this.clock.now() + delay, () => {
        this.delivered++;
        dst.handler?.receive(d);
      });
    }
    return { ok: true };
  }

  /** Runs simulated time until `done()` or the time limit; yields to promises between timers. */
  async runUntil(done: () => boolean, limitMs = 3_600_000): Promise<boolean> {
    for (;;) {
      await flushMicrotasks();
      if (done()) return true;
      const at = this.clock.nextTimerAt();
      if (at === undefined || at > limitMs) {
        // Long promise chains (a failure waking an accept() elsewhere) need more than a few ticks.
        await new Promise((r) => setImmediate(r));
        if (done() || this.clock.nextTimerAt() !== at) continue;
        return done();
      }
      this.clock.advanceTo(at);
    }
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export const A = 0xc0000201;
export const B = 0xc0000202;
