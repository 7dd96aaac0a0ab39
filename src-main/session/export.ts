/**
 * Every way out of a session, as bytes: the ladder of one conversation (SVG, PNG 2×, PDF, Mermaid,
 * PlantUML, ASCII), the conversation table and the chart series (CSV, JSON), and the captured
 * frames (pcap, pcapng; one conversation or all). Used by `tcplab export` and by the renderer's
 * `export.render` request (delivered there as a download). docs/export.md.
 */
import { MemorySink, PcapWriter, PcapngWriter } from '../capture';
import { layoutLadder, statesAt, type LadderDetail } from '@shared/diagram/ladder';
import { ladderToAscii, ladderToMermaid, ladderToPlantUml, ladderToSvg } from '@shared/diagram/export';
import { badgesOf, segmentLabel } from '@shared/diagram/notation';
import type { LadderData } from '@shared/model/conversation';
import type { SessionSeries } from '@shared/model/series';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '@shared/wire/tcp';
import { conversationsOf } from './conversations';
import { CONVERSATION_COLUMNS, conversationCells, conversationSummaries } from './conversation-table';
import { filterFrames, sessionSeries } from './series';
import { sessionPcapngBytes } from './saved';
import { Session, type SessionObserver } from './session';
import type { FrameSource } from './source';

import { EXPORT_FORMATS, RpcError, type ExportFormat } from '@shared/ipc/contract';

export { EXPORT_FORMATS, type ExportFormat };
/** What a CSV/JSON export holds: one conversation's segments or chart series, or the table of every conversation. */
export type ExportTable = 'segments' | 'series' | 'conversations';

export interface ExportRequest {
  format: ExportFormat;
  /** The conversation (tcp.stream). Required for the ladder, CSV and JSON; pcap/pcapng without it: every frame. */
  stream?: number | undefined;
  detail?: Partial<LadderDetail> | undefined;
  frameRange?: { from: number; to: number } | undefined;
  /** CSV/JSON: segments (default), series, or conversations (every conversation; no stream). */
  table?: ExportTable | undefined;
  /** pcap/pcapng: only these frame numbers (a selection in the packet list). */
  frames?: number[] | undefined;
  /** pcap/pcapng: only the frames this display filter shows (src-shared/filter, as the Packets view). */
  filter?: string | undefined;
  /** pcapng of the whole session with tcplab's state embedded (what session.save writes). */
  withState?: boolean | undefined;
}

export interface ExportResult {
  bytes: Uint8Array;
  mime: string;
  /** Suggested file name extension, without the dot. */
  extension: string;
}

const MIME: Record<ExportFormat, string> = {
  svg: 'image/svg+xml',
  png: 'image/png',
  pdf: 'application/pdf',
  mermaid: 'text/vnd.mermaid',
  plantuml: 'text/plain',
  ascii: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  pcap: 'application/vnd.tcpdump.pcap',
  pcapng: 'application/octet-stream',
};
const EXT: Record<ExportFormat, string> = {
  svg: 'svg',
  png: 'png',
  pdf: 'pdf',
  mermaid: 'mmd',
  plantuml: 'puml',
  ascii: 'txt',
  csv: 'csv',
  json: 'json',
  pcap: 'pcap',
  pcapng: 'pcapng',
};

const utf8 = new TextEncoder();

/** Runs a source to its end without a UI (the CLI): resolves with the finished session. */
export function runHeadless(source: FrameSource, id = 1): Promise<Session> {
  return new Promise((resolve, reject) => {
    let session: Session | undefined = undefined;
    const observer: SessionObserver = {
      onFrame() {},
      onProbe() {},
      onState(s) {
        if (s.state === 'done') resolve(s);
        else if (s.state === 'error') reject(new Error(s.error ?? 'source failed'));
      },
    };
    session = new Session(id, source, observer);
    session.start();
  });
}

export function flagNames(flags: number): string {
  const out: string[] = [];
  if (flags & TCP_SYN) out.push('SYN');
  if (flags & TCP_FIN) out.push('FIN');
  if (flags & TCP_RST) out.push('RST');
  if (flags & TCP_PSH) out.push('PSH');
  if (flags & TCP_ACK) out.push('ACK');
  if (flags & TCP_URG) out.push('URG');
  return out.join(',');
}

