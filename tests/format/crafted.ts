import { join } from 'node:path';
import { internetChecksum, pseudoHeaderSum } from '@shared/wire/checksum';
import { writePcapFile, writePcapngFile } from '../../src-main/capture';
import type { WritableRecord } from '../../src-main/capture';

/**
 * Hand-built frames that kernel traffic never makes — malformed headers, odd options, VLAN tags,
 * padding, cuts at every layer — written with tcplab's own pcap/pcapng writers, for the decode
 * conformance tests (tcpdump must read tcplab's files, and tcplab must print them as tcpdump does).
 * Bytes are assembled here by hand on purpose: these are the inputs a correct emitter refuses to
 * make. Addresses are from 192.0.2.0/24.
 */

const MAC_A = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x01];
const MAC_B = [0x02, 0x00, 0x5e, 0x00, 0x53, 0x02];
const IP_A = [192, 0, 2, 1];
const IP_B = [192, 0, 2, 2];

function u16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}
function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
function ipNum(a: number[]): number {
  return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
}
function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0) & 255);
}

function ether(type: number, payload: number[], opts: { vlan?: number[][]; pad?: boolean } = {}): number[] {
  const f = [...MAC_B, ...MAC_A];
  for (const tag of opts.vlan ?? []) f.push(...tag);
  f.push(...u16(type), ...payload);
  if (opts.pad) while (f.length < 60) f.push(0);
  return f;
}

interface IpOpts {
  proto: number;
  src?: number[];
  dst?: number[];
  tos?: number;
  ttl?: number;
  id?: number;
  flags?: number; // DF 0x4000, MF 0x2000, reserved 0x8000
  fragOffset?: number; // bytes
  options?: number[];
  version?: number;
  ihl?: number;
  totalLength?: number;
  badChecksum?: boolean;
}

function ipv4(o: IpOpts, payload: number[]): number[] {
  const opts = o.options ?? [];
  const hl = 20 + opts.length;
  const total = o.totalLength ?? hl + payload.length;
  const h = [
    ((o.version ?? 4) << 4) | (o.ihl ?? hl / 4),
    o.tos ?? 0,
    ...u16(total),
    ...u16(o.id ?? 0x1234),
    ...u16((o.flags ?? 0x4000) | ((o.fragOffset ?? 0) >> 3)),
    o.ttl ?? 64,
    o.proto,
    0,
    0,
    ...(o.src ?? IP_A),
    ...(o.dst ?? IP_B),
    ...opts,
  ];
  const bytes = Uint8Array.from(h);
  let sum = internetChecksum(bytes, 0, hl);
  if (o.badChecksum) sum = sum ^ 0x5a5a;
  h[10] = sum >> 8;
  h[11] = sum & 255;
  return [...h, ...payload];
}

function l4Checksum(proto: number, seg: number[], src = IP_A, dst = IP_B, at: number): number[] {
  const b = Uint8Array.from(seg);
  b[at] = 0;
  b[at + 1] = 0;
  const sum = internetChecksum(b, 0, b.length, pseudoHeaderSum(ipNum(src), ipNum(dst), proto, b.length));
  const out = [...b];
  out[at] = sum >> 8;
  out[at + 1] = sum & 255;
  return out;
}

interface TcpOpts {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags: number;
  win?: number;
  urg?: number;
  options?: number[];
  dataOffsetWords?: number;
  payload?: number[];
  src?: number[];
  dst?: number[];
  badChecksum?: boolean;
}

function tcp(o: TcpOpts): number[] {
  const opts = o.options ?? [];
  const words = o.dataOffsetWords ?? (20 + opts.length) / 4;
  const seg = [
    ...u16(o.sport ?? 40000),
    ...u16(o.dport ?? 7000),
    ...u32(o.seq ?? 1000),
    ...u32(o.ack ?? 0),
    words << 4,
    o.flags,
    ...u16(o.win ?? 512),
    0,
    0,
    ...u16(o.urg ?? 0),
    ...opts,
    ...(o.payload ?? []),
  ];
  const out = l4Checksum(6, seg, o.src, o.dst, 16);
  if (o.badChecksum) out[17] = out[17]! ^ 0xff;
  return out;
}

