/**
 * The routing table: longest-prefix match (RFC 1812 §5.2.4.3) over on-link prefixes and gateways.
 * A host needs little more: one connected route per interface and an optional default route.
 */
import { ipv4ToString } from '@shared/wire/address';

export interface Route {
  /** Network address (host bits zero), u32. */
  prefix: number;
  prefixLength: number;
  /** Next hop, or null when the destination is on the link. */
  gateway: number | null;
  ifname: string;
  /** Preferred source address for this route. */
  source: number;
  /** Lower wins among equal prefix lengths. */
  metric?: number;
}

export function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

export class RoutingTable {
  private routes: Route[] = [];

  add(route: Route): void {
    if (route.prefixLength < 0 || route.prefixLength > 32) throw new RangeError(`route: prefix length ${route.prefixLength} is not in 0..32`);
    const prefix = (route.prefix & prefixMask(route.prefixLength)) >>> 0;
    this.routes.push({ ...route, prefix });
    // Longest prefix first, then metric: lookup takes the first match.
    this.routes.sort((a, b) => b.prefixLength - a.prefixLength || (a.metric ?? 0) - (b.metric ?? 0));
  }

  remove(pred: (r: Route) => boolean): void {
    this.routes = this.routes.filter((r) => !pred(r));
  }

  lookup(dst: number): Route | null {
    for (const r of this.routes) {
      if (((dst & prefixMask(r.prefixLength)) >>> 0) === r.prefix) return r;
    }
    return null;
  }

  list(): readonly Route[] {
    return this.routes;
  }

  format(): string {
    return this.routes
      .map((r) => `${r.prefixLength === 0 ? 'default' : `${ipv4ToString(r.prefix)}/${r.prefixLength}`}${r.gateway !== null ? ` via ${ipv4ToString(r.gateway)}` : ''} dev ${r.ifname} src ${ipv4ToString(r.source)}`)
      .join('\n');
  }
}
