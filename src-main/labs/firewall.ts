import { DeviceWrapper, type Device, type ReceiveMeta, type SendMeta } from '../link/device';
import type { LabWorld } from './world';

export type FrameFilter = (frame: Uint8Array, dir: 'tx' | 'rx') => boolean;

/**
 * A device in front of a host that drops what a filter says (iptables -j DROP on that host, or a
 * pulled cable): dropped frames are counted and published as 'lab'/'firewall-drop' events.
 */
export class Firewall extends DeviceWrapper {
  filter: FrameFilter | null = null;
  dropped = 0;

  constructor(
    inner: Device,
    private readonly world: LabWorld,
    private readonly host: string,
  ) {
    super(inner);
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    if (this.filter?.(frame, 'tx')) return this.drop('tx', meta?.causeId);
    this.inner.send(frame, meta);
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    if (this.filter?.(frame, 'rx')) return this.drop('rx', meta.causeId);
    this.listener?.(frame, meta);
  }

  private drop(dir: 'tx' | 'rx', causeId: number | undefined): void {
    this.dropped++;
    this.world.bus.publish({ t: this.world.clock.now(), layer: 'lab', kind: 'firewall-drop', subject: this.host, causeId, data: { dir } });
  }
}

