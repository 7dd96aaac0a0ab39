import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src-shared/wire/decode';
import { createDemoSource } from '../../src-main/session/sources/demo';
import { LabSource } from '../../src-main/session/sources/lab';
import { conversationsOf } from '../../src-main/session/conversations';
import { runSession } from './support';

describe('conversations of a capture (the demo)', () => {
  it('lists the one TCP conversation and lays out its 16 segments one-sided with inferred states', async () => {
    const session = await runSession(createDemoSource());
    const idx = conversationsOf(session);
    const list = idx.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ stream: 0, a: '192.0.2.2:51514', b: '192.0.2.1:80', segments: 16, bytesAB: 82, bytesBA: 6081 });
    const data = idx.ladder(0);
    expect(data.source).toBe('capture');
    expect(data.segments.map((s) => s.frame)).toEqual(Array.from({ length: 16 }, (_, i) => i + 3));
    expect(data.segments.every((s) => s.seen === 'one-sided' && s.rx === null)).toBe(true);
    // Times are µs since the session's first frame (the same clock as FrameSummary.t).
    const f3 = session.summaries[2]!;
    expect(data.segments[0]!.tx).toBe(Math.round(f3.t * 1e6));
    expect(data.states.every((s) => s.inferred)).toBe(true);
    expect(data.states.filter((s) => s.side === 0).map((s) => s.state)).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
    expect(data.states.filter((s) => s.side === 1).map((s) => s.state)).toEqual(['SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
    expect(data.initialStates).toEqual(['CLOSED', 'LISTEN']);
    // The SYN's options reach the label data.
    expect(data.segments[0]!.opts).toMatchObject({ mss: 1460, wscale: 7, sackOk: true });
    expect(() => idx.ladder(5)).toThrow(/no TCP conversation 5/);
  });
});

describe('conversations of a lab run (both hosts known)', () => {
  it('slants every arrow from send to receive and uses the stack’s true states and timers', async () => {
    const session = await runSession(new LabSource('handshake', {}));
    const idx = conversationsOf(session);
    const [conv] = idx.list();
    const data = idx.ladder(conv!.stream);
    expect(data.source).toBe('lab');
    expect(data.isn).toEqual([1000, 5000]); // the lab pins the ISNs
    expect(data.segments).toHaveLength(conv!.segments);
    for (const s of data.segments) {
      expect(s.seen).toBe('both');
      // 10 ms one-way delay in this lab.
      expect(s.rx! - s.tx).toBeGreaterThanOrEqual(10_000);
      // The frame number is the session's (host A's capture) and it holds this very segment.
      const f = session.frames[s.frame! - 1]!;
      const pkt = decodePacket(f.linkType, f.data);
      expect(pkt.tcp!.seq >>> 0).toBe(s.seq);
    }
    expect(data.states.every((s) => !s.inferred)).toBe(true);
    expect(data.initialStates).toEqual(['CLOSED', 'LISTEN']);
    expect(data.states.filter((s) => s.side === 0).map((s) => s.state)).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
    // Each transition links to a segment of the conversation.
    const frames = new Set(data.segments.map((s) => s.frame));
    for (const st of data.states) expect(frames.has(st.frame)).toBe(true);
    // The SYN-ACK made A ESTABLISHED: linked to the SYN-ACK's frame.
    const est = data.states.find((s) => s.side === 0 && s.state === 'ESTABLISHED')!;
    const synAck = data.segments.find((s) => s.dir === 1 && (s.flags & 0x12) === 0x12)!;
    expect(est.frame).toBe(synAck.frame);
    expect(data.timers.some((t) => t.timer === 'rto')).toBe(true);
    expect(data.timers.some((t) => t.timer === 'time-wait' && t.side === 0)).toBe(true);
    for (const t of data.timers) expect(t.end).toBeGreaterThanOrEqual(t.start);
  });

  it('marks segments sent and never received as lost, including those the capture host never saw', async () => {
    const session = await runSession(new LabSource('handshake', { loss: 0.25, seed: 7 }));
    const source = session.source as LabSource;
    const run = source.run!;
    const idx = conversationsOf(session);
    const conv = idx.list().sort((a, b) => b.segments - a.segments)[0]!;
    const data = idx.ladder(conv.stream);
    const received = new Set(run.frames.filter((f) => f.dir === 'rx').map((f) => f.causeId));
    const tcpTx = run.frames.filter((f) => f.dir === 'tx' && decodePacket(1, f.data).tcp !== undefined);
    const lostInRun = tcpTx.filter((f) => !received.has(f.eventId)).length;
    const lost = data.segments.filter((s) => s.seen === 'lost');
    expect(lostInRun).toBeGreaterThan(0);
    expect(lost).toHaveLength(lostInRun);
    // B → A losses never reach A's capture: no frame number.
    for (const s of lost) expect(s.frame === null).toBe(s.dir === 1);
    expect(data.segments.filter((s) => s.frame !== null)).toHaveLength(conv.segments);
  });
});
