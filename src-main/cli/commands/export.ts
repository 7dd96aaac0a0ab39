import { writeFileAtomic } from '../../capture/atomic-file';
import { CliUsageError, type CliCommand, type CliIo } from '../command';
import { EXPORT_FORMATS, ExportError, renderExport, runHeadless, type ExportFormat, type ExportRequest } from '../../session/export';
import { saveSession } from '../../session/saved';
import { FileSource } from '../../session/sources/file';
import { LabSource } from '../../session/sources/lab';
import { findLab, labs } from '../../labs';
import type { LadderDetail } from '@shared/diagram/ladder';
import type { FrameSource } from '../../session/source';
import { existsSync } from 'node:fs';
import { writeChunk } from './analyze';

const DETAIL_KEYS: (keyof LadderDetail)[] = ['relative', 'window', 'options', 'states', 'flags', 'timers'];

function parseDetail(text: string): Partial<LadderDetail> {
  const on = new Set(text.split(',').map((s) => s.trim()).filter(Boolean));
  for (const k of on) {
    if (!(DETAIL_KEYS as string[]).includes(k)) throw new CliUsageError(`--detail: unknown item '${k}'; items: ${DETAIL_KEYS.join(', ')}`);
  }
  const d: Partial<LadderDetail> = {};
  for (const k of DETAIL_KEYS) d[k] = on.has(k);
  return d;
}

function parseRange(text: string): { from: number; to: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) throw new CliUsageError(`--frames must be FROM-TO (frame numbers, FROM ≤ TO), got '${text}'`);
  return { from: Number(m[1]), to: Number(m[2]) };
}


