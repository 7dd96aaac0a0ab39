/**
 * Large synthetic captures for benchmarks and tests: realistic Ethernet/IPv4 traffic (TCP bulk
 * data with full-MSS segments and timestamp options, pure ACKs, short segments, small UDP
 * datagrams) with valid IPv4 and TCP/UDP checksums, seeded so a run is repeatable.
 *
 * This builds bytes by hand on purpose: it must not depend on src-shared/wire, whose emitters
 * are what the captures help to test and benchmark.
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@shared/sim/random';
import { LINKTYPE_ETHERNET, type WritableRecord } from './types';
import { PcapngWriter, PcapWriter } from './writer';

export interface SyntheticOptions {
  frames: number;
  seed?: number;
  /** First timestamp, seconds since the epoch (default 1700000000). */
  startSec?: number;
}

const MSS = 1448;
const PAYLOAD = new Uint8Array(MSS);
for (let i = 0; i < MSS; i++) PAYLOAD[i] = 0x20 + (i % 95); // printable ASCII, so -X dumps read well
/** prefixWordSum[n] = 16-bit one's-complement partial sum (unfolded) of PAYLOAD[0, n). */
const prefixWordSum = new Float64Array(MSS + 1);
for (let n = 1; n <= MSS; n++) {
  const i = n - 1;
  prefixWordSum[n] = prefixWordSum[n - 1]! + (i % 2 === 0 ? PAYLOAD[i]! << 8 : PAYLOAD[i]!);
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

function sumWords(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((to - from) & 1) s += b[to - 1]! << 8;
  return s;
}

interface Flow {
  client: number;
  server: number;
  clientPort: number;
  serverPort: number;
  seq: number;
  ack: number;
  tsval: number;
  ipId: number;
}

/**
 * Yields synthetic Ethernet frames. Each record's `data` is a view into one reused buffer,
 * valid until the next record (writers copy it at once).
 */
export function* syntheticFrames(opts: SyntheticOptions): Generator<WritableRecord> {
  const rnd = new SeededRandom(opts.seed ?? 1);
  const buf = new Uint8Array(1514);
  const dv = new DataView(buf.buffer);
  const flows: Flow[] = [];
  for (let i = 0; i < 8; i++) {
    flows.push({
      client: 0xc0000201 + (i % 4), // 192.0.2.1..4
      server: 0xc0000264, // 192.0.2.100
      clientPort: 40000 + i * 7,
      // iperf ports: bulk data that no tshark dissector tries to reassemble (80/443 would make
      // tshark buffer the junk payload as HTTP/TLS and measure its reassembly, not its reader).
      serverPort: i % 2 ? 5201 : 5001,
      seq: rnd.u32(),
      ack: rnd.u32(),
      tsval: rnd.u32() >>> 8,
      ipId: rnd.int(65536),
    });
  }
  let sec = opts.startSec ?? 1700000000;
  let nsec = 0;
  const rec: WritableRecord = { data: buf, tsSec: 0, tsNsec: 0 };
  for (let n = 0; n < opts.frames; n++) {
    nsec += 1000 + rnd.int(20000);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    const pick = rnd.int(100);
    const flow = flows[rnd.int(flows.length)]!;
    let frameLen: number;
    if (pick < 90) {
      // TCP with timestamps: 14 + 20 + 32 header bytes. Data flows server -> client.
      const dataLen = pick < 45 ? MSS : pick < 80 ? 0 : 1 + rnd.int(MSS);
      const fromServer = dataLen > 0;
      const src = fromServer ? flow.server : flow.client;
      const dst = fromServer ? flow.client : flow.server;
      const ipLen = 20 + 32 + dataLen;
      frameLen = 14 + ipLen;
      writeEthIp(buf, dv, src, dst, 6, ipLen, flow.ipId++ & 0xffff);
      const t = 34;
      dv.setUint16(t, fromServer ? flow.serverPort : flow.clientPort);
      dv.setUint16(t + 2, fromServer ? flow.clientPort : flow.serverPort);
      dv.setUint32(t + 4, fromServer ? flow.seq : flow.ack);
      dv.setUint32(t + 8, fromServer ? flow.ack : flow.seq + dataLen);
      dv.setUint16(t + 12, (8 << 12) | (dataLen > 0 ? 0x18 : 0x10)); // data offset 8 words; PSH|ACK or ACK
      dv.setUint16(t + 14, 501 + rnd.int(64)); // window
      dv.setUint16(t + 16, 0); // checksum placeholder
      dv.setUint16(t + 18, 0);
      // Options: NOP NOP TS(kind 8, len 10)
      buf[t + 20] = 1;
      buf[t + 21] = 1;
      buf[t + 22] = 8;
      buf[t + 23] = 10;
      flow.tsval = (flow.tsval + 1) >>> 0;
      dv.setUint32(t + 24, flow.tsval);
      dv.setUint32(t + 28, (flow.tsval - 7) >>> 0);
      if (dataLen > 0) {
        buf.set(PAYLOAD.subarray(0, dataLen), t + 32);
        flow.seq = (flow.seq + dataLen) >>> 0;
      }
      // RFC 793 §3.1 checksum: pseudo-header + header + payload (payload sum precomputed).
      let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + 32 + dataLen;
      s += sumWords(buf, t, t + 32) + prefixWordSum[dataLen]!;
      dv.setUint16(t + 16, ~fold(s) & 0xffff || 0xffff);
    } else {
      // UDP datagram to port 12345 (no dissector); frames of 60..512 bytes (payload >= 18, so
      // no Ethernet padding).
      const payloadLen = 18 + rnd.int(512 - 42 - 18 + 1);
      const ipLen = 20 + 8 + payloadLen;
      frameLen = 14 + ipLen;
      writeEthIp(buf, dv, flow.client, 0xc0000235, 17, ipLen, flow.ipId++ & 0xffff);
      const u = 34;
      dv.setUint16(u, 50000 + (n & 0xfff));
      dv.setUint16(u + 2, 12345);
      dv.setUint16(u + 4, 8 + payloadLen);
      dv.setUint16(u + 6, 0);
      buf.set(PAYLOAD.subarray(0, payloadLen), u + 8);
      const src = flow.client;
      const dst = 0xc0000235;
      let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + 8 + payloadLen;
      s += sumWords(buf, u, u + 8) + prefixWordSum[payloadLen]!;
      dv.setUint16(u + 6, ~fold(s) & 0xffff || 0xffff); // RFC 768: 0 is sent as all ones
    }
    rec.data = buf.subarray(0, frameLen);
    rec.tsSec = sec;
    rec.tsNsec = nsec;
    yield rec;
  }
}

function writeEthIp(buf: Uint8Array, dv: DataView, src: number, dst: number, proto: number, ipLen: number, id: number): void {
  // Ethernet II: locally administered MACs derived from the IPv4 addresses.
  dv.setUint16(0, 0x0200);
  dv.setUint32(2, dst);
  dv.setUint16(6, 0x0200);
  dv.setUint32(8, src);
  dv.setUint16(12, 0x0800);
  const ip = 14;
  buf[ip] = 0x45;
  buf[ip + 1] = 0;
  dv.setUint16(ip + 2, ipLen);
  dv.setUint16(ip + 4, id);
  dv.setUint16(ip + 6, 0x4000); // DF
  buf[ip + 8] = 64;
  buf[ip + 9] = proto;
  dv.setUint16(ip + 10, 0);
  dv.setUint32(ip + 12, src);
  dv.setUint32(ip + 16, dst);
  dv.setUint16(ip + 10, ~fold(sumWords(buf, ip, ip + 20)) & 0xffff); // RFC 791 header checksum
}

export interface SyntheticCaptureInfo {
  path: string;
  frames: number;
  bytes: number;
}

/** Writes a synthetic capture (atomically) and returns its size. */
export function writeSyntheticCapture(
  path: string,
  opts: SyntheticOptions & { format: 'pcap' | 'pcapng'; resolution?: 'us' | 'ns' },
): SyntheticCaptureInfo {
  const frames = syntheticFrames(opts);
  const w =
    opts.format === 'pcap'
      ? PcapWriter.create(path, { linkType: LINKTYPE_ETHERNET, resolution: opts.resolution ?? 'us', bufferBytes: 4 << 20 })
      : PcapngWriter.create(path, {
          interfaces: [{ linkType: LINKTYPE_ETHERNET, name: 'synthetic0', tsResolution: opts.resolution ?? 'us' }],
          bufferBytes: 4 << 20,
        });
  try {
    for (const r of frames) w.write(r);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
  return { path, frames: opts.frames, bytes: statSync(path).size };
}

/**
 * A synthetic capture cached under os.tmpdir() (reused while the file exists), for benchmarks:
 * `cachedSyntheticCapture('pcap', 1_000_000)`.
 */
export function cachedSyntheticCapture(
  format: 'pcap' | 'pcapng',
  frames: number,
  opts: { seed?: number; resolution?: 'us' | 'ns' } = {},
): SyntheticCaptureInfo {
  const seed = opts.seed ?? 1;
  const res = opts.resolution ?? 'us';
  // v2: bump when the frame mix changes so stale caches are not reused.
  const path = join(tmpdir(), `tcplab-synthetic-v2-${frames}-${seed}-${res}.${format}`);
  if (existsSync(path)) return { path, frames, bytes: statSync(path).size };
  return writeSyntheticCapture(path, { format, frames, seed, resolution: res });
}
