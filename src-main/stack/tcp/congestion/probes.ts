/**
 * Congestion-control probes (design principle 5: observability is data).
 *
 * One event shape for every change of the sender's congestion state: layer 'cc', kind 'cwnd',
 * the connection as subject, the cause (what the sender was handling) and its causeId (the probe
 * event of the ACK or timer that triggered it). `data` carries the whole state, flat, so a chart
 * needs no other event to draw cwnd, ssthresh, pipe, flight size, SACKed and lost bytes, and the
 * algorithm's own variables ('cc.' + key: CUBIC wMax, k, epochStart, wEst …; Vegas diff, baseRtt …).
 * `changed` lists the keys that changed since the previous event for the subject.
 *
 * Pure: imports only the shared probe model.
 */
import type { ProbeBus, ProbeEvent, ProbeValue } from '@shared/model/probe';
import type { CongestionControl } from './types';

export const CC_PROBE_LAYER = 'cc';
export const CC_PROBE_KIND = 'cwnd';

/** What made the congestion state change (the `event` key of the probe). */
export type CongestionCause =
  | 'init'
  | 'ack' // new data ACKed: slow start or congestion avoidance
  | 'dup-ack' // duplicate ACK (inflation in recovery; limited transmit)
  | 'enter-recovery' // fast retransmit
  | 'partial-ack' // ACK inside recovery below the recovery point
  | 'exit-recovery' // recovery point ACKed
  | 'ecn' // ECN-Echo: reduction without retransmission (RFC 3168 §6.1.2)
  | 'tlp-recovery' // a tail loss probe repaired a loss: reduction, no recovery (RFC 8985 §7.4)
  | 'rto' // retransmission timeout
  | 'undo' // every retransmission of the episode was D-SACKed: the reduction is undone (RFC 3708, RFC 4015)
  | 'sack' // the scoreboard changed (SACKed / lost bytes, pipe)
  | 'send' // pipe / flight size grew because data was sent
  | 'idle-restart'; // RFC 5681 §4.1 restart after idle

/** The sender's half of the state (the controller knows only cwnd and ssthresh). */
export interface SenderCongestionState {
  /** SND.NXT − SND.UNA in bytes (RFC 5681 FlightSize). */
  flightSize: number;
  inRecovery: boolean;
  /** RFC 6675 pipe, bytes (null without SACK). */
  pipe?: number | null;
  /** The recovery point (RFC 6582 "recover" / RFC 6675 RecoveryPoint), u32, null outside recovery. */
  recoveryPoint?: number | null;
  sackedBytes?: number;
  lostBytes?: number;
}

export const CC_STATE_KEYS = [
  'cwnd',
  'ssthresh',
  'flightSize',
  'pipe',
  'inRecovery',
  'recoveryPoint',
  'sackedBytes',
  'lostBytes',
] as const;

/** The flat data of one congestion probe event. ssthresh Infinity is sent as null (JSON has no ∞). */
export function congestionProbeData(
  cc: CongestionControl,
  cause: CongestionCause | string,
  sender: SenderCongestionState,
): Record<string, ProbeValue> {
  const data: Record<string, ProbeValue> = {
    event: cause,
    algorithm: cc.name,
    cwnd: cc.cwnd,
    ssthresh: Number.isFinite(cc.ssthresh) ? cc.ssthresh : null,
    flightSize: sender.flightSize,
    pipe: sender.pipe ?? null,
    inRecovery: sender.inRecovery,
    recoveryPoint: sender.recoveryPoint ?? null,
    sackedBytes: sender.sackedBytes ?? 0,
    lostBytes: sender.lostBytes ?? 0,
  };
  const snap = cc.snapshot();
  // for-in and cached key names: the sender calls this after every burst and ACK.
  for (const k in snap) data[ccKey(k)] = snap[k]!;
  return data;
}

const CC_KEYS = new Map<string, string>();
function ccKey(k: string): string {
  let key = CC_KEYS.get(k);
  if (key === undefined) {
    key = `cc.${k}`;
    CC_KEYS.set(k, key);
  }
  return key;
}

