/**
 * Generates the bundled demo capture, resources/demo/tcp-demo.pcapng: ARP, then one TCP
 * connection from the three-way handshake (MSS, SACK-permitted, timestamps, window scale) through
 * an HTTP GET and a 6 kB response with delayed ACKs to the four-way close, between two TEST-NET-1
 * hosts with a 10 ms round trip. Deterministic: the same bytes every run.
 *
 *   npx tsx scripts/make-demo-capture.ts [OUT]
 */
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../src-shared/wire/ethernet';
import { emitArp, ARP_REPLY, ARP_REQUEST } from '../src-shared/wire/arp';
import { emitIpv4, IPPROTO_TCP } from '../src-shared/wire/ipv4';
import { emitTcp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, type TcpOption } from '../src-shared/wire/tcp';
import { parseIpv4 } from '../src-shared/wire/address';
import { PcapngWriter } from '../src-main/capture/writer';
import type { WritableRecord } from '../src-main/capture/types';
import { LINKTYPE_ETHERNET } from '../src-main/capture/types';

const CLIENT = { mac: '02:00:00:00:00:02', ip: parseIpv4('192.0.2.2'), port: 51514 };
const SERVER = { mac: '02:00:00:00:00:01', ip: parseIpv4('192.0.2.1'), port: 80 };
const ONE_WAY_US = 5_000;
const START_US = 1_763_798_400_000_000; // 2025-11-22 08:00:00 UTC

type Host = typeof CLIENT;
const records: WritableRecord[] = [];
const ipId = { client: 0x1c46, server: 0x7a10 };

function push(tUs: number, frame: Uint8Array, comment?: string): void {
  const abs = START_US + tUs;
  records.push({
    data: frame,
    tsSec: Math.floor(abs / 1e6),
    tsNsec: (abs % 1e6) * 1000,
    comments: comment ? [comment] : undefined,
  });
}

function tcp(
  tUs: number,
  from: Host,
  to: Host,
  seg: { seq: number; ack: number; flags: number; window: number; options?: TcpOption[]; payload?: Uint8Array },
  comment?: string,
): void {
  const segment = emitTcp({ srcPort: from.port, dstPort: to.port, ...seg }, from.ip, to.ip);
  const isClient = from === CLIENT;
  const id = isClient ? ipId.client++ : ipId.server++;
  const ip = emitIpv4({ src: from.ip, dst: to.ip, protocol: IPPROTO_TCP, ttl: 64, identification: id, dontFragment: true }, segment);
  push(tUs, emitEthernet({ src: from.mac, dst: to.mac, etherType: ETHERTYPE_IPV4 }, ip), comment);
}

const ts = (tUs: number) => Math.floor(tUs / 1000) + 100_000; // a 1 ms timestamp clock
const text = (s: string) => new TextEncoder().encode(s);

// ARP: the client resolves the server.
push(0, emitEthernet({ src: CLIENT.mac, dst: 'ff:ff:ff:ff:ff:ff', etherType: ETHERTYPE_ARP }, emitArp({ op: ARP_REQUEST, senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetMac: '00:00:00:00:00:00', targetIp: SERVER.ip })), 'ARP: who has 192.0.2.1?');
push(ONE_WAY_US * 2 - 4_000, emitEthernet({ src: SERVER.mac, dst: CLIENT.mac, etherType: ETHERTYPE_ARP }, emitArp({ op: ARP_REPLY, senderMac: SERVER.mac, senderIp: SERVER.ip, targetMac: CLIENT.mac, targetIp: CLIENT.ip })));

const cIsn = 0x3a1f0c00;
const sIsn = 0x9b4e7200;
let t = 10_000;
const synOpts = (tsval: number, tsecr: number): TcpOption[] => [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval, tsecr },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];
const tsOpt = (tsval: number, tsecr: number): TcpOption[] => [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval, tsecr }];

// Three-way handshake (RFC 9293 §3.5).
tcp(t, CLIENT, SERVER, { seq: cIsn, ack: 0, flags: TCP_SYN, window: 64240, options: synOpts(ts(t), 0) }, 'SYN: the client opens (SYN-SENT)');
const tSynAck = t + ONE_WAY_US;
tcp(tSynAck, SERVER, CLIENT, { seq: sIsn, ack: cIsn + 1, flags: TCP_SYN | TCP_ACK, window: 65160, options: synOpts(ts(tSynAck), ts(t)) }, 'SYN-ACK (SYN-RECEIVED)');
t = tSynAck + ONE_WAY_US;
tcp(t, CLIENT, SERVER, { seq: cIsn + 1, ack: sIsn + 1, flags: TCP_ACK, window: 502, options: tsOpt(ts(t), ts(tSynAck)) }, 'ACK: both ESTABLISHED');

