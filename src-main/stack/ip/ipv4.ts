/**
 * IPv4 for a host (RFC 791, RFC 1122 §3.2.1): receive checks, reassembly, dispatch to the
 * transport protocols through the seam in protocols.ts, and sending with routing, fragmentation
 * and ARP resolution. Does not forward (a host, RFC 1122 §3.3.4.2 "silently discard").
 */
import { IPPROTO_TCP, IPV4_MIN_HEADER_LENGTH, Ipv4View, emitIpv4Into } from '@shared/wire/ipv4';
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_IPV4 } from '@shared/wire/ethernet';
import { writeEthernetHeader } from '../ethernet-out';
import { ipv4ToString } from '@shared/wire/address';
import type { NetInterface } from '../interface';
import type { CounterHandle } from '../counters';
import type { Stack } from '../stack';
import { payloadBytes, type IpProtocolHandler, type Ipv4Datagram, type Ipv4SendRequest, type Ipv4SendResult } from './protocols';
import { Reassembler, type ExpiredDatagram, type ReassemblyOptions } from './reassembly';
import { FrameSlab } from '../frame-slab';

/** What the IP layer knows about a received datagram beyond the seam (for ICMP errors). */
export interface ReceivedDatagram extends Ipv4Datagram {
  /** The IP header as received (of fragment 0 for a reassembled datagram). */
  header: Uint8Array;
  /** Arrived as a link-layer broadcast/multicast. */
  linkBroadcast: boolean;
  /** Was addressed to a broadcast address. */
  ipBroadcast: boolean;
  /** Number of fragments it was reassembled from (1 = not fragmented). */
  fragments: number;
}

/** Linux's net.ipv4.ip_default_ttl (RFC 1700 recommends 64). */
export const DEFAULT_TTL = 64;

export interface Ipv4Options {
  /** First identification value (default random; golden tests pin it). */
  initialIdentification?: number;
  defaultTtl?: number;
}

/** Path MTU learned from ICMP "fragmentation needed" (RFC 1191), expires after 10 minutes. */
interface PmtuEntry {
  mtu: number;
  expiresAt: number;
}

export function isMulticast(a: number): boolean {
  return a >>> 28 === 0xe;
}

function isLoopback(a: number): boolean {
  return a >>> 24 === 127;
}

export class Ipv4Layer {
  private readonly handlers = new Map<number, IpProtocolHandler>();
  private identification: number;
  private readonly pmtu = new Map<number, PmtuEntry>();
  readonly reassembler: Reassembler;
  defaultTtl = DEFAULT_TTL;
  private readonly rxPackets: CounterHandle;
  private readonly rxDelivered: CounterHandle;
  private readonly txPackets: CounterHandle;
  /** Frames of the fast send path are carved from slabs (see FrameSlab). */
  private readonly frames = new FrameSlab();

  constructor(
    private readonly stack: Stack,
    reassembly: ReassemblyOptions = {},
    opts: Ipv4Options = {},
  ) {
    // A random start, so identifications of consecutive runs do not collide (RFC 6864 §4.2 asks
    // only for uniqueness per source/destination/protocol within the datagram lifetime).
    this.identification = (opts.initialIdentification ?? stack.random.int(0x10000)) & 0xffff;
    if (opts.defaultTtl !== undefined) this.defaultTtl = opts.defaultTtl;
    this.rxPackets = stack.counters.handle('ipv4.rx.packets');
    this.rxDelivered = stack.counters.handle('ipv4.rx.delivered');
    this.txPackets = stack.counters.handle('ipv4.tx.packets');
    this.reassembler = new Reassembler(stack.clock, (d) => this.onReassemblyExpired(d), reassembly);
  }

  /** Registers the handler for an IP protocol number (6 TCP, 17 UDP, 1 ICMP). */
  register(protocol: number, handler: IpProtocolHandler): void {
    this.handlers.set(protocol, handler);
  }

  handler(protocol: number): IpProtocolHandler | undefined {
    return this.handlers.get(protocol);
  }

