/**
 * The BSD-shaped socket API over two TCP layers on a simulated path (ManualClock).
 */
import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SocketError } from '../../src-main/stack/errors';
import { toDuplex } from '../../src-main/stack/tcp/socket';
import { A, B, SimNet, flushMicrotasks } from './simnet';
import { observe } from '../support/observe';

function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function settle<T>(net: SimNet, p: Promise<T>, limitMs = 600_000): Promise<T> {
  const outcome = observe(p);
  await net.runUntil(() => outcome.settled, net.clock.now() + limitMs);
  return outcome.result('operation in simulated time');
}

async function errnoOf(net: SimNet, p: Promise<unknown>): Promise<string> {
  try {
    await settle(net, p);
    return 'no error';
  } catch (e) {
    return (e as SocketError).code ?? String(e);
  }
}

describe('socket API', () => {
  it('connect/accept/send/recv/shutdown/close moves bytes both ways', async () => {
    const net = new SimNet(1, { delayMs: 5 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 8080);
    srv.listen(4);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 8080));
    const peer = await settle(net, acc);
    expect(cli.state).toBe('ESTABLISHED');
    expect(peer.remoteAddress()).toEqual({ address: '192.0.2.1', port: cli.address().port });
    const data = pattern(300_000);
    const sent = cli.send(data).then(() => cli.shutdown('SHUT_WR'));
    const got: Uint8Array[] = [];
    const reader = (async () => {
      for (;;) {
        const c = await peer.recv(10_000);
        if (c.length === 0) break;
        got.push(c);
      }
    })();
    await settle(net, Promise.all([sent, reader]));
    expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
    await settle(net, peer.send('bye'));
    expect(new TextDecoder().decode(await settle(net, cli.recv()))).toBe('bye');
    await peer.close();
    expect((await settle(net, cli.recv())).length).toBe(0);
    await cli.close();
    await net.runUntil(() => cli.state === 'CLOSED' || cli.state === 'TIME-WAIT');
    expect(['TIME-WAIT', 'CLOSED']).toContain(cli.state);
  });

  it('ECONNREFUSED when nothing listens (RST)', async () => {
    const net = new SimNet(2);
    const a = net.addHost(A);
    net.addHost(B);
    expect(await errnoOf(net, a.socket().connect(B, 9))).toBe('ECONNREFUSED');
  });

  it('ETIMEDOUT after tcp_syn_retries when SYNs are lost', async () => {
    const net = new SimNet(3, { loss: 1 });
    const a = net.addHost(A);
    net.addHost(B);
    const s = a.socket();
    s.setsockopt('TCP_SYNCNT', 2);
    const t0 = net.clock.now();
    expect(await errnoOf(net, s.connect(B, 80))).toBe('ETIMEDOUT');
    expect(net.clock.now() - t0).toBe(7000); // 1 + 2 + 4 s
  });

  it('EADDRINUSE for a bound port, for a port held by TIME-WAIT, and SO_REUSEADDR lets a restarted server bind', async () => {
    const net = new SimNet(4);
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.setsockopt('SO_REUSEADDR', true);
    srv.bind(0, 7000);
    srv.listen(8);
    const other = b.socket();
    expect(() => other.bind(0, 7000)).toThrowError(/EADDRINUSE/);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 7000));
    const peer = await settle(net, acc);
    // The server closes first, so its side ends in TIME-WAIT.
    await peer.close();
    await srv.close();
    await settle(net, cli.recv());
    await cli.close();
    await net.runUntil(() => peer.state === 'TIME-WAIT', net.clock.now() + 10_000);
    expect(peer.state).toBe('TIME-WAIT');
    const plain = b.socket();
    let err: unknown = null;
    try {
      plain.bind(0, 7000);
    } catch (e) {
      err = e;
    }
    expect((err as SocketError).code).toBe('EADDRINUSE');
    const restarted = b.socket();
    restarted.setsockopt('SO_REUSEADDR', true);
    restarted.bind(0, 7000);
    restarted.listen(8);
    expect(restarted.state).toBe('LISTEN');
  });

  it('ECONNRESET on recv after the peer aborts (SO_LINGER 0), EPIPE on send after shutdown', async () => {
    const net = new SimNet(5);
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 81);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 81));
    const peer = await settle(net, acc);
    peer.setsockopt('SO_LINGER', { onoff: true, linger: 0 });
    await peer.close();
    expect(await errnoOf(net, cli.recv())).toBe('ECONNRESET');
    const cli2 = a.socket();
    const srv2 = b.socket();
    srv2.bind(0, 82);
    srv2.listen(1);
    const acc2 = srv2.accept();
    await settle(net, cli2.connect(B, 82));
    await settle(net, acc2);
    cli2.shutdown('SHUT_WR');
    expect(await errnoOf(net, cli2.send('x'))).toBe('EPIPE');
    expect(() => a.socket().shutdown('SHUT_WR')).toThrowError(/ENOTCONN/);
  });

  it('SO_LINGER with a timeout: close() returns once the FIN is acknowledged', async () => {
    const net = new SimNet(9, { delayMs: 50 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 85);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 85));
    await settle(net, acc);
    await settle(net, cli.send(new Uint8Array(20_000)));
    cli.setsockopt('SO_LINGER', { onoff: true, linger: 5 });
    const t0 = net.clock.now();
    await settle(net, cli.close());
    // At least one round trip (100 ms) for the data and FIN to be acknowledged, well under 5 s.
    expect(net.clock.now() - t0).toBeGreaterThanOrEqual(100);
    expect(net.clock.now() - t0).toBeLessThan(5000);
    expect(['FIN-WAIT-2', 'TIME-WAIT']).toContain(cli.state);
  });

  it('SO_LINGER with a timeout: on a dead path close() returns when the timeout expires; the FIN goes on in the background', async () => {
    const net = new SimNet(14, { delayMs: 5 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 89);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 89));
    await settle(net, acc);
    net.impair = { loss: 1 };
    await settle(net, cli.send(new Uint8Array(5000)));
    cli.setsockopt('SO_LINGER', { onoff: true, linger: 2 });
    const t0 = net.clock.now();
    await settle(net, cli.close());
    expect(net.clock.now() - t0).toBe(2000);
    expect(cli.state).toBe('FIN-WAIT-1');
  });
  it('setsockopt/getsockopt round-trip and reject bad values', () => {
    const net = new SimNet(6);
    const a = net.addHost(A);
    const s = a.socket();
    s.setsockopt('TCP_NODELAY', true);
    s.setsockopt('SO_KEEPALIVE', 1);
    s.setsockopt('TCP_KEEPIDLE', 30);
    s.setsockopt('TCP_KEEPINTVL', 5);
    s.setsockopt('TCP_KEEPCNT', 3);
    s.setsockopt('SO_RCVBUF', 100_000);
    s.setsockopt('TCP_CONGESTION', 'reno');
    s.setsockopt('TCP_MAXSEG', 1000);
    expect(s.getsockopt('TCP_NODELAY')).toBe(true);
    expect(s.getsockopt('SO_KEEPALIVE')).toBe(true);
    expect(s.getsockopt('TCP_KEEPIDLE')).toBe(30);
    expect(s.getsockopt('TCP_KEEPINTVL')).toBe(5);
    expect(s.getsockopt('TCP_KEEPCNT')).toBe(3);
    expect(s.getsockopt('SO_RCVBUF')).toBe(100_000);
    expect(s.getsockopt('TCP_CONGESTION')).toBe('reno');
    expect(s.getsockopt('TCP_MAXSEG')).toBe(1000);
    expect(() => s.setsockopt('TCP_CONGESTION', 'bbr')).toThrowError(/EINVAL/);
    expect(() => s.setsockopt('TCP_MAXSEG', 10)).toThrowError(/EINVAL/);
  });

  it('keep-alive detects a dead peer with ETIMEDOUT after idle + count × interval', async () => {
    const net = new SimNet(7);
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 83);
    srv.listen(1);
    const cli = a.socket();
    cli.setsockopt('SO_KEEPALIVE', true);
    cli.setsockopt('TCP_KEEPIDLE', 10);
    cli.setsockopt('TCP_KEEPINTVL', 2);
    cli.setsockopt('TCP_KEEPCNT', 3);
    const acc = srv.accept();
    await settle(net, cli.connect(B, 83));
    await settle(net, acc);
    const t0 = net.clock.now();
    // While the peer answers, probes keep the connection alive.
    await net.runUntil(() => false, t0 + 60_000);
    expect(cli.state).toBe('ESTABLISHED');
    expect(cli.connection!.stats.keepaliveProbes).toBeGreaterThan(3);
    net.impair = { loss: 1 };
    const t1 = net.clock.now();
    expect(await errnoOf(net, cli.recv())).toBe('ETIMEDOUT');
    // At most idle (10 s) + 3 probes × 2 s + one interval.
    expect(net.clock.now() - t1).toBeLessThanOrEqual(10_000 + 4 * 2000);
  });

  it('the Duplex adapter pipes a stream through a connection', async () => {
    const net = new SimNet(8, { delayMs: 2 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 84);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 84));
    const peer = await settle(net, acc);
    const data = pattern(100_000, 3);
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    });
    const p1 = pipeline(Readable.from([Buffer.from(data)]), toDuplex(cli));
    const p2 = pipeline(toDuplex(peer), sink);
    let done = false;
    Promise.all([p1, p2]).then(() => (done = true));
    for (let i = 0; i < 100_000 && !done; i++) {
      await new Promise((r) => setImmediate(r));
      await flushMicrotasks();
      const at = net.clock.nextTimerAt();
      if (at !== undefined) net.clock.advanceTo(at);
    }
    expect(done).toBe(true);
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  });
});

