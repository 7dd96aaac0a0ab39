import { describe, expect, it } from 'vitest';
import { createCongestionControl, initialWindowBytes, type AckSample, type CongestionControl } from '../../src-main/stack/tcp/congestion';
import { CubicCongestion } from '../../src-main/stack/tcp/congestion/cubic';
import { VegasCongestion } from '../../src-main/stack/tcp/congestion/vegas';

const MSS = 1000;
const ack = (now: number, ackedBytes: number, extra: Partial<AckSample> = {}): AckSample => ({
  now,
  ackedBytes,
  flightSize: 0,
  mss: MSS,
  appLimited: false,
  ...extra,
});

describe('initial window', () => {
  it('RFC 5681 §3.1: min(4*SMSS, max(2*SMSS, 4380))', () => {
    expect(initialWindowBytes(1460)).toBe(4380);
    expect(initialWindowBytes(536)).toBe(2144);
    expect(initialWindowBytes(1095)).toBe(4380);
    expect(initialWindowBytes(2190)).toBe(4380);
    expect(initialWindowBytes(3000)).toBe(6000);
  });
  it('RFC 6928: min(10*SMSS, max(2*SMSS, 14600)) and a fixed number of segments', () => {
    expect(initialWindowBytes(1460, 'rfc6928')).toBe(14600);
    expect(initialWindowBytes(9000, 'rfc6928')).toBe(18000);
    expect(initialWindowBytes(1000, 1)).toBe(1000);
    const cc = createCongestionControl('cubic', { initialWindow: 'rfc6928' });
    cc.init(1460, 0);
    expect(cc.cwnd).toBe(14600);
    expect(cc.ssthresh).toBe(Infinity);
  });
  it('rejects unknown names', () => {
    expect(() => createCongestionControl('bbr' as never)).toThrow(/unknown congestion control 'bbr'/);
  });
});

