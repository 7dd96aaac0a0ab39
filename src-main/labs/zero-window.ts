import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern } from './tcp-hosts';
import { runTcpLab, segments, tcpEvents } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const TOTAL = 16_384;
const READ_AT = 3000;

export const zeroWindowLab: LabModule = {
  name: 'zero-window',
  title: { en: 'Zero window and persist probes with a slow reader', 'zh-CN': '零窗口与慢速读取方的坚持探测' },
  narrative: {
    en:
      'B has a 4096-byte receive buffer and its application does not read for 3 s, while A sends 16 KiB. B\'s buffer fills and B ' +
      'advertises a zero window: A must stop. Since a window update could be lost, A runs the persist timer and sends window probes, ' +
      'backing off like the retransmission timer (RFC 9293 §3.8.6.1; here about 0.2, 0.4, 0.8, 1.6 s apart); each probe is ACKed with ' +
      'window 0 again. When B\'s application finally reads, B sends a window update and the transfer resumes.',
    'zh-CN':
      'B 的接收缓冲区为 4096 字节，其应用 3 s 内不读数据，而 A 要发送 16 KiB。B 的缓冲区被填满，B 通告零窗口：A 必须停止。由于窗口更新可能丢失，' +
      'A 启动坚持定时器并发送窗口探测，像重传定时器一样退避（RFC 9293 §3.8.6.1；这里间隔约 0.2、0.4、0.8、1.6 s）；每个探测都以窗口 0 被确认。' +
      '当 B 的应用终于读取数据时，B 发送窗口更新，传输继续。',
  },
  defaults: { rcvbuf: [null, 4096] },
  expectations: [
    {
      id: 'zero-window',
      text: { en: 'B advertises a zero window while A still has data', 'zh-CN': 'A 仍有数据时 B 通告零窗口' },
      check(run) {
        const z = segments(run, 'B').find((s) => s.win === 0 && s.flags.includes('.') && !s.flags.includes('S'));
        return expect(z !== undefined && z.t < READ_AT, z ? `win 0 at ${z.t} ms` : 'never');
      },
    },
    {
      id: 'persist-backoff',
      text: { en: 'A sends at least 3 window probes, each interval twice the previous', 'zh-CN': 'A 至少发送 3 个窗口探测，每次间隔是上一次的两倍' },
      check(run) {
        const probes = tcpEvents(run, ADDR_A, 'zero-window-probe');
        const gaps = probes.slice(1).map((p, i) => p.t - probes[i]!.t);
        const doubling = gaps.slice(1).every((g, i) => Math.abs(g - 2 * gaps[i]!) <= 1);
        return expect(probes.length >= 3 && doubling, `${probes.length} probes, intervals ${gaps.join(', ')} ms`);
      },
    },
    {
      id: 'window-update',
      text: { en: 'after B reads, a window update reopens the window and all 16 KiB arrive', 'zh-CN': 'B 读取后，窗口更新重新打开窗口，16 KiB 全部到达' },
      check(run) {
        const upd = segments(run, 'B').find((s) => s.t >= READ_AT && s.win > 0);
        return expect(upd !== undefined && run.results['received'] === TOTAL, `update at ${upd?.t} ms win ${upd?.win}, received ${run.results['received']}`);
      },
    },
  ],
  async run(params) {
    const opts = { windowScaling: false, timestamps: false };
    return runTcpLab('zero-window', params, { a: opts, b: opts }, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      let received = 0;
      const reader = (async () => {
        const s = await server.accept();
        await x.wait(READ_AT);
        for (;;) {
          const c = await s.recv(1 << 16);
          if (c.length === 0) break;
          received += c.length;
        }
      })();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      x.step('A: send 16 KiB; B does not read for 3 s');
      const sent = client.send(pattern(TOTAL));
      await x.outcome(sent, 20_000);
      await x.outcome(client.close(), 1000);
      await x.outcome(reader, 20_000);
      x.result('received', received);
      void ADDR_B;
    });
  },
};