function udp(sport: number, dport: number, payload: number[], o: { zeroSum?: boolean; length?: number; src?: number[]; dst?: number[] } = {}): number[] {
  const seg = [...u16(sport), ...u16(dport), ...u16(o.length ?? 8 + payload.length), 0, 0, ...payload];
  return o.zeroSum ? seg : l4Checksum(17, seg, o.src, o.dst, 6);
}

function icmp(type: number, code: number, rest: number[], body: number[], o: { badChecksum?: boolean } = {}): number[] {
  const m = [type, code, 0, 0, ...rest, ...body];
  let sum = internetChecksum(Uint8Array.from(m), 0, m.length);
  if (o.badChecksum) sum ^= 0x00ff;
  m[2] = sum >> 8;
  m[3] = sum & 255;
  return m;
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.').filter(Boolean)) out.push(label.length, ...ascii(label));
  out.push(0);
  return out;
}

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const TCP_FIN = 0x01;
const TCP_RST = 0x04;
const TCP_URG = 0x20;
const TCP_ECE = 0x40;
const TCP_CWR = 0x80;

interface Crafted {
  frame: number[];
  /** Cut the capture to this many bytes (original length stays the frame length). */
  caplen?: number;
  /** Original length when larger than the frame (a snap-length cut by the writer). */
  origLen?: number;
  /** Microseconds after the previous frame; negative goes back in time. */
  dt?: number;
}

