/**
 * VirtualLink checksum offload (`checksumOffload: true`, off by default), as Linux's lo and veth:
 * the sending stack leaves the TCP checksum partial (the pseudo-header sum, CHECKSUM_PARTIAL) and
 * the receiving stack trusts frames the link vouches for (CHECKSUM_UNNECESSARY), except frames the
 * link corrupted. Compared here with the plain path on the same seeded transfer.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { partialChecksum } from '@shared/wire/checksum';
import { parseTcp, verifyTcpChecksum } from '@shared/wire/tcp';
import { internetChecksum } from '@shared/wire/checksum';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { DeviceWrapper, type Device } from '../../src-main/link/device';
import type { ImpairmentConfig } from '../../src-main/link/impairment';
import { Stack } from '../../src-main/stack/stack';
import { bulkTransfer } from '../support/tcp-transfer';

class PassThrough extends DeviceWrapper {}

interface SentFrame {
  side: 'a' | 'b';
  bytes: Uint8Array;
}

interface Run {
  received: Uint8Array;
  frames: SentFrame[];
  counters: { a: Record<string, number>; b: Record<string, number> };
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}

async function run(opts: { offload: boolean; wrap?: boolean; aToB?: ImpairmentConfig; bytes?: number; seed?: number }): Promise<Run> {
  const clock = new ManualClock(0);
  const random = new SeededRandom(opts.seed ?? 5);
  const link = new VirtualLink({ clock, random: random.fork(), checksumOffload: opts.offload, aToB: { delayMs: 1, ...opts.aToB }, bToA: { delayMs: 1 } });
  const frames: SentFrame[] = [];
  // Record what each side puts on the link (a copy: the frame belongs to the link afterwards).
  for (const [side, dev] of [['a', link.a], ['b', link.b]] as const) {
    const send = dev.send.bind(dev);
    dev.send = (frame, meta) => {
      frames.push({ side, bytes: frame.slice() });
      send(frame, meta);
    };
  }
  const devA: Device = opts.wrap ? new PassThrough(link.a) : link.a;
  const devB: Device = opts.wrap ? new PassThrough(link.b) : link.b;
  const a = new Stack({ clock, random: random.fork() });
  const b = new Stack({ clock, random: random.fork() });
  a.addInterface({ device: devA, ipv4: '192.0.2.1/24' });
  b.addInterface({ device: devB, ipv4: '192.0.2.2/24' });
  const data = pattern(opts.bytes ?? 200_000);
  const received = await bulkTransfer(a, b, clock, data, { recvMax: 1 << 16 });
  expect(received).toEqual(data);
  return { received, frames, counters: { a: a.counters.snapshot(), b: b.counters.snapshot() } };
}

/** The TCP segment of an Ethernet/IPv4 frame, or null. */
function tcpOf(frame: Uint8Array): { seg: Uint8Array; src: number; dst: number; ipHeaderOk: boolean } | null {
  if (frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 6) return null;
  const ihl = (frame[14]! & 15) * 4;
  const total = (frame[16]! << 8) | frame[17]!;
  const u32 = (o: number): number => ((frame[o]! << 24) | (frame[o + 1]! << 16) | (frame[o + 2]! << 8) | frame[o + 3]!) >>> 0;
  return { seg: frame.subarray(14 + ihl, 14 + total), src: u32(26), dst: u32(30), ipHeaderOk: internetChecksum(frame, 14, ihl) === 0 };
}

describe('VirtualLink checksum offload', () => {
  it('is off by default: every TCP segment on the link has a complete checksum', async () => {
    const r = await run({ offload: false });
    const segs = r.frames.map((f) => tcpOf(f.bytes)).filter((x) => x !== null);
    expect(segs.length).toBeGreaterThan(200);
    for (const s of segs) expect(verifyTcpChecksum(s.seg, s.src, s.dst)).toBe(true);
  });

  it('on: segments carry the partial (pseudo-header) sum, the IP header checksum stays complete, and the bytes arrive intact', async () => {
    const r = await run({ offload: true });
    const segs = r.frames.map((f) => tcpOf(f.bytes)).filter((x) => x !== null);
    expect(segs.length).toBeGreaterThan(200);
    for (const s of segs) {
      expect(s.ipHeaderOk).toBe(true);
      const field = (s.seg[16]! << 8) | s.seg[17]!;
      expect(field).toBe(partialChecksum(s.src, s.dst, 6, s.seg.length));
      // What the "hardware" would store: the complement of the sum with the partial value in place.
      const full = internetChecksum(s.seg, 0, s.seg.length);
      const copy = s.seg.slice();
      copy[16] = full >> 8;
      copy[17] = full & 0xff;
      expect(verifyTcpChecksum(copy, s.src, s.dst)).toBe(true);
    }
    expect(r.counters.b['tcp.drop.bad-checksum'] ?? 0).toBe(0);
    expect(r.counters.a['tcp.drop.bad-checksum'] ?? 0).toBe(0);
  });

  it('on: the same seeded transfer sends exactly the same segments as without it, checksums aside', async () => {
    const plain = await run({ offload: false, seed: 9 });
    const fast = await run({ offload: true, seed: 9 });
    const strip = (fs: SentFrame[]) =>
      fs.map((f) => {
        const t = tcpOf(f.bytes);
        if (!t) return `${f.side} non-tcp ${Buffer.from(f.bytes).toString('hex')}`;
        const s = parseTcp(t.seg);
        return `${f.side} ${s.seq} ${s.ack} ${s.flags} ${s.window} ${s.payload.length} ${JSON.stringify(s.options)}`;
      });
    expect(strip(fast.frames)).toEqual(strip(plain.frames));
  });

  it('on, with corruption on the link: corrupted frames are not trusted (dropped by their checksum) and the bytes arrive intact', async () => {
    const r = await run({ offload: true, aToB: { corrupt: 0.02 }, bytes: 400_000 });
    const drops = (r.counters.b['tcp.drop.bad-checksum'] ?? 0) + (r.counters.b['ipv4.drop.bad-checksum'] ?? 0);
    expect(drops).toBeGreaterThan(0);
  });

  it('never behind a wrapper (recorder, tracer, fault injector, a lab capture point): complete checksums there', async () => {
    const r = await run({ offload: true, wrap: true });
    const segs = r.frames.map((f) => tcpOf(f.bytes)).filter((x) => x !== null);
    expect(segs.length).toBeGreaterThan(200);
    for (const s of segs) expect(verifyTcpChecksum(s.seg, s.src, s.dst)).toBe(true);
  });
});
