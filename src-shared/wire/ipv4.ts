/** IPv4 (RFC 791; DSCP/ECN per RFC 2474 and RFC 3168; Router Alert per RFC 2113). */
import { readIpv4, writeIpv4, type Ipv4Address } from './address';
import { internetChecksum } from './checksum';
import { WireError, malformedError, shortError, truncatedError } from './errors';
import { ETHERTYPE_IPV4 } from './ethernet';
import { etherTypes, ipProtocols, recordError } from './registry';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

// Option types (RFC 791 §3.1; copied flag included in the value, as on the wire).
export const IPOPT_EOL = 0;
export const IPOPT_NOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

export type Ipv4OptionKind = 'eol' | 'nop' | 'rr' | 'lsrr' | 'ssrr' | 'ts' | 'ra' | 'unknown';

export interface Ipv4Option {
  type: number;
  kind: Ipv4OptionKind;
  /** The bytes after type and length (empty for EOL and NOP). */
  data: Uint8Array;
  /** RR/LSRR/SSRR/TS: the pointer octet (1-based offset of the next slot, RFC 791). */
  pointer?: number;
  /** RR/LSRR/SSRR: the route addresses. TS with flag 1 or 3: the addresses of the entries. */
  addresses?: Ipv4Address[];
  /** TS: overflow count (4 bits). */
  overflow?: number;
  /** TS: flag (4 bits): 0 timestamps only, 1 address + timestamp, 3 prespecified addresses. */
  flag?: number;
  /** TS: the timestamps of the entries. */
  timestamps?: number[];
  /** RA: the 16-bit value (0 = routers examine the packet, RFC 2113). */
  value?: number;
}

export interface Ipv4Repr {
  version: 4;
  /** Header length in 32-bit words. */
  ihl: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  reservedFlag: boolean;
  /** In BYTES (the field times 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumValid: boolean;
  src: Ipv4Address;
  dst: Ipv4Address;
  options: Ipv4Option[];
  /** Header length in bytes. */
  headerLength: number;
}

export interface Ipv4EmitInput {
  src: Ipv4Address;
  dst: Ipv4Address;
  protocol: number;
  ttl?: number;
  identification?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  reservedFlag?: boolean;
  /** In bytes; must be a multiple of 8. */
  fragmentOffset?: number;
  dscp?: number;
  ecn?: number;
  options?: Ipv4Option[];
  /** Store this checksum instead of computing it (fault injection, tests). */
  checksum?: number;
  /** Store this total length instead of header + payload (fault injection, tests). */
  totalLength?: number;
}

const EMPTY = new Uint8Array(0);
const NO_OPTIONS: Ipv4Option[] = [];

