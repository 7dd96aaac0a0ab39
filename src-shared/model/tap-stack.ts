/**
 * What the renderer sees of tcplab's stack running on a TAP (`session.open({source: {kind: 'tap'}})`):
 * a snapshot like `ss -tan`, `ip neigh`, `ip route` and the stack's counters, plus the client
 * connections opened from the UI. Plain serialisable data.
 */

/** The services the TAP panel can switch on and off (UDP and/or TCP, see docs/stack.md). */
export const TAP_SERVICES = ['echo', 'discard', 'chargen', 'daytime', 'http'] as const;
export type TapServiceName = (typeof TAP_SERVICES)[number];

export const TAP_CONGESTION = ['reno', 'newreno', 'cubic', 'vegas'] as const;
export type TapCongestionName = (typeof TAP_CONGESTION)[number];

/** One row of the socket table, in `ss -tan` terms. */
export interface TapSocketRow {
  state: string;
  /** ESTABLISHED: bytes received and not yet read; LISTEN: connections waiting in the accept queue. */
  recvQ: number;
  /** ESTABLISHED: bytes in the send buffer (unsent + unacknowledged); LISTEN: the backlog. */
  sendQ: number;
  local: string;
  peer: string;
  cwnd: number | null;
  /** null = infinite (before the first loss) or not a connection. */
  ssthresh: number | null;
  rtoMs: number | null;
  srttMs: number | null;
  congestion: string | null;
}

export interface TapArpRow {
  ip: string;
  mac: string | null;
  state: string;
  ageMs: number;
  queued: number;
}

export interface TapRouteRow {
  destination: string;
  gateway: string | null;
  ifname: string;
  source: string;
}

export interface TapServiceRow {
  name: string;
  protocol: 'udp' | 'tcp';
  port: number;
}

export type TapClientStatus = 'connecting' | 'transferring' | 'done' | 'error';

/** A client connection opened from the UI (`tap.connect`). */
export interface TapClientRow {
  id: number;
  host: string;
  port: number;
  local: string | null;
  congestion: string;
  status: TapClientStatus;
  sent: number;
  received: number;
  error: string | null;
}

export interface TapStackSnapshot {
  tap: string;
  mac: string;
  ip: string;
  mtu: number;
  gateway: string | null;
  created: boolean;
  services: TapServiceRow[];
  sockets: TapSocketRow[];
  arp: TapArpRow[];
  routes: TapRouteRow[];
  /** The stack's named counters, then the device's as `device.*`. */
  counters: Record<string, number>;
  clients: TapClientRow[];
  /**
   * The poll of the Linux peer's own TCP state (`ss -tin`), when the session asked for it: where
   * ss ran (null = this namespace), samples so far, the last error. Optional: older snapshots lack it.
   */
  kernelPoll?: { netns: string | null; polls: number; samples: number; lastError: string | null } | null;
}
