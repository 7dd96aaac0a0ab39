import { LiveCapture, listInterfaces, type LiveCaptureOptions, type LiveStats } from '../../capture/live';

/** The interfaces a capture can open (for transport, which may not reach capture directly). */
export const captureInterfaces = listInterfaces;
import type { CapturedFrame, FrameSource, SourceSink } from '../source';

/**
 * A live capture on one interface (libpcap in its own thread). `InterfaceSource.open` starts the
 * capture before the session exists, so a bad filter (libpcap's own message) or a missing
 * permission (with the one-time fix) is the open request's error, not a dead session.
 */
export class InterfaceSource implements FrameSource {
  readonly kind = 'interface' as const;
  readonly label: string;
  private capture: LiveCapture | null = null;
  private sink: SourceSink | null = null;
  /** Frames captured between the capture's start and the session's (a few milliseconds). */
  private early: CapturedFrame[] = [];
  private lastStats: LiveStats | null = null;
  private stopped = false;

  private constructor(opts: LiveCaptureOptions) {
    this.label = `${opts.device}${opts.filter ? ` (${opts.filter})` : ''}`;
  }

  static async open(opts: LiveCaptureOptions): Promise<InterfaceSource> {
    const source = new InterfaceSource(opts);
    source.capture = await LiveCapture.start(opts, {
      packets: (batch) => {
        const linkType = source.capture?.linkType ?? 1;
        for (const p of batch) {
          const frame: CapturedFrame = { linkType, tsUs: p.tsSec * 1e6 + p.tsUsec, data: p.data.slice(), originalLength: p.originalLength };
          if (source.sink) source.sink.frame(frame);
          else source.early.push(frame);
        }
      },
      stats: (s) => {
        source.lastStats = s;
        source.sink?.captureStats(s);
      },
      error: (err) => source.sink?.error(err),
      stopped: () => {
        if (!source.stopped) source.sink?.done();
      },
    });
    return source;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    for (const f of this.early) sink.frame(f);
    this.early = [];
    if (this.lastStats) sink.captureStats(this.lastStats);
  }

  pause(): void {
    this.capture?.pause();
  }

  resume(): void {
    this.capture?.resume();
  }

  stop(): void {
    this.stopped = true;
    void this.capture?.stop();
  }
}
