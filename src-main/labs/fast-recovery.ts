import { decodePacket } from '@shared/wire/decode';
import { ADDR_A } from './hosts';
import { expect } from './inspect';
import { receiveEach } from './tcp-hosts';
import { runFlow, runTcpLab, segments } from './tcp-lab';
import type { LabModule, LabRun } from './types';

/** Data segments (by index from the first data byte) whose first transmission is dropped. */
const DROPPED = [20, 23, 26];
const SEGMENTS = 80;
const MSS = 1460;

interface Flow {
  port: number;
  iss: number;
}

function flowOf(run: LabRun, key: 'newreno' | 'sack'): Flow {
  return { port: Number(run.results[`${key}Port`]), iss: Number(run.results[`${key}Iss`]) };
}

function analyse(run: LabRun, key: 'newreno' | 'sack') {
  const f = flowOf(run, key);
  // The capture point sits outside A's firewall: a dropped first transmission never shows, so the
  // one segment seen at a hole's sequence number is its retransmission.
  const holeStart = (d: number) => (f.iss + 1 + d * MSS) >>> 0;
  const sent = segments(run, 'A').filter((s) => s.frame.pkt.tcp!.srcPort === f.port && s.len > 0);
  const acks = segments(run, 'A', 'rx').filter((s) => s.frame.pkt.tcp!.dstPort === f.port);
  const holeRetrans = DROPPED.map((d) => sent.find((s) => s.seq === holeStart(d)));
  const firstRetrans = holeRetrans[0];
  // Duplicate ACKs: ACKs repeating the previous cumulative ACK (the first ACK reaching the hole is not one).
  const dupAcks = acks.filter((a, i) => i > 0 && a.ack === acks[i - 1]!.ack && a.ack === holeStart(DROPPED[0]!) && a.len === 0 && (!firstRetrans || a.idx < firstRetrans.idx));
  const holeSeqs = new Set(DROPPED.map(holeStart));
  const subject = `${ADDR_A}:${f.port}-`;
  const rtos = run.events.filter((e) => e.layer === 'tcp' && e.kind === 'timer-fire' && e.data['timer'] === 'rto' && (e.subject ?? '').startsWith(subject));
  const cc = run.events.filter((e) => e.layer === 'cc' && (e.subject ?? '').startsWith(subject));
  const enter = cc.find((e) => e.data['event'] === 'enter-recovery');
  const exit = cc.find((e) => e.data['event'] === 'exit-recovery');
  const newDataDuringDupAcks = dupAcks.length >= 1 && firstRetrans ? sent.filter((s) => s.idx > dupAcks[0]!.idx && s.idx < firstRetrans.idx && !holeSeqs.has(s.seq)).length : 0;
  return { dupAcks, firstRetrans, holeRetrans, rtos, enter, exit, newDataDuringDupAcks, received: run.results[`${key}Received`] };
}

