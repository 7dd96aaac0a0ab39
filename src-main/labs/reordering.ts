import { decodePacket } from '@shared/wire/decode';
import type { ProbeEvent } from '@shared/model/probe';
import { ADDR_A } from './hosts';
import { expect } from './inspect';
import { receiveEach } from './tcp-hosts';
import { runFlow, runTcpLab, segments, type Seg } from './tcp-lab';
import type { LabModule, LabRun } from './types';

/**
 * The data segment (by index from the first data byte) held back on the path, and for how long.
 * 31: B's delayed ACK acknowledges segments in pairs, and 30 closes a pair, so the ACK up to the
 * held segment is an ordinary one and the next three are the textbook three duplicate ACKs (with
 * 30, the first ACK reaching the gap already carries a SACK block and RFC 6675 retransmits on the
 * second duplicate). 30 ms: longer than three segments take to overtake it, shorter than the time
 * A needs to retransmit it, so the original still arrives first (not a loss).
 */
const HELD = 31;
const HOLD_MS = 30;
const SEGMENTS = 120;
const MSS = 1460;
const RUNS = ['kept', 'undone'] as const;
type RunKey = (typeof RUNS)[number];

function sackBlocks(s: Seg): { left: number; right: number }[] {
  const o = s.frame.pkt.tcp!.options.find((x) => x.kind === 'sack') as { kind: 'sack'; blocks: { left: number; right: number }[] } | undefined;
  return o?.blocks ?? [];
}

function ipId(s: Seg): number {
  return s.frame.pkt.ipv4?.identification ?? -1;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Infinity);
const fmt = (v: number): string => (Number.isFinite(v) ? String(v) : '∞');
const ms = (t: number | undefined): string => (t === undefined ? '?' : t.toFixed(1));
/** a ≤ b in sequence space (RFC 9293 §3.4 modulo 2^32 comparison). */
const seqLe = (a: number, b: number): boolean => ((b - a) | 0) >= 0;

function analyse(run: LabRun, key: RunKey) {
  const port = Number(run.results[`${key}Port`]);
  const iss = Number(run.results[`${key}Iss`]);
  const start = (iss + 1 + HELD * MSS) >>> 0;
  const end = (start + MSS) >>> 0;
  const sent = segments(run, 'A').filter((s) => s.frame.pkt.tcp!.srcPort === port && s.len > 0);
  const acks = segments(run, 'A', 'rx').filter((s) => s.frame.pkt.tcp!.dstPort === port);
  const copiesSent = sent.filter((s) => s.seq === start);
  const [original, retrans] = copiesSent;
  const copiesAtB = segments(run, 'B', 'rx').filter((s) => s.frame.pkt.tcp!.srcPort === port && s.seq === start && s.len > 0);
  const bTx = segments(run, 'B').filter((s) => s.frame.pkt.tcp!.dstPort === port);
  // B's ACK answering the second copy to arrive: the first one it sent after that arrival.
  const second = copiesAtB[1];
  const dsackAck = second ? bTx.find((s) => s.idx > second.idx) : undefined;
  // Duplicate ACKs for the held segment before the retransmission left.
  const dupAcks = acks.filter((a, i) => i > 0 && a.ack === start && acks[i - 1]!.ack === start && a.len === 0 && (!retrans || a.idx < retrans.idx));
  const subject = `${ADDR_A}:${port}-`;
  const mine = (e: ProbeEvent) => (e.subject ?? '').startsWith(subject);
  const cc = run.events.filter((e) => e.layer === 'cc' && mine(e));
  const enterIdx = cc.findIndex((e) => e.data['event'] === 'enter-recovery');
  const enter = cc[enterIdx];
  const before = enterIdx > 0 ? cc[enterIdx - 1] : undefined;
  const exit = cc.find((e) => e.data['event'] === 'exit-recovery');
  const undoCc = cc.filter((e) => e.data['event'] === 'undo');
  const undo = run.events.filter((e) => e.layer === 'tcp' && e.kind === 'spurious-undo' && mine(e));
  const rtos = run.events.filter((e) => e.layer === 'tcp' && e.kind === 'timer-fire' && e.data['timer'] === 'rto' && mine(e));
  const last = cc[cc.length - 1];
  const recoveries = cc.filter((e) => e.data['event'] === 'enter-recovery').length;
  return { start, end, original, retrans, copiesSent, copiesAtB, dsackAck, dupAcks, enter, before, exit, undoCc, undo, rtos, cc, last, recoveries, received: run.results[`${key}Received`] };
}

