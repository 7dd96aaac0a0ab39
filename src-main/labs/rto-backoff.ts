import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { connOf, frames, listenOn, pattern, readAll } from './tcp-hosts';
import { runTcpLab, tcpEvents } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const OUTAGE_MS = 3000;
const TOTAL = 60 * 1460;

export const rtoBackoffLab: LabModule = {
  name: 'rto-backoff',
  title: { en: 'Retransmission timeout with exponential backoff', 'zh-CN': '指数退避的超时重传' },
  narrative: {
    en:
      `A is sending when its cable is pulled for ${OUTAGE_MS / 1000} s: nothing it sends arrives, so no ACK comes back and no duplicate ACK ` +
      'can trigger a fast retransmit. Only the retransmission timer is left: at each expiry A retransmits the oldest unacknowledged segment ' +
      'and doubles the RTO (RFC 6298 §5.5), so the retransmissions of the same sequence number are 1×, 2×, 4× … the RTO apart. The ' +
      'congestion response is the hardest one (RFC 5681 §3.1): ssthresh = max(FlightSize/2, 2·MSS) and cwnd = 1 MSS — after the cable is ' +
      'back, A starts over in slow start.',
    'zh-CN':
      `A 正在发送时网线被拔掉 ${OUTAGE_MS / 1000} s：它发出的一切都无法到达，因此没有 ACK 返回，也没有重复 ACK 能触发快速重传。只剩重传定时器：` +
      '每次到期 A 重传最早的未确认报文段并把 RTO 加倍（RFC 6298 §5.5），所以同一序号的重传间隔依次为 RTO 的 1、2、4 …… 倍。拥塞响应也最严厉' +
      '（RFC 5681 §3.1）：ssthresh = max(FlightSize/2, 2·MSS)，cwnd = 1 MSS——网线恢复后，A 从慢启动重新开始。',
  },
  defaults: { delayMs: 20 },
  expectations: [
    {
      id: 'backoff',
      text: { en: 'the same segment is retransmitted at least 3 times, each wait twice the previous', 'zh-CN': '同一报文段至少重传 3 次，每次等待时间是上一次的两倍' },
      check(run) {
        const rto = tcpEvents(run, ADDR_A, 'retransmit').filter((e) => e.data['why'] === 'rto');
        // The segment retransmitted most often (an earlier one may be ACKed by data still in flight).
        const counts = new Map<unknown, number>();
        for (const e of rto) counts.set(e.data['seq'], (counts.get(e.data['seq']) ?? 0) + 1);
        const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
        const sameSeq = rto.filter((e) => e.data['seq'] === top);
        const gaps = sameSeq.slice(1).map((e, i) => Math.round(e.t - sameSeq[i]!.t));
        const doubling = gaps.slice(1).every((g, i) => Math.abs(g - 2 * gaps[i]!) <= 2);
        return expect(sameSeq.length >= 3 && doubling, `${sameSeq.length} RTO retransmissions of seq ${top}, gaps ${gaps.join(', ')} ms`);
      },
    },
    {
      id: 'cwnd-one-mss',
      text: { en: 'on timeout cwnd = 1 MSS and ssthresh = max(FlightSize/2, 2·MSS)', 'zh-CN': '超时时 cwnd = 1 MSS，ssthresh = max(FlightSize/2, 2·MSS)' },
      check(run) {
        const ev = run.events.find((e) => e.layer === 'cc' && e.data['event'] === 'rto' && (e.subject ?? '').startsWith(`${ADDR_A}:`));
        const mss = Number(run.results['mss']);
        const ok = ev !== undefined && ev.data['cwnd'] === mss && typeof ev.data['ssthresh'] === 'number' && (ev.data['ssthresh'] as number) >= 2 * mss;
        return expect(ok, ev ? `cwnd ${ev.data['cwnd']}, ssthresh ${ev.data['ssthresh']}, MSS ${mss}` : 'no RTO event');
      },
    },
    {
      id: 'recovers',
      text: { en: 'after the outage the transfer completes, growing again from 1 MSS (slow start)', 'zh-CN': '中断结束后传输完成，cwnd 从 1 MSS 重新增长（慢启动）' },
      check(run) {
        const cc = run.events.filter((e) => e.layer === 'cc' && (e.subject ?? '').startsWith(`${ADDR_A}:`));
        const lastRto = cc.filter((e) => e.data['event'] === 'rto').pop();
        const after = cc.filter((e) => lastRto && e.t > lastRto.t).map((e) => Number(e.data['cwnd']));
        const max = Math.max(0, ...after);
        return expect(run.results['received'] === TOTAL && max >= 4 * Number(run.results['mss']), `received ${run.results['received']} of ${TOTAL}, cwnd grew back to ${max}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('rto-backoff', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 5001);
      const serverDone = (async () => readAll(await server.accept()))();
      const c = new TcpSocket(x.h.tcpA);
      await x.outcome(c.connect(ADDR_B, 5001), 10_000);
      x.result('mss', connOf(c).effectiveMss());
      const sending = c.send(pattern(TOTAL));
      await x.sleep(150);
      x.step(`A's cable is pulled for ${OUTAGE_MS / 1000} s`);
      x.h.fwA.filter = (f, dir) => dir === 'tx' && frames.tcp(f);
      await x.sleep(OUTAGE_MS);
      x.step('the cable is back');
      x.h.fwA.filter = null;
      await x.outcome(sending, 30_000);
      await x.outcome(c.close(), 1000);
      const r = await x.outcome(serverDone, 60_000);
      x.result('received', r.ok ? r.value : r.errno);
      await x.sleep(500);
    });
  },
};
