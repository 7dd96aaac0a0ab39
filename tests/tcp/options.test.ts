/**
 * Options: MSS (RFC 9293 §3.7.1), window scale, timestamps RTTM/PAWS (RFC 7323), SACK (RFC 2018).
 */
import { describe, expect, it } from 'vitest';
import { seq, seqAdd } from '@shared/wire/seq';
import { Harness, LOCAL_ISS, REMOTE_ISS, TCP_ACK, TCP_SYN, bytes, lseq, rseq } from './harness';
import type { TcpConfig } from '../../src-main/stack/tcp/connection';
import type { TcpOption } from '../../src-main/stack/tcp/segment';

const FULL: Partial<TcpConfig> = { mss: 1460, receiveBufferSize: 1 << 20, sendBufferSize: 1 << 20 };

function tsOf(opts: TcpOption[]) {
  const t = opts.find((o) => o.kind === 'timestamps');
  return t && t.kind === 'timestamps' ? t : null;
}

function passiveWithOptions(peer: TcpOption[], config: Partial<TcpConfig> = FULL): Harness {
  const h = new Harness(config);
  h.conn.listen(() => LOCAL_ISS);
  h.recv({ flags: TCP_SYN, seq: REMOTE_ISS, window: 65535, options: peer });
  return h;
}

const LINUX_SYN: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval: 1000, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

describe('SYN options', () => {
  it('an active SYN offers MSS (MTU − 40), SACK-permitted, timestamps and window scale', () => {
    const h = new Harness(FULL);
    h.conn.connect(LOCAL_ISS);
    const s = h.one();
    expect(s.options).toContainEqual({ kind: 'mss', value: 1460 });
    expect(s.options.some((o) => o.kind === 'sack-permitted')).toBe(true);
    expect(tsOf(s.options)?.tsecr).toBe(0);
    // 1 MiB buffer needs shift 5 to be advertised in 16 bits (RFC 7323 §2.3).
    expect(s.options).toContainEqual({ kind: 'wscale', shift: 5 });
    expect(s.window).toBe(65535); // a SYN's window is never scaled
  });
  it('a SYN,ACK answers only what the peer offered', () => {
    const h = passiveWithOptions([{ kind: 'mss', value: 1400 }]);
    const s = h.one();
    expect(s.options.map((o) => o.kind).filter((k) => k !== 'nop')).toEqual(['mss']);
    expect(h.conn.wsOk || h.conn.sackOk || h.conn.tsOk).toBe(false);
    expect(h.conn.effectiveMss()).toBe(1400);
  });
  it('without an MSS option the peer MSS is 536 (RFC 9293 §3.7.1)', () => {
    const h = passiveWithOptions([]);
    expect(h.conn.peerMss).toBe(536);
  });
  it('all four options negotiated with a Linux-like SYN; TS echoes TSval', () => {
    const h = passiveWithOptions(LINUX_SYN);
    const s = h.one();
    expect(h.conn.wsOk && h.conn.sackOk && h.conn.tsOk).toBe(true);
    expect(tsOf(s.options)?.tsecr).toBe(1000);
    expect(h.conn.sndShift).toBe(7);
    expect(h.conn.rcvShift).toBe(5);
  });
  it('a window-scale shift above 14 is used as 14 (RFC 7323 §2.3)', () => {
    const h = passiveWithOptions([{ kind: 'wscale', shift: 20 }]);
    expect(h.conn.sndShift).toBe(14);
  });
});

describe('window scaling', () => {
  it('windows after the SYN are scaled both ways', () => {
    const h = passiveWithOptions(LINUX_SYN);
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), window: 100, options: [{ kind: 'timestamps', tsval: 1001, tsecr: 0 }] });
    expect(h.conn.sndWnd).toBe(100 << 7);
    h.conn.write(bytes(10));
    const d = h.one();
    expect(d.window).toBe(Math.min(0xffff, (1 << 20) >> 5));
  });
});

