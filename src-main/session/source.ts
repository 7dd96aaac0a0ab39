import type { ProbeEvent } from '@shared/model/probe';
import type { SourceKind } from '@shared/model/frames';

/** One captured or emitted frame as it enters a session. `data` is owned by the session after `frame()`. */
export interface CapturedFrame {
  /** pcap link type (1 = Ethernet). */
  linkType: number;
  /** Capture time, microseconds since the Unix epoch (or the lab clock's origin). */
  tsUs: number;
  data: Uint8Array;
  originalLength: number;
  /** The probe event that caused this frame, when the source is tcplab's own stack. */
  causeId?: number;
}

export interface SourceSink {
  frame(frame: CapturedFrame): void;
  probe(event: ProbeEvent): void;
  /** How far a file source has read, in bytes. */
  progress(done: number, total: number): void;
  /** A live capture's own counters (libpcap's pcap_stats). */
  captureStats(stats: { received: number; dropped: number; ifDropped: number }): void;
  /** The source has nothing more (a file or a lab reached its end). */
  done(): void;
  error(err: Error): void;
}

/** Where a session's frames come from: the demo, a file, a lab, the stack on a TAP, an interface. */
export interface FrameSource {
  readonly kind: SourceKind;
  readonly label: string;
  start(sink: SourceSink): void;
  stop(): void;
  /** Live sources only: stop delivering frames for a while, and go on. */
  pause?(): void;
  resume?(): void;
}
