import type { EventName, EventPayloads, SourceSpec } from '@shared/ipc/contract';
import { RpcError } from '@shared/ipc/contract';
import type { FrameSummary, SessionInfo } from '@shared/model/frames';
import type { ProbeEvent } from '@shared/model/probe';
import { Outbox } from './outbox';
import { Session, type SessionObserver } from './session';
import type { FrameSource } from './source';

/** Where a subscriber's events go: one renderer window or one WebSocket. */
export interface EventSink {
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
  /** True while the transport's own buffer is full: the registry holds batches back (backpressure). */
  isCongested(): boolean;
}

export interface RegistryOptions {
  /** Coalescing tick, 16–50 ms. */
  flushIntervalMs?: number;
  /** Per subscriber and session: frame summaries and probe events held before drops are counted. */
  queueCapacity?: number;
  /** Largest batch sent in one tick, so one message never grows without bound. */
  maxBatch?: number;
  /** Builds a source; a live one (an interface capture) may need to start before it exists. */
  createSource: (spec: SourceSpec) => FrameSource | Promise<FrameSource>;
}

interface SessionQueues {
  frames: Outbox<FrameSummary>;
  probes: Outbox<ProbeEvent>;
  stateChanged: boolean;
}

interface Subscriber {
  sink: EventSink;
  queues: Map<number, SessionQueues>;
}

/** All sessions of this process, behind the one contract, and the batching of their events. */
export class SessionRegistry implements SessionObserver {
  private readonly sessions = new Map<number, Session>();
  private readonly subscribers = new Set<Subscriber>();
  private nextId = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly flushIntervalMs: number;
  private readonly queueCapacity: number;
  private readonly maxBatch: number;
  private readonly frameCounts = new Map<number, { last: number; rate: number; at: number }>();

  constructor(private readonly options: RegistryOptions) {
    this.flushIntervalMs = Math.min(50, Math.max(16, options.flushIntervalMs ?? 33));
    this.queueCapacity = options.queueCapacity ?? 200_000;
    this.maxBatch = options.maxBatch ?? 20_000;
  }

  async open(spec: SourceSpec): Promise<SessionInfo> {
    return this.openSource(await this.options.createSource(spec));
  }

  /** Opens a session over a source made elsewhere (an upload's temporary file). */
  openSource(source: FrameSource): SessionInfo {
    const session = new Session(this.nextId++, source, this);
    this.sessions.set(session.id, session);
    for (const sub of this.subscribers) sub.queues.set(session.id, this.newQueues());
    session.start();
    this.ensureTimer();
    return session.info(0);
  }

  get(id: number): Session {
    const session = this.sessions.get(id);
    if (!session) throw new RpcError('ENOSESSION', `no session ${id} (open sessions: ${[...this.sessions.keys()].join(', ') || 'none'})`);
    return session;
  }

  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => s.info(this.droppedFor(s.id)));
  }

  pause(id: number): SessionInfo {
    const session = this.get(id);
    if (!session.pause()) throw new RpcError('EINVAL', `session ${id} (${session.kind}, ${session.state}) cannot pause: only a running live capture can`);
    return session.info(this.droppedFor(id));
  }

  resume(id: number): SessionInfo {
    const session = this.get(id);
    if (!session.resume()) throw new RpcError('EINVAL', `session ${id} (${session.kind}, ${session.state}) is not a paused live capture`);
    return session.info(this.droppedFor(id));
  }

  close(id: number): void {
    const session = this.get(id);
    session.stop();
    this.flush();
    this.sessions.delete(id);
    for (const sub of this.subscribers) sub.queues.delete(id);
  }

  subscribe(sink: EventSink): () => void {
    const sub: Subscriber = { sink, queues: new Map() };
    for (const id of this.sessions.keys()) sub.queues.set(id, this.newQueues());
    this.subscribers.add(sub);
    this.ensureTimer();
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Stops every session and the flush timer. */
  dispose(): void {
    for (const s of this.sessions.values()) s.stop();
    this.sessions.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // SessionObserver
  onFrame(session: Session, summary: FrameSummary): void {
    for (const sub of this.subscribers) sub.queues.get(session.id)?.frames.push(summary);
  }

  onProbe(session: Session, event: ProbeEvent): void {
    for (const sub of this.subscribers) sub.queues.get(session.id)?.probes.push(event);
  }

  onState(session: Session): void {
    for (const sub of this.subscribers) {
      const q = sub.queues.get(session.id);
      if (q) q.stateChanged = true;
    }
  }

  /** Sends what is queued; runs on the coalescing tick and when a session closes. */
  flush(): void {
    for (const sub of this.subscribers) {
      if (sub.sink.isCongested()) continue;
      for (const [id, q] of sub.queues) {
        const session = this.sessions.get(id);
        if (!session) continue;
        // Status first, so a subscriber learns of a new session before its first batch.
        if (q.stateChanged) {
          q.stateChanged = false;
          sub.sink.emit('session.status', { ...session.info(this.droppedFor(id)), rate: this.rateOf(session) });
        }
        if (q.frames.hasPending() || q.probes.hasPending()) {
          const frames = q.frames.take(this.maxBatch);
          const probes = q.probes.take(this.maxBatch);
          sub.sink.emit('session.batch', {
            sessionId: id,
            frames: frames.items,
            probes: probes.items,
            dropped: frames.dropped + probes.dropped,
          });
        }
      }
    }
  }

  private droppedFor(id: number): number {
    let total = 0;
    for (const sub of this.subscribers) {
      const q = sub.queues.get(id);
      if (q) total += q.frames.totalDropped + q.probes.totalDropped;
    }
    return total;
  }

  private rateOf(session: Session): number {
    const now = performance.now();
    const entry = this.frameCounts.get(session.id);
    if (!entry) {
      this.frameCounts.set(session.id, { last: session.frames.length, rate: 0, at: now });
      return 0;
    }
    if (now - entry.at >= 1000) {
      entry.rate = ((session.frames.length - entry.last) * 1000) / (now - entry.at);
      entry.last = session.frames.length;
      entry.at = now;
    }
    return entry.rate;
  }

  private statusTick = 0;

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // Status (counts, rate, drops) every ~250 ms; batches every tick.
      if (++this.statusTick % Math.round(250 / this.flushIntervalMs) === 0) {
        for (const sub of this.subscribers) for (const q of sub.queues.values()) q.stateChanged = true;
      }
      this.flush();
    }, this.flushIntervalMs);
    // The registry never keeps the process alive by itself.
    this.timer.unref?.();
  }

  private newQueues(): SessionQueues {
    return {
      frames: new Outbox(this.queueCapacity),
      probes: new Outbox(this.queueCapacity),
      stateChanged: true,
    };
  }
}
