import { describe, expect, it } from 'vitest';
import { analyzeSegments, TcpAnalyzer } from '../../src-shared/analysis/analyzer';
import { FIELDS, formatSeconds } from '../../src-shared/analysis/fields';
import { RangeSet } from '../../src-shared/analysis/flow';
import { STATE_RULES } from '../../src-shared/analysis/state';
import { conversationSeries, CWND_ESTIMATE_METHOD } from '../../src-shared/analysis/series';
import { summarizeConversation } from '../../src-shared/analysis/summary';
import {
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_LOST_PACKET,
  A_RETRANSMISSION,
  A_REUSED_PORTS,
  A_SACK_OUT_OF_ORDER,
  A_SACK_RETRANSMISSION,
  A_WINDOW_PROBE,
  A_ZERO_WINDOW,
  TCP_STATES,
} from '../../src-shared/analysis/types';
import { bulk, Trace } from './support/craft';

const M = 1448;
const field = (an: TcpAnalyzer, name: string, row: number): string =>
  FIELDS[name]!.get(an.store, row, an.conversations[an.store.stream[row]!]!);
const states = (an: TcpAnalyzer, row: number): [string, string] => [
  TCP_STATES[an.store.stateA[row]!]!,
  TCP_STATES[an.store.stateB[row]!]!,
];

