import { CliUsageError, type CliCommand, type CliIo } from '../command';
import { formatSeconds } from '@shared/analysis/fields';
import { summarizeConversation } from '@shared/analysis/summary';
import { analyzeCaptureFile } from './analysis-file';
import { writeChunk } from './analyze';

const COLUMNS = [
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

export const conversationsCommand: CliCommand = {
  name: 'conversations',
  summary: 'TCP conversations of a capture: endpoints, bytes, options, retransmissions, completeness, diagnosis',
  usage: 'conversations FILE [--format tsv|json]',
  positionals: { min: 1, max: 1, names: 'FILE' },
  options: [{ name: 'format', type: 'string', valueName: 'tsv|json', description: 'output format (default tsv with a header line)' }],
  details: `One line per conversation, numbered like tshark's tcp.stream; A is the sender of the
conversation's first captured segment. ws_* is the window scale shift (-1 unknown: the handshake
was not captured; -2 not used). States are inferred from the captured segments (RFC 9293 names).
JSON carries the full summary, including RTT statistics and the reason for each diagnosis.`,
  async run(args, io: CliIo) {
    const format = (args.options.format as string | undefined) ?? 'tsv';
    if (format !== 'tsv' && format !== 'json') throw new CliUsageError(`--format must be tsv or json, got '${format}'`);
    const { analyzer } = analyzeCaptureFile(args.positionals[0]!);
    const summaries = analyzer.conversations.map((c) => summarizeConversation(analyzer, c));
    if (format === 'json') {
      await writeChunk(io.stdout, `${JSON.stringify(summaries, null, 2)}\n`);
      return 0;
    }
    let buf = `${COLUMNS.join('\t')}\n`;
    for (const c of summaries) {
      const [da, db] = c.directions;
      buf +=
        [
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
        ].join('\t') + '\n';
      if (buf.length > 1 << 16) {
        await writeChunk(io.stdout, buf);
        buf = '';
      }
    }
    await writeChunk(io.stdout, buf);
    return 0;
  },
};
