import type { ProbeEvent } from '@shared/model/probe';
import { TCP_CWR, TCP_ECE } from '@shared/wire/tcp';
import { ADDR_A } from './hosts';
import { expect } from './inspect';
import { startFlow, startSink } from './flows';
import { runTcpLab, segments, type Seg } from './tcp-lab';
import type { LabModule, LabRun } from './types';

const FLOW_MS = 4_000;
/** RED-like marking threshold of the bottleneck queue (about 20 full frames), and its (large) tail-drop limit. */
const MARK_BYTES = 30_000;
const QUEUE_BYTES = 256 * 1024;
const ECT0 = 2;
const CE = 3;

type Key = 'ecn' | 'plain';

function flowSegs(run: LabRun, key: Key) {
  const port = Number(run.results[`${key}Port`]);
  const sentA = segments(run, 'A').filter((s) => s.frame.pkt.tcp!.srcPort === port);
  const rcvdB = segments(run, 'B', 'rx').filter((s) => s.frame.pkt.tcp!.srcPort === port);
  const acksB = segments(run, 'B').filter((s) => s.frame.pkt.tcp!.dstPort === port);
  const subject = `${ADDR_A}:${port}-`;
  const cc = run.events.filter((e) => e.layer === 'cc' && (e.subject ?? '').startsWith(subject));
  const retransmits = run.events.filter((e) => e.layer === 'tcp' && e.kind === 'retransmit' && (e.subject ?? '').startsWith(subject));
  return { sentA, rcvdB, acksB, cc, retransmits };
}

const dataOf = (xs: Seg[]) => xs.filter((s) => s.len > 0);
const isSyn = (s: Seg) => s.flags.includes('S');

function events(cc: ProbeEvent[], name: string): ProbeEvent[] {
  return cc.filter((e) => e.data['event'] === name);
}