describe('timestamps (RFC 7323)', () => {
  function tsEstablished(): Harness {
    const h = passiveWithOptions(LINUX_SYN, { ...FULL, delayedAckMs: 0 });
    h.take();
    h.at(50);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), options: [{ kind: 'timestamps', tsval: 1005, tsecr: 0 }] });
    return h;
  }
  it('RTTM: the RTT comes from TSecr (now − TSecr)', () => {
    const h = tsEstablished();
    h.conn.write(bytes(100));
    const d = h.one();
    const ts = tsOf(d.options)!;
    expect(ts.tsecr).toBe(1005); // TS.Recent
    h.at(80);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(100), options: [{ kind: 'timestamps', tsval: 1010, tsecr: ts.tsval }] });
    expect(h.conn.rtt.latestRtt).toBe(30);
  });
  it('PAWS: a segment with an older TSval is dropped and answered by an ACK (§5.3 R1)', () => {
    const h = tsEstablished();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(10), options: [{ kind: 'timestamps', tsval: 900, tsecr: 0 }] });
    expect(h.conn.readableBytes).toBe(0);
    expect(h.one().ack).toBe(rseq(0));
    expect(h.events.some((e) => e.kind === 'drop' && e.data.reason === 'paws')).toBe(true);
  });
  it('TS.Recent advances only for segments covering Last.ACK.sent (§4.3)', () => {
    const h = tsEstablished();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(10), options: [{ kind: 'timestamps', tsval: 2000, tsecr: 0 }] });
    const a = h.one();
    expect(tsOf(a.options)!.tsecr).toBe(2000);
    // Out-of-order segment (beyond Last.ACK.sent): its TSval must not become TS.Recent.
    h.recv({ flags: TCP_ACK, seq: rseq(100), ack: lseq(0), payload: bytes(10), options: [{ kind: 'timestamps', tsval: 3000, tsecr: 0 }] });
    expect(tsOf(h.one().options)!.tsecr).toBe(2000);
  });
  it('TS.Recent idle for more than 24 days is invalid: PAWS no longer drops the older TSval (§5.5)', () => {
    const h = tsEstablished();
    const DAY = 24 * 3600 * 1000;
    h.at(50 + 24 * DAY - 1);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(5), options: [{ kind: 'timestamps', tsval: 900, tsecr: 0 }] });
    expect(h.conn.readableBytes).toBe(0); // still valid one ms before: dropped
    h.take();
    h.at(50 + 24 * DAY);
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(5), options: [{ kind: 'timestamps', tsval: 900, tsecr: 0 }] });
    expect(h.conn.readableBytes).toBe(5);
    // and the accepted segment's TSval becomes TS.Recent
    expect(tsOf(h.one().options)!.tsecr).toBe(900);
  });
  it('TSval wraps modulo 2^32 in PAWS comparisons', () => {
    const h = passiveWithOptions([{ kind: 'timestamps', tsval: 0xfffffff0, tsecr: 0 }], { ...FULL, delayedAckMs: 0 });
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), options: [{ kind: 'timestamps', tsval: 0xfffffff1, tsecr: 0 }] });
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), payload: bytes(5), options: [{ kind: 'timestamps', tsval: 5, tsecr: 0 }] });
    expect(h.conn.readableBytes).toBe(5); // 5 is "after" 0xfffffff1
  });
});