export class Ipv4View {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new Ipv4View(bytes, offset).check();
  }

  /** Version, IHL, the whole header captured, total length >= header length. */
  check(): WireError | null {
    return checkIpv4Header(this.bytes, this.offset, this.bytes.length, Number.MAX_SAFE_INTEGER);
  }

  private u16(o: number): number {
    return (this.bytes[this.offset + o]! << 8) | this.bytes[this.offset + o + 1]!;
  }
  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  get ihl(): number {
    return this.bytes[this.offset]! & 0x0f;
  }
  get headerLength(): number {
    return (this.bytes[this.offset]! & 0x0f) * 4;
  }
  get dscp(): number {
    return this.bytes[this.offset + 1]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[this.offset + 1]! & 3;
  }
  get totalLength(): number {
    return this.u16(2);
  }
  get identification(): number {
    return this.u16(4);
  }
  get reservedFlag(): boolean {
    return (this.bytes[this.offset + 6]! & 0x80) !== 0;
  }
  get dontFragment(): boolean {
    return (this.bytes[this.offset + 6]! & 0x40) !== 0;
  }
  get moreFragments(): boolean {
    return (this.bytes[this.offset + 6]! & 0x20) !== 0;
  }
  /** In bytes. */
  get fragmentOffset(): number {
    return (this.u16(6) & 0x1fff) * 8;
  }
  get ttl(): number {
    return this.bytes[this.offset + 8]!;
  }
  get protocol(): number {
    return this.bytes[this.offset + 9]!;
  }
  get checksum(): number {
    return this.u16(10);
  }
  get checksumValid(): boolean {
    return internetChecksum(this.bytes, this.offset, this.headerLength) === 0;
  }
  get src(): Ipv4Address {
    return readIpv4(this.bytes, this.offset + 12);
  }
  get dst(): Ipv4Address {
    return readIpv4(this.bytes, this.offset + 16);
  }
  /** The payload's offset in the buffer. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
}

/** The shared header check; `capEnd`/`wireEnd` as in registry.ts. */
function checkIpv4Header(b: Uint8Array, off: number, capEnd: number, wireEnd: number): WireError | null {
  if (capEnd - off < IPV4_MIN_HEADER_LENGTH) {
    return shortError('ipv4', 'header', off, IPV4_MIN_HEADER_LENGTH, capEnd - off, wireEnd - off);
  }
  const version = b[off]! >>> 4;
  if (version !== 4) return malformedError('ipv4', 'version', off, '4', version);
  const ihl = b[off]! & 0x0f;
  if (ihl < 5) return malformedError('ipv4', 'header length', off, '>= 5 words', ihl);
  const hl = ihl * 4;
  if (capEnd - off < hl) return shortError('ipv4', 'options', off + IPV4_MIN_HEADER_LENGTH, hl, capEnd - off, wireEnd - off);
  const total = (b[off + 2]! << 8) | b[off + 3]!;
  if (total < hl) return malformedError('ipv4', 'total length', off + 2, `>= header length ${hl}`, total);
  return null;
}

function optionKind(type: number): Ipv4OptionKind {
  switch (type) {
    case IPOPT_EOL:
      return 'eol';
    case IPOPT_NOP:
      return 'nop';
    case IPOPT_RR:
      return 'rr';
    case IPOPT_LSRR:
      return 'lsrr';
    case IPOPT_SSRR:
      return 'ssrr';
    case IPOPT_TS:
      return 'ts';
    case IPOPT_RA:
      return 'ra';
    default:
      return 'unknown';
  }
}

/**
 * Decodes the options in [off, end) into `out`. Returns the error that stopped it (a length octet
 * that is < 2 or runs past the header, or a known option whose length breaks its RFC) or null.
 * Every byte is kept: EOL and the padding after it appear as EOL entries, as tcpdump prints them.
 */
export function parseIpv4OptionsInto(b: Uint8Array, off: number, end: number, out: Ipv4Option[]): WireError | null {
  let p = off;
  while (p < end) {
    const type = b[p]!;
    if (type === IPOPT_EOL || type === IPOPT_NOP) {
      out.push({ type, kind: optionKind(type), data: EMPTY });
      p++;
      continue;
    }
    if (end - p < 2) return malformedError('ipv4', 'option length', p + 1, 'a length octet', 'end of header');
    const len = b[p + 1]!;
    if (len < 2 || len > end - p) return malformedError('ipv4', 'option length', p + 1, `2..${end - p}`, len);
    const kind = optionKind(type);
    const opt: Ipv4Option = { type, kind, data: b.subarray(p + 2, p + len) };
    if (kind === 'rr' || kind === 'lsrr' || kind === 'ssrr') {
      // RFC 791: length 3 + 4n, pointer >= 4.
      if (len < 3 || (len - 3) % 4 !== 0) return malformedError('ipv4', `${kind} option length`, p + 1, '3 + 4n', len);
      opt.pointer = b[p + 2]!;
      opt.addresses = [];
      for (let q = p + 3; q + 4 <= p + len; q += 4) opt.addresses.push(readIpv4(b, q));
    } else if (kind === 'ts') {
      if (len < 4) return malformedError('ipv4', 'ts option length', p + 1, '>= 4', len);
      opt.pointer = b[p + 2]!;
      opt.overflow = b[p + 3]! >>> 4;
      opt.flag = b[p + 3]! & 0x0f;
      opt.timestamps = [];
      const withAddress = opt.flag === 1 || opt.flag === 3;
      if (withAddress) opt.addresses = [];
      const entry = withAddress ? 8 : 4;
      for (let q = p + 4; q + entry <= p + len; q += entry) {
        if (withAddress) {
          opt.addresses!.push(readIpv4(b, q));
          opt.timestamps.push(readIpv4(b, q + 4));
        } else opt.timestamps.push(readIpv4(b, q));
      }
    } else if (kind === 'ra') {
      if (len !== 4) return malformedError('ipv4', 'ra option length', p + 1, '4', len);
      opt.value = (b[p + 2]! << 8) | b[p + 3]!;
    }
    out.push(opt);
    p += len;
  }
  return null;
}