describe('conversations and sequence numbers', () => {
  it('numbers relative seq/ack per direction and scales windows from the handshake', () => {
    const t = new Trace().handshake({ ws: [7, 9] }).add(...bulk(10, 2));
    t.add({ t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 2 * M, win: 300 });
    const an = analyzeSegments(t.inputs());
    expect(an.conversations).toHaveLength(1);
    expect(Array.from(an.store.seq.subarray(0, 6))).toEqual([0, 0, 1, 1, 1 + M, 1]);
    expect(Array.from(an.store.ack.subarray(0, 6))).toEqual([0, 1, 1, 1, 1, 1 + 2 * M]);
    // A's windows are scaled by B's... no: each side's window by its own announced shift.
    expect(field(an, 'tcp.window_size_scalefactor', 0)).toBe('');
    expect(field(an, 'tcp.window_size_scalefactor', 2)).toBe(String(1 << 7));
    expect(an.store.windowSize[2]).toBe(502 << 7);
    expect(an.store.windowSize[5]).toBe(300 << 9);
    expect(field(an, 'tcp.analysis.initial_rtt', 3)).toBe('0.002000000');
  });

  it('says "scale unknown" (-1) without a handshake and "no scaling" (-2) when one side lacks WS', () => {
    const mid = new Trace().add(...bulk(0, 2));
    const an = analyzeSegments(mid.inputs());
    expect(field(an, 'tcp.window_size_scalefactor', 0)).toBe('-1');
    expect(an.store.windowSize[0]).toBe(502);
    expect(an.store.seq[0]).toBe(1); // tshark starts at 1 when the SYN was not seen
    const noWs = new Trace().handshake({ ws: [7, undefined] }).add(...bulk(10, 1));
    const an2 = analyzeSegments(noWs.inputs());
    expect(field(an2, 'tcp.window_size_scalefactor', 3)).toBe('-2');
    expect(an2.store.windowSize[3]).toBe(502);
  });

  it('handles sequence numbers that wrap past 2^32', () => {
    const t = new Trace({ ip: '192.0.2.1', port: 40000, isn: 0xfffff000 }, { ip: '192.0.2.2', port: 80, isn: 0xfffffff0 });
    t.handshake().add(...bulk(10, 6));
    t.add({ t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 6 * M, win: 500 });
    const an = analyzeSegments(t.inputs());
    const s = an.store;
    expect(s.seqRaw[8]! < s.seqRaw[3]!).toBe(true); // it did wrap
    expect(Array.from(s.seq.subarray(3, 9))).toEqual([0, 1, 2, 3, 4, 5].map((i) => 1 + i * M));
    for (let i = 0; i < s.length; i++) expect(s.analysisFlags[i]).toBe(0);
    expect(field(an, 'tcp.analysis.acks_frame', 9)).toBe('9');
    expect(s.sackBytesInFlight[8]).toBe(6 * M);
  });

  it('starts a new conversation when a SYN reuses the ports with a new ISN', () => {
    const first = new Trace().handshake().add(
      { t: 5, from: 'a', flags: 'FA', seq: 1, ack: 1 },
      { t: 6, from: 'b', flags: 'FA', seq: 1, ack: 2 },
      { t: 7, from: 'a', flags: 'A', seq: 2, ack: 2 },
    );
    const second = new Trace({ ip: '192.0.2.1', port: 40000, isn: 99999 }, { ip: '192.0.2.2', port: 80, isn: 77777 }, 1_700_000_001).handshake();
    const an = analyzeSegments([...first.inputs(), ...second.inputs().map((p, k) => ({ ...p, frame: 7 + k }))]);
    expect(an.conversations).toHaveLength(2);
    expect(Array.from(an.store.stream.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(an.store.analysisFlags[6]! & A_REUSED_PORTS).toBeTruthy();
    expect(an.store.seq[6]).toBe(0);
    expect(an.conversations[1]!.previousStream).toBe(0);
    // tshark starts a reused conversation at 1 (SYN sent) and shows it on the SYN itself.
    expect(an.store.completeness[6]).toBe(1);
    expect(an.store.completeness[7]).toBe(1);
    expect(an.store.completeness[8]).toBe(3);
  });

  it('marks a retransmitted SYN (same ISN) as a retransmission in the same conversation', () => {
    const t = new Trace().add({ t: 0, from: 'a', flags: 'S', seq: 0, win: 64240 }, { t: 1000, from: 'a', flags: 'S', seq: 0, win: 64240 });
    const an = analyzeSegments(t.inputs());
    expect(an.conversations).toHaveLength(1);
    expect(an.store.analysisFlags[1]! & A_RETRANSMISSION).toBeTruthy();
    expect(an.store.analysisFlags[1]! & A_REUSED_PORTS).toBe(0);
  });
});

describe('SACK-aware retransmission or out-of-order', () => {
  /** 5 segments with timestamps; the first copy of segment 2 is not in the capture. */
  function gap(lateTsval: number) {
    const t = new Trace().handshake();
    for (const k of [0, 1, 3, 4]) t.add({ t: 10 + k * 0.01, from: 'a', flags: 'A', seq: 1 + k * M, ack: 1, len: M, win: 502, ts: [100 + k, 50] });
    // The bytes of segment 2 appear only now, below the highest sequence, never captured before
    // and not reported missing (no SACK, no duplicate ACK yet).
    t.add({ t: 12, from: 'a', flags: 'A', seq: 1 + 2 * M, ack: 1, len: M, win: 502, ts: [lateTsval, 50] });
    const an = analyzeSegments(t.inputs());
    return an.store.analysisFlags[7]!;
  }

  it('a copy with a newer TSval than the highest segment was sent after it: a retransmission (its first copy escaped the capture)', () => {
    const f = gap(300);
    expect(f & A_SACK_RETRANSMISSION).toBeTruthy();
    expect(f & A_SACK_OUT_OF_ORDER).toBe(0);
  });

  it('with an older TSval it was sent before the highest segment: out of order', () => {
    const f = gap(102);
    expect(f & A_SACK_OUT_OF_ORDER).toBeTruthy();
    expect(f & A_SACK_RETRANSMISSION).toBe(0);
  });
});

describe('Wireshark flags on scripted traces', () => {
  it('counts duplicate ACKs and flags the fast retransmission that follows within 20 ms', () => {
    const t = new Trace().handshake().add(...bulk(10, 5));
    t.add(
      { t: 10.3, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
      { t: 10.31, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 3 * M]] },
      { t: 10.32, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 4 * M]] },
      { t: 10.33, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 5 * M]] },
      { t: 10.4, from: 'a', flags: 'A', seq: 1 + M, ack: 1, len: M, win: 502 },
    );
    const an = analyzeSegments(t.inputs());
    const s = an.store;
    expect([9, 10, 11].map((r) => s.analysisFlags[r]! & A_DUPLICATE_ACK)).toEqual([A_DUPLICATE_ACK, A_DUPLICATE_ACK, A_DUPLICATE_ACK]);
    expect([9, 10, 11].map((r) => s.dupAckNum[r])).toEqual([1, 2, 3]);
    expect(s.dupAckFrame[11]).toBe(9); // the ACK in frame 9 (row 8) is the one duplicated
    expect(s.analysisFlags[12]! & A_FAST_RETRANSMISSION).toBeTruthy();
    expect(field(an, 'tcp.analysis.retransmission', 12)).toBe('1'); // tshark adds it to fast ones too
    expect(s.analysisFlags[12]! & A_SACK_RETRANSMISSION).toBeTruthy();
  });

  it('flags a gap as previous segment not captured and an ACK beyond it as ACKed unseen', () => {
    const t = new Trace().handshake();
    const data = bulk(10, 4);
    t.add(data[0]!, data[2]!, data[3]!, { t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 4 * M, win: 500 });
    const an = analyzeSegments(t.inputs());
    expect(an.store.analysisFlags[4]! & A_LOST_PACKET).toBeTruthy();
    expect(field(an, 'tcp.analysis.ack_lost_segment', 6)).toBe('1');
  });

  it('flags zero window, and a Linux zero-window probe as keep-alive plus tcplab window_probe', () => {
    const t = new Trace().handshake().add(...bulk(10, 2));
    t.add(
      { t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 2 * M, win: 0 },
      { t: 211, from: 'a', flags: 'A', seq: 2 * M, ack: 1, win: 502 },
      { t: 211.1, from: 'b', flags: 'A', seq: 1, ack: 1 + 2 * M, win: 0 },
    );
    const an = analyzeSegments(t.inputs());
    expect(an.store.analysisFlags[5]! & A_ZERO_WINDOW).toBeTruthy();
    expect(an.store.analysisFlags[6]! & A_KEEP_ALIVE).toBeTruthy();
    expect(an.store.analysisFlags[6]! & A_WINDOW_PROBE).toBeTruthy();
    expect(field(an, 'tcp.analysis.zero_window_probe', 6)).toBe('');
  });
});

