/**
 * Records every frame through a device into a capture writer (frames plus comments), then
 * passes it on. The writer is injected — in practice the capture area's `PcapngWriter`
 * (src-main/capture/writer.ts), which writes `<file>.partial` and renames it on close, so an
 * interrupted run never leaves a truncated file. Keeping the writer an interface keeps
 * src-main/link free of src-main/capture (layering).
 *
 * Each Enhanced Packet Block gets epb_flags with the direction (RFC-draft pcapng §4.3.1:
 * bits 0-1 = 1 inbound, 2 outbound) and, when known, a comment naming the probe event that
 * caused the frame ("cause #123"), so a capture can be lined up with the ladder.
 */
import type { Clock } from '@shared/sim/clock';
import { DeviceWrapper, type Device, type ReceiveMeta, type SendMeta } from './device';

/** The part of PcapngWriter this device uses. */
export interface FrameRecordWriter {
  write(rec: { data: Uint8Array; tsSec: number; tsNsec: number; interfaceId?: number; comments?: string[]; flags?: number }): void;
  flush?(): void;
  close(): void;
}

export interface PcapngRecorderOptions {
  clock: Clock;
  /** Epoch milliseconds at clock time 0 (real runs: Date.now() − clock.now(); labs: 0). */
  epochOffsetMs?: number;
  /** Interface id in the writer (default 0). */
  interfaceId?: number;
  /** Write "cause #id" comments (default true). */
  causeComments?: boolean;
  /** Flush to disk at most this often, ms (default 1000; 0 = only on close). */
  flushIntervalMs?: number;
}

const EPB_INBOUND = 1;
const EPB_OUTBOUND = 2;

export class PcapngRecorder extends DeviceWrapper {
  private pendingComment: string[] | null = null;
  private lastFlush: number;
  private frames = 0;
  private closedWriter = false;

  constructor(
    inner: Device,
    private readonly writer: FrameRecordWriter,
    private readonly opts: PcapngRecorderOptions,
  ) {
    super(inner);
    this.lastFlush = opts.clock.now();
  }

  /** Attaches a comment to the next recorded frame (e.g. "lab: loss starts here"). */
  comment(text: string): void {
    (this.pendingComment ??= []).push(text);
  }

  /** Frames written so far. */
  get recorded(): number {
    return this.frames;
  }

  private record(frame: Uint8Array, inbound: boolean, causeId: number | undefined): void {
    if (this.closedWriter) return;
    const ms = (this.opts.epochOffsetMs ?? 0) + this.opts.clock.now();
    const tsSec = Math.floor(ms / 1000);
    const tsNsec = Math.min(999_999_999, Math.round((ms - tsSec * 1000) * 1e6));
    let comments: string[] | undefined;
    if (this.pendingComment) {
      comments = this.pendingComment;
      this.pendingComment = null;
    }
    if (causeId !== undefined && (this.opts.causeComments ?? true)) (comments ??= []).push(`cause #${causeId}`);
    this.writer.write({ data: frame, tsSec, tsNsec, interfaceId: this.opts.interfaceId ?? 0, comments, flags: inbound ? EPB_INBOUND : EPB_OUTBOUND });
    this.frames++;
    const every = this.opts.flushIntervalMs ?? 1000;
    const now = this.opts.clock.now();
    if (every > 0 && now - this.lastFlush >= every) {
      this.lastFlush = now;
      this.writer.flush?.();
    }
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    this.record(frame, false, meta?.causeId);
    this.inner.send(frame, meta);
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    this.record(frame, true, meta.causeId);
    this.listener?.(frame, meta);
  }

  /** Closes the device below, then the writer (which renames the partial file into place). */
  override async close(): Promise<void> {
    await this.inner.close();
    if (!this.closedWriter) {
      this.closedWriter = true;
      this.writer.close();
    }
  }
}
