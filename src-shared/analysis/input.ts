/**
 * From `wire`'s decoded frame to the analysis input. Frames tshark would not analyse give null:
 * no TCP header, IP fragments (the segment length is unknown), a TCP header that does not fit in
 * the IP payload the header announces.
 */
import type { DecodedPacket } from '@shared/wire/decode';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, EthernetView } from '@shared/wire/ethernet';
import { IPPROTO_TCP, Ipv4View } from '@shared/wire/ipv4';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_RAW_12, LINKTYPE_RAW_14 } from '@shared/wire/linktype';
import { parseTcpOptionsInto, TcpView, type TcpOption } from '@shared/wire/tcp';
import type { TcpSegmentInput } from './types';

export function segmentFromDecoded(
  pkt: DecodedPacket,
  frame: number,
  tsSec: number,
  tsNsec: number,
  fileOffset = -1,
): TcpSegmentInput | null {
  const tcp = pkt.tcp;
  const ip = pkt.ipv4;
  if (tcp === undefined || ip === undefined) return null;
  if (ip.moreFragments || ip.fragmentOffset !== 0) return null;
  // tcp.len is the length the IP header reports, not what was captured (snap length).
  const payloadLength = ip.totalLength - ip.headerLength - tcp.dataOffset;
  if (payloadLength < 0) return null;
  // Every property is set, in one order, so all inputs share one hidden class (monomorphic).
  let mss: number | undefined;
  let wscale: number | undefined;
  let sackPermitted = false;
  let sackBlocks: number[] | undefined;
  let tsval: number | undefined;
  let tsecr: number | undefined;
  const opts = tcp.options;
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    switch (o.kind) {
      case 'mss':
        mss = o.value;
        break;
      case 'wscale':
        wscale = o.shift;
        break;
      case 'sack-permitted':
        sackPermitted = true;
        break;
      case 'sack': {
        sackBlocks = [];
        for (const b of o.blocks) sackBlocks.push(b.left, b.right);
        break;
      }
      case 'timestamps':
        tsval = o.tsval;
        tsecr = o.tsecr;
        break;
      default:
        break;
    }
  }
  const input: TcpSegmentInput = {
    frame,
    tsSec,
    tsNsec,
    fileOffset,
    srcIp: ip.src,
    dstIp: ip.dst,
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    window: tcp.window,
    payloadLength,
    ipEcn: ip.ecn,
    mss,
    wscale,
    sackPermitted,
    sackBlocks,
    tsval,
    tsecr,
  };
  return input;
}

/**
 * The same input read straight from `wire`'s zero-copy views, for the common clean case
 * (Ethernet with or without VLAN tags, or raw IP; IPv4; a whole TCP header): no decode tree,
 * no checksums, no application layers. Returns undefined for anything else, and the caller
 * falls back to decodePacket + segmentFromDecoded, so both paths give identical inputs.
 */
/** Reused between calls (the option objects themselves are not kept). */
const optionScratch: TcpOption[] = [];

export function segmentFromFrame(
  linkType: number,
  bytes: Uint8Array,
  origLength: number,
  frame: number,
  tsSec: number,
  tsNsec: number,
  fileOffset = -1,
): TcpSegmentInput | null | undefined {
  let ipOff: number;
  if (linkType === LINKTYPE_ETHERNET) {
    const eth = new EthernetView(bytes, 0);
    if (eth.check() !== null) return undefined;
    if (eth.etherType !== ETHERTYPE_IPV4) return eth.etherType === ETHERTYPE_IPV6 || eth.etherType === ETHERTYPE_ARP ? null : undefined;
    ipOff = eth.payloadOffset;
  } else if (linkType === LINKTYPE_RAW || linkType === LINKTYPE_RAW_12 || linkType === LINKTYPE_RAW_14 || linkType === 228) {
    ipOff = 0;
  } else {
    return undefined;
  }
  const ip = new Ipv4View(bytes, ipOff);
  if (bytes.length - ipOff < 20 || bytes[ipOff]! >>> 4 !== 4 || ip.check() !== null) return undefined;
  if (ip.protocol !== IPPROTO_TCP) return null;
  const hl = ip.headerLength;
  const total = ip.totalLength;
  if (total < hl || ipOff + total > Math.max(origLength, bytes.length)) return undefined;
  if (ip.moreFragments || ip.fragmentOffset !== 0) return null;
  const tcpOff = ipOff + hl;
  if (bytes.length - tcpOff < 20) return undefined;
  const tcp = new TcpView(bytes, tcpOff);
  const doff = tcp.dataOffset;
  if (doff < 20 || tcpOff + doff > bytes.length || doff > total - hl) return undefined;
  let mss: number | undefined;
  let wscale: number | undefined;
  let sackPermitted = false;
  let sackBlocks: number[] | undefined;
  let tsval: number | undefined;
  let tsecr: number | undefined;
  if (doff > 20) {
    const opts = optionScratch;
    opts.length = 0;
    parseTcpOptionsInto(bytes, tcpOff + 20, tcpOff + doff, opts);
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!;
      if (o.kind === 'mss') mss = o.value;
      else if (o.kind === 'wscale') wscale = o.shift;
      else if (o.kind === 'sack-permitted') sackPermitted = true;
      else if (o.kind === 'sack') {
        sackBlocks = [];
        for (const b of o.blocks) sackBlocks.push(b.left, b.right);
      } else if (o.kind === 'timestamps') {
        tsval = o.tsval;
        tsecr = o.tsecr;
      }
    }
  }
  return {
    frame,
    tsSec,
    tsNsec,
    fileOffset,
    srcIp: ip.src,
    dstIp: ip.dst,
    srcPort: tcp.srcPort,
    dstPort: tcp.dstPort,
    seq: tcp.seq,
    ack: tcp.ack,
    flags: tcp.flags,
    window: tcp.window,
    payloadLength: total - hl - doff,
    ipEcn: ip.ecn,
    mss,
    wscale,
    sackPermitted,
    sackBlocks,
    tsval,
    tsecr,
  };
}
