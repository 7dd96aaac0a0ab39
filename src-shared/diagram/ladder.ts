/**
 * Ladder (sequence) diagram of one TCP conversation, laid out as plain data: two lifelines, a
 * time-proportional y axis with idle gaps folded (qvis style), slanted arrows from send to receive
 * time where both are known, a state-box column beside each lifeline and timer lanes outside them.
 *
 * The layout is pure and deterministic; the Vue view draws only the part in view (see
 * `visibleArrows`) and the exporters (./export.ts) turn it into SVG, Mermaid, PlantUML and ASCII.
 *
 * Geometry (default width 900):
 *   | timer lanes A | state column A | lifeline A ……… arrows ……… lifeline B | state column B | timer lanes B |
 */
import type { LadderData, LadderSegmentDto, SegmentSeen } from '../model/conversation';
import { badgesOf, segmentLabel, type LabelDetail } from './notation';

export interface LadderDetail extends LabelDetail {
  /** State boxes beside the lifelines. */
  states: boolean;
  /** Analysis flags as badges. */
  flags: boolean;
  /** Timer lanes. */
  timers: boolean;
}

export const DEFAULT_DETAIL: LadderDetail = { relative: true, window: true, options: true, states: true, flags: true, timers: true };

export interface LadderLayoutOptions {
  detail?: Partial<LadderDetail>;
  /** Only segments whose frame (or, for frameless ones, index+1) lies in [from, to]. */
  frameRange?: { from: number; to: number } | undefined;
  /** Only what happens in [fromUs, toUs]. */
  timeRange?: { fromUs: number; toUs: number } | undefined;
  width?: number;
  /** Pixels the median gap between consecutive events gets. */
  rowPx?: number;
  /** The smallest step between two distinct event times (keeps labels apart). */
  minStepPx?: number;
  /** A gap longer than foldFactor × the median gap, with nothing in flight, is folded. */
  foldFactor?: number;
  /** Height of a folded gap. */
  breakPx?: number;
  /** The longest an unfolded step may get (gaps with data in flight are compressed, not folded). */
  maxStepPx?: number;
  /** Fixed slant of one-sided arrows. */
  oneSidedSlantPx?: number;
}

const NO_BADGES: readonly string[] = Object.freeze([]);

/**
 * One arrow. The label and badges are made on first use: a 100k-segment ladder draws a few
 * hundred at a time, so the strings of the others are never built unless an exporter asks.
 */
export class Arrow {
  readonly frame: number | null;
  readonly dir: 0 | 1;
  readonly seen: SegmentSeen;
  /** Send and receive times, µs (rx null when unknown). */
  readonly tx: number;
  readonly rx: number | null;
  /** Flag words for styling: syn, fin, rst, data, ack. */
  readonly kind: 'syn' | 'fin' | 'rst' | 'data' | 'ack';
  /** min(y1, y2): the sort key of the visible-range search. */
  readonly top: number;
  private labelText: string | undefined;

  constructor(
    /** Index into LadderData.segments. */
    readonly index: number,
    private readonly segment: LadderSegmentDto,
    readonly x1: number,
    readonly y1: number,
    /** For a lost segment: where it ends mid-air (the ✗). */
    readonly x2: number,
    readonly y2: number,
    private readonly isn: readonly [number, number],
    private readonly detail: LadderDetail,
  ) {
    this.frame = segment.frame;
    this.dir = segment.dir;
    this.seen = segment.seen;
    this.tx = segment.tx;
    this.rx = segment.rx;
    this.kind = kindOf(segment);
    this.top = Math.min(y1, y2);
  }

  get label(): string {
    return (this.labelText ??= segmentLabel(this.segment, this.isn, this.detail));
  }

  get badges(): readonly string[] {
    return this.detail.flags && this.segment.af !== 0 ? badgesOf(this.segment.af) : NO_BADGES;
  }
}
export type LadderArrow = Arrow;

