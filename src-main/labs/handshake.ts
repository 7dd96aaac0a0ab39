import { expect } from './inspect';
import { ADDR_B, connOf, listenOn, pattern, readAll } from './tcp-hosts';
import { runTcpLab, segments, segText } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const handshakeLab: LabModule = {
  name: 'handshake',
  title: { en: 'Three-way handshake and MSS', 'zh-CN': '三次握手与 MSS' },
  narrative: {
    en:
      'A connects to B port 80. Watch the three segments: SYN (seq = A\'s ISN, with A\'s MSS option), SYN-ACK (seq = B\'s ISN, ' +
      'ack = A\'s ISN + 1, with B\'s MSS), ACK (ack = B\'s ISN + 1): each SYN uses one sequence number. The MSS options are not ' +
      'negotiated but announced: each side sends segments no larger than the other side\'s MSS, nor than its own (Linux clamps to the ' +
      'smaller, as a host with a 576-byte MTU cannot send 1460 either). Here A announces 1460 (MTU 1500 − 40) and B 536, so both directions ' +
      'use 536: A\'s 2000-byte request leaves as 536 + 536 + 536 + 392 and B\'s 3000-byte answer as five 536-byte segments and 320. ' +
      'Watch also the last 392 bytes wait for an ACK: Nagle\'s algorithm holds a short segment while data is unacknowledged. ' +
      'Pin the numbers with --isn and --mss to reproduce a textbook figure (timestamps are off in this lab so payloads equal the MSS).',
    'zh-CN':
      'A 连接 B 的 80 端口。观察三个报文段：SYN（seq = A 的 ISN，带 A 的 MSS 选项）、SYN-ACK（seq = B 的 ISN，ack = A 的 ISN + 1，带 B 的 MSS）、' +
      'ACK（ack = B 的 ISN + 1）：每个 SYN 占用一个序号。MSS 选项不是协商而是通告：每一方发送的报文段既不超过对方的 MSS，也不超过自己的' +
      '（Linux 取两者较小值，MTU 为 576 的主机本来也发不了 1460）。本实验 A 通告 1460（MTU 1500 − 40），B 通告 536，所以两个方向都用 536：' +
      'A 的 2000 字节请求分成 536 + 536 + 536 + 392，B 的 3000 字节应答分成五个 536 字节的段和 320。还要注意最后 392 字节要等到 ACK 才发出：' +
      'Nagle 算法在有未确认数据时扣住短报文段。' +
      '用 --isn 和 --mss 固定这些数字即可重现教科书中的图（本实验关闭时间戳选项，使载荷等于 MSS）。',
  },
  defaults: { isn: [1000, 5000], mss: [1460, 536], delayMs: 10 },
  expectations: [
    {
      id: 'three-segments',
      text: { en: 'SYN, SYN-ACK, ACK with ISN+1 acknowledgements', 'zh-CN': 'SYN、SYN-ACK、ACK，确认号为 ISN+1' },
      check(run) {
        const a = segments(run, 'A');
        const b = segments(run, 'B');
        const syn = a[0];
        const synAck = b[0];
        const ack = a[1];
        const ok =
          syn?.flags === 'S' &&
          synAck?.flags === 'S.' &&
          synAck.ack === ((syn.seq + 1) >>> 0) &&
          ack !== undefined &&
          ack.flags.includes('.') &&
          !ack.flags.includes('S') &&
          ack.ack === ((synAck.seq + 1) >>> 0) &&
          (run.params.isn[0] === null || syn.seq === run.params.isn[0]) &&
          (run.params.isn[1] === null || synAck.seq === run.params.isn[1]);
        return expect(ok, [syn, synAck, ack].map((s) => (s ? segText(s) : '-')).join(' | '));
      },
    },
    {
      id: 'mss-options',
      text: { en: 'the SYN carries A\'s MSS, the SYN-ACK B\'s', 'zh-CN': 'SYN 带 A 的 MSS，SYN-ACK 带 B 的 MSS' },
      check(run) {
        const syn = segments(run, 'A')[0];
        const synAck = segments(run, 'B')[0];
        const wantA = run.params.mss[0] ?? 1460;
        const wantB = run.params.mss[1] ?? 1460;
        return expect(syn?.mss === wantA && synAck?.mss === wantB, `SYN mss ${syn?.mss}, SYN-ACK mss ${synAck?.mss}`);
      },
    },
    {
      id: 'segment-sizes',
      text: { en: 'data segments in both directions are at most min(MSS A, MSS B), and some are exactly that', 'zh-CN': '两个方向的数据段都不超过 min(MSS A, MSS B)，且有的正好等于它' },
      check(run) {
        const maxA = Math.max(0, ...segments(run, 'A').map((s) => s.len));
        const maxB = Math.max(0, ...segments(run, 'B').map((s) => s.len));
        const mss = Math.min(run.params.mss[0] ?? 1460, run.params.mss[1] ?? 1460);
        return expect(maxA === Math.min(mss, 2000) && maxB === Math.min(mss, 3000), `largest A→B ${maxA}, largest B→A ${maxB}, min MSS ${mss}`);
      },
    },
    {
      id: 'connect-one-rtt',
      text: { en: 'connect() returns when the SYN-ACK arrives, one round trip after the SYN', 'zh-CN': 'connect() 在 SYN-ACK 到达时返回，即 SYN 之后一个往返时间' },
      check(run) {
        const syn = segments(run, 'A')[0];
        const synAck = segments(run, 'A', 'rx')[0];
        const done = Number(run.results['connectDoneAt']);
        const rtt = 2 * run.params.delayMs;
        return expect(syn !== undefined && synAck !== undefined && done === synAck.t && synAck.t - syn.t === rtt, `SYN at ${syn?.t} ms, SYN-ACK at ${synAck?.t} ms, connect returned at ${done} ms`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('handshake', params, { a: { timestamps: false }, b: { timestamps: false } }, async (x) => {
      const server = listenOn(x.h.tcpB, 80);
      const serverDone = (async () => {
        const s = await server.accept();
        const req = await s.recv(1 << 16);
        let got = req.length;
        while (got < 2000) got += (await s.recv(1 << 16)).length;
        await s.send(pattern(3000));
        await readAll(s);
        await s.close();
      })();
      const client = new TcpSocket(x.h.tcpA);
      const t0 = x.world.clock.now();
      x.step('A: connect(192.0.2.2, 80)');
      const c = await x.outcome(client.connect(ADDR_B, 80), 10_000);
      x.result('connect', c.ok ? 'ok' : c.errno);
      x.result('connectDoneAt', x.world.clock.now());
      x.result('connectMs', x.world.clock.now() - t0);
      x.result('effectiveMssA', connOf(client).effectiveMss());
      x.step('A: send 2000 bytes');
      await x.outcome(client.send(pattern(2000)), 5000);
      let got = 0;
      while (got < 3000) {
        const r = await x.outcome(client.recv(1 << 16), 5000);
        if (!r.ok || r.value.length === 0) break;
        got += r.value.length;
      }
      x.result('receivedByA', got);
      x.step('A: close()');
      await x.outcome(client.close(), 5000);
      await x.outcome(serverDone, 5000);
      await x.sleep(1000);
    });
  },
};
