/**
 * Requests behind the Packets, Sliding-window and Congestion views, served where the data is:
 *
 * - `frame.analysis`: tcp.stream and analysis flags of a range of frames (colouring the table).
 *   The passive analysis runs once per frame, incrementally, in the session's ConversationIndex
 *   (conversations.ts); summaries already sent keep stream -1 and are completed through this
 *   request, so no frame is decoded or analysed twice for colouring.
 * - `session.filter`: a display filter over every frame of the session (1M frames stay in main;
 *   only the matching frame numbers travel).
 * - `session.series`: one conversation's cwnd / ssthresh / flight / rwnd / RTT / throughput series,
 *   its time-sequence graph and window snapshots: the stack's probes for labs (true values), the
 *   analysis for every source (estimates, labelled).
 */
import { RpcError } from '@shared/ipc/contract';
import { compileFilter, fieldsOf, FilterError, type FilterFrame } from '@shared/filter';
import type { FilterResult, FrameAnalysisRange, KernelPeerSeries, PointSeries, SeriesMarker, SessionSeries, TimeSequenceData, WindowSnapshot } from '@shared/model/series';
import type { ProbeEvent } from '@shared/model/probe';
import { conversationSeries } from '@shared/analysis/series';
import { A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION } from '@shared/analysis/types';
import { decodePacket, type DecodedPacket } from '@shared/wire/decode';
import { ipv4ToString } from '@shared/wire/address';
import { TCP_ECE, TCP_FIN, TCP_RST, TCP_SYN } from '@shared/wire/tcp';
import type { Session } from './session';
import { conversationsOf } from './conversations';
import { labRunOf } from './saved';
import { TapStackSource } from './sources/tap';

/** Frame number → analysis row, grown as the analysis advances. */
class FrameRows {
  rowOf = new Int32Array(0);
  private seen = 0;

  update(session: Session): void {
    const idx = conversationsOf(session);
    idx.update();
    const st = idx.analyzer.store;
    if (this.rowOf.length < session.frames.length + 1) {
      const next = new Int32Array(Math.max(session.frames.length + 1, this.rowOf.length * 2)).fill(-1);
      next.set(this.rowOf);
      this.rowOf = next;
    }
    for (; this.seen < st.length; this.seen++) this.rowOf[st.frame[this.seen]!] = this.seen;
  }
}

const rowsBySession = new WeakMap<Session, FrameRows>();
function frameRows(session: Session): FrameRows {
  let r = rowsBySession.get(session);
  if (!r) {
    r = new FrameRows();
    rowsBySession.set(session, r);
  }
  r.update(session);
  return r;
}

export function frameAnalysis(session: Session, from: number, count: number): FrameAnalysisRange {
  const rows = frameRows(session);
  const st = conversationsOf(session).analyzer.store;
  const end = Math.min(session.frames.length, from - 1 + count);
  const stream: number[] = [];
  const flags: number[] = [];
  for (let no = from; no <= end; no++) {
    const r = rows.rowOf[no] ?? -1;
    stream.push(r >= 0 ? st.stream[r]! : -1);
    flags.push(r >= 0 ? st.analysisFlags[r]! : 0);
  }
  return { from, stream, flags };
}

/** Fields answered from the summary and the analysis alone (no decode needed). */
const CHEAP_FIELDS = new Set(['frame.number', 'frame.len', 'frame.time_relative', 'frame.info']);

export function filterFrames(session: Session, text: string): FilterResult {
  let filter;
  try {
    filter = compileFilter(text);
  } catch (err) {
    if (err instanceof FilterError) throw new RpcError('EINVAL', `display filter: ${err.message}`);
    throw err;
  }
  const needsDecode = [...fieldsOf(filter.node)].some((f) => !CHEAP_FIELDS.has(f));
  const rows = frameRows(session);
  const st = conversationsOf(session).analyzer.store;
  const out: number[] = [];
  const total = session.frames.length;
  for (let i = 0; i < total; i++) {
    const no = i + 1;
    const summary = session.summaries[i]!;
    const f: FilterFrame = { number: no, len: summary.length, timeRelative: summary.t, protocols: [], info: summary.info };
    if (needsDecode) {
      const captured = session.frames[i]!;
      let pkt: DecodedPacket | null = null;
      try {
        pkt = decodePacket(captured.linkType, captured.data, captured.originalLength);
      } catch {
        pkt = null;
      }
      if (pkt) fillFromPacket(f, pkt, rows.rowOf[no] ?? -1, st);
    }
    if (filter.matches(f)) out.push(no);
  }
  return { filter: text, frames: out, total };
}

