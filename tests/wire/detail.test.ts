import { describe, expect, it } from 'vitest';
import { buildDetailTree, type DetailNode } from '@shared/format/detail';
import {
  ARP_REQUEST_FRAME,
  ICMP_ECHO_FRAME,
  ICMP_FRAGMENT2_FRAME,
  ICMP_PORT_UNREACH_FRAME,
  TCP_HTTP_FRAME,
  TCP_RST_FRAME,
  TCP_SYN_FRAME,
  TCP_SYN_FRAME_WIRE,
  UDP_FRAME,
  UDP_FRAME_WIRE,
  hex,
} from './frames';

/** Finds a node by a path of label prefixes. */
function find(nodes: DetailNode[], ...path: string[]): DetailNode {
  let cur: DetailNode | undefined;
  let list = nodes;
  for (const p of path) {
    cur = list.find((n) => n.label.startsWith(p));
    if (!cur) throw new Error(`no node "${p}" among ${list.map((n) => n.label).join(' | ')}`);
    list = cur.children ?? [];
  }
  return cur!;
}

const u16 = (b: Uint8Array, n: DetailNode) => (b[n.start]! << 8) | b[n.start + 1]!;

function walk(nodes: DetailNode[], f: (n: DetailNode) => void): void {
  for (const n of nodes) {
    f(n);
    if (n.children) walk(n.children, f);
  }
}

