/** ARP for Ethernet and IPv4 (RFC 826). Other hardware/protocol pairs are reported as malformed. */
import { macToString, readIpv4, writeIpv4, writeMac, type Ipv4Address, type MacAddress } from './address';
import { WireError, malformedError, shortError, truncatedError } from './errors';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet';
import { etherTypes, recordError } from './registry';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_HTYPE_ETHERNET = 1;
/** Hardware type, protocol type, their lengths and the opcode. */
export const ARP_FIXED_LENGTH = 8;
/** Ethernet/IPv4 ARP: 8 + 2 * (6 + 4). */
export const ARP_LENGTH = 28;

export interface ArpRepr {
  /** 1 request, 2 reply (other values are kept as found). */
  op: number;
  senderMac: MacAddress;
  senderIp: Ipv4Address;
  targetMac: MacAddress;
  targetIp: Ipv4Address;
}

export class ArpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new ArpView(bytes, offset).check();
  }

  check(): WireError | null {
    return checkArp(this.bytes, this.offset, this.bytes.length, Number.MAX_SAFE_INTEGER);
  }

  get hardwareType(): number {
    return (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
  }
  get protocolType(): number {
    return (this.bytes[this.offset + 2]! << 8) | this.bytes[this.offset + 3]!;
  }
  get hardwareLength(): number {
    return this.bytes[this.offset + 4]!;
  }
  get protocolLength(): number {
    return this.bytes[this.offset + 5]!;
  }
  get op(): number {
    return (this.bytes[this.offset + 6]! << 8) | this.bytes[this.offset + 7]!;
  }
  get senderMac(): MacAddress {
    return macToString(this.bytes, this.offset + 8);
  }
  get senderIp(): Ipv4Address {
    return readIpv4(this.bytes, this.offset + 14);
  }
  get targetMac(): MacAddress {
    return macToString(this.bytes, this.offset + 18);
  }
  get targetIp(): Ipv4Address {
    return readIpv4(this.bytes, this.offset + 24);
  }
}

function checkArp(b: Uint8Array, off: number, capEnd: number, wireEnd: number): WireError | null {
  if (capEnd - off < ARP_FIXED_LENGTH) return shortError('arp', 'header', off, ARP_FIXED_LENGTH, capEnd - off, wireEnd - off);
  const htype = (b[off]! << 8) | b[off + 1]!;
  if (htype !== ARP_HTYPE_ETHERNET) return malformedError('arp', 'hardware type', off, '1 (Ethernet)', htype);
  const ptype = (b[off + 2]! << 8) | b[off + 3]!;
  if (ptype !== ETHERTYPE_IPV4) return malformedError('arp', 'protocol type', off + 2, '0x0800 (IPv4)', '0x' + ptype.toString(16));
  if (b[off + 4] !== 6) return malformedError('arp', 'hardware address length', off + 4, '6', b[off + 4]!);
  if (b[off + 5] !== 4) return malformedError('arp', 'protocol address length', off + 5, '4', b[off + 5]!);
  if (capEnd - off < ARP_LENGTH) return shortError('arp', 'addresses', off + ARP_FIXED_LENGTH, ARP_LENGTH, capEnd - off, wireEnd - off);
  return null;
}

export function parseArp(bytes: Uint8Array, offset = 0): ArpRepr {
  const v = new ArpView(bytes, offset);
  const err = v.check();
  if (err) throw err;
  return { op: v.op, senderMac: v.senderMac, senderIp: v.senderIp, targetMac: v.targetMac, targetIp: v.targetIp };
}

export function emitArpInto(buf: Uint8Array, off: number, repr: ArpRepr): number {
  if (buf.length - off < ARP_LENGTH) throw truncatedError('arp', 'emit buffer', off, ARP_LENGTH, buf.length - off);
  buf[off] = 0;
  buf[off + 1] = ARP_HTYPE_ETHERNET;
  buf[off + 2] = ETHERTYPE_IPV4 >>> 8;
  buf[off + 3] = ETHERTYPE_IPV4 & 0xff;
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  buf[off + 6] = repr.op >>> 8;
  buf[off + 7] = repr.op;
  writeMac(buf, off + 8, repr.senderMac);
  writeIpv4(buf, off + 14, repr.senderIp);
  writeMac(buf, off + 18, repr.targetMac);
  writeIpv4(buf, off + 24, repr.targetIp);
  return ARP_LENGTH;
}

export function emitArp(repr: ArpRepr): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  emitArpInto(out, 0, repr);
  return out;
}

function decodeArpLayer(pkt: import('./decode').DecodedPacket, bytes: Uint8Array, offset: number, capEnd: number, wireEnd: number): void {
  const err = checkArp(bytes, offset, capEnd, wireEnd);
  if (err) {
    recordError(pkt, err);
    return;
  }
  const v = new ArpView(bytes, offset);
  pkt.arp = { op: v.op, senderMac: v.senderMac, senderIp: v.senderIp, targetMac: v.targetMac, targetIp: v.targetIp };
}

etherTypes.register(ETHERTYPE_ARP, decodeArpLayer);
