import { describe, expect, it } from 'vitest';
import { SackScoreboard } from '../../src-main/stack/tcp/congestion/scoreboard';

const MSS = 1000;
const blk = (left: number, right: number) => ({ left, right });

/** Ten segments [0, 10000) in flight, starting at sequence `base`. */
function tenInFlight(base = 0): SackScoreboard {
  const sb = new SackScoreboard({ mss: MSS });
  sb.reset(base, (base + 10 * MSS) >>> 0);
  return sb;
}

describe('RFC 6675 scoreboard: IsLost with DupThresh = 3', () => {
  it('one lost segment becomes lost on the third SACKed segment above it', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 2000)]);
    expect(sb.isLost(0)).toBe(false);
    sb.update(0, [blk(1000, 3000)]);
    // 2 segments, 2000 bytes: not more than (DupThresh − 1)·SMSS
    expect(sb.isLost(0)).toBe(false);
    expect(sb.pipe()).toBe(8000);
    const u = sb.update(0, [blk(1000, 4000)]);
    expect(u.newlySackedBytes).toBe(1000);
    expect(sb.isLost(0)).toBe(true);
    expect(sb.isLost(4000)).toBe(false);
    expect(sb.sackedBytes).toBe(3000);
    expect(sb.lostBytes).toBe(1000);
    // SetPipe: [0,1000) lost and not retransmitted → 0; [4000,10000) in flight → 6000.
    expect(sb.pipe()).toBe(6000);
  });

  it('the byte rule: more than (DupThresh − 1)·SMSS SACKed bytes in fewer blocks', () => {
    const sb = new SackScoreboard({ mss: MSS });
    sb.reset(0, 3000);
    // One SACK block of 2001 bytes (3 partial segments): the byte rule and the segment rule agree.
    sb.update(0, [blk(999, 3000)]);
    expect(sb.isLost(0)).toBe(true);
    const sb2 = new SackScoreboard({ mss: 1500 });
    sb2.reset(0, 10000);
    sb2.update(0, [blk(1500, 4501)]); // 3001 bytes > 2·1500, but in 3 segments: lost either way
    expect(sb2.isLost(0)).toBe(true);
    sb2.update(0, [blk(1500, 4500)]); // no change: already merged
    expect(sb2.sackedBytes).toBe(3001);
  });
});

