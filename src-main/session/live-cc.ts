/**
 * A live congestion run against the Linux kernel: tcplab's true cwnd (its `cc` probes) beside the
 * kernel peer's cwnd polled from `ss` (`kernel` probes), on one time axis, as the JSON that
 * `tcplab stack … --kernel-cwnd --json FILE` writes (docs/congestion.md, "Live against Linux").
 *
 * The recorder keeps only the `cc` and `kernel` events (not every segment), so a long run stays
 * small; other probe kinds (new ones included) pass by untouched.
 */
import type { ProbeBus, ProbeEvent } from '@shared/model/probe';
import type { KernelTcpPollerStats } from '../capture/kernel-tcp-poller';

/** Causes of a cc event that are not growth: what the recovery checks look for. */
const RECOVERY_EVENTS = new Set(['enter-recovery', 'partial-ack', 'exit-recovery', 'rto', 'ecn', 'idle-restart']);

export interface LiveCcSenderSeries {
  /** The tcplab connection, `LOCAL-REMOTE`. */
  subject: string;
  algorithm: string | null;
  /** ms since the run began (`t0Ms` on the stack clock). */
  t: number[];
  cwnd: number[];
  /** null while ssthresh is infinite (before the first loss). */
  ssthresh: (number | null)[];
  flightSize: (number | null)[];
  /** RFC 6675 pipe (null without SACK), the recovery point (u32, null outside recovery), SACKed and lost (IsLost) bytes. */
  pipe: (number | null)[];
  recoveryPoint: (number | null)[];
  sackedBytes: (number | null)[];
  lostBytes: (number | null)[];
  /** The cause of each point (`ack`, `enter-recovery`, `rto` …). */
  event: string[];
}

export interface LiveCcEvent {
  t: number;
  subject: string;
  event: string;
  cwnd: number | null;
  ssthresh: number | null;
}

export interface LiveCcKernelSeries {
  subject: string;
  algorithm: string | null;
  t: number[];
  /** Bytes (segments × MSS). */
  cwnd: number[];
  ssthresh: (number | null)[];
  rttMs: (number | null)[];
  bytesAcked: (number | null)[];
  retransTotal: (number | null)[];
}

export interface LiveCcReport {
  version: 1;
  /** What each series is: tcplab's are true values (every change), the kernel's polled samples. */
  legend: { tcplab: string; kernel: string };
  /** Stack-clock ms at the run's start; every `t` is relative to it. */
  t0Ms: number;
  tcplab: LiveCcSenderSeries[];
  /** Recovery events of tcplab's senders (fast retransmit, partial ACK, exit, RTO, ECN). */
  events: LiveCcEvent[];
  kernel: LiveCcKernelSeries[];
  poller: (KernelTcpPollerStats & { intervalMs: number }) | null;
  /** Poll errors the kernel side reported (why a kernel curve may be missing). */
  kernelErrors: string[];
  [extra: string]: unknown;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class LiveCcRecorder {
  readonly events: ProbeEvent[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    probes: ProbeBus,
    readonly t0Ms: number,
  ) {
    this.unsubscribe = probes.subscribe((e) => {
      if ((e.layer === 'cc' && e.kind === 'cwnd') || e.layer === 'kernel') this.events.push(e);
    });
  }

  stop(): void {
    this.unsubscribe();
  }

  /** tcplab's cc events of one subject, or of every subject. */
  ccEvents(subject?: string): ProbeEvent[] {
    return this.events.filter((e) => e.layer === 'cc' && (subject === undefined || e.subject === subject));
  }

  kernelSamples(subject?: string): ProbeEvent[] {
    return this.events.filter((e) => e.layer === 'kernel' && e.kind === 'tcp-info' && (subject === undefined || e.subject === subject));
  }

  report(poller: { stats: KernelTcpPollerStats; intervalMs: number } | null): LiveCcReport {
    const rel = (ms: number) => Math.round((ms - this.t0Ms) * 1000) / 1000;
    const senders = new Map<string, LiveCcSenderSeries>();
    const events: LiveCcEvent[] = [];
    for (const e of this.events) {
      if (e.layer !== 'cc' || !e.subject) continue;
      let s = senders.get(e.subject);
      if (!s) {
        s = { subject: e.subject, algorithm: null, t: [], cwnd: [], ssthresh: [], flightSize: [], pipe: [], recoveryPoint: [], sackedBytes: [], lostBytes: [], event: [] };
        senders.set(e.subject, s);
      }
      const d = e.data;
      if (typeof d.algorithm === 'string') s.algorithm = d.algorithm;
      const cwnd = num(d.cwnd);
      if (cwnd === null) continue;
      const ev = typeof d.event === 'string' ? d.event : '';
      s.t.push(rel(e.t));
      s.cwnd.push(cwnd);
      s.ssthresh.push(num(d.ssthresh));
      s.flightSize.push(num(d.flightSize));
      s.pipe.push(num(d.pipe));
      s.recoveryPoint.push(num(d.recoveryPoint));
      s.sackedBytes.push(num(d.sackedBytes));
      s.lostBytes.push(num(d.lostBytes));
      s.event.push(ev);
      if (RECOVERY_EVENTS.has(ev)) events.push({ t: rel(e.t), subject: e.subject, event: ev, cwnd, ssthresh: num(d.ssthresh) });
    }
    const kernel: LiveCcKernelSeries[] = [];
    // Every socket the poller saw, the kernel's receiving side included (its cwnd stays small).
    const subjects = [...new Set(this.kernelSamples().map((e) => e.subject!))];
    for (const subject of subjects) {
      const samples = this.kernelSamples(subject);
      const algo = samples.find((e) => typeof e.data.algorithm === 'string')?.data.algorithm;
      kernel.push({
        subject,
        algorithm: typeof algo === 'string' ? algo : null,
        t: samples.map((e) => rel(e.t)),
        cwnd: samples.map((e) => num(e.data.cwnd) ?? 0),
        ssthresh: samples.map((e) => num(e.data.ssthresh)),
        rttMs: samples.map((e) => num(e.data.rttMs)),
        bytesAcked: samples.map((e) => num(e.data.bytesAcked)),
        retransTotal: samples.map((e) => num(e.data.retransTotal)),
      });
    }
    const kernelErrors = this.events.filter((e) => e.layer === 'kernel' && e.kind === 'poll-error').map((e) => String(e.data.message));
    return {
      version: 1,
      legend: { tcplab: "tcplab's cwnd: true values from its own congestion probes (every change)", kernel: "Linux's cwnd: polled with ss -tin (segments × MSS, sampled)" },
      t0Ms: this.t0Ms,
      tcplab: [...senders.values()],
      events,
      kernel,
      poller: poller ? { ...poller.stats, errors: { ...poller.stats.errors }, intervalMs: poller.intervalMs } : null,
      kernelErrors,
    };
  }
}