type Store = ReturnType<typeof conversationsOf>['analyzer']['store'];

function fillFromPacket(f: FilterFrame, pkt: DecodedPacket, row: number, st: Store): void {
  const protocols: string[] = [];
  if (pkt.link?.kind === 'ethernet') {
    protocols.push('eth');
    f.eth = { src: pkt.link.src, dst: pkt.link.dst, type: pkt.etherType ?? 0 };
  }
  if (pkt.arp) {
    protocols.push('arp');
    f.arp = { opcode: pkt.arp.op, senderIp: pkt.arp.senderIp, targetIp: pkt.arp.targetIp };
  }
  const ip = pkt.ipv4;
  if (ip) {
    protocols.push('ip');
    f.ip = { src: ip.src, dst: ip.dst, ttl: ip.ttl, proto: ip.protocol, len: ip.totalLength, id: ip.identification };
  }
  if (pkt.icmp) {
    protocols.push('icmp');
    f.icmp = { type: pkt.icmp.type, code: pkt.icmp.code };
  }
  if (pkt.udp) {
    protocols.push('udp');
    f.udp = { srcPort: pkt.udp.srcPort, dstPort: pkt.udp.dstPort, length: pkt.udp.length };
  }
  const tcp = pkt.tcp;
  if (tcp) {
    protocols.push('tcp');
    const known = row >= 0;
    f.tcp = {
      srcPort: tcp.srcPort,
      dstPort: tcp.dstPort,
      flags: tcp.flags,
      seq: known ? st.seq[row]! : tcp.seq >>> 0,
      ack: known ? st.ack[row]! : tcp.ack >>> 0,
      seqRaw: tcp.seq >>> 0,
      ackRaw: tcp.ack >>> 0,
      len: known ? st.len[row]! : tcp.payload.length,
      windowValue: tcp.window,
      windowSize: known ? st.windowSize[row]! : tcp.window,
      stream: known ? st.stream[row]! : -1,
      analysis: known ? st.analysisFlags[row]! : 0,
    };
  }
  if (pkt.dns) protocols.push('dns');
  if (pkt.http) protocols.push('http');
  f.protocols = protocols;
}

const endpoint = (ip: number, port: number): string => `${ipv4ToString(ip)}:${port}`;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** SACK edges (raw u32) of a TCP segment, or null. */
function sackOf(pkt: DecodedPacket): number[] | null {
  for (const o of pkt.tcp?.options ?? []) if (o.kind === 'sack') return o.blocks.flatMap((b) => [b.left >>> 0, b.right >>> 0]);
  return null;
}