describe('Reno: slow start and congestion avoidance with ABC (RFC 3465)', () => {
  it('slow start grows by the bytes ACKed, at most L = 2 SMSS per ACK', () => {
    const cc = createCongestionControl('reno');
    cc.init(MSS, 0);
    expect(cc.cwnd).toBe(4000);
    cc.onAck(ack(1, 500));
    expect(cc.cwnd).toBe(4500);
    cc.onAck(ack(2, 3 * MSS)); // a stretch ACK of three segments: capped at 2 SMSS
    expect(cc.cwnd).toBe(6500);
    cc.onAck(ack(3, 2 * MSS, { appLimited: true })); // not cwnd-limited: no growth
    expect(cc.cwnd).toBe(6500);
  });

  it('a delayed-ACK receiver (one ACK per two segments) still doubles cwnd per RTT', () => {
    const cc = createCongestionControl('newreno');
    cc.init(MSS, 0);
    const start = cc.cwnd;
    const acks = start / (2 * MSS);
    for (let i = 0; i < acks; i++) cc.onAck(ack(i, 2 * MSS));
    expect(cc.cwnd).toBe(2 * start);
  });

  it('congestion avoidance adds one SMSS per cwnd bytes ACKed (bytes_acked counter)', () => {
    const cc = createCongestionControl('reno');
    cc.init(MSS, 0);
    cc.onRto({ now: 0, flightSize: 20 * MSS, mss: MSS }); // ssthresh = 10 SMSS, cwnd = 1 SMSS
    expect(cc.ssthresh).toBe(10 * MSS);
    expect(cc.cwnd).toBe(MSS);
    // Slow start up to ssthresh: 1 → 2 → 4 → 8 → 10 (capped at ssthresh, rest counted in CA).
    for (let i = 0; i < 9; i++) cc.onAck(ack(i, MSS));
    expect(cc.cwnd).toBe(10 * MSS);
    const snap = () => cc.snapshot()['bytesAcked'] as number;
    expect(snap()).toBe(0);
    for (let i = 0; i < 9; i++) cc.onAck(ack(10 + i, MSS));
    expect(cc.cwnd).toBe(10 * MSS);
    expect(snap()).toBe(9 * MSS);
    cc.onAck(ack(20, MSS));
    expect(cc.cwnd).toBe(11 * MSS);
    expect(snap()).toBe(0);
  });

  it('fast recovery: ssthresh = max(FlightSize/2, 2 SMSS), cwnd = ssthresh + 3 SMSS, inflation, partial-ACK deflation, exit', () => {
    const cc = createCongestionControl('newreno');
    cc.init(MSS, 0);
    cc.onEnterRecovery({ now: 0, flightSize: 20 * MSS, mss: MSS, cause: 'fast-retransmit' });
    expect(cc.ssthresh).toBe(10 * MSS);
    expect(cc.cwnd).toBe(13 * MSS);
    cc.onDupAck({ now: 1, mss: MSS, inRecovery: true });
    cc.onDupAck({ now: 2, mss: MSS, inRecovery: true });
    expect(cc.cwnd).toBe(15 * MSS);
    // Partial ACK of 4 segments: deflate by 4 SMSS, add back 1 SMSS (RFC 6582 §3.2 step 5).
    cc.onRecoveryAck!({ ...ack(3, 4 * MSS) });
    expect(cc.cwnd).toBe(12 * MSS);
    cc.onExitRecovery({ now: 4, flightSize: 12 * MSS, mss: MSS });
    expect(cc.cwnd).toBe(10 * MSS);
    // A tiny flight after the full ACK limits the burst: min(ssthresh, max(FlightSize, SMSS) + SMSS).
    cc.onEnterRecovery({ now: 5, flightSize: 20 * MSS, mss: MSS, cause: 'fast-retransmit' });
    cc.onExitRecovery({ now: 6, flightSize: 0, mss: MSS });
    expect(cc.cwnd).toBe(2 * MSS);
    // Small flight: ssthresh never below 2 SMSS.
    cc.onEnterRecovery({ now: 7, flightSize: 3 * MSS, mss: MSS, cause: 'fast-retransmit' });
    expect(cc.ssthresh).toBe(2 * MSS);
  });

  it('SACK recovery and ECN do not inflate: cwnd = ssthresh (RFC 6675 §5, RFC 3168 §6.1.2)', () => {
    for (const cause of ['fast-retransmit', 'ecn'] as const) {
      const cc = createCongestionControl('reno');
      cc.init(MSS, 0);
      cc.onEnterRecovery({ now: 0, flightSize: 16 * MSS, mss: MSS, cause, sack: true });
      expect(cc.cwnd).toBe(8 * MSS);
      cc.onDupAck({ now: 1, mss: MSS, inRecovery: true });
      cc.onRecoveryAck!({ ...ack(2, 3 * MSS), sack: true });
      expect(cc.cwnd).toBe(8 * MSS);
    }
  });

  it("Reno's sawtooth: halve at each loss, +1 SMSS per RTT, period W/2 round trips", () => {
    // Each round trip ACKs one cwnd of data, one ACK per segment. A loss happens whenever the
    // window would exceed W = 40 segments (a path that holds 40 segments).
    const cc = createCongestionControl('reno');
    cc.init(MSS, 0);
    const W = 40;
    const lossRounds: number[] = [];
    const perRound: number[] = [];
    for (let round = 0; round < 200; round++) {
      const w = cc.cwnd;
      perRound.push(w / MSS);
      if (w > W * MSS) {
        cc.onEnterRecovery({ now: round, flightSize: w, mss: MSS, cause: 'fast-retransmit' });
        cc.onExitRecovery({ now: round, flightSize: w, mss: MSS });
        lossRounds.push(round);
        continue;
      }
      for (let i = 0; i < w / MSS; i++) cc.onAck(ack(round, MSS, { flightSize: w }));
    }
    expect(lossRounds.length).toBeGreaterThan(5);
    // After the first loss the cycle is regular: from 41 down to 20, then +1 per round up to 41.
    const gaps = lossRounds.slice(2).map((r, i) => r - lossRounds[i + 1]!);
    for (const g of gaps) expect(g).toBe(gaps[0]);
    expect(gaps[0]).toBeGreaterThanOrEqual(W / 2);
    expect(gaps[0]).toBeLessThanOrEqual(W / 2 + 2);
    const last = lossRounds[lossRounds.length - 1]!;
    const prev = lossRounds[lossRounds.length - 2]!;
    const cycle = perRound.slice(prev + 1, last + 1);
    // Halved to about (W + 1)/2, then exactly one SMSS more per round trip.
    expect(cycle[0]).toBeGreaterThanOrEqual(20);
    expect(cycle[0]).toBeLessThanOrEqual(21);
    for (let i = 1; i < cycle.length; i++) expect(cycle[i]! - cycle[i - 1]!).toBeCloseTo(1, 9);
  });
});

