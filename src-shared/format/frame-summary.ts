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
    // Read once: a session's frame may make its view on each access (FrameArena).
    const data = frame.data;
    const pkt = decodePacket(frame.linkType, data, frame.originalLength);
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
      info: this.printer.printFirstLine(frame.linkType, data, frame.originalLength, Math.floor(frame.tsUs / 1e6), frame.tsUs % 1e6, ipPrefixLength),
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

}

/**
 * The Info column: the first row of tcpdump's line without its "IP src.port > dst.port: " prefix
 * (the table shows the addresses in their own columns). The same as
 * `line.split('\n', 1)[0].replace(/^IP (?:\S+) > (?:\S+): /, '')`; summaries make it from the
 * printer's bytes (printFirstLine), without an array, a regular expression or a second string.
 */
export function infoOf(line: string): string {
  const bytes = Uint8Array.from(line, (c) => c.charCodeAt(0));
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = bytes.length;
  return line.substring(ipPrefixLength(bytes, 0, end), end);
}

/** Length of "IP <non-space run> > <non-space run>: " at the start of text[start, end), or 0. */
function ipPrefixLength(text: Uint8Array, start: number, end: number): number {
  // 'I' 'P' ' '
  if (end - start < 3 || text[start] !== 0x49 || text[start + 1] !== 0x50 || text[start + 2] !== 0x20) return 0;
  let i = start + 3;
  while (i < end && !isSpace(text[i]!)) i++;
  // ' ' '>' ' '
  if (i === start + 3 || i + 3 > end || text[i] !== 0x20 || text[i + 1] !== 0x3e || text[i + 2] !== 0x20) return 0;
  const second = i + 3;
  let j = second;
  while (j < end && !isSpace(text[j]!)) j++;
  // The second run is at least one character and a ':', and a space follows it.
  if (j - second < 2 || text[j - 1] !== 0x3a || j >= end || text[j] !== 0x20) return 0;
  return j + 1 - start;
}

/** JavaScript's \s among the characters a printed line holds (one byte each, Latin-1). */
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

/**
 * Most frames have no flag: they share one frozen empty list instead of keeping an array each
 * (a session keeps every row). Frozen, so a change to it fails loudly instead of reaching every row.
 */
const NO_FLAGS = Object.freeze([]) as unknown as string[];

function flagsOf(pkt: DecodedPacket): string[] {
  const syn = pkt.tcp ? pkt.tcp.flags & TCP_SYN : 0;
  const rst = pkt.tcp ? pkt.tcp.flags & TCP_RST : 0;
  const fin = pkt.tcp ? pkt.tcp.flags & TCP_FIN : 0;
  if (!syn && !rst && !fin && !pkt.error) return NO_FLAGS;
  const out: string[] = [];
  if (syn) out.push('syn');
  if (rst) out.push('rst');
  if (fin) out.push('fin');
  if (pkt.error) out.push(pkt.error.kind);
  return out;
}