describe('inferred states (RFC 9293)', () => {
  it('follows a normal open and close, with a rule for every change', () => {
    const t = new Trace().handshake().add(
      { t: 5, from: 'a', flags: 'FA', seq: 1, ack: 1 },
      { t: 6, from: 'b', flags: 'A', seq: 1, ack: 2 },
      { t: 7, from: 'b', flags: 'FA', seq: 1, ack: 2 },
      { t: 8, from: 'a', flags: 'A', seq: 2, ack: 2 },
    );
    const an = analyzeSegments(t.inputs());
    const seen = Array.from({ length: an.store.length }, (_, i) => states(an, i));
    expect(seen).toEqual([
      ['SYN-SENT', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    expect(STATE_RULES[an.store.ruleA[3]!]).toMatch(/FIN-WAIT-1/);
    expect(STATE_RULES[an.store.ruleB[6]!]).toMatch(/LAST-ACK → CLOSED/);
  });

  it('follows a simultaneous open', () => {
    const t = new Trace().add(
      { t: 0, from: 'a', flags: 'S', seq: 0, win: 1000 },
      { t: 0.1, from: 'b', flags: 'S', seq: 0, win: 1000 },
      { t: 1, from: 'a', flags: 'SA', seq: 0, ack: 1, win: 1000 },
      { t: 1.1, from: 'b', flags: 'SA', seq: 0, ack: 1, win: 1000 },
    );
    const an = analyzeSegments(t.inputs());
    expect(states(an, 1)).toEqual(['SYN-RECEIVED', 'SYN-SENT']);
    expect(STATE_RULES[an.store.ruleA[1]!]).toMatch(/simultaneous open/);
    expect(states(an, 3)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('follows a simultaneous close through CLOSING to TIME-WAIT on both sides', () => {
    const t = new Trace().handshake().add(
      { t: 5, from: 'a', flags: 'FA', seq: 1, ack: 1 },
      { t: 5.1, from: 'b', flags: 'FA', seq: 1, ack: 1 },
      { t: 6, from: 'a', flags: 'A', seq: 2, ack: 2 },
      { t: 6.1, from: 'b', flags: 'A', seq: 2, ack: 2 },
    );
    const an = analyzeSegments(t.inputs());
    expect(states(an, 4)).toEqual(['CLOSING', 'CLOSING']);
    expect(STATE_RULES[an.store.ruleB[4]!]).toMatch(/simultaneous close/);
    expect(states(an, 6)).toEqual(['TIME-WAIT', 'TIME-WAIT']);
  });

  it('closes both sides on RST, a refused SYN included', () => {
    const t = new Trace().add({ t: 0, from: 'a', flags: 'S', seq: 0, win: 1000 }, { t: 0.1, from: 'b', flags: 'RA', seq: 1, ack: 1, win: 0 });
    const an = analyzeSegments(t.inputs());
    expect(states(an, 1)).toEqual(['CLOSED', 'CLOSED']);
    expect(STATE_RULES[an.store.ruleA[1]!]).toMatch(/refused/);
    const mid = new Trace().add(...bulk(0, 1), { t: 1, from: 'b', flags: 'R', seq: 1, win: 0 });
    const an2 = analyzeSegments(mid.inputs());
    expect(states(an2, 0)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(STATE_RULES[an2.store.ruleA[0]!]).toMatch(/mid-stream/);
    expect(states(an2, 1)).toEqual(['CLOSED', 'CLOSED']);
  });
});

describe('incremental and batch modes', () => {
  it('give identical columns, with summaries and series read between pushes', () => {
    const t = new Trace().handshake().add(...bulk(10, 30));
    t.add({ t: 10.5, from: 'b', flags: 'A', seq: 1, ack: 1 + 5 * M, win: 500, sack: [[1 + 6 * M, 1 + 20 * M]] });
    t.add({ t: 10.6, from: 'a', flags: 'A', seq: 1 + 5 * M, ack: 1, len: M, win: 502 });
    t.add({ t: 11, from: 'b', flags: 'A', seq: 1, ack: 1 + 30 * M, win: 500 });
    const inputs = t.inputs();
    const batch = analyzeSegments(inputs);
    const inc = new TcpAnalyzer({ initialRows: 16 });
    for (const p of inputs) {
      inc.push(p);
      const c = inc.conversations[0]!;
      summarizeConversation(inc, c);
      conversationSeries(inc, c, 0);
    }
    expect(inc.store.length).toBe(batch.store.length);
    for (const [k, v] of Object.entries(batch.store)) {
      if (!ArrayBuffer.isView(v)) continue;
      const a = (v as Float64Array).subarray(0, batch.store.length);
      const b = ((inc.store as unknown as Record<string, Float64Array>)[k] as Float64Array).subarray(0, inc.store.length);
      expect(Array.from(b), k).toEqual(Array.from(a));
    }
    expect(JSON.stringify(summarizeConversation(inc, inc.conversations[0]!))).toBe(
      JSON.stringify(summarizeConversation(batch, batch.conversations[0]!)),
    );
  });
});

describe('summary, series and helpers', () => {
  it('summarises options, counts and a diagnosis with its reason', () => {
    const t = new Trace().handshake().add(...bulk(10, 5));
    t.add(
      { t: 10.3, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500 },
      { t: 10.31, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 3 * M]] },
      { t: 10.32, from: 'b', flags: 'A', seq: 1, ack: 1 + M, win: 500, sack: [[1 + 2 * M, 1 + 4 * M]] },
      { t: 10.4, from: 'a', flags: 'A', seq: 1 + M, ack: 1, len: M, win: 502 },
    );
    const an = analyzeSegments(t.inputs());
    const sum = summarizeConversation(an, an.conversations[0]!);
    expect(sum.options).toEqual({ mss: [1460, 1460], windowScale: [7, 7], sack: true, timestamps: false, ecn: false });
    expect(sum.directions[0].bytes).toBe(6 * M);
    expect(sum.directions[0].uniqueBytes).toBe(5 * M);
    expect(sum.directions[1].duplicateAcks).toBe(2);
    expect(sum.diagnosis.map((d) => d.code)).toContain('congestion-limited');
    expect(sum.completenessText).toBe('incomplete: SYN SYN-ACK ACK DATA');
    const ser = conversationSeries(an, an.conversations[0]!, 0);
    expect(ser.cwndEstimate.method).toBe(CWND_ESTIMATE_METHOD);
    expect(Math.max(...ser.cwndEstimate.v)).toBe(5 * M);
    expect(ser.rtt.v.length).toBeGreaterThan(0);
    expect(ser.throughput.v.reduce((a, b) => a + b, 0)).toBeGreaterThan(ser.goodput.v.reduce((a, b) => a + b, 0));
  });

  it('merges SACK ranges and formats times like tshark', () => {
    const r = new RangeSet();
    r.add(10, 20);
    r.add(30, 40);
    r.add(15, 35);
    r.add(50, 60);
    expect([r.starts, r.ends]).toEqual([
      [10, 50],
      [40, 60],
    ]);
    expect(r.covered(0, 55)).toBe(35);
    r.trimBelow(55);
    expect([r.starts, r.ends]).toEqual([[55], [60]]);
    expect(formatSeconds(1_234_567_891)).toBe('1.234567891');
    expect(formatSeconds(56_000)).toBe('0.000056000');
  });
});