/** One row per segment of the ladder (send order). */
export interface SegmentRow {
  frame: number | null;
  /** Send (or capture) time, seconds since the session's first frame. */
  time: number;
  /** Receive time at the other host (labs), seconds; null when one-sided or lost. */
  rxTime: number | null;
  direction: 'A→B' | 'B→A';
  seen: string;
  seq: number;
  ack: number;
  /** Relative to each side's ISN, as the ladder labels them. */
  relSeq: number;
  relAck: number;
  len: number;
  flags: string;
  window: number;
  analysis: string;
  label: string;
  stateA: string;
  stateB: string;
}

export function segmentRows(data: LadderData): SegmentRow[] {
  return data.segments.map((s) => {
    // Both endpoints' states when the segment was sent.
    const [a, b] = statesAt(data, s.tx);
    const own = data.isn[s.dir];
    const peer = data.isn[1 - s.dir]!;
    return {
      frame: s.frame,
      time: s.tx / 1e6,
      rxTime: s.rx === null ? null : s.rx / 1e6,
      direction: s.dir === 0 ? 'A→B' : 'B→A',
      seen: s.seen,
      seq: s.seq,
      ack: s.ack,
      relSeq: (s.seq - own) >>> 0,
      relAck: s.flags & TCP_ACK ? (s.ack - peer) >>> 0 : 0,
      len: s.len,
      flags: flagNames(s.flags),
      window: s.win,
      analysis: badgesOf(s.af).join(' '),
      label: segmentLabel(s, data.isn),
      stateA: a,
      stateB: b,
    };
  });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function segmentsCsv(rows: SegmentRow[]): string {
  const cols: (keyof SegmentRow)[] = ['frame', 'time', 'rxTime', 'direction', 'seen', 'seq', 'ack', 'relSeq', 'relAck', 'len', 'flags', 'window', 'analysis', 'stateA', 'stateB', 'label'];
  let out = cols.join(',') + '\n';
  for (const r of rows) out += cols.map((c) => csvCell(r[c])).join(',') + '\n';
  return out;
}

/** The chart series as long-format CSV: series,t,v (t in seconds since the first frame). */
export function seriesCsv(s: SessionSeries): string {
  let out = 'series,t,v\n';
  const named: [string, { t: number[]; v: number[] } | null][] = [
    ['cwnd', s.cwnd],
    ['ssthresh', s.ssthresh],
    ['flightSize', s.flightSize],
    ['pipe', s.pipe],
    ['sackedBytes', s.sackedBytes],
    ['lostBytes', s.lostBytes],
    ['cwndEstimate', s.cwndEstimate],
    ['bytesInFlight', s.bytesInFlight],
    ['rwnd', s.rwnd],
    ['rtt', s.rtt],
    ['throughput', s.throughput],
    ['goodput', s.goodput],
  ];
  for (const [name, p] of named) {
    if (!p) continue;
    for (let i = 0; i < p.t.length; i++) out += `${name},${p.t[i]},${p.v[i]}\n`;
  }
  return out;
}

function conversationsAnalyzer(session: Session) {
  const idx = conversationsOf(session);
  idx.update();
  return idx.analyzer;
}

/** The conversation table as CSV: the columns of `tcplab conversations`, comma-separated. */
export function conversationsCsv(session: Session): string {
  let out = CONVERSATION_COLUMNS.join(',') + '\n';
  for (const c of conversationSummaries(conversationsAnalyzer(session))) out += conversationCells(c).map(csvCell).join(',') + '\n';
  return out;
}

function needStream(req: ExportRequest): number {
  if (req.stream === undefined) throw new ExportError(`--stream N is required for format ${req.format}`);
  return req.stream;
}

/** A request that cannot be met (no such conversation, bad range): the CLI exits 2 on it. */
export class ExportError extends Error {
  override name = 'ExportError';
}

function ladderOf(session: Session, stream: number): LadderData {
  const convs = conversationsOf(session);
  const n = convs.list().length;
  if (stream < 0 || stream >= n) throw new ExportError(`no TCP conversation ${stream} in ${session.source.label} (it has ${n}${n > 0 ? `: 0..${n - 1}` : ''})`);
  return convs.ladder(stream);
}

export function ladderSvg(session: Session, req: ExportRequest): string {
  const data = ladderOf(session, needStream(req));
  const layout = layoutLadder(data, { detail: req.detail, frameRange: req.frameRange });
  return ladderToSvg(layout, { title: `${data.endpoints[0]} ⇄ ${data.endpoints[1]} (tcp.stream ${data.stream})` });
}

/**
 * Largest PNG rendered: 64 Mpx. resvg holds the whole RGBA image (4 bytes a pixel, 256 MB here)
 * and a ladder of 10,000 segments would be 1800×645,000 px at 2× (90 s of CPU, a 212 MB file no
 * viewer opens), all of it while the session worker answers nobody else.
 */
export const MAX_PNG_PIXELS = 64 * 2 ** 20;
/** Largest PDF page side: 14,400 units (200 in), the limit PDF readers keep to (ISO 32000-1 Annex C.2). */
export const MAX_PDF_UNITS = 14_400;

/** The `width`/`height` of an SVG document from ladderToSvg. */
function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\bwidth="([\d.]+)"\s+height="([\d.]+)"/.exec(svg);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : { width: 800, height: 600 };
}

