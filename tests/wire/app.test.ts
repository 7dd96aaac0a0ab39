import { describe, expect, it } from 'vitest';
import { decodePacket } from '@shared/wire/decode';
import { parseDnsMessage, dnsTypeName, type DnsMessage } from '@shared/wire/dns';
import { recognizeHttp } from '@shared/wire/http';
import { ipv6ToString } from '@shared/wire/address';
import { hex, TCP_HTTP_FRAME } from './frames';

// Built by a script, checked with tcpdump -n -vv:
//   192.0.2.1.40000 > 192.0.2.2.53: [udp sum ok] 4660+ A? example.com. (29)
const DNS_QUERY = hex(
  '02a86288e6c9a669afe1ffa4080045000039000140004011b6afc0000201c00002029c4000350025fd88123401000001000000000000076578616d706c6503636f6d0000010001',
);
//   192.0.2.2.53 > 192.0.2.1.40000: [udp sum ok] 4660 q: A? example.com. 4/1/1 example.com. A 192.0.2.10,
//   example.com. AAAA 2001:db8::1, example.com. MX mail.example.com. 10, example.com. TXT "v=spf1" "x"
//   ns: example.com. NS ns1.example.com. ar: example.com. SOA example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300 (180)
const DNS_RESPONSE = hex(
  '02a86288e6c9a669afe1ffa40800450000d0000140004011b618c0000202c000020100359c4000bceebf123481800001000400010001076578616d706c6503636f6d0000010001' +
    'c00c000100010000012c0004c000020ac00c001c00010000012c001020010db8000000000000000000000001c00c000f00010000012c0009000a046d61696cc00c' +
    'c00c001000010000012c000906763d737066310178c00c0002000100000e100006036e7331c00cc00c0006000100000e100023c00c0a686f73746d6173746572c00c' +
    '78a3f17500001c2000000e10001275000000012c',
);

