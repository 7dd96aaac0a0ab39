/**
 * The TCP conversations of a session and the ladder data of one of them.
 *
 * The passive analysis (src-shared/analysis, incremental) runs over the session's frames as they
 * arrive, once: `conversationsOf(session)` keeps one index per session and feeds it only the new
 * frames. For a capture the ladder is one-sided (the capture point's time) with inferred states.
 * For a lab session the whole LabRun is known: each segment is matched to its receive at the other
 * host (rx.causeId = tx.eventId), so arrows slant from send to receive time, a segment sent and
 * never received is lost, and the states and timers are the stack's own probe events.
 */
import type { ConversationInfo, LadderData, LadderOptionsDto, LadderSegmentDto, LadderStateDto, LadderTimerDto } from '@shared/model/conversation';
import type { ProbeEvent } from '@shared/model/probe';
import { TcpAnalyzer, type Conversation } from '@shared/analysis/analyzer';
import { segmentFromDecoded } from '@shared/analysis/input';
import { STATE_RULES } from '@shared/analysis/state';
import { TCP_STATES } from '@shared/analysis/types';
import { decodePacket, type DecodedPacket } from '@shared/wire/decode';
import { ipv4ToString } from '@shared/wire/address';
import { TCP_ACK, TCP_SYN } from '@shared/wire/tcp';
import { RpcError } from '@shared/ipc/contract';
import type { LabFrame, LabRun } from '../labs/types';
import type { Session } from './session';
import type { CapturedFrame } from './source';
import { TapStackSource } from './sources/tap';
import { withStackStates } from './tap-ladder';
import { labRunOf } from './saved';

function optionsOf(pkt: DecodedPacket): LadderOptionsDto | undefined {
  const tcp = pkt.tcp;
  if (!tcp || tcp.options.length === 0) return undefined;
  const syn = (tcp.flags & TCP_SYN) !== 0;
  const o: LadderOptionsDto = {};
  let any = false;
  for (const opt of tcp.options) {
    if (opt.kind === 'mss') o.mss = opt.value;
    else if (opt.kind === 'wscale') o.wscale = opt.shift;
    else if (opt.kind === 'sack-permitted') o.sackOk = true;
    else if (opt.kind === 'sack') {
      const edges: number[] = [];
      for (const b of opt.blocks) edges.push(b.left >>> 0, b.right >>> 0);
      o.sack = edges;
    } else if (opt.kind === 'timestamps' && syn) o.ts = [opt.tsval >>> 0, opt.tsecr >>> 0];
    else continue;
    any = true;
  }
  return any ? o : undefined;
}

const endpoint = (ip: number, port: number): string => `${ipv4ToString(ip)}:${port}`;

/** The analysis of one session, fed incrementally. */
export class ConversationIndex {
  readonly analyzer = new TcpAnalyzer();
  /** Options worth a label (SYN options, SACK blocks), by frame number. */
  private readonly options = new Map<number, LadderOptionsDto>();
  /** Analysis row of each frame number. */
  private readonly rowOfFrame = new Map<number, number>();
  private fed = 0;
  private firstTsUs = 0;

  constructor(private readonly session: Session) {}

  /** Analyses the frames that arrived since the last call. */
  update(): void {
    const frames = this.session.frames;
    if (this.fed === 0 && frames.length > 0) this.firstTsUs = frames[0]!.tsUs;
    for (; this.fed < frames.length; this.fed++) {
      const f: CapturedFrame = frames[this.fed]!;
      const no = this.fed + 1;
      let pkt: DecodedPacket;
      try {
        pkt = decodePacket(f.linkType, f.data, f.originalLength);
      } catch {
        continue; // not decodable: not a TCP segment for the analysis either
      }
      const sec = Math.floor(f.tsUs / 1e6);
      const input = segmentFromDecoded(pkt, no, sec, Math.round((f.tsUs - sec * 1e6) * 1000));
      if (!input) continue;
      const { row } = this.analyzer.push(input);
      this.rowOfFrame.set(no, row);
      const opts = optionsOf(pkt);
      if (opts) this.options.set(no, opts);
    }
  }

