/**
 * Two hosts on one virtual Ethernet: A = 192.0.2.1 and B = 192.0.2.2 (TEST-NET-1, RFC 5737),
 * each a full tcplab Stack sharing the lab's clock, random source and probe bus, each seen through
 * a capture point (what tcpdump on that host would show).
 */
import type { ImpairmentConfig } from '../link/impairment';
import type { VirtualLink } from '../link/virtual-link';
import { Stack, type StackOptions } from '../stack/stack';
import type { LabWorld } from './world';
import { Firewall } from './firewall';
import { HoldBack } from './hold-back';

export const ADDR_A = '192.0.2.1';
export const ADDR_B = '192.0.2.2';

export interface TwoHosts {
  link: VirtualLink;
  a: Stack;
  b: Stack;
  /** Host firewalls (pass everything until a lab sets a filter); capture points sit outside them. */
  fwA: Firewall;
  fwB: Firewall;
  /** Path spots between each host's capture point and the link that can hold a frame back (reordering). */
  pathA: HoldBack;
  pathB: HoldBack;
}

export function twoHosts(
  world: LabWorld,
  opts: {
    mtu?: number;
    forward?: ImpairmentConfig;
    reverse?: ImpairmentConfig;
    queueLimitBytes?: number;
    stack?: Partial<Omit<StackOptions, 'clock' | 'random' | 'probes'>>;
  } = {},
): TwoHosts {
  const link = world.link({ mtu: opts.mtu, forward: opts.forward, reverse: opts.reverse, queueLimitBytes: opts.queueLimitBytes });
  const mk = (): Stack => new Stack({ clock: world.clock, random: world.random.fork(), probes: world.bus, ...opts.stack });
  const a = mk();
  const b = mk();
  const pathA = new HoldBack(link.a, world, 'A');
  const pathB = new HoldBack(link.b, world, 'B');
  const fwA = new Firewall(world.capture(pathA, 'A'), world, 'A');
  const fwB = new Firewall(world.capture(pathB, 'B'), world, 'B');
  a.addInterface({ device: fwA, ipv4: `${ADDR_A}/24` });
  b.addInterface({ device: fwB, ipv4: `${ADDR_B}/24` });
  return { link, a, b, fwA, fwB, pathA, pathB };
}
