/**
 * ECN (RFC 3168) between tcplab and the Linux kernel over a TAP whose kernel side lives in a test
 * namespace with net.ipv4.tcp_ecn = 1 (per namespace). tshark reads the capture taken in the
 * namespace: the ECN-setup SYN / SYN-ACK, ECT(0) on data both ways, and — with tcplab's fault
 * injector marking CE (RED-like `ceMarking`) — ECE answered by CWR in both directions.
 * Kernel 192.0.2.1, tcplab 192.0.2.2 (TEST-NET-1).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '@shared/sim/random';
import type { ProbeEvent } from '@shared/model/probe';
import { missing, title } from '../support/requirements';
import { createTapInNetns, runInNs, type TapInNetns } from '../support/tap';
import { startTcpdump } from '../support/netns';
import { RealClock } from '../../src-main/link/real-clock';
import { FaultInjector } from '../../src-main/link/fault-injector';
import type { ImpairmentConfig } from '../../src-main/link/impairment';
import { Stack } from '../../src-main/stack/stack';
import { startServices } from '../../src-main/stack/services';
import { generatedSha256, runTcpClient } from '../../src-main/stack/tcp/services';

const why = missing('root', 'netns', 'tun', 'curl', 'socat', 'tcpdump', 'tshark');

interface Env {
  env: TapInNetns;
  stack: Stack;
  clock: RealClock;
  dir: string;
  events: ProbeEvent[];
}

let current: Env | undefined;

/** TAP in a namespace with tcp_ecn = 1; tcplab behind a fault injector (`tx` towards the kernel, `rx` from it). */
async function setup(prefix: string, impair: { tx?: ImpairmentConfig; rx?: ImpairmentConfig } = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), `tcplab-${prefix}-`));
  const env = await createTapInNetns(prefix);
  await runInNs(env.ns, 'sysctl', ['-q', '-w', 'net.ipv4.tcp_ecn=1']);
  const clock = new RealClock();
  const random = new SeededRandom(5);
  const device = new FaultInjector(env.tap, { clock, random: random.fork(), ...impair });
  const stack = new Stack({ clock, random: random.fork(), wallClock: () => Date.now() });
  stack.addInterface({ device, ipv4: `${env.stackAddr}/24`, mac: '02:00:00:00:06:02' });
  startServices(stack, ['http'], ['tcp']);
  const events: ProbeEvent[] = [];
  stack.probes.subscribe((e) => {
    if (e.kind === 'ecn' || e.kind === 'retransmit' || (e.layer === 'cc' && e.data['event'] === 'ecn')) events.push(e);
  });
  current = { env, stack, clock, dir, events };
  return current;
}

afterEach(async () => {
  const e = current;
  current = undefined;
  if (!e) return;
  await e.stack.close();
  e.clock.clearAll();
  await e.env.destroy();
  rmSync(e.dir, { recursive: true, force: true });
});

interface Pkt {
  src: string;
  flags: number;
  ecn: number;
  len: number;
}

/** Every TCP packet in the capture: source, TCP flags, the IP ECN codepoint and the payload length (tshark). */
function tshark(file: string): Pkt[] {
  const out = execFileSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'tcp.flags', '-e', 'ip.dsfield.ecn', '-e', 'tcp.len'], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [src, flags, ecn, len] = l.split(',');
      return { src: src!, flags: Number(flags), ecn: Number(ecn), len: Number(len) };
    });
}

const SYN = 0x02;
const ACK = 0x10;
const ECE = 0x40;
const CWR = 0x80;
const isSyn = (p: Pkt) => (p.flags & SYN) !== 0;
const synOnly = (p: Pkt) => isSyn(p) && !(p.flags & ACK);
const synAck = (p: Pkt) => isSyn(p) && (p.flags & ACK) !== 0;

