/** UDP (RFC 768; checksum optional over IPv4, zero = none, computed zero sent as 0xffff). */
import { internetChecksum, pseudoHeaderSum } from './checksum';
import { WireError, malformedError, shortError, truncatedError } from './errors';
import { IPPROTO_UDP } from './ipv4';
import { ipProtocols, recordError, udpPorts } from './registry';

export const UDP_HEADER_LENGTH = 8;
const EMPTY = new Uint8Array(0);

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** The length field (header + payload). */
  length: number;
  /** As on the wire; 0 = the sender computed none. */
  checksum: number;
  /** Subarray (zero-copy), clipped to the length field and the captured bytes. */
  payload: Uint8Array;
}

export interface UdpEmitInput {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export class UdpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new UdpView(bytes, offset).check();
  }

  /** The 8-byte header is there and the length field is >= 8. */
  check(): WireError | null {
    const avail = this.bytes.length - this.offset;
    if (avail < UDP_HEADER_LENGTH) return truncatedError('udp', 'header', this.offset, UDP_HEADER_LENGTH, avail);
    if (this.length < UDP_HEADER_LENGTH) return malformedError('udp', 'length', this.offset + 4, '>= 8', this.length);
    return null;
  }
  get srcPort(): number {
    return (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
  }
  get dstPort(): number {
    return (this.bytes[this.offset + 2]! << 8) | this.bytes[this.offset + 3]!;
  }
  get length(): number {
    return (this.bytes[this.offset + 4]! << 8) | this.bytes[this.offset + 5]!;
  }
  get checksum(): number {
    return (this.bytes[this.offset + 6]! << 8) | this.bytes[this.offset + 7]!;
  }
}

/**
 * Parses a datagram whose bytes run from `offset` for `len` bytes (default: to the end of the
 * buffer; pass the IP payload length). Throws a WireError: truncated when the buffer ends before
 * the length field says.
 */
export function parseUdp(bytes: Uint8Array, offset = 0, len = bytes.length - offset): UdpRepr {
  const v = new UdpView(bytes, offset);
  const err = v.check();
  if (err) throw err;
  const length = v.length;
  const have = Math.min(len, bytes.length - offset);
  if (length > have) throw truncatedError('udp', 'payload', offset + UDP_HEADER_LENGTH, length, have);
  return { srcPort: v.srcPort, dstPort: v.dstPort, length, checksum: v.checksum, payload: bytes.subarray(offset + UDP_HEADER_LENGTH, offset + length) };
}

/**
 * Checks the checksum of a whole datagram (`bytes` = exactly the UDP header and payload, as the
 * length field says). A zero checksum means none was sent (RFC 768) and counts as valid; use
 * `udpChecksumState` to tell the cases apart.
 */
export function verifyUdpChecksum(bytes: Uint8Array, srcIp: number, dstIp: number): boolean {
  return udpChecksumState(bytes, srcIp, dstIp) !== 'bad';
}

export function udpChecksumState(bytes: Uint8Array, srcIp: number, dstIp: number): 'none' | 'good' | 'bad' {
  if (bytes.length < UDP_HEADER_LENGTH) return 'bad';
  if (bytes[6] === 0 && bytes[7] === 0) return 'none';
  return internetChecksum(bytes, 0, bytes.length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, bytes.length)) === 0 ? 'good' : 'bad';
}

/**
 * Writes header + payload at `off`; returns the length. The checksum is computed over the
 * pseudo-header (0 is sent as 0xffff, RFC 768), unless `opts.noChecksum` (send 0) or
 * `opts.checksum` (send that value).
 */
export function emitUdpInto(
  buf: Uint8Array,
  off: number,
  repr: UdpEmitInput,
  srcIp: number,
  dstIp: number,
  opts?: { noChecksum?: boolean; checksum?: number },
): number {
  const len = UDP_HEADER_LENGTH + repr.payload.length;
  if (len > 0xffff) throw malformedError('udp', 'length', off + 4, '<= 65535', len);
  if (buf.length - off < len) throw truncatedError('udp', 'emit buffer', off, len, buf.length - off);
  buf[off] = repr.srcPort >>> 8;
  buf[off + 1] = repr.srcPort;
  buf[off + 2] = repr.dstPort >>> 8;
  buf[off + 3] = repr.dstPort;
  buf[off + 4] = len >>> 8;
  buf[off + 5] = len;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  buf.set(repr.payload, off + UDP_HEADER_LENGTH);
  let ck = 0;
  if (opts?.checksum !== undefined) ck = opts.checksum;
  else if (!opts?.noChecksum) {
    ck = internetChecksum(buf, off, len, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, len));
    if (ck === 0) ck = 0xffff;
  }
  buf[off + 6] = ck >>> 8;
  buf[off + 7] = ck;
  return len;
}

export function emitUdp(repr: UdpEmitInput, srcIp: number, dstIp: number, opts?: { noChecksum?: boolean; checksum?: number }): Uint8Array {
  const out = new Uint8Array(UDP_HEADER_LENGTH + repr.payload.length);
  emitUdpInto(out, 0, repr, srcIp, dstIp, opts);
  return out;
}

function decodeUdpLayer(pkt: import('./decode').DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  if (capEnd - off < UDP_HEADER_LENGTH) {
    recordError(pkt, shortError('udp', 'header', off, UDP_HEADER_LENGTH, capEnd - off, wireEnd - off));
    return;
  }
  const length = (b[off + 4]! << 8) | b[off + 5]!;
  let end = off + length;
  let lengthBad = false;
  if (length < UDP_HEADER_LENGTH) {
    lengthBad = true;
    recordError(pkt, malformedError('udp', 'length', off + 4, '>= 8', length));
    end = wireEnd;
  } else if (end > wireEnd) {
    // A first fragment carries only part of the datagram; otherwise the length field lies.
    if (!pkt.ipv4?.moreFragments) {
      lengthBad = true;
      recordError(pkt, malformedError('udp', 'length', off + 4, `<= ${wireEnd - off} (IP payload)`, length));
    }
    end = wireEnd;
  }
  const payEnd = end < capEnd ? end : capEnd;
  const repr: UdpRepr = {
    srcPort: (b[off]! << 8) | b[off + 1]!,
    dstPort: (b[off + 2]! << 8) | b[off + 3]!,
    length,
    checksum: (b[off + 6]! << 8) | b[off + 7]!,
    payload: payEnd > off + UDP_HEADER_LENGTH ? b.subarray(off + UDP_HEADER_LENGTH, payEnd) : EMPTY,
  };
  pkt.udp = repr;
  pkt.appOffset = off + UDP_HEADER_LENGTH;
  if (payEnd <= off + UDP_HEADER_LENGTH || lengthBad) return;
  const next = udpPorts.get(repr.dstPort) ?? udpPorts.get(repr.srcPort);
  if (next) next(pkt, b, off + UDP_HEADER_LENGTH, payEnd, end);
}

ipProtocols.register(IPPROTO_UDP, decodeUdpLayer);
