import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVethPair, startTcpdump, type VethPair } from '../../support/netns';

/**
 * Captures of real Linux kernel TCP between two network namespaces joined by a veth pair
 * (192.0.2.1 = A, the sender, 192.0.2.2 = B, the receiver; TEST-NET-1 only). These are the
 * reference material the analysis is compared against tshark on. This kernel has no `tc netem`:
 * loss comes from iptables `statistic` rules, queueing and congestion loss from a `tc tbf`
 * bottleneck, zero windows from a slow reader with a small SO_RCVBUF.
 */
export interface KernelCapture {
  name: string;
  file: string;
  description: string;
}

const PEER = fileURLToPath(new URL('./peer.py', import.meta.url));

export function python3(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

interface Scenario {
  name: string;
  description: string;
  setup?(v: VethPair): void;
  /** tcpdump filter (default: all TCP). */
  captureFilter?: string;
  run(v: VethPair, py: string): Promise<void>;
}

function waitReady(child: import('node:child_process').ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`peer server did not start: ${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`peer server exited with ${code}: ${err}`));
    });
  });
}

function exited(child: import('node:child_process').ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function serveAndSend(
  v: VethPair,
  py: string,
  port: number,
  serverArgs: string[],
  clients: string[][],
  opts: { parallel?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const server = v.b.spawn(py, [PEER, 'serve', v.addrB, String(port), ...serverArgs]);
  try {
    await waitReady(server);
    const runOne = (args: string[]): Promise<void> =>
      new Promise((resolve) => {
        const c = v.a.spawn(py, [PEER, 'send', v.addrB, ...args]);
        void exited(c, opts.timeoutMs ?? 20_000).then(resolve);
      });
    if (opts.parallel) await Promise.all(clients.map(runOne));
    else for (const c of clients) await runOne(c);
    await exited(server, 5_000);
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}

const iptDrop = (chain: 'INPUT' | 'OUTPUT', portFlag: '--dport' | '--sport', port: number, p: number): string[] => [
  '-A', chain, '-p', 'tcp', portFlag, String(port), '-m', 'statistic', '--mode', 'random',
  '--probability', String(p), '-j', 'DROP',
];

export const scenarios: Scenario[] = [
  {
    name: 'random-loss',
    description: '3 MB bulk transfer with 1% random drops of data (before and after the capture point) and of ACKs',
    setup(v) {
      v.a.run('iptables', iptDrop('OUTPUT', '--dport', 5001, 0.01));
      v.b.run('iptables', iptDrop('INPUT', '--dport', 5001, 0.01));
      v.b.run('iptables', iptDrop('OUTPUT', '--sport', 5001, 0.01));
    },
    run: (v, py) => serveAndSend(v, py, 5001, [], [['5001', String(3_000_000)]]),
  },
  {
    name: 'tbf-bottleneck',
    description:
      '4 MB through a 50 Mbit/s tbf queue (queueing delay inflates the RTT) with 0.5% random loss at the receiver (SACK recovery at a longer RTT)',
    setup(v) {
      v.a.run('tc', ['qdisc', 'add', 'dev', v.ifA, 'root', 'tbf', 'rate', '50mbit', 'burst', '32kb', 'latency', '20ms']);
      v.b.run('iptables', iptDrop('INPUT', '--dport', 5002, 0.005));
    },
    run: (v, py) => serveAndSend(v, py, 5002, [], [['5002', String(4_000_000)]]),
  },
  {
    name: 'capture-gaps',
    description:
      '2 MB bulk transfer where the capture filter misses about 1 in 256 data segments (previous segment not captured, ACKed unseen segment)',
    captureFilter: 'tcp and not (ip[5] == 0x37 and ip[2:2] > 1000)',
    run: (v, py) => serveAndSend(v, py, 5008, ['--reply', '200000'], [['5008', String(2_000_000)]]),
  },
  {
    name: 'zero-window',
    description: 'slow reader with a 4 KiB SO_RCVBUF that sleeps before reading: zero windows, probes, window updates',
    run: (v, py) =>
      serveAndSend(v, py, 5003, ['--rcvbuf', '4096', '--sleep', '1.2', '--chunk', '2048', '--read-delay', '0.02'], [
        ['5003', String(120_000)],
      ]),
  },
  {
    name: 'keepalive',
    description: 'a connection idle for 3.5 s with TCP_KEEPIDLE=1: keep-alives and keep-alive ACKs',
    run: (v, py) => serveAndSend(v, py, 5004, [], [['5004', '2000', '--keepalive', '1', '--idle', '3.5']]),
  },
  {
    name: 'streams-reuse-rst',
    description: 'parallel streams, one source port reused three times, an abortive close (RST) and a refused connection',
    async run(v, py) {
      await serveAndSend(v, py, 5005, ['--count', '3', '--reply', '3000'], [
        ['5005', '50000'],
        ['5005', '80000'],
        ['5005', '20000'],
      ], { parallel: true });
      await serveAndSend(v, py, 5006, ['--count', '3', '--reply', '1000'], [
        ['5006', '10000', '--sport', '40000'],
        ['5006', '10000', '--sport', '40000'],
        ['5006', '10000', '--sport', '40000'],
      ]);
      await serveAndSend(v, py, 5007, ['--count', '1', '--sleep', '0.3'], [['5007', '30000', '--rst']]);
      await new Promise<void>((resolve) => {
        const c = v.a.spawn(py, [PEER, 'send', v.addrB, '5999', '10']);
        void exited(c, 5_000).then(resolve);
      });
    },
  },
];

/** Makes the captures (skipping those already in `dir` unless `fresh`), returning their paths. */
export async function makeKernelCaptures(dir: string, opts: { only?: string[]; fresh?: boolean } = {}): Promise<KernelCapture[]> {
  const py = python3();
  if (!py) throw new Error('kernel captures need python3 for the socket peers');
  const out: KernelCapture[] = [];
  for (const s of scenarios) {
    if (opts.only && !opts.only.includes(s.name)) continue;
    const file = join(dir, `${s.name}.pcap`);
    if (!existsSync(file) || opts.fresh) {
      const v = createVethPair('tla');
      try {
        // One MSS per skb: without this the kernel hands veth 64 KB TSO super-segments, which
        // tcpdump records as such, and the captures would not look like a real wire.
        for (const [ns, dev] of [[v.a, v.ifA], [v.b, v.ifB]] as const) {
          ns.run('ip', ['link', 'set', 'dev', dev, 'gso_max_segs', '1']);
        }
        s.setup?.(v);
        // Snap length 200: headers are what the analysis reads, and files stay small.
        const stop = await startTcpdump(v.a, v.ifA, file, ['--immediate-mode', '-s', '200', s.captureFilter ?? 'tcp']);
        await new Promise((r) => setTimeout(r, 200));
        try {
          await s.run(v, py);
          await new Promise((r) => setTimeout(r, 300));
        } finally {
          await stop();
        }
      } finally {
        v.destroy();
      }
    }
    out.push({ name: s.name, file, description: s.description });
  }
  return out;
}
