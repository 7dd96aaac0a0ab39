/**
 * Ethernet II (IEEE 802.3 clause 3.2.6 with the DIX type field) and 802.1Q VLAN tags (IEEE 802.1Q
 * §9.6). Frames as captured, without preamble or FCS.
 */
import { macToString, writeMac, type MacAddress } from './address';
import { WireError, malformedError, shortError, truncatedError } from './errors';
import { etherTypes, linkTypes, recordError } from './registry';
import { LINKTYPE_ETHERNET } from './linktype';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_VLAN_9100 = 0x9100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
/** Values up to 1500 in the type field are an 802.3 length, not an EtherType (IEEE 802.3 §3.2.6). */
export const ETHERNET_MAX_LENGTH_FIELD = 1500;
/** More tags than this are not a real frame; the limit keeps decoding bounded. */
export const MAX_VLAN_TAGS = 8;

export function isVlanTpid(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_VLAN_9100;
}

export interface VlanTag {
  /** Priority code point, 3 bits. */
  pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  dei: boolean;
  /** VLAN identifier, 12 bits. */
  id: number;
  /** The tag protocol identifier in front of this tag; 0x8100 when absent (emit). */
  tpid?: number;
}

export interface EthernetRepr {
  dst: MacAddress;
  src: MacAddress;
  /** The EtherType of the payload, after any VLAN tags (or an 802.3 length when <= 1500). */
  etherType: number;
  /** VLAN tags, outermost first; absent when untagged. */
  vlan?: VlanTag[];
  /** Offset of the payload in the buffer parsed (header + tags after the start). */
  payloadOffset: number;
}

/** What `decodePacket` puts in `link` for an Ethernet frame. */
export interface EthernetLink extends EthernetRepr {
  kind: 'ethernet';
  /** 14 + 4 per VLAN tag. */
  headerLength: number;
}

export type EthernetEmitInput = { dst: MacAddress; src: MacAddress; etherType: number; vlan?: VlanTag[] };

/** A zero-copy view. `check()` once; then the accessors cannot fail. */
export class EthernetView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new EthernetView(bytes, offset).check();
  }

  /** Standalone views: a buffer that ends early is "truncated". Checks the 14-byte header and every VLAN tag it announces. */
  check(): WireError | null {
    const b = this.bytes;
    const avail = b.length - this.offset;
    if (avail < ETHERNET_HEADER_LENGTH) return truncatedError('ethernet', 'header', this.offset, ETHERNET_HEADER_LENGTH, avail);
    let p = this.offset + 12;
    for (let tags = 0; isVlanTpid((b[p]! << 8) | b[p + 1]!); tags++) {
      if (tags === MAX_VLAN_TAGS) return malformedError('ethernet', 'vlan tags', p, `<= ${MAX_VLAN_TAGS} tags`, 'more');
      if (b.length - p < 2 + VLAN_TAG_LENGTH) return truncatedError('802.1q', 'tag', p, 2 + VLAN_TAG_LENGTH, b.length - p);
      p += VLAN_TAG_LENGTH;
    }
    return null;
  }

  get dst(): MacAddress {
    return macToString(this.bytes, this.offset);
  }
  get src(): MacAddress {
    return macToString(this.bytes, this.offset + 6);
  }
  /** The type field right after the source address (a TPID when tagged). */
  get outerEtherType(): number {
    return (this.bytes[this.offset + 12]! << 8) | this.bytes[this.offset + 13]!;
  }
  /** Number of VLAN tags. */
  get vlanCount(): number {
    let n = 0;
    let p = this.offset + 12;
    while (n < MAX_VLAN_TAGS && isVlanTpid((this.bytes[p]! << 8) | this.bytes[p + 1]!)) {
      n++;
      p += VLAN_TAG_LENGTH;
    }
    return n;
  }
  /** The EtherType after the VLAN tags. */
  get etherType(): number {
    const p = this.offset + 12 + this.vlanCount * VLAN_TAG_LENGTH;
    return (this.bytes[p]! << 8) | this.bytes[p + 1]!;
  }
  get headerLength(): number {
    return ETHERNET_HEADER_LENGTH + this.vlanCount * VLAN_TAG_LENGTH;
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** The i-th tag (0 = outermost). */
  vlanTag(i: number): VlanTag {
    const p = this.offset + 12 + i * VLAN_TAG_LENGTH;
    const tci = (this.bytes[p + 2]! << 8) | this.bytes[p + 3]!;
    return { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff, tpid: (this.bytes[p]! << 8) | this.bytes[p + 1]! };
  }
}

