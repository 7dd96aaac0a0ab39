import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern } from './tcp-hosts';
import { runTcpLab, segments, segText, stateChanges, statePath } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const lingerAbortLab: LabModule = {
  name: 'linger-abort',
  title: { en: 'SO_LINGER 0: close() aborts with RST', 'zh-CN': 'SO_LINGER 0：close() 以 RST 中止连接' },
  narrative: {
    en:
      'A sets SO_LINGER { on, 0 } and calls close(). Instead of the orderly FIN exchange, A sends one RST and forgets the connection ' +
      'at once: no FIN-WAIT states and no TIME-WAIT. B\'s next recv() fails with ECONNRESET. Servers use this to shed connections ' +
      'quickly; the cost is that data still unsent or unread is thrown away.',
    'zh-CN':
      'A 设置 SO_LINGER { on, 0 } 后调用 close()。A 不走有序的 FIN 交换，而是发送一个 RST 并立即丢弃连接：没有 FIN-WAIT 状态，也没有 TIME-WAIT。' +
      'B 的下一次 recv() 以 ECONNRESET 失败。服务器用它来快速释放连接，代价是尚未发送或尚未读取的数据被丢弃。',
  },
  defaults: {},
  expectations: [
    {
      id: 'rst-not-fin',
      text: { en: 'A sends a RST and never a FIN', 'zh-CN': 'A 发送 RST，从不发送 FIN' },
      check(run) {
        const a = segments(run, 'A');
        const rst = a.find((s) => s.flags.includes('R'));
        return expect(rst !== undefined && !a.some((s) => s.flags.includes('F')), rst ? segText(rst) : 'no RST');
      },
    },
    {
      id: 'no-time-wait',
      text: { en: 'A goes from ESTABLISHED straight to CLOSED (no TIME-WAIT)', 'zh-CN': 'A 从 ESTABLISHED 直接进入 CLOSED（没有 TIME-WAIT）' },
      check(run) {
        const p = statePath(stateChanges(run, ADDR_A));
        return expect(p.endsWith('ESTABLISHED>CLOSED') && !p.includes('TIME-WAIT'), p);
      },
    },
    {
      id: 'peer-reset',
      text: { en: 'B\'s recv() fails with ECONNRESET', 'zh-CN': 'B 的 recv() 以 ECONNRESET 失败' },
      check(run) {
        return expect(run.results['peerRecv'] === 'ECONNRESET', `B recv: ${run.results['peerRecv']}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('linger-abort', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const accepted = server.accept();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      const sb = await x.outcome(accepted, 1000);
      if (!sb.ok) throw new Error('linger-abort: accept failed');
      await x.outcome(client.send(pattern(1000)), 1000);
      await x.outcome(sb.value.recv(), 1000);
      await x.sleep(500);
      x.step('A: setsockopt(SO_LINGER, {on, 0}); close()');
      client.setsockopt('SO_LINGER', { onoff: true, linger: 0 });
      await x.outcome(client.close(), 1000);
      const r = await x.outcome(sb.value.recv(), 5000);
      x.result('peerRecv', r.ok ? `${r.value.length} bytes` : r.errno);
      await x.sleep(500);
    });
  },
};