export function sessionSeries(session: Session, stream: number): SessionSeries {
  const idx = conversationsOf(session);
  idx.update();
  const an = idx.analyzer;
  const conv = an.conversations[stream];
  if (!conv) throw new RpcError('EINVAL', `session.series: no TCP conversation ${stream} (session ${session.id} has ${an.conversations.length})`);
  const st = an.store;
  const rows = conv.rows.toArray();
  // The data sender: the direction that carried more payload.
  let bytes0 = 0;
  let bytes1 = 0;
  for (const r of rows) {
    if (st.direction[r] === 0) bytes0 += st.len[r]!;
    else bytes1 += st.len[r]!;
  }
  const dir: 0 | 1 = bytes1 > bytes0 ? 1 : 0;
  const eps = [endpoint(conv.ipA, conv.portA), endpoint(conv.ipB, conv.portB)] as const;
  const sender = eps[dir];
  const receiver = eps[1 - dir]!;
  const firstUs = session.frames[0]?.tsUs ?? 0;
  // The analysis counts nanoseconds from its first frame's epoch second; the views count seconds
  // from the session's first frame (FrameSummary.t).
  const originShift = an.epochOriginSec - firstUs / 1e6;
  const tOfNs = (ns: number) => ns / 1e9 + originShift;
  const offset = tOfNs(conv.firstTimeNs);
  const shift = (s: { t: Float64Array; v: Float64Array }): PointSeries => ({ t: Array.from(s.t, (x) => x + offset), v: Array.from(s.v) });

  const est = conversationSeries(an, conv, dir);
  const markers: SeriesMarker[] = [];
  const tsg: TimeSequenceData = { segT: [], segSeq: [], segEnd: [], retrans: [], ackT: [], ack: [], win: [], sackT: [], sackL: [], sackR: [], syn: [], fin: [], rst: [] };
  let isnData = -1;
  for (const r of rows) if (st.direction[r] === dir) {
    isnData = (st.seqRaw[r]! - st.seq[r]!) >>> 0;
    break;
  }
  /** Relative to ISN + 1 (the first data byte), as tcptrace plots it. */
  const rel = (raw: number) => ((raw - isnData - 1) >>> 0) | 0;
  const snapshots: WindowSnapshot[] = [];
  let sndUna = 0;
  let sndNxt = 0;
  let sndWnd = 0;
  let rcvNxt = 0;
  let rcvWnd = 0;
  let ooo: number[] = [];
  let lastBif = 0;
  for (const r of rows) {
    const t = tOfNs(st.timeNs[r]!);
    const flags = st.flags[r]!;
    const seqRel = st.seq[r]! - 1;
    if (flags & TCP_SYN) tsg.syn.push([t, seqRel]);
    if (flags & TCP_FIN) tsg.fin.push([t, st.direction[r] === dir ? seqRel + st.len[r]! : st.ack[r]! - 1]);
    if (flags & TCP_RST) tsg.rst.push([t, seqRel]);
    if (st.direction[r] === dir) {
      const len = st.len[r]!;
      if (len > 0) {
        tsg.segT.push(t);
        tsg.segSeq.push(seqRel);
        tsg.segEnd.push(seqRel + len);
        const af = st.analysisFlags[r]!;
        if (af & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) {
          tsg.retrans.push(tsg.segT.length - 1);
          markers.push({ t, kind: af & A_FAST_RETRANSMISSION ? 'fast-retransmit' : 'retransmission', value: lastBif, observed: false });
        }
        lastBif = st.sackBytesInFlight[r]! > 0 ? st.sackBytesInFlight[r]! : st.bytesInFlight[r]!;
        sndNxt = Math.max(sndNxt, seqRel + len);
        snapshots.push({ t, cause: 'send', sndUna, sndNxt, sndWnd, rcvNxt, rcvWnd, rcvRead: rcvNxt, ooo });
      }
    } else {
      const ackRel = st.ack[r]! - 1;
      tsg.ackT.push(t);
      tsg.ack.push(ackRel);
      tsg.win.push(ackRel + st.windowSize[r]!);
      if (flags & TCP_ECE && !(flags & TCP_SYN)) markers.push({ t, kind: 'ecn', value: lastBif, observed: false });
      const captured = session.frames[st.frame[r]! - 1];
      let sack: number[] | null = null;
      if (captured) {
        try {
          sack = sackOf(decodePacket(captured.linkType, captured.data, captured.originalLength));
        } catch {
          sack = null;
        }
      }
      ooo = [];
      if (sack) {
        for (let k = 0; k + 1 < sack.length; k += 2) {
          tsg.sackT.push(t);
          tsg.sackL.push(rel(sack[k]!));
          tsg.sackR.push(rel(sack[k + 1]!));
          ooo.push(rel(sack[k]!), rel(sack[k + 1]!));
        }
      }
      sndUna = Math.max(sndUna, ackRel);
      rcvNxt = ackRel;
      sndWnd = rcvWnd = st.windowSize[r]!;
      snapshots.push({ t, cause: 'ack', sndUna, sndNxt, sndWnd, rcvNxt, rcvWnd, rcvRead: rcvNxt, ooo });
    }
  }

  const result: SessionSeries = {
    stream,
    source: 'capture',
    sender,
    receiver,
    algorithm: null,
    cwnd: null,
    ssthresh: null,
    flightSize: null,
    pipe: null,
    sackedBytes: null,
    lostBytes: null,
    recovery: [],
    recoveryPoints: [],
    cwndEstimate: { ...shift(est.cwndEstimate), method: est.cwndEstimate.method },
    bytesInFlight: shift(est.sackBytesInFlight.t.length > 0 ? est.sackBytesInFlight : est.bytesInFlight),
    rwnd: shift(est.receiverWindow),
    rtt: shift(est.rtt),
    throughput: shift(est.throughput),
    goodput: shift(est.goodput),
    markers,
    tsg,
    window: { inferred: true, snapshots },
    endT: session.summaries.length > 0 ? session.summaries[session.summaries.length - 1]!.t : 0,
  };
  const lab = labRunOf(session);
  if (lab) {
    const t0 = lab.run.frames.find((f) => f.host === lab.captureHost)?.t ?? 0;
    Object.assign(result, labSeries(session.probes, `${sender}-${receiver}`, `${receiver}-${sender}`, (ms) => (ms - t0) / 1000));
    result.source = 'lab';
  }
  const tapSource = session.source;
  const stackSends = `${sender}-${receiver}`;
  if (tapSource instanceof TapStackSource && session.probes.some((e) => e.layer === 'cc' && e.subject === stackSends)) {
    // The stack on a TAP sends: its true cwnd, ssthresh, flight size and markers, on the frames' clock.
    const t0Us = session.frames[0]?.tsUs ?? 0;
    Object.assign(result, labSeries(session.probes, stackSends, `${receiver}-${sender}`, (ms) => ((ms + tapSource.epochOffsetMs) * 1000 - t0Us) / 1e6));
    result.source = 'lab'; // observed values (the stack's own), as for a lab
  }
  if (tapSource instanceof TapStackSource) {
    const t0Us = session.frames[0]?.tsUs ?? 0;
    const kernel = kernelPeerSeries(session.probes, { sender, receiver }, (ms) => ((ms + tapSource.epochOffsetMs) * 1000 - t0Us) / 1e6);
    if (kernel.length > 0) result.kernel = kernel;
  }
  return result;
}

