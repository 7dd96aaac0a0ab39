/**
 * The fuzz corpus and mutator shared by tests/wire/fuzz.test.ts and scripts/fuzz.ts (which is run
 * by tsx without the @shared alias, hence the relative imports).
 *
 * Corpus: a valid frame of every protocol and link type the wire layer decodes. Mutations, drawn
 * from a SeededRandom so a failure replays from its seed: bit flips, random bytes, snap-length
 * cuts (with the original length kept, so they must read as "truncated"), cuts that also shorten
 * the original length, length-field lies (IHL, IP total length, TCP data offset, UDP length, option
 * lengths, DNS counts and pointers), insertions and deletions.
 */
import { SeededRandom } from '../../src-shared/sim/random';
import { decodePacket, type DecodedPacket } from '../../src-shared/wire/decode';
import { buildDetailTreeFrom, type DetailNode } from '../../src-shared/format/detail';
import { emitEthernet, ETHERTYPE_IPV4 } from '../../src-shared/wire/ethernet';
import { emitIpv4, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP } from '../../src-shared/wire/ipv4';
import { emitTcp, TCP_ACK, TCP_SYN } from '../../src-shared/wire/tcp';
import { emitUdp } from '../../src-shared/wire/udp';
import { emitIcmp } from '../../src-shared/wire/icmp';
import { seq } from '../../src-shared/wire/seq';
import {
  ARP_REQUEST_FRAME,
  ICMP_ECHO_FRAME,
  ICMP_FRAGMENT2_FRAME,
  ICMP_PORT_UNREACH_FRAME,
  IP_A,
  IP_B,
  MAC_A,
  MAC_B,
  TCP_ACK_FRAME,
  TCP_HTTP_FRAME,
  TCP_RST_FRAME,
  TCP_SYN_FRAME,
  UDP_FRAME,
  IP_RR_REPLY_FRAME,
  IP_TS_REPLY_FRAME,
  hex,
} from './frames';

