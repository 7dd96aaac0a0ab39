/**
 * Listen and connect through the TcpLayer: RST for closed ports, bounded SYN/accept queues,
 * SYN cookies under a SYN flood (RFC 4987 §3.6) while established connections keep working.
 */
import { describe, expect, it } from 'vitest';
import { seq } from '@shared/wire/seq';
import { emitTcp, parseTcp } from '@shared/wire/tcp';
import { A, B, SimNet } from './simnet';
import { observe } from '../support/observe';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src-main/stack/tcp/segment';
import type { TcpSocket } from '../../src-main/stack/tcp/socket';
import type { TcpConnection } from '../../src-main/stack/tcp/connection';

const SPOOFED = 0xc0000263; // 192.0.2.99: no such host on the simulated path

async function run<T>(net: SimNet, p: Promise<T>): Promise<T> {
  const outcome = observe(p);
  await net.runUntil(() => outcome.settled, net.clock.now() + 600_000);
  return outcome.result('run');
}

function inject(net: SimNet, to: number, from: number, fields: { srcPort: number; dstPort: number; seq: number; ack?: number; flags: number; options?: never[] }): void {
  const host = net.hosts.get(to)!;
  const payload = emitTcp({ srcPort: fields.srcPort, dstPort: fields.dstPort, seq: fields.seq, ack: fields.ack ?? 0, flags: fields.flags, window: 65535, options: [{ kind: 'mss', value: 1460 }] }, from, to);
  host.handler!.receive({ src: from, dst: to, protocol: 6, ttl: 64, dscp: 0, ecn: 0, identification: 0, payload, causeId: 0, ifname: 'sim0' });
}

describe('closed ports (§3.10.7.1)', () => {
  it('a SYN to a closed port is answered <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>', () => {
    const net = new SimNet(1);
    net.addHost(B);
    const a = net.addHost(A);
    const seen: ReturnType<typeof parseTcp>[] = [];
    net.onSend = (from, _to, p) => {
      if (from === B) seen.push(parseTcp(p));
    };
    void a;
    inject(net, B, A, { srcPort: 40000, dstPort: 9999, seq: 1000, flags: TCP_SYN });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.flags).toBe(TCP_RST | TCP_ACK);
    expect(seen[0]!.seq).toBe(0);
    expect(seen[0]!.ack).toBe(1001);
  });
  it('an ACK to a closed port is answered <SEQ=SEG.ACK><CTL=RST>', () => {
    const net = new SimNet(1);
    net.addHost(B);
    net.addHost(A);
    const seen: ReturnType<typeof parseTcp>[] = [];
    net.onSend = (from, _to, p) => from === B && seen.push(parseTcp(p));
    inject(net, B, A, { srcPort: 40000, dstPort: 9999, seq: 1000, ack: 5555, flags: TCP_ACK });
    expect(seen[0]!.flags).toBe(TCP_RST);
    expect(seen[0]!.seq).toBe(5555);
  });
  it('a RST to a closed port is never answered', () => {
    const net = new SimNet(1);
    net.addHost(B);
    net.addHost(A);
    let sent = 0;
    net.onSend = () => sent++;
    inject(net, B, A, { srcPort: 40000, dstPort: 9999, seq: 1000, flags: TCP_RST });
    expect(sent).toBe(0);
  });
});

