/**
 * TCP services (echo 7, discard 9, chargen 19, HTTP /bytes/N with keep-alive) and the --connect
 * client, between two whole stacks on a VirtualLink with a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';
import { TcpSocket } from '../../src-main/stack/tcp/socket';
import { generatedSha256, runTcpClient } from '../../src-main/stack/tcp/services';
import { flushMicrotasks } from './simnet';
import { observe } from '../support/observe';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnect, runTcpClientCli } from '../../src-main/cli/tcp-client';
import type { CliIo } from '../../src-main/cli/command';

function pair(seed = 1, loss = 0) {
  const clock = new ManualClock(0);
  const random = new SeededRandom(seed);
  const link = new VirtualLink({ clock, random: random.fork(), aToB: { delayMs: 1, loss }, bToA: { delayMs: 1, loss } });
  const a = new Stack({ clock, random: random.fork() });
  const b = new Stack({ clock, random: random.fork() });
  a.addInterface({ device: link.a, ipv4: '192.0.2.1/24' });
  b.addInterface({ device: link.b, ipv4: '192.0.2.2/24' });
  return { clock, a, b };
}

async function settle<T>(clock: ManualClock, p: Promise<T>, limitMs = 600_000): Promise<T> {
  const outcome = observe(p);
  const end = clock.now() + limitMs;
  while (!outcome.settled) {
    await flushMicrotasks();
    if (outcome.settled) break;
    const at = clock.nextTimerAt();
    if (at === undefined || at > end) break;
    clock.advanceTo(at);
  }
  return outcome.result('settle');
}

/** As settle(), but lets real I/O (the --recv file stream) finish when no simulated timer is due. */
async function settleWithIo<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  const outcome = observe(p);
  for (let idle = 0; !outcome.settled && idle < 200; ) {
    await flushMicrotasks();
    if (outcome.settled) break;
    const at = clock.nextTimerAt();
    if (at === undefined || at > 600_000) {
      idle++;
      await new Promise((r) => setTimeout(r, 5));
    } else clock.advanceTo(at);
  }
  return outcome.result('settleWithIo');
}

describe('TCP services', () => {
  it('echo returns what it gets; discard takes everything; both registered with --serve names', async () => {
    const { clock, a, b } = pair();
    const started = startServices(b, ['echo', 'discard']);
    expect(started.filter((s) => s.protocol === 'tcp').map((s) => s.port).sort()).toEqual([7, 9]);
    const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const r = await settle(clock, runTcpClient(a, { host: '192.0.2.2', port: 7, send: { data } }));
    expect(r.received).toBe(data.length);
    expect(r.receivedSha256).toBe(createHash('sha256').update(data).digest('hex'));
    const d = await settle(clock, runTcpClient(a, { host: '192.0.2.2', port: 9, send: { count: 50_000 } }));
    expect(d.sent).toBe(50_000);
    expect(d.received).toBe(0);
  });

  it('chargen sends RFC 864 lines until the client closes', async () => {
    const { clock, a, b } = pair();
    startServices(b, ['chargen']);
    const s = new TcpSocket(a.tcp);
    await settle(clock, s.connect('192.0.2.2', 19));
    let text = '';
    while (text.length < 74 * 3) text += new TextDecoder().decode(await settle(clock, s.recv(1000)));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(Array.from({ length: 72 }, (_, i) => String.fromCharCode(32 + (i % 95))).join(''));
    expect(lines[1]).toBe(Array.from({ length: 72 }, (_, i) => String.fromCharCode(32 + ((1 + i) % 95))).join(''));
    s.setsockopt('SO_LINGER', { onoff: true, linger: 0 });
    await s.close();
  });

  it('HTTP/1.1: GET /bytes/N twice on one keep-alive connection, 404 otherwise', async () => {
    const { clock, a, b } = pair(2, 0.02);
    startServices(b, ['http']);
    const s = new TcpSocket(a.tcp);
    await settle(clock, s.connect('192.0.2.2', 80));
    let buf = Buffer.alloc(0);
    async function response(): Promise<{ head: string; body: Buffer }> {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = buf.subarray(0, end).toString('latin1');
          const len = Number(/Content-Length: (\d+)/.exec(head)![1]);
          while (buf.length < end + 4 + len) buf = Buffer.concat([buf, Buffer.from(await settle(clock, s.recv()))]);
          const body = buf.subarray(end + 4, end + 4 + len);
          buf = buf.subarray(end + 4 + len);
          return { head, body };
        }
        const c = await settle(clock, s.recv());
        if (c.length === 0) throw new Error('EOF');
        buf = Buffer.concat([buf, Buffer.from(c)]);
      }
    }
    await settle(clock, s.send('GET /bytes/200000 HTTP/1.1\r\nHost: x\r\n\r\n'));
    const r1 = await response();
    expect(r1.head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r1.head).toContain('Connection: keep-alive');
    expect(createHash('sha256').update(r1.body).digest('hex')).toBe(generatedSha256(200_000));
    await settle(clock, s.send('GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    const r2 = await response();
    expect(r2.body.length).toBe(10);
    const r3 = await response();
    expect(r3.head).toMatch(/^HTTP\/1\.1 404/);
    expect((await settle(clock, s.recv())).length).toBe(0); // Connection: close → FIN
    expect(b.counters.get('tcp.service.http.connections')).toBe(1);
  });

  it('the client reports ECONNREFUSED for a closed port', async () => {
    const { clock, a } = pair();
    await expect(settle(clock, runTcpClient(a, { host: '192.0.2.2', port: 4444 }))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('the --connect client: --send FILE through echo, --recv FILE written whole, summary printed; usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-client-'));
    try {
      const { clock, a, b } = pair(3, 0.01);
      startServices(b, ['echo']);
      const input = join(dir, 'in.bin');
      const output = join(dir, 'out.bin');
      const data = new Uint8Array(150_000).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
      writeFileSync(input, data);
      let stdout = '';
      let stderr = '';
      const io = { stdout: { write: (t: string) => ((stdout += t), true) }, stderr: { write: (t: string) => ((stderr += t), true) }, stdin: process.stdin } as unknown as CliIo;
      let stopped = false;
      const code = await settleWithIo(clock, runTcpClientCli({ stack: a, stop: async () => void (stopped = true) }, { options: { connect: '192.0.2.2:7', send: input, recv: output }, positionals: [] }, io));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stopped).toBe(true);
      const sha = createHash('sha256').update(data).digest('hex');
      expect(stdout).toMatch(/sent 150000 received 150000 bytes/);
      expect(stdout).toContain(`received sha256 ${sha}`);
      expect(createHash('sha256').update(readFileSync(output)).digest('hex')).toBe(sha);
      expect(existsSync(`${output}.partial`)).toBe(false);
      expect(parseConnect({ options: { connect: '192.0.2.2:80', send: '1000' }, positionals: [] }).send).toEqual({ count: 1000 });
      expect(() => parseConnect({ options: { connect: 'example.org:80' }, positionals: [] })).toThrow(/HOST:PORT/);
      expect(() => parseConnect({ options: { connect: '192.0.2.2:0' }, positionals: [] })).toThrow(/HOST:PORT/);
      expect(() => parseConnect({ options: { connect: '192.0.2.2:80', send: join(dir, 'missing') }, positionals: [] })).toThrow(/--send: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
