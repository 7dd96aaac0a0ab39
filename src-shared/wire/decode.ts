/**
 * `decodePacket`: one captured frame -> a layered, plain result, decoded as far as it safely can,
 * with what broke recorded in `error` (it never throws). The layers come from the registry
 * tables; importing this module loads every protocol module so they register themselves.
 */
import type { ArpRepr } from './arp';
import type { DnsMessage } from './dns';
import type { HttpLine } from './http';
import type { EthernetLink, VlanTag } from './ethernet';
import type { IcmpQuoted, IcmpRepr } from './icmp';
import type { Ipv4Repr } from './ipv4';
import type { NullLink, RawLink, Sll2Link, SllLink } from './linklayers';
import type { TcpRepr } from './tcp';
import type { UdpRepr } from './udp';
import { WireError, malformedError } from './errors';
import { linkTypes, recordError } from './registry';
// Side-effect imports: each module registers its layer decoder into the table below it.
import './ethernet';
import './linklayers';
import './arp';
import './ipv4';
import './icmp';
import './udp';
import './tcp';
import './dns';
import './http';

export type LinkInfo = EthernetLink | SllLink | Sll2Link | NullLink | RawLink;

export interface DecodedPacket {
  linkType: number;
  /** The frame that was decoded (not copied). */
  bytes: Uint8Array;
  /** Bytes captured (the buffer's length). */
  capturedLength: number;
  /** Bytes the frame had on the wire (pcap orig_len); >= capturedLength. */
  origLength: number;
  link: LinkInfo | undefined;
  /** 802.1Q tags, outermost first (same array as `link.vlan` for Ethernet). */
  vlan: VlanTag[] | undefined;
  /** The network protocol as an EtherType, whatever the link type. */
  etherType: number | undefined;
  /** Frame offset of the network-layer header. */
  networkOffset: number | undefined;
  arp: ArpRepr | undefined;
  ipv4: Ipv4Repr | undefined;
  /** The IP payload as captured (clipped to the IP total length); made on first access. */
  readonly ipPayload: Uint8Array | undefined;
  ipPayloadOffset: number | undefined;
  /** End (exclusive) of the captured IP payload in the frame. */
  ipPayloadEnd: number | undefined;
  /** Frame offset of the transport header (absent for non-first fragments). */
  transportOffset: number | undefined;
  icmp: IcmpRepr | undefined;
  /** For ICMP errors: the quoted datagram's IP header and first 8 payload bytes. */
  icmpQuoted: IcmpQuoted | undefined;
  udp: UdpRepr | undefined;
  tcp: TcpRepr | undefined;
  /** Frame offset of the transport payload. */
  appOffset: number | undefined;
  /** DNS over UDP or TCP (ports 53, 5353). */
  dns: DnsMessage | undefined;
  /** The HTTP request or status line at the start of a TCP payload (ports 80, 8080). */
  http: HttpLine | undefined;
  /** The first thing that broke; later layers were not decoded past it when it mattered. */
  error: WireError | undefined;
  /** The capture ended before the frame did (snap length), somewhere in a decoded layer. */
  truncated: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * The result object. A class only so that `ipPayload` is cut from the frame on first access
 * (a subarray costs ~150 ns, as much as the rest of an ACK's decode); every other member is a
 * plain field.
 */
class Decoded implements DecodedPacket {
  capturedLength: number;
  origLength: number;
  link: LinkInfo | undefined = undefined;
  vlan: VlanTag[] | undefined = undefined;
  etherType: number | undefined = undefined;
  networkOffset: number | undefined = undefined;
  arp: ArpRepr | undefined = undefined;
  ipv4: Ipv4Repr | undefined = undefined;
  ipPayloadOffset: number | undefined = undefined;
  ipPayloadEnd: number | undefined = undefined;
  transportOffset: number | undefined = undefined;
  icmp: IcmpRepr | undefined = undefined;
  icmpQuoted: IcmpQuoted | undefined = undefined;
  udp: UdpRepr | undefined = undefined;
  tcp: TcpRepr | undefined = undefined;
  appOffset: number | undefined = undefined;
  dns: DnsMessage | undefined = undefined;
  http: HttpLine | undefined = undefined;
  error: WireError | undefined = undefined;
  truncated = false;
  private payloadCache: Uint8Array | undefined = undefined;

  constructor(
    readonly linkType: number,
    readonly bytes: Uint8Array,
    origLength: number,
  ) {
    this.capturedLength = bytes.length;
    this.origLength = origLength > bytes.length ? origLength : bytes.length;
  }

  get ipPayload(): Uint8Array | undefined {
    if (this.ipPayloadOffset === undefined || this.ipPayloadEnd === undefined) return undefined;
    if (this.payloadCache === undefined) {
      this.payloadCache = this.ipPayloadEnd > this.ipPayloadOffset ? this.bytes.subarray(this.ipPayloadOffset, this.ipPayloadEnd) : EMPTY;
    }
    return this.payloadCache;
  }
}

/**
 * Decodes one frame. `origLength` is the length on the wire (pcap `orig_len`), default the
 * captured length; bytes beyond the capture are "truncated", lengths beyond the wire "malformed".
 * Never throws.
 */
export function decodePacket(linkType: number, bytes: Uint8Array, origLength: number = bytes.length): DecodedPacket {
  const pkt = new Decoded(linkType, bytes, origLength);
  const decoder = linkTypes.get(linkType);
  if (decoder === undefined) {
    pkt.error = malformedError('link', 'link type', 0, 'a registered link type', linkType);
    return pkt;
  }
  try {
    decoder(pkt, bytes, 0, bytes.length, pkt.origLength);
  } catch (e) {
    // A layer decoder must not throw; if one does anyway, report it rather than crash a capture.
    recordError(pkt, e instanceof WireError ? e : new WireError('malformed', 'internal', 'layer decoder', 0, 'no exception', String(e)));
  }
  return pkt;
}
