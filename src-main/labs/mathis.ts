import { bulkTransfer } from './bulk';
import { expect } from './inspect';
import type { LabModule, LabParams } from './types';
import { LabWorld } from './world';

export interface MathisPoint {
  loss: number;
  /** Goodput measured at the receiver, bytes/s. */
  measuredBps: number;
  /** MSS/RTT · C/√p with C = √(3/2) ≈ 1.22, bytes/s. */
  predictedBps: number;
  ratio: number;
  rttMs: number;
  mss: number;
  fastRetransmits: number;
  timeouts: number;
}

/** Mathis, Semke, Mahdavi & Ott (1997): BW = MSS/RTT · C/√p, C = √(3/2). */
export const MATHIS_C = Math.sqrt(3 / 2);

/**
 * One long seeded run of a bulk transfer over a path with random loss p on the data direction and
 * no queue (RTT = 2 × delay), measured after a warm-up. SACK and timestamps off: plain Reno.
 */
export async function measureMathis(params: LabParams, durationMs: number, warmupMs = 10_000): Promise<MathisPoint> {
  const world = new LabWorld({ ...params, rateMbps: 0 }, { captureFrames: false, recordEvents: false });
  const r = await bulkTransfer(world, { durationMs, warmupMs, a: { sack: false, timestamps: false }, b: { sack: false, timestamps: false } });
  const mss = r.sender.effectiveMss();
  const rttMs = 2 * params.delayMs;
  const predictedBps = ((mss * 1000) / rttMs) * (MATHIS_C / Math.sqrt(params.loss));
  return {
    loss: params.loss,
    measuredBps: r.goodputBps,
    predictedBps,
    ratio: r.goodputBps / predictedBps,
    rttMs,
    mss,
    fastRetransmits: r.sender.stats.fastRetransmits,
    timeouts: r.sender.stats.rtoExpirations,
  };
}

/** Tolerance stated for the Mathis check: measured/predicted within [0.7, 1.3] for p ≤ 2 %. */
export const MATHIS_TOLERANCE = { low: 0.7, high: 1.3 };

export const mathisLab: LabModule = {
  name: 'mathis',
  title: { en: 'Reno throughput vs the Mathis formula (rate ≈ MSS/RTT · 1.22/√p)', 'zh-CN': 'Reno 吞吐量与 Mathis 公式（速率 ≈ MSS/RTT · 1.22/√p）' },
  narrative: {
    en:
      'A long bulk transfer with Reno over a 100 ms round trip (no queue), losing each data frame with probability p. In congestion ' +
      'avoidance the window climbs one MSS per RTT from W/2 to W and halves at each loss, so a sawtooth cycle carries 1/p segments ' +
      'and the average rate is MSS/RTT · √(3/2)/√p. Change --loss and watch the measured goodput follow 1/√p: four times the loss, ' +
      'half the rate. Above a few percent, timeouts (not in the formula) pull the measurement below it.',
    'zh-CN':
      '使用 Reno 在 100 ms 往返时延（无排队）的路径上做长时间批量传输，每个数据帧以概率 p 丢失。拥塞避免阶段窗口每个 RTT 增加一个 MSS，' +
      '从 W/2 涨到 W，遇丢包减半，因此一个锯齿周期传送 1/p 个报文段，平均速率为 MSS/RTT · √(3/2)/√p。改变 --loss，观察测得的吞吐量随 1/√p ' +
      '变化：丢包率变为四倍，速率减半。丢包率高于百分之几时，超时重传（公式未考虑）会使测量值低于公式。',
  },
  defaults: { cc: 'reno', loss: 0.01, delayMs: 50 },
  expectations: [
    {
      id: 'within-tolerance',
      text: { en: `measured / predicted within [${MATHIS_TOLERANCE.low}, ${MATHIS_TOLERANCE.high}]`, 'zh-CN': `测量值 / 预测值在 [${MATHIS_TOLERANCE.low}, ${MATHIS_TOLERANCE.high}] 之内` },
      check(run) {
        const r = Number(run.results['ratio']);
        return expect(r >= MATHIS_TOLERANCE.low && r <= MATHIS_TOLERANCE.high, `ratio ${r.toFixed(3)}`);
      },
    },
    {
      id: 'losses-recovered-mostly-by-fast-retransmit',
      text: { en: 'most losses are repaired by fast retransmit, not by timeouts', 'zh-CN': '大多数丢包由快速重传而不是超时修复' },
      check(run) {
        const fr = Number(run.results['fastRetransmits']);
        const to = Number(run.results['timeouts']);
        return expect(fr > to, `${fr} fast retransmits, ${to} timeouts`);
      },
    },
  ],
  async run(params) {
    if (!(params.loss > 0)) throw new RangeError('mathis: --loss must be > 0 (the formula has √p in the denominator)');
    // Long enough for ~100 loss events: a cycle of 1/p segments lasts about √(2/(3p)) · 2 RTTs.
    const durationMs = Math.min(600_000, Math.max(60_000, Math.round(12 / Math.sqrt(params.loss)) * 1000));
    const m = await measureMathis(params, durationMs);
    const results = {
      loss: m.loss,
      rttMs: m.rttMs,
      mss: m.mss,
      measuredBps: Math.round(m.measuredBps),
      predictedBps: Math.round(m.predictedBps),
      ratio: Math.round(m.ratio * 1000) / 1000,
      fastRetransmits: m.fastRetransmits,
      timeouts: m.timeouts,
      simulatedMs: durationMs,
    };
    // A short, traced run for the frames and cwnd curve (the long run records nothing).
    const world = new LabWorld(params, { eventLayers: ['cc', 'lab'] });
    await bulkTransfer(world, { durationMs: 10_000, a: { sack: false, timestamps: false }, b: { sack: false, timestamps: false } });
    return { lab: 'mathis', params, durationMs: world.clock.now(), frames: world.frames, events: world.events, series: world.series, results };
  },
};
