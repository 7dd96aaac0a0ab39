import { describe, expect, it } from 'vitest';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { parseIpv4 } from '@shared/wire/address';
import { Reassembler, type ExpiredDatagram, type FragmentInfo } from '../../src-main/stack/ip/reassembly';
import { RoutingTable } from '../../src-main/stack/route';
import { PortTable } from '../../src-main/stack/ports';
import { TokenBucket } from '../../src-main/stack/token-bucket';
import { settle, twoStacks } from './helpers';

function frag(offset: number, len: number, more: boolean, id = 1): FragmentInfo {
  const data = new Uint8Array(len).map((_, i) => (offset + i) & 0xff);
  return { src: 1, dst: 2, protocol: 17, identification: id, offset, moreFragments: more, data, quote: new Uint8Array(28), ttl: 64, dscp: 0, ecn: 0, causeId: offset };
}

describe('reassembly (RFC 791/815)', () => {
  const make = (opts = {}) => {
    const clock = new ManualClock();
    const expired: ExpiredDatagram[] = [];
    return { clock, expired, r: new Reassembler(clock, (d) => expired.push(d), opts) };
  };

  it('completes in any order and returns the exact bytes', () => {
    const { r } = make();
    expect(r.add(frag(16, 8, false)).status).toBe('pending');
    expect(r.add(frag(0, 8, true)).status).toBe('pending');
    const res = r.add(frag(8, 8, true));
    expect(res.status).toBe('complete');
    if (res.status === 'complete') expect([...res.datagram.payload]).toEqual([...Array(24).keys()]);
    expect(r.bytesHeld).toBe(0);
  });

  it('ignores an exact duplicate but drops the datagram on any other overlap', () => {
    const { r } = make();
    r.add(frag(0, 16, true));
    expect(r.add(frag(0, 16, true)).status).toBe('duplicate');
    expect(r.add(frag(8, 16, true))).toEqual({ status: 'dropped', reason: 'overlap' });
    expect(r.datagramsPending).toBe(0);
    expect(r.bytesHeld).toBe(0);
  });

  it('rejects non-final fragments that are not a multiple of 8, sizes past 65535 and conflicting ends', () => {
    const { r } = make();
    expect(r.add(frag(0, 12, true))).toEqual({ status: 'dropped', reason: 'bad-fragment-length' });
    expect(r.add(frag(65512, 16, false))).toEqual({ status: 'dropped', reason: 'oversize' });
    r.add(frag(0, 16, true, 5));
    r.add(frag(32, 8, false, 5));
    expect(r.add(frag(40, 8, false, 5))).toEqual({ status: 'dropped', reason: 'inconsistent-length' });
  });

  it('times out per datagram and keeps fragment 0 for the ICMP quote', () => {
    const { r, clock, expired } = make({ timeoutMs: 1000 });
    r.add(frag(0, 8, true, 1));
    clock.advanceBy(500);
    r.add(frag(8, 8, true, 2));
    clock.advanceBy(500);
    expect(expired.map((e) => [e.identification, e.reason, e.firstFragmentQuote !== null])).toEqual([[1, 'timeout', true]]);
    clock.advanceBy(500);
    expect(expired.map((e) => [e.identification, e.firstFragmentQuote !== null])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('bounds memory: the oldest datagrams are evicted to admit new fragments', () => {
    const { r, expired } = make({ maxBytes: 64 });
    r.add(frag(0, 32, true, 1));
    r.add(frag(0, 32, true, 2));
    expect(r.bytesHeld).toBe(64);
    r.add(frag(0, 16, true, 3));
    expect(expired.map((e) => [e.identification, e.reason])).toEqual([[1, 'memory']]);
    expect(r.bytesHeld).toBe(48);
    expect(r.add(frag(0, 128, true, 4))).toEqual({ status: 'dropped', reason: 'memory' });
  });
});

describe('routing table', () => {
  it('picks the longest matching prefix, then the lower metric', () => {
    const t = new RoutingTable();
    const src = parseIpv4('192.0.2.2');
    t.add({ prefix: 0, prefixLength: 0, gateway: parseIpv4('192.0.2.1'), ifname: 'a', source: src });
    t.add({ prefix: parseIpv4('192.0.2.0'), prefixLength: 24, gateway: null, ifname: 'a', source: src });
    t.add({ prefix: parseIpv4('192.0.2.128'), prefixLength: 25, gateway: parseIpv4('192.0.2.7'), ifname: 'b', source: src });
    t.add({ prefix: parseIpv4('192.0.2.128'), prefixLength: 25, gateway: parseIpv4('192.0.2.8'), ifname: 'c', source: src, metric: -1 });
    expect(t.lookup(parseIpv4('192.0.2.5'))?.gateway).toBeNull();
    expect(t.lookup(parseIpv4('192.0.2.200'))?.ifname).toBe('c');
    expect(t.lookup(parseIpv4('198.51.100.1'))?.gateway).toBe(parseIpv4('192.0.2.1'));
    expect(() => t.add({ prefix: 0, prefixLength: 33, gateway: null, ifname: 'x', source: 0 })).toThrow(/33/);
  });

  it('without a route, sending fails with ENETUNREACH; with a gateway, ARP asks for the gateway', () => {
    const { a } = twoStacks();
    expect(a.ipv4.send({ dst: parseIpv4('198.51.100.1'), protocol: 17, payload: new Uint8Array(8) })).toEqual({ ok: false, errno: 'ENETUNREACH' });
    expect(() => a.udp.socket().sendto(new Uint8Array(1), '198.51.100.1', 9)).toThrow(expect.objectContaining({ code: 'ENETUNREACH' }));
  });
});

describe('ports', () => {
  it('wildcard and specific bindings conflict; ephemeral ports are in 32768–60999 and unique', () => {
    const t = new PortTable('udp', new SeededRandom(3));
    t.bind(53, 0, 'x');
    expect(() => t.bind(53, parseIpv4('192.0.2.2'), 'y')).toThrow(/EADDRINUSE/);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const b = t.bind(0, 0, i);
      expect(b.port).toBeGreaterThanOrEqual(32768);
      expect(b.port).toBeLessThanOrEqual(60999);
      seen.add(b.port);
    }
    expect(seen.size).toBe(1000);
  });

  it('a released port can be bound again', () => {
    const t = new PortTable('tcp', new SeededRandom(3));
    const b = t.bind(80, 0, 'x');
    t.release(b);
    expect(() => t.bind(80, 0, 'y')).not.toThrow();
  });
});

describe('ICMP error rate limit (RFC 1812 §4.3.2.8 token bucket)', () => {
  it('allows the burst, then the rate', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(clock, 1000, 50);
    let ok = 0;
    for (let i = 0; i < 100; i++) if (b.take()) ok++;
    expect(ok).toBe(50);
    clock.advanceBy(10);
    ok = 0;
    for (let i = 0; i < 100; i++) if (b.take()) ok++;
    expect(ok).toBe(10);
  });

  it('the stack sends at most the burst of port unreachables at once and counts the rest', async () => {
    const { a, b, clock } = twoStacks();
    await settle(clock, a.icmp.ping('192.0.2.2'));
    const s = a.udp.socket().bind(0);
    for (let i = 0; i < 80; i++) s.sendto(new Uint8Array([i]), '192.0.2.2', 5000 + i);
    clock.advanceBy(0.001);
    expect(b.counters.get('icmp.tx.type-3-code-3')).toBe(50);
    expect(b.counters.get('icmp.drop.rate-limited')).toBe(30);
  });
});

describe('ARP cache', () => {
  it('reachable → stale after 30 s → removed after 60 s more; a stale entry is re-probed when used', async () => {
    const { a, clock } = twoStacks();
    await settle(clock, a.icmp.ping('192.0.2.2'));
    const state = () => a.arp.entries()[0]?.state ?? 'none';
    expect(state()).toBe('reachable');
    clock.advanceBy(30_000);
    expect(state()).toBe('stale');
    const probesBefore = a.counters.get('arp.tx.probes');
    await settle(clock, a.icmp.ping('192.0.2.2'));
    expect(a.counters.get('arp.tx.probes')).toBe(probesBefore + 1);
    expect(state()).toBe('reachable'); // the probe's reply confirmed it
    clock.advanceBy(90_001);
    expect(state()).toBe('none');
  });

  it('bounds the queue of packets waiting for resolution', () => {
    const { a, clock } = twoStacks({ bToA: { loss: 1 } });
    const s = a.udp.socket().bind(0);
    for (let i = 0; i < 200; i++) s.sendto(new Uint8Array(1400), '192.0.2.2', 9);
    expect(a.counters.get('arp.drop.queue-full')).toBeGreaterThan(0);
    expect(a.arp.entries()[0]!.queued).toBeLessThan(200);
    clock.advanceBy(5000);
    expect(a.counters.get('arp.drop.unresolved')).toBe(a.arp.entries().length === 0 ? 200 - a.counters.get('arp.drop.queue-full') : -1);
  });
});
