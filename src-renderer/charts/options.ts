/**
 * Pure ECharts option builders for the Congestion view (design principle 8: chart options are
 * built by pure, tested functions). They take plain series DTOs (src-shared/model/series) and the
 * label strings of the current locale, and return plain option objects; nothing here touches
 * ECharts itself, the DOM or a store.
 *
 * Every long series uses `sampling: 'lttb'` and `large: true` with no animation, and every chart
 * has an inside + slider dataZoom on time, so 1M points stay responsive.
 */
import type { PointSeries, SeriesMarkerKind, SessionSeries } from '@shared/model/series';

export interface ChartSeries {
  name: string;
  type: 'line' | 'scatter' | 'custom';
  data: unknown[];
  [key: string]: unknown;
}

export interface ChartOption {
  series: ChartSeries[];
  [key: string]: unknown;
}

export interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  palette: string[];
  danger: string;
  warn: string;
  accent: string;
}

export const DEFAULT_THEME: ChartTheme = {
  fg: '#222',
  muted: '#666',
  grid: '#ddd',
  palette: ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#a16207', '#db2777'],
  danger: '#dc2626',
  warn: '#d97706',
  accent: '#2563eb',
};

/** [t, v] pairs for ECharts, one allocation per point (the arrays are built once per redraw). */
export function pairs(s: PointSeries): [number, number][] {
  const out: [number, number][] = new Array(s.t.length);
  for (let i = 0; i < s.t.length; i++) out[i] = [s.t[i]!, s.v[i]!];
  return out;
}

/** A long line: LTTB sampling, large mode, no symbols, no animation. */
export function bigLine(name: string, s: PointSeries, extra: Record<string, unknown> = {}): ChartSeries {
  return { name, type: 'line', data: pairs(s), showSymbol: false, sampling: 'lttb', large: true, largeThreshold: 2000, animation: false, progressive: 20000, ...extra };
}

function base(theme: ChartTheme, yName: string, xName: string): Record<string, unknown> {
  return {
    animation: false,
    color: theme.palette,
    textStyle: { color: theme.fg },
    grid: { left: 70, right: 30, top: 64, bottom: 70 },
    tooltip: { trigger: 'axis', confine: true },
    legend: { top: 4, textStyle: { color: theme.fg }, type: 'scroll' },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 24, scale: true, axisLine: { lineStyle: { color: theme.muted } }, splitLine: { lineStyle: { color: theme.grid } } },
    yAxis: { type: 'value', name: yName, nameGap: 12, scale: false, axisLine: { lineStyle: { color: theme.muted } }, splitLine: { lineStyle: { color: theme.grid } } },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 18, bottom: 8 },
    ],
  };
}

export interface CongestionLabels {
  cwnd: string;
  ssthresh: string;
  flight: string;
  pipe: string;
  sacked: string;
  lost: string;
  rwnd: string;
  estimate: string;
  bytes: string;
  time: string;
  recovery: string;
  cursor: string;
  markers: Record<SeriesMarkerKind, string>;
  /** Appended to tcplab's cwnd when a polled kernel curve is beside it, e.g. "tcplab, true". */
  tcplabTrue?: string;
  /** Name of a kernel curve; `{subject}` and `{algorithm}` are filled in. */
  kernelCwnd?: string;
}

export interface Overlay {
  label: string;
  series: SessionSeries;
}

export const MARKER_SYMBOL: Record<SeriesMarkerKind, string> = {
  'fast-retransmit': 'triangle',
  rto: 'diamond',
  'recovery-exit': 'circle',
  ecn: 'rect',
  retransmission: 'pin',
  undo: 'arrow',
};

/**
 * cwnd, ssthresh, flight size, pipe and rwnd over time; the true cwnd (probes) and the estimate
 * (analysis, named "estimate" with its method in the legend) overlaid when both exist; markers for
 * fast retransmit, RTO, end of recovery and ECN; recovery periods shaded; other runs overlaid.
 */