  /** The source address we would use towards `dst`, or null without a route. */
  sourceFor(dst: number): number | null {
    const ifc = this.stack.interfaceFor(dst);
    if (ifc && (isMulticast(dst) || dst === 0xffffffff)) return ifc.addr;
    return this.stack.routes.lookup(dst)?.source ?? null;
  }

  /** The MTU towards `dst`: the route's interface MTU, lowered by a learned path MTU. */
  mtuFor(dst: number): number {
    const route = this.stack.routes.lookup(dst);
    const ifc = route ? this.stack.interfaceByName(route.ifname) : this.stack.interfaces[0];
    let mtu = ifc?.mtu ?? 1500;
    const p = this.pmtu.get(dst);
    if (p) {
      if (p.expiresAt <= this.stack.clock.now()) this.pmtu.delete(dst);
      else mtu = Math.min(mtu, p.mtu);
    }
    return mtu;
  }

  /**
   * Whether datagrams to `dst` leave through an interface with segmentation offload
   * (NetInterface.segmentationOffload): TCP may then build segments larger than the MTU.
   */
  segmentationOffloadFor(dst: number): boolean {
    const route = this.stack.routes.lookup(dst);
    const ifc = route ? this.stack.interfaceByName(route.ifname) : null;
    return ifc?.segmentationOffload === true;
  }

  /** Records a path MTU from ICMP fragmentation needed (RFC 1191 §3; never below 68). */
  learnPathMtu(dst: number, mtu: number): void {
    const clamped = Math.max(68, mtu);
    this.pmtu.set(dst, { mtu: clamped, expiresAt: this.stack.clock.now() + 600_000 });
    this.stack.counters.inc('ipv4.pmtu.learned');
  }

  // ---------------------------------------------------------------- receive

  /** `checksumVerified`: the device vouched for the transport checksum (see Ipv4Datagram). */
  receive(ifc: NetInterface, frame: Uint8Array, offset: number, linkBroadcast: boolean, frameCauseId: number | undefined, checksumVerified = false): void {
    const s = this.stack;
    const c = s.counters;
    this.rxPackets.value++;
    const v = new Ipv4View(frame, offset);
    const err = v.check();
    if (err) {
      // Integrity before sanity (PyTCP): name the field that failed.
      const reason = err.field === 'version' ? 'bad-version' : err.field === 'header length' ? 'bad-ihl' : err.field === 'total length' ? 'bad-total-length' : 'truncated';
      s.drop('ipv4', reason, frameCauseId, { error: err.message });
      return;
    }
    const hl = v.headerLength;
    const total = v.totalLength;
    if (offset + total > frame.length) {
      s.drop('ipv4', 'truncated', frameCauseId, { totalLength: total, captured: frame.length - offset });
      return;
    }
    if (!v.checksumValid) {
      s.drop('ipv4', 'bad-checksum', frameCauseId, { checksum: v.checksum });
      return;
    }
    const src = v.src;
    const dst = v.dst;
    const ttl = v.ttl;
    const moreFragments = v.moreFragments;
    const fragmentOffset = v.fragmentOffset;
    const protocol = v.protocol;
    // The probe's data only when someone listens (no closure per packet either).
    const id = s.probes.hasListeners()
      ? s.event('ipv4', 'packet-in', frameCauseId, () => ({ src: ipv4ToString(src), dst: ipv4ToString(dst), protocol, ttl, length: total, id: v.identification, mf: moreFragments, offset: fragmentOffset }), ifc.name)
      : s.probes.allocateId();
    // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is not a host; discard.
    if (src === 0xffffffff || isMulticast(src) || src === ifc.broadcast) {
      s.drop('ipv4', 'bad-source', id, { src: ipv4ToString(src) });
      return;
    }
    if (isLoopback(src) || isLoopback(dst)) {
      // RFC 1122 §3.2.1.3 (g): 127/8 must not appear outside a host.
      s.drop('ipv4', 'martian-loopback', id);
      return;
    }
    const ipBroadcast = ifc.isBroadcast(dst);
    if (!ifc.acceptsDestination(dst) && !s.isLocalAddress(dst)) {
      // A host does not forward (RFC 1122 §3.3.4.2); multicast groups are not joined.
      s.drop('ipv4', isMulticast(dst) ? 'multicast-not-joined' : 'not-for-us', id, { dst: ipv4ToString(dst) });
      return;
    }
    // TTL: RFC 1122 §3.2.1.7 — a host MUST NOT discard a datagram just because its TTL is < 2.
    if (ttl === 0) c.inc('ipv4.rx.ttl-zero');

    const payload = frame.subarray(offset + hl, offset + total);
    if (moreFragments || fragmentOffset !== 0) {
      c.inc('ipv4.rx.fragments');
      const result = this.reassembler.add({
        src,
        dst,
        protocol,
        identification: v.identification,
        offset: fragmentOffset,
        moreFragments,
        data: payload,
        quote: frame.subarray(offset, offset + hl + Math.min(8, payload.length)),
        ttl,
        dscp: v.dscp,
        ecn: v.ecn,
        causeId: id,
      });
      if (result.status === 'pending') return;
      if (result.status === 'duplicate') {
        c.inc('ipv4.rx.duplicate-fragments');
        return;
      }
      if (result.status === 'dropped') {
        s.drop('ipv4', `reassembly-${result.reason}`, id);
        return;
      }
      const d = result.datagram;
      c.inc('ipv4.rx.reassembled');
      // Quote header for ICMP errors: the first fragment's header, total length made whole.
      const header = frame.slice(offset, offset + hl);
      const whole = hl + d.payload.length;
      header[2] = whole >>> 8;
      header[3] = whole & 0xff;
      header[6] &= 0x40; // keep DF, clear MF and the offset
      header[7] = 0;
      this.deliver({
        src,
        dst,
        protocol,
        ttl: d.ttl,
        dscp: d.dscp,
        ecn: d.ecn,
        identification: d.identification,
        payload: d.payload,
        causeId: id,
        ifname: ifc.name,
        header,
        linkBroadcast,
        ipBroadcast,
        fragments: d.fragments,
      });
      return;
    }
    this.deliver(new UnfragmentedDatagram(src, dst, protocol, ttl, v.dscp, v.ecn, v.identification, payload, id, ifc.name, frame, offset, hl, linkBroadcast, ipBroadcast, checksumVerified));
  }

