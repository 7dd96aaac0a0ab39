/**
 * A lab's little universe: one ManualClock, one SeededRandom, one ProbeBus that records every
 * event, a virtual link and capture points that record every frame at each host. Everything a lab
 * does goes through it, so the same seed gives the same bytes.
 */
import { ProbeBus, type ProbeEvent, type ProbeValue } from '@shared/model/probe';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { DeviceWrapper, type Device, type ReceiveMeta, type SendMeta } from '../link/device';
import type { ImpairmentConfig } from '../link/impairment';
import { VirtualLink } from '../link/virtual-link';
import type { LabFrame, LabParams, LabSeries } from './types';

/** Records every frame through a device and publishes it as a 'link' probe event (like Tracer). */
export class CapturePoint extends DeviceWrapper {
  constructor(
    inner: Device,
    private readonly world: LabWorld,
    readonly host: string,
  ) {
    super(inner);
  }

  override send(frame: Uint8Array, meta?: SendMeta): void {
    const id = this.world.bus.publish({
      t: this.world.clock.now(),
      layer: 'link',
      kind: 'frame-out',
      subject: `${this.host}/${this.inner.name}`,
      causeId: meta?.causeId,
      data: { bytes: frame.length },
    });
    this.world.recordFrame({ t: this.world.clock.now(), host: this.host, iface: this.inner.name, dir: 'tx', data: frame, eventId: id, causeId: meta?.causeId });
    this.inner.send(frame, { causeId: id });
  }

  protected override receiveFromInner(frame: Uint8Array, meta: ReceiveMeta): void {
    const id = this.world.bus.publish({
      t: meta.t,
      layer: 'link',
      kind: 'frame-in',
      subject: `${this.host}/${this.inner.name}`,
      causeId: meta.causeId,
      data: { bytes: frame.length },
    });
    this.world.recordFrame({ t: meta.t, host: this.host, iface: this.inner.name, dir: 'rx', data: frame, eventId: id, causeId: meta.causeId });
    this.listener?.(frame, { t: meta.t, causeId: id });
  }
}

export interface WorldOptions {
  /** Record frame bytes (off for long measurement runs). Default true. */
  captureFrames?: boolean;
  /** Record probe events (off for long measurement runs). Default true. */
  recordEvents?: boolean;
  /** Only record events of these layers (default all). */
  eventLayers?: string[];
  /** Keep only the first N bytes of each frame (headers), like tcpdump -s. Default: whole frames. */
  snaplen?: number;
}

export class LabWorld {
  readonly clock = new ManualClock(0);
  readonly random: SeededRandom;
  readonly bus = new ProbeBus();
  readonly events: ProbeEvent[] = [];
  readonly frames: LabFrame[] = [];
  readonly series: Record<string, LabSeries> = {};
  readonly results: Record<string, ProbeValue> = {};
  private readonly captureFrames: boolean;
  private readonly snaplen: number;

  constructor(
    readonly params: LabParams,
    opts: WorldOptions = {},
  ) {
    this.random = new SeededRandom(params.seed);
    this.captureFrames = opts.captureFrames ?? true;
    this.snaplen = opts.snaplen ?? 0;
    if (opts.recordEvents ?? true) {
      const layers = opts.eventLayers ? new Set(opts.eventLayers) : null;
      this.bus.subscribe((e) => {
        if (!layers || layers.has(e.layer)) this.events.push(e);
      });
    }
  }

  recordFrame(f: LabFrame): void {
    if (!this.captureFrames) return;
    if (this.snaplen > 0 && f.data.length > this.snaplen) this.frames.push({ ...f, data: f.data.slice(0, this.snaplen), origLength: f.data.length });
    else this.frames.push(f);
  }

  /** Publishes a lab-level event (a step of the script: "client calls shutdown(SHUT_WR)"). */
  note(kind: string, data: Record<string, ProbeValue> = {}, subject = 'lab'): number {
    return this.bus.publish({ t: this.clock.now(), layer: 'lab', kind, subject, data });
  }

  /**
   * A virtual link between host A (side a) and host B (side b) with the lab's impairments:
   * `forward` (A→B) gets the bottleneck rate and the loss; both directions get the delay.
   */
  link(opts: { mtu?: number; forward?: ImpairmentConfig; reverse?: ImpairmentConfig; queueLimitBytes?: number } = {}): VirtualLink {
    const p = this.params;
    const base: ImpairmentConfig = { delayMs: p.delayMs };
    const forward: ImpairmentConfig = {
      ...base,
      ...(p.rateMbps > 0 ? { bandwidthBps: p.rateMbps * 1e6, queueLimitBytes: opts.queueLimitBytes ?? 64 * 1024 } : {}),
      ...(p.loss > 0 ? { loss: p.loss } : {}),
      ...opts.forward,
    };
    const reverse: ImpairmentConfig = { ...base, ...opts.reverse };
    return new VirtualLink({ clock: this.clock, random: this.random.fork(), aToB: forward, bToA: reverse, mtu: opts.mtu ?? 1500, names: ['eth0', 'eth0'] });
  }

  /** Wraps a device so every frame through it is recorded for host `host`. */
  capture(device: Device, host: string): Device {
    return new CapturePoint(device, this, host);
  }

  /** Adds a point to a named series. */
  sample(name: string, v: number, label = name, unit = ''): void {
    const s = (this.series[name] ??= { label, unit, t: [], v: [] });
    s.t.push(this.clock.now());
    s.v.push(v);
  }

  /** Fires timers up to `ms` from now. */
  runFor(ms: number): void {
    this.clock.advanceTo(this.clock.now() + ms);
  }

  /**
   * Fires timers one by one until `done()` is true or `limitMs` of simulated time passed; lets
   * promise callbacks run between timers. Returns true if `done()` became true.
   */
  async runUntil(done: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.clock.now() + limitMs;
    await flushMicrotasks();
    while (!done()) {
      const at = this.clock.nextTimerAt();
      if (at === undefined || at > end) {
        this.clock.advanceTo(end);
        await flushMicrotasks();
        return done();
      }
      this.clock.advanceTo(at);
      await flushMicrotasks();
    }
    return true;
  }

  /** Waits for a promise while driving the clock; rejects with the promise's error. */
  async settle<T>(p: Promise<T>, limitMs: number): Promise<{ ok: true; value: T } | { ok: false; error: Error } | { ok: false; timeout: true }> {
    let state: { ok: true; value: T } | { ok: false; error: Error } | null = null;
    p.then(
      (value) => (state = { ok: true, value }),
      (error: unknown) => (state = { ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    await this.runUntil(() => state !== null, limitMs);
    return state ?? { ok: false, timeout: true };
  }

  /** Events matching a filter (for results and expectations). */
  find(filter: { layer?: string; kind?: string; subject?: string; data?: Record<string, ProbeValue> }): ProbeEvent[] {
    return findEvents(this.events, filter);
  }
}

export function findEvents(
  events: readonly ProbeEvent[],
  filter: { layer?: string; kind?: string; subject?: string; data?: Record<string, ProbeValue> },
): ProbeEvent[] {
  return events.filter(
    (e) =>
      (filter.layer === undefined || e.layer === filter.layer) &&
      (filter.kind === undefined || e.kind === filter.kind) &&
      (filter.subject === undefined || e.subject === filter.subject) &&
      (filter.data === undefined || Object.entries(filter.data).every(([k, v]) => e.data[k] === v)),
  );
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 8; i++) await null;
}
