import { describe, expect, it } from 'vitest';
import { ipv4ToString, macToBytes, macToString, parseIpv4 } from '@shared/wire/address';
import { internetChecksum, pseudoHeaderSum } from '@shared/wire/checksum';
import { EthernetView, emitEthernet, parseEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '@shared/wire/ethernet';
import { ArpView, emitArp, parseArp, ARP_REQUEST } from '@shared/wire/arp';
import { Ipv4View, emitIpv4, parseIpv4 as parseIpv4Header, parseIpv4Packet, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '@shared/wire/ipv4';
import { decodeIcmpQuoted, emitIcmp, parseIcmp } from '@shared/wire/icmp';
import { UdpView, emitUdp, parseUdp, udpChecksumState, verifyUdpChecksum } from '@shared/wire/udp';
import { TcpView, emitTcp, parseTcp, tcpSegmentLength, verifyTcpChecksum, TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '@shared/wire/tcp';
import { WireError } from '@shared/wire/errors';
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
  TCP_ACK_FRAME_WIRE,
  TCP_HTTP_FRAME,
  TCP_RST_FRAME,
  TCP_SYN_FRAME,
  TCP_SYN_FRAME_WIRE,
  UDP_FRAME,
  UDP_FRAME_WIRE,
  IP_RR_REPLY_FRAME,
  IP_TS_REPLY_FRAME,
  hex,
  toHex,
} from './frames';

const ipOf = (frame: Uint8Array) => parseIpv4Packet(frame, 14);

describe('addresses', () => {
  it('converts IPv4 and MAC both ways', () => {
    expect(parseIpv4('192.0.2.1')).toBe(IP_A);
    expect(ipv4ToString(IP_B)).toBe('192.0.2.2');
    expect(ipv4ToString(0xffffffff)).toBe('255.255.255.255');
    expect(() => parseIpv4('192.0.2')).toThrow(WireError);
    expect(() => parseIpv4('192.0.2.256')).toThrow(WireError);
    expect(macToString(ARP_REQUEST_FRAME, 6)).toBe(MAC_A);
    expect(toHex(macToBytes('A6-69-AF-E1-FF-A4'))).toBe('a669afe1ffa4');
    expect(() => macToBytes('a6:69:af:e1:ff')).toThrow(WireError);
  });
});

describe('checksum (RFC 1071)', () => {
  it('matches the RFC 1071 §3 worked example', () => {
    // Bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (ones' complement), checksum = ~0xddf2 = 0x220d.
    expect(internetChecksum(hex('0001f203f4f5f6f7'), 0, 8)).toBe(0x220d);
  });
  it('is 0 over a header that holds its right checksum, odd lengths padded', () => {
    expect(internetChecksum(ICMP_ECHO_FRAME, 14, 20)).toBe(0);
    expect(internetChecksum(hex('01'), 0, 1)).toBe(0xfeff);
  });
  it('reproduces the partial pseudo-header sum veth left in the captured TCP SYN', () => {
    // Offload stores the folded, uncomplemented pseudo-header sum: 0x8432 in every captured segment of length 40.
    const ps = pseudoHeaderSum(IP_A, IP_B, IPPROTO_TCP, 40);
    expect(((ps & 0xffff) + (ps >>> 16)) & 0xffff).toBe(0x8432);
  });
});

describe('ethernet', () => {
  it('parses the ARP broadcast frame and emits it back byte for byte', () => {
    const r = parseEthernet(ARP_REQUEST_FRAME);
    expect(r).toEqual({ dst: 'ff:ff:ff:ff:ff:ff', src: MAC_A, etherType: ETHERTYPE_ARP, payloadOffset: 14 });
    const v = new EthernetView(ARP_REQUEST_FRAME);
    expect(v.check()).toBeNull();
    expect(v.outerEtherType).toBe(0x0806);
    expect(toHex(emitEthernet(r, ARP_REQUEST_FRAME.subarray(14)))).toBe(toHex(ARP_REQUEST_FRAME));
  });
  it('parses and emits an 802.1Q tag (TPID 0x8100, TCI pcp 5 dei 1 vid 100 = 0xb064)', () => {
    const tagged = new Uint8Array(ICMP_ECHO_FRAME.length + 4);
    tagged.set(ICMP_ECHO_FRAME.subarray(0, 12), 0);
    tagged.set(hex('8100b064'), 12);
    tagged.set(ICMP_ECHO_FRAME.subarray(12), 16);
    const r = parseEthernet(tagged);
    expect(r.vlan).toEqual([{ pcp: 5, dei: true, id: 100, tpid: 0x8100 }]);
    expect(r.etherType).toBe(ETHERTYPE_IPV4);
    expect(r.payloadOffset).toBe(18);
    const emitted = emitEthernet({ dst: MAC_B, src: MAC_A, etherType: ETHERTYPE_IPV4, vlan: [{ pcp: 5, dei: true, id: 100 }] }, ICMP_ECHO_FRAME.subarray(14));
    expect(toHex(emitted)).toBe(toHex(tagged));
  });
  it('reports a short header as truncated at byte 0', () => {
    const err = EthernetView.check(ARP_REQUEST_FRAME.subarray(0, 13));
    expect(err?.kind).toBe('truncated');
    expect(err?.layer).toBe('ethernet');
    expect(() => parseEthernet(ARP_REQUEST_FRAME.subarray(0, 13))).toThrow('ethernet: header at byte 0: expected 14 bytes, found 13 captured');
  });
});

describe('arp', () => {
  it('parses the kernel request and emits the same 28 bytes', () => {
    const r = parseArp(ARP_REQUEST_FRAME, 14);
    expect(r).toEqual({ op: ARP_REQUEST, senderMac: MAC_A, senderIp: IP_A, targetMac: '00:00:00:00:00:00', targetIp: IP_B });
    expect(toHex(emitArp(r))).toBe(toHex(ARP_REQUEST_FRAME.subarray(14)));
  });
  it('rejects non-Ethernet hardware as malformed, short bodies as truncated', () => {
    const bad = ARP_REQUEST_FRAME.slice(14);
    bad[1] = 6; // IEEE 802
    expect(ArpView.check(bad)).toMatchObject({ kind: 'malformed', field: 'hardware type', offset: 0, found: '6' });
    expect(ArpView.check(ARP_REQUEST_FRAME.subarray(14, 30))).toMatchObject({ kind: 'truncated' });
  });
});

describe('ipv4', () => {
  it('parses every header field of the echo request', () => {
    const { repr, payload } = ipOf(ICMP_ECHO_FRAME);
    expect(repr).toEqual({
      version: 4, ihl: 5, dscp: 0, ecn: 0, totalLength: 84, identification: 27500,
      dontFragment: true, moreFragments: false, reservedFlag: false, fragmentOffset: 0,
      ttl: 64, protocol: IPPROTO_ICMP, checksum: 0x4b39, checksumValid: true,
      src: IP_A, dst: IP_B, options: [], headerLength: 20,
    });
    expect(payload.length).toBe(64);
    // clipped to the captured bytes, and to the total length when the frame is padded
    expect(parseIpv4Packet(ICMP_ECHO_FRAME.subarray(0, 50), 14).payload.length).toBe(16);
    const padded = new Uint8Array(ICMP_ECHO_FRAME.length + 6);
    padded.set(ICMP_ECHO_FRAME);
    expect(parseIpv4Packet(padded, 14).payload.length).toBe(64);
  });
  it('emits the same header and checksum from the value', () => {
    const { repr, payload } = ipOf(ICMP_ECHO_FRAME);
    const out = emitIpv4({ src: repr.src, dst: repr.dst, protocol: repr.protocol, identification: repr.identification, dontFragment: true, ttl: 64 }, payload);
    expect(toHex(out)).toBe(toHex(ICMP_ECHO_FRAME.subarray(14)));
  });
  it('decodes the second fragment: offset in bytes, DSCP/ECN of tos 0xc0', () => {
    const v = new Ipv4View(ICMP_FRAGMENT2_FRAME, 14);
    expect(v.check()).toBeNull();
    expect(v.fragmentOffset).toBe(1480);
    expect(v.moreFragments).toBe(false);
    expect(v.totalLength).toBe(21);
    const u = new Ipv4View(ICMP_PORT_UNREACH_FRAME, 14);
    expect([u.dscp, u.ecn]).toEqual([48, 0]);
    const out = emitIpv4({ src: IP_A, dst: IP_B, protocol: 1, identification: 27503, fragmentOffset: 1480 }, hex('c0'));
    expect(toHex(out)).toBe(toHex(ICMP_FRAGMENT2_FRAME.subarray(14)));
  });
  it('round-trips options RR, LSRR, SSRR, TS, RA, NOP, EOL (RFC 791 / RFC 2113 layouts)', () => {
    // RR: type 7, len 11, ptr 4, two slots; RA: 148 len 4 value 0; TS: 68 len 12 ptr 5 flag 0, two stamps;
    // LSRR 131 len 7 ptr 4 one hop; NOP; EOL padding.
    const opts = hex('07 0b 04 c0000201 00000000' + '94 04 0000' + '44 0c 09 00 00000001 00000002' + '83 07 04 c0000263' + '01 00');
    expect(opts.length).toBe(36);
    const header = new Uint8Array(56);
    header.set(hex('4e000038 00010000 4001 0000 c0000201 c0000202'), 0);
    header.set(opts, 20);
    const ck = internetChecksum(header, 0, 56);
    header[10] = ck >>> 8;
    header[11] = ck & 0xff;
    const r = parseIpv4Header(header);
    expect(r.headerLength).toBe(56);
    expect(r.checksumValid).toBe(true);
    expect(r.options.map((o) => o.kind)).toEqual(['rr', 'ra', 'ts', 'lsrr', 'nop', 'eol']);
    expect(r.options[0]).toMatchObject({ type: 7, pointer: 4, addresses: [IP_A, 0] });
    expect(r.options[1]).toMatchObject({ type: 148, value: 0 });
    expect(r.options[2]).toMatchObject({ type: 68, pointer: 9, flag: 0, overflow: 0, timestamps: [1, 2] });
    expect(r.options[3]).toMatchObject({ type: 131, pointer: 4, addresses: [0xc0000263] });
    const re = emitIpv4({ src: IP_A, dst: IP_B, protocol: 1, identification: 1, ttl: 64, options: r.options }, new Uint8Array(0));
    expect(toHex(re)).toBe(toHex(header));
    const ssrr = parseIpv4Header(emitIpv4({ src: IP_A, dst: IP_B, protocol: 1, options: [{ type: 137, kind: 'ssrr', data: hex('04c0000203') }] }, new Uint8Array(0)));
    expect(ssrr.options[0]).toMatchObject({ kind: 'ssrr', pointer: 4, addresses: [0xc0000203] });
  });
  it('parses the record-route and timestamp options the kernel filled in, and emits them back', () => {
    const rr = parseIpv4Packet(IP_RR_REPLY_FRAME, 14);
    expect(rr.repr.headerLength).toBe(60);
    expect(rr.repr.options.map((o) => o.kind)).toEqual(['rr', 'eol']);
    expect(rr.repr.options[0]).toMatchObject({ type: 7, pointer: 16 });
    expect(rr.repr.options[0]!.addresses!.map(ipv4ToString).slice(0, 4)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.2', '0.0.0.0']);
    expect(rr.repr.options[0]!.addresses!.length).toBe(9);
    expect(rr.repr.checksumValid).toBe(true);
    const ts = parseIpv4Packet(IP_TS_REPLY_FRAME, 14);
    expect(ts.repr.options[0]).toMatchObject({ kind: 'ts', pointer: 17, flag: 0, overflow: 0 });
    expect(ts.repr.options[0]!.timestamps!.slice(0, 4)).toEqual([8622459, 8622459, 8622459, 0]);
    for (const [frame, r] of [[IP_RR_REPLY_FRAME, rr], [IP_TS_REPLY_FRAME, ts]] as const) {
      const out = emitIpv4({ src: r.repr.src, dst: r.repr.dst, protocol: 1, identification: r.repr.identification, ttl: 64, options: r.repr.options }, r.payload);
      expect(toHex(out)).toBe(toHex(frame.subarray(14)));
    }
  });
  it('says which field is wrong, where, expected and found', () => {
    const b = ICMP_ECHO_FRAME.slice(14);
    b[0] = 0x43;
    expect(Ipv4View.check(b)).toMatchObject({ kind: 'malformed', layer: 'ipv4', field: 'header length', offset: 0, expected: '>= 5 words', found: '3' });
    b[0] = 0x65;
    expect(() => parseIpv4Header(b)).toThrow('ipv4: version at byte 0: expected 4, found 6');
    const opt = hex('46000018 00000000 4001 0000 c0000201 c0000202 07 09 04 00');
    expect(() => parseIpv4Header(opt)).toThrow(/option length at byte 21: expected 2\.\.4, found 9/);
  });
});

describe('icmp', () => {
  it('parses the echo request and emits it with the same checksum', () => {
    const { payload } = ipOf(ICMP_ECHO_FRAME);
    const r = parseIcmp(payload);
    expect(r).toMatchObject({ type: 8, code: 0, kind: 'echo-request', identifier: 15925, sequence: 1, checksum: 0x8775, checksumValid: true });
    if (r.kind !== 'echo-request') throw new Error('kind');
    expect(r.data.length).toBe(56);
    expect(toHex(emitIcmp({ type: 8, identifier: r.identifier, sequence: r.sequence, data: r.data }))).toBe(toHex(payload));
  });
  it('parses port unreachable with the quoted IP header and UDP ports, and emits it back', () => {
    const { payload } = ipOf(ICMP_PORT_UNREACH_FRAME);
    const r = parseIcmp(payload);
    expect(r).toMatchObject({ type: 3, code: 3, kind: 'dest-unreachable', checksumValid: true });
    if (r.kind !== 'dest-unreachable') throw new Error('kind');
    const q = decodeIcmpQuoted(r.quoted);
    expect(q.ipv4).toMatchObject({ src: IP_A, dst: IP_B, protocol: IPPROTO_UDP, totalLength: 34, identification: 39511 });
    expect([q.srcPort, q.dstPort, q.udpLength]).toEqual([49395, 9999, 14]);
    expect(toHex(emitIcmp({ type: 3, code: 3, quoted: r.quoted }))).toBe(toHex(payload));
  });
  it('carries the next-hop MTU of fragmentation needed (RFC 1191) and the redirect gateway', () => {
    const quoted = ipOf(TCP_SYN_FRAME).repr && TCP_SYN_FRAME.subarray(14, 14 + 28);
    const fn = emitIcmp({ type: 3, code: 4, nextHopMtu: 1400, quoted });
    expect(toHex(fn.subarray(0, 8)).slice(0, 4)).toBe('0304');
    expect(toHex(fn.subarray(4, 8))).toBe('00000578');
    const p = parseIcmp(fn);
    expect(p).toMatchObject({ kind: 'dest-unreachable', nextHopMtu: 1400, checksumValid: true });
    const q = decodeIcmpQuoted(quoted);
    expect([q.srcPort, q.dstPort, q.tcpSeq]).toEqual([34164, 8080, 3148018698]);
    const rd = parseIcmp(emitIcmp({ type: 5, code: 1, gateway: 0xc00002fe, quoted }));
    expect(rd).toMatchObject({ kind: 'redirect', gateway: 0xc00002fe });
    const te = parseIcmp(emitIcmp({ type: 11, code: 0, quoted }));
    expect(te.kind).toBe('time-exceeded');
  });
});

describe('udp', () => {
  it('parses the datagram and computes the checksum tcpdump computed (0x4fef)', () => {
    const { repr: ip, payload } = ipOf(UDP_FRAME);
    const r = parseUdp(payload);
    expect(r).toMatchObject({ srcPort: 49395, dstPort: 9999, length: 14, checksum: 0x4fef });
    expect(new TextDecoder().decode(r.payload)).toBe('hello\n');
    expect(verifyUdpChecksum(payload, ip.src, ip.dst)).toBe(true);
    expect(udpChecksumState(ipOf(UDP_FRAME_WIRE).payload, ip.src, ip.dst)).toBe('bad');
    expect(toHex(emitUdp({ srcPort: 49395, dstPort: 9999, payload: r.payload }, ip.src, ip.dst))).toBe(toHex(payload));
  });
  it('sends and accepts a zero checksum as "none" (RFC 768)', () => {
    const out = emitUdp({ srcPort: 1, dstPort: 2, payload: hex('00') }, IP_A, IP_B, { noChecksum: true });
    expect(toHex(out)).toBe('00010002000900' + '0000');
    expect(udpChecksumState(out, IP_A, IP_B)).toBe('none');
    expect(verifyUdpChecksum(out, IP_A, IP_B)).toBe(true);
  });
  it('reports a length field below 8 as malformed', () => {
    expect(UdpView.check(hex('0001000200050000'))).toMatchObject({ kind: 'malformed', field: 'length', offset: 4, found: '5' });
  });
});

describe('tcp', () => {
  it('parses the SYN with its options', () => {
    const { payload } = ipOf(TCP_SYN_FRAME);
    const r = parseTcp(payload);
    expect(r).toMatchObject({ srcPort: 34164, dstPort: 8080, seq: 3148018698, ack: 0, dataOffset: 40, flags: TCP_SYN, window: 64240, checksum: 0xcf82, urgentPointer: 0 });
    expect(r.options).toEqual([
      { kind: 'mss', value: 1460 },
      { kind: 'sack-permitted' },
      { kind: 'timestamps', tsval: 1961439210, tsecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 10 },
    ]);
    expect(tcpSegmentLength(r)).toBe(1);
  });
  it('computes the checksum tcpdump computed, and rejects the partial one veth captured', () => {
    expect(verifyTcpChecksum(ipOf(TCP_SYN_FRAME).payload, IP_A, IP_B)).toBe(true);
    expect(verifyTcpChecksum(ipOf(TCP_SYN_FRAME_WIRE).payload, IP_A, IP_B)).toBe(false);
    expect(verifyTcpChecksum(ipOf(TCP_ACK_FRAME).payload, IP_A, IP_B)).toBe(true);
    expect(verifyTcpChecksum(ipOf(TCP_ACK_FRAME_WIRE).payload, IP_A, IP_B)).toBe(false);
    expect(verifyTcpChecksum(ipOf(TCP_RST_FRAME).payload, IP_B, IP_A)).toBe(true);
  });
  it('emits the SYN, the data segment and the kernel RST byte for byte', () => {
    for (const [frame, src, dst] of [
      [TCP_SYN_FRAME, IP_A, IP_B],
      [TCP_HTTP_FRAME, IP_A, IP_B],
      [TCP_RST_FRAME, IP_B, IP_A],
    ] as const) {
      const seg = ipOf(frame).payload;
      const r = parseTcp(seg);
      expect(toHex(emitTcp(r, src, dst))).toBe(toHex(seg));
    }
  });
  it('reads the data segment and the RST flags', () => {
    const r = parseTcp(ipOf(TCP_HTTP_FRAME).payload);
    expect(r.flags).toBe(TCP_PSH | TCP_ACK);
    expect(new TextDecoder().decode(r.payload).split('\r\n')[0]).toBe('GET / HTTP/1.1');
    expect(parseTcp(ipOf(TCP_RST_FRAME).payload).flags).toBe(TCP_RST | TCP_ACK);
  });
  it('round-trips ECE/CWR/AE, SACK blocks, TFO, MD5, AO and unknown options', () => {
    const options = [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'sack', blocks: [{ left: 100, right: 200 }, { left: 0xfffffff0, right: 16 }] },
      { kind: 'tfo', cookie: hex('0102030405060708') },
    ] as const;
    const seg = emitTcp({ srcPort: 1, dstPort: 2, seq: 5, ack: 6, flags: 0x1c0 | TCP_ACK, window: 1000, options: options as never }, IP_A, IP_B);
    expect(seg.length).toBe(20 + 2 + 18 + 10 + 2);
    // data offset 13 words, AE bit in byte 12, ECE|CWR|ACK in byte 13
    expect(toHex(seg.subarray(12, 14))).toBe('d1d0');
    const r = parseTcp(seg);
    expect(r.flags).toBe(0x1d0);
    expect(r.options.slice(0, 4)).toEqual(options);
    expect(r.options[4]).toEqual({ kind: 'eol' });
    const seg2 = emitTcp(
      {
        srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0,
        options: [
          { kind: 'md5', digest: new Uint8Array(16).fill(7) },
          { kind: 'ao', keyId: 1, rNextKeyId: 2, mac: hex('aabbccdd') },
          { kind: 'tfo', cookie: new Uint8Array(0), experimental: true },
          { kind: 'unknown', type: 99, data: hex('beef') },
        ],
      },
      IP_A, IP_B,
    );
    const r2 = parseTcp(seg2);
    expect(r2.options.map((o) => o.kind)).toEqual(['md5', 'ao', 'tfo', 'unknown', 'eol']);
    expect(r2.options[1]).toEqual({ kind: 'ao', keyId: 1, rNextKeyId: 2, mac: hex('aabbccdd') });
    expect(r2.options[2]).toEqual({ kind: 'tfo', cookie: new Uint8Array(0), experimental: true });
    expect(r2.options[3]).toEqual({ kind: 'unknown', type: 99, data: hex('beef') });
    expect(verifyTcpChecksum(seg2, IP_A, IP_B)).toBe(true);
  });
  it('reports a data offset below 5 words with the contract message', () => {
    const seg = ipOf(TCP_RST_FRAME).payload.slice();
    seg[12] = 0x30;
    expect(TcpView.check(seg)).toMatchObject({ kind: 'malformed', layer: 'tcp', field: 'data offset', offset: 12 });
    expect(() => parseTcp(seg)).toThrow('tcp: data offset at byte 12: expected >= 5 words, found 3');
  });
});
