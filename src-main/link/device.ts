/**
 * One interface for every frame device (design principle 4: devices are middleware).
 * A TAP, an endpoint of the virtual link, the fault injector, the tracer and the pcapng writer all
 * implement `Device`; the last three wrap another `Device` and forward to it, so they stack:
 * `new Tracer(new FaultInjector(await TapDevice.open('tap0'), …), probes)`.
 *
 * Frames are whole Ethernet frames without FCS. `send` hands the frame over: the caller must not
 * modify it afterwards (the virtual link delivers the same bytes later, zero-copy). A received
 * frame belongs to the receiver: devices never reuse its buffer.
 */
import type { MacAddress } from './types';

export type { MacAddress } from './types';

/** What a sender attaches to a frame: the probe event that caused it (the ladder's arrow). */
export interface SendMeta {
  causeId?: number;
}

/** What a device attaches to a received frame. */
export interface ReceiveMeta {
  /** Arrival time on the device's clock, milliseconds. */
  t: number;
  /** Set by devices that know which event put the frame on the wire (the virtual link does). */
  causeId?: number;
  /**
   * The device vouches for the frame's TCP/UDP checksum (Linux's CHECKSUM_UNNECESSARY): only a
   * device with `checksumOffload` sets it, and the stack skips verifying that checksum then.
   */
  checksumVerified?: boolean;
}

export type FrameListener = (frame: Uint8Array, meta: ReceiveMeta) => void;

export interface DeviceStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames this device dropped, by named reason (e.g. 'queue-full', 'loss', 'write-error'). */
  drops: Record<string, number>;
  /** Device-specific extra counters (duplicated, reordered, corrupted …). */
  extra?: Record<string, number>;
}

export interface Device {
  /** Interface name, e.g. 'tap0' or 'vlink0.a'. */
  readonly name: string;
  /** Largest IP packet (Ethernet payload) the device carries, bytes. */
  readonly mtu: number;
  /**
   * A MAC the device suggests for the endpoint using it (the virtual link assigns one per side),
   * or null when the user of the device must choose (a TAP's own MAC belongs to the kernel side).
   */
  readonly mac: MacAddress | null;
  /**
   * Transmit checksum offload, as Linux's lo and veth have it (NETIF_F_HW_CSUM): the stack may
   * leave the TCP checksum of frames it sends partial (the pseudo-header sum only, as with
   * CHECKSUM_PARTIAL) and the device finishes it, or, being memory, need not; frames the device
   * delivers with `checksumVerified` are trusted. Only the virtual link offers it, off by default;
   * a TAP never (the kernel checks what it receives) and wrappers never (see DeviceWrapper).
   */
  readonly checksumOffload?: boolean;
  /**
   * TCP segmentation offload (Linux's NETIF_F_TSO, with GRO at the receiving end): the device
   * accepts IPv4 TCP datagrams longer than `mtu` (up to 65535 bytes of IP total length) and is
   * trusted to cut them into MTU-sized segments — or, being memory, to deliver them whole, as the
   * peer's GRO would have merged them again. Only the virtual link offers it, off by default (it
   * implies `checksumOffload` there); a TAP never. Wrappers pass it on (see DeviceWrapper), so a
   * capture shows the big segments, as tcpdump does on Linux's veth.
   */
  readonly segmentationOffload?: boolean;
  /** Queues or writes one frame. Never throws for a transmission failure: it counts a drop. */
  send(frame: Uint8Array, meta?: SendMeta): void;
  /** Sets the one listener for received frames (null detaches). Wrappers install their own. */
  onReceive(listener: FrameListener | null): void;
  /** Stops receiving, releases the fd/timers, lets the process exit. Idempotent. */
  close(): Promise<void>;
  stats(): DeviceStats;
}

export function emptyStats(): DeviceStats {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, drops: {} };
}

/** Increments a named drop counter. */
export function countDrop(stats: DeviceStats, reason: string, n = 1): void {
  stats.drops[reason] = (stats.drops[reason] ?? 0) + n;
}

/** Base for wrappers: forwards everything to the inner device. */
export abstract class DeviceWrapper implements Device {
  protected listener: FrameListener | null = null;

  constructor(protected readonly inner: Device) {
    inner.onReceive((frame, meta) => this.receiveFromInner(frame, meta));
  }

  get name(): string {
    return this.inner.name;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  get mac(): MacAddress | null {
    return this.inner.mac;
  }
  /**
   * Never forwarded: a wrapper records (tracer, pcapng recorder, a lab's capture point) or alters
   * (fault injector) frames, so behind one the stack computes and verifies every checksum itself
   * and captures hold valid checksums — never the partial sums Linux's tcpdump shows on lo.
   */
  get checksumOffload(): boolean {
    return false;
  }
  /**
   * Forwarded, unlike checksum offload (Linux turns TSO off without transmit checksumming; here a
   * stack can compute the full checksum of a big segment itself): a capture behind a wrapper then
   * shows the big segments with valid checksums, as tcpdump on Linux's veth shows 64 KB segments.
   * Every frame stays ≤ 65535 bytes of IP total length, so pcap readers take them.
   */
  get segmentationOffload(): boolean {
    return this.inner.segmentationOffload === true;
  }

  send(frame: Uint8Array, meta?: SendMeta): void {
    this.inner.send(frame, meta);
  }

  onReceive(listener: FrameListener | null): void {
    this.listener = listener;
  }

  protected receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    this.listener?.(frame, meta);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  stats(): DeviceStats {
    return this.inner.stats();
  }
}