/** A kernel socket that moved fewer bytes than this is idle (a receiver's ACK-only direction). */
const KERNEL_SENDER_MIN_BYTES = 16 * 1024;
/** At most this many kernel sockets besides the conversation's own. */
const KERNEL_OTHERS_MAX = 4;

/**
 * The local kernel peer's polled cwnd, ssthresh and RTT per socket (probe layer `kernel`, kind
 * `tcp-info`, published by src-main/capture/kernel-tcp-poller.ts). Sockets of this conversation come
 * first (`sender`, `receiver`); other sockets of the peer follow (`other`) when they sent data —
 * the kernel sending to tcplab on a second connection is drawn beside tcplab's own sender.
 * Unknown kinds and layers are ignored, so new probe kinds never break it.
 */
export function kernelPeerSeries(events: readonly ProbeEvent[], conv: { sender: string; receiver: string } | null, toT: (ms: number) => number): KernelPeerSeries[] {
  const bySubject = new Map<string, KernelPeerSeries>();
  for (const e of events) {
    if (e.layer !== 'kernel' || e.kind !== 'tcp-info' || !e.subject) continue;
    let s = bySubject.get(e.subject);
    if (!s) {
      const role = conv && e.subject === `${conv.sender}-${conv.receiver}` ? 'sender' : conv && e.subject === `${conv.receiver}-${conv.sender}` ? 'receiver' : 'other';
      s = { subject: e.subject, role, algorithm: null, cwnd: { t: [], v: [] }, ssthresh: { t: [], v: [] }, rtt: { t: [], v: [] }, bytesAcked: 0, retransTotal: 0 };
      bySubject.set(e.subject, s);
    }
    const d = e.data;
    const t = toT(e.t);
    if (typeof d.algorithm === 'string') s.algorithm = d.algorithm;
    const c = num(d.cwnd);
    if (c !== null) {
      s.cwnd.t.push(t);
      s.cwnd.v.push(c);
    }
    const th = num(d.ssthresh);
    if (th !== null) {
      s.ssthresh.t.push(t);
      s.ssthresh.v.push(th);
    }
    const r = num(d.rttMs);
    if (r !== null) {
      s.rtt.t.push(t);
      s.rtt.v.push(r);
    }
    s.bytesAcked = num(d.bytesAcked) ?? s.bytesAcked;
    s.retransTotal = num(d.retransTotal) ?? s.retransTotal;
  }
  const all = [...bySubject.values()];
  const own = all.filter((s) => s.role === 'sender' || (s.role === 'receiver' && s.bytesAcked >= KERNEL_SENDER_MIN_BYTES));
  own.sort((a, b) => (a.role === b.role ? 0 : a.role === 'sender' ? -1 : 1));
  const others = all.filter((s) => s.role === 'other' && s.bytesAcked >= KERNEL_SENDER_MIN_BYTES).sort((a, b) => b.bytesAcked - a.bytesAcked);
  return [...own, ...others.slice(0, KERNEL_OTHERS_MAX)];
}