export const ecnLab: LabModule = {
  name: 'ecn',
  title: { en: 'ECN: congestion signalled by marking, not by loss (RFC 3168)', 'zh-CN': 'ECN：用标记而不是丢包通告拥塞（RFC 3168）' },
  narrative: {
    en:
      `Two Reno transfers of ${FLOW_MS / 1000} s each through a 10 Mbit/s bottleneck (40 ms RTT) whose queue runs RED-like active queue ` +
      `management: once ${MARK_BYTES / 1000} kB are waiting, every further packet is a congestion signal. Run 1 with ECN: A's SYN carries ECE and CWR ` +
      '(an ECN-setup SYN, setsockopt TCP_ECN = 1), B answers SYN-ACK with ECE alone — both ends now speak ECN. A sends its data as ECT(0) ' +
      '(the two ECN bits of the IP header = 10); pure ACKs, SYNs and retransmissions stay Not-ECT. When the queue is long the router does not ' +
      'drop an ECT packet: it sets CE (11) and forwards it. B sees CE, ACKs at once and sets ECE on every ACK until it sees CWR. A, on the ' +
      'first ECE, reduces exactly as for a loss — ssthresh = FlightSize/2, cwnd = ssthresh — but retransmits nothing, and sets CWR on its next ' +
      'new data segment; ECEs for data sent before the reduction are ignored (once per window). Watch the cwnd sawtooth with ECN markers and no ' +
      'retransmission at all. Run 2, the same path without ECN: the queue must drop the same packets it would have marked, and A learns of ' +
      'congestion only through duplicate ACKs and retransmissions.',
    'zh-CN':
      `两次 Reno 传输，各 ${FLOW_MS / 1000} 秒，经过 10 Mbit/s 瓶颈（RTT 40 ms），其队列运行类似 RED 的主动队列管理：排队超过 ${MARK_BYTES / 1000} kB 后，` +
      '每个新到的包都是拥塞信号。第一轮启用 ECN：A 的 SYN 同时带 ECE 和 CWR（ECN 协商 SYN，setsockopt TCP_ECN = 1），B 的 SYN-ACK 只带 ECE——' +
      '双方从此使用 ECN。A 以 ECT(0) 发送数据（IP 头的两个 ECN 位 = 10）；纯 ACK、SYN 和重传保持 Not-ECT。队列很长时路由器不丢弃 ECT 包，' +
      '而是置 CE（11）后转发。B 看到 CE 立即 ACK，并在此后每个 ACK 上置 ECE，直到收到 CWR。A 收到第一个 ECE 时按丢包的方式减窗——' +
      'ssthresh = FlightSize/2，cwnd = ssthresh——但不重传任何数据，并在下一个新数据报文段上置 CWR；对减窗之前发出的数据的 ECE 被忽略（每个窗口一次）。' +
      '观察带 ECN 标记、完全没有重传的 cwnd 锯齿。第二轮在同一路径上不用 ECN：队列只能丢弃本会标记的包，A 只能通过重复 ACK 和重传得知拥塞。',
  },
  defaults: { cc: 'reno', delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'negotiation',
      text: {
        en: 'handshake: A sends an ECN-setup SYN (ECE+CWR), B answers SYN-ACK with ECE only; without ECN neither bit is set',
        'zh-CN': '握手：A 发送 ECN 协商 SYN（ECE+CWR），B 的 SYN-ACK 只带 ECE；不用 ECN 时两个位都不置',
      },
      check(run) {
        const e = flowSegs(run, 'ecn');
        const p = flowSegs(run, 'plain');
        const syn = e.sentA.find(isSyn);
        const synAck = e.acksB.find(isSyn);
        const pSyn = p.sentA.find(isSyn);
        const pSynAck = p.acksB.find(isSyn);
        const bits = (s: Seg | undefined) => (s ? s.tcpFlags & (TCP_ECE | TCP_CWR) : -1);
        const ok = bits(syn) === (TCP_ECE | TCP_CWR) && bits(synAck) === TCP_ECE && bits(pSyn) === 0 && bits(pSynAck) === 0;
        const name = (b: number) => (b < 0 ? 'missing' : [b & TCP_ECE ? 'ECE' : '', b & TCP_CWR ? 'CWR' : ''].filter(Boolean).join('+') || 'none');
        return expect(ok, `ECN run: SYN ${name(bits(syn))}, SYN-ACK ${name(bits(synAck))}; plain run: SYN ${name(bits(pSyn))}, SYN-ACK ${name(bits(pSynAck))}`);
      },
    },
    {
      id: 'ect-on-data',
      text: { en: "A's data leaves as ECT(0); its SYN and B's ACKs are Not-ECT", 'zh-CN': 'A 的数据以 ECT(0) 发出；它的 SYN 和 B 的 ACK 是 Not-ECT' },
      check(run) {
        const e = flowSegs(run, 'ecn');
        const data = dataOf(e.sentA);
        const ect = data.filter((s) => s.ecn === ECT0).length;
        const synEcn = e.sentA.find(isSyn)?.ecn ?? -1;
        const ackEct = e.acksB.filter((s) => s.len === 0 && s.ecn !== 0).length;
        return expect(data.length > 0 && ect === data.length && synEcn === 0 && ackEct === 0, `${ect} of ${data.length} data segments ECT(0); SYN codepoint ${synEcn}; ${ackEct} ECN-capable ACKs from B`);
      },
    },
    {
      id: 'ce-marks',
      text: { en: 'the bottleneck marks CE instead of dropping: B receives CE-marked segments, the queue drops nothing', 'zh-CN': '瓶颈以 CE 标记代替丢弃：B 收到带 CE 标记的报文段，队列没有丢包' },
      check(run) {
        const e = flowSegs(run, 'ecn');
        const ce = e.rcvdB.filter((s) => s.ecn === CE).length;
        const drops = Number(run.results['ecnQueueDrops']);
        return expect(ce > 0 && drops === 0 && Number(run.results['ecnCeMarked']) === ce, `${ce} CE-marked segments reached B (${run.results['ecnCeMarked']} marked at the queue); ${drops} dropped`);
      },
    },
    {
      id: 'ece-cwr',
      text: {
        en: 'B echoes ECE on its ACKs from the first CE until A\'s CWR arrives, then stops; A sets CWR once per reduction',
        'zh-CN': 'B 从第一个 CE 起在 ACK 上回显 ECE，直到 A 的 CWR 到达才停止；A 每次减窗置一次 CWR',
      },
      check(run) {
        const e = flowSegs(run, 'ecn');
        const firstCe = e.rcvdB.find((s) => s.ecn === CE);
        const firstEce = e.acksB.find((s) => !isSyn(s) && s.tcpFlags & TCP_ECE);
        const cwr = e.sentA.filter((s) => s.tcpFlags & TCP_CWR && !isSyn(s));
        const reductions = events(e.cc, 'ecn').length;
        // After B receives a CWR, its next ACK carries no ECE unless a new CE came with that segment.
        const cwrAtB = e.rcvdB.filter((s) => s.tcpFlags & TCP_CWR && !isSyn(s) && s.ecn !== CE);
        const stopped = cwrAtB.filter((c) => {
          const next = e.acksB.find((a) => a.idx > c.idx);
          return next !== undefined && !(next.tcpFlags & TCP_ECE);
        }).length;
        const ok = firstCe !== undefined && firstEce !== undefined && firstEce.idx > firstCe.idx && cwr.length === reductions && reductions > 0 && stopped > 0;
        return expect(ok, `first CE at ${firstCe?.t.toFixed(1)} ms, first ECE at ${firstEce?.t.toFixed(1)} ms; ${cwr.length} CWR segments for ${reductions} reductions; echo stopped after ${stopped} of ${cwrAtB.length} CWRs`);
      },
    },
    {
      id: 'halving-without-loss',
      text: {
        en: 'with ECN, cwnd is halved (ssthresh = FlightSize/2) at each reduction without a single retransmission or recovery',
        'zh-CN': '启用 ECN 时，每次减窗 cwnd 减半（ssthresh = FlightSize/2），没有任何重传或快速恢复',
      },
      check(run) {
        const e = flowSegs(run, 'ecn');
        const red = events(e.cc, 'ecn');
        const mss = Number(run.results['mss']);
        const reno = run.params.cc === 'reno' || run.params.cc === 'newreno';
        const halved = red.filter((x) => {
          const cwnd = Number(x.data['cwnd']);
          const flight = Number(x.data['flightSize']);
          return cwnd === Number(x.data['ssthresh']) && (!reno || Math.abs(cwnd - Math.max(Math.floor(flight / 2), 2 * mss)) <= 1);
        }).length;
        const recov = events(e.cc, 'enter-recovery').length + events(e.cc, 'rto').length;
        const ok = red.length >= 2 && halved === red.length && e.retransmits.length === 0 && recov === 0;
        return expect(ok, `${red.length} ECN reductions (${halved} to half the flight); ${e.retransmits.length} retransmissions; ${recov} loss recoveries`);
      },
    },
    {
      id: 'without-ecn-loss',
      text: { en: 'without ECN the same queue drops instead, and A recovers by retransmitting', 'zh-CN': '不用 ECN 时同一队列改为丢包，A 只能靠重传恢复' },
      check(run) {
        const p = flowSegs(run, 'plain');
        const drops = Number(run.results['plainQueueDrops']);
        const recov = events(p.cc, 'enter-recovery').length;
        return expect(drops > 0 && p.retransmits.length > 0 && recov > 0, `${drops} packets dropped by the queue; ${p.retransmits.length} retransmissions; ${recov} fast recoveries`);
      },
    },
  ],
  async run(params) {
    return runTcpLab(
      'ecn',
      params,
      { queueLimitBytes: QUEUE_BYTES, forward: { ceMarking: { minBytes: MARK_BYTES } }, snaplen: 96, eventLayers: ['tcp', 'cc', 'lab'] },
      async (x) => {
        const sink = startSink(x, 5001);
        const linkCount = () => {
          const st = x.h.link.a.stats();
          return { drops: Object.values(st.drops).reduce((a, b) => a + b, 0), marked: st.extra?.['ce-marked'] ?? 0 };
        };
        for (const key of ['ecn', 'plain'] as const) {
          x.step(key === 'ecn' ? 'run 1: ECN (A: setsockopt TCP_ECN = 1)' : 'run 2: the same path without ECN');
          const before = linkCount();
          const f = await startFlow(x, sink, 5001, params.cc, FLOW_MS, 100, (s) => s.setsockopt('TCP_ECN', key === 'ecn' ? 1 : 0));
          x.result(`${key}Port`, f.port);
          x.result('mss', f.conn.effectiveMss());
          await x.sleep(FLOW_MS + 1500);
          const after = linkCount();
          x.result(`${key}QueueDrops`, after.drops - before.drops);
          x.result(`${key}CeMarked`, after.marked - before.marked);
          x.result(`${key}Delivered`, sink.get(f.port)?.bytes ?? 0);
          x.result(`${key}Retransmits`, f.conn.stats.retransmits);
          x.result(`${key}EcnReductions`, f.conn.stats.ecnReductions);
        }
      },
    );
  },
};