export interface CorpusFrame {
  name: string;
  linkType: number;
  bytes: Uint8Array;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const DNS_RESPONSE_MSG = hex(
  '123481800001000400010001076578616d706c6503636f6d0000010001' +
    'c00c000100010000012c0004c000020ac00c001c00010000012c001020010db8000000000000000000000001c00c000f00010000012c0009000a046d61696cc00c' +
    'c00c001000010000012c000906763d737066310178c00c0002000100000e100006036e7331c00cc00c0006000100000e100023c00c0a686f73746d6173746572c00c' +
    '78a3f17500001c2000000e10001275000000012c',
);

function ethIp(ip: Uint8Array): Uint8Array {
  return emitEthernet({ dst: MAC_B, src: MAC_A, etherType: ETHERTYPE_IPV4 }, ip);
}

export function buildCorpus(): CorpusFrame[] {
  const udpDns = emitUdp({ srcPort: 53, dstPort: 40000, payload: DNS_RESPONSE_MSG }, IP_B, IP_A);
  const dnsFrame = ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_UDP, identification: 1 }, udpDns));
  const tcpDnsPayload = join(new Uint8Array([DNS_RESPONSE_MSG.length >> 8, DNS_RESPONSE_MSG.length & 0xff]), DNS_RESPONSE_MSG);
  const tcpDns = emitTcp({ srcPort: 53, dstPort: 40001, seq: seq(1), ack: seq(2), flags: TCP_ACK, window: 100, payload: tcpDnsPayload }, IP_B, IP_A);
  const tcpDnsFrame = ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_TCP }, tcpDns));
  const optTcp = emitTcp(
    {
      srcPort: 80, dstPort: 5000, seq: seq(0xfffffff0), ack: seq(7), flags: TCP_SYN | TCP_ACK | 0x1c0, window: 65535,
      options: [
        { kind: 'sack', blocks: [{ left: seq(1), right: seq(2) }, { left: seq(3), right: seq(4) }] },
        { kind: 'tfo', cookie: hex('0102030405060708') },
        { kind: 'nop' },
        { kind: 'wscale', shift: 14 },
      ],
      payload: new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    },
    IP_A, IP_B,
  );
  const optIp = emitIpv4(
    {
      src: IP_A, dst: IP_B, protocol: IPPROTO_TCP, dscp: 46, ecn: 1,
      options: [
        { type: 7, kind: 'rr', data: hex('04c000020100000000') },
        { type: 148, kind: 'ra', data: hex('0000') },
        { type: 68, kind: 'ts', data: hex('0511c000020100000001') },
        { type: 1, kind: 'nop', data: new Uint8Array(0) },
      ],
    },
    optTcp,
  );
  const md5Tcp = emitTcp(
    {
      srcPort: 179, dstPort: 179, seq: seq(1), ack: seq(0), flags: TCP_SYN, window: 1,
      options: [
        { kind: 'md5', digest: new Uint8Array(16).fill(0xab) },
        { kind: 'ao', keyId: 3, rNextKeyId: 4, mac: hex('00112233') },
        { kind: 'unknown', type: 200, data: hex('01') },
      ],
    },
    IP_A, IP_B,
  );
  const timeExceeded = emitIcmp({ type: 11, code: 0, quoted: TCP_SYN_FRAME.subarray(14, 14 + 28) });
  const needFrag = emitIcmp({ type: 3, code: 4, nextHopMtu: 1400, quoted: ICMP_ECHO_FRAME.subarray(14, 14 + 28) });
  const redirect = emitIcmp({ type: 5, code: 1, gateway: 0xc00002fe, quoted: UDP_FRAME.subarray(14, 14 + 28) });
  const timestamp = emitIcmp({ type: 13, code: 0, rest: new Uint8Array(16) });
  const vlan = join(ICMP_ECHO_FRAME.subarray(0, 12), hex('88a80064 8100b00a'), ICMP_ECHO_FRAME.subarray(12));
  const ipOnly = UDP_FRAME.subarray(14);
  return [
    { name: 'arp', linkType: 1, bytes: ARP_REQUEST_FRAME },
    { name: 'icmp-echo', linkType: 1, bytes: ICMP_ECHO_FRAME },
    { name: 'icmp-fragment', linkType: 1, bytes: ICMP_FRAGMENT2_FRAME },
    { name: 'icmp-port-unreachable', linkType: 1, bytes: ICMP_PORT_UNREACH_FRAME },
    { name: 'icmp-time-exceeded', linkType: 1, bytes: ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_ICMP }, timeExceeded)) },
    { name: 'icmp-need-frag', linkType: 1, bytes: ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_ICMP }, needFrag)) },
    { name: 'icmp-redirect', linkType: 1, bytes: ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_ICMP }, redirect)) },
    { name: 'icmp-timestamp', linkType: 1, bytes: ethIp(emitIpv4({ src: IP_B, dst: IP_A, protocol: IPPROTO_ICMP }, timestamp)) },
    { name: 'tcp-syn', linkType: 1, bytes: TCP_SYN_FRAME },
    { name: 'tcp-ack', linkType: 1, bytes: TCP_ACK_FRAME },
    { name: 'tcp-http', linkType: 1, bytes: TCP_HTTP_FRAME },
    { name: 'tcp-rst', linkType: 1, bytes: TCP_RST_FRAME },
    { name: 'tcp-options+ip-options', linkType: 1, bytes: ethIp(optIp) },
    { name: 'tcp-md5-ao', linkType: 1, bytes: ethIp(emitIpv4({ src: IP_A, dst: IP_B, protocol: IPPROTO_TCP }, md5Tcp)) },
    { name: 'udp', linkType: 1, bytes: UDP_FRAME },
    { name: 'ip-rr', linkType: 1, bytes: IP_RR_REPLY_FRAME },
    { name: 'ip-ts', linkType: 1, bytes: IP_TS_REPLY_FRAME },
    { name: 'dns-udp', linkType: 1, bytes: dnsFrame },
    { name: 'dns-tcp', linkType: 1, bytes: tcpDnsFrame },
    { name: 'vlan-qinq', linkType: 1, bytes: vlan },
    { name: 'raw', linkType: 101, bytes: ipOnly },
    { name: 'sll', linkType: 113, bytes: join(hex('0004 0001 0006 a669afe1ffa4 0000 0800'), dnsFrame.subarray(14)) },
    { name: 'sll2', linkType: 276, bytes: join(hex('0800 0000 00000003 0001 00 06 02a86288e6c9 0000'), TCP_HTTP_FRAME.subarray(14)) },
    { name: 'null', linkType: 0, bytes: join(hex('02000000'), ICMP_PORT_UNREACH_FRAME.subarray(14)) },
    { name: 'loop', linkType: 108, bytes: join(hex('00000002'), TCP_SYN_FRAME.subarray(14)) },
  ];
}

