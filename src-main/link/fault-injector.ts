/**
 * Wraps any Device — the TAP included — with the virtual link's seeded impairments. This kernel
 * has no `tc netem`, so delay, reordering and duplication towards the kernel come from here.
 * `tx` impairs frames we send, `rx` frames we receive.
 */
import type { Clock } from '@shared/sim/clock';
import type { RandomSource } from '@shared/sim/random';
import { DeviceWrapper, emptyStats, type Device, type DeviceStats, type ReceiveMeta, type SendMeta } from './device';
import { ImpairedChannel, isTransparent, type ImpairmentConfig } from './impairment';

export interface FaultInjectorOptions {
  clock: Clock;
  random: RandomSource;
  tx?: ImpairmentConfig;
  rx?: ImpairmentConfig;
}

export class FaultInjector extends DeviceWrapper {
  private readonly txStats: DeviceStats = emptyStats();
  private readonly rxStats: DeviceStats = emptyStats();
  private readonly tx: ImpairedChannel;
  private readonly rx: ImpairedChannel;
  private readonly clock: Clock;

  constructor(inner: Device, opts: FaultInjectorOptions) {
    super(inner);
    this.clock = opts.clock;
    this.tx = new ImpairedChannel(opts.tx ?? {}, opts.clock, opts.random.fork(), (f, c) => this.inner.send(f, { causeId: c }), this.txStats, true);
    this.rx = new ImpairedChannel(opts.rx ?? {}, opts.clock, opts.random.fork(), (f, c) => this.listener?.(f, { t: this.clock.now(), causeId: c }), this.rxStats, true);
  }

  configure(direction: 'tx' | 'rx', cfg: ImpairmentConfig): void {
    (direction === 'tx' ? this.tx : this.rx).configure(cfg);
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    if (isTransparent(this.tx.config)) this.inner.send(frame, meta);
    else this.tx.submit(frame, meta?.causeId);
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    if (isTransparent(this.rx.config)) this.listener?.(frame, meta);
    else this.rx.submit(frame, meta.causeId);
  }

  override stats(): DeviceStats {
    const s = this.inner.stats();
    const drops = { ...s.drops };
    const extra = { ...(s.extra ?? {}) };
    for (const [dir, st] of [['tx', this.txStats], ['rx', this.rxStats]] as const) {
      for (const [k, v] of Object.entries(st.drops)) drops[`fault-${dir}-${k}`] = v;
      for (const [k, v] of Object.entries(st.extra ?? {})) extra[`fault-${dir}-${k}`] = v;
    }
    return { ...s, drops, extra };
  }
}
