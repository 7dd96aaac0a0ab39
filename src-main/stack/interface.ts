/**
 * One network interface of the stack: a Device plus its Ethernet and IPv4 configuration.
 */
import { parseIpv4, ipv4ToString, macToBytes, type MacAddress } from '@shared/wire/address';
import type { Device } from '../link/device';
import { prefixMask } from './route';

export interface InterfaceConfig {
  device: Device;
  /** Defaults to the device's name. */
  name?: string;
  /** Our MAC; default: the device's suggestion, else a locally administered one from the random source. */
  mac?: MacAddress;
  /** 'a.b.c.d/len' */
  ipv4: string;
  /** Default: the device's MTU. */
  mtu?: number;
  /** Default gateway reachable through this interface. */
  gateway?: string;
}

/** Parses 'a.b.c.d/len' (throws RangeError with the offending part). */
export function parseCidr(text: string): { addr: number; prefixLength: number } {
  const slash = text.indexOf('/');
  if (slash < 0) throw new RangeError(`address '${text}': expected ADDR/LEN, e.g. 192.0.2.2/24`);
  const addr = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const prefixLength = Number(lenText);
  if (!/^\d+$/.test(lenText) || prefixLength > 32) throw new RangeError(`address '${text}': prefix length '${lenText}' is not in 0..32`);
  return { addr, prefixLength };
}

export function isValidMac(mac: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac);
}

export class NetInterface {
  readonly macBytes: Uint8Array;
  readonly mask: number;
  readonly network: number;
  /** Directed broadcast of the subnet (RFC 919/922). */
  readonly broadcast: number;
  /** The device finishes TCP checksums on sending and vouches for them on receiving (Device.checksumOffload). */
  readonly checksumOffload: boolean;
  /**
   * The device takes TCP segments larger than the MTU and cuts them itself (Device.segmentationOffload,
   * TSO): IPv4 sends such datagrams unfragmented through it, and TCP builds segments of up to 64 KiB.
   */
  readonly segmentationOffload: boolean;
  up = false;

  constructor(
    readonly name: string,
    readonly device: Device,
    readonly mac: MacAddress,
    readonly addr: number,
    readonly prefixLength: number,
    readonly mtu: number,
    readonly gateway: number | null,
  ) {
    if (!isValidMac(mac)) throw new RangeError(`interface ${name}: MAC '${mac}' is not of the form aa:bb:cc:dd:ee:ff`);
    if (mtu < 68 || mtu > 65535) throw new RangeError(`interface ${name}: MTU ${mtu} is not in 68..65535 (RFC 791 minimum 68)`);
    this.macBytes = macToBytes(mac);
    this.checksumOffload = device.checksumOffload === true;
    this.segmentationOffload = device.segmentationOffload === true;
    this.mask = prefixMask(prefixLength);
    this.network = (addr & this.mask) >>> 0;
    this.broadcast = prefixLength >= 31 ? 0xffffffff : (this.network | ~this.mask) >>> 0;
  }

  /** Is `dst` an address this interface accepts as its own (unicast or a broadcast)? */
  acceptsDestination(dst: number): boolean {
    return dst === this.addr || dst === 0xffffffff || dst === this.broadcast;
  }

  isBroadcast(dst: number): boolean {
    return dst === 0xffffffff || dst === this.broadcast;
  }

  describe(): string {
    return `${this.name} ${this.mac} ${ipv4ToString(this.addr)}/${this.prefixLength} mtu ${this.mtu}${this.gateway !== null ? ` gw ${ipv4ToString(this.gateway)}` : ''}`;
  }
}
