/**
 * The conversation table — one row per TCP conversation of a session or a file, with endpoints,
 * bytes, options, retransmissions, completeness and a diagnosis. One definition for
 * `tcplab conversations` (TSV, JSON) and `export.render … table: 'conversations'` (CSV, JSON).
 */
import { formatSeconds } from '@shared/analysis/fields';
import type { TcpAnalyzer } from '@shared/analysis/analyzer';
import { summarizeConversation, type ConversationSummary } from '@shared/analysis/summary';

export const CONVERSATION_COLUMNS = [
  'tcp.stream',
  'a',
  'b',
  'first_frame',
  'last_frame',
  'duration',
  'segments_a',
  'segments_b',
  'bytes_a',
  'bytes_b',
  'mss_a',
  'mss_b',
  'ws_a',
  'ws_b',
  'sack',
  'ts',
  'ecn',
  'retrans_a',
  'retrans_b',
  'fast_retrans_a',
  'fast_retrans_b',
  'completeness',
  'irtt',
  'state_a',
  'state_b',
  'diagnosis',
];

export function conversationSummaries(analyzer: TcpAnalyzer): ConversationSummary[] {
  return analyzer.conversations.map((c) => summarizeConversation(analyzer, c));
}

/** The cells of one row, in CONVERSATION_COLUMNS order. */
export function conversationCells(c: ConversationSummary): (string | number)[] {
  const [da, db] = c.directions;
  return [
    c.stream,
    c.a,
    c.b,
    c.firstFrame,
    c.lastFrame,
    formatSeconds(c.durationNs),
    da.segments,
    db.segments,
    da.bytes,
    db.bytes,
    da.mss || '',
    db.mss || '',
    da.windowScale,
    db.windowScale,
    c.options.sack ? 1 : 0,
    c.options.timestamps ? 1 : 0,
    c.options.ecn ? 1 : 0,
    da.retransmissions + da.fastRetransmissions + da.spuriousRetransmissions,
    db.retransmissions + db.fastRetransmissions + db.spuriousRetransmissions,
    da.fastRetransmissions,
    db.fastRetransmissions,
    c.completeness,
    c.initialRttNs ? formatSeconds(c.initialRttNs) : '',
    da.finalState,
    db.finalState,
    c.diagnosis.map((d) => d.code).join(','),
  ];
}
