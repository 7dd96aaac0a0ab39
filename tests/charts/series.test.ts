import { describe, expect, it } from 'vitest';
import { RpcError } from '@shared/ipc/contract';
import { A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION } from '@shared/analysis/types';
import { Session } from '../../src-main/session/session';
import { createDemoSource } from '../../src-main/session/sources/demo';
import { LabSource } from '../../src-main/session/sources/lab';
import type { FrameSource } from '../../src-main/session/source';
import { filterFrames, frameAnalysis, labSeries, sessionSeries } from '../../src-main/session/series';
import { findLab, runLab } from '../../src-main/labs';

async function open(source: FrameSource): Promise<Session> {
  const observer = { onFrame() {}, onProbe() {}, onState() {} };
  const session = new Session(1, source, observer);
  await new Promise<void>((done, fail) => {
    observer.onState = () => {
      if (session.state === 'done') done();
      else if (session.state === 'error') fail(new Error(session.error));
    };
    session.start();
  });
  return session;
}

describe('session requests behind the views (demo capture)', async () => {
  const demo = await open(createDemoSource());
  it('frame.analysis: tcp.stream per frame, -1 for the two ARP frames', () => {
    const r = frameAnalysis(demo, 1, 100);
    expect(r.stream).toHaveLength(demo.frames.length);
    expect(r.stream.slice(0, 2)).toEqual([-1, -1]);
    expect(r.stream.slice(2).every((s) => s === 0)).toBe(true);
    expect(frameAnalysis(demo, 3, 2).stream).toEqual([0, 0]);
  });
  it('session.filter matches in main; a bad filter is EINVAL with the column', () => {
    expect(filterFrames(demo, 'tcp.flags.syn == 1').frames).toEqual([3, 4]);
    expect(filterFrames(demo, 'arp').frames).toEqual([1, 2]);
    expect(filterFrames(demo, 'frame.number > 16').frames).toEqual([17, 18]);
    expect(filterFrames(demo, '!arp').total).toBe(18);
    try {
      filterFrames(demo, 'tcp.port = 80');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RpcError);
      expect((e as RpcError).code).toBe('EINVAL');
      expect((e as RpcError).message).toMatch(/column 10/);
    }
  });
  it('session.series: capture — analysis series only, times on the session clock, one bar per data segment', () => {
    const s = sessionSeries(demo, 0);
    expect(s.source).toBe('capture');
    expect(s.cwnd).toBeNull();
    expect(s.window.inferred).toBe(true);
    const dataFrames = demo.summaries.filter((f) => f.src === s.sender && /length [1-9]/.test(f.info));
    expect(s.tsg.segT).toEqual(dataFrames.map((f) => f.t));
    expect(s.tsg.syn).toHaveLength(2);
    for (let i = 1; i < s.window.snapshots.length; i++) expect(s.window.snapshots[i]!.t).toBeGreaterThanOrEqual(s.window.snapshots[i - 1]!.t);
    expect(() => sessionSeries(demo, 7)).toThrow(/no TCP conversation 7/);
  });
});

describe('session.series on labs (true values)', () => {
  it('zero-window: window snapshots from the tcp probes, a zero receive window, SND.UNA ≤ SND.NXT', async () => {
    const lab = await open(new LabSource('zero-window', {}));
    const s = sessionSeries(lab, 0);
    expect(s.source).toBe('lab');
    expect(s.window.inferred).toBe(false);
    expect(s.window.snapshots.length).toBeGreaterThan(10);
    for (const w of s.window.snapshots) expect(w.sndUna).toBeLessThanOrEqual(Math.max(w.sndNxt, w.sndUna));
    expect(s.window.snapshots.some((w) => w.rcvWnd === 0)).toBe(true);
    // Probe times and analysis times share the session clock: the first cwnd probe is inside the run.
    const last = lab.summaries[lab.summaries.length - 1]!.t;
    expect(s.cwnd!.t[0]!).toBeGreaterThanOrEqual(0);
    expect(s.cwnd!.t[s.cwnd!.t.length - 1]!).toBeLessThanOrEqual(last + 1);
    expect(s.tsg.segT[0]!).toBeGreaterThanOrEqual(0);
  });
  it('mathis (loss): markers from the cc probes match the analysis retransmissions in kind', async () => {
    const lab = await open(new LabSource('mathis', {}));
    const s = sessionSeries(lab, 0);
    expect(s.algorithm).toMatch(/reno/);
    expect(s.cwnd!.t.length).toBeGreaterThan(100);
    expect(s.markers.filter((m) => m.kind === 'fast-retransmit').length).toBeGreaterThan(0);
    expect(s.markers.every((m) => m.observed)).toBe(true);
    expect(s.recovery.length).toBeGreaterThan(0);
    const retrans = frameAnalysis(lab, 1, 100_000).flags.filter((f) => f & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)).length;
    expect(s.tsg.retrans.length).toBe(retrans);
  });
  it('fast-recovery: pipe, SACKed and lost bytes for the SACK run, and the recovery point where the ACK line ends recovery', async () => {
    const lab = await open(new LabSource('fast-recovery', {}));
    const plain = sessionSeries(lab, 0); // run 1: NewReno without SACK
    const sack = sessionSeries(lab, 1); // run 2: with SACK
    expect(plain.pipe).toBeNull();
    expect(plain.sackedBytes).toBeNull();
    expect(sack.pipe!.t.length).toBeGreaterThan(50);
    expect(Math.max(...sack.sackedBytes!.v)).toBeGreaterThan(0);
    expect(Math.max(...sack.lostBytes!.v)).toBeGreaterThan(0);
    for (const s of [plain, sack]) {
      expect(s.recoveryPoints).toHaveLength(1);
      const r = s.recoveryPoints[0]!;
      expect(r.end).toBeGreaterThan(r.start);
      // Recovery ends with the first ACK at or beyond the recovery point (relative sequence numbers).
      const firstAckBeyond = s.tsg.ackT.find((_, i) => s.tsg.ack[i]! >= r.seq);
      expect(firstAckBeyond).toBeCloseTo(r.end, 3);
      expect(s.recovery[0]![0]).toBeCloseTo(r.start, 6);
    }
  });
  it('ecn: one ECN marker per reduction, no recovery (labSeries on the run itself: no capture analysis needed)', async () => {
    const run = await runLab(findLab('ecn')!);
    const sender = `192.0.2.1:${run.results['ecnPort']}`;
    const s = labSeries(run.events, `${sender}-192.0.2.2:5001`, `192.0.2.2:5001-${sender}`, (ms) => ms / 1000);
    const reductions = run.events.filter((e) => e.layer === 'cc' && e.data['event'] === 'ecn' && e.subject === `${sender}-192.0.2.2:5001`);
    expect(reductions.length).toBeGreaterThan(1);
    expect(s.markers.filter((m) => m.kind === 'ecn')).toHaveLength(reductions.length);
    expect(s.markers.filter((m) => m.kind === 'fast-retransmit')).toEqual([]);
    expect(s.recoveryPoints).toEqual([]);
    expect(s.pipe!.t.length).toBe(s.cwnd!.t.length); // the lab's hosts use SACK: pipe on every point
  });
});