describe('backlog and SYN flood', () => {
  it('without SYN cookies a full SYN queue drops new SYNs', () => {
    const net = new SimNet(2);
    const b = net.addHost(B, { synCookies: 0 });
    const srv = b.socket();
    srv.bind(0, 80);
    srv.listen(3);
    for (let i = 0; i < 10; i++) inject(net, B, SPOOFED, { srcPort: 1000 + i, dstPort: 80, seq: i * 1000, flags: TCP_SYN });
    expect(b.tcp.listeners.get(80)![0]!.synQueue.size).toBe(3);
    expect(b.counters.get('tcp.drop.syn-queue-full')).toBe(7);
  });

  it('under a flood of spoofed SYNs, established connections keep working and new clients get in by SYN cookie', async () => {
    const net = new SimNet(3, { delayMs: 2 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 80);
    srv.listen(4);
    const c1 = a.socket();
    const acc1 = srv.accept();
    await run(net, c1.connect(B, 80));
    const p1 = await run(net, acc1);
    // Flood: 2,000 SYNs from a spoofed address that never answers.
    for (let i = 0; i < 2000; i++) inject(net, B, SPOOFED, { srcPort: 1024 + i, dstPort: 80, seq: i * 7919, flags: TCP_SYN });
    const l = b.tcp.listeners.get(80)![0]!;
    expect(l.synQueue.size).toBe(4); // bounded by the backlog
    expect(b.counters.get('tcp.syncookies.sent')).toBe(1996);
    // The established connection still moves data.
    const payload = new Uint8Array(50_000).fill(7);
    await run(net, c1.send(payload));
    let got = 0;
    while (got < payload.length) got += (await run(net, p1.recv())).length;
    expect(got).toBe(payload.length);
    // A new legitimate client completes its handshake by cookie and is accepted.
    const c2 = a.socket();
    const acc2 = srv.accept();
    await run(net, c2.connect(B, 80));
    const p2 = await run(net, acc2);
    expect(b.counters.get('tcp.syncookies.ok')).toBe(1);
    await run(net, c2.send('hello through a cookie'));
    expect(new TextDecoder().decode(await run(net, p2.recv()))).toBe('hello through a cookie');
    // The cookie connection negotiated SACK, timestamps and window scaling through the TS bits.
    const conn = p2.connection!;
    expect(conn.tsOk && conn.sackOk && conn.wsOk).toBe(true);
  });

  it('a cookie connection never sends a TSval older than its cookie SYN,ACK (the peer would drop it by PAWS)', async () => {
    const paws: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const net = new SimNet(seed, { delayMs: 1 });
      net.probes.subscribe((e) => {
        if (e.kind === 'drop' && e.data.reason === 'paws') paws.push(`seed ${seed}: ${e.subject} t=${e.t}`);
      });
      const a = net.addHost(A);
      const b = net.addHost(B, { synCookies: 2 }); // always cookies
      const srv = b.socket();
      srv.bind(0, 80);
      srv.listen(4);
      // Start at various points of the 64 ms slot the cookie TSval's low 6 bits overwrite.
      await net.runUntil(() => false, seed * 7);
      const c = a.socket();
      const acc = srv.accept();
      await run(net, c.connect(B, 80));
      const p = await run(net, acc);
      expect(b.counters.get('tcp.syncookies.ok')).toBe(1);
      await run(net, p.send(new Uint8Array(3000).fill(seed)));
      let got = 0;
      while (got < 3000) got += (await run(net, c.recv())).length;
      expect(p.connection!.stats.retransmits, `seed ${seed}`).toBe(0);
    }
    expect(paws).toEqual([]);
  });
  it('a forged cookie ACK is answered with RST and creates nothing', () => {
    const net = new SimNet(4);
    const b = net.addHost(B);
    net.addHost(A);
    const srv = b.socket();
    srv.bind(0, 80);
    srv.listen(1);
    inject(net, B, A, { srcPort: 5555, dstPort: 80, seq: 1, ack: 0x12345678, flags: TCP_ACK });
    expect(b.tcp.connections.size).toBe(0);
    expect(b.counters.get('tcp.syncookies.ok')).toBe(0);
    void seq;
  });

  it('the accept queue is bounded by the backlog; the handshake ACK beyond it is ignored until accept() makes room', async () => {
    const net = new SimNet(5, { delayMs: 1 });
    const a = net.addHost(A);
    const b = net.addHost(B, { synCookies: 0 });
    const srv = b.socket();
    srv.bind(0, 80);
    srv.listen(1);
    const c1 = a.socket();
    await run(net, c1.connect(B, 80));
    const c2 = a.socket();
    let c2done = false;
    c2.connect(B, 80).then(() => (c2done = true));
    await net.runUntil(() => false, net.clock.now() + 500);
    const l = b.tcp.listeners.get(80)![0]!;
    expect(l.acceptQueue).toHaveLength(1);
    expect(b.counters.get('tcp.drop.accept-queue-full')).toBeGreaterThan(0);
    await run(net, srv.accept());
    await net.runUntil(() => l.acceptQueue.length === 1, net.clock.now() + 30_000);
    expect(l.acceptQueue).toHaveLength(1);
    expect(c2done).toBe(true);
  });
});