export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export a conversation as a ladder (SVG, PNG, PDF, Mermaid, PlantUML, ASCII), a table (CSV, JSON) or frames (pcap, pcapng)',
  usage: 'export FILE|--lab NAME [--stream N] --format FORMAT -o OUT|-',
  positionals: { min: 0, max: 1, names: 'FILE' },
  options: [
    { name: 'lab', type: 'string', valueName: 'NAME', description: 'Run this lab (deterministic) instead of reading a file' },
    { name: 'seed', type: 'number', valueName: 'N', description: 'Lab seed' },
    { name: 'loss', type: 'number', valueName: 'P', description: 'Lab loss probability A→B (0..1)' },
    { name: 'stream', type: 'number', valueName: 'N', description: 'The TCP conversation (tcp.stream, see `tcplab conversations`); pcap/pcapng without it: every frame' },
    { name: 'format', type: 'string', valueName: 'FORMAT', description: EXPORT_FORMATS.join('|') },
    { name: 'output', short: 'o', type: 'string', valueName: 'OUT', description: "Output file ('-' = stdout, text formats only)" },
    { name: 'detail', type: 'string', valueName: 'LIST', description: `Ladder detail, comma-separated (default all): ${DETAIL_KEYS.join(',')}` },
    { name: 'frames', type: 'string', valueName: 'FROM-TO', description: 'Ladder: only segments of these frames' },
    { name: 'table', type: 'string', valueName: 'segments|series|conversations', description: 'CSV/JSON: the segments (default), the chart series (cwnd, rtt …), or every conversation (as `tcplab conversations`; no --stream)' },
    { name: 'filter', type: 'string', valueName: 'EXPR', description: "pcap/pcapng: only the frames this display filter shows (Wireshark syntax, e.g. 'tcp.analysis.retransmission')" },
    { name: 'with-state', type: 'boolean', description: "pcapng: the whole session with tcplab's state embedded (reopens with true states)" },
  ],
  details: `Examples:
  tcplab export capture.pcapng --stream 0 --format svg -o ladder.svg
  tcplab export --lab handshake --stream 0 --format ascii -o -
  tcplab export --lab slow-start --stream 0 --format csv --table series -o cwnd.csv
  tcplab export capture.pcapng --format csv --table conversations -o conversations.csv
  tcplab export --lab fast-recovery --format pcapng --with-state -o run.pcapng
  tcplab export capture.pcapng --format pcap --filter 'tcp.analysis.retransmission' -o retrans.pcap
Output files are written as OUT.partial and renamed when complete.`,
  async run(args, io: CliIo) {
    const o = args.options;
    const format = o.format as string | undefined;
    if (format === undefined) throw new CliUsageError(`--format is required: ${EXPORT_FORMATS.join('|')}`);
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new CliUsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
    const out = o.output as string | undefined;
    if (out === undefined || out === '') throw new CliUsageError('-o OUT is required');
    const binary = ['png', 'pdf', 'pcap', 'pcapng'].includes(format);
    if (out === '-' && binary) throw new CliUsageError(`-o - (stdout) is for text formats; ${format} needs a file`);
    const file = args.positionals[0];
    const labName = o.lab as string | undefined;
    if ((file === undefined) === (labName === undefined)) throw new CliUsageError('give either FILE or --lab NAME');
    const stream = o.stream as number | undefined;
    if (stream !== undefined && (!Number.isInteger(stream) || stream < 0)) throw new CliUsageError(`--stream must be a conversation number ≥ 0, got ${stream}`);
    const table = o.table as string | undefined;
    if (table !== undefined && table !== 'segments' && table !== 'series' && table !== 'conversations') {
      throw new CliUsageError(`--table must be segments, series or conversations, got '${table}'`);
    }
    const needsStream = !['pcap', 'pcapng'].includes(format) && table !== 'conversations';
    if (needsStream && stream === undefined) throw new CliUsageError(`--stream N is required for --format ${format} (list them with: tcplab conversations FILE)`);
    if (table !== undefined && format !== 'csv' && format !== 'json') throw new CliUsageError('--table applies to --format csv or json');
    if (o['with-state'] && format !== 'pcapng') throw new CliUsageError('--with-state applies to --format pcapng');
    const filter = o.filter as string | undefined;
    if (filter !== undefined && format !== 'pcap' && format !== 'pcapng') throw new CliUsageError('--filter applies to --format pcap or pcapng');
    if (filter !== undefined && o['with-state']) throw new CliUsageError('--filter and --with-state do not go together: a saved session holds every frame');

    let source: FrameSource;
    if (labName !== undefined) {
      if (!findLab(labName)) throw new CliUsageError(`no lab named '${labName}'; labs: ${labs.map((l) => l.name).join(', ')}`);
      const overrides: Record<string, number> = {};
      if (o.seed !== undefined) overrides.seed = o.seed as number;
      if (o.loss !== undefined) overrides.loss = o.loss as number;
      source = new LabSource(labName, overrides);
    } else {
      if (!existsSync(file!)) {
        await writeChunk(io.stderr, `tcplab export: cannot open ${file}: ENOENT (no such file)\n`);
        return 1;
      }
      source = new FileSource(file!);
    }
    const req: ExportRequest = { format: format as ExportFormat, stream, table: table as ExportRequest['table'], filter };
    if (o.detail !== undefined) req.detail = parseDetail(o.detail as string);
    if (o.frames !== undefined) req.frameRange = parseRange(o.frames as string);

    let session;
    try {
      session = await runHeadless(source);
    } catch (err) {
      await writeChunk(io.stderr, `tcplab export: ${(err as Error).message}\n`);
      return 1;
    }
    try {
      if (format === 'pcapng' && o['with-state'] && out !== '-') {
        const r = saveSession(session, out);
        await writeChunk(io.stderr, `${r.frames} frames, ${r.probes} probe events → ${out}\n`);
        return 0;
      }
      const result = await renderExport(session, req);
      if (out === '-') await writeChunk(io.stdout, new TextDecoder().decode(result.bytes));
      else writeFileAtomic(out, result.bytes);
      return 0;
    } catch (err) {
      if (err instanceof ExportError) throw new CliUsageError(err.message);
      await writeChunk(io.stderr, `tcplab export: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
