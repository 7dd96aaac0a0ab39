/**
 * Issue #6 item 7: every state transition with its cause; every segment in and out with SND.UNA,
 * SND.NXT, SND.WND, RCV.NXT, RCV.WND; every timer start, stop and fire (RTO, persist, keep-alive,
 * delayed ACK, TIME-WAIT, orphaned FIN-WAIT-2) — the keys docs/tcp.md's probe table names.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeEvent } from '@shared/model/probe';
import { Harness, PLAIN, TCP_ACK, TCP_FIN, bytes, lseq, rseq } from './harness';
import type { TcpConfig, TimerName } from '../../src-main/stack/tcp/connection';

const CFG: Partial<TcpConfig> = { ...PLAIN, keepAlive: true, keepIdleMs: 10_000, keepIntervalMs: 1000, keepCount: 2, sendBufferSize: 20_000 };

/** A run that starts, stops and fires each of the six timers at least once. */
function everyTimer(): Harness {
  const h = new Harness(CFG).established(); // keep-alive starts
  // delack: a small segment starts it and it fires after 200 ms.
  h.at(10);
  h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(10) });
  h.at(210); // delack fires
  h.recv({ seq: rseq(10), ack: lseq(0), payload: bytes(10) }); // delack starts again
  h.conn.write(bytes(10)); // the data carries the ACK: delack stops; rto starts
  h.conn.read(100); // everything read: the buffer is empty, the whole window is offered again
  h.at(410); // rto fires (200 ms after a 0 ms handshake RTT), the retransmission restarts it
  h.recv({ seq: rseq(20), ack: lseq(10), window: 0 }); // all acked: rto stops
  h.conn.write(bytes(100)); // zero window: persist starts
  h.at(410 + 400); // persist fires (RTO backed off once: 400 ms) and restarts
  h.recv({ seq: rseq(20), ack: lseq(10), window: 4000 }); // window opens: persist stops
  h.recv({ seq: rseq(20), ack: lseq(11), window: 4000 }); // the probe's byte ACKed: Nagle lets the other 99 go
  h.recv({ seq: rseq(20), ack: lseq(110), window: 4000 }); // all ACKed (no keep-alive while data waits)
  h.at(810 + 10_000); // keep-alive: 10 s idle after the last segment (at 810 ms) fires, one probe
  h.recv({ seq: rseq(20), ack: lseq(110) }); // answered
  h.conn.close(); // FIN-WAIT-1, orphaned: the keep-alive goes on until TIME-WAIT
  h.recv({ seq: rseq(20), ack: lseq(111) }); // FIN-WAIT-2: fin-wait-2 starts
  h.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(20), ack: lseq(111) }); // fin-wait-2 and keepalive stop, time-wait starts
  h.at(h.clock.now() + 60_000); // time-wait fires
  return h;
}