function reprFromHeader(b: Uint8Array, off: number, options: Ipv4Option[]): Ipv4Repr {
  const hl = (b[off]! & 0x0f) * 4;
  const flagsFrag = (b[off + 6]! << 8) | b[off + 7]!;
  return {
    version: 4,
    ihl: hl >>> 2,
    dscp: b[off + 1]! >>> 2,
    ecn: b[off + 1]! & 3,
    totalLength: (b[off + 2]! << 8) | b[off + 3]!,
    identification: (b[off + 4]! << 8) | b[off + 5]!,
    dontFragment: (flagsFrag & 0x4000) !== 0,
    moreFragments: (flagsFrag & 0x2000) !== 0,
    reservedFlag: (flagsFrag & 0x8000) !== 0,
    fragmentOffset: (flagsFrag & 0x1fff) * 8,
    ttl: b[off + 8]!,
    protocol: b[off + 9]!,
    checksum: (b[off + 10]! << 8) | b[off + 11]!,
    checksumValid: internetChecksum(b, off, hl) === 0,
    src: ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0,
    dst: ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0,
    options,
    headerLength: hl,
  };
}

/** Parses the header (options included). Throws a WireError. */
export function parseIpv4(bytes: Uint8Array, offset = 0): Ipv4Repr {
  const err = checkIpv4Header(bytes, offset, bytes.length, Number.MAX_SAFE_INTEGER);
  if (err) throw err;
  const hl = (bytes[offset]! & 0x0f) * 4;
  let options = NO_OPTIONS;
  if (hl > IPV4_MIN_HEADER_LENGTH) {
    options = [];
    const oerr = parseIpv4OptionsInto(bytes, offset + IPV4_MIN_HEADER_LENGTH, offset + hl, options);
    if (oerr) throw oerr;
  }
  return reprFromHeader(bytes, offset, options);
}

/**
 * Parses the header and returns the payload clipped to the total length (Ethernet padding cut
 * off) and to the captured bytes (compare `payload.length` with `totalLength - headerLength` to
 * see a cut). Throws a WireError for a bad header.
 */
export function parseIpv4Packet(bytes: Uint8Array, offset = 0): { repr: Ipv4Repr; payload: Uint8Array } {
  const repr = parseIpv4(bytes, offset);
  const end = Math.min(offset + repr.totalLength, bytes.length);
  return { repr, payload: bytes.subarray(offset + repr.headerLength, end) };
}

/** Bytes the options take on the wire, before padding. */
function optionsLength(options: Ipv4Option[] | undefined): number {
  let n = 0;
  for (const o of options ?? NO_OPTIONS) n += o.type === IPOPT_EOL || o.type === IPOPT_NOP ? 1 : 2 + o.data.length;
  return n;
}

/** 20 + options padded to a multiple of 4 with EOL (RFC 791). */
export function ipv4HeaderLength(repr: { options?: Ipv4Option[] }): number {
  return IPV4_MIN_HEADER_LENGTH + ((optionsLength(repr.options) + 3) & ~3);
}

/**
 * Writes the header for a payload of `payloadLength` bytes at `off` (payload not copied);
 * returns the header length. Throws a WireError for options over 40 bytes or a bad fragment offset.
 */
