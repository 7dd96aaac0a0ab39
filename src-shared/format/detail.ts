/**
 * The per-layer detail tree of one frame for the UI: every field with its value and its byte
 * range in the frame, so selecting a field marks its bytes in the hex pane (and back). Built on
 * demand from `decodePacket`; a damaged layer ends in a node marked `error` that says what broke
 * (layer, field, offset, expected, found). Ranges are always inside the captured bytes.
 *
 * Labels follow Wireshark's field names; values are the raw field values (relative sequence
 * numbers and the like belong to analysis).
 */
import { decodePacket, type DecodedPacket } from '../wire/decode';
import { bytesToHex, ipv4ToString } from '../wire/address';
import { expectedChecksum, onesComplementSum, pseudoHeaderSum } from '../wire/checksum';
import { linkTypeDescription } from '../wire/linktype';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/ethernet';
import { IPV4_MIN_HEADER_LENGTH } from '../wire/ipv4';
import { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../wire/tcp';
import { dnsTypeName, type DnsMessage, type DnsRecord } from '../wire/dns';
import type { WireError } from '../wire/errors';
import type { DetailNode } from '../model/frames';

// The detail tree's node is the DTO the renderer receives.
export type { DetailNode };

const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, '0')}`;

/** 'correct' or 'incorrect, should be 0x….' for a TCP/UDP checksum, or 'unverified' when it cannot be checked. */
function transportChecksum(pkt: DecodedPacket, proto: number, field: number): { text: string; ok: boolean } {
  const ip = pkt.ipv4;
  const seg = pkt.ipPayload;
  if (!ip || !seg || pkt.truncated || ip.moreFragments || ip.fragmentOffset !== 0 || seg.length !== ip.totalLength - ip.headerLength) {
    return { text: 'unverified', ok: true };
  }
  const sum = onesComplementSum(seg, 0, seg.length, pseudoHeaderSum(ip.src, ip.dst, proto, seg.length));
  if (sum === 0xffff) return { text: 'correct', ok: true };
  // Checksum offload leaves only the pseudo-header sum in frames captured on the sending host.
  return { text: `incorrect, should be ${hex(expectedChecksum(sum, field), 4)} (maybe checksum offload)`, ok: false };
}

function node(label: string, start: number, end: number, value?: string | number, children?: DetailNode[]): DetailNode {
  const n: DetailNode = { label, start, end };
  if (value !== undefined) n.value = String(value);
  if (children && children.length > 0) n.children = children;
  return n;
}

function bad(n: DetailNode, isBad: boolean): DetailNode {
  if (isBad) n.error = true;
  return n;
}

const ETHERTYPE_NAMES: Record<number, string> = {
  [ETHERTYPE_IPV4]: 'IPv4',
  [ETHERTYPE_ARP]: 'ARP',
  [ETHERTYPE_IPV6]: 'IPv6',
  0x8100: '802.1Q',
  0x88a8: '802.1ad',
  0x9100: '802.1Q (0x9100)',
};
const etherTypeValue = (t: number) => (t <= 1500 ? `${t} (802.3 length)` : `${ETHERTYPE_NAMES[t] ?? 'unknown'} (${hex(t, 4)})`);
const IP_PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 132: 'SCTP' };
const SLL_PACKET_TYPES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

/** Builds the tree from the frame (decodes it). */
export function buildDetailTree(linkType: number, bytes: Uint8Array, origLength = bytes.length): DetailNode[] {
  return buildDetailTreeFrom(decodePacket(linkType, bytes, origLength));
}

/** Builds the tree from a frame already decoded. Never throws for any frame. */
export function buildDetailTreeFrom(pkt: DecodedPacket): DetailNode[] {
  const bytes = pkt.bytes;
  const tree: DetailNode[] = [
    node(`Frame: ${pkt.origLength} bytes on wire, ${pkt.capturedLength} bytes captured`, 0, bytes.length, undefined, [
      node('Link type', 0, 0, `${linkTypeDescription(pkt.linkType) ?? 'unknown'} (${pkt.linkType})`),
      node('Frame length', 0, bytes.length, `${pkt.origLength} bytes`),
      node('Capture length', 0, bytes.length, `${pkt.capturedLength} bytes`),
      ...(pkt.truncated ? [bad(node('Truncated', 0, bytes.length, 'the capture ends before the frame does'), true)] : []),
    ]),
  ];
  const link = linkNode(pkt);
  if (link) tree.push(link);
  const net = pkt.networkOffset;
  if (pkt.arp && net !== undefined) tree.push(arpNode(pkt, net));
  if (pkt.ipv4 && net !== undefined) tree.push(ipv4Node(pkt, bytes, net));
  const tr = pkt.transportOffset;
  if (pkt.icmp && tr !== undefined) tree.push(icmpNode(pkt, tr));
  if (pkt.udp && tr !== undefined) tree.push(udpNode(pkt, tr));
  if (pkt.tcp && tr !== undefined) tree.push(tcpNode(pkt, bytes, tr));
  if (pkt.dns && pkt.appOffset !== undefined) tree.push(dnsNode(pkt.dns, pkt.appOffset + (pkt.dns.tcpLength !== undefined ? 2 : 0), pkt.appOffset));
  if (pkt.http && pkt.appOffset !== undefined) {
    const h = pkt.http;
    const lineEnd = pkt.appOffset + h.line.length;
    const fields =
      h.kind === 'request'
        ? [node('Request Method', pkt.appOffset, pkt.appOffset + h.method.length, h.method), node('Request URI', pkt.appOffset + h.method.length + 1, pkt.appOffset + h.method.length + 1 + h.target.length, h.target), node('Request Version', lineEnd - h.version.length, lineEnd, h.version)]
        : [node('Response Version', pkt.appOffset, pkt.appOffset + h.version.length, h.version), node('Status Code', pkt.appOffset + 9, pkt.appOffset + 12, h.status), node('Response Phrase', pkt.appOffset + 13, lineEnd, h.reason)];
    tree.push(node('Hypertext Transfer Protocol', pkt.appOffset, lineEnd + (h.complete ? 2 : 0), h.line, fields));
  }
  if (pkt.appOffset !== undefined && pkt.appOffset < bytes.length && !pkt.dns && !pkt.http) {
    const end = appEnd(pkt);
    if (end > pkt.appOffset) tree.push(node(`Data (${end - pkt.appOffset} bytes)`, pkt.appOffset, end, bytesToHex(bytes, pkt.appOffset, Math.min(end, pkt.appOffset + 32)) + (end - pkt.appOffset > 32 ? '…' : '')));
  }
  if (pkt.error) tree.push(errorNode(pkt.error, bytes.length));
  return clip(tree, bytes.length);
}

function appEnd(pkt: DecodedPacket): number {
  if (pkt.tcp) return pkt.appOffset! + pkt.tcp.payload.length;
  if (pkt.udp) return pkt.appOffset! + pkt.udp.payload.length;
  return pkt.ipPayloadEnd ?? pkt.bytes.length;
}

function errorNode(e: WireError, len: number): DetailNode {
  const at = Math.min(Math.max(e.offset, 0), len);
  return {
    label: `${e.kind === 'truncated' ? 'Truncated' : 'Malformed'}: ${e.layer} ${e.field}`,
    value: e.message,
    start: at,
    end: Math.max(at, len),
    error: true,
    children: [
      node('Layer', at, at, e.layer),
      node('Field', at, at, e.field),
      node('Offset', at, at, e.offset),
      node('Expected', at, at, e.expected),
      node('Found', at, at, e.found),
    ],
  };
}

/** Keeps every range inside [0, len] and start <= end, whatever a layer claimed. */
function clip(nodes: DetailNode[], len: number): DetailNode[] {
  for (const n of nodes) {
    if (!(n.start >= 0)) n.start = 0;
    if (n.start > len) n.start = len;
    if (!(n.end >= n.start)) n.end = n.start;
    if (n.end > len) n.end = len;
    if (n.children) clip(n.children, len);
  }
  return nodes;
}

function linkNode(pkt: DecodedPacket): DetailNode | undefined {
  const l = pkt.link;
  if (!l) return undefined;
  switch (l.kind) {
    case 'ethernet': {
      const children = [node('Destination', 0, 6, l.dst), node('Source', 6, 12, l.src)];
      let off = 12;
      for (const tag of l.vlan ?? []) {
        children.push(
          node(`802.1Q Virtual LAN, PRI: ${tag.pcp}, DEI: ${tag.dei ? 1 : 0}, ID: ${tag.id}`, off, off + 4, undefined, [
            node('Tag Protocol Identifier', off, off + 2, hex(tag.tpid ?? 0x8100, 4)),
            node('Priority', off + 2, off + 3, tag.pcp),
            node('DEI', off + 2, off + 3, tag.dei ? 1 : 0),
            node('ID', off + 2, off + 4, tag.id),
          ]),
        );
        off += 4;
      }
      children.push(node('Type', off, off + 2, etherTypeValue(l.etherType)));
      return node(`Ethernet II, Src: ${l.src}, Dst: ${l.dst}`, 0, off + 2, undefined, children);
    }
    case 'sll':
      return node('Linux cooked capture v1', 0, 16, undefined, [
        node('Packet type', 0, 2, `${SLL_PACKET_TYPES[l.packetType] ?? 'unknown'} (${l.packetType})`),
        node('Link-layer address type', 2, 4, l.arphrdType),
        node('Link-layer address length', 4, 6, l.addressLength),
        node('Source', 6, 14, l.address),
        node('Protocol', 14, 16, etherTypeValue(l.protocol)),
      ]);
    case 'sll2':
      return node('Linux cooked capture v2', 0, 20, undefined, [
        node('Protocol', 0, 2, etherTypeValue(l.protocol)),
        node('Reserved', 2, 4),
        node('Interface index', 4, 8, l.interfaceIndex),
        node('Link-layer address type', 8, 10, l.arphrdType),
        node('Packet type', 10, 11, `${SLL_PACKET_TYPES[l.packetType] ?? 'unknown'} (${l.packetType})`),
        node('Link-layer address length', 11, 12, l.addressLength),
        node('Source', 12, 20, l.address),
      ]);
    case 'null':
      return node('Null/Loopback', 0, 4, undefined, [node('Family', 0, 4, `${l.family === 2 ? 'IP' : l.family === 24 || l.family === 28 || l.family === 30 ? 'IPv6' : 'unknown'} (${l.family})${l.swapped ? ', other byte order' : ''}`)]);
    case 'raw':
      return node('Raw packet data', 0, 0, 'no link-layer header');
  }
}

function arpNode(pkt: DecodedPacket, off: number): DetailNode {
  const a = pkt.arp!;
  return node(`Address Resolution Protocol (${a.op === 1 ? 'request' : a.op === 2 ? 'reply' : `opcode ${a.op}`})`, off, off + 28, undefined, [
    node('Hardware type', off, off + 2, 'Ethernet (1)'),
    node('Protocol type', off + 2, off + 4, 'IPv4 (0x0800)'),
    node('Hardware size', off + 4, off + 5, 6),
    node('Protocol size', off + 5, off + 6, 4),
    node('Opcode', off + 6, off + 8, `${a.op === 1 ? 'request' : a.op === 2 ? 'reply' : 'unknown'} (${a.op})`),
    node('Sender MAC address', off + 8, off + 14, a.senderMac),
    node('Sender IP address', off + 14, off + 18, ipv4ToString(a.senderIp)),
    node('Target MAC address', off + 18, off + 24, a.targetMac),
    node('Target IP address', off + 24, off + 28, ipv4ToString(a.targetIp)),
  ]);
}

function ipv4Fields(b: Uint8Array, ip: NonNullable<DecodedPacket['ipv4']>, off: number): DetailNode[] {
  const flags = [ip.reservedFlag ? 'Reserved' : '', ip.dontFragment ? "Don't fragment" : '', ip.moreFragments ? 'More fragments' : ''].filter(Boolean).join(', ') || 'none';
  return [
    node('Version', off, off + 1, 4),
    node('Header Length', off, off + 1, `${ip.headerLength} bytes (${ip.ihl})`),
    node('Differentiated Services Field', off + 1, off + 2, hex((ip.dscp << 2) | ip.ecn, 2), [
      node('Differentiated Services Codepoint', off + 1, off + 2, ip.dscp),
      node('Explicit Congestion Notification', off + 1, off + 2, ip.ecn),
    ]),
    node('Total Length', off + 2, off + 4, ip.totalLength),
    node('Identification', off + 4, off + 6, `${hex(ip.identification, 4)} (${ip.identification})`),
    node('Flags', off + 6, off + 7, flags, [
      node('Reserved bit', off + 6, off + 7, ip.reservedFlag ? 'Set' : 'Not set'),
      node("Don't fragment", off + 6, off + 7, ip.dontFragment ? 'Set' : 'Not set'),
      node('More fragments', off + 6, off + 7, ip.moreFragments ? 'Set' : 'Not set'),
    ]),
    node('Fragment Offset', off + 6, off + 8, `${ip.fragmentOffset} bytes`),
    node('Time to Live', off + 8, off + 9, ip.ttl),
    node('Protocol', off + 9, off + 10, `${IP_PROTOCOL_NAMES[ip.protocol] ?? 'unknown'} (${ip.protocol})`),
    bad(
      node('Header Checksum', off + 10, off + 12, `${hex(ip.checksum, 4)} [${ip.checksumValid ? 'correct' : `incorrect, should be ${hex(expectedChecksum(onesComplementSum(b, off, ip.headerLength), ip.checksum), 4)}`}]`),
      !ip.checksumValid,
    ),
    node('Source Address', off + 12, off + 16, ipv4ToString(ip.src)),
    node('Destination Address', off + 16, off + 20, ipv4ToString(ip.dst)),
  ];
}

const IPOPT_NAMES: Record<string, string> = {
  eol: 'End of Options List (EOL)',
  nop: 'No Operation (NOP)',
  rr: 'Record Route (RR)',
  lsrr: 'Loose Source Route (LSRR)',
  ssrr: 'Strict Source Route (SSRR)',
  ts: 'Time Stamp (TS)',
  ra: 'Router Alert (RA)',
};

function ipv4OptionNodes(b: Uint8Array, ip: NonNullable<DecodedPacket['ipv4']>, start: number): DetailNode[] {
  const out: DetailNode[] = [];
  let p = start;
  for (const o of ip.options) {
    if (o.kind === 'eol' || o.kind === 'nop') {
      out.push(node(IPOPT_NAMES[o.kind]!, p, p + 1));
      p++;
      continue;
    }
    const len = 2 + o.data.length;
    const kids = [node('Type', p, p + 1, o.type), node('Length', p + 1, p + 2, len)];
    if (o.pointer !== undefined) kids.push(node('Pointer', p + 2, p + 3, o.pointer));
    if (o.kind === 'rr' || o.kind === 'lsrr' || o.kind === 'ssrr') {
      (o.addresses ?? []).forEach((a, i) => kids.push(node('Address', p + 3 + 4 * i, p + 7 + 4 * i, ipv4ToString(a))));
    } else if (o.kind === 'ts') {
      kids.push(node('Overflow', p + 3, p + 4, o.overflow ?? 0), node('Flag', p + 3, p + 4, o.flag ?? 0));
      const entry = o.addresses ? 8 : 4;
      (o.timestamps ?? []).forEach((t, i) => {
        const q = p + 4 + entry * i;
        if (o.addresses) kids.push(node('Address', q, q + 4, ipv4ToString(o.addresses[i]!)));
        kids.push(node('Time stamp', q + entry - 4, q + entry, t));
      });
    } else if (o.kind === 'ra') {
      kids.push(node('Router Alert', p + 2, p + 4, o.value ?? 0));
    } else {
      kids.push(node('Data', p + 2, p + len, bytesToHex(b, p + 2, p + len)));
    }
    out.push(node(IPOPT_NAMES[o.kind] ?? `Unknown option (${o.type})`, p, p + len, undefined, kids));
    p += len;
  }
  return out;
}

function ipv4Node(pkt: DecodedPacket, b: Uint8Array, off: number): DetailNode {
  const ip = pkt.ipv4!;
  const children = ipv4Fields(b, ip, off);
  if (ip.headerLength > IPV4_MIN_HEADER_LENGTH) {
    children.push(node(`Options (${ip.headerLength - 20} bytes)`, off + 20, off + ip.headerLength, undefined, ipv4OptionNodes(b, ip, off + 20)));
  }
  if (ip.fragmentOffset !== 0 || ip.moreFragments) {
    const payEnd = pkt.ipPayloadEnd ?? off + ip.headerLength;
    children.push(node(`Fragment (${ip.totalLength - ip.headerLength} bytes at offset ${ip.fragmentOffset})`, off + ip.headerLength, payEnd));
  }
  return node(`Internet Protocol Version 4, Src: ${ipv4ToString(ip.src)}, Dst: ${ipv4ToString(ip.dst)}`, off, off + ip.headerLength, undefined, children);
}

const ICMP_TYPE_NAMES: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 4: 'Source quench', 5: 'Redirect', 8: 'Echo (ping) request',
  11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp', 14: 'Timestamp reply',
};
const UNREACH_CODES = [
  'Network unreachable', 'Host unreachable', 'Protocol unreachable', 'Port unreachable', 'Fragmentation needed',
  'Source route failed', 'Destination network unknown', 'Destination host unknown', 'Source host isolated',
  'Network administratively prohibited', 'Host administratively prohibited', 'Network unreachable for TOS',
  'Host unreachable for TOS', 'Communication administratively filtered', 'Host precedence violation', 'Precedence cutoff in effect',
];

function icmpNode(pkt: DecodedPacket, off: number): DetailNode {
  const i = pkt.icmp!;
  const checkable = !pkt.truncated && !pkt.ipv4!.moreFragments;
  const codeName = i.type === 3 ? UNREACH_CODES[i.code] : i.type === 11 ? (i.code === 0 ? 'Time to live exceeded in transit' : 'Fragment reassembly time exceeded') : undefined;
  const children = [
    node('Type', off, off + 1, `${i.type} (${ICMP_TYPE_NAMES[i.type] ?? 'unknown'})`),
    node('Code', off + 1, off + 2, codeName ? `${i.code} (${codeName})` : i.code),
    bad(node('Checksum', off + 2, off + 4, `${hex(i.checksum, 4)} [${checkable ? (i.checksumValid ? 'correct' : 'incorrect') : 'unverified'}]`), checkable && !i.checksumValid),
  ];
  let end = off + 8;
  if ('identifier' in i) {
    children.push(node('Identifier', off + 4, off + 6, `${i.identifier} (${hex(i.identifier, 4)})`), node('Sequence Number', off + 6, off + 8, `${i.sequence} (${hex(i.sequence, 4)})`));
    if (i.data.length > 0) children.push(node(`Data (${i.data.length} bytes)`, off + 8, off + 8 + i.data.length, bytesToHex(i.data, 0, Math.min(32, i.data.length)) + (i.data.length > 32 ? '…' : '')));
    end = off + 8 + i.data.length;
  } else if (!('quoted' in i)) {
    children.push(node('Rest of message', off + 4, off + 4 + i.rest.length, `${i.rest.length} bytes`));
    end = off + 4 + i.rest.length;
  } else {
    if (i.nextHopMtu !== undefined) children.push(node('Unused', off + 4, off + 6), node('MTU of next hop', off + 6, off + 8, i.nextHopMtu));
    else if (i.gateway !== undefined) children.push(node('Gateway Address', off + 4, off + 8, ipv4ToString(i.gateway)));
    else if (i.pointer !== undefined) children.push(node('Pointer', off + 4, off + 5, i.pointer), node('Unused', off + 5, off + 8));
    else children.push(node('Unused', off + 4, off + 8));
    const q = pkt.icmpQuoted;
    const qs = off + 8;
    end = qs + i.quoted.length;
    if (q) {
      const qk = ipv4Fields(pkt.bytes, q.ipv4, qs);
      const t = qs + q.transportOffset;
      if (q.srcPort !== undefined) qk.push(node('Source Port', t, t + 2, q.srcPort), node('Destination Port', t + 2, t + 4, q.dstPort!));
      if (q.tcpSeq !== undefined) qk.push(node('Sequence Number (raw)', t + 4, t + 8, q.tcpSeq));
      if (q.udpLength !== undefined) qk.push(node('UDP Length', t + 4, t + 6, q.udpLength));
      if (q.icmpType !== undefined) qk.push(node('ICMP Type', t, t + 1, q.icmpType), node('ICMP Code', t + 1, t + 2, q.icmpCode!));
      if (q.icmpIdentifier !== undefined) qk.push(node('ICMP Identifier', t + 4, t + 6, q.icmpIdentifier), node('ICMP Sequence Number', t + 6, t + 8, q.icmpSequence!));
      children.push(node(`Internet Protocol Version 4 (quoted), Src: ${ipv4ToString(q.ipv4.src)}, Dst: ${ipv4ToString(q.ipv4.dst)}`, qs, end, undefined, qk));
    } else if (i.quoted.length > 0) {
      children.push(node(`Quoted datagram (${i.quoted.length} bytes)`, qs, end));
    }
  }
  return node('Internet Control Message Protocol', off, end, undefined, children);
}

function udpNode(pkt: DecodedPacket, off: number): DetailNode {
  const u = pkt.udp!;
  return node(`User Datagram Protocol, Src Port: ${u.srcPort}, Dst Port: ${u.dstPort}`, off, off + 8, undefined, [
    node('Source Port', off, off + 2, u.srcPort),
    node('Destination Port', off + 2, off + 4, u.dstPort),
    node('Length', off + 4, off + 6, u.length),
    node('Checksum', off + 6, off + 8, u.checksum === 0 ? '0x0000 [zero-value ignored]' : `${hex(u.checksum, 4)} [${transportChecksum(pkt, 17, u.checksum).text}]`),
  ]);
}

const FLAG_NAMES: [number, string][] = [
  [TCP_AE, 'Accurate ECN'],
  [TCP_CWR, 'Congestion Window Reduced'],
  [TCP_ECE, 'ECN-Echo'],
  [TCP_URG, 'Urgent'],
  [TCP_ACK, 'Acknowledgment'],
  [TCP_PSH, 'Push'],
  [TCP_RST, 'Reset'],
  [TCP_SYN, 'Syn'],
  [TCP_FIN, 'Fin'],
];
const FLAG_SHORT: [number, string][] = [
  [TCP_AE, 'AE'], [TCP_CWR, 'CWR'], [TCP_ECE, 'ECE'], [TCP_URG, 'URG'], [TCP_ACK, 'ACK'], [TCP_PSH, 'PSH'], [TCP_RST, 'RST'], [TCP_SYN, 'SYN'], [TCP_FIN, 'FIN'],
];

function tcpNode(pkt: DecodedPacket, bytes: Uint8Array, off: number): DetailNode {
  const t = pkt.tcp!;
  const set = FLAG_SHORT.filter(([bit]) => t.flags & bit).map(([, name]) => name);
  const flagChildren = [node('Reserved', off + 12, off + 13, (bytes[off + 12]! >>> 1) & 7)];
  for (const [bit, name] of FLAG_NAMES) flagChildren.push(node(name, bit === TCP_AE ? off + 12 : off + 13, bit === TCP_AE ? off + 13 : off + 14, t.flags & bit ? 'Set' : 'Not set'));
  const children = [
    node('Source Port', off, off + 2, t.srcPort),
    node('Destination Port', off + 2, off + 4, t.dstPort),
    node('Sequence Number (raw)', off + 4, off + 8, t.seq),
    node('Acknowledgment Number (raw)', off + 8, off + 12, t.ack),
    node('Header Length', off + 12, off + 13, `${t.dataOffset} bytes (${t.dataOffset / 4})`),
    node('Flags', off + 12, off + 14, `${hex(t.flags, 3)} (${set.join(', ') || 'none'})`, flagChildren),
    node('Window', off + 14, off + 16, t.window),
    node('Checksum', off + 16, off + 18, `${hex(t.checksum, 4)} [${transportChecksum(pkt, 6, t.checksum).text}]`),
    node('Urgent Pointer', off + 18, off + 20, t.urgentPointer),
  ];
  if (t.dataOffset > 20) children.push(node(`Options (${t.dataOffset - 20} bytes)`, off + 20, off + t.dataOffset, undefined, tcpOptionNodes(bytes, t.options, off + 20, off + t.dataOffset)));
  if (t.payload.length > 0) children.push(node('TCP payload', off + t.dataOffset, off + t.dataOffset + t.payload.length, `${t.payload.length} bytes`));
  return node(
    `Transmission Control Protocol, Src Port: ${t.srcPort}, Dst Port: ${t.dstPort}, Seq: ${t.seq}${t.flags & TCP_ACK ? `, Ack: ${t.ack}` : ''}, Len: ${t.payload.length}`,
    off,
    off + t.dataOffset,
    undefined,
    children,
  );
}

/** The decoded options with the byte range each takes (walks the lengths again). */
function tcpOptionNodes(b: Uint8Array, options: NonNullable<DecodedPacket['tcp']>['options'], start: number, end: number): DetailNode[] {
  const out: DetailNode[] = [];
  let p = start;
  for (const o of options) {
    if (o.kind === 'eol') {
      out.push(node('End of Option List (EOL)', p, end));
      return out;
    }
    if (o.kind === 'nop') {
      out.push(node('No-Operation (NOP)', p, p + 1));
      p++;
      continue;
    }
    const len = b[p + 1]!;
    const head = [node('Kind', p, p + 1, b[p]!), node('Length', p + 1, p + 2, len)];
    let label: string;
    const kids: DetailNode[] = [];
    switch (o.kind) {
      case 'mss':
        label = `Maximum segment size: ${o.value} bytes`;
        kids.push(node('MSS Value', p + 2, p + 4, o.value));
        break;
      case 'wscale':
        label = `Window scale: ${o.shift} (multiply by ${2 ** Math.min(o.shift, 14)})`;
        kids.push(node('Shift count', p + 2, p + 3, o.shift));
        break;
      case 'sack-permitted':
        label = 'SACK permitted';
        break;
      case 'sack':
        label = `SACK: ${o.blocks.map((x) => `${x.left}-${x.right}`).join(' ')}`;
        o.blocks.forEach((x, i) => kids.push(node('left edge', p + 2 + 8 * i, p + 6 + 8 * i, x.left), node('right edge', p + 6 + 8 * i, p + 10 + 8 * i, x.right)));
        break;
      case 'timestamps':
        label = `Timestamps: TSval ${o.tsval}, TSecr ${o.tsecr}`;
        kids.push(node('Timestamp value', p + 2, p + 6, o.tsval), node('Timestamp echo reply', p + 6, p + 10, o.tsecr));
        break;
      case 'tfo':
        label = `TCP Fast Open${o.experimental ? ' (experimental 254/0xf989)' : ''}: ${o.cookie.length === 0 ? 'cookie request' : `cookie ${bytesToHex(o.cookie)}`}`;
        if (o.cookie.length > 0) kids.push(node('Fast Open Cookie', p + len - o.cookie.length, p + len, bytesToHex(o.cookie)));
        break;
      case 'md5':
        label = 'MD5 signature';
        kids.push(node('MD5 digest', p + 2, p + 18, bytesToHex(o.digest)));
        break;
      case 'ao':
        label = `TCP-AO: KeyID ${o.keyId}, RNextKeyID ${o.rNextKeyId}`;
        kids.push(node('KeyID', p + 2, p + 3, o.keyId), node('RNextKeyID', p + 3, p + 4, o.rNextKeyId), node('MAC', p + 4, p + len, bytesToHex(o.mac)));
        break;
      case 'unknown':
        label = `Unknown option (${o.type})`;
        kids.push(node('Data', p + 2, p + len, bytesToHex(o.data)));
        break;
    }
    out.push(node(label, p, p + len, undefined, [...head, ...kids]));
    p += len;
  }
  // Options stop at a malformed one; its bytes are shown with the error.
  if (p < end) out.push(bad(node('Malformed option', p, end, bytesToHex(b, p, Math.min(end, b.length))), true));
  return out;
}

const DNS_CLASSES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };
const DNS_RCODES = ['No error', 'Format error', 'Server failure', 'No such name', 'Not implemented', 'Refused'];

function rdataValue(r: DnsRecord): string {
  const d = r.data;
  switch (d.kind) {
    case 'a':
      return ipv4ToString(d.address);
    case 'aaaa':
      return d.address;
    case 'name':
      return d.name;
    case 'mx':
      return `${d.preference} ${d.exchange}`;
    case 'txt':
      return d.strings.map((s) => JSON.stringify(s)).join(' ');
    case 'soa':
      return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'raw':
      return bytesToHex(d.bytes);
  }
}

function dnsNode(m: DnsMessage, base: number, appOffset: number): DetailNode {
  const f = base + 2;
  const kids: DetailNode[] = [];
  if (m.tcpLength !== undefined) kids.push(node('Length', appOffset, appOffset + 2, m.tcpLength));
  kids.push(
    node('Transaction ID', base, base + 2, hex(m.id, 4)),
    node('Flags', f, f + 2, hex(m.flags, 4), [
      node('Response', f, f + 1, m.qr ? 'Message is a response' : 'Message is a query'),
      node('Opcode', f, f + 1, m.opcode),
      node('Authoritative', f, f + 1, m.aa ? 1 : 0),
      node('Truncated', f, f + 1, m.tc ? 1 : 0),
      node('Recursion desired', f, f + 1, m.rd ? 1 : 0),
      node('Recursion available', f + 1, f + 2, m.ra ? 1 : 0),
      node('Z', f + 1, f + 2, m.z ? 1 : 0),
      node('Answer authenticated', f + 1, f + 2, m.ad ? 1 : 0),
      node('Non-authenticated data', f + 1, f + 2, m.cd ? 1 : 0),
      node('Reply code', f + 1, f + 2, `${DNS_RCODES[m.rcode] ?? 'unknown'} (${m.rcode})`),
    ]),
    node('Questions', base + 4, base + 6, m.qdcount),
    node('Answer RRs', base + 6, base + 8, m.ancount),
    node('Authority RRs', base + 8, base + 10, m.nscount),
    node('Additional RRs', base + 10, base + 12, m.arcount),
  );
  if (m.questions.length > 0) {
    const qs = m.questions.map((q, i) => {
      const s = base + q.offset;
      const e = i + 1 < m.questions.length ? base + m.questions[i + 1]!.offset : recordsStart(m, base);
      return node(`${q.name}: type ${dnsTypeName(q.type)}, class ${DNS_CLASSES[q.class] ?? q.class}`, s, e, undefined, [
        node('Name', s, e - 4, q.name),
        node('Type', e - 4, e - 2, `${dnsTypeName(q.type)} (${q.type})`),
        node('Class', e - 2, e, `${DNS_CLASSES[q.class] ?? 'unknown'} (${hex(q.class, 4)})`),
      ]);
    });
    kids.push(node('Queries', base + m.questions[0]!.offset, recordsStart(m, base), undefined, qs));
  }
  const section = (title: string, list: DnsRecord[]) => {
    if (list.length === 0) return;
    const rs = list.map((r) => {
      const s = base + r.offset;
      const rd = base + r.rdataOffset;
      return node(`${r.name}: type ${dnsTypeName(r.type)}, class ${DNS_CLASSES[r.class] ?? r.class}, ${rdataValue(r)}`, s, rd + r.rdlength, undefined, [
        node('Name', s, rd - 10, r.name),
        node('Type', rd - 10, rd - 8, `${dnsTypeName(r.type)} (${r.type})`),
        node('Class', rd - 8, rd - 6, `${DNS_CLASSES[r.class] ?? 'unknown'} (${hex(r.class, 4)})`),
        node('Time to live', rd - 6, rd - 2, r.ttl),
        node('Data length', rd - 2, rd, r.rdlength),
        node(dnsTypeName(r.type), rd, rd + r.rdlength, rdataValue(r)),
      ]);
    });
    kids.push(node(title, rs[0]!.start, rs[rs.length - 1]!.end, undefined, rs));
  };
  section('Answers', m.answers);
  section('Authoritative nameservers', m.authorities);
  section('Additional records', m.additionals);
  if (m.error) kids.push(errorNode(m.error, Number.MAX_SAFE_INTEGER));
  return node(`Domain Name System (${m.qr ? 'response' : 'query'})`, appOffset, base + m.length, undefined, kids);
}

function recordsStart(m: DnsMessage, base: number): number {
  const first = m.answers[0] ?? m.authorities[0] ?? m.additionals[0];
  if (first) return base + first.offset;
  // No records decoded: the last question ends at its name + 4 bytes; find it by the name bytes.
  const last = m.questions[m.questions.length - 1];
  return last ? base + last.offset + nameWireLength(last.name) + 4 : base + 12;
}

/** Wire length of an uncompressed name as printed (labels + length octets + root). */
function nameWireLength(name: string): number {
  if (name === '.') return 1;
  let n = 1;
  for (const label of name.slice(0, -1).split(/(?<!\\)\./)) n += 1 + label.replace(/\\(\d{3}|.)/g, 'x').length;
  return n;
}