/** Offsets where length fields and other structure-steering bytes sit, found by decoding the frame. */
function lengthFieldOffsets(f: CorpusFrame): number[] {
  const p = decodePacket(f.linkType, f.bytes);
  const out: number[] = [];
  const n = p.networkOffset;
  if (p.ipv4 && n !== undefined) {
    out.push(n, n + 2, n + 3, n + 6, n + 9);
    for (let i = n + 20; i < n + p.ipv4.headerLength; i++) out.push(i);
  }
  const t = p.transportOffset;
  if (p.tcp && t !== undefined) {
    out.push(t + 12);
    for (let i = t + 20; i < t + p.tcp.dataOffset; i++) out.push(i);
  }
  if (p.udp && t !== undefined) out.push(t + 4, t + 5);
  if (p.icmp && t !== undefined) out.push(t, t + 8, t + 10, t + 11);
  if (p.dns && p.appOffset !== undefined) {
    const base = p.appOffset + (p.dns.tcpLength !== undefined ? 2 : 0);
    for (let i = p.appOffset; i < base + 12; i++) out.push(i);
    for (const r of p.dns.answers) out.push(base + r.offset, base + r.offset + 1, base + r.rdataOffset - 2, base + r.rdataOffset - 1);
  }
  if (p.link?.kind === 'ethernet') out.push(12, 13, 16, 17);
  if (p.link && p.link.kind !== 'ethernet' && p.link.kind !== 'raw') for (let i = 0; i < p.link.headerLength; i++) out.push(i);
  return out.length > 0 ? out : [0];
}

export interface Mutant {
  linkType: number;
  bytes: Uint8Array;
  origLength: number;
  /** A snap-length cut of a frame that decodes cleanly: must never be reported as malformed. */
  pureCut: boolean;
}

