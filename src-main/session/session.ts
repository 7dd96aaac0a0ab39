import type { FrameSummary, SessionInfo, SessionState, SourceKind } from '@shared/model/frames';
import type { ProbeEvent } from '@shared/model/probe';
import { FrameSummarizer } from '@shared/format/frame-summary';
import type { CapturedFrame, FrameSource } from './source';

export interface SessionObserver {
  onFrame(session: Session, summary: FrameSummary): void;
  onProbe(session: Session, event: ProbeEvent): void;
  onState(session: Session): void;
}

/**
 * One source's frames and probe events, decoded once as they enter (design: "one frame is decoded
 * once, where it enters"), kept for paging and detail requests, and announced to the observer.
 */
export class Session {
  readonly frames: CapturedFrame[] = [];
  readonly summaries: FrameSummary[] = [];
  readonly probes: ProbeEvent[] = [];
  state: SessionState = 'starting';
  error: string | undefined;
  progress: { done: number; total: number } | undefined;
  captureStats: { received: number; dropped: number; ifDropped: number } | undefined;
  private readonly summarizer = new FrameSummarizer();
  private firstTsUs: number | undefined;

  constructor(
    readonly id: number,
    readonly source: FrameSource,
    private readonly observer: SessionObserver,
  ) {}

  get kind(): SourceKind {
    return this.source.kind;
  }

  start(): void {
    this.setState('running');
    this.source.start({
      frame: (frame) => this.addFrame(frame),
      probe: (event) => {
        this.probes.push(event);
        this.observer.onProbe(this, event);
      },
      progress: (done, total) => {
        this.progress = { done, total };
      },
      captureStats: (stats) => {
        this.captureStats = stats;
      },
      done: () => this.setState('done'),
      error: (err) => {
        this.error = err.message;
        this.setState('error');
      },
    });
  }

  stop(): void {
    this.source.stop();
    this.setState('closed');
  }

  /** Pauses a live source (a capture); other sources cannot pause. */
  pause(): boolean {
    if (!this.source.pause || this.state !== 'running') return false;
    this.source.pause();
    this.setState('paused');
    return true;
  }

  resume(): boolean {
    if (!this.source.resume || this.state !== 'paused') return false;
    this.source.resume();
    this.setState('running');
    return true;
  }

  info(dropped: number): SessionInfo {
    const info: SessionInfo = {
      id: this.id,
      kind: this.kind,
      label: this.source.label,
      state: this.state,
      frameCount: this.frames.length,
      dropped,
    };
    if (this.error !== undefined) info.error = this.error;
    if (this.progress !== undefined) info.progress = this.progress;
    if (this.captureStats !== undefined) info.captureStats = this.captureStats;
    return info;
  }

  private addFrame(frame: CapturedFrame): void {
    this.firstTsUs ??= frame.tsUs;
    const no = this.frames.length + 1;
    this.frames.push(frame);
    const summary = this.summarizer.summarize(no, frame, this.firstTsUs);
    this.summaries.push(summary);
    this.observer.onFrame(this, summary);
  }

  private setState(state: SessionState): void {
    if (this.state === state) return;
    this.state = state;
    this.observer.onState(this);
  }
}
