import { describe, expect, it } from 'vitest';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { ProbeBus, type ProbeEvent } from '@shared/model/probe';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { FaultInjector } from '../../src-main/link/fault-injector';
import { Tracer } from '../../src-main/link/tracer';
import { PcapngRecorder } from '../../src-main/link/pcapng-recorder';
import { emptyStats, type Device, type FrameListener } from '../../src-main/link/device';
import type { ImpairmentConfig } from '../../src-main/link/impairment';
import { MemorySink, PcapngWriter } from '../../src-main/capture/writer';
import { readCaptureSync } from '../../src-main/capture/reader';

function frame(i: number, len = 100): Uint8Array {
  const f = new Uint8Array(len);
  f[14] = i & 0xff;
  f[15] = (i >> 8) & 0xff;
  return f;
}
const idOf = (f: Uint8Array) => f[14]! | (f[15]! << 8);

/** Sends n frames a→b, one every `gapMs`, and returns what b received (ids, times). */
function run(cfg: ImpairmentConfig, n: number, seed = 1, gapMs = 1) {
  const clock = new ManualClock(0);
  const link = new VirtualLink({ clock, random: new SeededRandom(seed), aToB: cfg });
  const got: { id: number; t: number; bytes: Uint8Array }[] = [];
  link.b.onReceive((f, m) => got.push({ id: idOf(f), t: m.t, bytes: f }));
  for (let i = 0; i < n; i++) {
    clock.advanceTo(i * gapMs);
    link.a.send(frame(i));
  }
  clock.runUntilIdle();
  return { got, stats: link.a.stats(), link };
}