const RANGE_ADVICE = 'choose a frame range (--frames FROM-TO; Frames in the UI’s Export menu) or export SVG';

/** Refuses an image too large to render or to open, before any work is done. */
function checkImageSize(format: 'png' | 'pdf', svg: string, zoom = 2): void {
  const { width, height } = svgSize(svg);
  if (format === 'png') {
    const w = Math.round(width * zoom);
    const h = Math.round(height * zoom);
    if (w * h > MAX_PNG_PIXELS) {
      throw new ExportError(`png: the ladder would be ${w}×${h} px at ${zoom}× (${(w * h / 2 ** 20).toFixed(0)} Mpx, more than ${MAX_PNG_PIXELS / 2 ** 20}); ${RANGE_ADVICE}`);
    }
  } else if (width > MAX_PDF_UNITS || height > MAX_PDF_UNITS) {
    throw new ExportError(`pdf: the ladder is ${Math.round(width)}×${Math.round(height)} pt, more than a PDF page's ${MAX_PDF_UNITS} pt; ${RANGE_ADVICE}`);
  }
}

/** SVG → PNG at 2× with resvg (a Rust renderer shipped as a prebuilt Node addon; no browser). */
export async function svgToPng(svg: string, zoom = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' });
  return new Uint8Array(r.render().asPng());
}

