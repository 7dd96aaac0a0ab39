import { ADDR_B } from './hosts';
import { expect } from './inspect';
import { frames } from './tcp-hosts';
import { runTcpLab, segments } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const synTimeoutLab: LabModule = {
  name: 'syn-timeout',
  title: { en: 'SYN to a silent host: retries with backoff, then ETIMEDOUT', 'zh-CN': '向静默主机发 SYN：退避重试，然后 ETIMEDOUT' },
  narrative: {
    en:
      'B answers ARP but a firewall on B silently drops every TCP segment (iptables -j DROP). A\'s SYN gets no answer, so A retransmits ' +
      'it when the retransmission timer expires — after 1 s (the initial RTO, RFC 6298), then doubling each time: 1, 2, 4, 8, 16, 32 s. ' +
      'After tcp_syn_retries = 6 retransmissions and a final 64 s wait, connect() fails with ETIMEDOUT about 127 s after it began, as on Linux. ' +
      'Compare with closed-port, where a RST ends it after one round trip.',
    'zh-CN':
      'B 应答 ARP，但 B 上的防火墙悄悄丢弃所有 TCP 报文段（iptables -j DROP）。A 的 SYN 得不到应答，重传定时器到期时 A 重传它——第一次在 1 s 后' +
      '（初始 RTO，RFC 6298），之后每次加倍：1、2、4、8、16、32 s。重传 tcp_syn_retries = 6 次并再等 64 s 后，connect() 在开始约 127 s 后以 ' +
      'ETIMEDOUT 失败，与 Linux 相同。对比 closed-port：那里一个往返时间后 RST 就结束了。',
  },
  defaults: {},
  expectations: [
    {
      id: 'seven-syns',
      text: { en: 'the SYN is sent 7 times, the gaps doubling 1, 2, 4, 8, 16, 32 s', 'zh-CN': 'SYN 共发送 7 次，间隔依次加倍 1、2、4、8、16、32 s' },
      check(run) {
        const syns = segments(run, 'A').filter((s) => s.flags === 'S');
        const gaps = syns.slice(1).map((s, i) => Math.round((s.t - syns[i]!.t) / 1000));
        const ok = syns.length === 7 && gaps.join(',') === '1,2,4,8,16,32' && syns.every((s) => s.seq === syns[0]!.seq);
        return expect(ok, `${syns.length} SYNs, gaps ${gaps.join(', ')} s`);
      },
    },
    {
      id: 'etimedout',
      text: { en: 'connect() fails with ETIMEDOUT about 127 s after it started', 'zh-CN': 'connect() 在开始约 127 s 后以 ETIMEDOUT 失败' },
      check(run) {
        const s = Number(run.results['connectMs']) / 1000;
        return expect(run.results['connect'] === 'ETIMEDOUT' && s > 126 && s < 128.5, `${run.results['connect']} after ${s.toFixed(1)} s`);
      },
    },
    {
      id: 'silent',
      text: { en: 'B never answers: every SYN is dropped by B\'s firewall', 'zh-CN': 'B 从不应答：每个 SYN 都被 B 的防火墙丢弃' },
      check(run) {
        const fromB = segments(run, 'B').length;
        return expect(fromB === 0 && run.results['droppedByFirewall'] === 7, `${fromB} segments from B, ${run.results['droppedByFirewall']} dropped`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('syn-timeout', params, {}, async (x) => {
      x.h.fwB.filter = (f, dir) => dir === 'rx' && frames.tcp(f);
      const client = new TcpSocket(x.h.tcpA);
      const t0 = x.world.clock.now();
      x.step('A: connect(192.0.2.2, 80) — B drops TCP silently');
      const r = await x.outcome(client.connect(ADDR_B, 80), 200_000);
      x.result('connect', r.ok ? 'ok' : r.errno);
      x.result('connectMs', x.world.clock.now() - t0);
      x.result('droppedByFirewall', x.h.fwB.dropped);
    });
  },
};
