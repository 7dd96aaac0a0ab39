/**
 * tcplab's stack on a TAP against the Linux kernel on a veth, same load, same run:
 * - `ping -f` for a fixed time from a namespace: replies per second and loss;
 * - UDP 1472-byte datagrams (no fragmentation) from `socat -u /dev/zero` for a fixed time:
 *   datagrams and Mbit/s that reach the receiver (tcplab's discard service vs a kernel socket).
 * The kernel side of each run lives in namespaces made here (192.0.2.0/24); everything is removed.
 * Duration per measurement: TCPLAB_BENCH_STACK_SECONDS (default 3).
 */
import { SeededRandom } from '@shared/sim/random';
import { createTapInNetns, runInNs } from '../tests/support/tap';
import { createVethPair, type Netns } from '../tests/support/netns';
import { RealClock } from '../src-main/link/real-clock';
import { Stack } from '../src-main/stack/stack';
import { startServices } from '../src-main/stack/services';

const SECONDS = Number(process.env.TCPLAB_BENCH_STACK_SECONDS ?? 3);
const DATAGRAM = 1472;
/** Six fragments per datagram at MTU 1500: exercises reassembly. */
const BIG_DATAGRAM = 8192;

interface PingResult {
  sent: number;
  received: number;
}

async function pingFlood(ns: Netns, addr: string): Promise<PingResult> {
  const r = await runInNs(ns, 'ping', ['-f', '-q', '-w', String(SECONDS), addr], { timeoutMs: (SECONDS + 10) * 1000 });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`ping -f: no summary: ${r.stdout} ${r.stderr}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

/** Udp counters of /proc/net/snmp inside a namespace. */
async function udpSnmp(ns: Netns): Promise<Record<string, number>> {
  const r = await runInNs(ns, 'cat', ['/proc/net/snmp']);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

async function udpBlast(ns: Netns, addr: string, size: number): Promise<number> {
  const before = await udpSnmp(ns);
  await runInNs(ns, 'timeout', [String(SECONDS), 'socat', '-u', '-b', String(size), '/dev/zero', `UDP:${addr}:9`], { timeoutMs: (SECONDS + 10) * 1000 });
  const after = await udpSnmp(ns);
  return after.OutDatagrams! - before.OutDatagrams!;
}

const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const perSec = (n: number): number => Math.round(n / SECONDS);
const mbit = (datagrams: number, size: number): string => ((datagrams * size * 8) / SECONDS / 1e6).toFixed(1);

interface UdpRun {
  sent: number;
  /** Datagrams the receiving UDP layer processed. */
  received: number;
  /** Kernel only: datagrams dropped because the reader's socket buffer was full. */
  bufferDrops?: number;
}
const pct = (lost: number, total: number): string => (total > 0 ? `${((100 * lost) / total).toFixed(1)} %` : 'n/a');

export default async function stackBench() {
  // --- tcplab over TAP
  const env = await createTapInNetns('bst');
  const stack = new Stack({ clock: new RealClock(), random: new SeededRandom(1), wallClock: () => Date.now() });
  let tapPing: PingResult;
  const tapUdp: UdpRun[] = [];
  try {
    stack.addInterface({ device: env.tap, ipv4: `${env.stackAddr}/24` });
    startServices(stack, ['discard'], ['udp']);
    await runInNs(env.ns, 'ping', ['-c', '1', '-W', '2', env.stackAddr]); // ARP warm-up
    tapPing = await pingFlood(env.ns, env.stackAddr);
    for (const size of [DATAGRAM, BIG_DATAGRAM]) {
      const before = stack.counters.get('udp.rx.datagrams');
      const sent = await udpBlast(env.ns, env.stackAddr, size);
      await new Promise((r) => setTimeout(r, 300)); // drain the TAP queue
      tapUdp.push({ sent, received: stack.counters.get('udp.rx.datagrams') - before });
    }
  } finally {
    await stack.close();
    await env.destroy();
  }

  // --- the kernel on a veth pair
  const pair = createVethPair('bsv');
  let vethPing: PingResult;
  const vethUdp: UdpRun[] = [];
  try {
    await runInNs(pair.a, 'ping', ['-c', '1', '-W', '2', pair.addrB]);
    vethPing = await pingFlood(pair.a, pair.addrB);
    const sink = pair.b.spawn('socat', ['-u', 'UDP-RECV:9', '/dev/null']);
    await new Promise((r) => setTimeout(r, 300));
    for (const size of [DATAGRAM, BIG_DATAGRAM]) {
      const before = await udpSnmp(pair.b);
      const sent = await udpBlast(pair.a, pair.addrB, size);
      await new Promise((r) => setTimeout(r, 300));
      const after = await udpSnmp(pair.b);
      // InDatagrams counts datagrams queued to the socket, RcvbufErrors those the UDP layer processed
      // but could not queue because socat reads too slowly: together, what the kernel's UDP took in.
      const bufferDrops = after.RcvbufErrors! - before.RcvbufErrors!;
      vethUdp.push({ sent, received: after.InDatagrams! - before.InDatagrams! + bufferDrops, bufferDrops });
    }
    sink.kill('SIGKILL');
  } finally {
    pair.destroy();
  }

  return {
    title: 'Stack: answering the kernel over TAP vs the kernel on a veth',
    command: `npx tsx scripts/bench.ts stack  (TCPLAB_BENCH_STACK_SECONDS=${SECONDS})`,
    columns: ['load', 'tcplab on TAP', 'Linux kernel on veth', 'tcplab / kernel'],
    rows: [
      ['ping -f: replies/s', perSec(tapPing.received), perSec(vethPing.received), ratio(tapPing.received, vethPing.received)],
      ['ping -f: loss', pct(tapPing.sent - tapPing.received, tapPing.sent), pct(vethPing.sent - vethPing.received, vethPing.sent), ''],
      ...[DATAGRAM, BIG_DATAGRAM].flatMap((size, i) => {
        const t = tapUdp[i]!;
        const k = vethUdp[i]!;
        const label = `UDP ${size} B${size > DATAGRAM ? ' (6 fragments)' : ''}`;
        return [
          [`${label}: datagrams/s through the UDP layer`, perSec(t.received), perSec(k.received), ratio(t.received, k.received)],
          [`${label}: Mbit/s through the UDP layer`, mbit(t.received, size), mbit(k.received, size), ratio(t.received, k.received)],
          [`${label}: sent by socat, datagrams/s`, perSec(t.sent), perSec(k.sent), ratio(t.sent, k.sent)],
          [`${label}: lost before the UDP layer`, pct(t.sent - t.received, t.sent), pct(k.sent - k.received, k.sent), ''],
          [`${label}: kernel only: dropped at socat's full socket buffer`, '', pct(k.bufferDrops ?? 0, k.sent), ''],
        ];
      }),
    ],
    notes: [
      `Each load runs ${SECONDS} s. ping -f sends the next request when a reply arrives (or every 10 ms), so replies/s measures round trips.`,
      'tcplab reads the TAP in a worker thread (poll + batched reads) and answers on the main thread; the kernel answers in softirq context.',
      'UDP: "through the UDP layer" is tcplab\'s udp.rx.datagrams (its discard service consumes them in the stack), and for the kernel UDP InDatagrams + RcvbufErrors of /proc/net/snmp (what its UDP layer took in, whether or not the reader, `socat -u UDP-RECV:9 /dev/null`, kept up). The senders (`socat -u -b SIZE /dev/zero UDP:…`) are not rate-limited: each sends as fast as its CPU share allows. tcplab loses datagrams when the TAP queue overflows before its reader drains it; a lost fragment loses its whole 8192-byte datagram.',
      'The machine is shared (2 cores): absolute numbers vary between runs; the ratios are from the same run.',
    ],
  };
}
