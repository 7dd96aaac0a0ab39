/**
 * Pure layout of the Sliding-window view (RFC 9293 §3.3.1, figures 3–5): the sender's byte
 * stream split at SND.UNA, SND.NXT and SND.UNA + SND.WND, and the receiver's buffer split at the
 * application's read point, RCV.NXT, the out-of-order ranges and RCV.NXT + RCV.WND.
 */
import type { WindowSnapshot } from '@shared/model/series';

/** Index of the last snapshot at or before `t` (binary search), -1 when none; null t = the last. */
export function snapshotIndexAt(snapshots: readonly WindowSnapshot[], t: number | null): number {
  if (snapshots.length === 0) return -1;
  if (t === null) return snapshots.length - 1;
  let lo = 0;
  let hi = snapshots.length - 1;
  if (snapshots[0]!.t > t) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (snapshots[mid]!.t <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export type SenderPart = 'acked' | 'in-flight' | 'usable' | 'not-allowed';
export type ReceiverPart = 'read' | 'unread' | 'missing' | 'out-of-order' | 'free' | 'beyond';

export interface BarPart<K extends string> {
  kind: K;
  from: number;
  to: number;
  /** Percentage of the bar's width (left edge and width). */
  left: number;
  width: number;
}

export interface BarMarker {
  name: string;
  value: number;
  /** Percentage from the left. */
  at: number;
}

export interface WindowBars {
  /** The byte range shown, [start, end). */
  start: number;
  end: number;
  sender: BarPart<SenderPart>[];
  receiver: BarPart<ReceiverPart>[];
  senderMarkers: BarMarker[];
  receiverMarkers: BarMarker[];
}

function parts<K extends string>(start: number, end: number, cuts: [K, number, number][]): BarPart<K>[] {
  const span = Math.max(1, end - start);
  const out: BarPart<K>[] = [];
  for (const [kind, a, b] of cuts) {
    const from = Math.max(start, Math.min(end, a));
    const to = Math.max(start, Math.min(end, b));
    if (to <= from) continue;
    out.push({ kind, from, to, left: ((from - start) / span) * 100, width: ((to - from) / span) * 100 });
  }
  return out;
}

/**
 * Bars for one snapshot. The range shown runs from a little before the read point to a little past
 * the usable window's end, so both windows stay in view as they slide.
 */
export function windowBars(s: WindowSnapshot): WindowBars {
  const sndEdge = s.sndUna + s.sndWnd;
  const rcvEdge = s.rcvNxt + s.rcvWnd;
  const oooEnd = s.ooo.length > 0 ? Math.max(...s.ooo.filter((_, i) => i % 2 === 1)) : 0;
  const hi = Math.max(sndEdge, rcvEdge, s.sndNxt, oooEnd, 1);
  const lo = Math.max(0, Math.min(s.rcvRead, s.sndUna) - Math.max(1, Math.round((hi - Math.min(s.rcvRead, s.sndUna)) * 0.25)));
  const end = hi + Math.max(1, Math.round((hi - lo) * 0.15));
  const start = lo;
  const usableEnd = Math.max(s.sndNxt, sndEdge);
  const sender = parts<SenderPart>(start, end, [
    ['acked', start, s.sndUna],
    ['in-flight', s.sndUna, s.sndNxt],
    ['usable', s.sndNxt, sndEdge],
    ['not-allowed', usableEnd, end],
  ]);
  const rcvCuts: [ReceiverPart, number, number][] = [
    ['read', start, s.rcvRead],
    ['unread', s.rcvRead, s.rcvNxt],
  ];
  // Between RCV.NXT and the window's edge: out-of-order ranges, the holes before them, free space.
  const ooo: [number, number][] = [];
  for (let i = 0; i + 1 < s.ooo.length; i += 2) if (s.ooo[i + 1]! > s.rcvNxt) ooo.push([Math.max(s.rcvNxt, s.ooo[i]!), s.ooo[i + 1]!]);
  ooo.sort((a, b) => a[0] - b[0]);
  let at = s.rcvNxt;
  for (const [l, r] of ooo) {
    if (l > at) rcvCuts.push(['missing', at, l]);
    rcvCuts.push(['out-of-order', Math.max(at, l), r]);
    at = Math.max(at, r);
  }
  rcvCuts.push(['free', at, Math.max(at, rcvEdge)]);
  rcvCuts.push(['beyond', Math.max(at, rcvEdge), end]);
  const pct = (v: number) => ((Math.min(end, Math.max(start, v)) - start) / Math.max(1, end - start)) * 100;
  return {
    start,
    end,
    sender: parts(start, end, [...sender.map((p): [SenderPart, number, number] => [p.kind, p.from, p.to])]),
    receiver: parts(start, end, rcvCuts),
    senderMarkers: [
      { name: 'SND.UNA', value: s.sndUna, at: pct(s.sndUna) },
      { name: 'SND.NXT', value: s.sndNxt, at: pct(s.sndNxt) },
      { name: 'SND.UNA+SND.WND', value: sndEdge, at: pct(sndEdge) },
    ],
    receiverMarkers: [
      { name: 'RCV.NXT', value: s.rcvNxt, at: pct(s.rcvNxt) },
      { name: 'RCV.NXT+RCV.WND', value: rcvEdge, at: pct(rcvEdge) },
    ],
  };
}