describe('detail tree', () => {
  it('gives each TCP field the bytes it came from', () => {
    const t = buildDetailTree(1, TCP_SYN_FRAME);
    const sport = find(t, 'Transmission Control Protocol', 'Source Port');
    expect([sport.start, sport.end, sport.value]).toEqual([34, 36, '34164']);
    expect(u16(TCP_SYN_FRAME, sport)).toBe(34164);
    const mss = find(t, 'Transmission Control Protocol', 'Options', 'Maximum segment size');
    expect([mss.start, mss.end]).toEqual([54, 58]);
    expect(u16(TCP_SYN_FRAME, find(mss.children!, 'MSS Value'))).toBe(1460);
    const ts = find(t, 'Transmission Control Protocol', 'Options', 'Timestamps');
    expect([ts.start, ts.end]).toEqual([60, 70]);
    const ws = find(t, 'Transmission Control Protocol', 'Options', 'Window scale');
    expect([ws.start, ws.end, TCP_SYN_FRAME[ws.start + 2]]).toEqual([71, 74, 10]);
    expect(find(t, 'Transmission Control Protocol', 'Flags').value).toBe('0x002 (SYN)');
    expect(find(t, 'Ethernet II', 'Type').value).toBe('IPv4 (0x0800)');
    expect(find(t, 'Internet Protocol Version 4', 'Header Checksum').error).toBeUndefined();
    expect(find(t, 'Transmission Control Protocol', 'Checksum').value).toBe('0xcf82 [correct]');
  });
  it('says what a wrong checksum should be, as tcpdump -v does', () => {
    // the frame as veth captured it: tcpdump -vv says "cksum 0x8432 (incorrect -> 0xcf82)"
    const t = buildDetailTree(1, TCP_SYN_FRAME_WIRE);
    expect(find(t, 'Transmission Control Protocol', 'Checksum').value).toBe('0x8432 [incorrect, should be 0xcf82 (maybe checksum offload)]');
    expect(find(buildDetailTree(1, UDP_FRAME_WIRE), 'User Datagram Protocol', 'Checksum').value).toContain('should be 0x4fef');
    const b = TCP_SYN_FRAME.slice();
    b[14 + 10] ^= 0xff;
    const ck = find(buildDetailTree(1, b), 'Internet Protocol Version 4', 'Header Checksum');
    expect(ck.error).toBe(true);
    expect(ck.value).toBe(`0x${((0x87 ^ 0xff) << 8 | 0x94).toString(16)} [incorrect, should be 0x8794]`);
    expect(find(buildDetailTree(1, TCP_HTTP_FRAME.subarray(0, 80), TCP_HTTP_FRAME.length), 'Transmission Control Protocol', 'Checksum').value).toBe('0x2934 [unverified]');
  });
  it('shows the HTTP request line and the IPv4 fields', () => {
    const t = buildDetailTree(1, TCP_HTTP_FRAME);
    const http = find(t, 'Hypertext Transfer Protocol');
    expect(http.value).toBe('GET / HTTP/1.1');
    expect(new TextDecoder().decode(TCP_HTTP_FRAME.subarray(http.start, http.start + 3))).toBe('GET');
    const ttl = find(t, 'Internet Protocol Version 4', 'Time to Live');
    expect([ttl.start, ttl.end, TCP_HTTP_FRAME[ttl.start]]).toEqual([22, 23, 64]);
  });
  it('decodes the quoted datagram of an ICMP error into its own subtree', () => {
    const t = buildDetailTree(1, ICMP_PORT_UNREACH_FRAME);
    expect(find(t, 'Internet Control Message Protocol', 'Code').value).toBe('3 (Port unreachable)');
    const dport = find(t, 'Internet Control Message Protocol', 'Internet Protocol Version 4 (quoted)', 'Destination Port');
    expect(u16(ICMP_PORT_UNREACH_FRAME, dport)).toBe(9999);
  });
  it('lays DNS records out field by field, compression pointers included', () => {
    const resp = hex(
      '02a86288e6c9a669afe1ffa40800450000d0000140004011b618c0000202c000020100359c4000bceebf123481800001000400010001076578616d706c6503636f6d0000010001' +
        'c00c000100010000012c0004c000020ac00c001c00010000012c001020010db8000000000000000000000001c00c000f00010000012c0009000a046d61696cc00c' +
        'c00c001000010000012c000906763d737066310178c00c0002000100000e100006036e7331c00cc00c0006000100000e100023c00c0a686f73746d6173746572c00c' +
        '78a3f17500001c2000000e10001275000000012c',
    );
    const t = buildDetailTree(1, resp);
    const q = find(t, 'Domain Name System (response)', 'Queries', 'example.com.');
    expect([q.start, q.end]).toEqual([54, 71]);
    const a = find(t, 'Domain Name System', 'Answers', 'example.com.: type A');
    expect(a.label).toContain('192.0.2.10');
    const name = find(a.children!, 'Name');
    expect([resp[name.start], resp[name.start + 1]]).toEqual([0xc0, 0x0c]);
    expect(u16(resp, find(a.children!, 'Data length'))).toBe(4);
    const soa = find(t, 'Domain Name System', 'Additional records', 'example.com.: type SOA');
    expect(soa.end).toBe(resp.length);
  });
  it('marks a truncated layer with an error node that says what broke', () => {
    const t = buildDetailTree(1, TCP_SYN_FRAME.subarray(0, 60), TCP_SYN_FRAME.length);
    const e = find(t, 'Truncated: tcp options');
    expect(e.error).toBe(true);
    expect(e.start).toBe(54);
    expect(find(e.children!, 'Expected').value).toBe('40 bytes');
  });
  it('keeps every range inside the captured bytes for every frame and cut', () => {
    const frames = [ARP_REQUEST_FRAME, ICMP_ECHO_FRAME, ICMP_FRAGMENT2_FRAME, ICMP_PORT_UNREACH_FRAME, TCP_HTTP_FRAME, TCP_RST_FRAME, TCP_SYN_FRAME, UDP_FRAME];
    let nodes = 0;
    for (const f of frames) {
      for (let cut = 0; cut <= f.length; cut++) {
        const b = f.subarray(0, cut);
        walk(buildDetailTree(1, b, f.length), (n) => {
          nodes++;
          expect(n.start >= 0 && n.start <= n.end && n.end <= b.length, `${n.label} [${n.start}, ${n.end}) in ${b.length}`).toBe(true);
        });
      }
    }
    expect(nodes).toBeGreaterThan(1000);
  });
});
