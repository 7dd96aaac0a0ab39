import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBitRate, parseSsTcpInfo, parseTimerText, SsParseError } from '../../src-main/capture/ss-tcp-info';

/**
 * The `ss -tin` parser on output captured on this machine (iproute2 6.1, Linux 6.18): two kernel
 * namespaces over a veth with 2–3% iptables `statistic` drops, senders running reno, cubic and bbr.
 */
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/ss', name), 'utf8');

describe('ss -tin parser', () => {
  it('reads every field of a cubic sender (-tinoH: options, timer)', () => {
    const [s, ...rest] = parseSsTcpInfo(fixture('cubic-sender-tinoH.txt'));
    expect(rest).toHaveLength(0);
    expect(s).toMatchObject({
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 96520,
      local: '192.0.2.1:37726',
      peer: '192.0.2.2:5001',
      congestion: 'cubic',
      options: { ts: true, sack: true, ecn: false, ecnseen: false, fastopen: false },
      wscale: { snd: 10, rcv: 10 },
      rtoMs: 204,
      rttMs: 0.028,
      rttVarMs: 0.026,
      mss: 1448,
      pmtu: 1500,
      rcvMss: 536,
      advMss: 1448,
      cwnd: 27,
      ssthresh: 26,
      bytesSent: 23222000,
      bytesRetrans: 466984,
      bytesAcked: 22716417,
      segsOut: 16337,
      segsIn: 3989,
      dataSegsOut: 16335,
      sendBps: 11170285714,
      lastRecvMs: 1200,
      lastSendMs: null,
      pacingRateBps: 13054664344,
      deliveryRateBps: 11584000000,
      delivered: 16014,
      appLimited: true,
      busyMs: 1196,
      unacked: 27,
      retrans: 0,
      retransTotal: 330,
      dsackDups: 35,
      reordering: 12,
      reordSeen: 18,
      rcvSpace: 14480,
      rcvSsthresh: 64088,
      notSent: 76088,
      minRttMs: 0.003,
      sndWnd: 775168,
      timer: { name: 'on', expiresMs: 4, retrans: 0 },
      bbr: null,
    });
    expect(s!.extra).toEqual({});
  });

  it('reads bbr groups, rwnd_limited, lost/sacked, and reno beside it (-tinH)', () => {
    const socks = parseSsTcpInfo(fixture('reno-bbr-senders-tinH.txt'));
    expect(socks.map((s) => s.congestion)).toEqual(['reno', 'bbr']);
    const [reno, bbr] = socks;
    expect(reno).toMatchObject({ cwnd: 1, ssthresh: 2, lost: 1, sacked: 1, unacked: 2, retrans: 1, retransTotal: 272, reordering: 6, lastSendMs: 196, lastAckMs: 196 });
    expect(bbr!.bbr).toEqual({ bwBps: 11584000000, minRttMs: 0.002, pacingGain: 1, cwndGain: 2 });
    expect(bbr).toMatchObject({ cwnd: 1, ssthresh: 225, appLimited: true, timer: null, options: { ts: false, sack: false } });
    for (const s of socks) expect(s.extra).toEqual({});
  });

  it('reads the receiving side (ato, bytes_received, rcv_rtt, rcv_ooopack, no ssthresh)', () => {
    const socks = parseSsTcpInfo(fixture('bbr-receivers-tinH.txt'));
    expect(socks).toHaveLength(2);
    expect(socks[0]).toMatchObject({ local: '192.0.2.2:5001', peer: '192.0.2.1:59712', atoMs: 40, bytesReceived: 34784496, dataSegsIn: 24465, rcvRttMs: 1, rcvOooPack: 972, ssthresh: null, cwnd: 10, bytesAcked: 0 });
  });

  it('has no state column under a state filter, and skips the header line', () => {
    const filtered = parseSsTcpInfo(fixture('reno-bbr-state-filter-tinH.txt'));
    expect(filtered.map((s) => [s.state, s.sendQ, s.local])).toEqual([
      [null, 113424, '192.0.2.1:59712'],
      [null, 1572864, '192.0.2.1:59716'],
    ]);
    const withHeader = parseSsTcpInfo(fixture('cubic-sender-header.txt'));
    expect(withHeader).toHaveLength(1);
    expect(withHeader[0]).toMatchObject({ state: 'ESTAB', cwnd: 27, ssthresh: 27, lastRecvMs: 1208 });
  });

  it('keeps -e and -m tokens it does not interpret in extra, and still reads the rest', () => {
    const [s] = parseSsTcpInfo(fixture('cubic-sender-state-filter-emo.txt'));
    expect(s).toMatchObject({ state: null, congestion: 'cubic', cwnd: 2, ssthresh: 2, lost: 1, sacked: 3, timer: { name: 'on', expiresMs: 4, retrans: 0 } });
    expect(s!.extra).toMatchObject({ ino: '658120', sk: 'a', '<->': '', skmem: '(r0,rb131072,t0,tb188928,f1664,w133504,o0,bl0,d0)' });
  });

  it('reads iproute2 fields this kernel did not print (backoff, pacing max, dctcp, IPv6, sndbuf_limited, unknown keys)', () => {
    const text =
      'SYN-SENT 0 1 [::ffff:192.0.2.1]:40000 [::ffff:192.0.2.2]:80 timer:(on,1.500ms,2)\n' +
      '\t ts sack ecn ecnseen fastopen dctcp wscale:7,7 rto:3000 backoff:2 rtt:10.5/5.25 qack:1 bidir mss:536 cwnd:1 pacing_rate 1.5Mbps/2Gbps dctcp:(ce_state:1,alpha:64,ab_ecn:10,ab_tot:100) sndbuf_limited:5ms(1.0%) delivered_ce:3 fackets:2 rcv_wnd:65535 rehash:1 tcp-ulp-tls\n' +
      'ESTAB 0 0 [2001:db8::1]%eth0:22 [2001:db8::2]:5000\n' +
      '\t dctcp:fallback_mode cubic\n';
    const [a, b] = parseSsTcpInfo(text);
    expect(a).toMatchObject({
      state: 'SYN-SENT',
      local: '192.0.2.1:40000',
      peer: '192.0.2.2:80',
      options: { ts: true, sack: true, ecn: true, ecnseen: true, fastopen: true },
      congestion: 'dctcp',
      wscale: { snd: 7, rcv: 7 },
      backoff: 2,
      rttMs: 10.5,
      qack: 1,
      pacingRateBps: 1.5e6,
      pacingRateMaxBps: 2e9,
      dctcp: { ceState: 1, alpha: 64, abEcn: 10, abTot: 100 },
      sndbufLimitedMs: 5,
      deliveredCe: 3,
      fackets: 2,
      rcvWnd: 65535,
      timer: { name: 'on', expiresMs: 1500, retrans: 2 },
    });
    expect(a!.extra).toEqual({ bidir: '', rehash: '1', 'tcp-ulp-tls': '' });
    expect(b).toMatchObject({ local: '[2001:db8::1]:22', peer: '[2001:db8::2]:5000', dctcp: 'fallback', congestion: 'cubic' });
  });

  it("reads the kernel's side of a connection to tcplab's stack over the TAP (both directions sending)", () => {
    const [s] = parseSsTcpInfo(fixture('tap-kernel-cubic-bidir-tinoH.txt'));
    expect(s).toMatchObject({
      local: '192.0.2.1:5003',
      congestion: 'cubic',
      options: { ts: true, sack: true },
      // tcplab's 256 KiB receive buffer → its shift 3 (tests/tcp/interop.test.ts checks the same).
      wscale: { snd: 3, rcv: 10 },
      rttMs: 16.76,
      rttVarMs: 4.802,
      atoMs: 40,
      cwnd: 42,
      ssthresh: 42,
      bytesSent: 485432,
      bytesAcked: 466608,
      bytesReceived: 708072,
      rcvOooPack: 91,
      sndWnd: 256352,
      timer: { name: 'on', expiresMs: 36, retrans: 0 },
    });
    expect(s!.peer).toMatch(/^192\.0\.2\.2:\d+$/);
    expect(s!.extra).toEqual({});
  });

  it('rejects text that is not ss output, naming the line', () => {
    expect(() => parseSsTcpInfo('hello world\n')).toThrow(SsParseError);
    expect(() => parseSsTcpInfo('ESTAB 0 0 192.0.2.1:1\n')).toThrow(/line 1: expected local and peer/);
    expect(() => parseSsTcpInfo('\t cubic cwnd:10\n')).toThrow(/line 1: socket details before any socket line/);
    expect(parseSsTcpInfo('')).toEqual([]);
  });

  it('converts ss rates and timers', () => {
    expect(parseBitRate('827428568bps')).toBe(827428568);
    expect(parseBitRate('4.4Gbps')).toBeCloseTo(4.4e9);
    expect(parseBitRate('12Kbps')).toBe(12000);
    expect(parseBitRate('fast')).toBeNull();
    expect(parseTimerText('200ms')).toBe(200);
    expect(parseTimerText('1.500ms')).toBe(1500);
    expect(parseTimerText('12sec')).toBe(12000);
    expect(parseTimerText('2min')).toBe(120000);
    expect(parseTimerText('1min30sec')).toBe(90000);
    expect(parseTimerText('soon')).toBeNull();
  });
});
