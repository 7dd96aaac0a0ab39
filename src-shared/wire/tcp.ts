/**
 * TCP (RFC 9293). Options: MSS (RFC 9293 §3.2), window scale and timestamps (RFC 7323),
 * SACK-permitted and SACK (RFC 2018), MD5 signature (RFC 2385), TCP-AO (RFC 5925), Fast Open
 * (RFC 7413, also its experimental form 254/0xF989, RFC 6994). Flags ECE/CWR (RFC 3168) and AE
 * (the former NS bit, reused by Accurate ECN).
 */
import { internetChecksum, onesComplementSum, pseudoHeaderSum } from './checksum';
import { WireError, malformedError, shortError, truncatedError } from './errors';
import { IPPROTO_TCP } from './ipv4';
import { ipProtocols, recordError, tcpPorts } from './registry';
import { seq, type SeqNum } from './seq';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_AE = 0x100;
export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMPS = 8;
export const TCPOPT_MD5 = 19;
export const TCPOPT_AO = 29;
export const TCPOPT_TFO = 34;
export const TCPOPT_EXPERIMENT = 254;
/** RFC 7413 §4.1.1: the experiment ID of Fast Open under option 254. */
export const TCPOPT_TFO_EXID = 0xf989;

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: { left: SeqNum; right: SeqNum }[] }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  /** `experimental`: sent as option 254 with ExID 0xF989 instead of 34. */
  | { kind: 'tfo'; cookie: Uint8Array; experimental?: boolean }
  | { kind: 'md5'; digest: Uint8Array }
  | { kind: 'ao'; keyId: number; rNextKeyId: number; mac: Uint8Array }
  /** Any other option, or a known one whose length breaks its RFC: kept raw. */
  | { kind: 'unknown'; type: number; data: Uint8Array };

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: SeqNum;
  ack: SeqNum;
  /** Header length in BYTES. */
  dataOffset: number;
  /** TCP_* bitmask, 9 bits. */
  flags: number;
  /** The raw 16-bit field, unscaled. */
  window: number;
  checksum: number;
  urgentPointer: number;
  options: TcpOption[];
  /** Subarray (zero-copy), clipped to the segment and the captured bytes. */
  payload: Uint8Array;
}

export interface TcpEmitInput {
  srcPort: number;
  dstPort: number;
  seq: SeqNum | number;
  ack: SeqNum | number;
  flags: number;
  window: number;
  urgentPointer?: number;
  options?: TcpOption[];
  payload?: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const NO_OPTIONS: TcpOption[] = [];
const EOL: TcpOption = Object.freeze({ kind: 'eol' }) as TcpOption;
const NOP: TcpOption = Object.freeze({ kind: 'nop' }) as TcpOption;
const SACK_PERMITTED: TcpOption = Object.freeze({ kind: 'sack-permitted' }) as TcpOption;

export class TcpView {
  constructor(
    readonly bytes: Uint8Array,
    readonly offset = 0,
  ) {}

  static check(bytes: Uint8Array, offset = 0): WireError | null {
    return new TcpView(bytes, offset).check();
  }

