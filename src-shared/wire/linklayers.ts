/**
 * The link headers other than Ethernet that captures on Linux and BSD carry:
 * Linux cooked v1/v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, …SLL2.html),
 * BSD loopback NULL/LOOP (…LINKTYPE_NULL.html) and raw IP (…LINKTYPE_RAW.html).
 * Each registers into the link-type table and hands its payload to the EtherType table.
 */
import { bytesToHex } from './address';
import { malformedError, shortError } from './errors';
import { ETHERNET_MAX_LENGTH_FIELD, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet';
import {
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_12,
  LINKTYPE_RAW_14,
} from './linktype';
import { etherTypes, linkTypes, recordError } from './registry';
import type { DecodedPacket } from './decode';

export const SLL_HEADER_LENGTH = 16;
export const SLL2_HEADER_LENGTH = 20;
export const NULL_HEADER_LENGTH = 4;

/** sll_pkttype values (linux/if_packet.h). */
export const SLL_HOST = 0;
export const SLL_BROADCAST = 1;
export const SLL_MULTICAST = 2;
export const SLL_OTHERHOST = 3;
export const SLL_OUTGOING = 4;

/** BSD address families that mean IPv4 / IPv6 in NULL and LOOP headers. */
export const BSD_AF_INET = 2;
export const BSD_AF_INET6 = [24, 28, 30] as const;

export interface SllLink {
  kind: 'sll';
  packetType: number;
  /** ARPHRD_ type of the interface (1 = Ethernet, 772 = loopback …). */
  arphrdType: number;
  addressLength: number;
  /** The link-layer address as colon-separated hex of its first min(addressLength, 8) bytes. */
  address: string;
  /** EtherType (or a Linux pseudo-protocol value <= 1500, not decoded further). */
  protocol: number;
  headerLength: number;
}

export interface Sll2Link {
  kind: 'sll2';
  protocol: number;
  interfaceIndex: number;
  arphrdType: number;
  packetType: number;
  addressLength: number;
  address: string;
  headerLength: number;
}

export interface NullLink {
  kind: 'null';
  /** The address family, already in host terms (byte order resolved). */
  family: number;
  /** NULL: whether the writer was of the other byte order. LOOP: false. */
  swapped: boolean;
  headerLength: number;
}

export interface RawLink {
  kind: 'raw';
  headerLength: 0;
}

function colonHex(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ':' : '') + bytesToHex(b, off + i, off + i + 1);
  return s;
}

function toNetwork(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number, etherType: number): void {
  pkt.etherType = etherType;
  pkt.networkOffset = off;
  const next = etherTypes.get(etherType);
  if (next) next(pkt, b, off, capEnd, wireEnd);
}

function decodeSll(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  if (capEnd - off < SLL_HEADER_LENGTH) {
    recordError(pkt, shortError('sll', 'header', off, SLL_HEADER_LENGTH, capEnd - off, wireEnd - off));
    return;
  }
  const addressLength = (b[off + 4]! << 8) | b[off + 5]!;
  const protocol = (b[off + 14]! << 8) | b[off + 15]!;
  pkt.link = {
    kind: 'sll',
    packetType: (b[off]! << 8) | b[off + 1]!,
    arphrdType: (b[off + 2]! << 8) | b[off + 3]!,
    addressLength,
    address: colonHex(b, off + 6, addressLength < 8 ? addressLength : 8),
    protocol,
    headerLength: SLL_HEADER_LENGTH,
  };
  if (protocol > ETHERNET_MAX_LENGTH_FIELD) toNetwork(pkt, b, off + SLL_HEADER_LENGTH, capEnd, wireEnd, protocol);
}

function decodeSll2(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  if (capEnd - off < SLL2_HEADER_LENGTH) {
    recordError(pkt, shortError('sll2', 'header', off, SLL2_HEADER_LENGTH, capEnd - off, wireEnd - off));
    return;
  }
  const protocol = (b[off]! << 8) | b[off + 1]!;
  const addressLength = b[off + 11]!;
  pkt.link = {
    kind: 'sll2',
    protocol,
    interfaceIndex: ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0,
    arphrdType: (b[off + 8]! << 8) | b[off + 9]!,
    packetType: b[off + 10]!,
    addressLength,
    address: colonHex(b, off + 12, addressLength < 8 ? addressLength : 8),
    headerLength: SLL2_HEADER_LENGTH,
  };
  if (protocol > ETHERNET_MAX_LENGTH_FIELD) toNetwork(pkt, b, off + SLL2_HEADER_LENGTH, capEnd, wireEnd, protocol);
}

function familyToEtherType(family: number): number | undefined {
  if (family === BSD_AF_INET) return ETHERTYPE_IPV4;
  if (family === 24 || family === 28 || family === 30) return ETHERTYPE_IPV6;
  return undefined;
}

function decodeNullOrLoop(loop: boolean) {
  return (pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void => {
    if (capEnd - off < NULL_HEADER_LENGTH) {
      recordError(pkt, shortError(loop ? 'loop' : 'null', 'header', off, NULL_HEADER_LENGTH, capEnd - off, wireEnd - off));
      return;
    }
    const be = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    let family = be;
    let swapped = false;
    if (!loop) {
      // Written in the capturing host's byte order; like tcpdump, a value with bits in the upper
      // half is taken as the other order.
      const le = ((b[off + 3]! << 24) | (b[off + 2]! << 16) | (b[off + 1]! << 8) | b[off]!) >>> 0;
      family = le;
      if ((le & 0xffff0000) !== 0) {
        family = be;
        swapped = true;
      }
    }
    pkt.link = { kind: 'null', family, swapped, headerLength: NULL_HEADER_LENGTH };
    const et = familyToEtherType(family);
    if (et !== undefined) toNetwork(pkt, b, off + NULL_HEADER_LENGTH, capEnd, wireEnd, et);
  };
}

function decodeRaw(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  pkt.link = { kind: 'raw', headerLength: 0 };
  if (capEnd <= off) {
    recordError(pkt, shortError('raw', 'ip version', off, 1, capEnd - off, wireEnd - off));
    return;
  }
  const version = b[off]! >>> 4;
  if (version === 4) toNetwork(pkt, b, off, capEnd, wireEnd, ETHERTYPE_IPV4);
  else if (version === 6) toNetwork(pkt, b, off, capEnd, wireEnd, ETHERTYPE_IPV6);
  else recordError(pkt, malformedError('raw', 'ip version', off, '4 or 6', version));
}

linkTypes.register(LINKTYPE_LINUX_SLL, decodeSll);
linkTypes.register(LINKTYPE_LINUX_SLL2, decodeSll2);
linkTypes.register(LINKTYPE_NULL, decodeNullOrLoop(false));
linkTypes.register(LINKTYPE_LOOP, decodeNullOrLoop(true));
linkTypes.register(LINKTYPE_RAW, decodeRaw);
linkTypes.register(LINKTYPE_RAW_12, decodeRaw);
linkTypes.register(LINKTYPE_RAW_14, decodeRaw);
