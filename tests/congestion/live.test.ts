/**
 * Live congestion control against the Linux kernel (issue 7 item 6). tcplab (192.0.2.2, CUBIC)
 * holds a TAP whose kernel side (192.0.2.1) lives in a test namespace; one connection carries bulk
 * data both ways: tcplab sends to a kernel sink (socat) while the kernel sends a file back.
 *
 * Loss comes from both injectors: tcplab's seeded fault-injecting device (1% each way, 10 ms delay
 * each way) and an iptables `statistic` rule on the kernel side (1% of tcplab's segments dropped at
 * INPUT). A 1.5 s blackout (an iptables DROP inserted and removed) forces retransmission timeouts.
 * The checks follow the labs: fast retransmit → recovery (ssthresh cut, cwnd deflated on exit, as in
 * the fast-recovery lab) and RTO → cwnd = 1 SMSS → slow start (the rto-backoff lab), asserted on
 * tcplab's own `cc` probes; the kernel's cwnd is polled from `ss -tinoH` in the namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SeededRandom } from '@shared/sim/random';
import type { ProbeEvent } from '@shared/model/probe';
import { missing, title } from '../support/requirements';
import { createTapInNetns, runInNs, type TapInNetns } from '../support/tap';
import { Netns, uniqueSuffix } from '../support/netns';
import { RealClock } from '../../src-main/link/real-clock';
import { FaultInjector } from '../../src-main/link/fault-injector';
import { Stack } from '../../src-main/stack/stack';
import { generatedSha256, runTcpClient, type TcpClientResult } from '../../src-main/stack/tcp/services';
import { KernelTcpPoller } from '../../src-main/capture/kernel-tcp-poller';
import { LiveCcRecorder, type LiveCcReport } from '../../src-main/session/live-cc';

const why = missing('root', 'netns', 'tun', 'socat', 'iptables');
const TCPLAB_BYTES = 3_000_000;
const KERNEL_BYTES = 2_000_000;
const PORT = 5001;

/** A kernel peer that receives into a file while sending `file` back, on one connection (CUBIC). */
function kernelPeer(ns: Netns, port: number, sendFile: string, recvFile: string) {
  return runInNs(ns, 'socat', ['-T', '60', `TCP-LISTEN:${port},reuseaddr,setsockopt-string=6:13:cubic`, `SYSTEM:cat ${sendFile} & cat > ${recvFile}; wait`], { timeoutMs: 90_000 });
}

async function iptablesCount(ns: Netns, match: RegExp): Promise<number> {
  const r = await runInNs(ns, 'iptables', ['-L', 'INPUT', '-v', '-x', '-n']);
  const line = r.stdout.split('\n').find((l) => match.test(l));
  return line ? Number(line.trim().split(/\s+/)[0]) : 0;
}

