/**
 * One row of the Packets table per frame: addresses, protocol, length and a one-line Info.
 * Decoding happens once, here, where the frame enters a session.
 */
import { decodePacket, type DecodedPacket } from '../wire/decode';
import { ipv4ToString } from '../wire/address';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../wire/tcp';
import { TcpdumpPrinter } from './tcpdump';
import type { FrameSummary } from '../model/frames';

export interface SummarizableFrame {
  linkType: number;
  tsUs: number;
  data: Uint8Array;
  originalLength: number;
}

/** tcpdump's "IP src.port > dst.port: " prefix; the table shows the addresses in their own columns. */
const IP_PREFIX = /^IP (?:\S+) > (?:\S+): /;

/**
 * Turns frames into table rows; one instance per session, because the Info column is tcpdump's own
 * line (`-n -t`), and tcpdump numbers TCP sequence numbers relative to each connection's first.
 */
export class FrameSummarizer {
  private readonly printer = new TcpdumpPrinter({ timestamp: 1 });

  summarize(no: number, frame: SummarizableFrame, firstTsUs: number): FrameSummary {
    const pkt = decodePacket(frame.linkType, frame.data, frame.originalLength);
    const { src, dst } = addresses(pkt);
    return {
      no,
      t: (frame.tsUs - firstTsUs) / 1e6,
      tsUs: frame.tsUs,
      src,
      dst,
      protocol: protocolOf(pkt),
      length: frame.originalLength,
      info: this.info(frame),
      stream: -1,
      flags: flagsOf(pkt),
    };
  }

  private info(frame: SummarizableFrame): string {
    const line = this.printer.print({
      linkType: frame.linkType,
      data: frame.data,
      originalLength: frame.originalLength,
      tsSec: Math.floor(frame.tsUs / 1e6),
      tsUsec: frame.tsUs % 1e6,
    });
    const first = line.split('\n', 1)[0]!;
    return first.replace(IP_PREFIX, '');
  }
}

function addresses(pkt: DecodedPacket): { src: string; dst: string } {
  if (pkt.ipv4) {
    const ports = pkt.tcp ?? pkt.udp;
    const s = ipv4ToString(pkt.ipv4.src);
    const d = ipv4ToString(pkt.ipv4.dst);
    return ports ? { src: `${s}:${ports.srcPort}`, dst: `${d}:${ports.dstPort}` } : { src: s, dst: d };
  }
  if (pkt.arp) return { src: pkt.arp.senderMac, dst: pkt.arp.targetMac };
  if (pkt.link && pkt.link.kind === 'ethernet') return { src: pkt.link.src, dst: pkt.link.dst };
  return { src: '', dst: '' };
}

function protocolOf(pkt: DecodedPacket): string {
  if (pkt.tcp) return 'TCP';
  if (pkt.udp) return 'UDP';
  if (pkt.icmp) return 'ICMP';
  if (pkt.ipv4) return 'IPv4';
  if (pkt.arp) return 'ARP';
  if (pkt.etherType === 0x86dd) return 'IPv6';
  return pkt.link?.kind === 'ethernet' ? 'Ethernet' : 'Unknown';
}

function flagsOf(pkt: DecodedPacket): string[] {
  const out: string[] = [];
  if (pkt.tcp) {
    if (pkt.tcp.flags & TCP_SYN) out.push('syn');
    if (pkt.tcp.flags & TCP_RST) out.push('rst');
    if (pkt.tcp.flags & TCP_FIN) out.push('fin');
  }
  if (pkt.error) out.push(pkt.error.kind);
  return out;
}
