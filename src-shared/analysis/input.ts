/**
 * From `wire`'s decoded frame to the analysis input. Frames tshark would not analyse give null:
 * no TCP header, IP fragments (the segment length is unknown), a TCP header that does not fit in
 * the IP payload the header announces.
 */
import type { DecodedPacket } from '@shared/wire/decode';
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
  };
  for (const o of tcp.options) {
    switch (o.kind) {
      case 'mss':
        input.mss = o.value;
        break;
      case 'wscale':
        input.wscale = o.shift;
        break;
      case 'sack-permitted':
        input.sackPermitted = true;
        break;
      case 'sack': {
        const edges: number[] = [];
        for (const b of o.blocks) edges.push(b.left, b.right);
        input.sackBlocks = edges;
        break;
      }
      case 'timestamps':
        input.tsval = o.tsval;
        input.tsecr = o.tsecr;
        break;
      default:
        break;
    }
  }
  return input;
}
