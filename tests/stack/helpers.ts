import { ManualClock } from '@shared/sim/clock';
import { SeededRandom } from '@shared/sim/random';
import { ProbeBus } from '@shared/model/probe';
import { VirtualLink } from '../../src-main/link/virtual-link';
import type { ImpairmentConfig } from '../../src-main/link/impairment';
import { Stack } from '../../src-main/stack/stack';

/** Two stacks, A = 192.0.2.1 and B = 192.0.2.2, on one virtual link, manual clock, seeded. */
export function twoStacks(opts: { seed?: number; aToB?: ImpairmentConfig; bToA?: ImpairmentConfig; mtu?: number; probes?: boolean } = {}) {
  const clock = new ManualClock(0);
  const random = new SeededRandom(opts.seed ?? 1);
  const link = new VirtualLink({ clock, random: random.fork(), aToB: opts.aToB, bToA: opts.bToA, mtu: opts.mtu });
  const probes = new ProbeBus();
  const a = new Stack({ clock, random: random.fork(), probes });
  const b = new Stack({ clock, random: random.fork(), probes });
  const ifA = a.addInterface({ device: link.a, ipv4: '192.0.2.1/24' });
  const ifB = b.addInterface({ device: link.b, ipv4: '192.0.2.2/24' });
  return { clock, link, a, b, ifA, ifB, probes };
}

/** Lets simulated time run while a promise settles. */
export async function settle<T>(clock: ManualClock, p: Promise<T>, maxMs = 60_000, stepMs = 1): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      failed = true;
      error = e;
    },
  );
  const end = clock.now() + maxMs;
  while (!done && clock.now() < end) {
    clock.advanceBy(stepMs);
    await Promise.resolve();
    await Promise.resolve();
  }
  await Promise.resolve();
  if (!done) throw new Error(`did not settle within ${maxMs} simulated ms`);
  if (failed) throw error;
  return value as T;
}
