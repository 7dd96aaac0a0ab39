import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing, title } from '../support/requirements';
import { sh, uniqueSuffix } from '../support/netns';
import { runInNs, STACK_ADDR } from '../support/tap';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';
import { TapStackSource } from '../../src-main/session/sources/tap';
import { createDispatcher } from '../../src-main/transport/dispatcher';
import type { TapStackSnapshot } from '@shared/model/tap-stack';
import type { RpcError } from '@shared/ipc/contract';
import type { LadderData } from '@shared/model/conversation';
import type { SessionSeries } from '@shared/model/series';
import { moveTapIntoNetns, tapName, type KernelSide } from './kernel-side';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const why = missing('root', 'tun', 'netns', 'ping', 'curl');

describe.skipIf(why !== null)(title(why, 'the stack on a TAP as a session'), () => {
  const registry = new SessionRegistry({ createSource });
  const call = createDispatcher({ registry, version: 'test', shell: 'browser', initialSessionId: () => null });
  const ifname = tapName('tls');
  let kernel: KernelSide;
  let sessionId: number;

  beforeAll(async () => {
    // The session creates the TAP (we are root) and holds it; then its kernel side moves away.
    const info = (await call('session.open', {
      source: { kind: 'tap', tap: ifname, ip: `${STACK_ADDR}/24`, mac: '02:00:00:00:07:02', services: ['http', 'echo'], create: true },
    })) as { id: number; kind: string; state: string };
    expect(info).toMatchObject({ kind: 'tap', state: 'running' });
    sessionId = info.id;
    kernel = moveTapIntoNetns(ifname, 'tlts');
  });

  afterAll(async () => {
    const session = registry.get(sessionId);
    registry.close(sessionId);
    await (session.source as TapStackSource).closed();
    kernel?.destroy();
    registry.dispose();
  });

  it('the kernel pings the stack: ICMP frames and probe events reach the session', async () => {
    const r = await runInNs(kernel.ns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', STACK_ADDR]);
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    const session = registry.get(sessionId);
    const icmp = session.summaries.filter((s) => s.protocol === 'ICMP');
    expect(icmp.filter((s) => s.src === kernel.kernelAddr && s.dst === STACK_ADDR).length).toBe(3);
    expect(icmp.filter((s) => s.src === STACK_ADDR && s.dst === kernel.kernelAddr).length).toBe(3);
    expect(session.summaries.some((s) => s.protocol === 'ARP')).toBe(true);
    const echoIn = session.probes.filter((e) => e.layer === 'icmp' && e.kind === 'message-in');
    expect(echoIn.length).toBeGreaterThanOrEqual(3);
    // Each reply frame names the event that caused it, and that event is among the session's probes.
    const ids = new Set(session.probes.map((e) => e.id));
    const replies = session.frames.filter((f, i) => session.summaries[i]!.protocol === 'ICMP' && session.summaries[i]!.src === STACK_ADDR);
    for (const f of replies) expect(ids.has(f.causeId!)).toBe(true);
    // The ARP table has learnt the kernel's side.
    const snap = (await call('tap.state', { sessionId })) as TapStackSnapshot;
    expect(snap.arp.find((a) => a.ip === kernel.kernelAddr)?.state).toBe('reachable');
  });

  it('the kernel curls the HTTP service: TCP frames, true states, and the socket table shows the connection', async () => {
    // A slow download keeps the connection open long enough to see it in the socket table.
    const curl = runInNs(kernel.ns, 'curl', ['-s', '-o', '/dev/null', '--limit-rate', '100K', '-w', '%{http_code} %{size_download}', `http://${STACK_ADDR}/bytes/300000`], { timeoutMs: 30_000 });
    const row = await until('an ESTABLISHED row for the curl connection', () => {
      const snap = (registry.get(sessionId).source as TapStackSource).snapshot();
      return snap.sockets.find((s) => s.state === 'ESTABLISHED' && s.local === `${STACK_ADDR}:80` && s.peer.startsWith(`${kernel.kernelAddr}:`));
    });
    expect(row.cwnd).toBeGreaterThan(0);
    expect(row.congestion).toBe('cubic');
    expect(row.rtoMs).toBeGreaterThan(0);
    const r = await curl;
    expect(r.stdout).toBe('200 300000');
    const session = registry.get(sessionId);
    const tcp = session.summaries.filter((s) => s.protocol === 'TCP' || s.protocol === 'HTTP');
    expect(tcp.length).toBeGreaterThan(10);
    const states = session.probes.filter((e) => e.layer === 'tcp' && e.kind === 'state').map((e) => String(e.data.to));
    expect(states).toContain('SYN-RECEIVED');
    expect(states).toContain('ESTABLISHED');
    // The listener is in the table like `ss -tan` shows it.
    const snap = (await call('tap.state', { sessionId })) as TapStackSnapshot;
    expect(snap.sockets).toContainEqual(expect.objectContaining({ state: 'LISTEN', local: '*:80', peer: '*:*' }));
    expect(snap.routes).toContainEqual({ destination: '192.0.2.0/24', gateway: null, ifname: snap.routes[0]!.ifname, source: STACK_ADDR });
    expect(snap.counters['tcp.service.http.connections']).toBe(1);
    expect(snap.mac).toBe('02:00:00:00:07:02');
  });

  it("the ladder of the curl connection has the stack's true states and timers, linked to frames", async () => {
    const convs = (await call('conversation.list', { sessionId })) as { stream: number; a: string; b: string }[];
    const conv = convs.find((c) => c.b === `${STACK_ADDR}:80` || c.a === `${STACK_ADDR}:80`)!;
    expect(conv).toBeDefined();
    const ladder = (await call('conversation.ladder', { sessionId, stream: conv.stream })) as LadderData;
    const side = ladder.endpoints.indexOf(`${STACK_ADDR}:80`);
    const mine = ladder.states.filter((s) => s.side === side);
    expect(ladder.initialStates[side]).toBe('LISTEN');
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((s) => !s.inferred && s.eventId !== undefined)).toBe(true);
    const synRcvd = mine.find((s) => s.state === 'SYN-RECEIVED')!;
    // The transition points at the kernel's SYN (frame numbers are 1-based).
    const session = registry.get(sessionId);
    expect(session.summaries[synRcvd.frame! - 1]!.info).toMatch(/Flags \[S\]/);
    expect(ladder.timers.some((tm) => tm.side === side && tm.timer === 'rto')).toBe(true);
    // The kernel's side stays inferred by the passive analysis.
    expect(ladder.states.filter((s) => s.side !== side).every((s) => s.inferred)).toBe(true);
  });

  it('services go on and off: a stopped port answers with RST (curl: connection refused)', async () => {
    const off = (await call('tap.services', { sessionId, services: ['echo'] })) as TapStackSnapshot;
    expect(off.services.map((s) => s.name)).not.toContain('http');
    const r = await runInNs(kernel.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${STACK_ADDR}/`]);
    expect(r.code).toBe(7); // curl: failed to connect
    const on = (await call('tap.services', { sessionId, services: ['echo', 'http'] })) as TapStackSnapshot;
    expect(on.services).toContainEqual({ name: 'http', protocol: 'tcp', port: 80 });
    const again = await runInNs(kernel.ns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${STACK_ADDR}/`]);
    expect(again.stdout).toBe('200');
  });

  it('a client connection from the stack: refused by a closed kernel port, data to a kernel listener', async () => {
    const refused = (await call('tap.connect', { sessionId, host: kernel.kernelAddr, port: 9 })) as { status: string; error: string };
    expect(refused.status).toBe('error');
    expect(refused.error).toMatch(/ECONNREFUSED/);
    // A kernel listener that reads everything: the stack sends 200 kB with Reno.
    const server = kernel.ns.spawn('sh', ['-c', 'exec socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null 2>/dev/null || exec nc -l -p 5001 >/dev/null']);
    try {
      await sleep(300);
      const c = (await call('tap.connect', { sessionId, host: kernel.kernelAddr, port: 5001, send: 200_000, cc: 'reno' })) as { id: number; congestion: string };
      expect(c.congestion).toBe('reno');
      const done = await until('the client to finish', () => {
        const row = (registry.get(sessionId).source as TapStackSource).snapshot().clients.find((x) => x.id === c.id);
        return row && (row.status === 'done' || row.status === 'error') ? row : null;
      }, 15_000);
      expect(done).toMatchObject({ status: 'done', sent: 200_000, error: null });
      // The stack sent: the congestion series carries its true cwnd (Reno), not an estimate.
      const convs = (await call('conversation.list', { sessionId })) as { stream: number; a: string; b: string }[];
      const conv = convs.find((x) => x.b === `${kernel.kernelAddr}:5001` || x.a === `${kernel.kernelAddr}:5001`)!;
      const series = (await call('session.series', { sessionId, stream: conv.stream })) as SessionSeries;
      expect(series.source).toBe('lab');
      expect(series.algorithm).toBe('reno');
      expect(series.cwnd!.v.length).toBeGreaterThan(5);
      expect(series.cwnd!.t.every((x) => x >= 0)).toBe(true);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it("fetch over HTTP: the client asks GET /bytes/N and reads the whole response (here from the stack's own server)", async () => {
    const c = (await call('tap.connect', { sessionId, host: STACK_ADDR, port: 80, fetch: 50_000, cc: 'newreno' })) as { id: number };
    const done = await until('the fetch to finish', () => {
      const row = (registry.get(sessionId).source as TapStackSource).snapshot().clients.find((x) => x.id === c.id);
      return row && (row.status === 'done' || row.status === 'error') ? row : null;
    });
    expect(done.status).toBe('done');
    // 50,000 body bytes plus the response head.
    expect(done.received).toBeGreaterThan(50_000);
    expect(done.received).toBeLessThan(50_400);
  });

  it('parameters are validated before anything runs', async () => {
    await expect(call('tap.connect', { sessionId, host: '192.0.2.999', port: 80 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('tap.connect', { sessionId, host: '192.0.2.1', port: 0 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('tap.connect', { sessionId, host: '192.0.2.1', port: 80, send: 1, fetch: 1 })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('tap.connect', { sessionId, host: '192.0.2.1', port: 80, cc: 'bbr' })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('tap.services', { sessionId, services: ['ssh'] })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('session.open', { source: { kind: 'tap', tap: 'x', ip: '192.0.2.2' } })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('session.open', { source: { kind: 'tap', tap: 'x', ip: '192.0.2.2/24', mtu: 20 } })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(call('session.open', { source: { kind: 'tap', tap: 'x/y', ip: '192.0.2.2/24' } })).rejects.toMatchObject({ code: 'EINVAL' });
    const demo = (await call('session.open', { source: { kind: 'demo' } })) as { id: number };
    await expect(call('tap.state', { sessionId: demo.id })).rejects.toMatchObject({ code: 'EINVAL', message: /not the stack on a TAP/ });
    registry.close(demo.id);
  });
});

describe.skipIf(why !== null)(title(why, 'tap source errors'), () => {
  it('a TAP that does not exist: the open request fails with the one-time fix', async () => {
    const registry = new SessionRegistry({ createSource });
    const name = `nx${uniqueSuffix()}`;
    const err = (await registry.open({ kind: 'tap', tap: name, ip: '192.0.2.2/24' }).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain(`sudo ip tuntap add dev ${name} mode tap user $USER`);
    expect(registry.list()).toEqual([]);
  });

  it("another user's TAP: EACCES with the fix, and no root is asked for", () => {
    const name = `tlr${uniqueSuffix()}`;
    sh('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', 'root']);
    try {
      const out = execFileSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', 'tests/tapsource/fixtures/open-tap-source.ts', name],
        { encoding: 'utf8', env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: 'tsconfig.node.json' }, timeout: 30_000 },
      );
      const r = JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string };
      expect(r).toMatchObject({ ok: false, code: 'EACCES' });
      expect(r.message).toContain(`sudo ip tuntap add dev ${name} mode tap user $USER`);
    } finally {
      sh('ip', ['tuntap', 'del', 'dev', name, 'mode', 'tap']);
    }
  });
});