export function parseEthernet(bytes: Uint8Array, offset = 0): EthernetRepr {
  const v = new EthernetView(bytes, offset);
  const err = v.check();
  if (err) throw err;
  const n = v.vlanCount;
  const repr: EthernetRepr = { dst: v.dst, src: v.src, etherType: v.etherType, payloadOffset: v.payloadOffset };
  if (n > 0) {
    repr.vlan = [];
    for (let i = 0; i < n; i++) repr.vlan.push(v.vlanTag(i));
  }
  return repr;
}

export function ethernetHeaderLength(repr: { vlan?: VlanTag[] }): number {
  return ETHERNET_HEADER_LENGTH + (repr.vlan?.length ?? 0) * VLAN_TAG_LENGTH;
}

/** Writes the header (with tags) at `off`; returns the bytes written. */
export function emitEthernetInto(buf: Uint8Array, off: number, repr: EthernetEmitInput): number {
  const len = ethernetHeaderLength(repr);
  if (buf.length - off < len) throw truncatedError('ethernet', 'emit buffer', off, len, buf.length - off);
  writeMac(buf, off, repr.dst);
  writeMac(buf, off + 6, repr.src);
  let p = off + 12;
  for (const tag of repr.vlan ?? []) {
    const tpid = tag.tpid ?? ETHERTYPE_VLAN;
    const tci = ((tag.pcp & 7) << 13) | (tag.dei ? 0x1000 : 0) | (tag.id & 0x0fff);
    buf[p] = tpid >>> 8;
    buf[p + 1] = tpid;
    buf[p + 2] = tci >>> 8;
    buf[p + 3] = tci;
    p += VLAN_TAG_LENGTH;
  }
  buf[p] = repr.etherType >>> 8;
  buf[p + 1] = repr.etherType;
  return len;
}

/** Header + payload, no FCS, no padding to 60 bytes (the kernel pads on a real NIC; TAP does not). */
export function emitEthernet(repr: EthernetEmitInput, payload: Uint8Array): Uint8Array {
  const hl = ethernetHeaderLength(repr);
  const out = new Uint8Array(hl + payload.length);
  emitEthernetInto(out, 0, repr);
  out.set(payload, hl);
  return out;
}

/** Layer decoder for LINKTYPE_ETHERNET (registered below). */
export function decodeEthernetLayer(pkt: import('./decode').DecodedPacket, bytes: Uint8Array, offset: number, capEnd: number, wireEnd: number): void {
  if (capEnd - offset < ETHERNET_HEADER_LENGTH) {
    recordError(pkt, shortError('ethernet', 'header', offset, ETHERNET_HEADER_LENGTH, capEnd - offset, wireEnd - offset));
    return;
  }
  let p = offset + 12;
  let type = (bytes[p]! << 8) | bytes[p + 1]!;
  const link: EthernetLink = {
    kind: 'ethernet',
    dst: macToString(bytes, offset),
    src: macToString(bytes, offset + 6),
    etherType: type,
    vlan: undefined,
    payloadOffset: p + 2,
    headerLength: ETHERNET_HEADER_LENGTH,
  };
  pkt.link = link;
  let tags = 0;
  while (isVlanTpid(type)) {
    if (tags === MAX_VLAN_TAGS) {
      recordError(pkt, malformedError('ethernet', 'vlan tags', p, `<= ${MAX_VLAN_TAGS} tags`, 'more'));
      return;
    }
    if (capEnd - p < 2 + VLAN_TAG_LENGTH) {
      recordError(pkt, shortError('802.1q', 'tag', p, 2 + VLAN_TAG_LENGTH, capEnd - p, wireEnd - p));
      return;
    }
    const tci = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (link.vlan === undefined) link.vlan = pkt.vlan = [];
    link.vlan.push({ pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff, tpid: type });
    p += VLAN_TAG_LENGTH;
    type = (bytes[p]! << 8) | bytes[p + 1]!;
    tags++;
  }
  link.etherType = type;
  link.payloadOffset = p + 2;
  link.headerLength = p + 2 - offset;
  if (type <= ETHERNET_MAX_LENGTH_FIELD) return; // 802.3 length + LLC: not decoded further
  pkt.etherType = type;
  pkt.networkOffset = p + 2;
  const next = etherTypes.get(type);
  if (next) next(pkt, bytes, p + 2, capEnd, wireEnd);
}

linkTypes.register(LINKTYPE_ETHERNET, decodeEthernetLayer);
