import { ADDR_B } from './hosts';
import { expect } from './inspect';
import { connOf, listenOn } from './tcp-hosts';
import { runTcpLab, segments } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

const KEYS = 20;
const TYPE_MS = 30;

export const interactiveLab: LabModule = {
  name: 'interactive',
  title: { en: 'Interactive data: delayed ACK and Nagle (telnet-like)', 'zh-CN': '交互数据：延迟确认与 Nagle（类 telnet）' },
  narrative: {
    en:
      `A types ${KEYS} characters, one every ${TYPE_MS} ms, to an echo server on B over a 100 ms round trip, twice: first with Nagle's ` +
      'algorithm (the default), then with TCP_NODELAY. With Nagle, a small segment may leave only when nothing is unacknowledged, so ' +
      'after the first keystroke the next ones wait and go out together when the ACK comes back — fewer, larger segments. With ' +
      'TCP_NODELAY every keystroke is its own 1-byte segment. The echo server sets TCP_NODELAY (as sshd does), so B\'s ACK of a keystroke ' +
      'rides on the echo (piggybacking); and when A has ' +
      'nothing to send, its ACK of the last echo waits for the delayed-ACK timer (200 ms here; RFC 1122 §4.2.3.2 allows up to 500 ms).',
    'zh-CN':
      `A 以每 ${TYPE_MS} ms 一个字符的速度，通过 100 ms 往返时延向 B 上的回显服务器输入 ${KEYS} 个字符，共两轮：第一轮使用 Nagle 算法（默认），` +
      '第二轮设置 TCP_NODELAY。使用 Nagle 时，只有在没有未确认数据时才能发送小报文段，因此第一个按键之后的字符要等 ACK 返回后一起发出——报文段更少、更大。' +
      '设置 TCP_NODELAY 时每个按键都是一个 1 字节的报文段。回显服务器设置了 TCP_NODELAY（sshd 也这样做），所以 B 对按键的确认搭载在回显数据上（捎带确认）；A 没有数据可发时，它对最后一个回显的确认要等' +
      '延迟确认定时器（这里为 200 ms；RFC 1122 §4.2.3.2 允许最多 500 ms）。',
  },
  defaults: { delayMs: 50 },
  expectations: [
    {
      id: 'nagle-coalesces',
      text: { en: 'with Nagle, the keystrokes leave in fewer segments, some carrying several bytes', 'zh-CN': '使用 Nagle 时，按键以更少的报文段发出，有的报文段带多个字节' },
      check(run) {
        const port = Number(run.results['naglePort']);
        const data = segments(run, 'A').filter((s) => s.len > 0 && s.frame.pkt.tcp!.srcPort === port);
        const multi = data.filter((s) => s.len > 1).length;
        return expect(data.length < KEYS && multi > 0 && run.results['nagleEcho'] === KEYS, `${data.length} segments for ${KEYS} keystrokes, ${multi} with more than one byte; echoed ${run.results['nagleEcho']}`);
      },
    },
    {
      id: 'nodelay-one-per-key',
      text: { en: 'with TCP_NODELAY, one 1-byte segment per keystroke', 'zh-CN': '设置 TCP_NODELAY 时，每个按键一个 1 字节报文段' },
      check(run) {
        const port = Number(run.results['nodelayPort']);
        const data = segments(run, 'A').filter((s) => s.len > 0 && s.frame.pkt.tcp!.srcPort === port);
        return expect(data.length === KEYS && data.every((s) => s.len === 1), `${data.length} segments, sizes ${[...new Set(data.map((s) => s.len))].join(',')}`);
      },
    },
    {
      id: 'piggyback',
      text: { en: 'B acknowledges keystrokes on its echo segments: at least 3 in 4 of its segments carry data', 'zh-CN': 'B 在回显报文段上确认按键：它的报文段至少四分之三带数据' },
      check(run) {
        const b = segments(run, 'B').filter((s) => !s.flags.includes('S') && !s.flags.includes('F'));
        const pure = b.filter((s) => s.len === 0).length;
        return expect(b.length > 0 && (b.length - pure) / b.length >= 0.75, `${b.length} segments from B, ${pure} pure ACKs (the first ones: quick ACKs at connection start)`);
      },
    },
    {
      id: 'delayed-ack',
      text: { en: 'A does not ACK the last echo at once: the delayed-ACK timer (at most 200 ms) sends it', 'zh-CN': 'A 不立即确认最后一个回显：由延迟确认定时器（最多 200 ms）发送' },
      check(run) {
        const port = Number(run.results['nodelayPort']);
        const echoes = segments(run, 'A', 'rx').filter((s) => s.len > 0 && s.frame.pkt.tcp!.dstPort === port);
        const last = echoes[echoes.length - 1];
        const ack = last ? segments(run, 'A').find((s) => s.t >= last.t && s.len === 0 && s.frame.pkt.tcp!.srcPort === port && s.ack === ((last.seq + last.len) >>> 0)) : undefined;
        const d = ack && last ? ack.t - last.t : NaN;
        return expect(d >= 20 && d <= 200, `last echo at ${last?.t} ms, pure ACK ${d} ms later`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('interactive', params, { a: { timestamps: false }, b: { timestamps: false } }, async (x) => {
      // The echo server sets TCP_NODELAY, as sshd does: each echo leaves at once and carries the ACK.
      const server = listenOn(x.h.tcpB, 23, (s) => s.setsockopt('TCP_NODELAY', true));
      void (async () => {
        for (;;) {
          const s = await server.accept();
          void (async () => {
            for (;;) {
              const c = await s.recv(100);
              if (c.length === 0) break;
              await s.send(c);
            }
            await s.close();
          })();
        }
      })();
      const session = async (noDelay: boolean) => {
        const c = new TcpSocket(x.h.tcpA);
        if (noDelay) c.setsockopt('TCP_NODELAY', true);
        await x.outcome(c.connect(ADDR_B, 23), 10_000);
        const port = connOf(c).endpoints.localPort;
        x.result(noDelay ? 'nodelayPort' : 'naglePort', port);
        let echoed = 0;
        const reader = (async () => {
          while (echoed < KEYS) {
            const r = await c.recv(100);
            if (r.length === 0) break;
            echoed += r.length;
          }
        })();
        x.step(noDelay ? 'typing with TCP_NODELAY' : 'typing with Nagle');
        for (let i = 0; i < KEYS; i++) {
          await c.send(String.fromCharCode(97 + (i % 26)));
          await x.sleep(TYPE_MS);
        }
        await x.outcome(reader, 5000);
        await x.sleep(1000);
        x.result(noDelay ? 'nodelayEcho' : 'nagleEcho', echoed);
        await x.outcome(c.close(), 1000);
        await x.sleep(500);
      };
      await session(false);
      await session(true);
    });
  },
};
