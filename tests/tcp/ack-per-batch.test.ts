import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, title } from '../support/requirements';
import { createTapInNetns, runInNs } from '../support/tap';
import { RealClock } from '../../src-main/link/real-clock';
import { runTcpClient } from '../../src-main/stack/tcp/services';
import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { Stack } from '../../src-main/stack/stack';
import { bulkTransfer } from '../support/tcp-transfer';

/**
 * ackPerBatch (opt-in): one ACK per batch of frames the device delivers in one go. Here a batch is
 * every frame the ManualClock delivers in one advanceTo() (the microtask queue runs between).
 */
async function transfer(ackPerBatch: boolean, bytes: number) {
  const clock = new ManualClock(0);
  const random = new SeededRandom(33);
  const link = new VirtualLink({ clock, random: random.fork(), aToB: { delayMs: 1 }, bToA: { delayMs: 1 } });
  const a = new Stack({ clock, random: random.fork() });
  const b = new Stack({ clock, random: random.fork() });
  a.addInterface({ device: link.a, ipv4: '192.0.2.1/24' });
  b.addInterface({ device: link.b, ipv4: '192.0.2.2/24' });
  b.tcp.options.ackPerBatch = ackPerBatch;
  // Pure ACKs the receiver sends, and the most data any of them left unacknowledged.
  let pureAcks = 0;
  let maxUnacked = 0;
  let lastAck = -1;
  b.probes.subscribe((e) => {
    if (e.layer !== 'tcp' || e.subject === undefined) return;
    const d = e.data as Record<string, number | string | null>;
    if (e.kind === 'segment-out' && d.len === 0 && String(d.flags).includes('.') && typeof d.ack === 'number') {
      if (lastAck >= 0) maxUnacked = Math.max(maxUnacked, (d.ack as number) - lastAck);
      lastAck = d.ack as number;
      pureAcks++;
    }
  });
  const data = new Uint8Array(bytes).map((_, i) => (i * 13) & 0xff);
  const got = await bulkTransfer(a, b, clock, data);
  await a.close();
  await b.close();
  return { equal: Buffer.compare(got, Buffer.from(data)) === 0, pureAcks, maxUnacked };
}

describe('ackPerBatch: one ACK per input batch (opt-in stretch ACKs)', () => {
  it('same bytes with far fewer ACKs, none leaving more than 64 KiB unacknowledged', async () => {
    const normal = await transfer(false, 2_000_000);
    const batched = await transfer(true, 2_000_000);
    expect(normal.equal).toBe(true);
    expect(batched.equal).toBe(true);
    expect(normal.pureAcks).toBeGreaterThan(600); // ≈ one per two of ~1,400 segments
    expect(batched.pureAcks).toBeLessThan(normal.pureAcks / 2);
    expect(batched.maxUnacked).toBeLessThanOrEqual(64 * 1024 + 1460);
    expect(batched.maxUnacked).toBeGreaterThan(2 * 1460); // it did stretch
  });
});

const why = missing('root', 'netns', 'tun', 'socat');
describe.skipIf(why !== null)(title(why, 'ackPerBatch against the Linux kernel over TAP'), () => {
  it('tcplab fetches 20 MB from a kernel socat with one ACK per TAP read batch: SHA-256 equal, far fewer ACKs than segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-ackb-'));
    const file = join(dir, 'data');
    const data = randomBytes(20_000_000);
    writeFileSync(file, data);
    const env = await createTapInNetns('ackb');
    const clock = new RealClock();
    const stack = new Stack({ clock, random: new SeededRandom(5), wallClock: () => Date.now() });
    try {
      stack.addInterface({ device: env.tap, ipv4: `${env.stackAddr}/24` });
      stack.tcp.options.ackPerBatch = true;
      const server = runInNs(env.ns, 'socat', ['-u', `OPEN:${file}`, 'TCP-LISTEN:9000,reuseaddr'], { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 300));
      const r = await runTcpClient(stack, { host: env.kernelAddr, port: 9000 });
      await server;
      expect(r.received).toBe(data.length);
      expect(r.receivedSha256).toBe(createHash('sha256').update(data).digest('hex'));
      const rx = stack.counters.get('tcp.rx.segments');
      const tx = stack.counters.get('tcp.tx.segments');
      expect(rx).toBeGreaterThan(13_000); // 20 MB in 1448-byte segments
      // Without ackPerBatch about rx/2 ACKs go out; with it, one per read batch or per 64 KiB.
      expect(tx).toBeLessThan(rx / 3);
    } finally {
      await stack.close();
      clock.clearAll();
      await env.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