// HTTP request.
const request = text('GET /bytes/6000 HTTP/1.1\r\nHost: 192.0.2.1\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n');
t += 200;
tcp(t, CLIENT, SERVER, { seq: cIsn + 1, ack: sIsn + 1, flags: TCP_PSH | TCP_ACK, window: 502, payload: request, options: tsOpt(ts(t), ts(tSynAck)) }, 'HTTP GET');
const tReq = t + ONE_WAY_US;
const cNext = cIsn + 1 + request.length;

// HTTP response: headers + 6000 bytes in MSS-sized segments (1448 with timestamps).
const headers = text('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 6000\r\n\r\n');
const body = new Uint8Array(6000).map((_, i) => 0x41 + (i % 26));
const response = new Uint8Array(headers.length + body.length);
response.set(headers);
response.set(body, headers.length);
let sNext = sIsn + 1;
let tSend = tReq + 300;
const sent: { end: number; at: number }[] = [];
for (let off = 0; off < response.length; off += 1448) {
  const chunk = response.subarray(off, Math.min(off + 1448, response.length));
  const last = off + 1448 >= response.length;
  tcp(tSend, SERVER, CLIENT, { seq: sNext, ack: cNext, flags: TCP_ACK | (last ? TCP_PSH : 0), window: 509, payload: chunk, options: tsOpt(ts(tSend), ts(t)) }, off === 0 ? 'HTTP 200 OK: the response begins' : undefined);
  sNext += chunk.length;
  sent.push({ end: sNext, at: tSend });
  tSend += 120; // serialisation at ~100 Mbit/s
}
// The client ACKs every second full segment (RFC 9293 §3.8.6.3 delayed ACK), and the last at once (PSH).
for (let i = 1; i < sent.length; i += 2) {
  const at = sent[i]!.at + ONE_WAY_US + 50;
  tcp(at, CLIENT, SERVER, { seq: cNext, ack: sent[i]!.end, flags: TCP_ACK, window: 501, options: tsOpt(ts(at), ts(sent[i]!.at)) }, i === 1 ? 'delayed ACK: one ACK for two segments' : undefined);
}
if (sent.length % 2 === 1) {
  const lastSeg = sent[sent.length - 1]!;
  const at = lastSeg.at + ONE_WAY_US + 40_000;
  tcp(at, CLIENT, SERVER, { seq: cNext, ack: lastSeg.end, flags: TCP_ACK, window: 501, options: tsOpt(ts(at), ts(lastSeg.at)) }, 'the odd segment out waits for the delayed-ACK timer');
}

// Four-way close (RFC 9293 §3.6): the client closes first and ends in TIME-WAIT.
t = tSend + ONE_WAY_US + 60_000;
tcp(t, CLIENT, SERVER, { seq: cNext, ack: sNext, flags: TCP_FIN | TCP_ACK, window: 501, options: tsOpt(ts(t), ts(tSend)) }, 'FIN: the client closes (FIN-WAIT-1)');
const tFinArr = t + ONE_WAY_US;
tcp(tFinArr + 100, SERVER, CLIENT, { seq: sNext, ack: cNext + 1, flags: TCP_ACK, window: 509, options: tsOpt(ts(tFinArr), ts(t)) }, 'ACK of FIN (server CLOSE-WAIT, client FIN-WAIT-2)');
const tSrvFin = tFinArr + 2_000;
tcp(tSrvFin, SERVER, CLIENT, { seq: sNext, ack: cNext + 1, flags: TCP_FIN | TCP_ACK, window: 509, options: tsOpt(ts(tSrvFin), ts(t)) }, 'FIN: the server closes (LAST-ACK)');
const tLast = tSrvFin + ONE_WAY_US;
tcp(tLast, CLIENT, SERVER, { seq: cNext + 1, ack: sNext + 1, flags: TCP_ACK, window: 501, options: tsOpt(ts(tLast), ts(tSrvFin)) }, 'last ACK: client TIME-WAIT, server CLOSED');

records.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
const out = process.argv[2] ?? new URL('../resources/demo/tcp-demo.pcapng', import.meta.url).pathname;
const writer = PcapngWriter.create(out, {
  comments: ['tcplab demo: one TCP connection, handshake to close, between TEST-NET-1 hosts'],
  interfaces: [{ linkType: LINKTYPE_ETHERNET, name: 'demo0', tsResolution: 'us' }],
});
for (const r of records) writer.write(r);
writer.close();
console.log(`${out}: ${records.length} frames`);
