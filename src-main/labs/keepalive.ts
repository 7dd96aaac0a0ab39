import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { frames, listenOn } from './tcp-hosts';
import { runTcpLab, segments, tcpEvents } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const IDLE = 10;
const INTVL = 2;
const CNT = 3;

export const keepaliveLab: LabModule = {
  name: 'keepalive',
  title: { en: 'Keep-alive finds a dead peer', 'zh-CN': '保活机制发现对端失联' },
  narrative: {
    en:
      `A turns on SO_KEEPALIVE with TCP_KEEPIDLE ${IDLE} s, TCP_KEEPINTVL ${INTVL} s and TCP_KEEPCNT ${CNT} (Linux defaults are 7200, 75, 9). ` +
      'After 10 s of silence A sends a probe: an empty segment with seq = SND.UNA − 1 that forces B to answer with an ACK — B is alive. ' +
      `Then B's cable is pulled. The next probe, 10 s after the last answer, goes unanswered; A probes every ${INTVL} s and after ${CNT} ` +
      'unanswered probes gives up: the connection ends with ETIMEDOUT. Without keep-alive A would never notice.',
    'zh-CN':
      `A 打开 SO_KEEPALIVE，TCP_KEEPIDLE 为 ${IDLE} s、TCP_KEEPINTVL 为 ${INTVL} s、TCP_KEEPCNT 为 ${CNT}（Linux 默认 7200、75、9）。` +
      '静默 10 s 后 A 发送探测：一个 seq = SND.UNA − 1 的空报文段，迫使 B 以 ACK 应答——B 还活着。随后拔掉 B 的网线。' +
      `下一个探测在最后一次应答 10 s 后发出，没有回应；A 每 ${INTVL} s 探测一次，${CNT} 次无应答后放弃：连接以 ETIMEDOUT 结束。没有保活，A 永远不会察觉。`,
  },
  defaults: {},
  expectations: [
    {
      id: 'first-probe-answered',
      text: { en: 'the first probe (seq = SND.UNA − 1) is answered by an ACK', 'zh-CN': '第一个探测（seq = SND.UNA − 1）得到 ACK 应答' },
      check(run) {
        const probes = tcpEvents(run, ADDR_A, 'keepalive-probe');
        const first = probes[0];
        const ack = first ? segments(run, 'A', 'rx').find((s) => s.t > first.t) : undefined;
        const probeSeg = first ? segments(run, 'A').find((s) => s.t === first.t && s.len <= 1) : undefined;
        const lastData = segments(run, 'A').filter((s) => s.flags.includes('.') && (!probeSeg || s.t < probeSeg.t)).pop();
        return expect(first !== undefined && ack !== undefined && ack.t < Number(run.results['cablePulledAt']) && probeSeg !== undefined && lastData !== undefined && probeSeg.seq === ((lastData.seq - 1) >>> 0), `probe at ${first?.t} ms, seq ${probeSeg?.seq}, answered at ${ack?.t} ms`);
      },
    },
    {
      id: 'unanswered-probes',
      text: { en: `after the cable is pulled: ${CNT} probes ${INTVL} s apart, then ETIMEDOUT`, 'zh-CN': `拔线后：${CNT} 个间隔 ${INTVL} s 的探测，然后 ETIMEDOUT` },
      check(run) {
        const pulled = Number(run.results['cablePulledAt']);
        const probes = tcpEvents(run, ADDR_A, 'keepalive-probe').filter((e) => e.t > pulled);
        const gaps = probes.slice(1).map((p, i) => (p.t - probes[i]!.t) / 1000);
        const ok = probes.length === CNT && gaps.every((g) => g === INTVL) && run.results['error'] === 'ETIMEDOUT';
        return expect(ok, `${probes.length} probes after the pull, gaps ${gaps.join(', ')} s, error ${run.results['error']}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('keepalive', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const accepted = server.accept();
      const client = new TcpSocket(x.h.tcpA);
      client.setsockopt('SO_KEEPALIVE', true);
      client.setsockopt('TCP_KEEPIDLE', IDLE);
      client.setsockopt('TCP_KEEPINTVL', INTVL);
      client.setsockopt('TCP_KEEPCNT', CNT);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      await x.outcome(accepted, 1000);
      x.step('idle: keep-alive timer runs');
      await x.sleep(IDLE * 1000 + 5000);
      x.step("B's cable is pulled");
      x.result('cablePulledAt', x.world.clock.now());
      x.h.fwB.filter = () => frames.all();
      const r = await x.outcome(client.recv(), 60_000);
      x.result('error', r.ok ? `${r.value.length} bytes` : r.errno);
      void ADDR_B;
    });
  },
};