export function congestionOption(main: SessionSeries, overlays: Overlay[], labels: CongestionLabels, cursorT: number | null, theme: ChartTheme = DEFAULT_THEME): ChartOption {
  const series: ChartSeries[] = [];
  const algo = main.algorithm ? ` (${main.algorithm})` : '';
  const kernel = main.kernel ?? [];
  if (main.cwnd) {
    const markArea = main.recovery.length > 0 ? { silent: true, label: { show: false }, itemStyle: { color: 'rgba(220,38,38,0.08)' }, data: main.recovery.map(([a, b]) => [{ xAxis: a, name: labels.recovery }, { xAxis: b }]) } : undefined;
    // Beside a polled kernel curve the legend says which one is true.
    const which = kernel.length > 0 ? ` — ${labels.tcplabTrue ?? 'tcplab, true'}` : '';
    series.push(bigLine(`${labels.cwnd}${algo}${which}`, main.cwnd, { step: 'end', lineStyle: { width: 2 }, ...(markArea ? { markArea } : {}) }));
  }
  for (const k of kernel) {
    const name = (labels.kernelCwnd ?? 'cwnd — Linux {subject} ({algorithm}), polled via ss').replace('{subject}', k.subject).replace('{algorithm}', k.algorithm ?? '?');
    // Samples, not every change: drawn with a dot per poll so the sampling shows.
    series.push({ ...bigLine(name, k.cwnd, { step: 'end', lineStyle: { width: 1.5, type: [2, 2] } }), showSymbol: true, symbol: 'circle', symbolSize: 3 });
  }
  if (main.ssthresh) series.push(bigLine(labels.ssthresh, main.ssthresh, { step: 'end', lineStyle: { type: 'dashed' } }));
  if (main.flightSize) series.push(bigLine(labels.flight, main.flightSize, { step: 'end', lineStyle: { width: 1 } }));
  else series.push(bigLine(labels.flight, main.bytesInFlight, { lineStyle: { width: 1 } }));
  if (main.pipe) series.push(bigLine(labels.pipe, main.pipe, { step: 'end', lineStyle: { width: 1, type: 'dotted' } }));
  // The scoreboard behind pipe (RFC 6675): only drawn when something was ever SACKed.
  if (main.sackedBytes && main.sackedBytes.v.some((v) => v > 0)) series.push(bigLine(labels.sacked, main.sackedBytes, { step: 'end', lineStyle: { width: 1, color: theme.palette[3] }, itemStyle: { color: theme.palette[3] } }));
  if (main.lostBytes && main.lostBytes.v.some((v) => v > 0)) series.push(bigLine(labels.lost, main.lostBytes, { step: 'end', lineStyle: { width: 1, color: theme.danger }, itemStyle: { color: theme.danger } }));
  series.push(bigLine(labels.rwnd, main.rwnd, { step: 'end', lineStyle: { width: 1, type: 'dashed' } }));
  series.push(bigLine(labels.estimate, main.cwndEstimate, { step: 'end', lineStyle: { width: 1.5, type: [6, 3] } }));
  for (const o of overlays) {
    const c = o.series.cwnd ?? o.series.cwndEstimate;
    const what = o.series.cwnd ? labels.cwnd : labels.estimate;
    series.push(bigLine(`${what} — ${o.label}${o.series.algorithm ? ` (${o.series.algorithm})` : ''}`, c, { step: 'end', lineStyle: { width: 1.5 } }));
  }
  const kinds: SeriesMarkerKind[] = ['fast-retransmit', 'rto', 'recovery-exit', 'ecn', 'retransmission', 'undo'];
  for (const kind of kinds) {
    const ms = main.markers.filter((m) => m.kind === kind);
    if (ms.length === 0) continue;
    series.push({
      name: labels.markers[kind],
      type: 'scatter',
      data: ms.map((m) => [m.t, m.value]),
      symbol: MARKER_SYMBOL[kind],
      symbolSize: 11,
      itemStyle: { color: kind === 'ecn' ? theme.warn : kind === 'recovery-exit' || kind === 'undo' ? theme.accent : theme.danger },
      z: 5,
      animation: false,
    });
  }
  addCursor(series, cursorT, labels.cursor, theme);
  return { ...base(theme, labels.bytes, labels.time), series };
}

function addCursor(series: ChartSeries[], cursorT: number | null, name: string, theme: ChartTheme): void {
  if (cursorT === null || series.length === 0) return;
  const first = series[0]!;
  first.markLine = { symbol: 'none', silent: true, animation: false, label: { show: false }, lineStyle: { color: theme.accent, width: 1.5 }, data: [{ xAxis: cursorT, name }] };
}

export interface TsgLabels {
  segments: string;
  retransmissions: string;
  ack: string;
  window: string;
  sack: string;
  recoveryPoint: string;
  syn: string;
  fin: string;
  rst: string;
  seq: string;
  time: string;
  cursor: string;
}

/**
 * tcptrace's time-sequence graph: each data segment a vertical bar from its first to its end
 * sequence number (drawn as a scatter of segment tops plus bars via ECharts 'custom' would cost
 * per-item render calls; a [t, seq]…[t, end] polyline with gaps (null) draws them in one path),
 * retransmissions in red, the ACK line and the receive-window line as steps, SACK blocks as bars,
 * SYN/FIN/RST as labelled marks.
 */
