import { ADDR_B } from './hosts';
import { expect } from './inspect';
import { runTcpLab, segments, segText } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const closedPortLab: LabModule = {
  name: 'closed-port',
  title: { en: 'Connect to a closed port → RST → ECONNREFUSED', 'zh-CN': '连接关闭的端口 → RST → ECONNREFUSED' },
  narrative: {
    en:
      'Nothing listens on B port 81. A\'s SYN reaches B\'s TCP, which answers with a reset (RFC 9293 §3.10.7.1): since the SYN carried ' +
      'no ACK, the RST has seq 0 and ACK = the SYN\'s sequence number + 1, so A can accept it. A\'s connect() fails with ECONNREFUSED ' +
      'after a single round trip — no retries, unlike a silent host.',
    'zh-CN':
      'B 的 81 端口没有监听。A 的 SYN 到达 B 的 TCP，B 以复位应答（RFC 9293 §3.10.7.1）：由于 SYN 不带 ACK，RST 的 seq 为 0、ACK = SYN 序号 + 1，' +
      'A 因此可以接受它。A 的 connect() 在一个往返时间后以 ECONNREFUSED 失败——不像静默主机那样重试。',
  },
  defaults: {},
  expectations: [
    {
      id: 'rst-ack',
      text: { en: 'B answers the SYN with RST+ACK, seq 0, ack = ISN + 1', 'zh-CN': 'B 用 RST+ACK 应答 SYN，seq 0，ack = ISN + 1' },
      check(run) {
        const syn = segments(run, 'A').find((s) => s.flags === 'S');
        const rst = segments(run, 'B').find((s) => s.flags.includes('R'));
        const ok = syn !== undefined && rst !== undefined && rst.flags === 'R.' && rst.seq === 0 && rst.ack === ((syn.seq + 1) >>> 0);
        return expect(ok, [syn, rst].map((s) => (s ? segText(s) : '-')).join(' | '));
      },
    },
    {
      id: 'econnrefused',
      text: { en: 'connect() fails with ECONNREFUSED after one round trip, with one SYN', 'zh-CN': 'connect() 在一个往返时间后以 ECONNREFUSED 失败，只发一个 SYN' },
      check(run) {
        const syns = segments(run, 'A').filter((s) => s.flags === 'S');
        return expect(run.results['connect'] === 'ECONNREFUSED' && syns.length === 1 && Number(run.results['connectMs']) <= 2 * run.params.delayMs + 10, `${run.results['connect']} after ${run.results['connectMs']} ms, ${syns.length} SYN(s)`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('closed-port', params, {}, async (x) => {
      await x.outcome(x.h.a.icmp.ping(ADDR_B), 1000);
      const client = new TcpSocket(x.h.tcpA);
      const t0 = x.world.clock.now();
      x.step('A: connect(192.0.2.2, 81) — nobody listens there');
      const r = await x.outcome(client.connect(ADDR_B, 81), 10_000);
      x.result('connect', r.ok ? 'ok' : r.errno);
      x.result('connectMs', x.world.clock.now() - t0);
      await x.sleep(100);
    });
  },
};
