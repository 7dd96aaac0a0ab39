/**
 * The BSD-shaped socket API over two TCP layers on a simulated path (ManualClock).
 */
import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SocketError } from '../../src-main/stack/errors';
import { toDuplex } from '../../src-main/stack/tcp/socket';
import { A, B, SimNet, flushMicrotasks } from './simnet';

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
  let done = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  await net.runUntil(() => done, net.clock.now() + limitMs);
  if (!done) throw new Error('operation did not finish in simulated time');
  if (error) throw error;
  return value as T;
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
