/**
 * ICMP for IPv4 (RFC 792; fragmentation-needed next-hop MTU per RFC 1191 §4; the quoted datagram
 * per RFC 792 and RFC 1812 §4.3.2.3).
 */
import { readIpv4, writeIpv4, type Ipv4Address } from './address';
import { internetChecksum } from './checksum';
import { WireError, shortError, truncatedError } from './errors';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4, type Ipv4Repr } from './ipv4';
import { ipProtocols, recordError } from './registry';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
/** Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
export const ICMP_UNREACH_NEEDFRAG = 4;
export const ICMP_UNREACH_ADMIN_PROHIBITED = 13;
export const ICMP_HEADER_LENGTH = 8;

export type IcmpEchoRepr = {
  type: 0 | 8;
  code: number;
  kind: 'echo-reply' | 'echo-request';
  identifier: number;
  sequence: number;
  data: Uint8Array;
  checksum: number;
  checksumValid: boolean;
};
export type IcmpErrorKind = 'dest-unreachable' | 'time-exceeded' | 'parameter-problem' | 'source-quench' | 'redirect';
export type IcmpErrorRepr = {
  type: 3 | 11 | 12 | 4 | 5;
  code: number;
  kind: IcmpErrorKind;
  /** Type 3 code 4 (RFC 1191). */
  nextHopMtu?: number;
  /** Type 5. */
  gateway?: Ipv4Address;
  /** Type 12. */
  pointer?: number;
  /** The original IP header + at least 8 bytes of its payload (as captured). */
  quoted: Uint8Array;
  checksum: number;
  checksumValid: boolean;
};
export type IcmpOtherRepr = { type: number; code: number; kind: 'other'; rest: Uint8Array; checksum: number; checksumValid: boolean };
/**
 * `checksumValid` is computed over the bytes given; it only means something when the whole
 * message is there (decodePacket: not `truncated`, not an IP fragment).
 */
export type IcmpRepr = IcmpEchoRepr | IcmpErrorRepr | IcmpOtherRepr;

export type IcmpEmitInput =
  | { type: 0 | 8; code?: number; identifier: number; sequence: number; data?: Uint8Array }
  | { type: 3 | 11 | 12 | 4 | 5; code: number; nextHopMtu?: number; gateway?: Ipv4Address; pointer?: number; quoted: Uint8Array }
  | { type: number; code: number; rest: Uint8Array };

/** The datagram an ICMP error quotes, decoded as far as the quote goes. */
export interface IcmpQuoted {
  ipv4: Ipv4Repr;
  /** Offset of the quoted transport header within `quoted`. */
  transportOffset: number;
  /** TCP or UDP ports when the first 4 bytes are quoted. */
  srcPort?: number;
  dstPort?: number;
  /** TCP sequence number when quoted. */
  tcpSeq?: number;
  /** UDP length field when quoted. */
  udpLength?: number;
  /** Quoted ICMP echo: type, code, identifier and sequence. */
  icmpType?: number;
  icmpCode?: number;
  icmpIdentifier?: number;
  icmpSequence?: number;
}

const EMPTY = new Uint8Array(0);

export function icmpKindOf(type: number): IcmpRepr['kind'] {
  switch (type) {
    case 0:
      return 'echo-reply';
    case 8:
      return 'echo-request';
    case 3:
      return 'dest-unreachable';
    case 11:
      return 'time-exceeded';
    case 12:
      return 'parameter-problem';
    case 4:
      return 'source-quench';
    case 5:
      return 'redirect';
    default:
      return 'other';
  }
}