describe.skipIf(why !== null)(title(why, 'ECN with the Linux kernel (net.ipv4.tcp_ecn=1 in the namespace)'), () => {
  it('kernel client → tcplab server (tcp_ecn 2, the default): ECN-setup SYN, SYN-ACK with ECE, ECT(0) on data both ways', async () => {
    const e = await setup('ecnk');
    const pcap = join(e.dir, 'a.pcap');
    const stop = await startTcpdump(e.env.ns, e.env.ifname, pcap, ['--immediate-mode', 'tcp port 80']);
    const n = 300_000;
    const r = await runInNs(e.env.ns, 'sh', ['-c', `curl -sS --max-time 20 http://${e.env.stackAddr}/bytes/${n} | sha256sum`], { timeoutMs: 30_000 });
    await new Promise((res) => setTimeout(res, 300));
    await stop();
    expect(r.stderr).toBe('');
    expect(r.stdout.split(' ')[0]).toBe(generatedSha256(n));
    const pkts = tshark(pcap);
    const kernel = pkts.filter((p) => p.src === e.env.kernelAddr);
    const ours = pkts.filter((p) => p.src === e.env.stackAddr);
    expect(kernel.find(synOnly)!.flags & (ECE | CWR)).toBe(ECE | CWR);
    expect(ours.find(synAck)!.flags & (ECE | CWR)).toBe(ECE);
    expect(ours.find(synAck)!.ecn).toBe(0);
    const ourData = ours.filter((p) => p.len > 0);
    expect(ourData.length).toBeGreaterThan(100);
    expect(ourData.every((p) => p.ecn === 2)).toBe(true); // no loss on this path, so no retransmission
    expect(ours.filter((p) => p.len === 0 && !isSyn(p)).every((p) => p.ecn === 0)).toBe(true);
    // The kernel's request is data too: ECT(0) from the kernel (it agreed), its pure ACKs Not-ECT.
    expect(kernel.filter((p) => p.len > 0).every((p) => p.ecn === 2)).toBe(true);
    expect(kernel.filter((p) => p.len === 0 && !isSyn(p)).every((p) => p.ecn === 0)).toBe(true);
    expect(e.events.some((x) => x.kind === 'ecn' && x.data['event'] === 'negotiated' && x.data['role'] === 'passive')).toBe(true);
  }, 60_000);

  it('tcplab client (TCP_ECN 1) → kernel server: the kernel accepts; CE marks on its data make tcplab echo ECE and the kernel answer CWR', async () => {
    // Frames from the kernel pass a 20 Mbit/s queue that marks CE from 15 kB on.
    const e = await setup('ecnc', { rx: { bandwidthBps: 20e6, queueLimitBytes: 1 << 20, ceMarking: { minBytes: 15_000 } } });
    e.stack.tcp.options.config.ecn = 1;
    const file = join(e.dir, 'k.bin');
    const n = 4_000_000;
    await runInNs(e.env.ns, 'sh', ['-c', `head -c ${n} /dev/urandom > ${file}`], { timeoutMs: 30_000 });
    const pcap = join(e.dir, 'b.pcap');
    const stop = await startTcpdump(e.env.ns, e.env.ifname, pcap, ['--immediate-mode', '-s', '96', 'tcp port 8085']);
    const server = runInNs(e.env.ns, 'socat', ['-u', `OPEN:${file}`, 'TCP-LISTEN:8085,reuseaddr'], { timeoutMs: 60_000 });
    await new Promise((res) => setTimeout(res, 300));
    const r = await runTcpClient(e.stack, { host: e.env.kernelAddr, port: 8085 });
    await server;
    await new Promise((res) => setTimeout(res, 300));
    await stop();
    expect(r.received).toBe(n);
    expect(r.info['ecn']).toBe(true);
    const pkts = tshark(pcap);
    const kernel = pkts.filter((p) => p.src === e.env.kernelAddr);
    const ours = pkts.filter((p) => p.src === e.env.stackAddr);
    expect(ours.find(synOnly)!.flags & (ECE | CWR)).toBe(ECE | CWR);
    expect(kernel.find(synAck)!.flags & (ECE | CWR)).toBe(ECE);
    const kernelData = kernel.filter((p) => p.len > 0);
    expect(kernelData.filter((p) => p.ecn === 2).length).toBeGreaterThan(kernelData.length * 0.9);
    // The capture sits on the kernel's side, before our marking: the CE marks are seen by tcplab.
    const ce = e.events.filter((x) => x.kind === 'ecn' && x.data['event'] === 'ce-received').length;
    expect(ce).toBeGreaterThan(0);
    expect(ours.filter((p) => !isSyn(p) && p.flags & ECE).length).toBeGreaterThan(0);
    // The kernel reduced and said so: CWR on its data, and tcplab saw the echo end.
    expect(kernel.filter((p) => p.len > 0 && p.flags & CWR).length).toBeGreaterThan(0);
    expect(e.events.some((x) => x.kind === 'ecn' && x.data['event'] === 'cwr-received')).toBe(true);
  }, 90_000);

  it('kernel client → tcplab: CE marks on tcplab\'s data make the kernel echo ECE; tcplab halves cwnd without retransmitting and sends CWR', async () => {
    // Frames tcplab sends pass a 20 Mbit/s queue that marks CE from 15 kB on (the capture sees them marked).
    const e = await setup('ecns', { tx: { bandwidthBps: 20e6, queueLimitBytes: 1 << 20, ceMarking: { minBytes: 15_000 } } });
    const pcap = join(e.dir, 'c.pcap');
    const stop = await startTcpdump(e.env.ns, e.env.ifname, pcap, ['--immediate-mode', '-s', '96', 'tcp port 80']);
    const n = 4_000_000;
    const r = await runInNs(e.env.ns, 'sh', ['-c', `curl -sS --max-time 40 http://${e.env.stackAddr}/bytes/${n} | sha256sum`], { timeoutMs: 50_000 });
    await new Promise((res) => setTimeout(res, 300));
    await stop();
    expect(r.stdout.split(' ')[0]).toBe(generatedSha256(n));
    const pkts = tshark(pcap);
    const kernel = pkts.filter((p) => p.src === e.env.kernelAddr);
    const ours = pkts.filter((p) => p.src === e.env.stackAddr);
    expect(ours.filter((p) => p.len > 0 && p.ecn === 3).length).toBeGreaterThan(0); // CE reached the kernel
    expect(kernel.filter((p) => !isSyn(p) && p.flags & ECE).length).toBeGreaterThan(0); // the kernel echoes
    const reductions = e.events.filter((x) => x.layer === 'cc' && x.data['event'] === 'ecn');
    expect(reductions.length).toBeGreaterThan(0);
    expect(ours.filter((p) => p.len > 0 && p.flags & CWR).length).toBe(reductions.length);
    expect(reductions.every((x) => x.data['cwnd'] === x.data['ssthresh'])).toBe(true);
    expect(e.events.filter((x) => x.kind === 'retransmit')).toEqual([]);
  }, 90_000);
});
