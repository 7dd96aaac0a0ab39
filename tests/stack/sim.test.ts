import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '@shared/wire/address';
import { settle, twoStacks } from './helpers';
import { startServices } from '../../src-main/stack/services';
import { SocketError } from '../../src-main/stack/errors';

describe('two stacks over a virtual link (manual clock)', () => {
  it('ping resolves ARP first, then measures the RTT on the simulated clock', async () => {
    const { a, b, clock } = twoStacks({ aToB: { delayMs: 5 }, bToA: { delayMs: 5 } });
    const reply = await settle(clock, a.icmp.ping('192.0.2.2', { size: 56 }));
    // B's gratuitous ARP reaches A at 5 ms and resolves A's incomplete entry (RFC 826 merge),
    // so the queued echo request leaves at 5 ms: RTT 15 ms, not 20.
    expect(reply.rttMs).toBe(15);
    expect(reply.bytes).toBe(64);
    expect(reply.ttl).toBe(64);
    const second = await settle(clock, a.icmp.ping('192.0.2.2'));
    expect(second.rttMs).toBe(10);
    expect(second.sequence).toBe(reply.sequence + 1);
    expect(a.arp.entries()).toEqual([expect.objectContaining({ ip: '192.0.2.2', mac: '02:00:00:00:00:02', state: 'reachable' })]);
    expect(b.counters.get('icmp.tx.echo-replies')).toBe(2);
  });

  it('a ping to an absent host fails with EHOSTUNREACH after 3 unanswered ARP requests', async () => {
    const { a, clock } = twoStacks();
    const started = clock.now();
    await expect(settle(clock, a.icmp.ping('192.0.2.9', { timeoutMs: 10_000 }))).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
    expect(clock.now() - started).toBeLessThanOrEqual(3001);
    expect(a.counters.get('arp.tx.requests')).toBe(1 + 3); // gratuitous + 3 requests, 1 s apart
    expect(a.counters.get('arp.drop.unresolved')).toBe(1);
  });

  it('UDP echo service answers, with fragments both ways for 60 kB', async () => {
    const { a, b, clock } = twoStacks();
    startServices(b, ['echo'], ['udp']);
    const sock = a.udp.socket().connect('192.0.2.2', 7);
    const data = new Uint8Array(60_000).map((_, i) => (i * 7) & 0xff);
    sock.send(data);
    const m = await settle(clock, sock.recvfrom());
    expect(m.port).toBe(7);
    expect(m.data).toEqual(data);
    expect(b.counters.get('ipv4.rx.reassembled')).toBe(1);
    expect(a.counters.get('ipv4.rx.reassembled')).toBe(1);
    expect(a.counters.get('ipv4.tx.fragments')).toBe(Math.ceil(60_008 / 1480));
  });

  it('a closed port answers ICMP port unreachable, reported as ECONNREFUSED on a connected socket', async () => {
    const { a, b, clock } = twoStacks();
    const sock = a.udp.socket().connect('192.0.2.2', 4444);
    sock.send(new Uint8Array([1, 2, 3]));
    await expect(settle(clock, sock.recvfrom())).rejects.toBeInstanceOf(SocketError);
    expect(b.counters.get('udp.drop.no-socket')).toBe(1);
    expect(b.counters.get('icmp.tx.type-3-code-3')).toBe(1);
  });

  it('bind conflicts give EADDRINUSE unless both set SO_REUSEADDR', () => {
    const { a } = twoStacks();
    a.udp.socket().bind(5000);
    expect(() => a.udp.socket().bind(5000)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    a.udp.socket({ reuseAddr: true }).bind(5001);
    expect(() => a.udp.socket({ reuseAddr: true }).bind(5001)).not.toThrow();
    const eph = a.udp.socket().bind(0);
    expect(eph.localPort).toBeGreaterThanOrEqual(32768);
    expect(eph.localPort).toBeLessThanOrEqual(60999);
  });

  it('broadcast needs SO_BROADCAST and reaches every socket bound to the port', async () => {
    const { a, b, clock } = twoStacks();
    const r1 = b.udp.socket({ reuseAddr: true }).bind(6000);
    const r2 = b.udp.socket({ reuseAddr: true }).bind(6000);
    expect(() => a.udp.socket().sendto(new Uint8Array([1]), '192.0.2.255', 6000)).toThrow(expect.objectContaining({ code: 'EACCES' }));
    a.udp.socket({ broadcast: true }).sendto(new Uint8Array([9]), '192.0.2.255', 6000);
    const [m1, m2] = await settle(clock, Promise.all([r1.recvfrom(), r2.recvfrom()]));
    expect(m1.data).toEqual(new Uint8Array([9]));
    expect(m2.localAddr).toBe(parseIpv4('192.0.2.255'));
    // No ARP needed for broadcast.
    expect(a.counters.get('arp.tx.requests')).toBe(1); // only the gratuitous one
  });
});

describe('path MTU and DF', () => {
  it('DF set and too big for the MTU: EMSGSIZE locally, nothing sent', () => {
    const { a } = twoStacks();
    const sock = a.udp.socket().bind(0);
    const before = a.counters.get('eth.tx.frames');
    expect(() => sock.sendto(new Uint8Array(1473), '192.0.2.2', 9, { dontFragment: true })).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
    expect(a.counters.get('eth.tx.frames')).toBe(before);
    expect(() => sock.sendto(new Uint8Array(1472), '192.0.2.2', 9, { dontFragment: true })).not.toThrow();
  });

  it('ICMP fragmentation needed lowers mtuFor(dst) and reaches the connected socket as EMSGSIZE', async () => {
    const { a, b, clock } = twoStacks();
    startServices(b, ['discard'], ['udp']);
    const sock = a.udp.socket().connect('192.0.2.2', 9);
    sock.send(new Uint8Array(100));
    clock.advanceBy(10);
    // B pretends to be a router with a 1400-byte next hop (RFC 1191 §4).
    const quoteHeader = new Uint8Array([0x45, 0, 0, 128, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
    const port = sock.localPort!;
    const quote = new Uint8Array([...quoteHeader, port >> 8, port & 0xff, 0, 9, 0, 108, 0, 0]);
    const { emitIcmp } = await import('@shared/wire/icmp');
    b.ipv4.send({ dst: parseIpv4('192.0.2.1'), protocol: 1, payload: emitIcmp({ type: 3, code: 4, nextHopMtu: 1400, quoted: quote }) });
    await expect(settle(clock, sock.recvfrom())).rejects.toMatchObject({ code: 'EMSGSIZE' });
    expect(a.mtuFor(parseIpv4('192.0.2.2'))).toBe(1400);
    expect(a.mtuFor(parseIpv4('192.0.2.3'))).toBe(1500);
  });
});

describe('over an impaired link (seeded, replays exactly)', () => {
  async function lossyRun(seed: number) {
    const impair = { loss: 0.1, delayMs: 10, jitterMs: 5, duplicate: 0.05, reorder: 0.1, reorderDelayMs: 15 };
    const { a, b, clock } = twoStacks({ seed, aToB: impair, bToA: impair });
    startServices(b, ['echo'], ['udp']);
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) {
      try {
        const r = await settle(clock, a.icmp.ping('192.0.2.2', { timeoutMs: 500 }));
        outcomes.push(`${r.sequence}:${r.rttMs.toFixed(3)}`);
      } catch (e) {
        outcomes.push(`x:${(e as { code: string }).code}`);
      }
    }
    // A 4000-byte UDP echo needs all 3 fragments both ways: retry until one comes back.
    const sock = a.udp.socket().connect('192.0.2.2', 7);
    let attempts = 0;
    let echoed: Uint8Array | null = null;
    while (!echoed && attempts < 30) {
      attempts++;
      sock.send(new Uint8Array(4000).fill(attempts));
      echoed = await settle(clock, sock.recvfrom({ timeoutMs: 200 })).then((m) => m.data, () => null);
    }
    return { outcomes, attempts, echoed };
  }

  it('same seed, same outcome; lost pings time out, the rest come back with RTT >= 20 ms', async () => {
    const first = await lossyRun(11);
    const again = await lossyRun(11);
    expect(again.outcomes).toEqual(first.outcomes);
    expect(again.attempts).toBe(first.attempts);
    const lost = first.outcomes.filter((o) => o.startsWith('x:'));
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThan(20);
    expect(new Set(lost)).toEqual(new Set(['x:ETIMEDOUT']));
    for (const o of first.outcomes.filter((x) => !x.startsWith('x:'))) expect(Number(o.split(':')[1])).toBeGreaterThanOrEqual(20);
    expect(first.echoed?.length).toBe(4000);
    const other = await lossyRun(12);
    expect(other.outcomes).not.toEqual(first.outcomes);
  });
});

describe('closing the stack', () => {
  it('rejects pending recvfrom and ping, cancels every timer, frees the ports', async () => {
    const { a, clock } = twoStacks();
    const sock = a.udp.socket().bind(7000);
    const recv = sock.recvfrom({ timeoutMs: 60_000 });
    const ping = a.icmp.ping('192.0.2.9', { timeoutMs: 60_000 });
    await a.close();
    await expect(recv).rejects.toMatchObject({ code: 'EBADF' });
    await expect(ping).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(a.udpPorts.size()).toBe(0);
    // Nothing of A is left; B (still up) has only ageing timers, which run out.
    clock.advanceBy(120_000);
    expect(clock.pendingTimers()).toBe(0);
  });
});