  /** 20 bytes, data offset >= 5, the whole header captured. */
  check(): WireError | null {
    return checkTcpHeader(this.bytes, this.offset, this.bytes.length, Number.MAX_SAFE_INTEGER);
  }
  private u16(o: number): number {
    return (this.bytes[this.offset + o]! << 8) | this.bytes[this.offset + o + 1]!;
  }
  get srcPort(): number {
    return this.u16(0);
  }
  get dstPort(): number {
    return this.u16(2);
  }
  get seq(): SeqNum {
    return seq(this.u16(4) * 0x10000 + this.u16(6));
  }
  get ack(): SeqNum {
    return seq(this.u16(8) * 0x10000 + this.u16(10));
  }
  /** Header length in bytes. */
  get dataOffset(): number {
    return (this.bytes[this.offset + 12]! >>> 4) * 4;
  }
  get flags(): number {
    return ((this.bytes[this.offset + 12]! & 1) << 8) | this.bytes[this.offset + 13]!;
  }
  get window(): number {
    return this.u16(14);
  }
  get checksum(): number {
    return this.u16(16);
  }
  get urgentPointer(): number {
    return this.u16(18);
  }
  get payloadOffset(): number {
    return this.offset + this.dataOffset;
  }
  /** The options, or the error that stopped their decoding. */
  options(): TcpOption[] | WireError {
    const out: TcpOption[] = [];
    const err = parseTcpOptionsInto(this.bytes, this.offset + TCP_MIN_HEADER_LENGTH, this.offset + this.dataOffset, out);
    return err ?? out;
  }
}

function checkTcpHeader(b: Uint8Array, off: number, capEnd: number, wireEnd: number): WireError | null {
  if (capEnd - off < TCP_MIN_HEADER_LENGTH) return shortError('tcp', 'header', off, TCP_MIN_HEADER_LENGTH, capEnd - off, wireEnd - off);
  const words = b[off + 12]! >>> 4;
  if (words < 5) return malformedError('tcp', 'data offset', off + 12, '>= 5 words', words);
  const hl = words * 4;
  if (wireEnd - off < hl) return malformedError('tcp', 'data offset', off + 12, `<= ${wireEnd - off} bytes (segment length)`, hl);
  if (capEnd - off < hl) return truncatedError('tcp', 'options', off + TCP_MIN_HEADER_LENGTH, hl, capEnd - off);
  return null;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Decodes the options in [off, end) into `out`; stops after EOL (RFC 9293 §3.1). Returns the error
 * that stopped it (a length octet < 2 or running past the header) or null; what was decoded
 * before the error stays in `out`.
 */
export function parseTcpOptionsInto(b: Uint8Array, off: number, end: number, out: TcpOption[]): WireError | null {
  let p = off;
  while (p < end) {
    const type = b[p]!;
    if (type === TCPOPT_EOL) {
      out.push(EOL);
      return null;
    }
    if (type === TCPOPT_NOP) {
      out.push(NOP);
      p++;
      continue;
    }
    if (end - p < 2) return malformedError('tcp', 'option length', p + 1, 'a length octet', 'end of header');
    const len = b[p + 1]!;
    if (len < 2 || len > end - p) return malformedError('tcp', `option ${type} length`, p + 1, `2..${end - p}`, len);
    const d = p + 2;
    let opt: TcpOption | undefined;
    switch (type) {
      case TCPOPT_MSS:
        if (len === 4) opt = { kind: 'mss', value: (b[d]! << 8) | b[d + 1]! };
        break;
      case TCPOPT_WSCALE:
        if (len === 3) opt = { kind: 'wscale', shift: b[d]! };
        break;
      case TCPOPT_SACK_PERMITTED:
        if (len === 2) opt = SACK_PERMITTED;
        break;
      case TCPOPT_SACK:
        if ((len - 2) % 8 === 0) {
          const blocks: { left: SeqNum; right: SeqNum }[] = [];
          for (let q = d; q < p + len; q += 8) blocks.push({ left: u32(b, q) as SeqNum, right: u32(b, q + 4) as SeqNum });
          opt = { kind: 'sack', blocks };
        }
        break;
      case TCPOPT_TIMESTAMPS:
        if (len === 10) opt = { kind: 'timestamps', tsval: u32(b, d), tsecr: u32(b, d + 4) };
        break;
      case TCPOPT_MD5:
        if (len === 18) opt = { kind: 'md5', digest: b.subarray(d, d + 16) };
        break;
      case TCPOPT_AO:
        if (len >= 4) opt = { kind: 'ao', keyId: b[d]!, rNextKeyId: b[d + 1]!, mac: b.subarray(d + 2, p + len) };
        break;
      case TCPOPT_TFO:
        opt = { kind: 'tfo', cookie: b.subarray(d, p + len) };
        break;
      case TCPOPT_EXPERIMENT:
        if (len >= 4 && ((b[d]! << 8) | b[d + 1]!) === TCPOPT_TFO_EXID) {
          opt = { kind: 'tfo', cookie: b.subarray(d + 2, p + len), experimental: true };
        }
        break;
    }
    out.push(opt ?? { kind: 'unknown', type, data: b.subarray(d, p + len) });
    p += len;
  }
  return null;
}

/** Parses the option bytes of a header; throws a WireError. */
export function parseTcpOptions(bytes: Uint8Array, offset: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  const err = parseTcpOptionsInto(bytes, offset, end, out);
  if (err) throw err;
  return out;
}

function reprAt(b: Uint8Array, off: number, hl: number, payEnd: number, options: TcpOption[]): TcpRepr {
  return {
    srcPort: (b[off]! << 8) | b[off + 1]!,
    dstPort: (b[off + 2]! << 8) | b[off + 3]!,
    seq: u32(b, off + 4) as SeqNum,
    ack: u32(b, off + 8) as SeqNum,
    dataOffset: hl,
    flags: ((b[off + 12]! & 1) << 8) | b[off + 13]!,
    window: (b[off + 14]! << 8) | b[off + 15]!,
    checksum: (b[off + 16]! << 8) | b[off + 17]!,
    urgentPointer: (b[off + 18]! << 8) | b[off + 19]!,
    options,
    // A shared empty array for the many zero-length segments: a subarray costs ~150 ns.
    payload: payEnd > off + hl ? b.subarray(off + hl, payEnd) : EMPTY,
  };
}

/**
 * Parses a segment of `len` bytes from `offset` (default: to the end of the buffer; pass the IP
 * payload length). Throws a WireError.
 */
export function parseTcp(bytes: Uint8Array, offset = 0, len = bytes.length - offset): TcpRepr {
  const end = offset + len;
  const capEnd = end < bytes.length ? end : bytes.length;
  const err = checkTcpHeader(bytes, offset, capEnd, end);
  if (err) throw err;
  const hl = (bytes[offset + 12]! >>> 4) * 4;
  let options = NO_OPTIONS;
  if (hl > TCP_MIN_HEADER_LENGTH) options = parseTcpOptions(bytes, offset + TCP_MIN_HEADER_LENGTH, offset + hl);
  if (capEnd < end) throw truncatedError('tcp', 'payload', offset + hl, len, capEnd - offset);
  return reprAt(bytes, offset, hl, capEnd, options);
}

/** Sequence space the segment takes: payload + SYN + FIN (RFC 9293 §3.4). */
export function tcpSegmentLength(repr: { flags: number; payload?: Uint8Array }): number {
  return (repr.payload?.length ?? 0) + (repr.flags & TCP_SYN ? 1 : 0) + (repr.flags & TCP_FIN ? 1 : 0);
}

/** Checks the checksum of a whole segment (`segmentBytes` = header + payload, exactly). */
export function verifyTcpChecksum(segmentBytes: Uint8Array, srcIp: number, dstIp: number): boolean {
  const n = segmentBytes.length;
  return internetChecksum(segmentBytes, 0, n, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, n)) === 0;
}

function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sack-permitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamps':
      return 10;
    case 'tfo':
      return (o.experimental ? 4 : 2) + o.cookie.length;
    case 'md5':
      return 2 + o.digest.length;
    case 'ao':
      return 4 + o.mac.length;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** 20 + options padded with EOL to a multiple of 4. */
export function tcpHeaderLength(repr: { options?: TcpOption[] }): number {
  let n = 0;
  for (const o of repr.options ?? NO_OPTIONS) n += optionLength(o);
  return TCP_MIN_HEADER_LENGTH + ((n + 3) & ~3);
}

function put32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
}

