import { expect } from './inspect';
import { deliveredBetween, jainIndex, startFlow, startSink, type FlowStats } from './flows';
import { runTcpLab } from './tcp-lab';
import type { LabModule } from './types';

const RUN_MS = 30_000;
const SECOND_AT = 3_000;
const MEASURE_FROM = 15_000;

export const fairnessLab: LabModule = {
  name: 'fairness',
  title: { en: 'Two-flow fairness through one bottleneck', 'zh-CN': '两条流经过同一瓶颈的公平性' },
  narrative: {
    en:
      'Two flows with the same congestion control (--cc, Reno by default) share a 10 Mbit/s bottleneck with a 64 KiB queue; the second ' +
      'starts 3 s after the first, which has already taken the whole link. Each loss makes both halve (multiplicative decrease) while ' +
      'both add the same amount per round trip (additive increase), so the difference between them shrinks at every cycle and the ' +
      'shares converge (Chiu & Jain). Watch the two cwnd curves meet; Jain\'s index over the last 15 s is close to 1.',
    'zh-CN':
      '两条使用相同拥塞控制（--cc，默认 Reno）的流共享一个 10 Mbit/s、队列 64 KiB 的瓶颈；第二条在第一条已占满链路 3 s 后才开始。每次丢包都让两者减半' +
      '（乘性减），而两者每个往返时间增加的量相同（加性增），所以两者之差每个周期都在缩小，份额趋于相等（Chiu 与 Jain）。观察两条 cwnd 曲线相遇；' +
      '最后 15 s 的 Jain 指数接近 1。',
  },
  defaults: { cc: 'reno', delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'jain',
      text: { en: "Jain's fairness index of the two throughputs over the last 15 s ≥ 0.9", 'zh-CN': '最后 15 s 两条流吞吐量的 Jain 公平指数 ≥ 0.9' },
      check(run) {
        const j = Number(run.results['jainIndex']);
        return expect(j >= 0.9, `index ${j}, flows ${run.results['flow1Mbps']} and ${run.results['flow2Mbps']} Mbit/s`);
      },
    },
    {
      id: 'link-used',
      text: { en: 'together they keep the link at least 85 % busy', 'zh-CN': '两者合计使链路利用率至少达到 85%' },
      check(run) {
        const sum = Number(run.results['flow1Mbps']) + Number(run.results['flow2Mbps']);
        return expect(sum >= 0.85 * run.params.rateMbps * (1448 / 1538), `${sum.toFixed(2)} Mbit/s of ${run.params.rateMbps}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('fairness', params, { queueLimitBytes: 64 * 1024, snaplen: 96, eventLayers: ['cc', 'lab'] }, async (x) => {
      const sink = startSink(x, 5001);
      x.step(`flow 1 (${params.cc}) starts`);
      const t0 = x.world.clock.now();
      const f1: FlowStats = await startFlow(x, sink, 5001, params.cc, RUN_MS);
      await x.sleep(SECOND_AT);
      x.step(`flow 2 (${params.cc}) starts`);
      const f2 = await startFlow(x, sink, 5001, params.cc, RUN_MS - SECOND_AT);
      await x.sleep(RUN_MS - SECOND_AT + 3000);
      const from = t0 + MEASURE_FROM;
      const to = t0 + RUN_MS - 500;
      const mbps = (f: FlowStats) => (deliveredBetween(f, from, to) * 8) / ((to - from) * 1000);
      const a = mbps(f1);
      const b = mbps(f2);
      x.result('flow1Mbps', Math.round(a * 100) / 100);
      x.result('flow2Mbps', Math.round(b * 100) / 100);
      x.result('jainIndex', Math.round(jainIndex([a, b]) * 1000) / 1000);
      for (const f of [f1, f2]) x.world.series[`delivered ${f.subject}`] = { label: `delivered ${f.subject}`, unit: 'bytes', t: f.samples.map((s) => s.t), v: f.samples.map((s) => s.bytes) };
    });
  },
};