export class IcmpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
    /** The message length (default: to the end of the buffer). */
    readonly length = bytes.length - offset,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new IcmpView(bytes, offset).check();
  }

  /** The 8-byte header must be there (types 0/8/3/11/12/4/5 use all 8; others at least 4). */
  check(): WireError | null {
    const need = headerNeed(this.bytes[this.offset]);
    if (this.length < need || this.bytes.length - this.offset < need) {
      return truncatedError('icmp', 'header', this.offset, need, Math.min(this.length, this.bytes.length - this.offset));
    }
    return null;
  }
  get type(): number {
    return this.bytes[this.offset]!;
  }
  get code(): number {
    return this.bytes[this.offset + 1]!;
  }
  get checksum(): number {
    return (this.bytes[this.offset + 2]! << 8) | this.bytes[this.offset + 3]!;
  }
  get checksumValid(): boolean {
    return internetChecksum(this.bytes, this.offset, Math.min(this.length, this.bytes.length - this.offset)) === 0;
  }
  /** Echo: identifier. */
  get identifier(): number {
    return (this.bytes[this.offset + 4]! << 8) | this.bytes[this.offset + 5]!;
  }
  /** Echo: sequence. */
  get sequence(): number {
    return (this.bytes[this.offset + 6]! << 8) | this.bytes[this.offset + 7]!;
  }
  /** Type 3 code 4: next-hop MTU (RFC 1191). */
  get nextHopMtu(): number {
    return (this.bytes[this.offset + 6]! << 8) | this.bytes[this.offset + 7]!;
  }
  /** Type 5: the gateway address. */
  get gateway(): Ipv4Address {
    return readIpv4(this.bytes, this.offset + 4);
  }
  /** Type 12: the pointer octet. */
  get pointer(): number {
    return this.bytes[this.offset + 4]!;
  }
}

function headerNeed(type: number | undefined): number {
  return type === undefined || icmpKindOf(type) !== 'other' ? ICMP_HEADER_LENGTH : 4;
}

/** Builds the repr from a checked header; `end` is the captured end of the message. */
function reprAt(b: Uint8Array, off: number, end: number, checksumValid: boolean): IcmpRepr {
  const type = b[off]!;
  const code = b[off + 1]!;
  const checksum = (b[off + 2]! << 8) | b[off + 3]!;
  const kind = icmpKindOf(type);
  if (kind === 'echo-reply' || kind === 'echo-request') {
    return {
      type: type as 0 | 8,
      code,
      kind,
      identifier: (b[off + 4]! << 8) | b[off + 5]!,
      sequence: (b[off + 6]! << 8) | b[off + 7]!,
      data: b.subarray(off + 8, end),
      checksum,
      checksumValid,
    };
  }
  if (kind === 'other') return { type, code, kind, rest: b.subarray(off + 4, end), checksum, checksumValid };
  const r: IcmpErrorRepr = { type: type as IcmpErrorRepr['type'], code, kind, quoted: b.subarray(off + 8, end), checksum, checksumValid };
  if (type === ICMP_DEST_UNREACHABLE && code === ICMP_UNREACH_NEEDFRAG) r.nextHopMtu = (b[off + 6]! << 8) | b[off + 7]!;
  else if (type === ICMP_REDIRECT) r.gateway = readIpv4(b, off + 4);
  else if (type === ICMP_PARAMETER_PROBLEM) r.pointer = b[off + 4]!;
  return r;
}

/** Parses a whole message of `length` bytes (default: to the end of the buffer). Throws a WireError. */
export function parseIcmp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): IcmpRepr {
  const v = new IcmpView(bytes, offset, length);
  const err = v.check();
  if (err) throw err;
  const end = Math.min(bytes.length, offset + length);
  return reprAt(bytes, offset, end, internetChecksum(bytes, offset, end - offset) === 0);
}

/**
 * Decodes the quoted datagram of an ICMP error: the IP header (its total length describes the
 * original datagram, not the quote) and the first 8 bytes of its payload. Throws a WireError.
 */