export interface StateBox {
  side: 0 | 1;
  state: string;
  inferred: boolean;
  /** Top and bottom (the next transition or the end). */
  y1: number;
  y2: number;
  t: number;
  frame: number | null;
  cause: string;
}

export interface TimerBar {
  side: 0 | 1;
  timer: string;
  lane: number;
  x: number;
  y1: number;
  y2: number;
  outcome: 'fired' | 'stopped' | 'running';
}

export interface GapBreak {
  /** Top of the break band and its height. */
  y: number;
  height: number;
  fromUs: number;
  toUs: number;
}

export interface LadderGeometry {
  width: number;
  height: number;
  lifelineA: number;
  lifelineB: number;
  /** Left edges of the state columns and their width. */
  stateA: number;
  stateB: number;
  stateWidth: number;
  /** Timer lane x positions, per side. */
  timerLanes: [number[], number[]];
  /** Top margin (endpoint headers). */
  top: number;
}

export interface LadderLayout {
  geometry: LadderGeometry;
  endpoints: [string, string];
  source: 'lab' | 'capture';
  /** Arrows sorted by their top y (min(y1, y2)). */
  arrows: LadderArrow[];
  /** The largest |y2 − y1| of any arrow, for visible-range queries. */
  maxSpan: number;
  states: StateBox[];
  timers: TimerBar[];
  breaks: GapBreak[];
  /** The piecewise-linear time → y map: sorted distinct times and their y. */
  keyTimes: Float64Array;
  keyYs: Float64Array;
  /** What the legend must explain. */
  legend: { inferred: boolean; oneSided: boolean; folded: boolean; lost: boolean; trueStates: boolean };
  detail: LadderDetail;
}

const TIMER_ORDER = ['rto', 'persist', 'keepalive', 'delack', 'time-wait', 'fin-wait-2'];
/**
 * RACK's reordering timer and the tail loss probe (RFC 8985 §6.3, §7) run in the RTO's lane: Linux
 * arms all three in the one retransmission timer slot; their colour tells them apart.
 */
const TIMER_LANE: Readonly<Record<string, number>> = { 'rack-reorder': 0, tlp: 0 };

function kindOf(s: LadderSegmentDto): LadderArrow['kind'] {
  if (s.flags & 0x04) return 'rst';
  if (s.flags & 0x02) return 'syn';
  if (s.flags & 0x01) return 'fin';
  return s.len > 0 ? 'data' : 'ack';
}

/** Index of the last key ≤ t (binary search); -1 when t is before the first key. */
function floorIndex(keys: Float64Array, t: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  if (hi < 0 || t < keys[0]!) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (keys[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** y of time t (µs) on the layout's piecewise-linear map; clamps outside the data. */
export function timeToY(layout: Pick<LadderLayout, 'keyTimes' | 'keyYs' | 'breaks' | 'geometry'>, t: number): number {
  const k = layout.keyTimes;
  const ys = layout.keyYs;
  if (k.length === 0) return layout.geometry.top;
  const i = floorIndex(k, t);
  if (i < 0) return ys[0]!;
  if (i >= k.length - 1) return ys[k.length - 1]!;
  const t0 = k[i]!;
  const t1 = k[i + 1]!;
  return ys[i]! + ((ys[i + 1]! - ys[i]!) * (t - t0)) / (t1 - t0);
}

/** Time (µs) at y: the inverse of timeToY (inside a folded break it interpolates across the gap). */
export function yToTime(layout: Pick<LadderLayout, 'keyTimes' | 'keyYs'>, y: number): number {
  const k = layout.keyTimes;
  const ys = layout.keyYs;
  if (k.length === 0) return 0;
  const i = floorIndex(ys, y);
  if (i < 0) return k[0]!;
  if (i >= k.length - 1) return k[k.length - 1]!;
  const y0 = ys[i]!;
  const y1 = ys[i + 1]!;
  return k[i]! + ((k[i + 1]! - k[i]!) * (y - y0)) / (y1 - y0);
}

/**
 * Arrows that may intersect [y0, y1]: the index range [start, end) into layout.arrows. Arrows are
 * sorted by their top, so a binary search finds the first whose top is ≥ y0 − maxSpan.
 */
export function visibleArrows(layout: LadderLayout, y0: number, y1: number): [number, number] {
  const a = layout.arrows;
  const lowTop = y0 - layout.maxSpan;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.top < lowTop) lo = mid + 1;
    else hi = mid;
  }
  const start = lo;
  hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.top <= y1) lo = mid + 1;
    else hi = mid;
  }
  return [start, lo];
}

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  return sorted[sorted.length >> 1]!;
}