describe('Duplex adapter errors', () => {
  it('a reset connection destroys the Duplex with the errno (ECONNRESET)', async () => {
    const net = new SimNet(13, { delayMs: 2 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 88);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 88));
    const peer = await settle(net, acc);
    const d = toDuplex(cli);
    let error: (Error & { code?: string }) | null = null;
    d.on('error', (e) => (error = e));
    d.resume();
    peer.setsockopt('SO_LINGER', { onoff: true, linger: 0 });
    await peer.close();
    for (let i = 0; i < 20 && !error; i++) {
      await net.runUntil(() => false, net.clock.now() + 10);
      await new Promise((r) => setImmediate(r));
    }
    expect(error).not.toBeNull();
    expect(error!.code).toBe('ECONNRESET');
    expect(d.destroyed).toBe(true);
  });
});

describe('TIME-WAIT reuse (RFC 1122 §4.2.2.13, RFC 6191) through the layer', () => {
  /** The server closes first (its side in TIME-WAIT); the client comes back from the same port. */
  async function reconnect(seed: number, timestamps: boolean): Promise<{ reopened: number; ms: number; state: string; got: string }> {
    const net = new SimNet(seed, { delayMs: 5 });
    const a = net.addHost(A, { config: { timestamps } });
    const b = net.addHost(B, { config: { timestamps } });
    const srv = b.socket();
    srv.bind(0, 7100);
    srv.listen(4);
    const cli = a.socket();
    cli.bind(0, 40_000);
    let acc = srv.accept();
    await settle(net, cli.connect(B, 7100));
    const peer = await settle(net, acc);
    await settle(net, cli.send('first'));
    await settle(net, peer.recv());
    await peer.close();
    expect((await settle(net, cli.recv())).length).toBe(0);
    await cli.close();
    await net.runUntil(() => cli.state === 'CLOSED', net.clock.now() + 10_000);
    expect(peer.state).toBe('TIME-WAIT');
    await net.runUntil(() => false, net.clock.now() + 1000); // well inside 2×MSL
    const again = a.socket();
    again.bind(0, 40_000);
    acc = srv.accept();
    const t0 = net.clock.now();
    await settle(net, again.connect(B, 7100));
    const ms = net.clock.now() - t0;
    const p2 = await settle(net, acc);
    await settle(net, again.send('second'));
    const got = new TextDecoder().decode(await settle(net, p2.recv()));
    return { reopened: b.counters.get('tcp.time-wait.reopened') ?? 0, ms, state: p2.state, got };
  }
  it('a new SYN with a higher sequence number reopens the TIME-WAIT connection at once (no timestamps)', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await reconnect(seed, false);
      expect(r).toEqual({ reopened: 1, ms: 10, state: 'ESTABLISHED', got: 'second' });
    }
  });
  it('with timestamps a newer TSval reopens it at once (RFC 6191: timestamps of one host pair only grow)', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = await reconnect(seed, true);
      expect(r, `seed ${seed}`).toEqual({ reopened: 1, ms: 10, state: 'ESTABLISHED', got: 'second' });
    }
  });
});

