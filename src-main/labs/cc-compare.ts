import type { ProbeEvent } from '@shared/model/probe';
import type { CongestionName } from '../stack/tcp/congestion/types';
import { expect } from './inspect';
import { startFlow, startSink, deliveredBetween } from './flows';
import { runTcpLab } from './tcp-lab';
import type { LabModule, LabRun } from './types';

const FLOW_MS = 10_000;
const MEASURE_FROM = 4_000;
const ALGOS: CongestionName[] = ['reno', 'cubic', 'vegas'];
const QUEUE = 256 * 1024;

function rttSamples(events: readonly ProbeEvent[], subject: string, from: number, to: number): number[] {
  return events.filter((e) => e.layer === 'tcp' && e.kind === 'rtt' && e.subject === subject && e.t >= from && e.t <= to).map((e) => Number(e.data['rttMs']));
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export const ccCompareLab: LabModule = {
  name: 'cc-compare',
  title: { en: 'Reno vs CUBIC vs Vegas through one bottleneck with a big queue (bufferbloat)', 'zh-CN': 'Reno、CUBIC 与 Vegas 经过同一个大队列瓶颈（缓冲区膨胀）' },
  narrative: {
    en:
      'Three bulk transfers, one after the other, through the same 10 Mbit/s bottleneck with a 40 ms base round trip and a 256 KiB queue — ' +
      'about 210 ms of buffering, far more than the 50 KB the path holds. Reno and CUBIC are loss-based: they grow as long as nothing ' +
      'is lost — here until the 256 KiB receive window stops them, with the queue almost full — so every packet waits: the RTT climbs ' +
      'to several times the base (bufferbloat), for no more throughput. Vegas is delay-based: it watches RTT − baseRTT and keeps only α..β = 2..4 of its own segments in the queue, so the ' +
      'RTT stays near 40 ms while the link stays busy. Compare the cwnd curves and the RTT of each.',
    'zh-CN':
      '三个批量传输先后经过同一个 10 Mbit/s 瓶颈，基础往返时延 40 ms，队列 256 KiB——约 210 ms 的缓冲，远大于路径本身能容纳的 50 KB。Reno 和 CUBIC ' +
      '基于丢包：只要没有丢包就一直增长——这里直到 256 KiB 的接收窗口让它们停下，此时队列几乎是满的——因此每个分组都要排队：RTT 升到基础值的数倍' +
      '（缓冲区膨胀），吞吐量却没有提高。Vegas 基于时延：' +
      '它观察 RTT − baseRTT，只让自己的 α..β = 2..4 个报文段留在队列中，因此 RTT 保持在 40 ms 左右，而链路依旧繁忙。比较各自的 cwnd 曲线与 RTT。',
  },
  defaults: { delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'loss-based-bloat',
      text: { en: 'Reno and CUBIC: mean RTT more than twice the base RTT', 'zh-CN': 'Reno 与 CUBIC：平均 RTT 超过基础 RTT 的两倍' },
      check(run) {
        const base = 2 * run.params.delayMs;
        const r = Number(run.results['reno.rttMs']);
        const c = Number(run.results['cubic.rttMs']);
        return expect(r > 2 * base && c > 2 * base, `Reno ${r} ms, CUBIC ${c} ms, base ${base} ms`);
      },
    },
    {
      id: 'vegas-small-queue',
      text: { en: 'Vegas: mean RTT within 1.5× the base RTT', 'zh-CN': 'Vegas：平均 RTT 不超过基础 RTT 的 1.5 倍' },
      check(run) {
        const base = 2 * run.params.delayMs;
        const v = Number(run.results['vegas.rttMs']);
        return expect(v < 1.5 * base, `Vegas ${v} ms, base ${base} ms`);
      },
    },
    {
      id: 'vegas-diff-band',
      text: { en: "Vegas's own queue estimate diff ends between α = 2 and β = 4 segments (decision: hold)", 'zh-CN': 'Vegas 对自身排队量的估计 diff 最终位于 α = 2 与 β = 4 个报文段之间（决策：保持）' },
      check(run) {
        const subject = String(run.results['vegas.subject']);
        const last = run.events.filter((e) => e.layer === 'cc' && e.subject === subject && typeof e.data['cc.diff'] === 'number').pop();
        const d = Number(last?.data['cc.diff']);
        return expect(d >= 2 && d <= 4 && last?.data['cc.decision'] === 'hold', `diff ${d}, decision ${last?.data['cc.decision']}`);
      },
    },
    {
      id: 'all-fill-the-link',
      text: { en: 'all three keep the link at least 85 % busy', 'zh-CN': '三者都使链路利用率至少达到 85%' },
      check(run) {
        const rate = run.params.rateMbps;
        const g = ALGOS.map((a) => Number(run.results[`${a}.goodputMbps`]));
        // Goodput counts TCP payload only: 1448/1538 of the wire rate at best.
        return expect(g.every((x) => x >= 0.85 * rate * (1448 / 1538)), ALGOS.map((a, i) => `${a} ${g[i]} Mbit/s`).join(', '));
      },
    },
  ],
  async run(params) {
    return runTcpLab('cc-compare', params, { queueLimitBytes: QUEUE, snaplen: 96, eventLayers: ['tcp', 'cc', 'lab'] }, async (x) => {
      const sink = startSink(x, 5001);
      for (const cc of ALGOS) {
        x.step(`flow with ${cc}`);
        const f = await startFlow(x, sink, 5001, cc, FLOW_MS);
        await x.sleep(FLOW_MS + 3000);
        const from = f.startedAt + MEASURE_FROM;
        const to = f.startedAt + FLOW_MS;
        x.result(`${cc}.goodputMbps`, Math.round((deliveredBetween(f, from, to) * 8) / ((to - from) * 1000) * 100) / 100);
        x.result(`${cc}.rttMs`, Math.round(mean(rttSamples(x.world.events, f.subject, from, to))));
        x.result(`${cc}.subject`, f.subject);
      }
    });
  },
};

export function ccCompareSubjects(run: LabRun): string[] {
  return ALGOS.map((a) => String(run.results[`${a}.subject`]));
}
