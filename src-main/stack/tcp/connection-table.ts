/**
 * The TCP layer's connection demultiplexer: four-tuple → connection.
 *
 * Every received segment is looked up here, so the lookup builds nothing: it hashes the four
 * numbers into a small integer (a V8 Smi, no allocation) and compares the four numbers of the
 * few connections in that bucket. A string key (`"a:p:b:q"`) per segment cost ≈ 2–3 % of a bulk
 * transfer's CPU in the profile.
 */
import type { Endpoints, TcpConnection } from './connection';

/** 32-bit mix of the four-tuple (multiply–xorshift), folded into a non-negative Smi. */
export function tupleHash(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): number {
  let h = Math.imul(localAddr ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ remoteAddr ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ ((localPort << 16) | remotePort) ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

function matches(c: TcpConnection, localAddr: number, localPort: number, remoteAddr: number, remotePort: number): boolean {
  const e = c.endpoints;
  return e.localPort === localPort && e.remotePort === remotePort && e.remoteAddr === remoteAddr && e.localAddr === localAddr;
}

export class ConnectionTable {
  /** Bucket: one connection, or an array when two tuples share a hash. */
  private readonly buckets = new Map<number, TcpConnection | TcpConnection[]>();
  /** Insertion order, for iteration. */
  private readonly all = new Set<TcpConnection>();

  get size(): number {
    return this.all.size;
  }

  values(): IterableIterator<TcpConnection> {
    return this.all.values();
  }

  get(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): TcpConnection | undefined {
    const b = this.buckets.get(tupleHash(localAddr, localPort, remoteAddr, remotePort));
    if (b === undefined) return undefined;
    if (!Array.isArray(b)) return matches(b, localAddr, localPort, remoteAddr, remotePort) ? b : undefined;
    for (const c of b) if (matches(c, localAddr, localPort, remoteAddr, remotePort)) return c;
    return undefined;
  }

  getFor(e: Endpoints): TcpConnection | undefined {
    return this.get(e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
  }

  /** Registers `conn` under its four-tuple, replacing any connection registered there. */
  set(conn: TcpConnection): void {
    const e = conn.endpoints;
    const old = this.getFor(e);
    if (old === conn) return;
    if (old) this.delete(old);
    const h = tupleHash(e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
    const b = this.buckets.get(h);
    if (b === undefined) this.buckets.set(h, conn);
    else if (Array.isArray(b)) b.push(conn);
    else this.buckets.set(h, [b, conn]);
    this.all.add(conn);
  }

  /** Removes `conn` if it is the connection registered under its four-tuple. */
  delete(conn: TcpConnection): boolean {
    const e = conn.endpoints;
    const h = tupleHash(e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
    const b = this.buckets.get(h);
    if (b === undefined) return false;
    if (!Array.isArray(b)) {
      if (b !== conn) return false;
      this.buckets.delete(h);
    } else {
      const i = b.indexOf(conn);
      if (i < 0) return false;
      b.splice(i, 1);
      if (b.length === 1) this.buckets.set(h, b[0]!);
    }
    this.all.delete(conn);
    return true;
  }

  clear(): void {
    this.buckets.clear();
    this.all.clear();
  }
}
