/**
 * 1,000 seeded transfers between two TCP layers over a path with random loss, duplication,
 * reordering and corruption, on a ManualClock. Each must deliver exactly the bytes sent in both
 * directions or fail with a connection errno (ETIMEDOUT, ECONNRESET), and afterwards no
 * connection, timer or port may be left behind (nothing stuck).
 */
import { describe, expect, it } from 'vitest';
import { transfer } from './transfer';

describe('seeded transfers over an impaired path', () => {
  it('1,000 transfers: exact bytes or a connection errno, none stuck', async () => {
    let delivered = 0;
    const failures: string[] = [];
    const errnos = new Map<string, number>();
    const errnoSeeds: string[] = [];
    for (let seed = 1; seed <= 1000; seed++) {
      const o = await transfer(seed);
      if (o.stuck) failures.push(o.stuck);
      else if (o.ok) delivered++;
      else {
        errnos.set(o.errno!, (errnos.get(o.errno!) ?? 0) + 1);
        errnoSeeds.push(`${seed}:${o.errno}`);
        if (!['ETIMEDOUT', 'ECONNRESET'].includes(o.errno!)) failures.push(`seed ${seed}: ${o.errno}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // With at most 10% loss every transfer should in fact complete.
    expect(errnoSeeds).toEqual([]);
    expect(delivered).toBe(1000);
  }, 600_000);
});