  list(): ConversationInfo[] {
    this.update();
    const s = this.analyzer.store;
    return this.analyzer.conversations.map((c) => {
      let ab = 0;
      let ba = 0;
      const rows = c.rows.toArray();
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        if (s.direction[r] === 0) ab += s.len[r]!;
        else ba += s.len[r]!;
      }
      return {
        stream: c.stream,
        a: endpoint(c.ipA, c.portA),
        b: endpoint(c.ipB, c.portB),
        segments: rows.length,
        firstUs: this.usOfFrame(c.firstFrame),
        lastUs: this.usOfFrame(c.lastFrame),
        bytesAB: ab,
        bytesBA: ba,
      };
    });
  }

  private usOfFrame(no: number): number {
    const f = this.session.frames[no - 1];
    return f ? f.tsUs - this.firstTsUs : 0;
  }

  ladder(stream: number): LadderData {
    this.update();
    const conv = this.analyzer.conversations[stream];
    if (!conv) {
      throw new RpcError('EINVAL', `conversation.ladder: no TCP conversation ${stream} (session ${this.session.id} has ${this.analyzer.conversations.length})`);
    }
    const lab = labRunOf(this.session);
    if (lab) return this.labLadder(conv, lab.run, lab.captureHost);
    const tapSource = this.session.source;
    if (tapSource instanceof TapStackSource) {
      // The stack on a TAP: one-sided arrows, but its own side's true states and timers.
      return withStackStates(this.captureLadder(conv), { frames: this.session.frames, probes: this.session.probes, epochOffsetMs: tapSource.epochOffsetMs });
    }
    return this.captureLadder(conv);
  }

  private isnOf(conv: Conversation): [number, number] {
    const s = this.analyzer.store;
    const isn: [number, number] = [-1, -1];
    const rows = conv.rows.toArray();
    for (let i = 0; i < rows.length && (isn[0] < 0 || isn[1] < 0); i++) {
      const r = rows[i]!;
      const d = s.direction[r]!;
      if (isn[d]! < 0) isn[d] = (s.seqRaw[r]! - s.seq[r]!) >>> 0;
      // The peer's base from what this side acknowledges (when the peer never sends).
      const o = 1 - d;
      if (isn[o]! < 0 && (s.flags[r]! & TCP_ACK) !== 0 && rows.length === 1) isn[o] = (s.ackRaw[r]! - s.ack[r]!) >>> 0;
    }
    return [Math.max(0, isn[0]), Math.max(0, isn[1])];
  }

  private segmentOfRow(r: number, tx: number): LadderSegmentDto {
    const s = this.analyzer.store;
    const frame = s.frame[r]!;
    const seg: LadderSegmentDto = {
      frame,
      dir: s.direction[r] as 0 | 1,
      tx,
      rx: null,
      seen: 'one-sided',
      seq: s.seqRaw[r]!,
      ack: s.ackRaw[r]!,
      flags: s.flags[r]!,
      win: s.windowSize[r]!,
      len: s.len[r]!,
      af: s.analysisFlags[r]!,
    };
    const opts = this.options.get(frame);
    if (opts) seg.opts = opts;
    return seg;
  }

  private captureLadder(conv: Conversation): LadderData {
    const s = this.analyzer.store;
    const rows = conv.rows.toArray();
    const segments: LadderSegmentDto[] = new Array(rows.length);
    const states: LadderStateDto[] = [];
    let prev: [number, number] | null = null;
    let initial: [string, string] = ['CLOSED', 'LISTEN'];
    let endUs = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const frame = s.frame[r]!;
      const tx = this.usOfFrame(frame);
      endUs = Math.max(endUs, tx);
      segments[i] = this.segmentOfRow(r, tx);
      const now: [number, number] = [s.stateA[r]!, s.stateB[r]!];
      if (prev === null) {
        const synOnly = (s.flags[r]! & (TCP_SYN | TCP_ACK)) === TCP_SYN;
        // A capture that starts mid-stream shows both sides ESTABLISHED from the start.
        if (!synOnly) initial = [TCP_STATES[now[0]]!, TCP_STATES[now[1]]!];
        prev = synOnly ? [0, 1] : now;
      }
      for (const side of [0, 1] as const) {
        if (now[side] !== prev[side]) {
          const rule = side === 0 ? s.ruleA[r]! : s.ruleB[r]!;
          states.push({
            side,
            t: tx,
            state: TCP_STATES[now[side]!]!,
            from: TCP_STATES[prev[side]!]!,
            inferred: true,
            frame,
            cause: STATE_RULES[rule] ?? 'inferred',
          });
        }
      }
      prev = now;
    }
    return {
      stream: conv.stream,
      endpoints: [endpoint(conv.ipA, conv.portA), endpoint(conv.ipB, conv.portB)],
      isn: this.isnOf(conv),
      source: 'capture',
      initialStates: initial,
      segments,
      states,
      timers: [],
      endUs,
    };
  }

  private labLadder(conv: Conversation, run: LabRun, captureHost: string): LadderData {
    const eps: [string, string] = [endpoint(conv.ipA, conv.portA), endpoint(conv.ipB, conv.portB)];
    // Session frame numbers of the capture host's frames, in the order the LabSource emitted them.
    const sessionNo = new Map<LabFrame, number>();
    let firstMs: number | null = null;
    let no = 0;
    for (const f of run.frames) {
      if (f.host !== captureHost) continue;
      firstMs ??= f.t;
      sessionNo.set(f, ++no);
    }
    const t0 = firstMs ?? 0;
    const us = (ms: number) => Math.round((ms - t0) * 1000);
    const rxByCause = new Map<number, LabFrame>();
    for (const f of run.frames) if (f.dir === 'rx' && f.causeId !== undefined && !rxByCause.has(f.causeId)) rxByCause.set(f.causeId, f);
    const rowOf = this.rowOfFrame;
    const st = this.analyzer.store;

    const segments: LadderSegmentDto[] = [];
    /** Probe event id of a frame (either end) → the session frame number of that segment. */
    const frameOfEvent = new Map<number, number>();
    let endUs = 0;
    for (const f of run.frames) {
      if (f.dir !== 'tx') continue;
      let pkt: DecodedPacket;
      try {
        pkt = decodePacket(1, f.data);
      } catch {
        continue;
      }
      const ip = pkt.ipv4;
      const tcp = pkt.tcp;
      if (!ip || !tcp) continue;
      const src = endpoint(ip.src, tcp.srcPort);
      const dst = endpoint(ip.dst, tcp.dstPort);
      let dir: 0 | 1;
      if (src === eps[0] && dst === eps[1]) dir = 0;
      else if (src === eps[1] && dst === eps[0]) dir = 1;
      else continue;
      const rx = rxByCause.get(f.eventId);
      const frame = f.host === captureHost ? (sessionNo.get(f) ?? null) : rx && rx.host === captureHost ? (sessionNo.get(rx) ?? null) : null;
      // The analysis decides conversation membership too (a reused port pair is a new stream).
      const row = frame !== null ? rowOf.get(frame) : undefined;
      if (frame !== null && (row === undefined || st.stream[row] !== conv.stream)) continue;
      const tx = us(f.t);
      const seg: LadderSegmentDto =
        row !== undefined
          ? this.segmentOfRow(row, tx)
          : { frame: null, dir, tx, rx: null, seen: 'lost', seq: tcp.seq >>> 0, ack: tcp.ack >>> 0, flags: tcp.flags, win: tcp.window, len: pkt.tcp!.payload.length, af: 0 };
      if (row === undefined) {
        const opts = optionsOf(pkt);
        if (opts) seg.opts = opts;
      }
      seg.dir = dir;
      if (rx) {
        seg.rx = us(rx.t);
        seg.seen = 'both';
        endUs = Math.max(endUs, seg.rx);
      } else seg.seen = 'lost';
      endUs = Math.max(endUs, tx);
      segments.push(seg);
      if (frame !== null) {
        frameOfEvent.set(f.eventId, frame);
        if (rx) frameOfEvent.set(rx.eventId, frame);
      }
    }

    // States and timers from the stacks' probe events.
    const sideOf = (subject: string | undefined): 0 | 1 | -1 => {
      if (subject === `${eps[0]}-${eps[1]}`) return 0;
      if (subject === `${eps[1]}-${eps[0]}`) return 1;
      return -1;
    };
    const byId = new Map<number, ProbeEvent>();
    for (const e of run.events) byId.set(e.id, e);
    const causeFrame = (e: ProbeEvent): number | null => {
      let id = e.causeId;
      for (let hop = 0; id !== undefined && hop < 12; hop++) {
        const f = frameOfEvent.get(id);
        if (f !== undefined) return f;
        id = byId.get(id)?.causeId;
      }
      return null;
    };
    const states: LadderStateDto[] = [];
    const timers: LadderTimerDto[] = [];
    const initial: [string | null, string | null] = [null, null];
    const open = new Map<string, LadderTimerDto>();
    for (const e of run.events) {
      if (e.layer !== 'tcp') continue;
      const sideOrNone = sideOf(e.subject);
      if (sideOrNone < 0) continue;
      const side = sideOrNone as 0 | 1;
      const t = us(e.t);
      if (e.kind === 'state') {
        const from = String(e.data.from ?? '');
        const to = String(e.data.to ?? '');
        initial[side] ??= from || 'CLOSED';
        let frame = causeFrame(e);
        // A state entered by a user call (connect, close) is linked to the segment it sent.
        if (frame === null) frame = segments.find((g) => g.dir === side && g.tx >= t && g.frame !== null)?.frame ?? null;
        states.push({ side, t, state: to, from, inferred: false, frame, eventId: e.id, cause: String(e.data.cause ?? '') });
        endUs = Math.max(endUs, t);
      } else if (e.kind === 'timer-start' || e.kind === 'timer-stop' || e.kind === 'timer-fire') {
        const name = String(e.data.timer ?? '');
        const key = `${side}/${name}`;
        const running = open.get(key);
        if (running) {
          running.end = t;
          running.outcome = e.kind === 'timer-fire' ? 'fired' : 'stopped';
          open.delete(key);
        }
        if (e.kind === 'timer-start') {
          const tm: LadderTimerDto = { side, timer: name, start: t, end: t, outcome: 'running' };
          timers.push(tm);
          open.set(key, tm);
        }
      }
    }
    // A passive open shows up as the new connection's CLOSED → LISTEN just before its SYN-RECEIVED
    // (the stack creates the connection when the SYN arrives); the endpoint was listening all along.
    for (const side of [0, 1] as const) {
      const first = states.findIndex((x) => x.side === side);
      const f = states[first];
      if (f && f.from === 'CLOSED' && f.state === 'LISTEN') {
        initial[side] = 'LISTEN';
        states.splice(first, 1);
      }
    }
    const runEnd = us(run.durationMs);
    for (const tm of open.values()) tm.end = Math.max(tm.start, Math.min(runEnd, Math.max(endUs, tm.start)));
    return {
      stream: conv.stream,
      endpoints: eps,
      isn: this.isnOf(conv),
      source: 'lab',
      initialStates: [initial[0] ?? 'CLOSED', initial[1] ?? 'LISTEN'],
      segments,
      states,
      timers,
      endUs,
    };
  }
}

const indexes = new WeakMap<Session, ConversationIndex>();

/** The session's conversation index (created on first use, then fed incrementally). */
export function conversationsOf(session: Session): ConversationIndex {
  let idx = indexes.get(session);
  if (!idx) {
    idx = new ConversationIndex(session);
    indexes.set(session, idx);
  }
  return idx;
}