export function timeSequenceOption(s: SessionSeries, labels: TsgLabels, cursorT: number | null, theme: ChartTheme = DEFAULT_THEME): ChartOption {
  const g = s.tsg;
  const retrans = new Set(g.retrans);
  const bars: (number[] | null)[] = [];
  const rbars: (number[] | null)[] = [];
  for (let i = 0; i < g.segT.length; i++) {
    const out = retrans.has(i) ? rbars : bars;
    out.push([g.segT[i]!, g.segSeq[i]!], [g.segT[i]!, g.segEnd[i]!], null);
  }
  const sack: (number[] | null)[] = [];
  for (let i = 0; i < g.sackT.length; i++) sack.push([g.sackT[i]!, g.sackL[i]!], [g.sackT[i]!, g.sackR[i]!], null);
  const series: ChartSeries[] = [
    { name: labels.segments, type: 'line', data: bars, connectNulls: false, showSymbol: false, animation: false, lineStyle: { width: 2, color: theme.fg }, itemStyle: { color: theme.fg } },
    { name: labels.retransmissions, type: 'line', data: rbars, connectNulls: false, showSymbol: false, animation: false, lineStyle: { width: 2.5, color: theme.danger }, itemStyle: { color: theme.danger } },
    bigLine(labels.ack, { t: g.ackT, v: g.ack }, { step: 'end', lineStyle: { width: 1, color: theme.palette[2] }, itemStyle: { color: theme.palette[2] } }),
    bigLine(labels.window, { t: g.ackT, v: g.win }, { step: 'end', lineStyle: { width: 1, color: theme.palette[4] }, itemStyle: { color: theme.palette[4] } }),
    { name: labels.sack, type: 'line', data: sack, connectNulls: false, showSymbol: false, animation: false, lineStyle: { width: 4, color: theme.palette[3], opacity: 0.6 }, itemStyle: { color: theme.palette[3] } },
  ];
  if (s.recoveryPoints.length > 0) {
    // The recovery point: a horizontal line over each recovery; it ends when the ACK line reaches it.
    const rp: (number[] | null)[] = [];
    for (const r of s.recoveryPoints) rp.push([r.start, r.seq], [r.end, r.seq], null);
    series.push({ name: labels.recoveryPoint, type: 'line', data: rp, connectNulls: false, showSymbol: false, animation: false, lineStyle: { width: 1.5, type: 'dashed', color: theme.danger }, itemStyle: { color: theme.danger } });
  }
  const mark = (name: string, pts: [number, number][], symbol: string, color: string): void => {
    if (pts.length > 0) series.push({ name, type: 'scatter', data: pts, symbol, symbolSize: 10, itemStyle: { color }, label: { show: true, formatter: name, position: 'left', color }, animation: false });
  };
  mark(labels.syn, s.tsg.syn, 'triangle', theme.palette[2]!);
  mark(labels.fin, s.tsg.fin, 'diamond', theme.palette[5]!);
  mark(labels.rst, s.tsg.rst, 'rect', theme.danger);
  addCursor(series, cursorT, labels.cursor, theme);
  return { ...base(theme, labels.seq, labels.time), tooltip: { trigger: 'item', confine: true }, series };
}

export interface RateLabels {
  rtt: string;
  rttAxis: string;
  throughput: string;
  goodput: string;
  rateAxis: string;
  time: string;
  cursor: string;
}

/** RTT samples: every sample marked (scatter, large mode). */
export function rttOption(s: SessionSeries, labels: RateLabels, cursorT: number | null, theme: ChartTheme = DEFAULT_THEME): ChartOption {
  const series: ChartSeries[] = [{ name: labels.rtt, type: 'scatter', data: pairs({ t: s.rtt.t, v: s.rtt.v.map((x) => x * 1000) }), symbolSize: 5, large: true, largeThreshold: 2000, animation: false }];
  addCursor(series, cursorT, labels.cursor, theme);
  return { ...base(theme, labels.rttAxis, labels.time), series };
}

/** Throughput and goodput (payload bytes per second per bin, shown in bit/s). */
export function rateOption(s: SessionSeries, labels: RateLabels, cursorT: number | null, theme: ChartTheme = DEFAULT_THEME): ChartOption {
  const bits = (p: PointSeries): PointSeries => ({ t: p.t, v: p.v.map((x) => x * 8) });
  const series: ChartSeries[] = [bigLine(labels.throughput, bits(s.throughput), { step: 'end' }), bigLine(labels.goodput, bits(s.goodput), { step: 'end', lineStyle: { type: 'dashed' } })];
  addCursor(series, cursorT, labels.cursor, theme);
  return { ...base(theme, labels.rateAxis, labels.time), series };
}

/** Series name → number of data items (what the e2e tests read back from the chart). */
export function seriesLengths(option: ChartOption): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of option.series) out[s.name] = s.data.length;
  return out;
}