describe.skipIf(why !== null)(title(why, 'live congestion against the Linux kernel over a TAP (loss from both injectors)'), () => {
  let env: TapInNetns;
  let clock: RealClock;
  let stack: Stack;
  let fault: FaultInjector;
  let dir: string;
  let result: TcpClientResult;
  let report: LiveCcReport;
  let recorder: LiveCcRecorder;
  let kernelSha: string;
  let statisticDrops: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-livecc-'));
    env = await createTapInNetns('tlcc');
    clock = new RealClock();
    const random = new SeededRandom(2026);
    const cfg = { loss: 0.01, delayMs: 10 };
    fault = new FaultInjector(env.tap, { clock, random: random.fork(), tx: cfg, rx: cfg });
    stack = new Stack({ clock, random: random.fork(), wallClock: () => Date.now() });
    stack.addInterface({ device: fault, ipv4: `${env.stackAddr}/24`, mac: '02:00:00:00:07:02' });
    await runInNs(env.ns, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '-m', 'statistic', '--mode', 'random', '--probability', '0.01', '-j', 'DROP']);

    const sendFile = join(dir, 'kernel-send.bin');
    const recvFile = join(dir, 'kernel-recv.bin');
    await runInNs(env.ns, 'sh', ['-c', `head -c ${KERNEL_BYTES} /dev/urandom > ${sendFile}`]);
    kernelSha = createHash('sha256').update(readFileSync(sendFile)).digest('hex');
    const peer = kernelPeer(env.ns, PORT, sendFile, recvFile);
    await new Promise((r) => setTimeout(r, 300));

    recorder = new LiveCcRecorder(stack.probes, clock.now());
    const poller = new KernelTcpPoller({ clock, probes: stack.probes, intervalMs: 50, netns: env.ns.name, peer: env.stackAddr });
    poller.start();
    // The blackout: 700 ms into the transfer every segment from tcplab is dropped for 1.5 s.
    const blackout = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      await runInNs(env.ns, 'iptables', ['-I', 'INPUT', '1', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
      await new Promise((r) => setTimeout(r, 1500));
      await runInNs(env.ns, 'iptables', ['-D', 'INPUT', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
    })();
    result = await runTcpClient(stack, { host: env.kernelAddr, port: PORT, send: { count: TCPLAB_BYTES }, congestion: 'cubic' });
    await blackout;
    await peer;
    await poller.stop();
    recorder.stop();
    report = recorder.report(poller);
    statisticDrops = await iptablesCount(env.ns, /statistic/);
    const got = await runInNs(env.ns, 'sha256sum', [recvFile]);
    report.kernelReceivedSha = got.stdout.split(' ')[0];
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    clock?.clearAll();
    await env?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves the bytes intact both ways through loss from both injectors', () => {
    expect(result.sent).toBe(TCPLAB_BYTES);
    expect(report.kernelReceivedSha).toBe(generatedSha256(TCPLAB_BYTES));
    expect(result.received).toBe(KERNEL_BYTES);
    expect(result.receivedSha256).toBe(kernelSha);
    const drops = fault.stats().drops;
    expect(drops['fault-tx-loss'] ?? 0).toBeGreaterThan(0);
    expect(drops['fault-rx-loss'] ?? 0).toBeGreaterThan(0);
    expect(statisticDrops).toBeGreaterThan(0);
  });

  const ours = () => `${result.local}-${result.remote}`;
  const cc = () => recorder.ccEvents(ours());
  const mss = () => Number(result.info.mss);
  const ev = (e: ProbeEvent) => String(e.data.event);
  const n = (e: ProbeEvent, k: string) => e.data[k] as number;

  it("fast retransmit → SACK recovery: ssthresh = max(0.7·FlightSize, 2·SMSS), cwnd ≤ ssthresh when recovery ends (tcplab's probes)", () => {
    const events = cc();
    expect(events.every((e) => e.data.algorithm === 'cubic')).toBe(true);
    const enters = events.map((e, i) => [e, i] as const).filter(([e]) => ev(e) === 'enter-recovery');
    expect(enters.length, JSON.stringify(report.events.slice(0, 20))).toBeGreaterThanOrEqual(1);
    let exits = 0;
    for (const [e, i] of enters) {
      // CUBIC: ssthresh = max(β·FlightSize, 2·SMSS) with β = 0.7 (RFC 9438 §4.6, docs/congestion.md);
      // with SACK, cwnd = ssthresh on entering recovery (RFC 6675 §5).
      const expected = Math.max(0.7 * n(e, 'flightSize'), 2 * mss());
      expect(Math.abs(n(e, 'ssthresh') - expected), JSON.stringify(e.data)).toBeLessThanOrEqual(1);
      expect(n(e, 'cwnd')).toBe(n(e, 'ssthresh'));
      const end = events.slice(i + 1).find((x) => ['exit-recovery', 'rto', 'enter-recovery'].includes(ev(x)));
      if (end && ev(end) === 'exit-recovery') {
        exits++;
        // RFC 6582 §3.2 step 3: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        expect(n(end, 'cwnd')).toBeLessThanOrEqual(n(end, 'ssthresh'));
      }
    }
    expect(exits).toBeGreaterThanOrEqual(1);
  });

  it('RTO in the blackout → cwnd = 1 SMSS → slow start grows it again (tcplab’s probes)', () => {
    const events = cc();
    const i = events.findIndex((e) => ev(e) === 'rto');
    expect(i, JSON.stringify(report.events)).toBeGreaterThanOrEqual(0);
    const rto = events[i]!;
    expect(n(rto, 'cwnd')).toBe(mss());
    expect(n(rto, 'ssthresh')).toBeGreaterThanOrEqual(2 * mss());
    // After the last RTO of the blackout: ACKs grow cwnd by about a segment each while cwnd < ssthresh.
    let last = i;
    for (let k = i + 1; k < events.length && ev(events[k]!) !== 'enter-recovery'; k++) if (ev(events[k]!) === 'rto') last = k;
    const after = events.slice(last + 1);
    const slowStart = after.filter((e, k) => ev(e) === 'ack' && k > 0 && n(e, 'cwnd') < n(e, 'ssthresh'));
    const grew = slowStart.filter((e) => {
      const prev = after[after.indexOf(e) - 1]!;
      return n(e, 'cwnd') - n(prev, 'cwnd') >= mss() * 0.9;
    });
    expect(grew.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...after.map((e) => n(e, 'cwnd')))).toBeGreaterThan(2 * mss());
  });

  it("polls the kernel sender's own cwnd from ss beside tcplab's: enough samples, plausible values", () => {
    const kernelSubject = `${result.remote}-${result.local}`;
    const k = report.kernel.find((s) => s.subject === kernelSubject);
    expect(k, JSON.stringify(report.kernel.map((s) => s.subject)) + JSON.stringify(report.kernelErrors)).toBeDefined();
    expect(k!.t.length).toBeGreaterThanOrEqual(20);
    const samples = recorder.kernelSamples(kernelSubject);
    for (const s of samples) {
      const seg = s.data.cwndSegments as number;
      expect(seg).toBeGreaterThanOrEqual(1);
      expect(seg).toBeLessThan(10_000);
      expect(s.data.mss).toBeGreaterThanOrEqual(500);
      expect(s.data.mss).toBeLessThanOrEqual(1460);
      expect(s.data.cwnd).toBe(seg * (s.data.mss as number));
    }
    const acked = k!.bytesAcked.filter((v): v is number => v !== null);
    for (let j = 1; j < acked.length; j++) expect(acked[j]!).toBeGreaterThanOrEqual(acked[j - 1]!);
    expect(acked[acked.length - 1]!).toBeGreaterThan(KERNEL_BYTES / 2);
    // The kernel lost segments too (tcplab's rx loss, the blackout): it retransmitted and cut cwnd.
    expect(k!.retransTotal[k!.retransTotal.length - 1]!).toBeGreaterThan(0);
    expect(new Set(k!.cwnd).size).toBeGreaterThan(1);
    // tcplab's series is in the same report, on the same time axis.
    const t = report.tcplab.find((s) => s.subject === ours())!;
    expect(t.algorithm).toBe('cubic');
    expect(k!.t[0]!).toBeLessThan(t.t[t.t.length - 1]!);
  });
});

