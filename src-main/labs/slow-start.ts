import type { ProbeEvent } from '@shared/model/probe';
import { expect } from './inspect';
import { startFlow, startSink } from './flows';
import { runTcpLab } from './tcp-lab';
import type { LabModule, LabRun } from './types';

const FLOW_MS = 8_000;

function ccEvents(run: LabRun): ProbeEvent[] {
  const subject = String(run.results['subject']);
  return run.events.filter((e) => e.layer === 'cc' && e.subject === subject);
}

function meanRtt(run: LabRun, from: number, to: number): number {
  const subject = String(run.results['subject']);
  const xs = run.events.filter((e) => e.layer === 'tcp' && e.kind === 'rtt' && e.subject === subject && e.t >= from && e.t <= to).map((e) => Number(e.data['rttMs']));
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export const slowStartLab: LabModule = {
  name: 'slow-start',
  title: { en: 'Slow start → congestion avoidance', 'zh-CN': '慢启动 → 拥塞避免' },
  narrative: {
    en:
      'One Reno transfer through a 10 Mbit/s bottleneck (40 ms base RTT, 32 KiB queue). It starts with the RFC 5681 initial window of ' +
      '3 segments and ssthresh = ∞: in slow start every ACKed byte adds a byte to cwnd (ABC, at most 2 MSS per ACK), so cwnd doubles ' +
      'every round trip — exponential. When the queue overflows, fast recovery sets ssthresh = FlightSize/2 and cwnd = ssthresh; from ' +
      'then on cwnd ≥ ssthresh and congestion avoidance adds one MSS per window of data ACKed — linear, about one MSS per round trip — ' +
      'until the next loss halves it again: the sawtooth. Watch the cwnd and ssthresh curves change shape at the first loss.',
    'zh-CN':
      '一次 Reno 传输经过 10 Mbit/s 瓶颈（基础 RTT 40 ms，队列 32 KiB）。开始时使用 RFC 5681 的初始窗口 3 个报文段，ssthresh = ∞：慢启动中每确认一个字节' +
      'cwnd 就增加一个字节（ABC，每个 ACK 最多 2 MSS），所以 cwnd 每个往返时间翻倍——指数增长。队列溢出时，快速恢复令 ssthresh = FlightSize/2、' +
      'cwnd = ssthresh；此后 cwnd ≥ ssthresh，拥塞避免每确认一个窗口的数据加一个 MSS——线性增长，约每个往返时间一个 MSS——直到下一次丢包再次减半：' +
      '这就是锯齿。观察 cwnd 与 ssthresh 曲线在第一次丢包时改变形状。',
  },
  defaults: { cc: 'reno', delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'exponential',
      text: { en: 'slow start: cwnd goes from 4 to 16 initial windows in at most 3 round trips (doubling per RTT)', 'zh-CN': '慢启动：cwnd 从 4 倍初始窗口增长到 16 倍最多用 3 个往返时间（每 RTT 翻倍）' },
      check(run) {
        const ev = ccEvents(run);
        const iw = Number(ev[0]?.data['cwnd']);
        const t4 = ev.find((e) => Number(e.data['cwnd']) >= 4 * iw)?.t ?? NaN;
        const t16 = ev.find((e) => Number(e.data['cwnd']) >= 16 * iw)?.t ?? NaN;
        const firstLoss = ev.find((e) => e.data['event'] === 'enter-recovery')?.t ?? Infinity;
        const rtt = meanRtt(run, t4, t16);
        const rtts = (t16 - t4) / rtt;
        return expect(t16 < firstLoss && rtts <= 3, `first cwnd ${iw} B; 4×IW at ${Math.round(t4)} ms, 16×IW at ${Math.round(t16)} ms: ${rtts.toFixed(2)} RTTs of ${rtt.toFixed(1)} ms`);
      },
    },
    {
      id: 'loss-sets-ssthresh',
      text: { en: 'the first loss sets ssthresh to half the flight and cwnd to ssthresh', 'zh-CN': '第一次丢包把 ssthresh 设为在途数据的一半、cwnd 设为 ssthresh' },
      check(run) {
        const ev = ccEvents(run);
        const enter = ev.find((e) => e.data['event'] === 'enter-recovery');
        const exit = ev.find((e) => e.data['event'] === 'exit-recovery');
        const ss = Number(enter?.data['ssthresh']);
        const flight = Number(enter?.data['flightSize']);
        return expect(enter !== undefined && exit !== undefined && Math.abs(ss - flight / 2) <= 1460 && Number(exit.data['cwnd']) <= ss, `ssthresh ${ss} at flight ${flight}; cwnd ${exit?.data['cwnd']} on exit`);
      },
    },
    {
      id: 'linear',
      text: { en: 'congestion avoidance: about one MSS per round trip (0.6–1.4) until the next loss', 'zh-CN': '拥塞避免：直到下一次丢包，约每个往返时间增加一个 MSS（0.6–1.4）' },
      check(run) {
        const ev = ccEvents(run);
        // The longest stretch from a recovery's end to the next loss (slow start may overshoot twice).
        let seg: ProbeEvent[] = [];
        ev.forEach((e, i) => {
          if (e.data['event'] !== 'exit-recovery') return;
          const next = ev.findIndex((n, j) => j > i && n.data['event'] === 'enter-recovery');
          const s2 = ev.slice(i, next < 0 ? undefined : next);
          const span = (x: ProbeEvent[]) => (x.length ? x[x.length - 1]!.t - x[0]!.t : 0);
          if (span(s2) > span(seg)) seg = s2;
        });
        const a = seg[0];
        const b = seg[seg.length - 1];
        if (!a || !b || b.t - a.t < 500) return expect(false, 'no congestion-avoidance phase');
        const rtt = meanRtt(run, a.t, b.t);
        const mss = Number(run.results['mss']);
        const perRtt = (Number(b.data['cwnd']) - Number(a.data['cwnd'])) / mss / ((b.t - a.t) / rtt);
        return expect(perRtt >= 0.6 && perRtt <= 1.4, `${perRtt.toFixed(2)} MSS per RTT over ${Math.round(b.t - a.t)} ms (RTT ${rtt.toFixed(1)} ms)`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('slow-start', params, { queueLimitBytes: 32 * 1024, snaplen: 96, eventLayers: ['tcp', 'cc', 'lab'], a: { sack: true } }, async (x) => {
      const sink = startSink(x, 5001);
      const f = await startFlow(x, sink, 5001, params.cc, FLOW_MS);
      x.result('subject', f.subject);
      x.result('mss', f.conn.effectiveMss());
      await x.sleep(FLOW_MS + 2000);
    });
  },
};