export function emitIpv4Into(buf: Uint8Array, off: number, repr: Ipv4EmitInput, payloadLength: number): number {
  const hl = ipv4HeaderLength(repr);
  if (hl > IPV4_MAX_HEADER_LENGTH) throw malformedError('ipv4', 'options', off + 20, '<= 40 bytes', hl - 20);
  const frag = repr.fragmentOffset ?? 0;
  if (frag % 8 !== 0 || frag > 0x1fff * 8) throw malformedError('ipv4', 'fragment offset', off + 6, 'a multiple of 8 <= 65528', frag);
  const total = repr.totalLength ?? hl + payloadLength;
  if (total > 0xffff) throw malformedError('ipv4', 'total length', off + 2, '<= 65535', total);
  if (buf.length - off < hl) throw truncatedError('ipv4', 'emit buffer', off, hl, buf.length - off);
  buf[off] = 0x40 | (hl >>> 2);
  buf[off + 1] = ((repr.dscp ?? 0) << 2) | ((repr.ecn ?? 0) & 3);
  buf[off + 2] = total >>> 8;
  buf[off + 3] = total;
  const id = repr.identification ?? 0;
  buf[off + 4] = id >>> 8;
  buf[off + 5] = id;
  const ff = (repr.reservedFlag ? 0x8000 : 0) | (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0) | (frag / 8);
  buf[off + 6] = ff >>> 8;
  buf[off + 7] = ff;
  buf[off + 8] = repr.ttl ?? 64;
  buf[off + 9] = repr.protocol;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  writeIpv4(buf, off + 12, repr.src);
  writeIpv4(buf, off + 16, repr.dst);
  let p = off + 20;
  for (const o of repr.options ?? NO_OPTIONS) {
    buf[p++] = o.type;
    if (o.type === IPOPT_EOL || o.type === IPOPT_NOP) continue;
    buf[p++] = 2 + o.data.length;
    buf.set(o.data, p);
    p += o.data.length;
  }
  while (p < off + hl) buf[p++] = IPOPT_EOL;
  const ck = repr.checksum ?? internetChecksum(buf, off, hl);
  buf[off + 10] = ck >>> 8;
  buf[off + 11] = ck;
  return hl;
}

/** Header + payload with the header checksum computed. */
export function emitIpv4(repr: Ipv4EmitInput, payload: Uint8Array): Uint8Array {
  const hl = ipv4HeaderLength(repr);
  const out = new Uint8Array(hl + payload.length);
  emitIpv4Into(out, 0, repr, payload.length);
  out.set(payload, hl);
  return out;
}

/** True for any fragment (MF set or a non-zero offset). */
export function isIpv4Fragment(repr: Ipv4Repr): boolean {
  return repr.moreFragments || repr.fragmentOffset !== 0;
}

/** Layer decoder for EtherType 0x0800 (and raw IPv4 links). */
export function decodeIpv4Layer(pkt: import('./decode').DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  const err = checkIpv4Header(b, off, capEnd, wireEnd);
  if (err) {
    recordError(pkt, err);
    return;
  }
  const hl = (b[off]! & 0x0f) * 4;
  let options = NO_OPTIONS;
  if (hl > IPV4_MIN_HEADER_LENGTH) {
    options = [];
    const oerr = parseIpv4OptionsInto(b, off + IPV4_MIN_HEADER_LENGTH, off + hl, options);
    if (oerr) recordError(pkt, oerr);
  }
  const repr = reprFromHeader(b, off, options);
  pkt.ipv4 = repr;
  let ipWireEnd = off + repr.totalLength;
  if (ipWireEnd > wireEnd) {
    // The frame on the wire is shorter than the IP header says (tcpdump: "truncated-ip").
    recordError(pkt, malformedError('ipv4', 'total length', off + 2, `<= ${wireEnd - off} (bytes in the frame)`, repr.totalLength));
    ipWireEnd = wireEnd;
  }
  const ipCapEnd = capEnd < ipWireEnd ? capEnd : ipWireEnd;
  if (ipCapEnd < ipWireEnd) pkt.truncated = true;
  const payOff = off + hl;
  pkt.ipPayloadOffset = payOff;
  pkt.ipPayloadEnd = ipCapEnd > payOff ? ipCapEnd : payOff;
  if (repr.fragmentOffset !== 0) return; // only the first fragment carries the transport header
  pkt.transportOffset = payOff;
  const next = ipProtocols.get(repr.protocol);
  if (next) next(pkt, b, payOff, ipCapEnd, ipWireEnd);
}

etherTypes.register(ETHERTYPE_IPV4, decodeIpv4Layer);
