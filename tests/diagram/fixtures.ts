/** Hand-made ladder data for the pure layout and exporter tests (a lab-like run and a capture). */
import type { LadderData, LadderSegmentDto } from '../../src-shared/model/conversation';

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const PSH = 0x08;

function seg(p: Partial<LadderSegmentDto> & Pick<LadderSegmentDto, 'dir' | 'tx' | 'seq' | 'ack' | 'flags'>): LadderSegmentDto {
  return { frame: null, rx: null, seen: 'one-sided', win: 4096, len: 0, af: 0, ...p };
}

/**
 * Stevens' figure: A (ISN 1000) connects to B (ISN 5000), sends 1024 bytes, one of them is lost
 * on the way and retransmitted, then both close. 10 ms one-way delay; a 2 s idle gap before close.
 */
export function labLike(): LadderData {
  const ms = (n: number) => n * 1000;
  const segments: LadderSegmentDto[] = [
    seg({ frame: 1, dir: 0, tx: ms(0), rx: ms(10), seen: 'both', seq: 1000, ack: 0, flags: SYN, opts: { mss: 1460 } }),
    seg({ frame: 2, dir: 1, tx: ms(10), rx: ms(20), seen: 'both', seq: 5000, ack: 1001, flags: SYN | ACK, opts: { mss: 1024 } }),
    seg({ frame: 3, dir: 0, tx: ms(20), rx: ms(30), seen: 'both', seq: 1001, ack: 5001, flags: ACK }),
    seg({ frame: 4, dir: 0, tx: ms(21), rx: null, seen: 'lost', seq: 1001, ack: 5001, flags: ACK | PSH, len: 1024 }),
    seg({ frame: 5, dir: 0, tx: ms(221), rx: ms(231), seen: 'both', seq: 1001, ack: 5001, flags: ACK | PSH, len: 1024, af: 0x0001 }),
    seg({ frame: 6, dir: 1, tx: ms(231), rx: ms(241), seen: 'both', seq: 5001, ack: 2025, flags: ACK }),
    seg({ frame: 7, dir: 0, tx: ms(2241), rx: ms(2251), seen: 'both', seq: 2025, ack: 5001, flags: FIN | ACK }),
    seg({ frame: 8, dir: 1, tx: ms(2251), rx: ms(2261), seen: 'both', seq: 5001, ack: 2026, flags: FIN | ACK }),
    seg({ frame: 9, dir: 0, tx: ms(2261), rx: ms(2271), seen: 'both', seq: 2026, ack: 5002, flags: ACK }),
  ];
  const st = (side: 0 | 1, t: number, from: string, state: string, frame: number | null) => ({ side, t: ms(t), from, state, inferred: false, frame, cause: 'test' });
  return {
    stream: 0,
    endpoints: ['192.0.2.1:1025', '192.0.2.2:80'],
    isn: [1000, 5000],
    source: 'lab',
    initialStates: ['CLOSED', 'LISTEN'],
    segments,
    states: [
      st(0, 0, 'CLOSED', 'SYN-SENT', 1),
      st(1, 10, 'LISTEN', 'SYN-RECEIVED', 1),
      st(0, 20, 'SYN-SENT', 'ESTABLISHED', 2),
      st(1, 30, 'SYN-RECEIVED', 'ESTABLISHED', 3),
      st(0, 2241, 'ESTABLISHED', 'FIN-WAIT-1', 7),
      st(1, 2251, 'ESTABLISHED', 'CLOSE-WAIT', 7),
      st(1, 2251, 'CLOSE-WAIT', 'LAST-ACK', 8),
      st(0, 2261, 'FIN-WAIT-1', 'TIME-WAIT', 8),
      st(1, 2271, 'LAST-ACK', 'CLOSED', 9),
    ],
    timers: [
      { side: 0, timer: 'rto', start: ms(21), end: ms(221), outcome: 'fired' },
      { side: 0, timer: 'time-wait', start: ms(2261), end: ms(2271), outcome: 'running' },
    ],
    endUs: ms(2271),
  };
}

/** A capture of n bulk segments A→B with an ACK every other one (for scale tests). */
export function bulkCapture(n: number): LadderData {
  const segments: LadderSegmentDto[] = [];
  let seqA = 1;
  for (let i = 0; i < n; i++) {
    const t = i * 100 + (i > n / 2 ? 5_000_000 : 0); // one idle gap of 5 s in the middle
    if (i % 3 === 2) segments.push(seg({ frame: i + 1, dir: 1, tx: t, seq: 1, ack: seqA, flags: ACK }));
    else {
      segments.push(seg({ frame: i + 1, dir: 0, tx: t, seq: seqA, ack: 1, flags: ACK, len: 1448 }));
      seqA += 1448;
    }
  }
  return {
    stream: 0,
    endpoints: ['10.0.0.1:40000', '10.0.0.2:5201'],
    isn: [0, 0],
    source: 'capture',
    initialStates: ['ESTABLISHED', 'ESTABLISHED'],
    segments,
    states: [],
    timers: [],
    endUs: segments[segments.length - 1]!.tx,
  };
}