  /** Hands a whole datagram to its protocol, or answers protocol unreachable. */
  deliver(d: ReceivedDatagram): void {
    const s = this.stack;
    this.rxDelivered.value++;
    const handler = this.handlers.get(d.protocol);
    if (!handler) {
      s.drop('ipv4', 'unknown-protocol', d.causeId, { protocol: d.protocol });
      // RFC 1122 §3.2.2.1: a host SHOULD send protocol unreachable.
      s.icmp.sendDestUnreachable(d, 2);
      return;
    }
    handler.receive(d);
  }

  private onReassemblyExpired(x: ExpiredDatagram): void {
    const s = this.stack;
    s.drop('ipv4', x.reason === 'timeout' ? 'reassembly-timeout' : 'reassembly-memory', x.causeId, {
      src: ipv4ToString(x.src),
      id: x.identification,
    });
    // RFC 792 / RFC 1122 §3.2.1.4: time exceeded (code 1) only if fragment 0 arrived.
    if (x.reason === 'timeout' && x.firstFragmentQuote) {
      s.icmp.sendError(x.src, x.dst, x.firstFragmentQuote, 11, 1, x.causeId);
    }
  }

  // ---------------------------------------------------------------- send

  /**
   * Routes, fragments (unless DF) and sends a datagram. Resolution by ARP happens after this
   * returns: `{ ok: true }` means handed to the link layer, as with Linux's `sendto`.
   */
  send(req: Ipv4SendRequest): Ipv4SendResult {
    const s = this.stack;
    const dst = req.dst >>> 0;
    const limitedBroadcast = dst === 0xffffffff;
    let ifc: NetInterface | null;
    let nextHop: number;
    if (limitedBroadcast || isMulticast(dst)) {
      ifc = req.src !== undefined ? (s.interfaces.find((i) => i.addr === req.src) ?? s.interfaces[0] ?? null) : (s.interfaces[0] ?? null);
      nextHop = dst;
    } else {
      const route = s.routes.lookup(dst);
      ifc = route ? s.interfaceByName(route.ifname) : null;
      nextHop = route?.gateway ?? dst;
    }
    if (!ifc) {
      s.counters.inc('ipv4.tx.enetunreach');
      return { ok: false, errno: 'ENETUNREACH' };
    }
    const src = req.src ?? ifc.addr;
    const writer = req.payload instanceof Uint8Array ? null : req.payload;
    const payloadLength = req.payload.length;
    const protocol = req.protocol;
    const hl = IPV4_MIN_HEADER_LENGTH;
    const mtu = this.pmtu.size > 0 ? this.mtuFor(dst) : ifc.mtu;
    const ttl = req.ttl ?? (isMulticast(dst) ? 1 : this.defaultTtl);
    const total = hl + payloadLength;
    // Segmentation offload (Device.segmentationOffload, Linux's TSO): a TCP datagram larger than
    // the MTU leaves whole, DF as TCP sets it, and the device cuts it (ours delivers it whole, GRO).
    const limit = protocol === IPPROTO_TCP && ifc.segmentationOffload ? 65535 : mtu;
    if (total > 65535 || (total > limit && req.dontFragment)) {
      // DF honoured: a host reports EMSGSIZE locally (RFC 1191 §5; a router would send ICMP 3/4).
      s.counters.inc('ipv4.tx.emsgsize');
      return { ok: false, errno: 'EMSGSIZE' };
    }
    const identification = this.identification;
    this.identification = (this.identification + 1) & 0xffff;
    const id = s.probes.hasListeners()
      ? s.event('ipv4', 'packet-out', req.causeId, () => ({ src: ipv4ToString(src), dst: ipv4ToString(dst), protocol, length: total, id: identification }), ifc.name)
      : s.probes.allocateId();

    const local = dst === ifc.addr || s.isLocalAddress(dst);
    // Fast path: one frame, the transport writes its bytes straight into it.
    if (!local && writer && total <= limit) {
      const broadcast = limitedBroadcast || ifc.isBroadcast(dst);
      const dstMac: Uint8Array | null = broadcast ? BROADCAST_MAC_BYTES : isMulticast(dst) ? multicastMacBytes(dst) : null;
      const frame = this.frames.alloc(ETHERNET_HEADER_LENGTH + total);
      writeEthernetHeader(frame, dstMac, ifc.macBytes, ETHERTYPE_IPV4);
      emitIpv4Into(frame, ETHERNET_HEADER_LENGTH, { src, dst, protocol, ttl, identification, dscp: req.dscp, ecn: req.ecn, dontFragment: req.dontFragment }, payloadLength);
      // Only here may the transport checksum stay partial: the frame goes to the device unchanged.
      // Loopback and fragmentation (below) materialise the payload with a complete checksum.
      writer.writeInto(frame, ETHERNET_HEADER_LENGTH + hl, ifc.checksumOffload);
      this.txPackets.value++;
      // The notice's payload is a view of the frame (made only if ARP fails), which ARP keeps unchanged while it queues it.
      this.output(ifc, nextHop, dstMac, frame, id, new FramePayloadNotice(src, dst, protocol, frame, ETHERNET_HEADER_LENGTH + hl, id));
      return { ok: true };
    }
    const payload = payloadBytes(req.payload);

    // Our own address: deliver locally, asynchronously, so callers never re-enter themselves.
    if (local) {
      s.counters.inc('ipv4.tx.loopback');
      const header = new Uint8Array(hl);
      emitIpv4Into(header, 0, { src, dst, protocol, ttl, identification, dscp: req.dscp, ecn: req.ecn, dontFragment: req.dontFragment }, payload.length);
      const copy = payload.slice();
      s.clock.setTimer(s.clock.now(), () =>
        this.deliver({ src, dst, protocol, ttl, dscp: req.dscp ?? 0, ecn: req.ecn ?? 0, identification, payload: copy, causeId: id, ifname: 'lo', header, linkBroadcast: false, ipBroadcast: false, fragments: 1 }),
      );
      return { ok: true };
    }

    const broadcast = limitedBroadcast || ifc.isBroadcast(dst);
    const dstMac: Uint8Array | null = broadcast ? BROADCAST_MAC_BYTES : isMulticast(dst) ? multicastMacBytes(dst) : null;
    // ARP failure: the sender hears EHOSTUNREACH, as if an ICMP host unreachable came back (Linux does).
    const unresolved: UnresolvedNotice = { src, dst, protocol, payload, causeId: id };

    if (total <= limit) {
      const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + total);
      writeEthernetHeader(frame, dstMac, ifc.macBytes, ETHERTYPE_IPV4);
      emitIpv4Into(frame, ETHERNET_HEADER_LENGTH, { src, dst, protocol, ttl, identification, dscp: req.dscp, ecn: req.ecn, dontFragment: req.dontFragment }, payload.length);
      frame.set(payload, ETHERNET_HEADER_LENGTH + hl);
      this.txPackets.value++;
      this.output(ifc, nextHop, dstMac, frame, id, unresolved);
      return { ok: true };
    }