export function decodeIcmpQuoted(quoted: Uint8Array): IcmpQuoted {
  const ipv4 = parseIpv4(quoted, 0);
  const t = ipv4.headerLength;
  const q: IcmpQuoted = { ipv4, transportOffset: t };
  const n = quoted.length - t;
  if (ipv4.fragmentOffset !== 0) return q;
  if (ipv4.protocol === IPPROTO_TCP || ipv4.protocol === IPPROTO_UDP) {
    if (n >= 4) {
      q.srcPort = (quoted[t]! << 8) | quoted[t + 1]!;
      q.dstPort = (quoted[t + 2]! << 8) | quoted[t + 3]!;
    }
    if (ipv4.protocol === IPPROTO_TCP && n >= 8) q.tcpSeq = readIpv4(quoted, t + 4);
    if (ipv4.protocol === IPPROTO_UDP && n >= 6) q.udpLength = (quoted[t + 4]! << 8) | quoted[t + 5]!;
  } else if (ipv4.protocol === IPPROTO_ICMP && n >= 2) {
    q.icmpType = quoted[t]!;
    q.icmpCode = quoted[t + 1]!;
    if (n >= 8) {
      q.icmpIdentifier = (quoted[t + 4]! << 8) | quoted[t + 5]!;
      q.icmpSequence = (quoted[t + 6]! << 8) | quoted[t + 7]!;
    }
  }
  return q;
}

export function icmpLength(input: IcmpEmitInput): number {
  if ('identifier' in input) return ICMP_HEADER_LENGTH + (input.data?.length ?? 0);
  if ('quoted' in input) return ICMP_HEADER_LENGTH + input.quoted.length;
  return 4 + input.rest.length;
}

/** Writes the message at `off` with its checksum (or `opts.checksum`); returns its length. */
export function emitIcmpInto(buf: Uint8Array, off: number, input: IcmpEmitInput, opts?: { checksum?: number }): number {
  const len = icmpLength(input);
  if (buf.length - off < len) throw truncatedError('icmp', 'emit buffer', off, len, buf.length - off);
  buf[off] = input.type;
  buf[off + 1] = input.code ?? 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  if ('identifier' in input) {
    buf[off + 4] = input.identifier >>> 8;
    buf[off + 5] = input.identifier;
    buf[off + 6] = input.sequence >>> 8;
    buf[off + 7] = input.sequence;
    buf.set(input.data ?? EMPTY, off + 8);
  } else if ('quoted' in input) {
    buf.fill(0, off + 4, off + 8);
    if (input.gateway !== undefined) writeIpv4(buf, off + 4, input.gateway);
    if (input.pointer !== undefined) buf[off + 4] = input.pointer;
    if (input.nextHopMtu !== undefined) {
      buf[off + 6] = input.nextHopMtu >>> 8;
      buf[off + 7] = input.nextHopMtu;
    }
    buf.set(input.quoted, off + 8);
  } else {
    buf.set(input.rest, off + 4);
  }
  const ck = opts?.checksum ?? internetChecksum(buf, off, len);
  buf[off + 2] = ck >>> 8;
  buf[off + 3] = ck;
  return len;
}

export function emitIcmp(input: IcmpEmitInput, opts?: { checksum?: number }): Uint8Array {
  const out = new Uint8Array(icmpLength(input));
  emitIcmpInto(out, 0, input, opts);
  return out;
}

function decodeIcmpLayer(pkt: import('./decode').DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  const need = headerNeed(capEnd > off ? b[off] : undefined);
  if (capEnd - off < need) {
    recordError(pkt, shortError('icmp', 'header', off, need, capEnd - off, wireEnd - off));
    return;
  }
  // Checkable only when the whole message was captured and is not a fragment.
  const whole = capEnd === wireEnd && !pkt.ipv4!.moreFragments;
  const repr = reprAt(b, off, capEnd, whole && internetChecksum(b, off, capEnd - off) === 0);
  pkt.icmp = repr;
  if ('quoted' in repr) {
    try {
      pkt.icmpQuoted = decodeIcmpQuoted(repr.quoted);
    } catch (e) {
      if (e instanceof WireError) {
        // Offsets in the quote are relative to the quote; move them into the frame.
        // A short quote in a completely captured message is the sender's fault, not the capture's.
        const kind = e.kind === 'truncated' && capEnd === wireEnd ? 'malformed' : e.kind;
        recordError(pkt, new WireError(kind, 'icmp quoted ' + e.layer, e.field, e.offset + off + 8, e.expected, e.found));
      } else throw e;
    }
  }
}


ipProtocols.register(IPPROTO_ICMP, decodeIcmpLayer);