describe('shutdown and ENOTCONN through sockets', () => {
  it('SHUT_RDWR: the peer reads EOF, our recv returns EOF at once, send fails with EPIPE', async () => {
    const net = new SimNet(10, { delayMs: 2 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 86);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 86));
    const peer = await settle(net, acc);
    cli.shutdown('SHUT_RDWR');
    expect((await settle(net, cli.recv())).length).toBe(0);
    expect(await errnoOf(net, cli.send('x'))).toBe('EPIPE');
    expect((await settle(net, peer.recv())).length).toBe(0);
    // The peer may still send; the bytes are acknowledged and discarded (BSD), not reset.
    await settle(net, peer.send('ignored'));
    await net.runUntil(() => false, net.clock.now() + 1000);
    expect(cli.state).toBe('FIN-WAIT-2');
    expect(peer.connection!.sndUna).toBe(peer.connection!.sndMax);
  });
  it('SHUT_RD: recv returns EOF while sending still works', async () => {
    const net = new SimNet(11, { delayMs: 2 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 87);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 87));
    const peer = await settle(net, acc);
    cli.shutdown('SHUT_RD');
    expect((await settle(net, cli.recv())).length).toBe(0);
    await settle(net, cli.send('still here'));
    expect(new TextDecoder().decode(await settle(net, peer.recv()))).toBe('still here');
    expect(cli.state).toBe('ESTABLISHED');
  });
  it('ENOTCONN: send, recv and shutdown on a socket that never connected', async () => {
    const net = new SimNet(12);
    const a = net.addHost(A);
    const s = a.socket();
    expect(await errnoOf(net, s.send('x'))).toBe('ENOTCONN');
    expect(await errnoOf(net, s.recv())).toBe('ENOTCONN');
    expect(() => s.shutdown('SHUT_RDWR')).toThrowError(/ENOTCONN/);
    expect(() => s.remoteAddress()).toThrowError(/ENOTCONN/);
  });
});