/** True cwnd, ssthresh, flight size, pipe, markers and window snapshots from the stack's probes. */
export function labSeries(
  events: readonly ProbeEvent[],
  senderSubject: string,
  receiverSubject: string,
  toT: (ms: number) => number,
): Pick<SessionSeries, 'algorithm' | 'cwnd' | 'ssthresh' | 'flightSize' | 'pipe' | 'sackedBytes' | 'lostBytes' | 'recovery' | 'recoveryPoints' | 'markers' | 'window'> {
  const cwnd: PointSeries = { t: [], v: [] };
  const ssthresh: PointSeries = { t: [], v: [] };
  const flight: PointSeries = { t: [], v: [] };
  const pipe: PointSeries = { t: [], v: [] };
  const sacked: PointSeries = { t: [], v: [] };
  const lost: PointSeries = { t: [], v: [] };
  const recoveryPoints: SessionSeries['recoveryPoints'] = [];
  /** The recovery point being drawn: since when, at which raw sequence number. */
  let openPoint: { start: number; raw: number } | null = null;
  const closePoint = (t: number) => {
    if (openPoint) recoveryPoints.push({ start: openPoint.start, end: t, seq: rel(openPoint.raw) });
    openPoint = null;
  };
  const markers: SeriesMarker[] = [];
  const recovery: [number, number][] = [];
  let recoveryStart: number | null = null;
  let algorithm: string | null = null;
  const snapshots: WindowSnapshot[] = [];
  let iss: number | null = null;
  const snd = { una: 0, nxt: 0, wnd: 0 };
  const rcv = { nxt: 0, wnd: 0, unread: 0, ooo: [] as number[] };
  const rel = (raw: number) => (iss === null ? 0 : ((raw - iss - 1) >>> 0) | 0);
  for (const e of events) {
    if (e.layer === 'cc' && e.kind === 'cwnd' && e.subject === senderSubject) {
      const t = toT(e.t);
      const d = e.data;
      if (typeof d.algorithm === 'string') algorithm = d.algorithm;
      const c = num(d.cwnd);
      if (c !== null) {
        cwnd.t.push(t);
        cwnd.v.push(c);
      }
      const s = num(d.ssthresh);
      if (s !== null) {
        ssthresh.t.push(t);
        ssthresh.v.push(s);
      }
      const fs = num(d.flightSize);
      if (fs !== null) {
        flight.t.push(t);
        flight.v.push(fs);
      }
      const p = num(d.pipe);
      if (p !== null) {
        pipe.t.push(t);
        pipe.v.push(p);
        // SACK connections: the scoreboard's view next to pipe.
        sacked.t.push(t);
        sacked.v.push(num(d.sackedBytes) ?? 0);
        lost.t.push(t);
        lost.v.push(num(d.lostBytes) ?? 0);
      }
      const rp = num(d.recoveryPoint);
      if (rp === null || (openPoint && openPoint.raw !== rp)) closePoint(t);
      if (rp !== null && !openPoint) openPoint = { start: t, raw: rp };
      const value = c ?? 0;
      if (d.event === 'enter-recovery') {
        markers.push({ t, kind: 'fast-retransmit', value, observed: true });
        recoveryStart ??= t;
      } else if (d.event === 'rto') {
        markers.push({ t, kind: 'rto', value, observed: true });
        if (recoveryStart !== null) recovery.push([recoveryStart, t]);
        recoveryStart = null;
      } else if (d.event === 'exit-recovery') {
        markers.push({ t, kind: 'recovery-exit', value, observed: true });
        if (recoveryStart !== null) recovery.push([recoveryStart, t]);
        recoveryStart = null;
      } else if (d.event === 'ecn') markers.push({ t, kind: 'ecn', value, observed: true });
      else if (d.event === 'undo') markers.push({ t, kind: 'undo', value, observed: true });
      continue;
    }
    if (e.layer !== 'tcp' || (e.kind !== 'segment-out' && e.kind !== 'segment-in')) continue;
    const d = e.data;
    if (e.subject === senderSubject) {
      const i = num(d.iss);
      if (i !== null) iss = i;
      snd.una = rel(num(d.sndUna) ?? 0);
      snd.nxt = rel(num(d.sndNxt) ?? 0);
      snd.wnd = num(d.sndWnd) ?? 0;
    } else if (e.subject === receiverSubject) {
      const i = num(d.irs);
      if (i !== null && iss === null) iss = i;
      rcv.nxt = rel(num(d.rcvNxt) ?? 0);
      rcv.wnd = num(d.rcvWnd) ?? 0;
      rcv.unread = num(d.receiveBuffered) ?? 0;
      if (e.kind === 'segment-out') {
        rcv.ooo = [];
        if (typeof d.sack === 'string' && d.sack) {
          for (const block of d.sack.split(',')) {
            const [l, r] = block.split('-').map(Number);
            if (l !== undefined && r !== undefined && Number.isFinite(l) && Number.isFinite(r)) rcv.ooo.push(rel(l), rel(r));
          }
        }
      }
    } else continue;
    if (iss === null) continue;
    const cause = e.subject === senderSubject ? (e.kind === 'segment-out' ? 'send' : 'ack') : e.kind === 'segment-in' ? 'receive' : 'ack-sent';
    snapshots.push({
      t: toT(e.t),
      cause,
      sndUna: Math.max(0, snd.una),
      sndNxt: Math.max(0, snd.nxt),
      sndWnd: snd.wnd,
      rcvNxt: Math.max(0, rcv.nxt),
      rcvWnd: rcv.wnd,
      rcvRead: Math.max(0, rcv.nxt - rcv.unread),
      ooo: rcv.ooo,
    });
  }
  if (recoveryStart !== null) recovery.push([recoveryStart, cwnd.t[cwnd.t.length - 1] ?? recoveryStart]);
  closePoint(cwnd.t[cwnd.t.length - 1] ?? 0);
  const has = (s: PointSeries) => (s.t.length > 0 ? s : null);
  return {
    algorithm,
    cwnd: has(cwnd),
    ssthresh: has(ssthresh),
    flightSize: has(flight),
    pipe: has(pipe),
    sackedBytes: has(sacked),
    lostBytes: has(lost),
    recovery,
    recoveryPoints,
    markers,
    window: { inferred: false, snapshots },
  };
}