const runName = (k: RunKey) => (k === 'kept' ? 'run 1' : 'run 2');

export const reorderingLab: LabModule = {
  name: 'reordering',
  title: { en: 'Reordering: spurious fast retransmit, D-SACK and undo', 'zh-CN': '乱序：虚假的快速重传、D-SACK 与撤销' },
  narrative: {
    en:
      `A sends ${SEGMENTS} segments to B twice, with SACK, over a 40 ms round trip. Nothing is lost, but on the way the first transmission of ` +
      `data segment ${HELD} (counting from 0) is held back ${HOLD_MS} ms — as if it took a slower path — so the segments behind it overtake it. ` +
      'Each of them reaches B out of order, and B answers at once with a duplicate ACK whose SACK block grows. A cannot tell reordering from loss: ' +
      'on the third duplicate ACK (three segments SACKed above the gap, DupThresh; classic detection, no RACK in labs) it retransmits the segment and ' +
      'enters fast recovery — with NewReno, the lab\'s default, ssthresh = FlightSize/2 and cwnd ends at about half of what it was. That retransmission was spurious: the delayed ' +
      'original reaches B a moment later and fills the gap, then the retransmission arrives as a duplicate. B reports it with a D-SACK (RFC 2883): ' +
      'the ACK for the second copy carries the duplicate range as its first SACK block, below the cumulative ACK (the ladder labels it "dsack"). ' +
      'Run 1, undo off: A ignores that news and keeps the halved cwnd and ssthresh; it climbs back one MSS per round trip in congestion avoidance. ' +
      'Run 2, undo on: every retransmission of the episode has now been D-SACKed, so nothing was lost (RFC 3708 §3), and A restores the cwnd and ' +
      'ssthresh it had before the reduction (RFC 4015; the "undo" marker on the cwnd chart). Here ssthresh goes back to ∞: A was still in slow start. ' +
      'Timestamps are off in this lab so the D-SACK is the only evidence (the spurious-undo event says by = dsack). With timestamps on, as Linux ' +
      'has them, the ACK ending recovery would echo the original\'s older TSval and the Eifel check (RFC 3522) would undo the reduction first, ' +
      'about a millisecond earlier here. No run needs a timeout, and every byte arrives.',
    'zh-CN':
      `A 两次经过 40 ms 往返时延的路径、启用 SACK 向 B 发送 ${SEGMENTS} 个报文段。没有任何丢包，但第 ${HELD} 个数据报文段（从 0 计数）的首次传输在路上被` +
      `扣留 ${HOLD_MS} ms——好像走了一条更慢的路径——于是它后面的报文段超过了它。这些报文段乱序到达 B，B 每次立即回以重复 ACK，其中的 SACK 块不断增长。` +
      'A 无法区分乱序和丢包：在第三个重复 ACK 时（空洞之上已有三个报文段被 SACK，即 DupThresh；经典检测，实验中不用 RACK）它重传该报文段并进入快速恢复——' +
      '使用本实验默认的 NewReno 时，ssthresh = FlightSize/2，cwnd 最终降到原来的一半左右。这次重传是虚假的：被延迟的原始报文段随后到达 B 并填上空洞，重传的副本再到达时就成了重复报文段。' +
      'B 用 D-SACK（RFC 2883）报告它：对第二个副本的 ACK 把重复的范围作为第一个 SACK 块，位于累计确认号之下（时序图标为 "dsack"）。' +
      '第一轮关闭撤销：A 不理会这一信息，保持减半的 cwnd 和 ssthresh，之后在拥塞避免中每个往返时间只增长一个 MSS。' +
      '第二轮开启撤销：这一轮恢复中的每次重传都已被 D-SACK，说明什么也没丢（RFC 3708 §3），A 恢复降窗之前的 cwnd 与 ssthresh（RFC 4015；cwnd 图上的 "undo" 标记）。' +
      '这里 ssthresh 回到 ∞：A 当时仍在慢启动中。本实验关闭时间戳选项，使 D-SACK 成为唯一的证据（spurious-undo 事件中 by = dsack）。' +
      '若像 Linux 那样开启时间戳，结束恢复的 ACK 会回显原始报文段较早的 TSval，Eifel 检测（RFC 3522）会先撤销降窗，这里大约早一毫秒。' +
      '两轮都不需要超时，所有字节都到达。',
  },
  defaults: { cc: 'newreno', delayMs: 20, rateMbps: 10 },
  expectations: [
    {
      id: 'spurious-fast-retransmit',
      text: {
        en: 'the held-back segment is fast-retransmitted on the third duplicate ACK, although its original was not lost: it reaches B before the retransmission',
        'zh-CN': '被扣留的报文段在第三个重复 ACK 时被快速重传，尽管原始报文段并未丢失：它先于重传副本到达 B',
      },
      check(run) {
        const r = RUNS.map((k) => analyse(run, k));
        const ok = r.every(
          (x) =>
            x.dupAcks.length === 3 &&
            x.original !== undefined &&
            x.retrans !== undefined &&
            x.copiesSent.length === 2 &&
            x.copiesAtB.length === 2 &&
            ipId(x.copiesAtB[0]!) === ipId(x.original) &&
            ipId(x.copiesAtB[1]!) === ipId(x.retrans),
        );
        return expect(
          ok,
          r
            .map((x, i) => {
              const [o, re] = x.copiesAtB;
              return (
                `${runName(RUNS[i]!)}: ${x.dupAcks.length} dup ACKs, retransmission at ${ms(x.retrans?.t)} ms; at B the original (sent ${ms(x.original?.t)} ms, IP id ${x.original ? ipId(x.original) : '?'}) ` +
                `arrived at ${ms(o?.t)} ms (IP id ${o ? ipId(o) : '?'}), the retransmission at ${ms(re?.t)} ms (IP id ${re ? ipId(re) : '?'})`
              );
            })
            .join('; '),
        );
      },
    },
    {
      id: 'dsack',
      text: {
        en: "B's ACK for the second copy carries a D-SACK: its first SACK block is exactly that segment, below the cumulative ACK (RFC 2883)",
        'zh-CN': 'B 对第二个副本的 ACK 带 D-SACK：第一个 SACK 块正好是该报文段，位于累计确认号之下（RFC 2883）',
      },
      check(run) {
        const r = RUNS.map((k) => analyse(run, k));
        const ok = r.every((x) => {
          const b = x.dsackAck ? sackBlocks(x.dsackAck)[0] : undefined;
          return b !== undefined && b.left === x.start && b.right === x.end && seqLe(b.right, x.dsackAck!.ack);
        });
        return expect(
          ok,
          r
            .map((x, i) => {
              const b = x.dsackAck ? sackBlocks(x.dsackAck)[0] : undefined;
              const rel = (v: number) => ((v - x.start) >>> 0) + HELD * MSS;
              return `${runName(RUNS[i]!)}: ACK at ${ms(x.dsackAck?.t)} ms, ack ${x.dsackAck ? rel(x.dsackAck.ack) : '?'}, first SACK block ${b ? `${rel(b.left)}:${rel(b.right)}` : 'none'} (segment ${rel(x.start)}:${rel(x.end)}, relative to the ISN + 1)`;
            })
            .join('; '),
        );
      },
    },
    {
      id: 'reduction-stands',
      text: {
        en: 'run 1 (undo off): cwnd leaves recovery at the reduced value; ssthresh stays reduced to the end, no undo',
        'zh-CN': '第一轮（关闭撤销）：cwnd 以降低后的值离开恢复；ssthresh 一直保持降低后的值，没有撤销',
      },
      check(run) {
        const x = analyse(run, 'kept');
        const reduced = num(x.enter?.data['ssthresh']);
        const afterEnter = x.enter ? x.cc.filter((e) => e.t >= x.enter!.t) : [];
        const ok =
          x.enter !== undefined &&
          x.exit !== undefined &&
          reduced < num(x.before?.data['cwnd']) &&
          num(x.exit.data['cwnd']) <= reduced &&
          afterEnter.every((e) => num(e.data['ssthresh']) === reduced) &&
          x.undo.length === 0 &&
          x.undoCc.length === 0;
        return expect(
          ok,
          `cwnd ${fmt(num(x.before?.data['cwnd']))} before recovery; ssthresh ${fmt(reduced)} from ${ms(x.enter?.t)} ms; cwnd ${fmt(num(x.exit?.data['cwnd']))} at the end of recovery (${ms(x.exit?.t)} ms), ` +
            `${fmt(num(x.last?.data['cwnd']))} at the end of the run, ssthresh then ${fmt(num(x.last?.data['ssthresh']))}; ${x.undo.length} undo events`,
        );
      },
    },
    {
      id: 'undo',
      text: {
        en: 'run 2 (undo on): the D-SACK undoes the reduction — cwnd back to at least its value before recovery, ssthresh to its previous value (RFC 3708 §3, RFC 4015)',
        'zh-CN': '第二轮（开启撤销）：D-SACK 撤销了降窗——cwnd 回到不低于恢复前的值，ssthresh 回到原来的值（RFC 3708 §3、RFC 4015）',
      },
      check(run) {
        const x = analyse(run, 'undone');
        const u = x.undo[0];
        const c = x.undoCc[0];
        const cwndBefore = num(x.before?.data['cwnd']);
        const ssthreshBefore = num(x.before?.data['ssthresh']);
        // The D-SACK reaches A: the undo happens on that ACK.
        const dsackAtA = x.dsackAck ? segments(run, 'A', 'rx').find((s) => s.frame.pkt.tcp!.dstPort === x.dsackAck!.frame.pkt.tcp!.dstPort && s.idx > x.dsackAck!.idx && sackBlocks(s)[0]?.left === x.start) : undefined;
        const ok =
          x.undo.length === 1 &&
          x.undoCc.length === 1 &&
          u!.data['by'] === 'dsack' &&
          num(c!.data['cwnd']) >= cwndBefore &&
          num(c!.data['ssthresh']) === ssthreshBefore &&
          num(u!.data['ssthresh']) === ssthreshBefore &&
          dsackAtA !== undefined &&
          u!.t === dsackAtA.t &&
          x.exit !== undefined &&
          u!.t >= x.exit.t;
        return expect(
          ok,
          `${x.undo.length} undo (by ${String(u?.data['by'] ?? '-')}) at ${ms(u?.t)} ms, when the D-SACK reached A (${ms(dsackAtA?.t)} ms; recovery ended at ${ms(x.exit?.t)} ms): ` +
            `cwnd ${fmt(num(u?.data['cwndBefore']))} → ${fmt(num(c?.data['cwnd']))} (${fmt(cwndBefore)} before the reduction), ssthresh ${fmt(num(u?.data['ssthreshBefore']))} → ${fmt(num(c?.data['ssthresh']))} (${fmt(ssthreshBefore)} before); ` +
            `cwnd ${fmt(num(x.last?.data['cwnd']))} at the end of the run`,
        );
      },
    },
    {
      id: 'no-timeout',
      text: { en: 'both runs: one fast recovery, no retransmission timeout; every byte arrives', 'zh-CN': '两轮：各一次快速恢复，没有超时重传；所有字节都到达' },
      check(run) {
        const r = RUNS.map((k) => analyse(run, k));
        const ok = r.every((x) => x.rtos.length === 0 && x.recoveries === 1 && x.received === SEGMENTS * MSS);
        return expect(ok, r.map((x, i) => `${runName(RUNS[i]!)}: ${x.recoveries} recoveries, ${x.rtos.length} RTOs, ${String(x.received)} of ${SEGMENTS * MSS} bytes`).join('; '));
      },
    },
  ],
  async run(params) {
    // Timestamps off: the D-SACK is the only evidence of the spurious retransmission. With them, the
    // ACK ending recovery echoes the original's TSval and the Eifel check (RFC 3522) undoes first.
    return runTcpLab('reordering', params, { a: { timestamps: false }, b: { timestamps: false } }, async (x) => {
      const results = receiveEach(x.h.tcpB, 5001);
      // Hold back the first transmission of segment HELD of the flow being run (once per run).
      let flow: { port: number; iss: number } | null = null;
      let held = false;
      x.h.pathA.rule = (frame, dir) => {
        if (dir !== 'tx' || !flow || held) return 0;
        const p = decodePacket(1, frame);
        const t = p.tcp;
        if (!t || t.srcPort !== flow.port || !p.ipv4) return 0;
        if (p.ipv4.totalLength - p.ipv4.headerLength - t.dataOffset === 0) return 0;
        if (((t.seq - flow.iss - 1) >>> 0) !== HELD * MSS) return 0;
        held = true;
        return HOLD_MS;
      };
      for (const key of RUNS) {
        // Labs run with undo off (LAB_TCP_DEFAULTS); the sender's setting is what counts.
        x.h.tcpA.options.config.undo = key === 'undone';
        x.step(key === 'undone' ? 'run 2: undo on — a D-SACK may undo the reduction' : 'run 1: undo off — the reduction stands');
        await runFlow(x, key, 5001, SEGMENTS * MSS, results, (f) => {
          flow = f;
          held = false;
        });
      }
    });
  },
};