describe('RFC 6675 recovery: pipe, NextSeg rules 1–4, HighRxt, RescueRxt', () => {
  it('enter recovery retransmits HighACK and sets HighRxt = RescueRxt = its end (§5 step 4.3)', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 4000)]);
    const first = sb.enterRecovery();
    expect(first).toEqual({ seq: 0, len: 1000, rule: 1 });
    expect(sb.recoveryPoint).toBe(10000);
    expect(sb.highRxt).toBe(1000);
    expect(sb.rescueRxt).toBe(1000);
    // The retransmission is in flight again.
    expect(sb.pipe()).toBe(7000);
    // Nothing else is lost; rule 2 sends new data, if any.
    expect(sb.nextSeg(0)).toBeNull();
    expect(sb.nextSeg(5000)).toEqual({ seq: 10000, len: 1000, rule: 2 });
    sb.sent({ seq: 10000, len: 1000, rule: 2 });
    expect(sb.highData).toBe(11000);
    expect(sb.pipe()).toBe(8000);
  });

  it('two holes: rule 1 picks the next lost hole above HighRxt; a partial ACK keeps recovery', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 2000)]);
    sb.update(0, [blk(3000, 4000), blk(1000, 2000)]);
    sb.update(0, [blk(3000, 5000), blk(1000, 2000)]);
    expect(sb.isLost(2000)).toBe(false);
    expect(sb.isLost(0)).toBe(true); // 3 SACKed segments above 0
    sb.update(0, [blk(3000, 6000), blk(1000, 2000)]);
    expect(sb.isLost(2000)).toBe(true);
    expect(sb.lostBytes).toBe(2000);
    expect(sb.enterRecovery()).toEqual({ seq: 0, len: 1000, rule: 1 });
    const next = sb.nextSeg(0);
    expect(next).toEqual({ seq: 2000, len: 1000, rule: 1 });
    sb.sent(next!);
    expect(sb.highRxt).toBe(3000);
    // Un-SACKed in flight: [6000,10000) = 4000, plus both retransmissions = 2000.
    expect(sb.pipe()).toBe(6000);
    expect(sb.nextSeg(0)).toBeNull();
    // Partial ACK for the first retransmission: SND.UNA = 2000; 1000 bytes SACKed before are not new.
    const u = sb.update(2000, [blk(3000, 6000)]);
    expect(u.newlyAckedBytes).toBe(1000);
    expect(sb.inRecovery).toBe(true);
    expect(sb.blocks()).toEqual([blk(3000, 6000)]);
    // Full ACK at the recovery point ends recovery.
    sb.update(10000, []);
    expect(sb.inRecovery).toBe(false);
    expect(sb.pipe()).toBe(0);
  });

  it('rule 3: an un-SACKed segment below the highest SACK that is not yet lost', () => {
    const sb = tenInFlight();
    // Segment 0 lost (3 SACKed above); segment 7 missing but only 2 segments SACKed above it.
    sb.update(0, [blk(1000, 7000)]);
    sb.update(0, [blk(8000, 10000), blk(1000, 7000)]);
    expect(sb.isLost(7000)).toBe(false);
    sb.enterRecovery();
    expect(sb.nextSeg(0)).toEqual({ seq: 7000, len: 1000, rule: 3 });
    // New data comes before rule 3.
    expect(sb.nextSeg(1)).toEqual({ seq: 10000, len: 1, rule: 2 });
  });

  it('rule 4: one rescue retransmission of the tail, once per recovery', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 9000)]); // segments 0 and 9 lost; 9 has nothing SACKed above it
    sb.enterRecovery();
    expect(sb.nextSeg(0)).toBeNull(); // HighACK (0) is not above RescueRxt (1000) yet
    sb.update(9000, []); // the retransmission of segment 0 is ACKed
    const rescue = sb.nextSeg(0);
    expect(rescue).toEqual({ seq: 9000, len: 1000, rule: 4 });
    sb.sent(rescue!);
    expect(sb.rescueRxt).toBe(10000); // RescueRxt = RecoveryPoint
    expect(sb.highRxt).toBe(9000); // HighRxt not updated by rule 4
    expect(sb.nextSeg(0)).toBeNull();
  });

  it('D-SACK (RFC 2883) is recognised and not counted as new SACK', () => {
    const sb = tenInFlight();
    sb.update(5000, []);
    const u = sb.update(5000, [blk(1000, 2000)]);
    expect(u.dsack).toBe(true);
    expect(u.newlySackedBytes).toBe(0);
    const v = sb.update(5000, [blk(6000, 7000), blk(6000, 8000)]);
    expect(v.dsack).toBe(true);
    expect(v.newlySackedBytes).toBe(2000);
    const w = sb.update(5000, [blk(20000, 21000)]);
    expect(w.ignoredBlocks).toBe(1);
  });

  it('works across the 2^32 sequence wrap', () => {
    const base = 0xffff_f000; // 4096 bytes before the wrap
    const sb = tenInFlight(base);
    const s = (n: number) => (base + n) >>> 0;
    sb.update(base, [blk(s(1000), s(4000))]);
    expect(sb.isLost(base)).toBe(true);
    expect(sb.pipe()).toBe(6000);
    expect(sb.enterRecovery()).toEqual({ seq: base, len: 1000, rule: 1 });
    expect(sb.recoveryPoint).toBe(s(10000));
    const u = sb.update(s(5000), []);
    expect(u.newlyAckedBytes).toBe(2000); // [0,1000) and [4000,5000); [1000,4000) was SACKed
    expect(sb.highAck).toBe(s(5000));
    expect(sb.highAck).toBeLessThan(base); // wrapped past 2^32
    expect(sb.pipe()).toBe(5000);
  });
});

