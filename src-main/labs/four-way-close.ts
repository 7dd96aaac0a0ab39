import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern, readAll } from './tcp-hosts';
import { runTcpLab, segments, segText, stateChanges, statePath } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const fourWayCloseLab: LabModule = {
  name: 'four-way-close',
  title: { en: 'Four-way close and TIME-WAIT', 'zh-CN': '四次挥手与 TIME-WAIT' },
  narrative: {
    en:
      'A sends a little data and calls close(): its FIN goes out (FIN-WAIT-1). B\'s stack ACKs the FIN at once (A: FIN-WAIT-2; ' +
      'B: CLOSE-WAIT) and B\'s application reads end-of-file — but it closes only one second later, so the close takes four segments ' +
      'instead of three. B\'s FIN (LAST-ACK) is ACKed by A, which now sits in TIME-WAIT for 2·MSL (60 s, as Linux) so that a lost final ' +
      'ACK can be repeated and old duplicates die out; only then is the connection gone. The active closer pays TIME-WAIT.',
    'zh-CN':
      'A 发送少量数据后调用 close()：发出 FIN（FIN-WAIT-1）。B 的协议栈立即确认该 FIN（A 进入 FIN-WAIT-2，B 进入 CLOSE-WAIT），B 的应用读到文件结束，' +
      '但一秒后才关闭，所以挥手用了四个报文段而不是三个。B 的 FIN（LAST-ACK）被 A 确认，A 随后在 TIME-WAIT 停留 2·MSL（与 Linux 一样为 60 s），' +
      '以便重发丢失的最后一个 ACK 并让旧的重复报文消亡；之后连接才真正消失。主动关闭的一方承担 TIME-WAIT。',
  },
  defaults: {},
  expectations: [
    {
      id: 'four-segments',
      text: { en: 'FIN from A, its ACK from B, FIN from B one second later, ACK from A', 'zh-CN': 'A 的 FIN、B 的 ACK、一秒后 B 的 FIN、A 的 ACK' },
      check(run) {
        const all = [...segments(run, 'A'), ...segments(run, 'B')].sort((x, y) => x.t - y.t);
        const finA = all.findIndex((s) => s.host === 'A' && s.flags.includes('F'));
        const tail = all.slice(finA);
        const ackB = tail.find((s) => s.host === 'B' && !s.flags.includes('F'));
        const finB = tail.find((s) => s.host === 'B' && s.flags.includes('F'));
        const ackA = finB ? all.find((s) => s.host === 'A' && s.t > finB.t && !s.flags.includes('F')) : undefined;
        const finSeg = all[finA];
        const ok = finSeg !== undefined && ackB !== undefined && ackB.ack === ((finSeg.seq + finSeg.len + 1) >>> 0) && finB !== undefined && finB.t - ackB.t >= 900 && ackA !== undefined && ackA.ack === ((finB.seq + 1) >>> 0);
        return expect(ok, [finSeg, ackB, finB, ackA].map((s) => (s ? segText(s) : '-')).join(' | '));
      },
    },
    {
      id: 'states-active',
      text: { en: 'A: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED', 'zh-CN': 'A：FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED' },
      check(run) {
        const p = statePath(stateChanges(run, ADDR_A));
        return expect(p.endsWith('ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>TIME-WAIT>CLOSED'), p);
      },
    },
    {
      id: 'states-passive',
      text: { en: 'B: CLOSE-WAIT → LAST-ACK → CLOSED', 'zh-CN': 'B：CLOSE-WAIT → LAST-ACK → CLOSED' },
      check(run) {
        const p = statePath(stateChanges(run, ADDR_B, 80));
        return expect(p.endsWith('ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED'), p);
      },
    },
    {
      id: 'time-wait-2msl',
      text: { en: 'TIME-WAIT lasts 2·MSL = 60 s', 'zh-CN': 'TIME-WAIT 持续 2·MSL = 60 s' },
      check(run) {
        const c = stateChanges(run, ADDR_A);
        const tw = c.find((x) => x.to === 'TIME-WAIT');
        const closed = c.find((x) => x.from === 'TIME-WAIT' && x.to === 'CLOSED');
        const d = tw && closed ? closed.t - tw.t : NaN;
        return expect(d === 60_000, `TIME-WAIT for ${d} ms`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('four-way-close', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const serverDone = (async () => {
        const s = await server.accept();
        const n = await readAll(s);
        x.result('serverRead', n);
        x.step('B: read() returned 0 (EOF); B closes one second later');
        await x.wait(1000);
        x.step('B: close()');
        await s.close();
      })();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      await x.outcome(client.send(pattern(100)), 5000);
      await x.sleep(500);
      x.step('A: close()');
      await x.outcome(client.close(), 5000);
      await x.outcome(serverDone, 10_000);
      await x.sleep(61_000);
    });
  },
};
