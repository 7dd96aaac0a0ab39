import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern, tcpLayerOf, hostConfig } from './tcp-hosts';
import { runTcpLab, segments, segText, stateChanges } from './tcp-lab';
import { Stack } from '../stack/stack';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const halfOpenLab: LabModule = {
  name: 'half-open',
  title: { en: 'Half-open connection after a peer reboot → RST', 'zh-CN': '对端重启后的半开连接 → RST' },
  narrative: {
    en:
      'A and B exchange some data, then B crashes and reboots: its new stack knows nothing of the connection (it announces itself with ' +
      'a gratuitous ARP). A still believes the connection is open — it is half-open. Nothing happens until A sends: B\'s TCP receives ' +
      'a segment for a connection it does not have and answers with RST (seq = the segment\'s ACK number, RFC 9293 §3.10.7.1), and ' +
      'A\'s connection ends with ECONNRESET.',
    'zh-CN':
      'A 与 B 交换一些数据后，B 崩溃并重启：新的协议栈对这条连接一无所知（它用免费 ARP 宣告自己）。A 仍以为连接是打开的——这就是半开连接。' +
      '在 A 发送数据之前什么也不会发生：B 的 TCP 收到一个不属于任何连接的报文段，用 RST 应答（seq = 该报文段的确认号，RFC 9293 §3.10.7.1），' +
      'A 的连接以 ECONNRESET 结束。',
  },
  defaults: {},
  expectations: [
    {
      id: 'rst-from-rebooted',
      text: { en: 'after the reboot, A\'s data gets a RST whose seq is the data segment\'s ACK number', 'zh-CN': '重启后，A 的数据得到一个 RST，其 seq 等于该数据段的确认号' },
      check(run) {
        const rebootAt = Number(run.results['rebootAt']);
        const data = segments(run, 'A').find((s) => s.t > rebootAt && s.len > 0);
        const rst = segments(run, 'B').find((s) => s.t > rebootAt && s.flags.includes('R'));
        return expect(data !== undefined && rst !== undefined && rst.seq === data.ack, [data, rst].map((s) => (s ? segText(s) : '-')).join(' | '));
      },
    },
    {
      id: 'econnreset',
      text: { en: 'A\'s connection ends with ECONNRESET', 'zh-CN': 'A 的连接以 ECONNRESET 结束' },
      check(run) {
        const last = stateChanges(run, ADDR_A).pop();
        return expect(run.results['afterReboot'] === 'ECONNRESET' && last?.to === 'CLOSED', `A: ${run.results['afterReboot']}, final state ${last?.to}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('half-open', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const accepted = server.accept();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      const sb = await x.outcome(accepted, 1000);
      if (!sb.ok) throw new Error('half-open: accept failed');
      await x.outcome(client.send(pattern(500)), 1000);
      await x.outcome(sb.value.recv(), 1000);
      await x.sleep(1000);
      x.step('B crashes and reboots');
      x.result('rebootAt', x.world.clock.now());
      const device = x.h.b.interfaces[0]!.device;
      await x.h.b.close({ closeDevices: false });
      const b2 = new Stack({ clock: x.world.clock, random: x.world.random.fork(), probes: x.world.bus });
      b2.addInterface({ device, ipv4: `${ADDR_B}/24` });
      tcpLayerOf(b2, hostConfig(params, 1));
      await x.sleep(2000);
      x.step('A: send() on the half-open connection');
      await x.outcome(client.send(pattern(100)), 1000);
      const r = await x.outcome(client.recv(), 5000);
      x.result('afterReboot', r.ok ? `${r.value.length} bytes` : r.errno);
      await x.sleep(500);
    });
  },
};
