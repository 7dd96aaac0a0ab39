/**
 * tcplab's stack against the Linux kernel over a TAP whose kernel side lives in a namespace the
 * test creates (tests/support/tap.ts). Addresses: kernel 192.0.2.1, stack 192.0.2.2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@shared/sim/random';
import { missing, title } from '../support/requirements';
import { startTcpdump } from '../support/netns';
import { createTapInNetns, runInNs, type TapInNetns } from '../support/tap';
import { RealClock } from '../../src-main/link/real-clock';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';

const why = missing('root', 'netns', 'tun', 'ping', 'socat', 'tcpdump');

describe.skipIf(why !== null)(title(why, 'stack ↔ Linux kernel over TAP'), () => {
  let env: TapInNetns;
  let stack: Stack;
  let dir: string;
  let stopTcpdump: (() => Promise<void>) | null = null;
  const pcap = () => join(dir, 'tap.pcap');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-stack-'));
    env = await createTapInNetns('stk');
    stopTcpdump = await startTcpdump(env.ns, env.ifname, pcap(), ['--immediate-mode']);
    stack = new Stack({ clock: new RealClock(), random: new SeededRandom(5), wallClock: () => Date.now() });
    stack.addInterface({ device: env.tap, ipv4: `${env.stackAddr}/24`, mac: '02:00:00:00:05:02' });
    startServices(stack, ['echo', 'discard', 'daytime', 'chargen']);
  });

  afterAll(async () => {
    if (stopTcpdump) await stopTcpdump().catch(() => {});
    await stack?.close();
    await env?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** tcpdump's reading of what crossed the TAP so far. */
  async function wire(filter: string[] = []): Promise<string> {
    await new Promise((r) => setTimeout(r, 300)); // let tcpdump write the last frames
    const r = await runInNs(env.ns, 'tcpdump', ['-nr', pcap(), ...filter]);
    if (r.code !== 0) throw new Error(`tcpdump -r: ${r.stderr}`);
    return r.stdout;
  }

  it('answers ping -c 5 with 0% loss', async () => {
    const r = await runInNs(env.ns, 'ping', ['-c', '5', '-i', '0.2', '-W', '2', env.stackAddr]);
    expect(r.stdout).toContain('5 packets transmitted, 5 received, 0% packet loss');
    expect(stack.counters.get('icmp.tx.echo-replies')).toBeGreaterThanOrEqual(5);
  });

  it("the kernel's neighbour entry for the stack becomes REACHABLE", async () => {
    await runInNs(env.ns, 'ping', ['-c', '1', '-W', '2', env.stackAddr]);
    const r = await runInNs(env.ns, 'ip', ['neigh', 'show', env.stackAddr, 'dev', env.ifname]);
    expect(r.stdout).toMatch(/lladdr 02:00:00:00:05:02 (REACHABLE|DELAY)/);
    // A unicast ARP probe from the kernel must be answered too: force one and check the state.
    await runInNs(env.ns, 'ip', ['neigh', 'flush', 'dev', env.ifname]);
    await runInNs(env.ns, 'ping', ['-c', '1', '-W', '2', env.stackAddr]);
    const again = await runInNs(env.ns, 'ip', ['neigh', 'show', env.stackAddr, 'dev', env.ifname]);
    expect(again.stdout).toMatch(/REACHABLE/);
  });

  it('ping -s 1473 and -s 3000: fragments both ways', async () => {
    for (const size of [1473, 3000]) {
      const r = await runInNs(env.ns, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '-s', String(size), env.stackAddr]);
      expect(r.stdout, `ping -s ${size}`).toContain('2 packets transmitted, 2 received, 0% packet loss');
      expect(r.stdout).toContain(`${size + 8} bytes from ${env.stackAddr}`);
    }
    expect(stack.counters.get('ipv4.rx.reassembled')).toBeGreaterThanOrEqual(4);
    expect(stack.counters.get('ipv4.tx.fragmented')).toBeGreaterThanOrEqual(4);
    const frags = await wire(['-v', 'ip src 192.0.2.2 and (ip[6:2] & 0x3fff) != 0']);
    // Our replies to -s 3000 (3008 ICMP bytes): offsets 0 (MF), 1480 (MF), 2960 (last).
    expect(frags).toMatch(/id \d+, offset 0, flags \[\+\], proto ICMP \(1\), length 1500\)\n\s+192\.0\.2\.2 > 192\.0\.2\.1: ICMP echo reply/);
    expect(frags).toMatch(/offset 1480, flags \[\+\], proto ICMP \(1\), length 1500/);
    expect(frags).toMatch(/offset 2960, flags \[none\], proto ICMP \(1\), length 68/);
  });

  it('our own ping reaches the kernel (stack as the client)', async () => {
    const reply = await stack.icmp.ping(env.kernelAddr, { size: 2000, timeoutMs: 2000 });
    expect(reply.from).toBe(env.kernelAddr);
    expect(reply.bytes).toBe(2008);
  });

  it('UDP echo through socat, payloads up to 60 kB (fragmented)', async () => {
    for (const size of [1, 1472, 1473, 8000, 60_000]) {
      const payload = Buffer.alloc(size, 0);
      for (let i = 0; i < size; i++) payload[i] = 0x41 + (i % 26);
      const r = await runInNs(env.ns, 'socat', ['-b', '65536', '-T', '3', '-t', '1', 'STDIO', `UDP:${env.stackAddr}:7`], { input: payload, timeoutMs: 10_000 });
      expect(r.stdout.length, `echo of ${size} bytes: ${r.stderr}`).toBe(size);
      expect(Buffer.from(r.stdout, 'latin1').equals(payload)).toBe(true);
    }
  });

  it('a closed UDP port answers ICMP port unreachable, seen by the kernel', async () => {
    const r = await runInNs(env.ns, 'socat', ['-T', '2', 'STDIO', `UDP:${env.stackAddr}:4999`], { input: 'hello\n', timeoutMs: 10_000 });
    expect(r.stderr).toMatch(/Connection refused/);
    const icmp = await wire(['icmp']);
    expect(icmp).toMatch(/192\.0\.2\.2 > 192\.0\.2\.1: ICMP 192\.0\.2\.2 udp port 4999 unreachable/);
    expect(stack.counters.get('udp.drop.no-socket')).toBeGreaterThanOrEqual(1);
  });

  it('daytime answers with the injected wall clock', async () => {
    const r = await runInNs(env.ns, 'socat', ['-T', '2', 'STDIO', `UDP:${env.stackAddr}:13`], { input: 'x', timeoutMs: 10_000 });
    expect(r.stdout).toMatch(/^\w+day, \w+ \d+, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/);
  });
});