/** Publishes one congestion event unconditionally; returns its id. */
export function publishCongestion(
  bus: ProbeBus,
  e: { t: number; subject: string; cc: CongestionControl; cause: CongestionCause | string; causeId?: number; sender: SenderCongestionState },
): number {
  return bus.publish({
    t: e.t,
    layer: CC_PROBE_LAYER,
    kind: CC_PROBE_KIND,
    subject: e.subject,
    causeId: e.causeId,
    data: congestionProbeData(e.cc, e.cause, e.sender),
  });
}

/**
 * Publishes only when something changed since the last event for this subject, and says what
 * (`changed`: comma-separated keys). A sender can call it after every ACK, send and timer.
 */
export class CongestionProbe {
  private last: Record<string, ProbeValue> | null = null;

  constructor(
    private readonly bus: ProbeBus,
    private readonly subject: string,
  ) {}

  /** `force`: publish even when nothing changed (a turning point such as entering recovery). */
  publish(t: number, cc: CongestionControl, cause: CongestionCause | string, sender: SenderCongestionState, causeId?: number, force = false): number | undefined {
    if (!this.bus.hasListeners()) return undefined;
    const data = congestionProbeData(cc, cause, sender);
    const last = this.last;
    let changed = '';
    for (const k in data) {
      if (k === 'event') continue;
      if (last === null || last[k] !== data[k]) changed = changed === '' ? k : `${changed},${k}`;
    }
    if (changed === '' && !force) return undefined;
    this.last = data;
    data['changed'] = changed;
    return this.bus.publish({ t, layer: CC_PROBE_LAYER, kind: CC_PROBE_KIND, subject: this.subject, causeId, data });
  }
}

/** Column series of one connection's congestion state, for charts (typed arrays are the caller's choice). */
export interface CongestionSeries {
  subject: string;
  t: number[];
  cwnd: number[];
  ssthresh: (number | null)[];
  flightSize: number[];
  pipe: (number | null)[];
  /** The recovery point (u32 sequence number), null outside recovery. */
  recoveryPoint: (number | null)[];
  sackedBytes: number[];
  lostBytes: number[];
  inRecovery: boolean[];
  /** The cause of each point. */
  event: string[];
  /** Algorithm variables ('cc.' keys without the prefix), one column each. */
  algorithm: Record<string, ProbeValue[]>;
}

/** Collects the congestion events of each subject into column series, in event order. */
export function congestionSeries(events: readonly ProbeEvent[]): Map<string, CongestionSeries> {
  const out = new Map<string, CongestionSeries>();
  for (const e of events) {
    if (e.layer !== CC_PROBE_LAYER || e.kind !== CC_PROBE_KIND) continue;
    const subject = e.subject ?? '';
    let s = out.get(subject);
    if (!s) {
      s = { subject, t: [], cwnd: [], ssthresh: [], flightSize: [], pipe: [], recoveryPoint: [], sackedBytes: [], lostBytes: [], inRecovery: [], event: [], algorithm: {} };
      out.set(subject, s);
    }
    const d = e.data;
    const n = s.t.length;
    s.t.push(e.t);
    s.cwnd.push(num(d['cwnd']));
    s.ssthresh.push(typeof d['ssthresh'] === 'number' ? d['ssthresh'] : null);
    s.flightSize.push(num(d['flightSize']));
    s.pipe.push(typeof d['pipe'] === 'number' ? d['pipe'] : null);
    s.recoveryPoint.push(typeof d['recoveryPoint'] === 'number' ? d['recoveryPoint'] : null);
    s.sackedBytes.push(num(d['sackedBytes']));
    s.lostBytes.push(num(d['lostBytes']));
    s.inRecovery.push(d['inRecovery'] === true);
    s.event.push(String(d['event'] ?? ''));
    for (const [k, v] of Object.entries(d)) {
      if (!k.startsWith('cc.')) continue;
      const key = k.slice(3);
      const col = (s.algorithm[key] ??= new Array<ProbeValue>(n).fill(null));
      col.push(v);
    }
    for (const col of Object.values(s.algorithm)) if (col.length < n + 1) col.push(null);
  }
  return out;
}

function num(v: ProbeValue | undefined): number {
  return typeof v === 'number' ? v : 0;
}
