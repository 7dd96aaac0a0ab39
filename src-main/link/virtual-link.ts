/**
 * An in-memory Ethernet cable between two endpoints (`link.a`, `link.b`), each a Device, with
 * impairments per direction, all driven by the injected Clock and RandomSource — labs and tests
 * replay exactly. Nothing here touches the OS.
 */
import type { Clock } from '@shared/sim/clock';
import type { RandomSource } from '@shared/sim/random';
import { countDrop, emptyStats, type Device, type DeviceStats, type FrameListener, type SendMeta } from './device';
import { ImpairedChannel, type ImpairmentConfig } from './impairment';
import type { MacAddress } from './types';

export interface VirtualLinkOptions {
  clock: Clock;
  random: RandomSource;
  /** Impairments from a to b. */
  aToB?: ImpairmentConfig;
  /** Impairments from b to a. */
  bToA?: ImpairmentConfig;
  /** MTU of both endpoints (default 1500). */
  mtu?: number;
  /** Endpoint names (default 'vlink.a', 'vlink.b'). */
  names?: [string, string];
  /** Suggested MACs (default 02:00:00:00:00:01 and :02). */
  macs?: [MacAddress, MacAddress];
  /**
   * Checksum offload on both endpoints (default false), like Linux's lo and veth: stacks attached
   * directly leave the TCP checksum partial on sending and trust what arrives, except frames this
   * link corrupted (the `corrupt` impairment), which they verify — and drop, as a NIC would. Not
   * for labs: their captures must hold valid checksums (a wrapper such as a capture point turns it
   * off anyway, see DeviceWrapper).
   */
  checksumOffload?: boolean;
  /**
   * TCP segmentation offload on both endpoints (default false), like Linux's veth with TSO/GSO and
   * GRO: a stack may hand the link IPv4 TCP segments larger than the MTU (≤ 65535 bytes of IP
   * total length), and the link delivers them whole — what the peer's GRO would have merged them
   * back into. Implies `checksumOffload` (Linux's TSO needs transmit checksumming). Not for labs
   * (their goldens show MTU-sized segments); a capture on such a link shows the big segments, as
   * tcpdump does on a veth.
   */
  segmentationOffload?: boolean;
}

/** Largest Ethernet frame a segmentation-offload link takes: 14 + 65535 (IPv4 total length). */
const MAX_OFFLOAD_FRAME = 14 + 65535;

/** An untagged IPv4 frame carrying TCP (the only datagrams segmentation offload applies to). */
function isIpv4Tcp(frame: Uint8Array): boolean {
  return frame[12] === 0x08 && frame[13] === 0x00 && frame[23] === 6;
}

class Endpoint implements Device {
  listener: FrameListener | null = null;
  readonly statsData: DeviceStats = emptyStats();
  peer!: Endpoint;
  channel!: ImpairedChannel;
  closed = false;

  constructor(
    readonly name: string,
    readonly mtu: number,
    readonly mac: MacAddress,
    private readonly clock: Clock,
    readonly checksumOffload: boolean,
    readonly segmentationOffload: boolean,
  ) {}

  send(frame: Uint8Array, meta?: SendMeta): void {
    if (this.closed) {
      countDrop(this.statsData, 'closed');
      return;
    }
    // 18: Ethernet header with one VLAN tag. With segmentation offload, TCP segments up to 64 KiB.
    if (frame.length > this.mtu + 18 && !(this.segmentationOffload && frame.length <= MAX_OFFLOAD_FRAME && isIpv4Tcp(frame))) {
      countDrop(this.statsData, 'oversize');
      return;
    }
    this.statsData.txFrames++;
    this.statsData.txBytes += frame.length;
    this.channel.submit(frame, meta?.causeId);
  }

  /** Called by the channel when a frame reaches this endpoint. */
  arrive(frame: Uint8Array, causeId: number | undefined): void {
    if (this.closed) return;
    this.statsData.rxFrames++;
    this.statsData.rxBytes += frame.length;
    if (this.listener) {
      // The peer's channel made `frame` (a copy) if it corrupted it: then the stack checks the sum.
      const verified = this.checksumOffload && !this.peer.channel.corrupted(frame);
      this.listener(frame, verified ? { t: this.clock.now(), causeId, checksumVerified: true } : { t: this.clock.now(), causeId });
    }
    else countDrop(this.statsData, 'no-listener');
  }

  onReceive(listener: FrameListener | null): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(): DeviceStats {
    // Channel drops (queue-full, loss) and extras belong to the sending side.
    const s = this.statsData;
    return { ...s, drops: { ...s.drops }, extra: { ...(s.extra ?? {}) } };
  }
}

export class VirtualLink {
  readonly a: Device;
  readonly b: Device;
  private readonly ea: Endpoint;
  private readonly eb: Endpoint;

  constructor(opts: VirtualLinkOptions) {
    const mtu = opts.mtu ?? 1500;
    const [na, nb] = opts.names ?? ['vlink.a', 'vlink.b'];
    const [ma, mb] = opts.macs ?? ['02:00:00:00:00:01', '02:00:00:00:00:02'];
    const tso = opts.segmentationOffload === true;
    const offload = opts.checksumOffload === true || tso;
    this.ea = new Endpoint(na, mtu, ma, opts.clock, offload, tso);
    this.eb = new Endpoint(nb, mtu, mb, opts.clock, offload, tso);
    this.ea.peer = this.eb;
    this.eb.peer = this.ea;
    this.ea.channel = new ImpairedChannel(opts.aToB ?? {}, opts.clock, opts.random.fork(), (f, c) => this.eb.arrive(f, c), this.ea.statsData);
    this.eb.channel = new ImpairedChannel(opts.bToA ?? {}, opts.clock, opts.random.fork(), (f, c) => this.ea.arrive(f, c), this.eb.statsData);
    this.a = this.ea;
    this.b = this.eb;
  }

  /** Changes a direction's impairments mid-run (labs: "now drop 5 %"). */
  configure(direction: 'aToB' | 'bToA', cfg: ImpairmentConfig): void {
    (direction === 'aToB' ? this.ea : this.eb).channel.configure(cfg);
  }

  /** Bytes queued for transmission in a direction (for queue-occupancy plots). */
  queueBytes(direction: 'aToB' | 'bToA'): number {
    return (direction === 'aToB' ? this.ea : this.eb).channel.queueBytes();
  }
}
