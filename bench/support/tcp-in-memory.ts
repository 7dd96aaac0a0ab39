/**
 * One tcplab ↔ tcplab in-memory bulk transfer (two stacks on a VirtualLink with a ManualClock),
 * for profiling: `npx tsx --cpu-prof bench/support/tcp-in-memory.ts [MB] [MTU] [RUNS]` (or
 * `node --import tsx --cpu-prof ...`). Runs RUNS transfers of MB each and prints wall and CPU time
 * per run; the first runs warm up the JIT. OFFLOAD=1 turns on the link's checksum offload, TSO=1
 * its segmentation offload (TSO/GRO, which implies checksum offload).
 */
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { Stack } from '../../src-main/stack/stack';
import { TcpSocket } from '../../src-main/stack/tcp/socket';

export interface InMemoryOptions {
  mtu?: number;
  /** VirtualLink checksum offload (see docs/stack.md). */
  checksumOffload?: boolean;
  /** VirtualLink segmentation offload, TSO/GRO (implies checksum offload; see docs/stack.md). */
  segmentationOffload?: boolean;
  seed?: number;
}

export function twoStacks(opts: InMemoryOptions = {}) {
  const clock = new ManualClock(0);
  const random = new SeededRandom(opts.seed ?? 1);
  const mtu = opts.mtu ?? 1500;
  const link = new VirtualLink({ clock, random: random.fork(), mtu, aToB: { delayMs: 0.05 }, bToA: { delayMs: 0.05 }, ...(opts.checksumOffload ? { checksumOffload: true } : {}), ...(opts.segmentationOffload ? { segmentationOffload: true } : {}) });
  const a = new Stack({ clock, random: random.fork() });
  const b = new Stack({ clock, random: random.fork() });
  a.addInterface({ device: link.a, ipv4: '192.0.2.1/24', mtu });
  b.addInterface({ device: link.b, ipv4: '192.0.2.2/24', mtu });
  return { clock, a, b, link };
}

export async function drive(clock: ManualClock, done: () => boolean): Promise<void> {
  while (!done()) {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    if (done()) break;
    const at = clock.nextTimerAt();
    if (at === undefined) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    clock.advanceTo(at);
  }
}

/** Moves `bytes` from stack a to stack b; resolves with the bytes received (checked by the caller). */
export async function inMemoryTransfer(bytes: number, opts: InMemoryOptions = {}): Promise<number> {
  const { clock, a, b } = twoStacks(opts);
  const cfg = { sendBufferSize: 4 << 20, receiveBufferSize: 4 << 20 };
  a.tcp.options.config = cfg;
  b.tcp.options.config = cfg;
  const srv = new TcpSocket(b.tcp);
  srv.bind(0, 5000);
  srv.listen(1);
  let got = 0;
  let done = false;
  void (async () => {
    const p = await srv.accept();
    for (;;) {
      const c = await p.recv(1 << 22);
      if (c.length === 0) break;
      got += c.length;
    }
    done = true;
  })();
  const cli = new TcpSocket(a.tcp);
  void (async () => {
    await cli.connect('192.0.2.2', 5000);
    const chunk = new Uint8Array(1 << 20);
    for (let off = 0; off < bytes; off += chunk.length) await cli.send(off + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - off));
    cli.shutdown('SHUT_WR');
  })();
  await drive(clock, () => done);
  return got;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const mb = Number(process.argv[2] ?? 100);
  const mtu = Number(process.argv[3] ?? 1500);
  const runs = Number(process.argv[4] ?? 3);
  const segmentationOffload = process.env.TSO === '1';
  const checksumOffload = process.env.OFFLOAD === '1' || segmentationOffload;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const got = await inMemoryTransfer(mb * 1e6, { mtu, checksumOffload, segmentationOffload });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    if (got !== mb * 1e6) throw new Error(`got ${got}`);
    console.log(`run ${i}: ${mb} MB MTU ${mtu}${segmentationOffload ? ' TSO/GRO' : checksumOffload ? ' offload' : ''}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU, ${((mb * 8e6) / ms / 1e6).toFixed(2)} Gbit/s wall, ${((mb * 8e6) / cpuMs / 1e6).toFixed(2)} Gbit/s per CPU s`);
  }
}