const INTERESTING = [0, 1, 2, 3, 4, 5, 0x0f, 0x10, 0x3f, 0x40, 0x45, 0x4f, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

/** Makes mutants of the corpus into a reused scratch buffer (no allocation per frame). */
export class Mutator {
  private readonly scratch = new Uint8Array(4096);
  private readonly fieldOffsets: number[][];
  private readonly clean: boolean[];
  constructor(
    readonly corpus: CorpusFrame[],
    readonly rng: SeededRandom,
  ) {
    this.fieldOffsets = corpus.map(lengthFieldOffsets);
    this.clean = corpus.map((f) => decodePacket(f.linkType, f.bytes).error === undefined);
  }

  next(): Mutant {
    const r = this.rng;
    const i = r.int(this.corpus.length);
    const f = this.corpus[i]!;
    const b = this.scratch;
    let len = f.bytes.length;
    b.set(f.bytes);
    const op = r.int(8);
    switch (op) {
      case 0: {
        // a snap-length cut: the original length stays
        const cut = r.int(len + 1);
        return { linkType: f.linkType, bytes: b.subarray(0, cut), origLength: len, pureCut: this.clean[i]! };
      }
      case 1: {
        // a frame that really is shorter
        len = r.int(len + 1);
        break;
      }
      case 2: {
        const flips = 1 + r.int(8);
        for (let k = 0; k < flips; k++) b[r.int(len)]! ^= 1 << r.int(8);
        break;
      }
      case 3: {
        const offs = this.fieldOffsets[i]!;
        const n = 1 + r.int(3);
        for (let k = 0; k < n; k++) {
          const o = offs[r.int(offs.length)]!;
          b[o] = r.next() < 0.5 ? INTERESTING[r.int(INTERESTING.length)]! : r.int(256);
        }
        break;
      }
      case 4: {
        const n = 1 + r.int(16);
        for (let k = 0; k < n; k++) b[r.int(len)] = r.int(256);
        break;
      }
      case 5: {
        // insert random bytes
        const at = r.int(len + 1);
        const n = 1 + r.int(8);
        b.copyWithin(at + n, at, len);
        for (let k = 0; k < n; k++) b[at + k] = r.int(256);
        len += n;
        break;
      }
      case 6: {
        // delete a run
        const at = r.int(len);
        const n = 1 + r.int(Math.min(8, len - at));
        b.copyWithin(at, at + n, len);
        len -= n;
        break;
      }
      default: {
        // length-field lie plus a snap cut
        const offs = this.fieldOffsets[i]!;
        b[offs[r.int(offs.length)]!] = r.int(256);
        const cut = r.int(len + 1);
        return { linkType: r.next() < 0.05 ? r.int(300) : f.linkType, bytes: b.subarray(0, cut), origLength: len + r.int(64), pureCut: false };
      }
    }
    return { linkType: f.linkType, bytes: b.subarray(0, len), origLength: len, pureCut: false };
  }
}

export interface FuzzStats {
  frames: number;
  truncated: number;
  malformed: number;
  clean: number;
  trees: number;
  /** Invariant violations (empty when all is well): what, and the mutant's bytes in hex. */
  failures: string[];
}

function checkTree(nodes: DetailNode[], len: number): string | null {
  for (const n of nodes) {
    if (!(n.start >= 0 && n.start <= n.end && n.end <= len)) return `node "${n.label}" [${n.start}, ${n.end}) outside ${len} bytes`;
    if (n.children) {
      const e = checkTree(n.children, len);
      if (e) return e;
    }
  }
  return null;
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Runs `frames` mutants through decodePacket (and one in `treeEvery` through the detail tree),
 * checking: nothing throws; no 'internal' error; a pure snap cut is never "malformed"; every
 * detail-tree range lies inside the captured bytes.
 */
export function runFuzz(seed: number, frames: number, treeEvery = 1, onProgress?: (done: number) => void): FuzzStats {
  const m = new Mutator(buildCorpus(), new SeededRandom(seed));
  const s: FuzzStats = { frames: 0, truncated: 0, malformed: 0, clean: 0, trees: 0, failures: [] };
  for (let k = 0; k < frames; k++) {
    const mu = m.next();
    let p: DecodedPacket;
    try {
      p = decodePacket(mu.linkType, mu.bytes, mu.origLength);
      if (k % treeEvery === 0) {
        const err = checkTree(buildDetailTreeFrom(p), mu.bytes.length);
        s.trees++;
        if (err) s.failures.push(`${err}: linkType ${mu.linkType} orig ${mu.origLength} ${hexOf(mu.bytes)}`);
      }
    } catch (e) {
      s.failures.push(`exception ${String(e)}: linkType ${mu.linkType} orig ${mu.origLength} ${hexOf(mu.bytes)}`);
      continue;
    } finally {
      s.frames++;
    }
    if (p.error === undefined) s.clean++;
    else if (p.error.kind === 'truncated') s.truncated++;
    else s.malformed++;
    if (p.error?.layer === 'internal') s.failures.push(`internal error ${p.error.message}: ${hexOf(mu.bytes)}`);
    if (mu.pureCut && p.error?.kind === 'malformed') {
      s.failures.push(`snap cut reported malformed: ${p.error.message}: linkType ${mu.linkType} orig ${mu.origLength} ${hexOf(mu.bytes)}`);
    }
    if (s.failures.length >= 20) break;
    if (onProgress && (k & 0xfffff) === 0xfffff) onProgress(k + 1);
  }
  return s;
}
