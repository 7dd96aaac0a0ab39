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

/** Endpoint names cached per session before the cache starts again (a scan of many hosts). */
const ENDPOINT_CACHE_LIMIT = 65_536;

/**
 * Turns frames into table rows; one instance per session, because the Info column is tcpdump's own
 * line (`-n -t`), and tcpdump numbers TCP sequence numbers relative to each connection's first.
 * Rows are kept for the whole session and streamed at up to 100k a second, so the summariser
 * reuses what repeats: one string per address and port, however many frames carry it.
 */
export class FrameSummarizer {
  private readonly printer = new TcpdumpPrinter({ timestamp: 1 });
  /** "a.b.c.d" or "a.b.c.d:port", keyed by address × 65537 + port + 1 (port -1: none); never two keys alike. */
  private readonly endpointNames = new Map<number, string>();

  summarize(no: number, frame: SummarizableFrame, firstTsUs: number): FrameSummary {
    const pkt = decodePacket(frame.linkType, frame.data, frame.originalLength);
    let src = '';
    let dst = '';
    if (pkt.ipv4) {
      const ports = pkt.tcp ?? pkt.udp;
      src = this.endpointName(pkt.ipv4.src, ports ? ports.srcPort : -1);
      dst = this.endpointName(pkt.ipv4.dst, ports ? ports.dstPort : -1);
    } else if (pkt.arp) {
      src = pkt.arp.senderMac;
      dst = pkt.arp.targetMac;
    } else if (pkt.link && pkt.link.kind === 'ethernet') {
      src = pkt.link.src;
      dst = pkt.link.dst;
    }
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

  private endpointName(address: number, port: number): string {
    const key = address * 65537 + port + 1;
    let name = this.endpointNames.get(key);
    if (name === undefined) {
      name = port < 0 ? ipv4ToString(address) : `${ipv4ToString(address)}:${port}`;
      if (this.endpointNames.size >= ENDPOINT_CACHE_LIMIT) this.endpointNames.clear();
      this.endpointNames.set(key, name);
    }
    return name;
  }

  private info(frame: SummarizableFrame): string {
    return infoOf(this.printer.printFrame(frame.linkType, frame.data, frame.originalLength, Math.floor(frame.tsUs / 1e6), frame.tsUs % 1e6));
  }
}

/**
 * The Info column: the first row of tcpdump's line without its "IP src.port > dst.port: " prefix
 * (the table shows the addresses in their own columns). The same as
 * `line.split('\n', 1)[0].replace(/^IP (?:\S+) > (?:\S+): /, '')`, without an array and a regular
 * expression per frame.
 */
export function infoOf(line: string): string {
  let end = line.indexOf('\n');
  if (end < 0) end = line.length;
  const start = ipPrefixLength(line, end);
  return start === 0 && end === line.length ? line : line.substring(start, end);
}

/** Length of "IP <non-space run> > <non-space run>: " at the start of line[0, end), or 0. */
function ipPrefixLength(line: string, end: number): number {
  if (!line.startsWith('IP ')) return 0;
  let i = 3;
  while (i < end && !isSpace(line.charCodeAt(i))) i++;
  if (i === 3 || !line.startsWith(' > ', i)) return 0;
  const second = i + 3;
  let j = second;
  while (j < end && !isSpace(line.charCodeAt(j))) j++;
  // The second run is at least one character and a ':', and a space follows it.
  if (j - second < 2 || line.charCodeAt(j - 1) !== 0x3a || j >= end || line.charCodeAt(j) !== 0x20) return 0;
  return j + 1;
}

/** JavaScript's \s among the characters a printed line holds (tcpdump prints Latin-1 at most). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
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