    // Fragment (RFC 791 §3.2 "fragmentation"): data per fragment a multiple of 8 bytes.
    const perFragment = Math.floor((mtu - hl) / 8) * 8;
    s.counters.inc('ipv4.tx.fragmented');
    for (let off = 0; off < payload.length; off += perFragment) {
      const len = Math.min(perFragment, payload.length - off);
      const more = off + len < payload.length;
      const frame = new Uint8Array(ETHERNET_HEADER_LENGTH + hl + len);
      writeEthernetHeader(frame, dstMac, ifc.macBytes, ETHERTYPE_IPV4);
      emitIpv4Into(frame, ETHERNET_HEADER_LENGTH, { src, dst, protocol, ttl, identification, dscp: req.dscp, ecn: req.ecn, moreFragments: more, fragmentOffset: off }, len);
      frame.set(payload.subarray(off, off + len), ETHERNET_HEADER_LENGTH + hl);
      s.counters.inc('ipv4.tx.fragments');
      this.output(ifc, nextHop, dstMac, frame, id, off === 0 ? unresolved : undefined);
    }
    return { ok: true };
  }

  private output(ifc: NetInterface, nextHop: number, dstMac: Uint8Array | null, frame: Uint8Array, causeId: number, unresolved?: UnresolvedNotice): void {
    if (dstMac !== null) this.stack.transmit(ifc, frame, causeId);
    else this.stack.arp.output(ifc, nextHop, frame, causeId, unresolved);
  }

  close(): void {
    this.reassembler.clear();
  }
}

/** RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group address. */
export function multicastMacBytes(group: number): Uint8Array {
  return Uint8Array.of(0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff);
}

const BROADCAST_MAC_BYTES = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** Who to tell when ARP cannot resolve the next hop of a datagram we sent. */
export interface UnresolvedNotice {
  src: number;
  dst: number;
  protocol: number;
  payload: Uint8Array;
  causeId: number;
}

/** The notice of a frame sent on the fast path: the payload view is made only when it is read. */
class FramePayloadNotice implements UnresolvedNotice {
  constructor(
    readonly src: number,
    readonly dst: number,
    readonly protocol: number,
    private readonly frame: Uint8Array,
    private readonly payloadOffset: number,
    readonly causeId: number,
  ) {}
  get payload(): Uint8Array {
    return this.frame.subarray(this.payloadOffset);
  }
}

/**
 * A datagram that arrived in one frame. Its header view (only ICMP errors quote it) is made when
 * read: a typed-array view per received packet is one of the larger per-packet costs.
 */
class UnfragmentedDatagram implements ReceivedDatagram {
  readonly fragments = 1;
  constructor(
    readonly src: number,
    readonly dst: number,
    readonly protocol: number,
    readonly ttl: number,
    readonly dscp: number,
    readonly ecn: number,
    readonly identification: number,
    readonly payload: Uint8Array,
    readonly causeId: number,
    readonly ifname: string,
    private readonly frame: Uint8Array,
    private readonly headerOffset: number,
    private readonly headerLength: number,
    readonly linkBroadcast: boolean,
    readonly ipBroadcast: boolean,
    readonly checksumVerified: boolean,
  ) {}
  get header(): Uint8Array {
    return this.frame.subarray(this.headerOffset, this.headerOffset + this.headerLength);
  }
}