function emitOption(buf: Uint8Array, p: number, o: TcpOption): number {
  const len = optionLength(o);
  switch (o.kind) {
    case 'eol':
      buf[p] = TCPOPT_EOL;
      return 1;
    case 'nop':
      buf[p] = TCPOPT_NOP;
      return 1;
    case 'mss':
      buf[p] = TCPOPT_MSS;
      buf[p + 2] = o.value >>> 8;
      buf[p + 3] = o.value;
      break;
    case 'wscale':
      buf[p] = TCPOPT_WSCALE;
      buf[p + 2] = o.shift;
      break;
    case 'sack-permitted':
      buf[p] = TCPOPT_SACK_PERMITTED;
      break;
    case 'sack':
      buf[p] = TCPOPT_SACK;
      for (let i = 0; i < o.blocks.length; i++) {
        put32(buf, p + 2 + i * 8, o.blocks[i]!.left);
        put32(buf, p + 6 + i * 8, o.blocks[i]!.right);
      }
      break;
    case 'timestamps':
      buf[p] = TCPOPT_TIMESTAMPS;
      put32(buf, p + 2, o.tsval);
      put32(buf, p + 6, o.tsecr);
      break;
    case 'tfo':
      if (o.experimental) {
        buf[p] = TCPOPT_EXPERIMENT;
        buf[p + 2] = TCPOPT_TFO_EXID >>> 8;
        buf[p + 3] = TCPOPT_TFO_EXID & 0xff;
        buf.set(o.cookie, p + 4);
      } else {
        buf[p] = TCPOPT_TFO;
        buf.set(o.cookie, p + 2);
      }
      break;
    case 'md5':
      buf[p] = TCPOPT_MD5;
      buf.set(o.digest, p + 2);
      break;
    case 'ao':
      buf[p] = TCPOPT_AO;
      buf[p + 2] = o.keyId;
      buf[p + 3] = o.rNextKeyId;
      buf.set(o.mac, p + 4);
      break;
    case 'unknown':
      buf[p] = o.type;
      buf.set(o.data, p + 2);
      break;
  }
  buf[p + 1] = len;
  return len;
}