describe('challenge ACK budget of the layer (RFC 5961 §7, Linux tcp_challenge_ack_limit)', () => {
  it('in-window RSTs on two connections share one per-second budget; it refills the next second', async () => {
    const net = new SimNet(8, { delayMs: 1 });
    const a = net.addHost(A);
    const b = net.addHost(B, { challengeAckLimit: 3 });
    const srv = b.socket();
    srv.bind(0, 80);
    srv.listen(4);
    const conns: { client: TcpSocket; server: TcpConnection }[] = [];
    for (let i = 0; i < 2; i++) {
      const c = a.socket();
      const acc = srv.accept();
      await run(net, c.connect(B, 80));
      conns.push({ client: c, server: (await run(net, acc)).connection! });
    }
    let challenges = 0;
    net.onSend = (from, _to, p) => {
      if (from === B && parseTcp(p).flags === TCP_ACK) challenges++;
    };
    const burst = () => {
      for (const { client, server } of conns) {
        for (let k = 1; k <= 4; k++) {
          // In the window, not at RCV.NXT: each one asks for a challenge ACK (RFC 5961 §3.2).
          inject(net, B, A, { srcPort: client.address().port, dstPort: 80, seq: (server.rcvNxt + 100 * k) >>> 0, flags: TCP_RST });
        }
      }
    };
    burst();
    expect(challenges).toBe(3); // 8 asked, 3 allowed for the whole layer
    expect(conns.reduce((n, c) => n + c.server.stats.challengeAcks, 0)).toBe(3);
    const t = net.clock.now();
    await net.runUntil(() => false, t + 999);
    net.clock.advanceTo(t + 999);
    burst();
    expect(challenges).toBe(3); // still the same second
    net.clock.advanceTo(t + 1000);
    burst();
    expect(challenges).toBe(6);
    expect(conns.every((c) => c.server.state === 'ESTABLISHED')).toBe(true);
  });
});

describe('ICMP errors (RFC 5927, RFC 1122 §4.2.3.9)', () => {
  it('port unreachable quoting our SYN aborts the connect with ECONNREFUSED; an out-of-window quote is ignored', async () => {
    const net = new SimNet(6, { loss: 1 }); // nothing reaches B: only the ICMP error answers
    const a = net.addHost(A);
    net.addHost(B);
    const s = a.socket();
    let errno: string | null = null;
    const p = s.connect(B, 7777).catch((e: { code: string }) => (errno = e.code));
    await net.runUntil(() => false, 10);
    const conn = s.connection!;
    const quote = (seqNo: number) => {
      const t = new Uint8Array(8);
      new DataView(t.buffer).setUint16(0, conn.endpoints.localPort);
      new DataView(t.buffer).setUint16(2, 7777);
      new DataView(t.buffer).setUint32(4, seqNo >>> 0);
      return t;
    };
    const report = (seqNo: number) => ({ type: 3, code: 3, errno: 'ECONNREFUSED' as const, quotedSrc: A, quotedDst: B, quotedProtocol: 6, quotedTransport: quote(seqNo), causeId: 0 });
    a.tcp.icmpError(report(conn.iss + 100_000));
    expect(conn.state).toBe('SYN-SENT');
    expect(a.counters.get('tcp.icmp.out-of-window')).toBe(1);
    a.tcp.icmpError(report(conn.iss));
    await net.runUntil(() => errno !== null, 100);
    await p;
    expect(errno).toBe('ECONNREFUSED');
  });
});

describe('path MTU discovery (RFC 1191)', () => {
  it('ICMP fragmentation needed shrinks the MSS and resends the outstanding data at the new size', async () => {
    const net = new SimNet(7, { delayMs: 5 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 90);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await run(net, cli.connect(B, 90));
    const peer = await run(net, acc);
    const sizes: number[] = [];
    net.onSend = (from, _to, p) => from === A && sizes.push(parseTcp(p).payload.length);
    net.impair = { delayMs: 5, loss: 1 }; // the first flight is "dropped by the small-MTU hop"
    void cli.send(new Uint8Array(20_000).fill(1));
    const conn = cli.connection!;
    const q = new Uint8Array(8);
    new DataView(q.buffer).setUint16(0, conn.endpoints.localPort);
    new DataView(q.buffer).setUint16(2, 90);
    new DataView(q.buffer).setUint32(4, conn.sndUna);
    net.impair = { delayMs: 5 };
    a.tcp.icmpError({ type: 3, code: 4, nextHopMtu: 1000, errno: 'EMSGSIZE', quotedSrc: A, quotedDst: B, quotedProtocol: 6, quotedTransport: q, causeId: 0 });
    expect(conn.effectiveMss()).toBe(960);
    let got = 0;
    while (got < 20_000) got += (await run(net, peer.recv())).length;
    const after = sizes.slice(sizes.findIndex((n) => n > 0 && n <= 948));
    expect(Math.max(...after)).toBe(948); // 960 − 12 bytes of timestamps
  });
});

