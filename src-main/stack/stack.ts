/**
 * tcplab's TCP/IP stack: interfaces on Devices, Ethernet demultiplexing, ARP, IPv4, ICMP, UDP
 * (and TCP, added by its layer). Time comes only from the injected Clock, randomness from the
 * injected RandomSource, the wall clock (daytime) from `wallClock`; so over a VirtualLink with a
 * ManualClock a run replays exactly.
 *
 *   const stack = new Stack({ clock, random });
 *   stack.addInterface({ device, ipv4: '192.0.2.2/24', gateway: '192.0.2.1' });
 *   const sock = stack.udp.socket().bind(7);
 */
import { ProbeBus, type ProbeValue } from '@shared/model/probe';
import type { Clock } from '@shared/sim/clock';
import type { RandomSource } from '@shared/sim/random';
import { EthernetView, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '@shared/wire/ethernet';
import { IPPROTO_ICMP, IPPROTO_UDP } from '@shared/wire/ipv4';
import { ipv4ToString, parseIpv4 } from '@shared/wire/address';
import type { ReceiveMeta } from '../link/device';
import { ArpLayer, type ArpOptions } from './arp';
import { Counters } from './counters';
import { IcmpLayer, type IcmpOptions } from './icmp';
import { NetInterface, parseCidr, type InterfaceConfig } from './interface';
import { Ipv4Layer, isMulticast, type Ipv4Options } from './ip/ipv4';
import type { ReassemblyOptions } from './ip/reassembly';
import { PortTable } from './ports';
import { RoutingTable } from './route';
import { UdpLayer } from './udp';
import { TcpLayer } from './tcp/layer';

export interface StackOptions {
  clock: Clock;
  random: RandomSource;
  probes?: ProbeBus;
  /** Epoch milliseconds for services like daytime; default: the Clock's time (deterministic labs). */
  wallClock?: () => number;
  arp?: ArpOptions;
  icmp?: IcmpOptions;
  reassembly?: ReassemblyOptions;
  ipv4?: Ipv4Options;
}

export class Stack {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly probes: ProbeBus;
  readonly counters = new Counters();
  readonly routes = new RoutingTable();
  readonly interfaces: NetInterface[] = [];
  readonly udpPorts: PortTable;
  readonly tcpPorts: PortTable;
  readonly arp: ArpLayer;
  readonly ipv4: Ipv4Layer;
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;
  readonly tcp: TcpLayer;
  readonly wallClock: () => number;
  private closed = false;
  private readonly ethRxFrames;
  private readonly ethRxBytes;
  private readonly ethTxFrames;
  private readonly ethTxBytes;

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.probes = opts.probes ?? new ProbeBus();
    this.wallClock = opts.wallClock ?? (() => this.clock.now());
    this.ethRxFrames = this.counters.handle('eth.rx.frames');
    this.ethRxBytes = this.counters.handle('eth.rx.bytes');
    this.ethTxFrames = this.counters.handle('eth.tx.frames');
    this.ethTxBytes = this.counters.handle('eth.tx.bytes');
    this.udpPorts = new PortTable('udp', this.random.fork());
    this.tcpPorts = new PortTable('tcp', this.random.fork());
    this.arp = new ArpLayer(this, opts.arp);
    this.ipv4 = new Ipv4Layer(this, opts.reassembly, opts.ipv4);
    this.icmp = new IcmpLayer(this, opts.icmp);
    this.udp = new UdpLayer(this);
    this.ipv4.register(IPPROTO_ICMP, this.icmp);
    this.ipv4.register(IPPROTO_UDP, this.udp);
    this.tcp = new TcpLayer(this); // registers itself for protocol 6
  }

  /** Adds an interface, installs its connected route (and default route), and brings it up. */
  addInterface(cfg: InterfaceConfig): NetInterface {
    const { addr, prefixLength } = parseCidr(cfg.ipv4);
    const name = cfg.name ?? cfg.device.name;
    const mac = cfg.mac ?? cfg.device.mac ?? this.randomMac();
    const gateway = cfg.gateway !== undefined ? parseIpv4(cfg.gateway) : null;
    const ifc = new NetInterface(name, cfg.device, mac.toLowerCase(), addr, prefixLength, cfg.mtu ?? cfg.device.mtu, gateway);
    if (gateway !== null && ((gateway & ifc.mask) >>> 0) !== ifc.network) {
      throw new RangeError(`interface ${name}: gateway ${ipv4ToString(gateway)} is not inside ${ipv4ToString(ifc.network)}/${prefixLength}`);
    }
    this.interfaces.push(ifc);
    this.routes.add({ prefix: ifc.network, prefixLength, gateway: null, ifname: name, source: addr });
    if (gateway !== null) this.routes.add({ prefix: 0, prefixLength: 0, gateway, ifname: name, source: addr });
    cfg.device.onReceive((frame, meta) => this.receiveFrame(ifc, frame, meta));
    ifc.up = true;
    const id = this.probes.publish({ t: this.clock.now(), layer: 'link', kind: 'interface-up', subject: name, data: { mac, addr: ipv4ToString(addr), prefixLength, mtu: ifc.mtu } });
    this.arp.announce(ifc, id);
    return ifc;
  }

  /** A locally administered unicast MAC (02:…) from the random source. */
  private randomMac(): string {
    const b = [0x02, 0, 0, 0, 0, 0].map((x, i) => (i === 0 ? x : this.random.int(256)));
    return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  }

  interfaceByName(name: string): NetInterface | null {
    return this.interfaces.find((i) => i.name === name) ?? null;
  }

  /** The interface whose subnet holds `dst` (or that routes to it). */
  interfaceFor(dst: number): NetInterface | null {
    const direct = this.interfaces.find((i) => ((dst & i.mask) >>> 0) === i.network || i.isBroadcast(dst));
    if (direct) return direct;
    const r = this.routes.lookup(dst);
    return r ? this.interfaceByName(r.ifname) : (this.interfaces[0] ?? null);
  }

  isLocalAddress(a: number): boolean {
    return this.interfaces.some((i) => i.addr === a);
  }

  isBroadcastAddress(a: number): boolean {
    return a === 0xffffffff || this.interfaces.some((i) => i.broadcast === a);
  }

  /** MTU towards `dst` (TCP: MSS = mtuFor(dst) − 40). */
  mtuFor(dst: number): number {
    return this.ipv4.mtuFor(dst);
  }

  /** Counts a drop `<layer>.drop.<reason>` and publishes a 'drop' probe; returns its id. */
  drop(layer: string, reason: string, causeId: number | undefined, extra: Record<string, ProbeValue> = {}): number {
    this.counters.inc(`${layer}.drop.${reason}`);
    return this.probes.publish({ t: this.clock.now(), layer, kind: 'drop', causeId, data: { reason, ...extra } });
  }

  /**
   * Publishes a probe event and returns its id. `data` and `subject` are built only when someone
   * listens: the per-packet path must not format addresses nobody reads.
   */
  event(layer: string, kind: string, causeId: number | undefined, data: () => Record<string, ProbeValue>, subject?: string | (() => string)): number {
    const probes = this.probes;
    if (!probes.hasListeners()) return probes.allocateId();
    return probes.publish({ t: this.clock.now(), layer, kind, subject: typeof subject === 'function' ? subject() : subject, causeId, data: data() });
  }

  /** Puts a finished frame on an interface's device; `causeId` travels with it. */
  transmit(ifc: NetInterface, frame: Uint8Array, causeId: number | undefined): void {
    if (this.closed) {
      this.counters.inc('eth.tx.after-close');
      return;
    }
    this.ethTxFrames.value++;
    this.ethTxBytes.value += frame.length;
    ifc.device.send(frame, { causeId });
  }

  private receiveFrame(ifc: NetInterface, frame: Uint8Array, meta: ReceiveMeta): void {
    if (this.closed) return;
    this.ethRxFrames.value++;
    this.ethRxBytes.value += frame.length;
    const v = new EthernetView(frame, 0);
    if (v.check()) {
      this.drop('eth', 'runt', meta.causeId, { bytes: frame.length });
      return;
    }
    // Compare MACs as bytes: formatting two strings per frame costs more than the rest of Ethernet.
    const linkBroadcast = (frame[0]! & 1) !== 0; // broadcast is a multicast address (IEEE 802 I/G bit)
    if (!linkBroadcast && !sameMac(frame, 0, ifc.macBytes)) {
      this.drop('eth', 'not-for-us', meta.causeId, { dst: v.dst });
      return;
    }
    if (sameMac(frame, 6, ifc.macBytes)) {
      this.drop('eth', 'own-frame', meta.causeId);
      return;
    }
    if (v.vlanCount > 0) {
      this.drop('eth', 'vlan-tagged', meta.causeId);
      return;
    }
    const type = v.etherType;
    if (type === ETHERTYPE_IPV4) {
      // A multicast MAC is only taken for a multicast IP (RFC 1112 §6.4); we join no groups.
      // The transport checksum is trusted only from a device that offers offload (Device.checksumOffload).
      this.ipv4.receive(ifc, frame, v.payloadOffset, linkBroadcast, meta.causeId, ifc.checksumOffload && meta.checksumVerified === true);
    } else if (type === ETHERTYPE_ARP) {
      this.arp.receive(ifc, frame, v.payloadOffset, meta.causeId);
    } else if (type === ETHERTYPE_IPV6) {
      this.drop('eth', 'ipv6-unsupported', meta.causeId);
    } else {
      this.drop('eth', 'unknown-ethertype', meta.causeId, { etherType: type });
    }
  }

  /** One line per interface and route. */
  describe(): string {
    return [...this.interfaces.map((i) => i.describe()), this.routes.format()].join('\n');
  }

  /** Stops receiving, cancels every timer, closes the devices (default) — the process can exit. */
  async close(opts: { closeDevices?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ifc of this.interfaces) {
      ifc.up = false;
      ifc.device.onReceive(null);
    }
    this.arp.close();
    this.ipv4.close();
    this.icmp.close();
    this.udp.close();
    this.tcp.close();
    if (opts.closeDevices ?? true) await Promise.all(this.interfaces.map((i) => i.device.close()));
  }
}

export { isMulticast };

function sameMac(frame: Uint8Array, off: number, mac: Uint8Array): boolean {
  return (
    frame[off] === mac[0] && frame[off + 1] === mac[1] && frame[off + 2] === mac[2] && frame[off + 3] === mac[3] && frame[off + 4] === mac[4] && frame[off + 5] === mac[5]
  );
}
