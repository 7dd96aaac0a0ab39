import { CliUsageError, type CliCommand, type CliIo } from '../command';
import { CONVERSATION_COLUMNS, conversationCells, conversationSummaries } from '../../session/conversation-table';
import { analyzeCaptureFile } from './analysis-file';
import { writeChunk } from './analyze';

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
    const summaries = conversationSummaries(analyzer);
    if (format === 'json') {
      await writeChunk(io.stdout, `${JSON.stringify(summaries, null, 2)}\n`);
      return 0;
    }
    let buf = `${CONVERSATION_COLUMNS.join('\t')}\n`;
    for (const c of summaries) {
      buf += conversationCells(c).join('\t') + '\n';
      if (buf.length > 1 << 16) {
        await writeChunk(io.stdout, buf);
        buf = '';
      }
    }
    await writeChunk(io.stdout, buf);
    return 0;
  },
};
