import { DeviceWrapper, type Device, type ReceiveMeta, type SendMeta } from '../link/device';
import type { LabWorld } from './world';

/** How long to hold a frame, ms (0 or less: pass it at once). */
export type HoldRule = (frame: Uint8Array, dir: 'tx' | 'rx') => number;

/**
 * A spot on the path between a host's capture point and the link that can hold a frame back for a
 * while and then let it go on, unchanged: one segment taking a slower path, so later ones overtake
 * it (reordering, not loss). Because it sits outside the capture point, the host's capture shows the
 * frame when the host sent it (tx) or when it reached the host (rx, after the hold), as tcpdump would.
 * Held frames are counted and published as 'lab'/'hold-back' events (with the delay); the frame keeps
 * its cause (the capture point's event id), so the ladder still pairs the frame sent with the frame
 * received. The release is a timer on the lab's clock, so runs stay deterministic. Passes everything
 * until a lab sets `rule`.
 */
export class HoldBack extends DeviceWrapper {
  rule: HoldRule | null = null;
  held = 0;

  constructor(
    inner: Device,
    private readonly world: LabWorld,
    private readonly host: string,
  ) {
    super(inner);
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    const ms = this.rule?.(frame, 'tx') ?? 0;
    if (!(ms > 0)) return this.inner.send(frame, meta);
    this.hold('tx', ms, meta?.causeId);
    this.world.clock.setTimer(this.world.clock.now() + ms, () => this.inner.send(frame, meta));
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    const ms = this.rule?.(frame, 'rx') ?? 0;
    if (!(ms > 0)) return this.listener?.(frame, meta);
    this.hold('rx', ms, meta.causeId);
    this.world.clock.setTimer(this.world.clock.now() + ms, () => this.listener?.(frame, { ...meta, t: this.world.clock.now() }));
  }

  private hold(dir: 'tx' | 'rx', ms: number, causeId: number | undefined): void {
    this.held++;
    this.world.bus.publish({ t: this.world.clock.now(), layer: 'lab', kind: 'hold-back', subject: this.host, causeId, data: { dir, delayMs: ms } });
  }
}
