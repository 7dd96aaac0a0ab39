import { WireError } from './errors';

/** An IPv4 address as an unsigned 32-bit number, network order (192.0.2.1 = 0xc0000201). */
export type Ipv4Address = number;
/** A MAC address as a lowercase 'aa:bb:cc:dd:ee:ff' string. */
export type MacAddress = string;

export const MAC_BROADCAST: MacAddress = 'ff:ff:ff:ff:ff:ff';
export const MAC_ZERO: MacAddress = '00:00:00:00:00:00';

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

export function ipv4ToString(n: Ipv4Address): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses dotted-quad notation; throws a WireError (malformed) for anything else. */
export function parseIpv4(s: string): Ipv4Address {
  const parts = s.split('.');
  if (parts.length !== 4) throw new WireError('malformed', 'address', 'ipv4', 0, 'a.b.c.d', JSON.stringify(s));
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      throw new WireError('malformed', 'address', 'ipv4', 0, 'a.b.c.d with octets 0..255', JSON.stringify(s));
    }
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

/** Reads a big-endian IPv4 address at `off` (caller has checked the length). */
export function readIpv4(bytes: Uint8Array, off: number): Ipv4Address {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
}

export function writeIpv4(buf: Uint8Array, off: number, a: Ipv4Address): void {
  buf[off] = a >>> 24;
  buf[off + 1] = a >>> 16;
  buf[off + 2] = a >>> 8;
  buf[off + 3] = a;
}

// Frames of one capture repeat the same few MACs: a small direct-mapped cache (bytes + string per
// slot) saves `decodePacket` building two strings per frame, with no allocation on a hit and
// bounded memory whatever the input.
const MAC_SLOTS = 256;
const macKeys = new Uint8Array(MAC_SLOTS * 6);
const macVals: (string | undefined)[] = new Array<string | undefined>(MAC_SLOTS).fill(undefined);

/** The six bytes at `off` as 'aa:bb:cc:dd:ee:ff' (caller has checked the length). */
export function macToString(bytes: Uint8Array, off: number): MacAddress {
  const b0 = bytes[off]!, b1 = bytes[off + 1]!, b2 = bytes[off + 2]!, b3 = bytes[off + 3]!, b4 = bytes[off + 4]!, b5 = bytes[off + 5]!;
  const slot = (b0 ^ b1 ^ b2 ^ b3 ^ (b4 * 7) ^ (b5 * 31)) & (MAC_SLOTS - 1);
  const k = slot * 6;
  const cached = macVals[slot];
  if (
    cached !== undefined &&
    macKeys[k] === b0 && macKeys[k + 1] === b1 && macKeys[k + 2] === b2 &&
    macKeys[k + 3] === b3 && macKeys[k + 4] === b4 && macKeys[k + 5] === b5
  ) {
    return cached;
  }
  const s = `${HEX2[b0]}:${HEX2[b1]}:${HEX2[b2]}:${HEX2[b3]}:${HEX2[b4]}:${HEX2[b5]}`;
  macKeys[k] = b0;
  macKeys[k + 1] = b1;
  macKeys[k + 2] = b2;
  macKeys[k + 3] = b3;
  macKeys[k + 4] = b4;
  macKeys[k + 5] = b5;
  macVals[slot] = s;
  return s;
}

const MAC_RE = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

/** Writes a MAC string's six bytes at `off`; throws a WireError (malformed) for a bad string. */
export function writeMac(buf: Uint8Array, off: number, s: MacAddress): void {
  if (!MAC_RE.test(s)) throw new WireError('malformed', 'address', 'mac', 0, 'aa:bb:cc:dd:ee:ff', JSON.stringify(s));
  for (let i = 0; i < 6; i++) buf[off + i] = parseInt(s.substr(i * 3, 2), 16);
}

export function macToBytes(s: MacAddress): Uint8Array {
  const b = new Uint8Array(6);
  writeMac(b, 0, s);
  return b;
}

/** Lower-case hex of a byte range, no separators (for raw values in errors and detail trees). */
export function bytesToHex(bytes: Uint8Array, off = 0, end = bytes.length): string {
  let s = '';
  for (let i = off; i < end; i++) s += HEX2[bytes[i]!];
  return s;
}

/** '0x' + four hex digits, the way tcpdump and Wireshark show 16-bit fields. */
export function hex16(n: number): string {
  return '0x' + HEX2[(n >>> 8) & 255] + HEX2[n & 255];
}

/**
 * The 16 bytes at `off` as text in the RFC 5952 form inet_ntop gives (longest run of two or more
 * zero groups as '::', first one on a tie; IPv4-mapped and -compatible kept in hex groups).
 */
export function ipv6ToString(bytes: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = g.map((x) => x.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return hexes.slice(0, bestStart).join(':') + '::' + hexes.slice(bestStart + bestLen).join(':');
}
