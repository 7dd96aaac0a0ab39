import { ADDR_A, ADDR_B } from './hosts';
import { expect } from './inspect';
import { runTcpLab, segments, stateChanges, statePath } from './tcp-lab';
import { TcpSocket } from '../stack/tcp/socket';
import type { LabModule } from './types';

export const simultaneousOpenLab: LabModule = {
  name: 'simultaneous-open',
  title: { en: 'Simultaneous open: two SYNs cross', 'zh-CN': '同时打开：两个 SYN 交叉' },
  narrative: {
    en:
      'A (port 5000) and B (port 6000) each connect to the other at the same instant, so their SYNs cross on the wire. Neither side ' +
      'listens. Each receives a SYN while in SYN-SENT, moves to SYN-RECEIVED and answers with SYN-ACK (repeating its own SYN\'s sequence ' +
      'number); each SYN-ACK completes the other\'s handshake and is answered with a plain ACK: six segments for one connection — RFC 9293 Figure 7.',
    'zh-CN':
      'A（端口 5000）和 B（端口 6000）在同一时刻互相连接，两个 SYN 在线路上交叉。双方都没有监听。各自在 SYN-SENT 状态收到 SYN，进入 SYN-RECEIVED ' +
      '并以 SYN-ACK 应答（重复自己 SYN 的序号）；每个 SYN-ACK 完成对方的握手，并以普通 ACK 应答：六个报文段建立一条连接——见 RFC 9293 图 7。',
  },
  defaults: {},
  expectations: [
    {
      id: 'crossing-syns',
      text: { en: 'both send a SYN before receiving one, then both send SYN-ACK', 'zh-CN': '双方都在收到 SYN 之前发出 SYN，然后都发 SYN-ACK' },
      check(run) {
        const a = segments(run, 'A');
        const b = segments(run, 'B');
        const aSyn = a.find((s) => s.flags === 'S');
        const bSyn = b.find((s) => s.flags === 'S');
        const aSynAck = a.find((s) => s.flags === 'S.');
        const bSynAck = b.find((s) => s.flags === 'S.');
        const ok = aSyn !== undefined && bSyn !== undefined && aSynAck !== undefined && bSynAck !== undefined && Math.abs(aSyn.t - bSyn.t) < run.params.delayMs && aSynAck.seq === aSyn.seq && bSynAck.seq === bSyn.seq;
        return expect(ok, `SYNs at ${aSyn?.t}/${bSyn?.t} ms, SYN-ACKs at ${aSynAck?.t}/${bSynAck?.t} ms`);
      },
    },
    {
      id: 'both-syn-received',
      text: { en: 'both go SYN-SENT → SYN-RECEIVED → ESTABLISHED', 'zh-CN': '双方都经历 SYN-SENT → SYN-RECEIVED → ESTABLISHED' },
      check(run) {
        const pa = statePath(stateChanges(run, ADDR_A, 5000));
        const pb = statePath(stateChanges(run, ADDR_B, 6000));
        const want = 'SYN-SENT>SYN-RECEIVED>ESTABLISHED';
        return expect(pa.startsWith(want) && pb.startsWith(want), `A: ${pa}; B: ${pb}`);
      },
    },
    {
      id: 'both-connected',
      text: { en: 'both connect() calls succeed and data flows both ways', 'zh-CN': '两个 connect() 都成功，数据双向流动' },
      check(run) {
        return expect(run.results['connectA'] === 'ok' && run.results['connectB'] === 'ok' && run.results['echo'] === 'ok', `A ${run.results['connectA']}, B ${run.results['connectB']}, data ${run.results['echo']}`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('simultaneous-open', params, {}, async (x) => {
      // Resolve ARP first so both SYNs leave at the same instant.
      await x.outcome(x.h.a.icmp.ping(ADDR_B), 1000);
      const sa = new TcpSocket(x.h.tcpA);
      const sb = new TcpSocket(x.h.tcpB);
      sa.bind(ADDR_A, 5000);
      sb.bind(ADDR_B, 6000);
      x.step('A: connect(B:6000) and B: connect(A:5000) at the same time');
      const pa = x.outcome(sa.connect(ADDR_B, 6000), 10_000);
      const pb = x.outcome(sb.connect(ADDR_A, 5000), 10_000);
      const [ra, rb] = [await pa, await pb];
      x.result('connectA', ra.ok ? 'ok' : ra.errno);
      x.result('connectB', rb.ok ? 'ok' : rb.errno);
      if (ra.ok && rb.ok) {
        await x.outcome(sa.send('hello from A'), 1000);
        const got = await x.outcome(sb.recv(), 1000);
        x.result('echo', got.ok && new TextDecoder().decode(got.value) === 'hello from A' ? 'ok' : 'missing');
      }
      await x.sleep(500);
    });
  },
};
