import { ADDR_B } from './hosts';
import { expect } from './inspect';
import { listenOn, pattern } from './tcp-hosts';
import { runTcpLab, segments } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const TOTAL = 16_384;
const BUF = 4096;
const READ = 200;

export const sillyWindowLab: LabModule = {
  name: 'silly-window',
  title: { en: 'Silly-window syndrome avoidance', 'zh-CN': '糊涂窗口综合症的避免' },
  narrative: {
    en:
      `B's application reads only ${READ} bytes every 50 ms from a ${BUF}-byte buffer while A sends 16 KiB. Without care, each small ` +
      `read would open a ${READ}-byte window and A would answer with ${READ}-byte segments — the silly window syndrome. Watch both ` +
      'guards (RFC 9293 §3.8.6.2): the receiver moves the window\'s right edge only when it can grow by min(MSS, buffer/2) = 1460 ' +
      'bytes (1600 here: a 1460 step plus what was already free), so A sends full 1460-byte segments; like Linux it sends the ' +
      'short 140-byte remainder of such a window only when nothing else is unacknowledged (Nagle\'s rule), never a stream of tiny ones.',
    'zh-CN':
      `B 的应用每 50 ms 只从 ${BUF} 字节的缓冲区读 ${READ} 字节，而 A 要发送 16 KiB。若不加处理，每次小读取都会打开 ${READ} 字节的窗口，A 也会回以 ${READ} ` +
      '字节的报文段——这就是糊涂窗口综合症。观察两道防线（RFC 9293 §3.8.6.2）：接收方只有在窗口右沿能前移 min(MSS, 缓冲区/2) = 1460 字节时才前移它；' +
      '（这里是 1600：1460 的步长加上原已空出的部分），所以 A 发送满长度的 1460 字节报文段；与 Linux 一样，只有在没有其他未确认数据时，' +
      '它才发送这种窗口剩下的 140 字节短段（Nagle 规则），绝不会连续发送小段。',
  },
  defaults: { rcvbuf: [null, BUF] },
  expectations: [
    {
      id: 'receiver-sws',
      text: { en: 'B moves the right edge of its window only in steps of at least min(MSS, buffer/2)', 'zh-CN': 'B 只以不小于 min(MSS, 缓冲区/2) 的步长前移窗口右沿' },
      check(run) {
        const b = segments(run, 'B').filter((s) => s.flags.includes('.') && !s.flags.includes('S') && !s.flags.includes('F'));
        const edges = b.map((s) => (s.ack + s.win) >>> 0);
        const steps = edges.slice(1).map((e, i) => (e - edges[i]!) | 0).filter((d) => d > 0);
        const threshold = Math.min(1460, BUF / 2);
        const small = steps.filter((d) => d < threshold);
        return expect(steps.length > 3 && small.length === 0, `${steps.length} right-edge moves, smallest ${Math.min(...steps)} bytes, ${small.length} below ${threshold}`);
      },
    },
    {
      id: 'sender-sws',
      text: { en: 'at least 75 % of the bytes travel in full-MSS segments, and short segments never follow one another (but for the end of the data)', 'zh-CN': '至少 75% 的字节以满 MSS 报文段传送，短报文段从不连续出现（数据末尾除外）' },
      check(run) {
        // First transmissions only (a retransmission repeats a segment already counted).
        const seen = new Set<number>();
        const data = segments(run, 'A').filter((s) => s.len > 0 && !seen.has(s.seq) && seen.add(s.seq) !== undefined);
        const mss = Math.max(...data.map((s) => s.len));
        const fullBytes = data.filter((s) => s.len === mss).reduce((n, s) => n + s.len, 0);
        const allBytes = data.reduce((n, s) => n + s.len, 0);
        const consecutiveShort = data.slice(1, -1).filter((s, i) => s.len < mss && data[i]!.len < mss).length;
        const share = fullBytes / allBytes;
        return expect(share >= 0.75 && consecutiveShort === 0 && run.results['received'] === TOTAL, `${(share * 100).toFixed(1)} % of bytes in ${mss}-byte segments, ${consecutiveShort} short-after-short, received ${run.results['received']}`);
      },
    },
  ],
  async run(params) {
    const opts = { windowScaling: false, timestamps: false };
    return runTcpLab('silly-window', params, { a: opts, b: opts }, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      let received = 0;
      const reader = (async () => {
        const s = await server.accept();
        for (;;) {
          await x.wait(50);
          const c = await s.recv(READ);
          if (c.length === 0) break;
          received += c.length;
        }
      })();
      const client = new TcpSocket(x.h.tcpA);
      await x.outcome(client.connect(ADDR_B, 80), 10_000);
      x.step(`A: send 16 KiB; B reads ${READ} bytes every 50 ms`);
      await x.outcome(client.send(pattern(TOTAL)), 60_000);
      await x.outcome(client.close(), 1000);
      await x.outcome(reader, 60_000);
      x.result('received', received);
    });
  },
};
