/**
 * Real frames captured with tcpdump on a veth pair between two network namespaces
 * (192.0.2.1 <-> 192.0.2.2, TEST-NET-1), Linux 6.18. The tcpdump line (-n -e -v) is above each.
 *
 * veth leaves TCP/UDP checksums of locally sent segments "partial" (checksum offload): the
 * captured field holds only the pseudo-header sum. `*_WIRE` frames are exactly as captured;
 * the plain ones have the checksum tcpdump -vv computed ("incorrect -> 0x....") patched in, which
 * is what the segment carries once the offload is done. ICMP/ARP/IP checksums are as captured.
 */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function patch16(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  c[off] = v >>> 8;
  c[off + 1] = v & 0xff;
  return c;
}

export const MAC_A = 'a6:69:af:e1:ff:a4'; // 192.0.2.1
export const MAC_B = '02:a8:62:88:e6:c9'; // 192.0.2.2
export const IP_A = 0xc0000201;
export const IP_B = 0xc0000202;

// a6:69:af:e1:ff:a4 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6), IPv4 (len 4),
//   Request who-has 192.0.2.2 tell 192.0.2.1, length 28
export const ARP_REQUEST_FRAME = hex('ffffffffffffa669afe1ffa408060001080006040001a669afe1ffa4c0000201000000000000c0000202');

// a6:69:af:e1:ff:a4 > 02:a8:62:88:e6:c9, ethertype IPv4 (0x0800), length 98: (tos 0x0, ttl 64, id 27500, offset 0,
//   flags [DF], proto ICMP (1), length 84) 192.0.2.1 > 192.0.2.2: ICMP echo request, id 15925, seq 1, length 64
export const ICMP_ECHO_FRAME = hex(
  '02a86288e6c9a669afe1ffa40800450000546b6c400040014b39c0000201c0000202080087753e350001c84c026b00000000a3c9050000000000' +
    '101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);

// (tos 0x0, ttl 64, id 27503, offset 1480, flags [none], proto ICMP (1), length 21) 192.0.2.1 > 192.0.2.2: ip-proto-1
// (the second fragment of `ping -s 1473`)
export const ICMP_FRAGMENT2_FRAME = hex('02a86288e6c9a669afe1ffa40800450000156b6f00b940018abcc0000201c0000202c0');

// (tos 0x0, ttl 64, id 12068, offset 0, flags [DF], proto TCP (6), length 60) 192.0.2.1.34164 > 192.0.2.2.8080:
//   Flags [S], cksum 0x8432 (incorrect -> 0xcf82), seq 3148018698, win 64240,
//   options [mss 1460,sackOK,TS val 1961439210 ecr 0,nop,wscale 10], length 0
export const TCP_SYN_FRAME_WIRE = hex(
  '02a86288e6c9a669afe1ffa408004500003c2f24400040068794c0000201c000020285741f90bba2f40a00000000a002faf084320000020405b40402080a74e92fea000000000103030a',
);
export const TCP_SYN_FRAME = patch16(TCP_SYN_FRAME_WIRE, 14 + 20 + 16, 0xcf82);

// (… id 12069 …, length 52) 192.0.2.1.34164 > 192.0.2.2.8080: Flags [.], cksum 0x842a (incorrect -> 0x7d0e),
//   ack 1, win 63, options [nop,nop,TS val 1961439210 ecr 1265881019], length 0
export const TCP_ACK_FRAME_WIRE = hex(
  '02a86288e6c9a669afe1ffa40800450000342f2540004006879bc0000201c000020285741f90bba2f40b7735e9808010003f842a00000101080a74e92fea4b73cfbb',
);
export const TCP_ACK_FRAME = patch16(TCP_ACK_FRAME_WIRE, 14 + 20 + 16, 0x7d0e);

// (… id 12070 …, length 79) 192.0.2.1.34164 > 192.0.2.2.8080: Flags [P.], cksum 0x8445 (incorrect -> 0x2934),
//   seq 1:28, ack 1, win 63, options [nop,nop,TS val 1961439212 ecr 1265881019], length 27: HTTP: GET / HTTP/1.1
export const TCP_HTTP_FRAME_WIRE = hex(
  '02a86288e6c9a669afe1ffa408004500004f2f2640004006877fc0000201c000020285741f90bba2f40b7735e9808018003f844500000101080a74e92fec4b73cfbb' +
    '474554202f20485454502f312e310d0a486f73743a20780d0a0d0a',
);
export const TCP_HTTP_FRAME = patch16(TCP_HTTP_FRAME_WIRE, 14 + 20 + 16, 0x2934);

// (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40) 192.0.2.2.81 > 192.0.2.1.38032:
//   Flags [R.], cksum 0xfdef (correct), seq 0, ack 2699556883, win 0, length 0   (computed by the kernel)
export const TCP_RST_FRAME = hex('a669afe1ffa402a86288e6c9080045000028000040004006b6ccc0000202c00002010051949000000000a0e7f81350140000fdef0000');

// (tos 0x0, ttl 64, id 39511, offset 0, flags [DF], proto UDP (17), length 34) 192.0.2.1.49395 > 192.0.2.2.9999:
//   [bad udp cksum 0x8423 -> 0x4fef!] UDP, length 6
export const UDP_FRAME_WIRE = hex('02a86288e6c9a669afe1ffa40800450000229a57400040111c70c0000201c0000202c0f3270f000e842368656c6c6f0a');
export const UDP_FRAME = patch16(UDP_FRAME_WIRE, 14 + 20 + 6, 0x4fef);

// (tos 0xc0, ttl 64, id 57899, offset 0, flags [none], proto ICMP (1), length 62) 192.0.2.2 > 192.0.2.1:
//   ICMP 192.0.2.2 udp port 9999 unreachable, length 42
//   IP (tos 0x0, ttl 64, id 39511, offset 0, flags [DF], proto UDP (17), length 34) 192.0.2.1.49395 > 192.0.2.2.9999: UDP, length 6
export const ICMP_PORT_UNREACH_FRAME = hex(
  'a669afe1ffa402a86288e6c9080045c0003ee22b0000400113d0c0000202c000020103034cec00000000450000229a57400040111c70c0000201c0000202c0f3270f000e842368656c6c6f0a',
);

// `ping -R -s 8`, the reply (kernel-filled record route, then EOL):
// (tos 0x0, ttl 64, id 47980, offset 0, flags [none], proto ICMP (1), length 76, options (RR 192.0.2.1, 192.0.2.2,
//   192.0.2.2, 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0 0.0.0.0,EOL)) 192.0.2.2 > 192.0.2.1: ICMP echo reply, id 12225, seq 1, length 16
export const IP_RR_REPLY_FRAME = hex(
  '6a5db759ff4fda6f28c45a2308004f00004cbb6c0000400112d4c0000202c0000201072710c0000201c0000202c0000202000000000000000000000000000000000000000000000000000000c42d2fc100010001020304050607',
);
// `ping -T tsonly -s 8`, the reply:
// (… id 47987 …, options (timestamp TS{TSONLY 8622459@ 8622459@ 8622459@ ^ 0@ 0@ 0@ 0@ 0@ 0@})) 192.0.2.2 > 192.0.2.1: ICMP echo reply, id 12226, seq 1, length 16
export const IP_TS_REPLY_FRAME = hex(
  '6a5db759ff4fda6f28c45a2308004f00004cbb73000040012616c0000202c0000201442811000083917b0083917b0083917b0000000000000000000000000000000000000000000000000000c42c2fc200010001020304050607',
);
