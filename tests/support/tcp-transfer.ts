import type { ManualClock } from '@shared/sim/clock';
import type { Stack } from '../../src-main/stack/stack';
import { TcpSocket } from '../../src-main/stack/tcp/socket';

export interface BulkTransferOptions {
  port?: number;
  /** Largest recv() the receiving application makes. */
  recvMax?: number;
  /** How the sender ends: SHUT_WR only, or close() on both sides (the receiver closes after EOF). */
  end?: 'shutdown' | 'close';
}

/**
 * Sends `data` from stack `a` (client, to 192.0.2.2) to a listening socket on stack `b` and drives
 * the ManualClock until the receiver has seen EOF and the sender has finished; returns the bytes
 * received. Throws if the transfer does not finish within a million clock steps.
 */
export async function bulkTransfer(a: Stack, b: Stack, clock: ManualClock, data: Uint8Array, opts: BulkTransferOptions = {}): Promise<Uint8Array> {
  const port = opts.port ?? 5000;
  const srv = new TcpSocket(b.tcp);
  srv.bind(0, port);
  srv.listen(1);
  const chunks: Uint8Array[] = [];
  let received = false;
  let sent = false;
  let failure: unknown = null;
  void (async () => {
    const peer = await srv.accept();
    for (;;) {
      const c = await peer.recv(opts.recvMax ?? 1 << 20);
      if (c.length === 0) break;
      chunks.push(c);
    }
    if (opts.end === 'close') await peer.close();
    received = true;
  })().catch((e: unknown) => (failure = e));
  const cli = new TcpSocket(a.tcp);
  void (async () => {
    await cli.connect('192.0.2.2', port);
    await cli.send(data);
    if (opts.end === 'close') await cli.close();
    else cli.shutdown('SHUT_WR');
    sent = true;
  })().catch((e: unknown) => (failure = e));
  for (let step = 0; step < 1_000_000 && !(received && sent) && failure === null; step++) {
    for (let k = 0; k < 5; k++) await Promise.resolve();
    const at = clock.nextTimerAt();
    // Nothing due on the simulated clock: let real promises (socket waits) run.
    if (at === undefined) await new Promise((r) => setImmediate(r));
    else clock.advanceTo(at);
  }
  if (failure !== null) throw failure;
  if (!(received && sent)) throw new Error(`bulk transfer did not finish (received: ${received}, sent: ${sent})`);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