function inRange(s: LadderSegmentDto, index: number, opts: LadderLayoutOptions): boolean {
  const fr = opts.frameRange;
  if (fr) {
    const n = s.frame ?? index + 1;
    if (n < fr.from || n > fr.to) return false;
  }
  const tr = opts.timeRange;
  if (tr && (s.tx < tr.fromUs || s.tx > tr.toUs)) return false;
  return true;
}

/** Lays out one conversation. */
export function layoutLadder(data: LadderData, opts: LadderLayoutOptions = {}): LadderLayout {
  const detail: LadderDetail = { ...DEFAULT_DETAIL, ...opts.detail };
  const width = opts.width ?? 900;
  const rowPx = opts.rowPx ?? 28;
  const minStepPx = opts.minStepPx ?? 16;
  const foldFactor = opts.foldFactor ?? 12;
  const breakPx = opts.breakPx ?? 28;
  const maxStepPx = opts.maxStepPx ?? rowPx * foldFactor;
  const slant = opts.oneSidedSlantPx ?? 6;
  const top = 48;

  const stateWidth = detail.states ? 112 : 0;
  const laneStep = 9;
  const lanes = detail.timers ? TIMER_ORDER.length : 0;
  const margin = 8 + lanes * laneStep;
  const stateA = margin + 4;
  const lifelineA = stateA + stateWidth + 14;
  const stateB = width - margin - 4 - stateWidth;
  const lifelineB = stateB - 14;
  const timerLanes: [number[], number[]] = [[], []];
  for (let i = 0; i < lanes; i++) {
    timerLanes[0].push(margin - 4 - i * laneStep);
    timerLanes[1].push(width - margin + 4 + i * laneStep);
  }

  // 1. The segments in range, and every time something happens.
  const picked: number[] = [];
  // (a plain array: the common case is every segment, pushed once)
  for (let i = 0; i < data.segments.length; i++) if (inRange(data.segments[i]!, i, opts)) picked.push(i);
  const tr = opts.timeRange;
  let fromUs = tr?.fromUs ?? -Infinity;
  let toUs = tr?.toUs ?? Infinity;
  if (opts.frameRange && picked.length > 0) {
    fromUs = data.segments[picked[0]!]!.tx;
    toUs = 0;
    for (const i of picked) {
      const s = data.segments[i]!;
      toUs = Math.max(toUs, s.rx ?? s.tx);
    }
  }
  const within = (t: number) => t >= fromUs && t <= toUs;
  const states = detail.states ? data.states.filter((st) => within(st.t)) : [];
  const timers = detail.timers ? data.timers.filter((tm) => tm.end >= fromUs && tm.start <= toUs) : [];
  const all = new Float64Array(picked.length * 2 + states.length + timers.length * 2);
  let m = 0;
  for (const i of picked) {
    const s = data.segments[i]!;
    all[m++] = s.tx;
    if (s.rx !== null) all[m++] = s.rx;
  }
  for (const st of states) all[m++] = st.t;
  for (const tm of timers) {
    all[m++] = Math.max(tm.start, fromUs);
    all[m++] = Math.min(tm.end, toUs);
  }
  all.subarray(0, m).sort();
  let n = 0;
  for (let i = 0; i < m; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
  const keyTimes = all.slice(0, n);

  // 2. Which gaps have something in flight (a two-sided arrow spans them): those are never folded.
  const cover = new Int32Array(n + 1);
  for (const i of picked) {
    const s = data.segments[i]!;
    if (s.rx === null || s.rx <= s.tx) continue;
    cover[floorIndex(keyTimes, s.tx)]! += 1;
    cover[floorIndex(keyTimes, s.rx)]! -= 1;
  }
  const gaps = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i + 1 < n; i++) gaps[i] = keyTimes[i + 1]! - keyTimes[i]!;
  const med = median(gaps) || 1;
  const pxPerUs = rowPx / med;

  // Segments sent (or received) at the very same time — a burst from a simulated clock — share a
  // key; each gets its own row within the key's band so that the arrows and labels stay apart.
  const txOrd = new Int32Array(picked.length);
  const rxOrd = new Int32Array(picked.length);
  const txIdx = new Int32Array(picked.length);
  const rxIdx = new Int32Array(picked.length).fill(-1);
  const txCount = new Int32Array(n);
  const rxCount = new Int32Array(n);
  let cursor = 0;
  const keyIndex = (t: number): number => {
    // Mostly in time order: try the neighbourhood of the last hit before searching.
    if (cursor < n && keyTimes[cursor] === t) return cursor;
    if (cursor + 1 < n && keyTimes[cursor + 1] === t) return ++cursor;
    cursor = floorIndex(keyTimes, t);
    return cursor;
  };
  for (let k = 0; k < picked.length; k++) {
    const s = data.segments[picked[k]!]!;
    const ti = keyIndex(s.tx);
    txIdx[k] = ti;
    txOrd[k] = txCount[ti]!++;
  }
  for (let k = 0; k < picked.length; k++) {
    const s = data.segments[picked[k]!]!;
    if (s.rx === null) continue;
    const ri = keyIndex(s.rx);
    rxIdx[k] = ri;
    rxOrd[k] = rxCount[ri]!++;
  }

  const keyYs = new Float64Array(n);
  const breaks: GapBreak[] = [];
  let y = top + 16;
  let inFlight = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      // The previous key's band: one row per extra segment sharing its time.
      y += Math.max(0, Math.max(txCount[i - 1]!, rxCount[i - 1]!) - 1) * minStepPx;
      const dt = gaps[i - 1]!;
      if (inFlight === 0 && dt > foldFactor * med && dt * pxPerUs > breakPx) {
        breaks.push({ y, height: breakPx, fromUs: keyTimes[i - 1]!, toUs: keyTimes[i]! });
        y += breakPx;
      } else {
        y += Math.min(maxStepPx, Math.max(minStepPx, dt * pxPerUs));
      }
    }
    keyYs[i] = y;
    inFlight += cover[i]!;
  }
  if (n > 0) y += Math.max(0, Math.max(txCount[n - 1]!, rxCount[n - 1]!) - 1) * minStepPx;
  const height = y + 40;
  const partial = { keyTimes, keyYs, breaks, geometry: { top } as LadderGeometry };
  const yOf = (t: number): number => timeToY(partial, t);
  const txY = (k: number): number => keyYs[txIdx[k]!]! + txOrd[k]! * minStepPx;
  const rxY = (k: number): number => keyYs[rxIdx[k]!]! + rxOrd[k]! * minStepPx;

  // 3. Arrows.
  const arrows: LadderArrow[] = [];
  let maxSpan = 0;
  let oneSided = false;
  let lost = false;
  // A lost segment ends mid-air after the typical flight (median two-sided span), at 60% across.
  const spans: number[] = [];
  for (let k = 0; k < picked.length && spans.length <= 64; k++) if (rxIdx[k]! >= 0) spans.push(rxY(k) - txY(k));
  spans.sort((p, q) => p - q);
  const typicalSpan = spans.length > 0 ? Math.max(slant, spans[spans.length >> 1]!) : rowPx;
  for (let k = 0; k < picked.length; k++) {
    const i = picked[k]!;
    const s = data.segments[i]!;
    const xFrom = s.dir === 0 ? lifelineA : lifelineB;
    const xTo = s.dir === 0 ? lifelineB : lifelineA;
    const y1 = txY(k);
    let x2 = xTo;
    let y2: number;
    if (s.seen === 'both' && rxIdx[k]! >= 0) y2 = rxY(k);
    else if (s.seen === 'lost') {
      lost = true;
      x2 = xFrom + (xTo - xFrom) * 0.6;
      y2 = y1 + typicalSpan * 0.6;
    } else {
      oneSided = true;
      y2 = y1 + slant;
    }
    maxSpan = Math.max(maxSpan, Math.abs(y2 - y1));
    arrows.push(new Arrow(i, s, xFrom, y1, x2, y2, data.isn, detail));
  }
  arrows.sort((p, q) => p.top - q.top || p.index - q.index);

  // 4. State boxes: from each transition to the next one of the same side (or the end).
  const boxes: StateBox[] = [];
  const bottom = n > 0 ? keyYs[n - 1]! + 16 : top + 16;
  if (detail.states) {
    for (const side of [0, 1] as const) {
      const mine = states.filter((st) => st.side === side).sort((p, q) => p.t - q.t);
      const first = mine[0];
      // The state before the first transition in range, from the top.
      const before = data.states.filter((st) => st.side === side && st.t < (first?.t ?? Infinity) && st.t < fromUs).pop();
      const initial = before ? before.state : data.initialStates[side];
      // Per side: a TAP session's ladder has the stack's side true and the kernel's side inferred.
      const firstOfSide = data.states.find((st) => st.side === side) ?? data.states[0];
      const inferredAll = firstOfSide ? firstOfSide.inferred : data.source === 'capture';
      if (n > 0 && (first === undefined || yOf(first.t) > top + 16)) {
        boxes.push({ side, state: initial, inferred: inferredAll, y1: top + 16, y2: first ? yOf(first.t) : bottom, t: keyTimes[0]!, frame: null, cause: 'initial' });
      }
      for (let k = 0; k < mine.length; k++) {
        const st = mine[k]!;
        const next = mine[k + 1];
        boxes.push({ side, state: st.state, inferred: st.inferred, y1: yOf(st.t), y2: next ? yOf(next.t) : bottom, t: st.t, frame: st.frame, cause: st.cause });
      }
    }
  }

  // 5. Timer lanes: one lane per timer kind.
  const bars: TimerBar[] = [];
  for (const tm of timers) {
    const lane = TIMER_LANE[tm.timer] ?? Math.max(0, TIMER_ORDER.indexOf(tm.timer));
    bars.push({ side: tm.side, timer: tm.timer, lane, x: timerLanes[tm.side][lane] ?? 0, y1: yOf(tm.start), y2: yOf(tm.end), outcome: tm.outcome });
  }

  return {
    geometry: { width, height, lifelineA, lifelineB, stateA, stateB, stateWidth, timerLanes, top },
    endpoints: data.endpoints,
    source: data.source,
    arrows,
    maxSpan,
    states: boxes,
    timers: bars,
    breaks,
    keyTimes,
    keyYs,
    legend: {
      inferred: boxes.some((b) => b.inferred),
      trueStates: boxes.some((b) => !b.inferred),
      oneSided,
      folded: breaks.length > 0,
      lost,
    },
    detail,
  };
}

/** The state of each side at time t (µs): the last transition at or before t. */
export function statesAt(data: LadderData, t: number): [string, string] {
  const out: [string, string] = [data.initialStates[0], data.initialStates[1]];
  for (const st of data.states) if (st.t <= t) out[st.side] = st.state;
  return out;
}
