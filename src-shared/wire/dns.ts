/**
 * DNS messages (RFC 1035 §4; AAAA RFC 3596; EDNS OPT RFC 6891 kept raw; mDNS class bit RFC 6762)
 * over UDP and over TCP with its 2-byte length prefix (RFC 1035 §4.2.2), decoded as far as
 * tcpdump prints them: header, questions, and the resource records with A, AAAA, CNAME, PTR, NS,
 * MX, TXT and SOA data; other types keep their raw bytes.
 *
 * Names follow compression pointers (RFC 1035 §4.1.4). A pointer must point before itself, so a
 * chain always moves backwards and ends; a name longer than 255 octets is malformed.
 */
import { ipv6ToString, readIpv4, type Ipv4Address } from './address';
import { WireError, malformedError, truncatedError } from './errors';
import { recordError, tcpPorts, udpPorts } from './registry';
import type { DecodedPacket } from './decode';

export const DNS_PORT = 53;
export const MDNS_PORT = 5353;
export const DNS_HEADER_LENGTH = 12;
export const DNS_MAX_NAME_LENGTH = 255;

export const DNS_TYPE_A = 1;
export const DNS_TYPE_NS = 2;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_SOA = 6;
export const DNS_TYPE_PTR = 12;
export const DNS_TYPE_MX = 15;
export const DNS_TYPE_TXT = 16;
export const DNS_TYPE_AAAA = 28;
export const DNS_TYPE_OPT = 41;

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV',
  35: 'NAPTR', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF',
  252: 'AXFR', 255: 'ANY', 257: 'CAA',
};
/** 'A', 'AAAA' … or 'Type<n>' for unknown types (tcpdump's form). */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `Type${type}`;
}

export type DnsRdata =
  | { kind: 'a'; address: Ipv4Address }
  | { kind: 'aaaa'; address: string }
  /** CNAME, PTR, NS. */
  | { kind: 'name'; name: string }
  | { kind: 'mx'; preference: number; exchange: string }
  | { kind: 'txt'; strings: string[] }
  | { kind: 'soa'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'raw'; bytes: Uint8Array };

export interface DnsQuestion {
  /** Offset of the question (its name) within the message. */
  offset: number;
  name: string;
  type: number;
  /** Class without the mDNS unicast-response bit. */
  class: number;
  /** mDNS: the top bit of the class (QU question). */
  unicastResponse?: boolean;
}

export interface DnsRecord {
  /** Offset of the record (its name) within the message. */
  offset: number;
  name: string;
  type: number;
  /** Class without the mDNS cache-flush bit (for OPT: the UDP payload size). */
  class: number;
  cacheFlush?: boolean;
  ttl: number;
  rdlength: number;
  /** Offset of RDATA within the message. */
  rdataOffset: number;
  data: DnsRdata;
}

export interface DnsMessage {
  id: number;
  /** The raw 16-bit flags word. */
  flags: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Over TCP: the length prefix. */
  tcpLength?: number;
  /** Bytes of the message that were available (after any TCP prefix). */
  length: number;
  /** Multicast DNS (port 5353): class top bits mean QU / cache-flush. */
  mdns: boolean;
  /** Where decoding stopped, if it did; the sections up to there are kept. */
  error?: WireError;
}

/** Reads a name at `p` in message [base, end); returns [name, offset after it in place]. */
function readName(b: Uint8Array, base: number, end: number, p: number): [string, number] {
  let name = '';
  let wireLen = 0;
  let after = -1;
  let pos = p;
  for (;;) {
    if (pos >= end) throw truncatedError('dns', 'name', pos, 1, 0);
    const len = b[pos]!;
    if (len === 0) {
      if (after < 0) after = pos + 1;
      break;
    }
    const top = len & 0xc0;
    if (top === 0xc0) {
      if (pos + 1 >= end) throw truncatedError('dns', 'compression pointer', pos, 2, end - pos);
      const target = base + (((len & 0x3f) << 8) | b[pos + 1]!);
      if (target >= pos) throw malformedError('dns', 'compression pointer', pos, `< ${pos - base} (backwards)`, target - base);
      if (after < 0) after = pos + 2;
      pos = target;
      continue;
    }
    if (top !== 0) throw malformedError('dns', 'label type', pos, '0x00 or 0xc0', '0x' + top.toString(16));
    wireLen += len + 1;
    if (wireLen > DNS_MAX_NAME_LENGTH) throw malformedError('dns', 'name length', pos, `<= ${DNS_MAX_NAME_LENGTH}`, wireLen);
    if (pos + 1 + len > end) throw truncatedError('dns', 'label', pos + 1, len, end - pos - 1);
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = b[i]!;
      if (c === 0x2e || c === 0x5c) name += '\\' + String.fromCharCode(c);
      else if (c > 0x20 && c < 0x7f) name += String.fromCharCode(c);
      else name += '\\' + c.toString(10).padStart(3, '0');
    }
    name += '.';
    pos += 1 + len;
  }
  return [name === '' ? '.' : name, after];
}

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function readRdata(b: Uint8Array, base: number, end: number, type: number, p: number, rdlength: number): DnsRdata {
  const rend = p + rdlength;
  switch (type) {
    case DNS_TYPE_A:
      if (rdlength === 4) return { kind: 'a', address: readIpv4(b, p) };
      break;
    case DNS_TYPE_AAAA:
      if (rdlength === 16) return { kind: 'aaaa', address: ipv6ToString(b, p) };
      break;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
    case DNS_TYPE_NS:
      return { kind: 'name', name: readName(b, base, rend, p)[0] };
    case DNS_TYPE_MX:
      if (rdlength >= 3) return { kind: 'mx', preference: u16(b, p), exchange: readName(b, base, rend, p + 2)[0] };
      break;
    case DNS_TYPE_TXT: {
      const strings: string[] = [];
      let q = p;
      while (q < rend) {
        const n = b[q]!;
        if (q + 1 + n > rend) throw malformedError('dns', 'txt string length', q, `<= ${rend - q - 1}`, n);
        let s = '';
        for (let i = q + 1; i <= q + n; i++) s += String.fromCharCode(b[i]!);
        strings.push(s);
        q += 1 + n;
      }
      return { kind: 'txt', strings };
    }
    case DNS_TYPE_SOA: {
      const [mname, p1] = readName(b, base, rend, p);
      const [rname, p2] = readName(b, base, rend, p1);
      if (rend - p2 < 20) throw malformedError('dns', 'soa data', p2, '20 bytes', rend - p2);
      return {
        kind: 'soa', mname, rname,
        serial: readIpv4(b, p2), refresh: readIpv4(b, p2 + 4), retry: readIpv4(b, p2 + 8),
        expire: readIpv4(b, p2 + 12), minimum: readIpv4(b, p2 + 16),
      };
    }
  }
  return { kind: 'raw', bytes: b.subarray(p, rend) };
}