/** The crafted frames, in file order. */
export function craftedFrames(): Crafted[] {
  const f: Crafted[] = [];
  const echo = (id: number, seq: number, n = 16) => icmp(8, 0, [...u16(id), ...u16(seq)], Array.from({ length: n }, (_, i) => i));
  const add = (frame: number[], extra: Omit<Crafted, 'frame'> = {}) => f.push({ frame, ...extra });

  // --- link layer
  add(ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...IP_A, 0, 0, 0, 0, 0, 0, ...IP_B], { pad: true })); // padded ARP
  add(ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...IP_A, ...MAC_B, ...IP_B])); // request with known target MAC
  add(ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...IP_A, 0, 0, 0, 0, 0, 0, ...IP_A], { pad: true })); // gratuitous
  add(ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 9, ...MAC_A, ...IP_A, 0, 0, 0, 0, 0, 0, ...IP_B])); // inverse reply opcode
  add(ether(0x0806, [0, 1, 0x86, 0xdd, 6, 16, 0, 1, ...MAC_A])); // ARP for IPv6, cut
  add(ether(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, ...IP_A]), {}); // ARP cut before target
  add(ether(0x0800, ipv4({ proto: 1 }, echo(7, 1)), { vlan: [[0x81, 0x00, 0x60, 0x05]] })); // 802.1Q vlan 5 p 3
  add(ether(0x0800, ipv4({ proto: 1 }, echo(7, 2)), { vlan: [[0x88, 0xa8, 0x10, 0x64], [0x81, 0x00, 0x00, 0x05]] })); // QinQ, DEI
  add(ether(0x0800, [], { vlan: [[0x81, 0x00]] })); // VLAN tag cut
  add(ether(0x88b5, ascii('local experimental ethertype payload'))); // unknown ethertype
  add([...MAC_B, ...MAC_A, ...u16(46), 0xaa, 0xaa, 0x03, 0, 0, 0, ...u16(0x0800), ...Array(38).fill(0)]); // 802.3 + SNAP
  add(MAC_B.concat(MAC_A).slice(0, 10)); // shorter than an Ethernet header
  add(ether(0x0800, [0x45, 0x00])); // IPv4 cut after 2 bytes

  // --- IPv4 header problems
  add(ether(0x0800, ipv4({ proto: 1, badChecksum: true }, echo(9, 1))));
  add(ether(0x0800, ipv4({ proto: 1, ihl: 4 }, echo(9, 2))));
  add(ether(0x0800, ipv4({ proto: 1, version: 6 }, echo(9, 3))));
  add(ether(0x0800, ipv4({ proto: 1, version: 5 }, echo(9, 4))));
  add(ether(0x0800, ipv4({ proto: 1, totalLength: 12 }, echo(9, 5))));
  add(ether(0x0800, ipv4({ proto: 1, totalLength: 200 }, echo(9, 6))));
  add(ether(0x0800, ipv4({ proto: 1, tos: 0xb9, ttl: 0, flags: 0xe000, id: 77 }, echo(9, 7)))); // CE, all flags
  add(ether(0x0800, ipv4({ proto: 1, tos: 0x02, flags: 0 }, echo(9, 8))));
  add(ether(0x0800, ipv4({ proto: 1, tos: 0x01, flags: 0 }, echo(9, 8))));
  add(ether(0x0800, ipv4({ proto: 99 }, ascii('some payload'))));
  add(ether(0x0800, ipv4({ proto: 17, fragOffset: 1480, flags: 0x2000 }, ascii('second fragment data'))));
  add(ether(0x0800, ipv4({ proto: 6, fragOffset: 0, flags: 0x2000 }, tcp({ flags: TCP_ACK | TCP_PSH, ack: 5, payload: ascii('first fragment') }))));
  // IPv4 options: NOP, RR, RA, LSRR, TS, EOL; and a bad option length.
  add(ether(0x0800, ipv4({ proto: 1, options: [1, 7, 11, 8, ...IP_A, 0, 0, 0, 0, 148, 4, 0, 0] }, echo(10, 1))));
  add(ether(0x0800, ipv4({ proto: 1, options: [131, 7, 4, ...IP_B, 0] }, echo(10, 2))));
  add(ether(0x0800, ipv4({ proto: 1, options: [68, 12, 13, 0x01, ...IP_A, ...u32(12345)] }, echo(10, 3))));
  add(ether(0x0800, ipv4({ proto: 1, options: [68, 8, 9, 0x00, ...u32(4242)] }, echo(10, 4))));
  add(ether(0x0800, ipv4({ proto: 1, options: [148, 4, 0, 1] }, echo(10, 5))));
  add(ether(0x0800, ipv4({ proto: 1, options: [7, 40, 4, 0] }, echo(10, 6))));
  add(ether(0x0800, ipv4({ proto: 1, options: [130, 1, 0, 0] }, echo(10, 7))));
  add(ether(0x0800, ipv4({ proto: 1, options: [0, 0, 0, 0] }, echo(10, 8))));

  // --- ICMP
  const quoted = (proto: number, l4: number[]) => ipv4({ proto, src: IP_B, dst: IP_A, id: 4321 }, l4);
  const q8 = (proto: number, l4: number[]) => quoted(proto, l4).slice(0, 28);
  add(ether(0x0800, ipv4({ proto: 1 }, echo(11, 1).map((b, i) => (i === 3 ? b ^ 0x11 : b))))); // wrong icmp cksum
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 0, [0, 0, 0, 0], q8(17, udp(5353, 53, [1, 2, 3, 4]))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 2, [0, 0, 0, 0], q8(99, [1, 2, 3, 4, 5, 6, 7, 8])))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 3, [0, 0, 0, 0], q8(6, tcp({ flags: TCP_SYN })))))); // tcp port unreachable
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 3, [0, 0, 0, 0], q8(99, [0, 1, 0, 9, 0, 0, 0, 0])))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 4, [0, 0, 0, 0], q8(17, udp(1, 2, [])))))); // need frag, no mtu
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 9, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 15, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(3, 21, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(5, 0, [...IP_B], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(5, 3, [...IP_B], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(5, 7, [...IP_B], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(11, 1, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(11, 5, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(12, 0, [20, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(12, 1, [0, 0, 0, 0], q8(17, udp(1, 2, []))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(4, 0, [0, 0, 0, 0], q8(6, tcp({ flags: TCP_ACK }))))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(15, 0, [0, 1, 0, 1], []))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(42, 0, [0, 0, 0, 0], []))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(10, 0, [0, 0, 0, 0], []))));
  add(ether(0x0800, ipv4({ proto: 1 }, icmp(17, 0, [0, 1, 0, 1], [0, 0, 0, 0]))));
  add(ether(0x0800, ipv4({ proto: 1 }, [8, 0, 0]))); // ICMP cut inside the header

  // --- UDP
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, ascii('hello')))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, ascii('no checksum'), { zeroSum: true }))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, ascii('long'), { length: 40 }))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, ascii('short'), { length: 4 }))));
  add(ether(0x0800, ipv4({ proto: 17 }, [0x9c, 0x40, 0x13]))); // UDP cut in the ports
  add(ether(0x0800, ipv4({ proto: 17 }, [0x9c, 0x40, 0x13, 0x88, 0]))); // cut in the length
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, ascii('hello')))), { caplen: 14 + 20 + 6 });

  // --- DNS
  const q = (id: number, flags: number, counts: number[], body: number[]) => [...u16(id), ...u16(flags), ...counts.flatMap(u16), ...body];
  const question = (name: string, type: number, cls = 1) => [...dnsName(name), ...u16(type), ...u16(cls)];
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40053, 53, q(0x2000, 0x0110, [1, 0, 0, 0], question('cd.example.test', 16))))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40053, 53, q(0x2001, 0x0100, [2, 0, 0, 0], [...question('a.test', 1), ...question('b.test', 28, 3)])))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40053, 53, q(0x2002, 0x2800, [1, 0, 0, 0], question('update.test', 6))))));
  add(
    ether(0x0800, ipv4({ proto: 17, src: IP_B, dst: IP_A }, udp(53, 40053, q(0x2003, 0x8580, [1, 3, 0, 1], [
      ...question('srv.test', 33),
      0xc0, 12, ...u16(33), ...u16(1), ...u32(120), ...u16(6 + 10), ...u16(10), ...u16(20), ...u16(5060), ...dnsName('sip.test'),
      0xc0, 12, ...u16(28), ...u16(1), ...u32(7200), ...u16(16), 0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1,
      0xc0, 12, ...u16(99), ...u16(3), ...u32(1), ...u16(2), 1, 2,
      0, ...u16(41), ...u16(4096), 0, 0, 0x80, 0, ...u16(0),
    ]), { src: IP_B, dst: IP_A }))),
  );
  add(ether(0x0800, ipv4({ proto: 17, src: IP_B, dst: IP_A }, udp(53, 40053, q(0x2004, 0x8182, [1, 1, 0, 0], [...question('x.test', 1), 0xc0, 40, ...u16(1), ...u16(1), ...u32(1), ...u16(4), 1, 2, 3, 4]), { src: IP_B, dst: IP_A }))));
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40053, 53, [1, 2, 3, 4, 5]))));
  const dnsTcp = q(0x2005, 0x0100, [1, 0, 0, 0], question('tcp.test', 1));
  add(ether(0x0800, ipv4({ proto: 6 }, tcp({ sport: 40054, dport: 53, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: [...u16(dnsTcp.length), ...dnsTcp] }))));
  add(ether(0x0800, ipv4({ proto: 6 }, tcp({ sport: 40054, dport: 53, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: [...u16(3), ...dnsTcp] }))));

  // --- TCP
  const T = (o: TcpOpts) => ether(0x0800, ipv4({ proto: 6, src: o.src, dst: o.dst }, tcp(o)));
  add(T({ flags: TCP_SYN, options: [2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, ...u32(1), ...u32(0)] }));
  add(T({ flags: TCP_SYN | TCP_ECE | TCP_CWR, options: [2, 4, 5, 0xb4, 4, 2, 1, 0] }));
  add(T({ sport: 7000, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_SYN | TCP_ACK | TCP_ECE, seq: 5000, ack: 1001, options: [2, 4, 5, 0xb4, 1, 1, 4, 2] }));
  add(T({ flags: TCP_ACK, seq: 1001, ack: 5001 }));
  add(T({ flags: TCP_ACK | TCP_PSH, seq: 1001, ack: 5001, payload: ascii('abc') }));
  add(T({ sport: 7000, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_ACK, seq: 5001, ack: 1004, options: [1, 1, 5, 18, ...u32(1010), ...u32(1020), ...u32(1030), ...u32(1040)] }));
  add(T({ sport: 7000, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_ACK, seq: 5001, ack: 1004, options: [1, 1, 5, 10, ...u32(1010), ...u32(1020)] }));
  add(T({ sport: 7000, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_ACK, seq: 5001, ack: 1004, options: [5, 6, 0, 0, 0, 1, 1, 1] })); // invalid sack
  add(T({ flags: TCP_ACK | TCP_URG | TCP_PSH, seq: 1004, ack: 5001, urg: 2, payload: ascii('!!') }));
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [19, 18, ...Array(16).fill(0xab), 1, 1] }));
  add(T({ flags: TCP_SYN, seq: 77, options: [34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1] }));
  add(T({ flags: TCP_SYN, seq: 78, options: [34, 2, 1, 1] }));
  add(T({ flags: TCP_SYN, seq: 79, options: [254, 4, 0xf9, 0x89, 1, 1, 1, 1] }));
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [99, 4, 0xde, 0xad, 28, 4, 0x01, 0x2d, 11, 6, 0, 0, 0, 9, 1, 1] }));
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [2, 3, 5, 1] })); // mss with length 3
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [8, 40, 0, 0] })); // length beyond header
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [4, 3, 0, 1] })); // sackOK length 3
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [0, 1, 1, 1] })); // eol first
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, options: [29, 6, 1, 2, 0xaa, 0xbb] .concat([1, 1]) }));
  add(T({ flags: 0, seq: 1006 })); // no flags
  add(T({ flags: 0xff, seq: 1006, ack: 5001, urg: 1 })); // every flag
  add(T({ flags: TCP_RST, seq: 1006 }));
  add(T({ flags: TCP_RST | TCP_ACK, seq: 1006, ack: 5001, payload: ascii('reset: no listener\u0001') }));
  add(T({ flags: TCP_RST, seq: 1006, payload: ascii('a reason longer than thirty bytes, cut by tcpdump\u00e9') }));
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, dataOffsetWords: 3 }));
  add(T({ flags: TCP_ACK, seq: 1006, ack: 5001, dataOffsetWords: 15 }));
  add(T({ flags: TCP_FIN | TCP_ACK, seq: 1006, ack: 5001, badChecksum: true }));
  add(T({ sport: 7000, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_FIN | TCP_ACK, seq: 5001, ack: 1007 }));
  add(T({ flags: TCP_SYN | TCP_ACK, seq: 9, ack: 10, sport: 40001, dport: 40001 })); // same ports
  add(T({ flags: TCP_ACK, seq: 19, ack: 20, sport: 40001, dport: 40001 }));
  add(T({ flags: TCP_ACK, seq: 100, ack: 200, sport: 40001, dport: 40001, src: IP_B, dst: IP_A }));
  add(ether(0x0800, ipv4({ proto: 6 }, [0x9c, 0x40, 0x1b]))); // cut in the ports
  add(ether(0x0800, ipv4({ proto: 6 }, tcp({ flags: TCP_ACK }).slice(0, 12)))); // cut in the header

  // --- HTTP (port 80 / 8080), including -v header lines and cut text
  const req = ascii('GET /index.html HTTP/1.1\r\nHost: 192.0.2.2\r\nUser-Agent: tcplab\r\n\r\n');
  add(T({ dport: 8080, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: req }));
  add(T({ dport: 80, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: ascii('POST /form HTTP/1.0\nContent-Length: 3\n\nabc') }));
  add(T({ sport: 80, dport: 40000, src: IP_B, dst: IP_A, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: ascii('HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n<html>\x00') }));
  add(T({ dport: 80, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: ascii('BREW /pot HTCPCP/1.0\r\n\r\n') }));
  add(T({ dport: 80, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: ascii('GET /bad\rline\r\n') }));
  add(T({ dport: 80, flags: TCP_ACK | TCP_PSH, seq: 1, ack: 1, payload: req }), { caplen: 14 + 20 + 20 + 30 });

  // --- timestamps: a frame from the past (negative -ttt delta) and a long gap
  add(ether(0x0800, ipv4({ proto: 1 }, echo(12, 1))), { dt: -1_500_000 });
  add(ether(0x0800, ipv4({ proto: 1 }, echo(12, 2))), { dt: 90_061_000_123 });
  // A frame whose original length is larger than what was captured (snap length).
  add(ether(0x0800, ipv4({ proto: 17 }, udp(40000, 5000, Array(300).fill(0x41)))), { caplen: 100 });
  return f;
}