describe('dns', () => {
  it('decodes the query header and question', () => {
    const p = decodePacket(1, DNS_QUERY);
    expect(p.error).toBeUndefined();
    expect(p.dns).toMatchObject({ id: 4660, qr: false, rd: true, opcode: 0, qdcount: 1, ancount: 0, length: 29 });
    expect(p.dns!.questions).toEqual([{ offset: 12, name: 'example.com.', type: 1, class: 1 }]);
  });
  it('decodes every section of the response, following compression pointers', () => {
    const p = decodePacket(1, DNS_RESPONSE);
    expect(p.error).toBeUndefined();
    const d = p.dns!;
    expect(d).toMatchObject({ qr: true, rd: true, ra: true, rcode: 0, ancount: 4, nscount: 1, arcount: 1, length: 180 });
    expect(d.answers.map((r) => [r.name, dnsTypeName(r.type), r.ttl, r.data])).toEqual([
      ['example.com.', 'A', 300, { kind: 'a', address: 0xc000020a }],
      ['example.com.', 'AAAA', 300, { kind: 'aaaa', address: '2001:db8::1' }],
      ['example.com.', 'MX', 300, { kind: 'mx', preference: 10, exchange: 'mail.example.com.' }],
      ['example.com.', 'TXT', 300, { kind: 'txt', strings: ['v=spf1', 'x'] }],
    ]);
    expect(d.authorities[0]!.data).toEqual({ kind: 'name', name: 'ns1.example.com.' });
    expect(d.additionals[0]!.data).toEqual({
      kind: 'soa', mname: 'example.com.', rname: 'hostmaster.example.com.', serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300,
    });
  });
  it('refuses a compression loop and a forward pointer, keeping what came before', () => {
    // header with 2 questions; the second name is a pointer to itself
    const msg = hex('0001 0000 0002 0000 0000 0000' + '01610000010001' + 'c013 00010001');
    const r = parseDnsMessage(msg) as DnsMessage;
    expect(r.questions).toEqual([{ offset: 12, name: 'a.', type: 1, class: 1 }]);
    expect(r.error).toMatchObject({ kind: 'malformed', field: 'compression pointer', offset: 19 });
    const fwd = parseDnsMessage(hex('0001 0000 0001 0000 0000 0000' + 'c00e 00 0001 0001')) as DnsMessage;
    expect(fwd.error?.field).toBe('compression pointer');
  });
  it('a DNS message cut by the snap length is truncated; one cut short on the wire is malformed', () => {
    const cut = decodePacket(1, DNS_RESPONSE.subarray(0, 100), DNS_RESPONSE.length);
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'dns' });
    expect(cut.dns!.answers.length).toBeGreaterThan(0);
    const lie = DNS_RESPONSE.slice();
    lie[14 + 20 + 8 + 7] = 9; // ancount 9
    expect(decodePacket(1, lie).error).toMatchObject({ kind: 'malformed', layer: 'dns' });
  });
  it('decodes DNS over TCP after the length prefix', () => {
    const msg = DNS_QUERY.subarray(14 + 28);
    const payload = new Uint8Array(2 + msg.length);
    payload[1] = msg.length;
    payload.set(msg, 2);
    const seg = hex('9c400035 00000001 00000000 5018ffff 0000 0000');
    const ip = hex('45000000 0001 4000 4006 0000 c0000201 c0000202');
    const total = ip.length + seg.length + payload.length;
    ip[2] = total >> 8;
    ip[3] = total & 0xff;
    const frame = new Uint8Array(total);
    frame.set(ip);
    frame.set(seg, 20);
    frame.set(payload, 40);
    const p = decodePacket(101, frame);
    expect(p.dns).toMatchObject({ tcpLength: 29, id: 4660, questions: [{ offset: 12, name: 'example.com.', type: 1, class: 1 }] });
    // A message split over segments is normal TCP: the problem stays in dns.error, not the frame's.
    const split = frame.slice(0, total - 10);
    split[2] = (total - 10) >> 8;
    split[3] = (total - 10) & 0xff;
    const s = decodePacket(101, split);
    expect(s.error).toBeUndefined();
    expect(s.dns!.error).toMatchObject({ layer: 'dns', kind: 'truncated' });
  });
  it('formats IPv6 like inet_ntop (RFC 5952)', () => {
    expect(ipv6ToString(hex('20010db8000000000001000000000001'), 0)).toBe('2001:db8::1:0:0:1');
    expect(ipv6ToString(hex('00000000000000000000000000000000'), 0)).toBe('::');
    expect(ipv6ToString(hex('fe800000000000000000000000000001'), 0)).toBe('fe80::1');
    expect(ipv6ToString(hex('20010db8000100010001000100010001'), 0)).toBe('2001:db8:1:1:1:1:1:1');
  });
});

describe('http', () => {
  it('recognises the request line of the captured GET on port 8080', () => {
    expect(decodePacket(1, TCP_HTTP_FRAME).http).toEqual({ kind: 'request', method: 'GET', target: '/', version: 'HTTP/1.1', line: 'GET / HTTP/1.1', complete: true });
  });
  it('recognises status lines and rejects binary and non-HTTP text', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(recognizeHttp(enc('HTTP/1.1 404 Not Found\r\nServer: x\r\n'))).toMatchObject({ kind: 'response', status: 404, reason: 'Not Found' });
    expect(recognizeHttp(enc('HTTP/1.0 200\r\n'))).toMatchObject({ kind: 'response', status: 200, reason: '' });
    expect(recognizeHttp(enc('POST /x HTTP/1.1'))).toMatchObject({ kind: 'request', method: 'POST', complete: false });
    expect(recognizeHttp(enc('HELLO world\r\n'))).toBeUndefined();
    expect(recognizeHttp(hex('16030100'))).toBeUndefined();
    expect(recognizeHttp(enc('GET /\x01 HTTP/1.1\r\n'))).toBeUndefined();
  });
});
