import { describe, expect, it } from 'vitest';
import { decodePacket } from '@shared/wire/decode';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '@shared/wire/linktype';
import { TCP_ACK, TCP_PSH } from '@shared/wire/tcp';
import { etherTypes, ipProtocols, linkTypes, tcpPorts, udpPorts } from '@shared/wire/registry';
import {
  ARP_REQUEST_FRAME,
  ICMP_ECHO_FRAME,
  ICMP_FRAGMENT2_FRAME,
  ICMP_PORT_UNREACH_FRAME,
  IP_A,
  IP_B,
  MAC_A,
  MAC_B,
  TCP_HTTP_FRAME,
  TCP_SYN_FRAME,
  UDP_FRAME,
  hex,
} from './frames';

const EN = LINKTYPE_ETHERNET;

describe('decodePacket: whole frames', () => {
  it('decodes ARP', () => {
    const p = decodePacket(EN, ARP_REQUEST_FRAME);
    expect(p.link).toMatchObject({ kind: 'ethernet', dst: 'ff:ff:ff:ff:ff:ff', src: MAC_A, etherType: 0x0806, headerLength: 14 });
    expect(p.arp).toMatchObject({ op: 1, senderIp: IP_A, targetIp: IP_B });
    expect(p.error).toBeUndefined();
    expect(p.truncated).toBe(false);
  });
  it('decodes Ethernet/IPv4/TCP with payload offsets', () => {
    const p = decodePacket(EN, TCP_HTTP_FRAME);
    expect(p.ipv4).toMatchObject({ src: IP_A, dst: IP_B, protocol: 6, totalLength: 79 });
    expect(p.tcp).toMatchObject({ srcPort: 34164, dstPort: 8080, flags: TCP_PSH | TCP_ACK, dataOffset: 32 });
    expect(p.tcp!.payload.length).toBe(27);
    expect([p.networkOffset, p.transportOffset, p.appOffset]).toEqual([14, 34, 66]);
    expect(p.ipPayload!.length).toBe(59);
    expect(p.error).toBeUndefined();
  });
  it('decodes UDP and the ICMP error with its quote', () => {
    expect(decodePacket(EN, UDP_FRAME).udp).toMatchObject({ srcPort: 49395, dstPort: 9999, length: 14 });
    const p = decodePacket(EN, ICMP_PORT_UNREACH_FRAME);
    expect(p.icmp).toMatchObject({ kind: 'dest-unreachable', code: 3, checksumValid: true });
    expect(p.icmpQuoted).toMatchObject({ srcPort: 49395, dstPort: 9999, udpLength: 14 });
    expect(p.icmpQuoted!.ipv4.src).toBe(IP_A);
    expect(decodePacket(EN, ICMP_ECHO_FRAME).icmp).toMatchObject({ kind: 'echo-request', identifier: 15925, checksumValid: true });
  });
  it('stops at a non-first fragment without inventing a transport header', () => {
    const p = decodePacket(EN, ICMP_FRAGMENT2_FRAME);
    expect(p.ipv4!.fragmentOffset).toBe(1480);
    expect(p.icmp).toBeUndefined();
    expect(p.transportOffset).toBeUndefined();
    expect(p.ipPayload!.length).toBe(1);
    expect(p.error).toBeUndefined();
  });
  it('cuts Ethernet padding off by the IP total length', () => {
    const padded = new Uint8Array(60);
    padded.set(UDP_FRAME);
    const p = decodePacket(EN, padded);
    expect(p.udp!.payload.length).toBe(6);
    expect(p.ipPayload!.length).toBe(14);
    expect(p.error).toBeUndefined();
  });
});