/**
 * The IP datagrams of the crafted Ethernet frames (EtherType IPv4, no VLAN), for the link types
 * that carry IP without an Ethernet header.
 */
function ipDatagrams(): number[][] {
  return craftedFrames()
    .map((c) => c.frame)
    .filter((f) => f.length > 14 && f[12] === 0x08 && f[13] === 0x00)
    .map((f) => f.slice(14));
}

/** BSD loopback (LINKTYPE_NULL: host byte order; LOOP: network order), Raw IP and IPv4. */
function otherLinkTypes(dir: string): string[] {
  const start = 1_767_225_600;
  const dgrams = ipDatagrams();
  const rec = (data: number[], i: number): WritableRecord => ({ data: Uint8Array.from(data), tsSec: start + i, tsNsec: i * 1000 });
  const nullLe = [...dgrams.map((d) => [2, 0, 0, 0, ...d]), [99, 0, 0, 0, 1, 2, 3, 4], [2, 0]];
  const loop = [...dgrams.map((d) => [0, 0, 0, 2, ...d]), [0, 0, 0, 99, 1, 2, 3, 4]];
  // Raw IP dispatches on the version nibble; IPv6 is a documented gap (docs/decode.md).
  const v4 = dgrams.filter((d) => d[0]! >> 4 !== 6);
  const raw = [...v4, [0x20, 0, 0, 0], []];
  const files = [join(dir, 'crafted-null.pcap'), join(dir, 'crafted-loop.pcap'), join(dir, 'crafted-raw.pcap'), join(dir, 'crafted-ipv4.pcap')];
  writePcapFile(files[0]!, nullLe.map(rec), { linkType: 0 });
  writePcapFile(files[1]!, loop.map(rec), { linkType: 108 });
  writePcapFile(files[2]!, raw.map(rec), { linkType: 101 });
  writePcapFile(files[3]!, v4.map(rec), { linkType: 228 });
  return files;
}

