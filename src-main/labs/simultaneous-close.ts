import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn } from './tcp-hosts';
import { runTcpLab, segments, stateChanges, statePath } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const simultaneousCloseLab: LabModule = {
  name: 'simultaneous-close',
  title: { en: 'Simultaneous close (CLOSING)', 'zh-CN': '同时关闭（CLOSING）' },
  narrative: {
    en:
      'Both applications call close() at the same instant: the two FINs cross. Each side receives the other\'s FIN while in FIN-WAIT-1 ' +
      '(its own FIN not yet ACKed), ACKs it and enters the rare CLOSING state; when the ACK of its own FIN arrives it goes to TIME-WAIT. ' +
      'Both sides end in TIME-WAIT — both were active closers.',
    'zh-CN':
      '双方应用在同一时刻调用 close()：两个 FIN 交叉。每一方在 FIN-WAIT-1（自己的 FIN 尚未被确认）时收到对方的 FIN，确认它并进入少见的 CLOSING 状态；' +
      '收到对自己 FIN 的确认后进入 TIME-WAIT。双方都以 TIME-WAIT 结束——它们都是主动关闭方。',
  },
  defaults: {},
  expectations: [
    {
      id: 'crossing-fins',
      text: { en: 'both FINs leave before either is received', 'zh-CN': '两个 FIN 都在对方收到之前发出' },
      check(run) {
        const fa = segments(run, 'A').find((s) => s.flags.includes('F'));
        const fb = segments(run, 'B').find((s) => s.flags.includes('F'));
        return expect(fa !== undefined && fb !== undefined && Math.abs(fa.t - fb.t) < run.params.delayMs, `FINs at ${fa?.t} and ${fb?.t} ms`);
      },
    },
    {
      id: 'closing',
      text: { en: 'both go FIN-WAIT-1 → CLOSING → TIME-WAIT', 'zh-CN': '双方都经历 FIN-WAIT-1 → CLOSING → TIME-WAIT' },
      check(run) {
        const pa = statePath(stateChanges(run, ADDR_A));
        const pb = statePath(stateChanges(run, ADDR_B, 80));
        const want = 'FIN-WAIT-1>CLOSING>TIME-WAIT';
        return expect(pa.includes(want) && pb.includes(want), `A: ${pa}; B: ${pb}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('simultaneous-close', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const accepted = server.accept();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      const sb = await x.outcome(accepted, 1000);
      if (!sb.ok) throw new Error(`simultaneous-close: accept failed (${sb.errno})`);
      await x.sleep(500);
      x.step('A and B: close() at the same time');
      const ca = client.close();
      const cb = sb.value.close();
      await x.outcome(Promise.all([ca, cb]), 5000);
      await x.sleep(2000);
    });
  },
};