/**
 * Parses a message in [offset, end). Never throws: a problem ends decoding and is put in
 * `error` (the header must be there, else the result is undefined and the error returned).
 */
export function parseDnsMessage(b: Uint8Array, offset = 0, end = b.length, mdns = false): DnsMessage | WireError {
  if (end - offset < DNS_HEADER_LENGTH) return truncatedError('dns', 'header', offset, DNS_HEADER_LENGTH, end - offset);
  const flags = u16(b, offset + 2);
  const m: DnsMessage = {
    id: u16(b, offset),
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    qdcount: u16(b, offset + 4),
    ancount: u16(b, offset + 6),
    nscount: u16(b, offset + 8),
    arcount: u16(b, offset + 10),
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    length: end - offset,
    mdns,
  };
  let p = offset + DNS_HEADER_LENGTH;
  try {
    for (let i = 0; i < m.qdcount; i++) {
      const [name, q] = readName(b, offset, end, p);
      if (end - q < 4) throw truncatedError('dns', 'question type/class', q, 4, end - q);
      const cls = u16(b, q + 2);
      const question: DnsQuestion = { offset: p - offset, name, type: u16(b, q), class: mdns ? cls & 0x7fff : cls };
      if (mdns) question.unicastResponse = (cls & 0x8000) !== 0;
      m.questions.push(question);
      p = q + 4;
    }
    const sections: [number, DnsRecord[]][] = [
      [m.ancount, m.answers],
      [m.nscount, m.authorities],
      [m.arcount, m.additionals],
    ];
    for (const [count, list] of sections) {
      for (let i = 0; i < count; i++) {
        const [name, q] = readName(b, offset, end, p);
        if (end - q < 10) throw truncatedError('dns', 'record header', q, 10, end - q);
        const type = u16(b, q);
        const cls = u16(b, q + 2);
        const rdlength = u16(b, q + 8);
        if (q + 10 + rdlength > end) throw truncatedError('dns', 'rdata', q + 10, rdlength, end - q - 10);
        const rr: DnsRecord = {
          offset: p - offset,
          name,
          type,
          class: mdns && type !== DNS_TYPE_OPT ? cls & 0x7fff : cls,
          ttl: readIpv4(b, q + 4),
          rdlength,
          rdataOffset: q + 10 - offset,
          data: readRdata(b, offset, end, type, q + 10, rdlength),
        };
        if (mdns && type !== DNS_TYPE_OPT) rr.cacheFlush = (cls & 0x8000) !== 0;
        list.push(rr);
        p = q + 10 + rdlength;
      }
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    m.error = e;
  }
  return m;
}

function decodeDns(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number, overTcp: boolean): void {
  const mdns = pkt.udp !== undefined && (pkt.udp.srcPort === MDNS_PORT || pkt.udp.dstPort === MDNS_PORT);
  if (overTcp) {
    // Over TCP a segment need not start a message (RFC 1035 §4.2.2, RFC 7766 §8): a prefix or
    // header split over segments is normal, so problems stay in `dns.error` and never become
    // frame errors.
    if (capEnd - off < 2 + DNS_HEADER_LENGTH) return;
    const tcpLength = u16(b, off);
    const start = off + 2;
    const end = start + tcpLength < capEnd ? start + tcpLength : capEnd;
    const r = parseDnsMessage(b, start, end, mdns);
    if (r instanceof WireError) return;
    r.tcpLength = tcpLength;
    pkt.dns = r;
    return;
  }
  const r = parseDnsMessage(b, off, capEnd, mdns);
  // A short message is the capture's fault if the wire had more; the sender's otherwise.
  const classify = (e: WireError) =>
    e.kind === 'truncated' && wireEnd <= capEnd ? new WireError('malformed', e.layer, e.field, e.offset, e.expected, e.found) : e;
  if (r instanceof WireError) {
    recordError(pkt, classify(r));
    return;
  }
  if (r.error) {
    r.error = classify(r.error);
    recordError(pkt, r.error);
  }
  pkt.dns = r;
}

udpPorts.register(DNS_PORT, (pkt, b, off, capEnd, wireEnd) => decodeDns(pkt, b, off, capEnd, wireEnd, false));
udpPorts.register(MDNS_PORT, (pkt, b, off, capEnd, wireEnd) => decodeDns(pkt, b, off, capEnd, wireEnd, false));
tcpPorts.register(DNS_PORT, (pkt, b, off, capEnd, wireEnd) => decodeDns(pkt, b, off, capEnd, wireEnd, true));
