/**
 * Turns every frame through a device into a ProbeEvent ('link' / 'frame-in' | 'frame-out').
 * A received frame's event id is passed up as `meta.causeId`, so the stack's reaction (an ARP
 * reply, an echo reply) points back at the frame that caused it; a sent frame's event names the
 * stack event that caused it.
 */
import type { ProbeBus, ProbeValue } from '@shared/model/probe';
import type { Clock } from '@shared/sim/clock';
import { DeviceWrapper, type Device, type ReceiveMeta, type SendMeta } from './device';

export interface TracerOptions {
  /** Extra flat fields per frame (e.g. a one-line summary from @shared/format). */
  describe?: (frame: Uint8Array) => Record<string, ProbeValue>;
}

export class Tracer extends DeviceWrapper {
  constructor(
    inner: Device,
    private readonly probes: ProbeBus,
    private readonly clock: Clock,
    private readonly opts: TracerOptions = {},
  ) {
    super(inner);
  }

  private data(frame: Uint8Array): Record<string, ProbeValue> {
    const etherType = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : null;
    return { bytes: frame.length, etherType, ...(this.opts.describe?.(frame) ?? {}) };
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    const id = this.probes.publish({
      t: this.clock.now(),
      layer: 'link',
      kind: 'frame-out',
      subject: this.inner.name,
      causeId: meta?.causeId,
      data: this.data(frame),
    });
    this.inner.send(frame, { causeId: id });
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    const id = this.probes.publish({
      t: meta.t,
      layer: 'link',
      kind: 'frame-in',
      subject: this.inner.name,
      causeId: meta.causeId,
      data: this.data(frame),
    });
    this.listener?.(frame, { t: meta.t, causeId: id });
  }
}
