/**
 * Observability is data (design principle 5). The stack, the links and the labs publish
 * immutable, serialisable probe events; sessions batch them to the renderer and to files.
 *
 * Every event has a unique, increasing `id` within its run. An event caused by another (a segment
 * sent because an ACK arrived, a timer that fired) names it in `causeId`: that is the arrow the
 * ladder draws. Frames the stack emits carry the `causeId` of the event that made them.
 */
export type ProbeValue = number | string | boolean | null;

export interface ProbeEvent {
  /** Unique within a run, increasing. */
  id: number;
  /** Clock time in milliseconds. */
  t: number;
  /** Which part published it: 'link', 'arp', 'ipv4', 'icmp', 'udp', 'tcp', 'cc', 'socket', 'lab'… */
  layer: string;
  /** What happened, e.g. 'state', 'segment-in', 'segment-out', 'timer-start', 'timer-stop',
   *  'timer-fire', 'drop', 'cwnd', 'frame-in', 'frame-out'. */
  kind: string;
  /** The endpoint or connection it is about, e.g. '192.0.2.1:80-192.0.2.2:40000' or 'tap0'. */
  subject?: string;
  /** The event that caused this one. */
  causeId?: number;
  /** Flat, typed details (state names, SND.UNA, cwnd, the drop reason …). */
  data: Record<string, ProbeValue>;
}

export type ProbeListener = (event: ProbeEvent) => void;

/** Hands out event ids and fans events out to listeners. One per simulated or real run. */
export class ProbeBus {
  private nextId = 1;
  private listeners: ProbeListener[] = [];

  /** Reserves an id (for an event whose effects must name it before it is published). */
  allocateId(): number {
    return this.nextId++;
  }

  publish(event: Omit<ProbeEvent, 'id'> & { id?: number }): number {
    const id = event.id ?? this.nextId++;
    if (this.listeners.length > 0) {
      const full: ProbeEvent = { ...event, id };
      for (const l of this.listeners) l(full);
    }
    return id;
  }

  hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  subscribe(listener: ProbeListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
