import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type TimerHandle } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { VirtualLink } from '../../src-main/link/virtual-link';
import { Stack } from '../../src-main/stack/stack';
import { bulkTransfer } from '../support/tcp-transfer';

/** The stacks' view of a ManualClock, counting timer calls; `lazyCancel` as RealClock declares it. */
function countingClock(manual: ManualClock, lazyCancel: boolean): Clock & { sets: number; clears: number } {
  const c = {
    sets: 0,
    clears: 0,
    lazyCancel,
    now: () => manual.now(),
    setTimer(at: number, cb: () => void): TimerHandle {
      c.sets++;
      return manual.setTimer(at, cb);
    },
    clearTimer(h: TimerHandle | null | undefined): void {
      c.clears++;
      manual.clearTimer(h);
    },
  };
  return c;
}

async function transfer(lazyCancel: boolean, bytes: number) {
  const manual = new ManualClock(0);
  const clock = countingClock(manual, lazyCancel);
  const random = new SeededRandom(21);
  const link = new VirtualLink({ clock: manual, random: random.fork(), aToB: { delayMs: 0.5 }, bToA: { delayMs: 0.5 } });
  const a = new Stack({ clock, random: random.fork() });
  const b = new Stack({ clock, random: random.fork() });
  a.addInterface({ device: link.a, ipv4: '192.0.2.1/24' });
  b.addInterface({ device: link.b, ipv4: '192.0.2.2/24' });
  const data = new Uint8Array(bytes).map((_, i) => (i * 7) & 0xff);
  const got = await bulkTransfer(a, b, manual, data, { end: 'close' });
  const ackTimes = { sets: clock.sets, clears: clock.clears };
  // TIME-WAIT and all: run the clock out, then nothing may be left.
  manual.runUntilIdle(manual.now() + 300_000);
  const timersLeft = [...a.tcp.connections.values(), ...b.tcp.connections.values()].reduce((n, c) => n + c.runningTimers().length, 0);
  await a.close();
  await b.close();
  return { equal: Buffer.compare(got, Buffer.from(data)) === 0, ...ackTimes, timersLeft, pending: manual.pendingTimers(), counters: b.counters };
}

describe('delayed-ACK clock timer left armed on a lazyCancel clock (RealClock)', () => {
  it('same bytes, the same delayed ACKs, far fewer clock timer calls, nothing left after close', async () => {
    const eager = await transfer(false, 600_000);
    const lazy = await transfer(true, 600_000);
    expect(eager.equal).toBe(true);
    expect(lazy.equal).toBe(true);
    // ~400 data segments: about one delayed-ACK start and stop per two of them with eager cancelling.
    expect(eager.sets).toBeGreaterThan(150);
    expect(lazy.sets).toBeLessThan(eager.sets / 3);
    expect(lazy.clears).toBeLessThan(eager.clears / 3);
    expect(lazy.counters.get('tcp.tx.segments')).toBe(eager.counters.get('tcp.tx.segments'));
    expect(lazy.timersLeft).toBe(0);
    expect(lazy.pending).toBe(0);
  });
});