describe('probes (issue #6 item 7)', () => {
  it('every timer is published when it starts, stops and fires, with its deadline', () => {
    const h = everyTimer();
    expect(h.conn.state).toBe('CLOSED');
    const seen = new Map<string, Set<string>>();
    for (const e of h.events) {
      if (!e.kind.startsWith('timer-')) continue;
      const t = e.data.timer as string;
      if (!seen.has(t)) seen.set(t, new Set());
      seen.get(t)!.add(e.kind);
      if (e.kind === 'timer-start') {
        expect(typeof e.data.durationMs).toBe('number');
        expect(e.data.at).toBe(e.t + (e.data.durationMs as number));
      }
    }
    const expected: Record<TimerName, string[]> = {
      rto: ['timer-start', 'timer-fire', 'timer-stop'],
      persist: ['timer-start', 'timer-fire', 'timer-stop'],
      keepalive: ['timer-start', 'timer-fire', 'timer-stop'],
      delack: ['timer-start', 'timer-fire', 'timer-stop'],
      'time-wait': ['timer-start', 'timer-fire'],
      'fin-wait-2': ['timer-start', 'timer-stop'],
      // RACK-TLP's timers run on SACK connections only (CFG has none): rack.test.ts
      // "both RACK-TLP timers are published when they start, stop and fire".
      'rack-reorder': [],
      tlp: [],
    };
    for (const [timer, kinds] of Object.entries(expected)) expect([...(seen.get(timer) ?? [])].sort(), timer).toEqual([...kinds].sort());
  });

  it('the orphaned FIN-WAIT-2 timer fires; a RST in TIME-WAIT stops the 2MSL timer', () => {
    const h = new Harness().established();
    h.conn.close();
    h.recv({ seq: rseq(0), ack: lseq(1) });
    h.at(60_000);
    expect(h.events.some((e) => e.kind === 'timer-fire' && e.data.timer === 'fin-wait-2')).toBe(true);
    const t = new Harness().established();
    t.conn.close();
    t.recv({ flags: TCP_ACK | TCP_FIN, seq: rseq(0), ack: lseq(1) });
    t.recv({ flags: 0x04, seq: rseq(1) });
    expect(t.events.some((e) => e.kind === 'timer-stop' && e.data.timer === 'time-wait')).toBe(true);
  });

  it('every state transition names from, to and its cause; the causes of the classic transitions', () => {
    const h = everyTimer();
    const states = h.events.filter((e) => e.kind === 'state');
    for (const e of states) {
      expect(typeof e.data.from).toBe('string');
      expect(typeof e.data.to).toBe('string');
      expect(e.data.cause, `${e.data.from}->${e.data.to}`).toMatch(/\S/);
      expect(e.data).toHaveProperty('iss');
      expect(e.data).toHaveProperty('irs');
    }
    expect(states.map((e) => `${e.data.from}->${e.data.to}: ${e.data.cause}`)).toEqual([
      'CLOSED->LISTEN: passive open',
      'LISTEN->SYN-RECEIVED: rcv SYN (send SYN,ACK)',
      'SYN-RECEIVED->ESTABLISHED: rcv ACK of SYN',
      'ESTABLISHED->FIN-WAIT-1: close',
      'FIN-WAIT-1->FIN-WAIT-2: rcv ACK of FIN',
      'FIN-WAIT-2->TIME-WAIT: rcv FIN',
      'TIME-WAIT->CLOSED: 2MSL timeout',
    ]);
  });

  it('every segment in and out carries the sequence variables and windows at that moment', () => {
    const h = everyTimer();
    const segs = h.events.filter((e) => e.kind === 'segment-in' || e.kind === 'segment-out');
    expect(segs.length).toBeGreaterThan(10);
    const keys = ['state', 'seq', 'ack', 'flags', 'len', 'win', 'optionsLen', 'sack', 'retransmission', 'ecn', 'iss', 'irs', 'sndUna', 'sndNxt', 'sndMax', 'sndWnd', 'rcvNxt', 'rcvWnd', 'cwnd', 'ssthresh', 'sendBuffered', 'receiveBuffered'];
    for (const e of segs) for (const k of keys) expect(e.data, `${e.kind} ${k}`).toHaveProperty(k);
    // Values, not just keys: the zero-window ACK in, and the probe out after it.
    const zeroIn = segs.find((e) => e.kind === 'segment-in' && e.data.win === 0)!;
    expect(zeroIn.data.sndUna).toBe(lseq(0)); // published on arrival, before it is processed
    expect(zeroIn.data.ack).toBe(lseq(10));
    const probeOut = h.events.find((e) => e.kind === 'zero-window-probe')!;
    const after = segs.find((e) => e.kind === 'segment-out' && e.id > probeOut.id)!;
    expect(after.data.sndWnd).toBe(0);
    expect(after.data.len).toBe(1);
    expect(after.data.rcvNxt).toBe(rseq(20));
    expect(after.data.rcvWnd).toBe(4000);
  });

  it('what a timer sends names the timer-fire event as its cause (the ladder arrow)', () => {
    const h = everyTimer();
    const byId = new Map<number, ProbeEvent>(h.events.map((e) => [e.id, e]));
    for (const timer of ['rto', 'persist', 'keepalive', 'delack']) {
      const fires = new Set(h.events.filter((e) => e.kind === 'timer-fire' && e.data.timer === timer).map((e) => e.id));
      const out = h.events.find((e) => e.kind === 'segment-out' && fires.has(e.causeId!));
      expect(out, timer).toBeDefined();
      expect(byId.get(out!.causeId!)!.data.timer).toBe(timer);
    }
  });
});