describe('lost retransmissions (Linux tcp_mark_lost_retrans, RFC 8985 §6.2 in sequence order)', () => {
  it('a retransmission is lost once DupThresh segments sent after it are SACKed; NextSeg resends it first', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 4000)]);
    expect(sb.enterRecovery()).toEqual({ seq: 0, len: 1000, rule: 1 });
    // New data [10000, 13000) goes out after the retransmission (rule 2).
    for (let s = 10000; s < 13000; s += MSS) sb.sent({ seq: s, len: MSS, rule: 2 });
    // Two of them SACKed: not yet enough (the retransmission may merely be reordered).
    sb.update(0, [blk(10000, 12000), blk(1000, 10000)]);
    expect(sb.lostRetransmissions).toBe(0);
    expect(sb.nextSeg(0)).toBeNull();
    expect(sb.pipe()).toBe(1000 + 1000); // the retransmission and [12000, 13000)
    sb.update(0, [blk(10000, 13000), blk(1000, 10000)]);
    expect(sb.lostRetransmissions).toBe(1);
    expect(sb.lostAgainBytes).toBe(1000);
    // The lost retransmission no longer counts in pipe.
    expect(sb.pipe()).toBe(0);
    const again = sb.nextSeg(0);
    expect(again).toEqual({ seq: 0, len: 1000, rule: 1 });
    sb.sent(again!);
    expect(sb.lostAgainBytes).toBe(0);
    expect(sb.pipe()).toBe(1000);
    expect(sb.nextSeg(0)).toBeNull();
  });

  it('SACKs of data sent before the retransmission never declare it lost', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 4000)]);
    sb.enterRecovery();
    sb.update(0, [blk(1000, 10000)]);
    expect(sb.lostRetransmissions).toBe(0);
    expect(sb.nextSeg(0)).toBeNull();
  });

  it('a retransmission that arrives (cumulative ACK) is forgotten', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(1000, 4000)]);
    sb.enterRecovery();
    sb.update(10000, []);
    for (let s = 10000; s < 14000; s += MSS) sb.sent({ seq: s, len: MSS, rule: 2 });
    sb.update(10000, [blk(11000, 14000)]);
    expect(sb.lostRetransmissions).toBe(0);
  });
});

describe('SACK information across a retransmission timeout', () => {
  it('keepSackedAfterTimeout keeps the SACKed ranges and forgets retransmissions and recovery', () => {
    const sb = tenInFlight();
    sb.update(0, [blk(2000, 4000), blk(6000, 8000)]);
    sb.enterRecovery();
    sb.keepSackedAfterTimeout(0, 10000);
    expect(sb.inRecovery).toBe(false);
    expect(sb.highRxt).toBe(0);
    expect(sb.blocks()).toEqual([blk(2000, 4000), blk(6000, 8000)]);
    expect(sb.sackedIn(0, 5000)).toBe(2000);
    expect(sb.sackedRangeEnd(2500)).toBe(4000);
    expect(sb.sackedRangeEnd(4000)).toBeNull();
    expect(sb.nextSackedStart(4000)).toBe(6000);
    expect(sb.nextSackedStart(6000)).toBeNull();
  });

  it('works across the 2^32 wrap', () => {
    const base = 0xffffffff - 2500;
    const sb = tenInFlight(base);
    sb.update(base, [blk((base + 2000) >>> 0, (base + 4000) >>> 0)]);
    sb.keepSackedAfterTimeout(base, (base + 10000) >>> 0);
    expect(sb.sackedRangeEnd((base + 3000) >>> 0)).toBe((base + 4000) >>> 0);
    expect(sb.sackedIn(base, (base + 3000) >>> 0)).toBe(1000);
  });
});