export const fastRecoveryLab: LabModule = {
  name: 'fast-recovery',
  title: { en: 'Loss → fast retransmit and recovery: NewReno vs SACK', 'zh-CN': '丢包 → 快速重传与快速恢复：NewReno 与 SACK 对比' },
  narrative: {
    en:
      `A sends ${SEGMENTS} segments twice over a 40 ms round trip; both times the first transmissions of segments ${DROPPED.join(', ')} are lost ` +
      '(three losses in one window). Each segment after a hole makes B send a duplicate ACK. On the first two, limited transmit (RFC 3042) ' +
      'sends new data; the third triggers fast retransmit of the first hole and fast recovery: ssthresh = FlightSize/2 and, without SACK, ' +
      'cwnd = ssthresh + 3 MSS, inflated by one MSS per further duplicate ACK. Run 1, NewReno without SACK (RFC 6582): the only news is the ' +
      'cumulative ACK, so each partial ACK reveals one more hole — one retransmission per round trip. Run 2, with SACK (RFC 6675): the SACK ' +
      'blocks show all three holes at once, and they are all retransmitted within about one round trip. Neither run needs a timeout.',
    'zh-CN':
      `A 在 40 ms 往返时延的路径上两次发送 ${SEGMENTS} 个报文段；两次都丢失第 ${DROPPED.join('、')} 个报文段的首次传输（一个窗口内三处丢包）。` +
      '空洞之后的每个报文段都让 B 发送重复 ACK。收到前两个重复 ACK 时，受限传输（RFC 3042）发送新数据；第三个触发对第一个空洞的快速重传并进入快速恢复：' +
      'ssthresh = FlightSize/2，不用 SACK 时 cwnd = ssthresh + 3 MSS，之后每个重复 ACK 膨胀一个 MSS。第一轮是不带 SACK 的 NewReno（RFC 6582）：' +
      '唯一的信息是累计确认，每个部分确认只揭示下一个空洞——每个往返时间重传一个。第二轮启用 SACK（RFC 6675）：SACK 块一次显示全部三个空洞，' +
      '它们在大约一个往返时间内全部重传。两轮都不需要超时。',
  },
  defaults: { cc: 'newreno', delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'three-dupacks',
      text: {
        en: 'NewReno retransmits the first hole on the third duplicate ACK; SACK at the latest then (as soon as DupThresh segments are SACKed above the hole, RFC 6675)',
        'zh-CN': 'NewReno 在第三个重复 ACK 时重传第一个空洞；SACK 最迟也在此时（只要空洞之上已有 DupThresh 个报文段被 SACK，RFC 6675）',
      },
      check(run) {
        const r = (['newreno', 'sack'] as const).map((k) => analyse(run, k));
        const [n, sk] = r;
        const ok = n!.dupAcks.length === 3 && sk!.dupAcks.length >= 2 && sk!.dupAcks.length <= 3 && r.every((x) => x.firstRetrans !== undefined);
        return expect(ok, r.map((x, i) => `${i ? 'SACK' : 'NewReno'}: ${x.dupAcks.length} dup ACKs before the retransmission at ${Math.round(x.firstRetrans?.t ?? NaN)} ms`).join('; '));
      },
    },
    {
      id: 'limited-transmit',
      text: { en: 'limited transmit: new segments leave on the first duplicate ACKs, before the retransmission', 'zh-CN': '受限传输：最初的重复 ACK 到达时、重传之前发出新报文段' },
      check(run) {
        const r = (['newreno', 'sack'] as const).map((k) => analyse(run, k));
        return expect(r.every((x) => x.newDataDuringDupAcks >= 1), r.map((x) => `${x.newDataDuringDupAcks} new segments`).join(', '));
      },
    },
    {
      id: 'no-timeout',
      text: { en: 'no retransmission timeout; every byte arrives', 'zh-CN': '没有超时重传；所有字节都到达' },
      check(run) {
        const r = (['newreno', 'sack'] as const).map((k) => analyse(run, k));
        return expect(r.every((x) => x.rtos.length === 0 && x.received === SEGMENTS * MSS), r.map((x) => `${x.rtos.length} RTOs, ${x.received} bytes`).join('; '));
      },
    },
    {
      id: 'newreno-one-per-rtt',
      text: { en: 'NewReno: the later holes are retransmitted one per round trip, on partial ACKs', 'zh-CN': 'NewReno：后面的空洞在部分确认时每个往返时间重传一个' },
      check(run) {
        const x = analyse(run, 'newreno');
        const t = x.holeRetrans.map((s) => Math.round(s?.t ?? NaN));
        const rtt = 2 * run.params.delayMs;
        const gaps = t.slice(1).map((v, i) => v - t[i]!);
        return expect(gaps.every((g) => g >= rtt * 0.9), `hole retransmissions at ${t.join(', ')} ms (gaps ${gaps.join(', ')} ms, RTT ${rtt} ms)`);
      },
    },
    {
      id: 'sack-all-holes',
      text: { en: 'SACK: all three holes are retransmitted within one round trip, and recovery ends sooner', 'zh-CN': 'SACK：三个空洞在一个往返时间内全部重传，恢复更早结束' },
      check(run) {
        const s = analyse(run, 'sack');
        const n = analyse(run, 'newreno');
        const t = s.holeRetrans.map((x) => Math.round(x?.t ?? NaN));
        const rtt = 2 * run.params.delayMs;
        const span = Math.max(...t) - Math.min(...t);
        const dS = s.exit && s.enter ? s.exit.t - s.enter.t : NaN;
        const dN = n.exit && n.enter ? n.exit.t - n.enter.t : NaN;
        return expect(span <= rtt && dS < dN, `SACK holes at ${t.join(', ')} ms; recovery ${Math.round(dS)} ms with SACK vs ${Math.round(dN)} ms NewReno`);
      },
    },
  ],
  async run(params) {
    return runTcpLab('fast-recovery', params, { a: { timestamps: false }, b: { timestamps: false } }, async (x) => {
      const results = receiveEach(x.h.tcpB, 5001);
      // Drop the first transmission of the chosen segments of the flow being run.
      let flow: { port: number; iss: number } | null = null;
      const dropped = new Set<number>();
      x.h.fwA.filter = (frame, dir) => {
        if (dir !== 'tx' || !flow) return false;
        const p = decodePacket(1, frame);
        const t = p.tcp;
        if (!t || t.srcPort !== flow.port || !p.ipv4) return false;
        const len = p.ipv4.totalLength - p.ipv4.headerLength - t.dataOffset;
        if (len === 0) return false;
        const index = ((t.seq - flow.iss - 1) >>> 0) / MSS;
        if (DROPPED.includes(index) && !dropped.has(index)) {
          dropped.add(index);
          return true;
        }
        return false;
      };
      for (const key of ['newreno', 'sack'] as const) {
        // SACK is negotiated in the handshake: both ends must permit it.
        x.h.tcpB.options.config.sack = key === 'sack';
        x.h.tcpA.options.config.sack = key === 'sack';
        x.step(key === 'sack' ? 'run 2: NewReno with SACK' : 'run 1: NewReno without SACK');
        await runFlow(x, key, 5001, SEGMENTS * MSS, results, (f) => {
          flow = f;
          dropped.clear();
        });
      }
    });
  },
};
