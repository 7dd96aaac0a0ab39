import { once } from 'node:events';
import { CliUsageError, type CliCommand, type CliIo, type ParsedArgs } from '../command';
import { AsyncCaptureReader, CaptureFileError, CaptureReader, type CaptureRecord } from '../../capture';
import { TcpdumpPrinter, type TcpdumpFlags, type TimeZoneOffset } from '@shared/format/tcpdump';

/**
 * `tcplab decode FILE|- [flags]`: prints a pcap or pcapng file (auto-detected) the way
 * `tcpdump -n -r FILE` does, with tcpdump's flags. See docs/decode.md.
 */

const LINK_NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'EN10MB (Ethernet)',
  101: 'RAW (Raw IP)',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL (Linux cooked v1)',
  228: 'IPV4 (Raw IPv4)',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

/** Output is gathered into chunks of about this many bytes before each write. */
const CHUNK_BYTES = 1 << 18;

export interface DecodeOptions {
  flags: TcpdumpFlags;
  /** -c: stop after this many packets. */
  count?: number;
  /** Time zone for the clock columns; the CLI uses the local zone (TZ), like tcpdump. */
  tzOffset?: TimeZoneOffset;
}

/** The local zone's offset (seconds east of UTC) at an instant, honouring TZ like localtime(3). */
export const localTimeZone: TimeZoneOffset = (epochSec) => -new Date(epochSec * 1000).getTimezoneOffset() * 60;

export function flagsFromArgs(args: ParsedArgs): DecodeOptions {
  const n = (name: string): number => (args.options[name] as number | undefined) ?? 0;
  const count = args.options.count as number | undefined;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new CliUsageError(`option -c expects a positive whole number of packets, got '${count}'`);
  }
  return {
    flags: {
      verbose: n('verbose'),
      linkHeader: args.options.link === true,
      timestamp: n('time'),
      packetNumber: args.options.number === true,
      absoluteSeq: args.options.absolute === true,
      quiet: n('quiet'),
      hex: n('hex'),
      hexAscii: n('hex-ascii'),
    },
    count,
  };
}

/**
 * Decodes `source` (a path, or '-' for io.stdin) to io.stdout. Every packet before damage in the
 * file is printed; then the error (with its byte offset) goes to stderr and the result is 1.
 */
export async function decodeCapture(source: string, opts: DecodeOptions, io: CliIo): Promise<number> {
  const printer = new TcpdumpPrinter(opts.flags, opts.tzOffset ?? localTimeZone);
  const limit = opts.count ?? Infinity;
  let printed = 0;
  // The reader of our output went away (`tcplab decode big.pcap | head`): stop quietly, as
  // tcpdump does when SIGPIPE ends it.
  let outputClosed = false;
  const onOutputError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') outputClosed = true;
  };
  io.stdout.on('error', onOutputError);
  const flush = async (): Promise<void> => {
    if (printer.pendingBytes === 0 || outputClosed) return;
    try {
      if (!io.stdout.write(printer.takeOutput())) await once(io.stdout, 'drain');
    } catch (err) {
      onOutputError(err as NodeJS.ErrnoException);
      if (!outputClosed) throw err;
    }
  };
  const emit = (r: CaptureRecord): void => {
    printer.append(r.linkType, r.data, r.originalLength, r.tsSec, Math.floor(r.tsNsec / 1000));
    printed++;
  };
  const header = (linkType: number | undefined, snaplen: number | undefined): void => {
    const name = linkType === undefined ? 'unknown' : (LINK_NAMES[linkType] ?? `${linkType}`);
    io.stderr.write(`reading from file ${source}, link-type ${name}, snapshot length ${snaplen ?? 0}\n`);
  };
  try {
    if (source === '-') {
      const reader = await AsyncCaptureReader.open(io.stdin);
      header(reader.linkType, reader.snaplen);
      try {
        while (printed < limit && !outputClosed) {
          const r = await reader.next();
          if (r === null) break;
          emit(r);
          if (printer.pendingBytes >= CHUNK_BYTES) await flush();
        }
      } finally {
        await reader.close();
      }
    } else {
      const reader = CaptureReader.open(source);
      header(reader.linkType, reader.snaplen);
      try {
        while (printed < limit && !outputClosed) {
          const r = reader.next();
          if (r === null) break;
          emit(r);
          if (printer.pendingBytes >= CHUNK_BYTES) await flush();
        }
      } finally {
        reader.close();
      }
    }
  } catch (err) {
    await flush();
    if (err instanceof CaptureFileError) {
      io.stderr.write(`tcplab decode: ${err.message} (after ${printed} packet${printed === 1 ? '' : 's'})\n`);
      return 1;
    }
    throw err;
  }
  await flush();
  io.stdout.off('error', onOutputError);
  return 0;
}

export const decodeCommand: CliCommand = {
  name: 'decode',
  summary: 'Print a pcap/pcapng file like tcpdump -n -r (same flags, same text)',
  usage: 'decode FILE|- [-v…] [-e] [-t…] [-#] [-S] [-q] [-x|-xx|-X|-XX] [-c N]',
  positionals: { min: 0, max: 1, names: 'FILE (or - for standard input)' },
  options: [
    { name: 'verbose', short: 'v', type: 'count', description: 'more detail (-v, -vv, -vvv), as tcpdump', shortOnly: true },
    { name: 'link', short: 'e', type: 'boolean', description: 'print the link-level header', shortOnly: true },
    {
      name: 'time',
      short: 't',
      type: 'count',
      description: '-t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first',
      shortOnly: true,
    },
    { name: 'number', short: '#', type: 'boolean', description: 'print packet numbers', shortOnly: true },
    { name: 'absolute', short: 'S', type: 'boolean', description: 'absolute TCP sequence numbers', shortOnly: true },
    { name: 'quiet', short: 'q', type: 'count', description: 'less protocol detail', shortOnly: true },
    { name: 'hex', short: 'x', type: 'count', description: 'hex dump (-xx with the link header)', shortOnly: true },
    {
      name: 'hex-ascii',
      short: 'X',
      type: 'count',
      description: 'hex and ASCII dump (-XX with the link header)',
      shortOnly: true,
    },
    { name: 'count', short: 'c', type: 'number', valueName: 'N', description: 'stop after N packets', shortOnly: true },
    { name: 'numeric', short: 'n', type: 'count', description: 'no name resolution (always on; accepted for tcpdump habits)', shortOnly: true },
    { name: 'read', short: 'r', type: 'string', valueName: 'FILE', description: 'the file (alternative to the FILE argument)', shortOnly: true },
  ],
  details: 'Reads pcap (µs/ns, either byte order) and pcapng; - reads standard input.\nExample: tcplab decode -nvvX -c 10 trace.pcapng',
  async run(args, io) {
    const file = (args.options.read as string | undefined) ?? args.positionals[0];
    if (file === undefined) throw new CliUsageError('missing FILE (or - for standard input)');
    return decodeCapture(file, flagsFromArgs(args), io);
  },
};
