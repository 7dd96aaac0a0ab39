/**
 * The shape of a lab: a seeded, deterministic run of tcplab's stack over the virtual link that
 * teaches one thing, with a narrative in English and Simplified Chinese saying what to watch, and
 * the events it must show (asserted in tests/labs and printed by `tcplab lab`).
 */
import type { ProbeEvent, ProbeValue } from '@shared/model/probe';
import type { CongestionName } from '../stack/tcp/congestion/types';

export interface Localized {
  en: string;
  'zh-CN': string;
}

/** A pair of per-host values: [A, B]; null = the stack's own choice. */
export type PerHost<T> = [T | null, T | null];

export interface LabParams {
  /** Congestion control of the sending side (Linux TCP_CONGESTION name). */
  cc: CongestionName;
  /** Loss probability per frame on the bottleneck direction (0..1). */
  loss: number;
  /** One-way propagation delay, ms. */
  delayMs: number;
  /** Bottleneck rate, Mbit/s (0 = unlimited). */
  rateMbps: number;
  seed: number;
  /** Initial sequence numbers of host A and host B. */
  isn: PerHost<number>;
  /** MSS each host announces. */
  mss: PerHost<number>;
  /** Receive buffer of each host, bytes. */
  rcvbuf: PerHost<number>;
}

export const BASE_PARAMS: LabParams = {
  cc: 'newreno',
  loss: 0,
  delayMs: 10,
  rateMbps: 0,
  seed: 1,
  isn: [null, null],
  mss: [null, null],
  rcvbuf: [null, null],
};

/** One frame seen at a host's interface (what tcpdump on that host would capture). */
export interface LabFrame {
  /** Clock time, ms. */
  t: number;
  /** 'A' or 'B' (or another host name in multi-host labs). */
  host: string;
  iface: string;
  dir: 'tx' | 'rx';
  /** The frame's bytes, possibly cut to the lab's snap length (long transfers keep headers only). */
  data: Uint8Array;
  /** Length on the wire when `data` was cut; absent when `data` is the whole frame. */
  origLength?: number;
  /** The link probe event of this frame. */
  eventId: number;
  /** The event that caused it (tx: the stack event; rx: the sender's frame-out event). */
  causeId?: number;
}

/** A numeric series for a chart. */
export interface LabSeries {
  label: string;
  unit: string;
  t: number[];
  v: number[];
}

export interface LabCheckResult {
  id: string;
  text: Localized;
  ok: boolean;
  /** What was found (always set, also on success: the number the check looked at). */
  detail: string;
}

export interface LabRun {
  lab: string;
  params: LabParams;
  /** Simulated time the run covered, ms. */
  durationMs: number;
  frames: LabFrame[];
  events: ProbeEvent[];
  series: Record<string, LabSeries>;
  /** Lab-specific figures (throughput, retransmissions, errno …). */
  results: Record<string, ProbeValue>;
  /** The lab's expected events, evaluated against this run. */
  checks: LabCheckResult[];
}

export interface LabExpectation {
  id: string;
  text: Localized;
  /** Returns what was found and whether it meets the expectation. */
  check(run: LabRun): { ok: boolean; detail: string };
}

export interface LabModule {
  name: string;
  title: Localized;
  /** What the lab shows and what to watch, in both languages. */
  narrative: Localized;
  /** Parameters this lab changes from BASE_PARAMS. */
  defaults: Partial<LabParams>;
  expectations: LabExpectation[];
  /** Runs the lab (deterministic: same params → same bytes and events). */
  run(params: LabParams): Promise<Omit<LabRun, 'checks'>>;
}