describe('simultaneous open and close through the layers (RFC 9293 §3.5 Figure 7, §3.6 Figure 13)', () => {
  it('two sockets bound to fixed ports connect to each other at once: one connection each, data both ways', async () => {
    const net = new SimNet(15, { delayMs: 10 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const sa = a.socket();
    const sb = b.socket();
    sa.bind(0, 6001);
    sb.bind(0, 6002);
    const states: string[] = [];
    net.probes.subscribe((e) => {
      if (e.kind === 'state') states.push(`${e.subject} ${e.data.from}->${e.data.to}`);
    });
    await settle(net, Promise.all([sa.connect(B, 6002), sb.connect(A, 6001)]));
    expect(sa.state).toBe('ESTABLISHED');
    expect(sb.state).toBe('ESTABLISHED');
    // Both passed SYN-RECEIVED: the SYNs crossed (no listener was involved).
    expect(states.filter((s) => s.endsWith('SYN-SENT->SYN-RECEIVED'))).toHaveLength(2);
    expect(a.tcp.connections.size + b.tcp.connections.size).toBe(2);
    await settle(net, sa.send('from a'));
    await settle(net, sb.send('from b'));
    expect(new TextDecoder().decode(await settle(net, sb.recv()))).toBe('from a');
    expect(new TextDecoder().decode(await settle(net, sa.recv()))).toBe('from b');
  });
  it('both close at once: FINs cross, both sides pass CLOSING to TIME-WAIT, then CLOSED, nothing left', async () => {
    const net = new SimNet(16, { delayMs: 10 });
    const a = net.addHost(A);
    const b = net.addHost(B);
    const srv = b.socket();
    srv.bind(0, 6003);
    srv.listen(1);
    const cli = a.socket();
    const acc = srv.accept();
    await settle(net, cli.connect(B, 6003));
    const peer = await settle(net, acc);
    await srv.close();
    const states: string[] = [];
    net.probes.subscribe((e) => {
      if (e.kind === 'state') states.push(`${e.data.from}->${e.data.to}`);
    });
    await Promise.all([cli.close(), peer.close()]);
    await net.runUntil(() => cli.state === 'TIME-WAIT' && peer.state === 'TIME-WAIT', net.clock.now() + 1000);
    expect([cli.state, peer.state]).toEqual(['TIME-WAIT', 'TIME-WAIT']);
    expect(states.filter((s) => s === 'FIN-WAIT-1->CLOSING')).toHaveLength(2);
    await net.runUntil(() => false, net.clock.now() + 61_000);
    expect(a.tcp.connections.size + b.tcp.connections.size).toBe(0);
    expect(a.tcpPorts.size() + b.tcpPorts.size()).toBe(0);
  });
});
