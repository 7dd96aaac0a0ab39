/**
 * The ladder of a TAP session with the stack's own truth: the arrows stay one-sided (the frames
 * as the stack's interface saw them), but the stack's side gets the states and timers its probe
 * events reported (inferred: false), each linked to the frame that caused it through the cause
 * chain (state ← segment-in ← ipv4 packet-in ← link frame-in, whose id the received frame carries).
 * The kernel's side keeps the states the passive analysis inferred.
 */
import type { LadderData, LadderStateDto, LadderTimerDto } from '@shared/model/conversation';
import type { ProbeEvent } from '@shared/model/probe';
import type { CapturedFrame } from './source';

export interface StackTruth {
  frames: readonly CapturedFrame[];
  probes: readonly ProbeEvent[];
  /** Wall-clock ms at the stack clock's 0 (frame tsUs = (t + epochOffsetMs) · 1000). */
  epochOffsetMs: number;
}

export function withStackStates(ladder: LadderData, truth: StackTruth): LadderData {
  const firstTsUs = truth.frames[0]?.tsUs ?? 0;
  const us = (ms: number) => Math.round((ms + truth.epochOffsetMs) * 1000 - firstTsUs);
  const [a, b] = ladder.endpoints;
  const subjects = [`${a}-${b}`, `${b}-${a}`];
  const events = truth.probes.filter((e) => e.layer === 'tcp' && e.subject !== undefined && subjects.includes(e.subject));
  if (events.length === 0) return ladder;
  const side = subjects.indexOf(events[0]!.subject!) as 0 | 1;
  // The conversation starts at its first segment; earlier events belong to an older one (port reuse).
  const startUs = (ladder.segments[0]?.tx ?? 0) - 1000;

  const frameOfEvent = new Map<number, number>();
  truth.frames.forEach((f, i) => {
    if (f.causeId !== undefined && !frameOfEvent.has(f.causeId)) frameOfEvent.set(f.causeId, i + 1);
  });
  const byId = new Map<number, ProbeEvent>();
  for (const e of truth.probes) byId.set(e.id, e);
  const causeFrame = (e: ProbeEvent): number | null => {
    let id = e.causeId;
    for (let hop = 0; id !== undefined && hop < 12; hop++) {
      const f = frameOfEvent.get(id);
      if (f !== undefined) return f;
      id = byId.get(id)?.causeId;
    }
    return null;
  };

  const states: LadderStateDto[] = [];
  const timers: LadderTimerDto[] = [];
  const open = new Map<string, LadderTimerDto>();
  let initial: string | null = null;
  let endUs = ladder.endUs;
  for (const e of events) {
    const t = us(e.t);
    if (t < startUs) continue;
    if (e.kind === 'state') {
      const from = String(e.data.from ?? '');
      initial ??= from || 'CLOSED';
      let frame = causeFrame(e);
      // A state entered by a user call (connect, close) is linked to the segment it sent.
      if (frame === null) frame = ladder.segments.find((g) => g.dir === side && g.tx >= t && g.frame !== null)?.frame ?? null;
      states.push({ side, t, state: String(e.data.to ?? ''), from, inferred: false, frame, eventId: e.id, cause: String(e.data.cause ?? '') });
      endUs = Math.max(endUs, t);
    } else if (e.kind === 'timer-start' || e.kind === 'timer-stop' || e.kind === 'timer-fire') {
      const name = String(e.data.timer ?? '');
      const running = open.get(name);
      if (running) {
        running.end = t;
        running.outcome = e.kind === 'timer-fire' ? 'fired' : 'stopped';
        open.delete(name);
      }
      if (e.kind === 'timer-start') {
        const tm: LadderTimerDto = { side, timer: name, start: t, end: t, outcome: 'running' };
        timers.push(tm);
        open.set(name, tm);
      }
    }
  }
  // A passive open shows up as CLOSED → LISTEN just before SYN-RECEIVED: it was listening all along.
  if (states[0] && states[0].from === 'CLOSED' && states[0].state === 'LISTEN') {
    initial = 'LISTEN';
    states.shift();
  }
  for (const tm of open.values()) tm.end = Math.max(tm.start, endUs);
  const initialStates: [string, string] = [...ladder.initialStates];
  if (initial !== null) initialStates[side] = initial;
  return {
    ...ladder,
    initialStates,
    states: [...ladder.states.filter((s) => s.side !== side), ...states].sort((x, y) => x.t - y.t),
    timers: [...ladder.timers.filter((tm) => tm.side !== side), ...timers],
    endUs,
  };
}