describe('CUBIC (RFC 9438)', () => {
  it('K and W_cubic(t) at fixed points (C = 0.4, β = 0.7)', () => {
    const cc = new CubicCongestion();
    cc.init(MSS, 0);
    // Drive cwnd to 100 segments, then a loss.
    cc.onRto({ now: 0, flightSize: 400 * MSS, mss: MSS }); // ssthresh 200 segments, cwnd 1
    while (cc.cwnd < 100 * MSS) cc.onAck(ack(0, Math.min(MSS, 100 * MSS - cc.cwnd)));
    expect(cc.cwnd).toBe(100 * MSS);
    cc.onEnterRecovery({ now: 0, flightSize: 100 * MSS, mss: MSS, cause: 'fast-retransmit', sack: true });
    expect(cc.wMax).toBeCloseTo(100, 9);
    expect(cc.ssthresh).toBe(70 * MSS);
    expect(cc.cwnd).toBe(70 * MSS);
    // K = ∛(W_max(1−β)/C) = ∛(100·0.3/0.4) = ∛75
    expect(cc.k).toBeCloseTo(Math.cbrt(75), 9);
    expect(cc.k).toBeCloseTo(4.2172, 4);
    expect(cc.wCubicAt(0)).toBeCloseTo(70, 9);
    expect(cc.wCubicAt(cc.k)).toBeCloseTo(100, 9);
    expect(cc.wCubicAt(2 * cc.k)).toBeCloseTo(130, 9);
    expect(cc.wCubicAt(1)).toBeCloseTo(0.4 * (1 - Math.cbrt(75)) ** 3 + 100, 9);
  });

  function driveCubic(cc: CubicCongestion, fromMs: number, toMs: number, rttMs: number, trace?: (t: number) => void): void {
    for (let t = fromMs; t < toMs; t += rttMs) {
      const segs = Math.max(1, Math.floor(cc.cwnd / MSS));
      for (let i = 0; i < segs; i++) cc.onAck(ack(t + (i * rttMs) / segs, MSS, { rttMs, flightSize: cc.cwnd }));
      trace?.(t + rttMs);
    }
  }

  function cubicAfterLossAt(wmaxSeg: number): CubicCongestion {
    const cc = new CubicCongestion();
    cc.init(MSS, 0);
    cc.onRto({ now: 0, flightSize: 4 * wmaxSeg * MSS, mss: MSS });
    while (cc.cwnd < wmaxSeg * MSS) cc.onAck(ack(0, Math.min(MSS, wmaxSeg * MSS - cc.cwnd)));
    cc.onEnterRecovery({ now: 0, flightSize: wmaxSeg * MSS, mss: MSS, cause: 'fast-retransmit', sack: true });
    cc.onExitRecovery({ now: 0, flightSize: wmaxSeg * MSS, mss: MSS });
    return cc;
  }

  it('the window follows W_cubic(t): concave up to W_max at t ≈ K, then convex', () => {
    const cc = cubicAfterLossAt(100);
    const rtt = 100;
    const samples: { t: number; w: number }[] = [];
    driveCubic(cc, 0, 8000, rtt, (t) => samples.push({ t, w: cc.cwnd / MSS }));
    const k = Math.cbrt(75);
    const at = (sec: number) => samples.find((s) => s.t >= sec * 1000)!.w;
    // Epoch started at the first ACK (t = 0); cwnd tracks W_cubic(t) within one segment.
    for (const sec of [0.5, 1, 2, 3, k, 5, 5.5]) {
      const expected = 0.4 * (sec - k) ** 3 + 100;
      expect(Math.abs(at(sec) - expected)).toBeLessThan(1);
    }
    expect(at(3)).toBeLessThan(100);
    expect(at(5.5)).toBeGreaterThan(100);
    // Later W_est (α = 1 once past cwnd_prior, +1 segment per 100 ms RTT) overtakes the slow
    // convex start and the Reno-friendly region takes over, as RFC 9438 §4.3 intends.
    expect(cc.snapshot()['region']).toBe('reno-friendly');
    // Plateau: around K the growth per second is smallest.
    const growth = (a: number, b: number) => at(b) - at(a);
    expect(growth(k - 0.5, k + 0.5)).toBeLessThan(growth(0, 1));
    expect(growth(k - 0.5, k + 0.5)).toBeLessThan(growth(6, 7));
  });

  it('fast convergence lowers W_max when a loss comes below the previous maximum', () => {
    const cc = cubicAfterLossAt(100);
    driveCubic(cc, 0, 1000, 100); // grows from 70 toward 100, still below it
    const w = cc.cwnd / MSS;
    expect(w).toBeLessThan(100);
    cc.onEnterRecovery({ now: 1000, flightSize: cc.cwnd, mss: MSS, cause: 'fast-retransmit', sack: true });
    expect(cc.wMax).toBeCloseTo((w * 1.7) / 2, 2);
    expect(cc.snapshot()['epochStart']).toBeNull();
    const off = new CubicCongestion({ fastConvergence: false });
    off.init(MSS, 0);
    off.onEnterRecovery({ now: 0, flightSize: 4 * MSS, mss: MSS, cause: 'fast-retransmit', sack: true });
    expect(off.wMax).toBeCloseTo(4, 9);
  });

  it('Reno-friendly region: on a short RTT cwnd follows W_est = W_max·β + α·t/RTT', () => {
    const cc = cubicAfterLossAt(20);
    const rtt = 2;
    driveCubic(cc, 0, 20, rtt); // 10 round trips
    expect(cc.snapshot()['region']).toBe('reno-friendly');
    // α_cubic = 3(1−β)/(1+β) = 0.5294 segments per RTT.
    const alpha = (3 * 0.3) / 1.7;
    expect(cc.cwnd / MSS).toBeGreaterThan(14 + 10 * alpha - 0.5);
    expect(cc.cwnd / MSS).toBeLessThan(14 + 10 * alpha + 0.5);
    expect(cc.snapshot()['wEst']).toBeCloseTo(cc.cwnd / MSS, 2);
    // Once W_est reaches cwnd_prior (20), α becomes 1.
    expect(cc.alphaCubic).toBeCloseTo(alpha, 9);
    driveCubic(cc, 20, 200, rtt);
    expect(cc.wEst).toBeGreaterThan(20);
    expect(cc.alphaCubic).toBe(1);
  });

  it('without the Reno-friendly region the same run is slower (the region matters)', () => {
    const on = cubicAfterLossAt(20);
    const off = new CubicCongestion({ renoFriendly: false });
    off.init(MSS, 0);
    off.onRto({ now: 0, flightSize: 80 * MSS, mss: MSS });
    while (off.cwnd < 20 * MSS) off.onAck(ack(0, Math.min(MSS, 20 * MSS - off.cwnd)));
    off.onEnterRecovery({ now: 0, flightSize: 20 * MSS, mss: MSS, cause: 'fast-retransmit', sack: true });
    driveCubic(on, 0, 20, 2);
    driveCubic(off, 0, 20, 2);
    expect(on.cwnd).toBeGreaterThan(off.cwnd);
  });

  it('leaving slow start without loss starts an epoch with K = 0 at the current window', () => {
    const cc = new CubicCongestion();
    cc.init(MSS, 0);
    cc.onRto({ now: 0, flightSize: 20 * MSS, mss: MSS }); // ssthresh 10 segments (0.7·20 = 14 → 14)
    expect(cc.ssthresh).toBe(14 * MSS);
    while (cc.cwnd < cc.ssthresh) cc.onAck(ack(0, MSS, { rttMs: 50 }));
    cc.onAck(ack(10, MSS, { rttMs: 50 }));
    expect(cc.epochStart).toBe(10);
    expect(cc.k).toBe(0);
    expect(cc.wMax).toBeGreaterThanOrEqual(14);
  });

  it('RTO: ssthresh = β·FlightSize, cwnd = 1 SMSS, epoch reset; ECN: cwnd = β·FlightSize', () => {
    const cc = cubicAfterLossAt(50);
    driveCubic(cc, 0, 500, 100);
    cc.onRto({ now: 500, flightSize: 40 * MSS, mss: MSS });
    expect(cc.cwnd).toBe(MSS);
    expect(cc.ssthresh).toBe(28 * MSS);
    expect(cc.epochStart).toBeNull();
    const e = new CubicCongestion();
    e.init(MSS, 0);
    e.onEnterRecovery({ now: 0, flightSize: 40 * MSS, mss: MSS, cause: 'ecn' });
    expect(e.cwnd).toBe(28 * MSS);
  });
});

