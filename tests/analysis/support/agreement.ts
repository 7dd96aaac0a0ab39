import { execFileSync } from 'node:child_process';
import { analyzeCaptureFile } from '../../../src-main/cli/commands/analysis-file';
import { FIELDS } from '../../../src-shared/analysis/fields';

/**
 * Compares tcplab's analysis of a capture with `tshark -T fields`, field by field, frame by frame.
 * Only frames tshark shows a TCP stream index for are compared (tshark's TCP frames).
 */
export const COMPARED_FIELDS = [
  'tcp.stream',
  'tcp.completeness',
  'tcp.seq',
  'tcp.seq_raw',
  'tcp.ack',
  'tcp.ack_raw',
  'tcp.nxtseq',
  'tcp.len',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.window_size',
  'tcp.window_size_scalefactor',
  'tcp.time_relative',
  'tcp.time_delta',
  'tcp.analysis.flags',
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order',
  'tcp.analysis.lost_segment',
  'tcp.analysis.ack_lost_segment',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.duplicate_ack_num',
  'tcp.analysis.duplicate_ack_frame',
  'tcp.analysis.zero_window',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.zero_window_probe_ack',
  'tcp.analysis.window_full',
  'tcp.analysis.window_update',
  'tcp.analysis.keep_alive',
  'tcp.analysis.keep_alive_ack',
  'tcp.analysis.reused_ports',
  'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt',
  'tcp.analysis.initial_rtt',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.push_bytes_sent',
] as const;

export interface Difference {
  frame: number;
  field: string;
  tcplab: string;
  tshark: string;
}

export interface Agreement {
  file: string;
  frames: number;
  /** field -> [agreeing frames, compared frames] */
  perField: Map<string, [number, number]>;
  differences: Difference[];
  /** field -> number of frames where tshark sets it (for flags: how often it occurs). */
  occurrences: Map<string, number>;
}

export function tsharkFields(file: string, fields: readonly string[]): Map<number, string[]> {
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'header=n', '-E', 'separator=/t', '-e', 'frame.number', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const rows = new Map<number, string[]>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    rows.set(Number(cols[0]), cols.slice(1));
  }
  return rows;
}

export function compareWithTshark(file: string, fields: readonly string[] = COMPARED_FIELDS): Agreement {
  const theirs = tsharkFields(file, fields);
  const { analyzer } = analyzeCaptureFile(file);
  const s = analyzer.store;
  const perField = new Map<string, [number, number]>(fields.map((f) => [f, [0, 0]]));
  const occurrences = new Map<string, number>(fields.map((f) => [f, 0]));
  const differences: Difference[] = [];
  const ourRows = new Map<number, number>();
  for (let i = 0; i < s.length; i++) ourRows.set(s.frame[i]!, i);
  for (const [frame, cols] of theirs) {
    const row = ourRows.get(frame);
    fields.forEach((field, k) => {
      const t = cols[k] ?? '';
      const o = row === undefined ? '<missing>' : FIELDS[field]!.get(s, row, analyzer.conversations[s.stream[row]!]!);
      const pf = perField.get(field)!;
      pf[1]++;
      if (t !== '') occurrences.set(field, occurrences.get(field)! + 1);
      if (o === t) pf[0]++;
      else differences.push({ frame, field, tcplab: o, tshark: t });
    });
  }
  return { file, frames: theirs.size, perField, differences, occurrences };
}

/** Fields the issue requires to agree on at least 99% of frames. */
export const KEY_FIELDS = [
  'tcp.analysis.retransmission',
  'tcp.analysis.fast_retransmission',
  'tcp.analysis.duplicate_ack',
  'tcp.analysis.zero_window',
  'tcp.analysis.out_of_order',
  'tcp.analysis.bytes_in_flight',
  'tcp.analysis.ack_rtt',
] as const;

/**
 * Differences from tshark that are documented cases of tshark being wrong. tcplab's fields that
 * carry tshark's names reproduce tshark 4.0 exactly, so none is expected there; tshark's known
 * errors are answered by tcplab.* fields beside them (docs/analysis.md). A difference that is not
 * listed here fails the agreement tests.
 */
export const DOCUMENTED_DIFFERENCES: { id: string; explain: string; matches(d: Difference): boolean }[] = [];

export function undocumented(a: Agreement): Difference[] {
  return a.differences.filter((d) => !DOCUMENTED_DIFFERENCES.some((k) => k.matches(d)));
}

/** A Markdown table: capture, frames, then agreement % per field (and how often tshark set it). */
export function agreementTable(results: Agreement[], fields: readonly string[] = COMPARED_FIELDS): string {
  const lines = [
    `| field | ${results.map((r) => r.file.replace(/^.*\//, '').replace(/\.pcap$/, '')).join(' | ')} |`,
    `|---|${results.map(() => '---|').join('')}`,
    `| frames | ${results.map((r) => r.frames).join(' | ')} |`,
  ];
  for (const f of fields) {
    const cells = results.map((r) => {
      const [ok, n] = r.perField.get(f)!;
      const pct = n === 0 ? 100 : (100 * ok) / n;
      return `${pct === 100 ? '100' : pct.toFixed(2)}% (${r.occurrences.get(f)})`;
    });
    lines.push(`| ${f} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
