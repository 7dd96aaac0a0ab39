/**
 * Port allocation shared by UDP and TCP (one table per protocol). Rules follow Linux:
 * a bind conflicts with an existing binding of the same port when the addresses overlap
 * (equal, or either is the wildcard 0.0.0.0) unless both set SO_REUSEADDR (for UDP this is the
 * "both sockets opt in" rule of SO_REUSEADDR on Linux). Ephemeral ports come from 32768–60999
 * (Linux net.ipv4.ip_local_port_range), chosen from a random start and probed upwards
 * (RFC 6056 §3.3.1, "simple port randomisation").
 */
import type { RandomSource } from '@shared/sim/random';

export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

export interface PortBinding {
  port: number;
  /** Local address, 0 = any. */
  addr: number;
  reuseAddr: boolean;
  /** Who holds it (a socket). */
  owner: unknown;
}

export class PortError extends Error {
  override name = 'PortError';
  constructor(
    readonly code: 'EADDRINUSE' | 'EINVAL' | 'EADDRNOTAVAIL',
    message: string,
  ) {
    super(message);
  }
}

const NONE: readonly PortBinding[] = [];

export class PortTable {
  private readonly byPort = new Map<number, PortBinding[]>();

  constructor(
    readonly protocol: 'udp' | 'tcp',
    private readonly random: RandomSource,
    private readonly range: { low: number; high: number } = { low: EPHEMERAL_LOW, high: EPHEMERAL_HIGH },
  ) {}

  private conflicts(b: PortBinding, addr: number, reuseAddr: boolean): boolean {
    const overlap = b.addr === 0 || addr === 0 || b.addr === addr;
    return overlap && !(b.reuseAddr && reuseAddr);
  }

  isFree(port: number, addr: number, reuseAddr: boolean): boolean {
    const list = this.byPort.get(port);
    return !list || !list.some((b) => this.conflicts(b, addr, reuseAddr));
  }

  /**
   * Binds `port` (0 = pick an ephemeral one) on `addr` for `owner`. Throws PortError EADDRINUSE
   * when taken, or when no ephemeral port is left.
   */
  bind(port: number, addr: number, owner: unknown, opts: { reuseAddr?: boolean } = {}): PortBinding {
    const reuseAddr = opts.reuseAddr ?? false;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new PortError('EINVAL', `${this.protocol}: port ${port} is not in 0..65535`);
    }
    if (port === 0) {
      const span = this.range.high - this.range.low + 1;
      const start = this.random.int(span);
      for (let i = 0; i < span; i++) {
        const candidate = this.range.low + ((start + i) % span);
        if (!this.byPort.has(candidate)) return this.add(candidate, addr, owner, reuseAddr);
      }
      throw new PortError('EADDRINUSE', `${this.protocol}: no ephemeral port left in ${this.range.low}-${this.range.high}`);
    }
    if (!this.isFree(port, addr, reuseAddr)) {
      throw new PortError('EADDRINUSE', `${this.protocol}: port ${port} is already in use (EADDRINUSE)`);
    }
    return this.add(port, addr, owner, reuseAddr);
  }

  private add(port: number, addr: number, owner: unknown, reuseAddr: boolean): PortBinding {
    const b: PortBinding = { port, addr, owner, reuseAddr };
    const list = this.byPort.get(port);
    if (list) list.push(b);
    else this.byPort.set(port, [b]);
    return b;
  }

  release(binding: PortBinding): void {
    const list = this.byPort.get(binding.port);
    if (!list) return;
    const rest = list.filter((b) => b !== binding);
    if (rest.length === 0) this.byPort.delete(binding.port);
    else this.byPort.set(binding.port, rest);
  }

  /** Bindings on a port, most specific (exact address) first. */
  lookup(port: number, addr: number): readonly PortBinding[] {
    const list = this.byPort.get(port);
    if (!list) return NONE;
    // The common case (one socket on the port) allocates nothing.
    if (list.length === 1) return list[0]!.addr === 0 || list[0]!.addr === addr ? list : NONE;
    return list.filter((b) => b.addr === 0 || b.addr === addr).sort((a, b) => (b.addr !== 0 ? 1 : 0) - (a.addr !== 0 ? 1 : 0));
  }

  size(): number {
    let n = 0;
    for (const l of this.byPort.values()) n += l.length;
    return n;
  }
}