/**
 * Writes header + payload at `off` with the pseudo-header checksum (or `opts.checksum`);
 * returns the segment length. Throws a WireError for more than 40 bytes of options.
 */
export function emitTcpInto(buf: Uint8Array, off: number, repr: TcpEmitInput, srcIp: number, dstIp: number, opts?: { checksum?: number }): number {
  const hl = tcpHeaderLength(repr);
  if (hl > TCP_MAX_HEADER_LENGTH) throw malformedError('tcp', 'options', off + 20, '<= 40 bytes', hl - 20);
  const payload = repr.payload ?? EMPTY;
  const len = hl + payload.length;
  if (buf.length - off < len) throw truncatedError('tcp', 'emit buffer', off, len, buf.length - off);
  buf[off] = repr.srcPort >>> 8;
  buf[off + 1] = repr.srcPort;
  buf[off + 2] = repr.dstPort >>> 8;
  buf[off + 3] = repr.dstPort;
  put32(buf, off + 4, repr.seq);
  put32(buf, off + 8, repr.ack);
  buf[off + 12] = ((hl >>> 2) << 4) | ((repr.flags >>> 8) & 1);
  buf[off + 13] = repr.flags;
  buf[off + 14] = repr.window >>> 8;
  buf[off + 15] = repr.window;
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  const up = repr.urgentPointer ?? 0;
  buf[off + 18] = up >>> 8;
  buf[off + 19] = up;
  let p = off + TCP_MIN_HEADER_LENGTH;
  for (const o of repr.options ?? NO_OPTIONS) p += emitOption(buf, p, o);
  while (p < off + hl) buf[p++] = TCPOPT_EOL;
  buf.set(payload, off + hl);
  // Header and payload summed apart: the payload from the caller's own array, which the long-run
  // sum takes whole (no view of the frame per segment). The header length is a multiple of 4, so
  // the payload's 16-bit words line up as in one pass over the segment (RFC 1071 §2 (B)).
  const ck = opts?.checksum ?? ~onesComplementSum(payload, 0, payload.length, onesComplementSum(buf, off, hl, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, len))) & 0xffff;
  buf[off + 16] = ck >>> 8;
  buf[off + 17] = ck;
  return len;
}

export function emitTcp(repr: TcpEmitInput, srcIp: number, dstIp: number, opts?: { checksum?: number }): Uint8Array {
  const out = new Uint8Array(tcpHeaderLength(repr) + (repr.payload?.length ?? 0));
  emitTcpInto(out, 0, repr, srcIp, dstIp, opts);
  return out;
}

function decodeTcpLayer(pkt: import('./decode').DecodedPacket, b: Uint8Array, off: number, capEnd: number, wireEnd: number): void {
  const err = checkTcpHeader(b, off, capEnd, wireEnd);
  if (err) {
    recordError(pkt, err);
    return;
  }
  const hl = (b[off + 12]! >>> 4) * 4;
  let options = NO_OPTIONS;
  if (hl > TCP_MIN_HEADER_LENGTH) {
    options = [];
    const oerr = parseTcpOptionsInto(b, off + TCP_MIN_HEADER_LENGTH, off + hl, options);
    if (oerr) recordError(pkt, oerr);
  }
  const repr = reprAt(b, off, hl, capEnd, options);
  pkt.tcp = repr;
  pkt.appOffset = off + hl;
  if (capEnd <= off + hl) return;
  const next = tcpPorts.get(repr.dstPort) ?? tcpPorts.get(repr.srcPort);
  if (next) next(pkt, b, off + hl, capEnd, wireEnd);
}

ipProtocols.register(IPPROTO_TCP, decodeTcpLayer);
