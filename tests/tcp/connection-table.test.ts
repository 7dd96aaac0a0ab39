import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@shared/sim/random';
import { ConnectionTable, tupleHash } from '../../src-main/stack/tcp/connection-table';
import type { Endpoints, TcpConnection } from '../../src-main/stack/tcp/connection';

/** Only `endpoints` is read by the table. */
const fake = (e: Endpoints): TcpConnection => ({ endpoints: e }) as unknown as TcpConnection;
const keyOf = (e: Endpoints): string => `${e.localAddr}:${e.localPort}:${e.remoteAddr}:${e.remotePort}`;

describe('ConnectionTable (numeric four-tuple demux)', () => {
  it('agrees with a string-keyed Map over 20,000 random inserts, lookups and deletes', () => {
    const r = new SeededRandom(7);
    const table = new ConnectionTable();
    const ref = new Map<string, TcpConnection>();
    const known: Endpoints[] = [];
    for (let i = 0; i < 20_000; i++) {
      const op = r.int(3);
      // Few distinct values per field, so tuples repeat and differ in one field only.
      const e: Endpoints =
        known.length > 0 && r.next() < 0.5
          ? known[r.int(known.length)]!
          : { localAddr: 0xc0000200 + r.int(4), localPort: 1000 + r.int(8), remoteAddr: 0xc0000200 + r.int(4), remotePort: 40000 + r.int(8) };
      if (op === 0) {
        const c = fake({ ...e });
        table.set(c);
        ref.set(keyOf(e), c);
        known.push(e);
      } else if (op === 1) {
        const c = ref.get(keyOf(e));
        if (c) {
          expect(table.delete(c)).toBe(true);
          ref.delete(keyOf(e));
        } else {
          expect(table.delete(fake({ ...e }))).toBe(false);
        }
      }
      expect(table.get(e.localAddr, e.localPort, e.remoteAddr, e.remotePort)).toBe(ref.get(keyOf(e)));
      expect(table.size).toBe(ref.size);
    }
    expect(new Set(table.values())).toEqual(new Set(ref.values()));
  });

  it('a second connection on the same tuple replaces the first; deleting the replaced one is a no-op', () => {
    const e: Endpoints = { localAddr: 1, localPort: 2, remoteAddr: 3, remotePort: 4 };
    const t = new ConnectionTable();
    const first = fake(e);
    const second = fake({ ...e });
    t.set(first);
    t.set(second);
    expect(t.getFor(e)).toBe(second);
    expect(t.size).toBe(1);
    expect(t.delete(first)).toBe(false);
    expect(t.getFor(e)).toBe(second);
    t.clear();
    expect(t.getFor(e)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('ports and addresses are not interchangeable (swapped tuple is another connection)', () => {
    const t = new ConnectionTable();
    const a = fake({ localAddr: 0xc0000201, localPort: 80, remoteAddr: 0xc0000202, remotePort: 5000 });
    t.set(a);
    expect(t.get(0xc0000202, 5000, 0xc0000201, 80)).toBeUndefined();
    expect(t.get(0xc0000201, 5000, 0xc0000202, 80)).toBeUndefined();
    expect(t.get(0xc0000201, 80, 0xc0000202, 5000)).toBe(a);
  });

  it('two tuples with the same hash share a bucket and are still told apart', () => {
    // Birthday search for a real collision in the 30-bit hash (~40k tuples expected).
    const seen = new Map<number, Endpoints>();
    let pair: [Endpoints, Endpoints] | null = null;
    const r = new SeededRandom(11);
    for (let i = 0; i < 1_000_000 && !pair; i++) {
      const e: Endpoints = { localAddr: r.u32(), localPort: r.int(0x10000), remoteAddr: r.u32(), remotePort: r.int(0x10000) };
      const h = tupleHash(e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
      const other = seen.get(h);
      if (other) pair = [other, e];
      else seen.set(h, e);
    }
    expect(pair).not.toBeNull();
    const [e1, e2] = pair!;
    const t = new ConnectionTable();
    const c1 = fake(e1);
    const c2 = fake(e2);
    t.set(c1);
    expect(t.getFor(e2)).toBeUndefined();
    t.set(c2);
    expect(t.getFor(e1)).toBe(c1);
    expect(t.getFor(e2)).toBe(c2);
    expect(t.delete(c1)).toBe(true);
    expect(t.getFor(e1)).toBeUndefined();
    expect(t.getFor(e2)).toBe(c2);
    t.set(c1);
    expect(t.delete(c2)).toBe(true);
    expect(t.getFor(e1)).toBe(c1);
    expect([...t.values()]).toEqual([c1]);
  });
});
