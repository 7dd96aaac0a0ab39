import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AsyncCaptureReader, type CaptureRecord } from '../../capture';
import type { SourceKind } from '@shared/model/frames';
import type { CapturedFrame, FrameSource, SourceSink } from '../source';
import { SavedSessionCollector, type SavedSessionState } from '../saved-format';
import { FrameArena } from '../frame-arena';

/** How many records to hand over before yielding to the event loop, so requests stay served. */
const YIELD_EVERY = 2_000;

/**
 * A pcap or pcapng file, read as a stream: frames appear as they are read, the first ones long
 * before a large file is done. A damaged file delivers every valid frame, then the reader's error.
 */
export class FileSource implements FrameSource {
  readonly kind: SourceKind;
  readonly label: string;
  private stopped = false;
  /** tcplab's state embedded in a saved session (null for an ordinary capture), once read. */
  saved: SavedSessionState | null = null;

  private readonly onStop: (() => void) | undefined;

  constructor(
    private readonly path: string,
    opts: { kind?: SourceKind; label?: string; onStop?: () => void } = {},
  ) {
    this.kind = opts.kind ?? 'file';
    this.label = opts.label ?? basename(path);
    this.onStop = opts.onStop;
  }

  start(sink: SourceSink): void {
    void this.run(sink);
  }

  stop(): void {
    this.stopped = true;
    this.onStop?.();
  }

  private async run(sink: SourceSink): Promise<void> {
    let reader: AsyncCaptureReader | undefined;
    try {
      // A saved session keeps its probes and lab frames in custom blocks after the last packet.
      const collector = new SavedSessionCollector();
      reader = await AsyncCaptureReader.open(this.path, { onOtherBlock: collector.onBlock });
      const total = (await stat(this.path)).size;
      const arena = new FrameArena();
      let lastOffset = 0;
      // forEach, not `for await`: one promise per refill, not per record.
      await reader.forEach(
        (record) => {
          if (this.stopped) return false;
          sink.frame(toFrame(record, arena));
          lastOffset = record.fileOffset;
        },
        {
          every: YIELD_EVERY,
          wait: () => {
            sink.progress(lastOffset, total);
            return new Promise((r) => setImmediate(r));
          },
        },
      );
      if (this.stopped) return;
      this.saved = collector.state();
      if (this.saved) for (const e of this.saved.probes) sink.probe(e);
      sink.progress(total, total);
      sink.done();
    } catch (err) {
      sink.error(err as Error);
    } finally {
      await reader?.close();
    }
  }
}

export function toFrame(record: CaptureRecord, arena?: FrameArena): CapturedFrame {
  const tsUs = record.tsSec * 1e6 + Math.floor(record.tsNsec / 1000);
  // Records are views into the reader's buffer: keep a copy (in the session's arena when given).
  if (arena) return arena.frame(record.linkType, tsUs, record.buffer, record.dataOffset, record.capturedLength, record.originalLength);
  return { linkType: record.linkType, tsUs, data: record.data.slice(), originalLength: record.originalLength };
}
