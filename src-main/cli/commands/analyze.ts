import { CliUsageError, type CliCommand, type CliIo } from '../command';
import { DEFAULT_FIELDS, FIELDS } from '@shared/analysis/fields';
import { analyzeCaptureFile } from './analysis-file';

/** Writes `text`, waiting for the stream to drain when it asks to (large outputs into a pipe). */
export async function writeChunk(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return;
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

function parseFormat(v: unknown): 'tsv' | 'json' {
  const f = (v as string | undefined) ?? 'tsv';
  if (f !== 'tsv' && f !== 'json') throw new CliUsageError(`--format must be tsv or json, got '${f}'`);
  return f;
}

export const analyzeCommand: CliCommand = {
  name: 'analyze',
  summary: "Per-segment TCP analysis with tshark's tcp.analysis.* field names, plus SACK-aware values and inferred states",
  usage: 'analyze FILE [--stream N] [--format tsv|json] [-e FIELD ...] [--header] [--list-fields]',
  positionals: { min: 0, max: 1, names: 'FILE' },
  options: [
    { name: 'stream', type: 'number', valueName: 'N', description: 'only the conversation with this tcp.stream index' },
    { name: 'format', type: 'string', valueName: 'tsv|json', description: 'output format (default tsv, like tshark -T fields)' },
    { name: 'field', short: 'e', type: 'list', valueName: 'FIELD', description: 'a field to print (repeatable); default: a common set' },
    { name: 'header', type: 'boolean', description: 'print the field names first (tshark -E header=y)' },
    { name: 'list-fields', type: 'boolean', description: 'list the field names and what they mean' },
  ],
  details: `TSV follows tshark -T fields: one line per TCP segment, tab-separated, flags as 1 or empty,
times in seconds with nine decimals, a field empty when tshark would not show it. So
  diff <(tcplab analyze F -e tcp.analysis.retransmission) \\
       <(tshark -r F -Y tcp -T fields -e tcp.analysis.retransmission)
compares the two line by line. tcplab's own fields start with tcplab. (see --list-fields).`,
  async run(args, io: CliIo) {
    if (args.options['list-fields']) {
      const w = Math.max(...Object.keys(FIELDS).map((k) => k.length));
      for (const [k, f] of Object.entries(FIELDS)) io.stdout.write(`${k.padEnd(w)}  ${f.description}\n`);
      return 0;
    }
    const file = args.positionals[0];
    if (file === undefined) throw new CliUsageError('missing FILE');
    const format = parseFormat(args.options.format);
    const fields = (args.options.field as string[] | undefined) ?? DEFAULT_FIELDS;
    for (const f of fields) {
      if (!(f in FIELDS)) throw new CliUsageError(`unknown field '${f}' (tcplab analyze --list-fields lists them)`);
    }
    const stream = args.options.stream as number | undefined;
    if (stream !== undefined && (!Number.isInteger(stream) || stream < 0)) {
      throw new CliUsageError(`--stream must be a non-negative integer, got ${stream}`);
    }
    const { analyzer } = analyzeCaptureFile(file);
    const s = analyzer.store;
    let rows: ArrayLike<number>;
    if (stream !== undefined) {
      const conv = analyzer.conversations[stream];
      if (conv === undefined) {
        throw new Error(`${file}: no tcp.stream ${stream} (the capture has ${analyzer.conversations.length} conversations)`);
      }
      rows = conv.rows.toArray();
    } else {
      rows = { length: s.length } as ArrayLike<number>;
    }
    const getters = fields.map((f) => FIELDS[f]!.get);
    const rowAt = (k: number): number => (stream !== undefined ? rows[k]! : k);
    let buf = '';
    if (format === 'tsv') {
      if (args.options.header) buf += `${fields.join('\t')}\n`;
      for (let k = 0; k < rows.length; k++) {
        const i = rowAt(k);
        const conv = analyzer.conversations[s.stream[i]!]!;
        let line = '';
        for (let g = 0; g < getters.length; g++) line += (g ? '\t' : '') + getters[g]!(s, i, conv);
        buf += `${line}\n`;
        if (buf.length > 1 << 16) {
          await writeChunk(io.stdout, buf);
          buf = '';
        }
      }
    } else {
      buf += '[';
      for (let k = 0; k < rows.length; k++) {
        const i = rowAt(k);
        const conv = analyzer.conversations[s.stream[i]!]!;
        const obj: Record<string, string> = {};
        for (let g = 0; g < getters.length; g++) {
          const v = getters[g]!(s, i, conv);
          if (v !== '') obj[fields[g]!] = v;
        }
        buf += `${k ? ',' : ''}\n  ${JSON.stringify(obj)}`;
        if (buf.length > 1 << 16) {
          await writeChunk(io.stdout, buf);
          buf = '';
        }
      }
      buf += rows.length ? '\n]\n' : ']\n';
    }
    await writeChunk(io.stdout, buf);
    return 0;
  },
};