/** SVG → one-page PDF (the page is the drawing's size) with pdfkit + svg-to-pdfkit. */
export async function svgToPdf(svg: string): Promise<Uint8Array> {
  const PDFDocument = (await import('pdfkit')).default;
  const SVGtoPDF = (await import('svg-to-pdfkit')).default;
  const m = /<svg[^>]*\bwidth="([\d.]+)"\s+height="([\d.]+)"/.exec(svg);
  const width = m ? Number(m[1]) : 800;
  const height = m ? Number(m[2]) : 600;
  const doc = new PDFDocument({ size: [width, height], margin: 0, autoFirstPage: true, info: { Title: 'tcplab ladder', Creator: 'tcplab' } });
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  SVGtoPDF(doc, svg, 0, 0, { width, height, assumePt: true });
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

function selectedFrames(session: Session, req: ExportRequest): number[] {
  if (req.filter !== undefined) {
    if (req.frames) throw new ExportError('give frames or a filter, not both');
    try {
      // Run here, in main, so a filter matching a million frames never travels as a list.
      return filterFrames(session, req.filter).frames;
    } catch (err) {
      if (err instanceof RpcError) throw new ExportError(err.message);
      throw err;
    }
  }
  if (req.frames) {
    for (const no of req.frames) {
      if (!Number.isInteger(no) || no < 1 || no > session.frames.length) throw new ExportError(`frame ${no} does not exist (${session.frames.length} frames)`);
    }
    return [...req.frames].sort((a, b) => a - b);
  }
  if (req.stream === undefined) return session.frames.map((_, i) => i + 1);
  const data = ladderOf(session, req.stream);
  const out: number[] = [];
  for (const s of data.segments) if (s.frame !== null) out.push(s.frame);
  return [...new Set(out)].sort((a, b) => a - b);
}

function captureBytes(session: Session, req: ExportRequest): Uint8Array {
  if (req.format === 'pcapng' && req.withState) return sessionPcapngBytes(session);
  const numbers = selectedFrames(session, req);
  const sink = new MemorySink();
  const linkTypes: number[] = [];
  for (const no of numbers) {
    const lt = session.frames[no - 1]!.linkType;
    if (!linkTypes.includes(lt)) linkTypes.push(lt);
  }
  if (linkTypes.length === 0) linkTypes.push(session.frames[0]?.linkType ?? 1);
  const ts = (tsUs: number) => {
    const tsSec = Math.floor(tsUs / 1e6);
    return { tsSec, tsNsec: Math.round(tsUs - tsSec * 1e6) * 1000 };
  };
  if (req.format === 'pcap') {
    if (linkTypes.length > 1) throw new ExportError(`pcap holds one link type; the selection has ${linkTypes.join(', ')}: export pcapng`);
    const w = new PcapWriter(sink, { linkType: linkTypes[0]!, resolution: 'us', snaplen: 262144 });
    for (const no of numbers) {
      const f = session.frames[no - 1]!;
      w.write({ data: f.data, originalLength: f.originalLength, ...ts(f.tsUs) });
    }
    w.close();
  } else {
    const w = new PcapngWriter(sink, { comments: [`tcplab export: ${session.source.label}`], interfaces: linkTypes.map((linkType) => ({ linkType, tsResolution: 'ns' as const, snaplen: 0 })) });
    for (const no of numbers) {
      const f = session.frames[no - 1]!;
      w.write({ data: f.data, originalLength: f.originalLength, interfaceId: linkTypes.indexOf(f.linkType), ...ts(f.tsUs) });
    }
    w.close();
  }
  return sink.bytes();
}

/** Renders one export of a finished (or running) session. */
export async function renderExport(session: Session, req: ExportRequest): Promise<ExportResult> {
  const f = req.format;
  if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw new ExportError(`unknown format '${f}'; formats: ${EXPORT_FORMATS.join(', ')}`);
  let bytes: Uint8Array;
  switch (f) {
    case 'svg':
      bytes = utf8.encode(ladderSvg(session, req));
      break;
    case 'png':
    case 'pdf': {
      const svg = ladderSvg(session, req);
      checkImageSize(f, svg);
      bytes = f === 'png' ? await svgToPng(svg) : await svgToPdf(svg);
      break;
    }
    case 'mermaid':
    case 'plantuml':
    case 'ascii': {
      const layout = layoutLadder(ladderOf(session, needStream(req)), { detail: req.detail, frameRange: req.frameRange });
      bytes = utf8.encode(f === 'mermaid' ? ladderToMermaid(layout) : f === 'plantuml' ? ladderToPlantUml(layout) : ladderToAscii(layout));
      break;
    }
    case 'csv':
    case 'json': {
      if (req.table === 'conversations') {
        bytes = utf8.encode(f === 'csv' ? conversationsCsv(session) : `${JSON.stringify(conversationSummaries(conversationsAnalyzer(session)), null, 2)}\n`);
        break;
      }
      const stream = needStream(req);
      const data = ladderOf(session, stream);
      const table = req.table ?? 'segments';
      if (f === 'csv') {
        bytes = utf8.encode(table === 'series' ? seriesCsv(sessionSeries(session, stream)) : segmentsCsv(segmentRows(data)));
      } else if (table === 'series') {
        bytes = utf8.encode(JSON.stringify(sessionSeries(session, stream)) + '\n');
      } else {
        const doc = { stream, endpoints: data.endpoints, source: data.source, isn: data.isn, segments: segmentRows(data), states: data.states, timers: data.timers };
        bytes = utf8.encode(JSON.stringify(doc, null, 1) + '\n');
      }
      break;
    }
    case 'pcap':
    case 'pcapng':
      bytes = captureBytes(session, req);
      break;
  }
  return { bytes, mime: MIME[f], extension: EXT[f] };
}