/**
 * Writes the crafted frames as pcap (µs), pcap (ns, big-endian) and pcapng, then the IP
 * datagrams among them as NULL, LOOP, RAW and IPV4 captures.
 */
export function writeCraftedCaptures(dir: string): string[] {
  const frames = craftedFrames();
  let us = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs
  const records: WritableRecord[] = frames.map((c, i) => {
    us += c.dt ?? 1000 + i;
    const data = Uint8Array.from(c.frame);
    const cap = c.caplen !== undefined && c.caplen < data.length ? data.subarray(0, c.caplen) : data;
    return {
      data: cap,
      originalLength: c.origLen ?? data.length,
      tsSec: Math.floor(us / 1e6),
      tsNsec: (us % 1e6) * 1000 + (i % 7) * 37,
    };
  });
  const files = [join(dir, 'crafted.pcap'), join(dir, 'crafted-ns-be.pcap'), join(dir, 'crafted.pcapng')];
  writePcapFile(files[0]!, records, { linkType: 1 });
  writePcapFile(files[1]!, records, { linkType: 1, resolution: 'ns', byteOrder: 'big' });
  writePcapngFile(files[2]!, records, { interfaces: [{ linkType: 1, tsResolution: 'ns', name: 'crafted0' }] });
  return [...files, ...otherLinkTypes(dir)];
}