/** The CLI end to end: `tcplab stack … --connect … --cc reno --kernel-cwnd --json FILE`, run inside the namespace. */
describe.skipIf(why !== null)(title(why, 'tcplab stack --kernel-cwnd --json (CLI, inside a namespace)'), () => {
  let ns: Netns;
  let dir: string;
  const tap = `tlcli${uniqueSuffix()}`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcplab-livecli-'));
    ns = Netns.create('tlcli');
    ns.run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    ns.run('sysctl', ['-q', '-w', `net.ipv6.conf.${tap}.disable_ipv6=1`]);
    ns.run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', tap]);
    ns.run('ip', ['link', 'set', tap, 'up']);
  });
  afterAll(() => {
    ns?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes both series as JSON and prints a summary', async () => {
    const sendFile = join(dir, 'k.bin');
    const recvFile = join(dir, 'r.bin');
    ns.run('sh', ['-c', `head -c 500000 /dev/urandom > ${sendFile}`]);
    const peer = kernelPeer(ns, 5002, sendFile, recvFile);
    await new Promise((r) => setTimeout(r, 300));
    const json = join(dir, 'live.json');
    const cli = resolve(__dirname, '../../src-main/cli/main.ts');
    const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const child = spawn('ip', ['netns', 'exec', ns.name, tsx, cli, 'stack', '--tap', tap, '--ip', '192.0.2.2/24', '--loss', '0.02', '--delay', '10', '--seed', '5', '--connect', '192.0.2.1:5002', '--send', '1000000', '--cc', 'reno', '--kernel-cwnd', '--poll-ms', '50', '--json', json]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        res({ code, stdout, stderr });
      });
    });
    await peer;
    expect(out.stderr.replace(/^npm warn.*\n/gm, '')).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/sent 1000000 received 500000 bytes/);
    expect(out.stdout).toMatch(/tcplab cc 192\.0\.2\.2:\d+-192\.0\.2\.1:5002 reno: \d+ cwnd points/);
    expect(out.stdout).toMatch(/kernel cwnd \(ss\) 192\.0\.2\.1:5002-192\.0\.2\.2:\d+ \w+: \d+ samples/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LiveCcReport & { connection: TcpClientResult; device: { drops: Record<string, number> } };
    expect(r.version).toBe(1);
    expect(r.connection.sent).toBe(1_000_000);
    expect(r.connection.receivedSha256).toBe(createHash('sha256').update(readFileSync(sendFile)).digest('hex'));
    const t = r.tcplab.find((s) => s.subject === `${r.connection.local}-${r.connection.remote}`)!;
    expect(t.algorithm).toBe('reno');
    expect(t.t.length).toBe(t.cwnd.length);
    expect(t.t.length).toBeGreaterThan(10);
    const k = r.kernel.find((s) => s.subject === `${r.connection.remote}-${r.connection.local}`)!;
    expect(k.t.length).toBeGreaterThanOrEqual(5); // 20 ms RTT at 2% loss: ~1 s of sending, 50 ms polls
    expect(k.cwnd.every((c) => c >= 500)).toBe(true);
    expect(r.poller!.intervalMs).toBe(50);
    expect(r.poller!.netns).toBeNull(); // the TAP is in ss's own namespace
    expect(r.device.drops['fault-tx-loss']! + r.device.drops['fault-rx-loss']!).toBeGreaterThan(0);
  }, 60_000);
});