describe('Vegas (Brakmo & Peterson, α = 2, β = 4, γ = 1)', () => {
  /**
   * A bottleneck of `rate` segments per ms with propagation RTT `base` ms and an unlimited queue.
   * Per round trip the sender has cwnd segments out; the queue holds max(0, cwnd − rate·base) of
   * them and every ACK of the round sees RTT = base + queue/rate.
   */
  function fluid(cc: CongestionControl, rounds: number, base = 50, rate = 0.4) {
    const bdp = rate * base; // 20 segments
    let t = 0;
    let una = 0;
    const trace: { cwnd: number; queue: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const w = Math.floor(cc.cwnd / MSS);
      const queue = Math.max(0, w - bdp);
      const rtt = base + queue / rate;
      const sndNxt = una + w * MSS;
      for (let i = 0; i < w; i++) {
        una += MSS;
        cc.onAck(ack(t + ((i + 1) * rtt) / w, MSS, { rttMs: rtt, flightSize: w * MSS, ackSeq: una, sndNxt }));
      }
      t += rtt;
      trace.push({ cwnd: w, queue });
    }
    return { trace, bdp };
  }

  it('leaves slow start when diff > γ and then keeps its queue between α and β segments', () => {
    const cc = new VegasCongestion();
    cc.init(MSS, 0);
    const { trace } = fluid(cc, 120);
    const exitIdx = trace.findIndex((_, i) => i > 0 && cc.ssthresh < Infinity && trace[i]!.queue > 0);
    expect(exitIdx).toBeGreaterThan(0);
    expect(Number.isFinite(cc.ssthresh)).toBe(true);
    const tail = trace.slice(-40);
    for (const s of tail) {
      expect(s.queue).toBeGreaterThanOrEqual(2);
      expect(s.queue).toBeLessThanOrEqual(4);
    }
    const diff = cc.snapshot()['diff'] as number;
    expect(diff).toBeGreaterThanOrEqual(2);
    expect(diff).toBeLessThanOrEqual(4);
    expect(cc.snapshot()['baseRtt']).toBe(50);
  });

  it('decides once per RTT: increase below α, decrease above β, hold between', () => {
    // cwnd 31 segments in CA, baseRTT 100: RTT 110 → diff = 31·10/110 = 2.82 (hold);
    // RTT 150 → diff = 10.3 (decrease); RTT 101 → diff = 0.31 (increase).
    const run = (rtt: number) => {
      const cc = new VegasCongestion();
      cc.init(MSS, 0);
      cc.onRto({ now: 0, flightSize: 40 * MSS, mss: MSS }); // ssthresh 20 segments
      while (cc.cwnd < 30 * MSS) cc.onAck(ack(0, MSS));
      expect(cc.cwnd).toBe(30 * MSS);
      // Round A at the base RTT: baseRTT = 100, diff 0 → the decision at its end is 'increase'.
      let una = 0;
      for (let i = 0; i < 30; i++) cc.onAck(ack(1, MSS, { rttMs: 100, ackSeq: (una += MSS), sndNxt: 30 * MSS }));
      // Round B at `rtt`; its first ACK ends round A (Linux: after(ack, beg_snd_nxt)).
      cc.onAck(ack(200, MSS, { rttMs: rtt, ackSeq: (una += MSS), sndNxt: 61 * MSS }));
      expect(cc.snapshot()['decision']).toBe('increase');
      const before = cc.cwnd;
      expect(before).toBe(31 * MSS);
      for (let i = 1; i < 31; i++) cc.onAck(ack(200, MSS, { rttMs: rtt, ackSeq: (una += MSS), sndNxt: 61 * MSS }));
      // The first ACK beyond round B's end triggers B's decision.
      cc.onAck(ack(300, MSS, { rttMs: rtt, ackSeq: una + MSS, sndNxt: 92 * MSS }));
      return { delta: (cc.cwnd - before) / MSS, snap: cc.snapshot() };
    };
    const hold = run(110);
    expect(hold.snap['decision']).toBe('hold');
    expect(hold.snap['diff']).toBeCloseTo((31 * 10) / 110, 2);
    expect(hold.delta).toBe(0);
    const dec = run(150);
    expect(dec.snap['decision']).toBe('decrease');
    expect(dec.delta).toBe(-1);
    const inc = run(101);
    expect(inc.snap['decision']).toBe('increase');
    expect(inc.delta).toBe(1);
  });

  it('slow start grows only every other round trip', () => {
    const cc = new VegasCongestion();
    cc.init(MSS, 0);
    const { trace } = fluid(cc, 6, 50, 100); // a huge pipe: no queue, diff stays 0
    const w = trace.map((s) => s.cwnd);
    // Growth rounds alternate with flat rounds.
    const grew = w.slice(1).map((x, i) => x > w[i]!);
    expect(grew.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(grew.filter((g) => !g).length).toBeGreaterThanOrEqual(2);
  });
});

describe('cwnd grows only while cwnd-limited (Linux tcp_is_cwnd_limited)', () => {
  it('a sender held back by the receive window does not inflate cwnd past twice its flight', () => {
    for (const name of ['reno', 'cubic', 'vegas'] as const) {
      const cc = createCongestionControl(name);
      cc.init(MSS, 0);
      // The receiver window allows 8 segments in flight, whatever cwnd says.
      for (let i = 0; i < 500; i++) cc.onAck(ack(i, MSS, { flightSize: Math.min(8 * MSS, cc.cwnd), rttMs: 50 }));
      expect(cc.cwnd).toBeLessThanOrEqual(16 * MSS + 2 * MSS);
      expect(cc.cwnd).toBeGreaterThanOrEqual(8 * MSS);
    }
  });
});
