import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern, readAll } from './tcp-hosts';
import { runTcpLab, segments, stateChanges } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const ANSWER = 20_000;

export const halfCloseLab: LabModule = {
  name: 'half-close',
  title: { en: 'Half-close: shutdown(SHUT_WR) while the peer keeps sending', 'zh-CN': '半关闭：shutdown(SHUT_WR) 后对端继续发送' },
  narrative: {
    en:
      'A sends a 100-byte request and calls shutdown(SHUT_WR), like `rsh host sort < file`: its FIN tells B "no more data from me", ' +
      'but A can still receive. B reads the request up to end-of-file, then sends 20 000 bytes of answer. Watch A sit in FIN-WAIT-2 ' +
      'while data keeps arriving and being ACKed, and B in CLOSE-WAIT while it sends; only when B closes does its FIN end the connection.',
    'zh-CN':
      'A 发送 100 字节的请求后调用 shutdown(SHUT_WR)，就像 `rsh host sort < file`：它的 FIN 告诉 B“我不再发数据了”，但 A 仍可接收。' +
      'B 读请求直到文件结束，然后发送 20 000 字节的应答。观察 A 停在 FIN-WAIT-2 期间数据不断到达并被确认，而 B 在 CLOSE-WAIT 中发送；' +
      '直到 B 关闭，它的 FIN 才结束连接。',
  },
  defaults: {},
  expectations: [
    {
      id: 'fin-before-answer',
      text: { en: 'A\'s FIN goes out before any of B\'s answer', 'zh-CN': 'A 的 FIN 在 B 的任何应答数据之前发出' },
      check(run) {
        const fin = segments(run, 'A').find((s) => s.flags.includes('F'));
        const firstData = segments(run, 'B').find((s) => s.len > 0);
        return expect(fin !== undefined && firstData !== undefined && fin.t < firstData.t, `FIN at ${fin?.t} ms, first answer byte at ${firstData?.t} ms`);
      },
    },
    {
      id: 'data-after-fin',
      text: { en: 'B sends all 20 000 bytes after A\'s FIN; A receives them all', 'zh-CN': 'B 在 A 的 FIN 之后发送全部 20 000 字节；A 全部收到' },
      check(run) {
        const fin = segments(run, 'A').find((s) => s.flags.includes('F'));
        const bytes = segments(run, 'B').filter((s) => fin && s.t > fin.t).reduce((n, s) => n + s.len, 0);
        return expect(bytes >= ANSWER && run.results['receivedByA'] === ANSWER, `${bytes} bytes sent after the FIN, A received ${run.results['receivedByA']}`);
      },
    },
    {
      id: 'half-closed-states',
      text: { en: 'A is in FIN-WAIT-2 and B in CLOSE-WAIT while the answer flows', 'zh-CN': '应答传输期间 A 处于 FIN-WAIT-2，B 处于 CLOSE-WAIT' },
      check(run) {
        const a = stateChanges(run, ADDR_A);
        const b = stateChanges(run, ADDR_B, 80);
        const fw2 = a.find((c) => c.to === 'FIN-WAIT-2');
        const fw2End = a.find((c) => c.from === 'FIN-WAIT-2');
        const cw = b.find((c) => c.to === 'CLOSE-WAIT');
        const cwEnd = b.find((c) => c.from === 'CLOSE-WAIT');
        const sent = segments(run, 'B').filter((s) => s.len > 0);
        const got = segments(run, 'A', 'rx').filter((s) => s.len > 0);
        const firstSent = sent[0]?.t ?? NaN;
        const lastSent = sent[sent.length - 1]?.t ?? NaN;
        const firstGot = got[0]?.t ?? NaN;
        const lastGot = got[got.length - 1]?.t ?? NaN;
        const ok = fw2 !== undefined && fw2End !== undefined && cw !== undefined && cwEnd !== undefined && fw2.t <= firstGot && fw2End.t > lastGot && cw.t <= firstSent && cwEnd.t >= lastSent;
        return expect(ok, `A FIN-WAIT-2 ${fw2?.t}–${fw2End?.t} ms (answer arrives ${firstGot}–${lastGot}), B CLOSE-WAIT ${cw?.t}–${cwEnd?.t} ms (answer sent ${firstSent}–${lastSent})`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('half-close', params, {}, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const serverDone = (async () => {
        const s = await server.accept();
        const n = await readAll(s);
        x.result('requestBytes', n);
        x.step('B: request read to EOF; sending the answer');
        await s.send(pattern(ANSWER));
        await s.drain(); // until every byte is ACKed: B stays in CLOSE-WAIT while it sends
        x.step('B: close()');
        await s.close();
      })();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      await x.outcome(client.send(pattern(100)), 5000);
      x.step('A: shutdown(SHUT_WR)');
      client.shutdown('SHUT_WR');
      const got = await x.outcome(readAll(client), 30_000);
      x.result('receivedByA', got.ok ? got.value : got.errno);
      await x.outcome(serverDone, 10_000);
      await x.outcome(client.close(), 5000);
      await x.sleep(1000);
    });
  },
};