describe('decodePacket: truncated vs malformed', () => {
  it('a snap-length cut inside the TCP options is truncated, with the IP layer intact', () => {
    const cut = TCP_SYN_FRAME.subarray(0, 60);
    const p = decodePacket(EN, cut, TCP_SYN_FRAME.length);
    expect(p.truncated).toBe(true);
    expect(p.ipv4).toBeDefined();
    expect(p.tcp).toBeUndefined();
    expect(p.error).toMatchObject({ kind: 'truncated', layer: 'tcp', field: 'options', offset: 54 });
  });
  it('a snap-length cut inside the payload is truncated without an error', () => {
    const p = decodePacket(EN, TCP_HTTP_FRAME.subarray(0, 80), TCP_HTTP_FRAME.length);
    expect(p.truncated).toBe(true);
    expect(p.error).toBeUndefined();
    expect(p.tcp!.payload.length).toBe(14);
  });
  it('the same cut without a longer original length is malformed (the IP total length lies)', () => {
    const p = decodePacket(EN, TCP_HTTP_FRAME.subarray(0, 80));
    expect(p.error).toMatchObject({ kind: 'malformed', layer: 'ipv4', field: 'total length', offset: 16, found: '79' });
    expect(p.tcp).toBeDefined();
  });
  it('reports a TCP data offset below 5 with frame offsets', () => {
    const b = TCP_SYN_FRAME.slice();
    b[14 + 20 + 12] = 0x40;
    const p = decodePacket(EN, b);
    expect(p.error?.message).toBe('tcp: data offset at byte 46: expected >= 5 words, found 4');
    expect(p.truncated).toBe(false);
  });
  it('keeps the TCP header when its options are broken and says where', () => {
    const b = TCP_SYN_FRAME.slice();
    b[14 + 20 + 21] = 40; // MSS length 40 > header
    const p = decodePacket(EN, b);
    expect(p.tcp).toBeDefined();
    expect(p.error).toMatchObject({ kind: 'malformed', layer: 'tcp', offset: 55 });
  });
  it('an unknown link type is reported, not thrown', () => {
    expect(decodePacket(9999, TCP_SYN_FRAME).error).toMatchObject({ layer: 'link', field: 'link type' });
    expect(decodePacket(EN, new Uint8Array(0)).error).toMatchObject({ kind: 'malformed', layer: 'ethernet' });
  });
});

describe('decodePacket: link types', () => {
  const ip = UDP_FRAME.subarray(14);
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  it('RAW (101) by version nibble', () => {
    const p = decodePacket(LINKTYPE_RAW, ip);
    expect(p.link).toEqual({ kind: 'raw', headerLength: 0 });
    expect(p.udp?.dstPort).toBe(9999);
    expect(decodePacket(12, ip).udp?.dstPort).toBe(9999);
    expect(decodePacket(14, ip).udp?.dstPort).toBe(9999);
  });
  it('LINUX_SLL: outgoing, ARPHRD_ETHER, 6-byte address', () => {
    const p = decodePacket(LINKTYPE_LINUX_SLL, join(hex('0004 0001 0006 a669afe1ffa4 0000 0800'), ip));
    expect(p.link).toEqual({ kind: 'sll', packetType: 4, arphrdType: 1, addressLength: 6, address: MAC_A, protocol: 0x0800, headerLength: 16 });
    expect(p.udp?.srcPort).toBe(49395);
  });
  it('LINUX_SLL2: protocol, interface index, address', () => {
    const p = decodePacket(LINKTYPE_LINUX_SLL2, join(hex('0800 0000 00000003 0001 00 06 02a86288e6c9 0000'), ip));
    expect(p.link).toEqual({ kind: 'sll2', protocol: 0x0800, interfaceIndex: 3, arphrdType: 1, packetType: 0, addressLength: 6, address: MAC_B, headerLength: 20 });
    expect(p.udp?.srcPort).toBe(49395);
  });
  it('NULL in either byte order, LOOP in network order', () => {
    expect(decodePacket(LINKTYPE_NULL, join(hex('02000000'), ip)).link).toEqual({ kind: 'null', family: 2, swapped: false, headerLength: 4 });
    expect(decodePacket(LINKTYPE_NULL, join(hex('00000002'), ip)).link).toEqual({ kind: 'null', family: 2, swapped: true, headerLength: 4 });
    expect(decodePacket(LINKTYPE_NULL, join(hex('00000002'), ip)).udp).toBeDefined();
    expect(decodePacket(LINKTYPE_LOOP, join(hex('00000002'), ip)).udp).toBeDefined();
  });
});

describe('registry: upper layers register into lower tables', () => {
  it('holds what each module registered', () => {
    expect(linkTypes.keys()).toEqual([0, 1, 12, 14, 101, 108, 113, 276]);
    expect(etherTypes.keys()).toEqual([0x0800, 0x0806]);
    expect(ipProtocols.keys()).toEqual([1, 6, 17]);
    expect(udpPorts.keys()).toEqual([53, 5353]);
    expect(tcpPorts.keys()).toEqual([53, 80, 8080]);
  });
  it('lets a new application decoder join without touching the layers below', () => {
    let seen = -1;
    udpPorts.register(9999, (pkt, _b, off, capEnd) => {
      seen = capEnd - off;
      expect(pkt.udp?.dstPort).toBe(9999);
    });
    try {
      decodePacket(EN, UDP_FRAME);
      expect(seen).toBe(6);
    } finally {
      udpPorts.unregister(9999);
    }
    seen = -1;
    decodePacket(EN, UDP_FRAME);
    expect(seen).toBe(-1);
  });
});