describe('SACK blocks generated by the receiver (RFC 2018)', () => {
  function sackEstablished(ts = false): Harness {
    const opts: TcpOption[] = [{ kind: 'mss', value: 1000 }, { kind: 'sack-permitted' }];
    if (ts) opts.push({ kind: 'timestamps', tsval: 1, tsecr: 0 });
    const h = passiveWithOptions(opts);
    h.take();
    h.recv({ flags: TCP_ACK, seq: rseq(0), ack: lseq(0), options: ts ? [{ kind: 'timestamps', tsval: 2, tsecr: 0 }] : [] });
    h.take();
    return h;
  }
  function sackOf(opts: TcpOption[]) {
    const s = opts.find((o) => o.kind === 'sack');
    return s && s.kind === 'sack' ? s.blocks.map((b) => [b.left, b.right]) : [];
  }
  it('the first block reports the most recent segment; older blocks follow (§4)', () => {
    const h = sackEstablished();
    h.recv({ seq: rseq(100), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one().options)).toEqual([[rseq(100), rseq(200)]]);
    h.recv({ seq: rseq(300), ack: lseq(0), payload: bytes(100) });
    expect(sackOf(h.one().options)).toEqual([
      [rseq(300), rseq(400)],
      [rseq(100), rseq(200)],
    ]);
    h.recv({ seq: rseq(200), ack: lseq(0), payload: bytes(50) });
    // Merged block containing the newest segment first.
    expect(sackOf(h.one().options)).toEqual([
      [rseq(100), rseq(250)],
      [rseq(300), rseq(400)],
    ]);
    h.recv({ seq: rseq(0), ack: lseq(0), payload: bytes(100) });
    const a = h.one();
    expect(a.ack).toBe(rseq(250));
    expect(sackOf(a.options)).toEqual([[rseq(300), rseq(400)]]);
  });
  it('data segments carrying SACK blocks shrink their payload so options + data fit the MSS (RFC 6691)', async () => {
    const { optionsLength } = await import('../../src-main/stack/tcp/segment');
    const h = sackEstablished(true);
    h.recv({ seq: rseq(100), ack: lseq(0), payload: bytes(100), options: [{ kind: 'timestamps', tsval: 3, tsecr: 0 }] });
    h.recv({ seq: rseq(300), ack: lseq(0), payload: bytes(100), options: [{ kind: 'timestamps', tsval: 4, tsecr: 0 }] });
    h.take();
    h.conn.write(bytes(3000));
    const segs = h.take().filter((s) => s.payload.length > 0);
    expect(segs.length).toBeGreaterThan(1);
    for (const s of segs) {
      expect(s.options.some((o) => o.kind === 'sack')).toBe(true);
      expect(s.payload.length + optionsLength(s.options)).toBeLessThanOrEqual(1000);
    }
    expect(segs[0]!.payload.length).toBe(1000 - 12 - 20); // TS 12, SACK 2 blocks = 20 bytes
  });
  it('at most 4 blocks, or 3 with timestamps (§3)', () => {
    for (const [ts, max] of [
      [false, 4],
      [true, 3],
    ] as const) {
      const h = sackEstablished(ts);
      for (let i = 1; i <= 6; i++) {
        h.recv({ seq: rseq(i * 200), ack: lseq(0), payload: bytes(100), options: ts ? [{ kind: 'timestamps', tsval: 2 + i, tsecr: 0 }] : [] });
      }
      const last = h.take().pop()!;
      expect(sackOf(last.options)).toHaveLength(max);
      expect(sackOf(last.options)[0]).toEqual([rseq(1200), rseq(1300)]);
    }
  });
});

describe('ISN (RFC 6528)', () => {
  it('SipHash-2-4 matches the reference vectors', async () => {
    const { sipHash24 } = await import('../../src-main/stack/tcp/isn');
    const key = [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c];
    const empty = sipHash24(key, []);
    expect([empty.hi.toString(16), empty.lo.toString(16)]).toEqual(['726fdb47', 'dd0e0e31']);
    const eight = sipHash24(key, [0x03020100, 0x07060504]);
    expect([eight.hi.toString(16), eight.lo.toString(16)]).toEqual(['93f5f579', '9a932462']);
  });
  it('differs per four-tuple and advances with the 4 µs clock', async () => {
    const { IsnGenerator } = await import('../../src-main/stack/tcp/isn');
    const g = new IsnGenerator([1, 2, 3, 4]);
    const t = { localAddr: 1, localPort: 80, remoteAddr: 2, remotePort: 5000 };
    const a0 = g.isn(t, 0);
    const a1 = g.isn(t, 1); // 1 ms later = 250 ticks
    expect(seqAdd(a0, 250)).toBe(a1);
    expect(g.isn({ ...t, remotePort: 5001 }, 0)).not.toBe(a0);
    expect(new IsnGenerator([5, 6, 7, 8]).isn(t, 0)).not.toBe(a0);
    expect(seq(a0)).toBe(a0);
  });
});
