/**
 * The virtual link's RED-like CE marking (impairment.ts `ceMarking`, RFC 3168 §5): ECN-capable
 * packets are marked CE above the queue threshold, others are dropped; the IPv4 header stays valid.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { emitIpv4, parseIpv4Packet } from '@shared/wire/ipv4';
import { emitEthernet, ETHERTYPE_IPV4 } from '@shared/wire/ethernet';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { markCe, validateImpairment, type ImpairmentConfig } from '../../src-main/link/impairment';

const SRC = 0xc0000201;
const DST = 0xc0000202;

function ipFrame(ecn: number, i: number, size = 1000): Uint8Array {
  const payload = new Uint8Array(size);
  payload[0] = i & 0xff;
  payload[1] = i >> 8;
  const ip = emitIpv4({ src: SRC, dst: DST, protocol: 17, ecn, identification: i }, payload);
  return emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: ETHERTYPE_IPV4 }, ip);
}

/** Sends `n` back-to-back frames into a 1 Mbit/s queue marking from `minBytes`; returns what arrived. */
function burst(ecn: number, cfg: ImpairmentConfig['ceMarking'], n = 40, seed = 1) {
  const clock = new ManualClock(0);
  const link = new VirtualLink({ clock, random: new SeededRandom(seed), aToB: { bandwidthBps: 1e6, queueLimitBytes: 1e6, ceMarking: cfg } });
  const got: { i: number; ecn: number; checksumValid: boolean }[] = [];
  link.b.onReceive((f) => {
    const { repr, payload } = parseIpv4Packet(f, 14);
    got.push({ i: payload[0]! | (payload[1]! << 8), ecn: repr.ecn, checksumValid: repr.checksumValid });
  });
  const sent: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = ipFrame(ecn, i);
    sent.push(f);
    link.a.send(f);
  }
  clock.runUntilIdle();
  return { got, stats: link.a.stats(), sent };
}

describe('CE marking (RED-like AQM, RFC 3168 §5)', () => {
  it('a step threshold marks every ECT packet that finds the queue at or above it, and nothing below', () => {
    const { got, stats, sent } = burst(2, { minBytes: 10_000 });
    expect(got).toHaveLength(40);
    expect(got.every((g) => g.checksumValid)).toBe(true);
    // Frames are 1034 bytes; the queue holds i·1034 bytes when frame i joins it.
    const expected = got.map((g) => (g.i * 1034 >= 10_000 ? 3 : 2));
    expect(got.map((g) => g.ecn)).toEqual(expected);
    expect(stats.extra?.['ce-marked']).toBe(expected.filter((e) => e === 3).length);
    // The sender's frames are not modified in place.
    expect(sent.every((f) => (f[15]! & 3) === 2)).toBe(true);
  });

  it('drops Not-ECT packets it would have marked (or passes them with dropNotEct: false)', () => {
    const dropped = burst(0, { minBytes: 10_000 });
    const signalled = 40 - 10; // frames 10..39 find ≥ 10 000 bytes waiting
    expect(dropped.got).toHaveLength(40 - signalled);
    expect(dropped.stats.drops['aqm-not-ect']).toBe(signalled);
    const kept = burst(0, { minBytes: 10_000, dropNotEct: false });
    expect(kept.got).toHaveLength(40);
    expect(kept.got.every((g) => g.ecn === 0)).toBe(true);
  });

  it('between the thresholds it marks with a rising, seeded probability', () => {
    const a = burst(1, { minBytes: 5_000, maxBytes: 60_000, maxProbability: 0.5 }, 60, 7);
    const b = burst(1, { minBytes: 5_000, maxBytes: 60_000, maxProbability: 0.5 }, 60, 7);
    expect(a.got.map((g) => g.ecn)).toEqual(b.got.map((g) => g.ecn));
    const early = a.got.filter((g) => g.i < 5).every((g) => g.ecn === 1);
    const marked = a.got.filter((g) => g.ecn === 3).length;
    expect(early).toBe(true);
    expect(marked).toBeGreaterThan(3);
    expect(marked).toBeLessThan(50);
  });

  it('markCe: CE stays CE, non-IPv4 and Not-ECT are not capable, and bad settings are refused', () => {
    const ce = ipFrame(3, 1);
    expect(markCe(ce)).toBeUndefined();
    expect(markCe(ipFrame(0, 1))).toBeNull();
    expect(markCe(new Uint8Array(20))).toBeNull();
    const m = markCe(ipFrame(2, 1))!;
    expect(parseIpv4Packet(m, 14).repr.ecn).toBe(3);
    expect(parseIpv4Packet(m, 14).repr.checksumValid).toBe(true);
    expect(() => validateImpairment({ ceMarking: { minBytes: 10, maxBytes: 5 } })).toThrow(/maxBytes/);
    expect(() => validateImpairment({ ceMarking: { minBytes: 10, maxProbability: 2 } })).toThrow(/maxProbability/);
  });
});
