/**
 * One row of the Packets table per frame: addresses, protocol, length and a one-line Info.
 * Decoding happens once, here, where the frame enters a session.
 */
import { decodePacket, type DecodedPacket } from '../wire/decode';
import { ipv4ToString } from '../wire/address';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, TCP_ECE, TCP_CWR } from '../wire/tcp';
import type { FrameSummary } from '../model/frames';

export interface SummarizableFrame {
  linkType: number;
  tsUs: number;
  data: Uint8Array;
  originalLength: number;
}

/** Turns frames into table rows; one instance per session (it may keep per-connection state). */
export class FrameSummarizer {
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
      info: infoOf(pkt),
      stream: -1,
      flags: flagsOf(pkt),
    };
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

/** tcpdump's flag letters: S F P R U E W and '.' for ACK. */
export function tcpFlagLetters(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  if (flags & TCP_ACK) s += '.';
  return s || 'none';
}

function infoOf(pkt: DecodedPacket): string {
  if (pkt.tcp) {
    const t = pkt.tcp;
    const len = t.payload.length;
    let s = `Flags [${tcpFlagLetters(t.flags)}], seq ${t.seq}`;
    if (len > 0) s += `:${(t.seq + len) >>> 0}`;
    if (t.flags & TCP_ACK) s += `, ack ${t.ack}`;
    s += `, win ${t.window}, length ${len}`;
    return s;
  }
  if (pkt.udp) return `UDP, length ${pkt.udp.payload.length}`;
  if (pkt.icmp) {
    const i = pkt.icmp;
    if (i.kind === 'echo-request' || i.kind === 'echo-reply') {
      return `ICMP ${i.kind === 'echo-request' ? 'echo request' : 'echo reply'}, id ${i.identifier}, seq ${i.sequence}`;
    }
    return `ICMP ${i.kind} (type ${i.type}, code ${i.code})`;
  }
  if (pkt.arp) {
    const a = pkt.arp;
    return a.op === 1
      ? `ARP, Request who-has ${ipv4ToString(a.targetIp)} tell ${ipv4ToString(a.senderIp)}`
      : `ARP, Reply ${ipv4ToString(a.senderIp)} is-at ${a.senderMac}`;
  }
  if (pkt.error) return `[${pkt.error.message}]`;
  return '';
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