describe('virtual link', () => {
  it('delivers in order after the propagation delay, never synchronously', () => {
    const clock = new ManualClock(0);
    const link = new VirtualLink({ clock, random: new SeededRandom(1), aToB: { delayMs: 10 } });
    const got: number[] = [];
    link.b.onReceive((_f, m) => got.push(m.t));
    link.a.send(frame(0));
    expect(got).toEqual([]);
    clock.advanceBy(9);
    expect(got).toEqual([]);
    clock.advanceBy(1);
    expect(got).toEqual([10]);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const cfg = { loss: 0.2, jitterMs: 3, duplicate: 0.05, reorder: 0.05, corrupt: 0.05, delayMs: 2 };
    const a = run(cfg, 500, 7).got.map((g) => `${g.id}@${g.t}`);
    const b = run(cfg, 500, 7).got.map((g) => `${g.id}@${g.t}`);
    const c = run(cfg, 500, 8).got.map((g) => `${g.id}@${g.t}`);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('Bernoulli loss drops about p of the frames and counts them', () => {
    const { got, stats } = run({ loss: 0.1 }, 10_000);
    expect(stats.drops.loss).toBe(10_000 - got.length);
    expect(got.length).toBeGreaterThan(8_800);
    expect(got.length).toBeLessThan(9_200);
  });

  it('Gilbert–Elliott loss comes in bursts', () => {
    // Mean bad-state sojourn 1/0.25 = 4 frames; stationary P(bad) = 0.02 / 0.27 ≈ 7.4 %.
    const { got } = run({ gilbertElliott: { pGoodToBad: 0.02, pBadToGood: 0.25 } }, 20_000);
    const received = new Set(got.map((g) => g.id));
    const runs: number[] = [];
    let current = 0;
    for (let i = 0; i < 20_000; i++) {
      if (!received.has(i)) current++;
      else if (current > 0) {
        runs.push(current);
        current = 0;
      }
    }
    const lost = 20_000 - got.length;
    const meanBurst = lost / runs.length;
    expect(lost / 20_000).toBeGreaterThan(0.05);
    expect(lost / 20_000).toBeLessThan(0.1);
    expect(meanBurst).toBeGreaterThan(3); // Bernoulli at 7 % would give ≈ 1.08
  });

  it('bandwidth serialises frames; the queue tail-drops past its limit', () => {
    // 8 Mbit/s: a 100-byte frame is (100 + 24) * 8 bits = 124 µs on the wire.
    const { got, stats } = run({ bandwidthBps: 8_000_000, queueLimitFrames: 10 }, 50, 1, 0);
    expect(got.length).toBe(10);
    expect(stats.drops['queue-full']).toBe(40);
    expect(got[0]!.t).toBeCloseTo(0.124, 6);
    expect(got[9]!.t).toBeCloseTo(1.24, 6);
  });

  it('duplicates, reorders and corrupts as configured', () => {
    const dup = run({ duplicate: 1 }, 10);
    expect(dup.got.length).toBe(20);
    expect(dup.stats.extra?.duplicated).toBe(10);

    const reordered = run({ reorder: 0.3, reorderDelayMs: 5, delayMs: 1 }, 200);
    const ids = reordered.got.map((g) => g.id);
    expect(ids.some((id, i) => i > 0 && id < ids[i - 1]!)).toBe(true);
    expect(new Set(ids).size).toBe(200);

    const corrupted = run({ corrupt: 1 }, 20);
    expect(corrupted.got.length).toBe(20);
    corrupted.got.forEach((g, i) => {
      const original = frame(i); // corruption neither drops nor reorders: i-th in = i-th out
      const flipped = [...g.bytes].reduce((n, b, k) => n + popcount(b ^ original[k]!), 0);
      expect(flipped).toBe(1); // exactly one bit, never in the Ethernet header
      expect([...g.bytes.subarray(0, 14)].every((b) => b === 0)).toBe(true);
    });
  });

  it('rejects impossible settings with the field name', () => {
    expect(() => new VirtualLink({ clock: new ManualClock(), random: new SeededRandom(1), aToB: { loss: 2 } })).toThrow(/loss/);
    expect(() => new VirtualLink({ clock: new ManualClock(), random: new SeededRandom(1), aToB: { delayMs: -1 } })).toThrow(/delayMs/);
  });
});

function popcount(b: number): number {
  let n = 0;
  for (; b; b &= b - 1) n++;
  return n;
}

/** A device that loops nothing: records sends, lets the test inject receives. */
class StubDevice implements Device {
  readonly name = 'stub0';
  readonly mtu = 1500;
  readonly mac = null;
  sent: Uint8Array[] = [];
  listener: FrameListener | null = null;
  closed = false;
  send(f: Uint8Array): void {
    this.sent.push(f);
  }
  onReceive(l: FrameListener | null): void {
    this.listener = l;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  stats() {
    return emptyStats();
  }
}

describe('fault injector', () => {
  it('passes frames straight through when no impairment is set', () => {
    const clock = new ManualClock();
    const stub = new StubDevice();
    const fi = new FaultInjector(stub, { clock, random: new SeededRandom(1) });
    const got: Uint8Array[] = [];
    fi.onReceive((f) => got.push(f));
    fi.send(frame(1));
    stub.listener!(frame(2), { t: 0 });
    expect(stub.sent.length).toBe(1);
    expect(got.length).toBe(1);
  });

  it('impairs each direction on its own and names its drops', () => {
    const clock = new ManualClock();
    const stub = new StubDevice();
    const fi = new FaultInjector(stub, { clock, random: new SeededRandom(1), tx: { loss: 1 }, rx: { delayMs: 20 } });
    const got: number[] = [];
    fi.onReceive((_f, m) => got.push(m.t));
    fi.send(frame(1));
    stub.listener!(frame(2), { t: 0 });
    expect(stub.sent.length).toBe(0);
    expect(got).toEqual([]);
    clock.advanceBy(20);
    expect(got).toEqual([20]);
    expect(fi.stats().drops['fault-tx-loss']).toBe(1);
  });
});

describe('tracer', () => {
  it('publishes frame-in/frame-out and chains causes through it', () => {
    const clock = new ManualClock(5);
    const probes = new ProbeBus();
    const events: ProbeEvent[] = [];
    probes.subscribe((e) => events.push(e));
    const stub = new StubDevice();
    const tr = new Tracer(stub, probes, clock);
    let upCause: number | undefined;
    tr.onReceive((_f, m) => (upCause = m.causeId));
    stub.listener!(frame(1), { t: 5 });
    tr.send(frame(2), { causeId: 77 });
    expect(events.map((e) => [e.kind, e.data.bytes, e.causeId])).toEqual([
      ['frame-in', 100, undefined],
      ['frame-out', 100, 77],
    ]);
    expect(upCause).toBe(events[0]!.id);
  });
});

describe('pcapng recorder', () => {
  it('writes every frame with direction flags and cause comments, and closes the writer', async () => {
    const clock = new ManualClock(0);
    const sink = new MemorySink();
    const writer = new PcapngWriter(sink, { interfaces: [{ linkType: 1, name: 'stub0' }] });
    const stub = new StubDevice();
    const rec = new PcapngRecorder(stub, writer, { clock, epochOffsetMs: 1_700_000_000_000 });
    rec.onReceive(() => {});
    stub.listener!(frame(1, 60), { t: 0 });
    clock.advanceBy(1.5);
    rec.comment('loss starts here');
    rec.send(frame(2, 70), { causeId: 12 });
    await rec.close();
    expect(stub.closed).toBe(true);
    const { records, error } = readCaptureSync(sink.bytes());
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.capturedLength, r.flags, r.comments ?? []])).toEqual([
      [60, 1, []],
      [70, 2, ['loss starts here', 'cause #12']],
    ]);
    const ms = (r: { tsSec: number; tsNsec: number }) => r.tsSec * 1000 + r.tsNsec / 1e6;
    expect(ms(records[1]!) - ms(records[0]!)).toBeCloseTo(1.5, 3);
    expect(records[0]!.tsSec).toBe(1_700_000_000);
  });
});
