/**
 * The incremental pcap / pcapng parser shared by the sync and async readers.
 *
 * It works on a window `buf[pos, end)` of the input whose first byte is at file offset
 * `base + pos`. `step()` either returns the next packet record (a view into `buf`), returns
 * NEED_MORE after setting `needBytes` (the driver then compacts the window, grows the buffer if
 * one block is larger than it, reads more input and calls `step()` again from the same block
 * boundary), or returns null at a clean end of input. Every accepted header advances `pos` by
 * at least 12 bytes, so no input makes it loop without progress, and no block larger than
 * `maxBlockBytes` is ever buffered.
 *
 * Formats:
 *  - pcap: https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/ (file header §4, record §5)
 *  - pcapng: https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/ (blocks §4, options §3.5)
 */
import { CaptureFileError, type CaptureErrorKind } from './errors';
import { timestampConverter, type TimestampConverter } from './timestamp';
import { PacketRecord } from './types';
import type {
  ByteOrder,
  CaptureFormat,
  CaptureInterface,
  CaptureReaderOptions,
  CaptureRecord,
  CaptureSection,
  InterfaceStatistics,
  PcapHeader,
  TimestampResolution,
} from './types';

export const DEFAULT_CHUNK_BYTES = 4 << 20;
export const DEFAULT_MAX_BLOCK_BYTES = 256 << 20;
/** More interfaces than this in one pcapng section is treated as damage (memory bound). */
export const MAX_INTERFACES_PER_SECTION = 1 << 16;

export const NEED_MORE = 1 as const;
export const PRIMED = 2 as const;
export type StepResult = CaptureRecord | null | typeof NEED_MORE | typeof PRIMED;

// pcapng block types (pcapng draft §10.1).
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_SHB = 0x0a0d0d0a;
export const BT_CUSTOM_COPY = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

// pcap magic numbers as read little-endian from the first four bytes.
const PCAP_US_LE = 0xa1b2c3d4;
const PCAP_US_BE = 0xd4c3b2a1;
const PCAP_NS_LE = 0xa1b23c4d;
const PCAP_NS_BE = 0x4d3cb2a1;
const PCAP_MODIFIED_LE = 0xa1b2cd34;
const PCAP_MODIFIED_BE = 0x34cdb2a1;

export interface DetectedFormat {
  format: CaptureFormat;
  /** Known from the first 4 bytes for pcap; pcapng's is in the SHB byte-order magic. */
  byteOrder?: ByteOrder;
  resolution?: 'us' | 'ns';
}

/** Format auto-detection from the first 4 bytes of a file; null when it is neither. */
export function detectCaptureFormat(first4: Uint8Array): DetectedFormat | null {
  if (first4.length < 4) return null;
  const m = (first4[0]! | (first4[1]! << 8) | (first4[2]! << 16) | (first4[3]! << 24)) >>> 0;
  switch (m) {
    case PCAP_US_LE:
      return { format: 'pcap', byteOrder: 'little', resolution: 'us' };
    case PCAP_US_BE:
      return { format: 'pcap', byteOrder: 'big', resolution: 'us' };
    case PCAP_NS_LE:
      return { format: 'pcap', byteOrder: 'little', resolution: 'ns' };
    case PCAP_NS_BE:
      return { format: 'pcap', byteOrder: 'big', resolution: 'ns' };
    case BT_SHB:
      return { format: 'pcapng' };
    default:
      return null;
  }
}

interface InterfaceState {
  info: CaptureInterface;
  ts: TimestampConverter;
}

interface OptionRef {
  code: number;
  start: number;
  length: number;
}

const utf8 = new TextDecoder('utf-8');

function hex4(b: Uint8Array, p: number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(b[p + i]!.toString(16).padStart(2, '0'));
  return out.join(' ');
}

function formatAddress(b: Uint8Array, p: number, len: number): string {
  if (len === 4) return `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[p + i]! << 8) | b[p + i + 1]!).toString(16));
  return groups.join(':');
}

export class CaptureDecoder {
  buf: Uint8Array;
  private dv: DataView;
  /** Parse position within buf. */
  pos = 0;
  /** End of valid data within buf. */
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  /** The input has no more bytes after buf[end). */
  eof = false;
  /** Bytes needed from `pos` when step() returned NEED_MORE. */
  needBytes = 0;

  format: CaptureFormat | undefined;
  byteOrder: ByteOrder = 'little';
  pcapHeader: PcapHeader | undefined;
  section: CaptureSection | undefined;
  sectionIndex = -1;
  readonly names = new Map<string, string[]>();
  recordsRead = 0;
  /** Set while priming: stop before consuming the first packet record. */
  priming = false;

  private le = true;
  private ifaces: InterfaceState[] = [];
  private interfaceInfos: CaptureInterface[] = [];
  private failed: CaptureFileError | undefined;
  private readonly maxBlockBytes: number;
  private readonly chunkBytes: number;
  private readonly tsOut = new Float64Array(2);
  // pcap fast path state
  private pcapLinkType = 0;
  private pcapSnaplen = 0;
  private pcapNs = false;

  constructor(private readonly opts: CaptureReaderOptions = {}) {
    // The read buffer is allocated on the first read (setWholeInput needs none).
    this.buf = new Uint8Array(0);
    this.dv = new DataView(this.buf.buffer);
    this.chunkBytes = Math.max(64 * 1024, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.maxBlockBytes = opts.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
  }

  /** Interfaces of the current section (pcap: the one implicit interface). */
  get interfaces(): readonly CaptureInterface[] {
    return this.interfaceInfos;
  }

  /** Link type of the first interface, or undefined before one is known. */
  get linkType(): number | undefined {
    return this.interfaceInfos[0]?.linkType;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Uses `bytes` directly as the whole input (no copy). */
  setWholeInput(bytes: Uint8Array): void {
    this.buf = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.length;
    this.eof = true;
  }

  /**
   * Moves the unread bytes to the front of the buffer and, when the buffer is full but one
   * block needs more, grows it. The driver then fills [end, buf.length).
   */
  makeRoom(): void {
    if (this.buf.length === 0) {
      this.buf = new Uint8Array(this.chunkBytes);
      this.dv = new DataView(this.buf.buffer);
    }
    if (this.pos > 0) {
      if (this.end > this.pos) this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (this.needBytes > this.buf.length && this.end === this.buf.length) {
      // One block is larger than the buffer and the buffer is full: grow, but only by doubling,
      // so a damaged length field cannot make us allocate much more than the input really has.
      const size = Math.min(this.needBytes, this.buf.length * 2);
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
      this.dv = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
  }

  /**
   * Makes `buf[pos, end)` (whose first byte is at file offset `base + pos`) the window, for a
   * driver that reads ahead into a second buffer. The unread bytes must already be in it.
   */
  swapBuffer(buf: Uint8Array, pos: number, end: number, base: number): void {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
    this.base = base;
  }

  /** Appends bytes after the window, compacting and growing the buffer as needed. */
  appendBytes(src: Uint8Array): void {
    this.makeRoom();
    if (this.end + src.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.end + src.length, this.buf.length));
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
      this.dv = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    this.buf.set(src, this.end);
    this.end += src.length;
  }

  /** Records an I/O failure so that later calls rethrow it. */
  failIo(cause: unknown): CaptureFileError {
    const msg = cause instanceof Error ? cause.message : String(cause);
    const err = new CaptureFileError(this.format ?? 'capture', this.offset, `read failed: ${msg}`, 'io', 'input', {
      cause,
    });
    this.failed = err;
    return err;
  }

  private fail(offset: number, reason: string, kind: CaptureErrorKind = 'malformed', what = 'record'): never {
    const err = new CaptureFileError(this.format ?? 'capture', offset, reason, kind, what);
    this.failed = err;
    throw err;
  }

  private need(n: number): typeof NEED_MORE {
    this.needBytes = n;
    return NEED_MORE;
  }

  step(): StepResult {
    if (this.failed) throw this.failed;
    if (this.format === 'pcap') return this.stepPcap();
    if (this.format === 'pcapng') return this.stepPcapng();
    return this.stepDetect();
  }

  // ---------------------------------------------------------------- detection

  private stepDetect(): StepResult {
    const avail = this.end - this.pos;
    if (avail < 4) {
      if (!this.eof) return this.need(4);
      if (avail === 0) this.fail(0, 'empty input, no capture file header', 'truncated', 'file header');
      this.fail(0, `input is ${avail} bytes, too short for a capture file header`, 'truncated', 'file header');
    }
    const p = this.pos;
    const b = this.buf;
    const m = this.dv.getUint32(p, true);
    const detected = detectCaptureFormat(b.subarray(p, p + 4));
    if (!detected) {
      if (m === PCAP_MODIFIED_LE || m === PCAP_MODIFIED_BE)
        this.fail(0, 'modified pcap (magic a1b2cd34) is not supported', 'unsupported', 'file header');
      if (b[p] === 0x1f && b[p + 1] === 0x8b)
        this.fail(0, 'input is gzip-compressed; decompress it first', 'unsupported', 'file header');
      this.fail(0, `not a pcap or pcapng file: first bytes are ${hex4(b, p, 4)}`, 'malformed', 'file header');
    }
    if (detected.format === 'pcapng') {
      this.format = 'pcapng';
      return this.stepPcapng();
    }
    // pcap file header (pcap draft §4): magic, major, minor, reserved1, reserved2, snaplen, linktype.
    if (avail < 24) {
      if (!this.eof) return this.need(24);
      this.format = 'pcap';
      this.fail(0, `file header needs 24 bytes, input ends after ${avail}`, 'truncated', 'file header');
    }
    // Set only now: a NEED_MORE above must come back to this header, not to the records.
    this.format = 'pcap';
    this.le = detected.byteOrder === 'little';
    this.byteOrder = detected.byteOrder!;
    const dv = this.dv;
    const le = this.le;
    const versionMajor = dv.getUint16(p + 4, le);
    const versionMinor = dv.getUint16(p + 6, le);
    if (versionMajor !== 2)
      this.fail(0, `unsupported pcap version ${versionMajor}.${versionMinor} (expected 2.4)`, 'unsupported', 'file header');
    const snaplen = dv.getUint32(p + 16, le);
    const linkField = dv.getUint32(p + 20, le);
    // The link-type field's bits 28-31 may carry the FCS length (pcap draft §4, "FCS len").
    const fcsLength = linkField & 0x04000000 ? ((linkField >>> 28) & 0xf) * 2 : 0;
    const linkType = linkField & 0x03ffffff;
    this.pcapNs = detected.resolution === 'ns';
    this.pcapLinkType = linkType;
    this.pcapSnaplen = snaplen;
    this.pcapHeader = {
      byteOrder: this.byteOrder,
      resolution: detected.resolution!,
      versionMajor,
      versionMinor,
      thiszone: dv.getInt32(p + 8, le),
      sigfigs: dv.getUint32(p + 12, le),
      snaplen,
      linkType,
      fcsLength,
    };
    this.sectionIndex = 0;
    this.interfaceInfos = [
      {
        id: 0,
        sectionIndex: 0,
        linkType,
        snaplen,
        tsResolution: { base: 10, exponent: this.pcapNs ? 9 : 6 },
        tsOffsetSec: 0,
        comments: [],
        fileOffset: 0,
        ...(fcsLength ? { fcsLength } : {}),
      },
    ];
    this.pos += 24;
    return this.stepPcap();
  }

  // ---------------------------------------------------------------- pcap

  private stepPcap(): StepResult {
    if (this.priming) return PRIMED;
    const p = this.pos;
    const avail = this.end - p;
    if (avail < 16) {
      if (!this.eof) return this.need(16);
      if (avail === 0) return null;
      this.fail(this.base + p, `truncated record header: 16 bytes needed, input ends after ${avail}`, 'truncated');
    }
    const dv = this.dv;
    const le = this.le;
    const capturedLength = dv.getUint32(p + 8, le);
    if (capturedLength > this.pcapSnaplen && this.pcapSnaplen !== 0) {
      this.fail(this.base + p, `captured length ${capturedLength} exceeds snaplen ${this.pcapSnaplen}`);
    }
    if (capturedLength > this.maxBlockBytes) {
      this.fail(
        this.base + p,
        `captured length ${capturedLength} exceeds the reader's limit of ${this.maxBlockBytes} bytes`,
        'limit',
      );
    }
    const total = 16 + capturedLength;
    if (avail < total) {
      if (!this.eof) return this.need(total);
      this.fail(
        this.base + p,
        `truncated: header says ${capturedLength} captured bytes, input ends after ${avail - 16}`,
        'truncated',
      );
    }
    let tsSec = dv.getUint32(p, le);
    let frac = dv.getUint32(p + 4, le);
    let tsNsec: number;
    if (this.pcapNs) {
      if (frac >= 1e9) {
        tsSec += Math.floor(frac / 1e9);
        frac %= 1e9;
      }
      tsNsec = frac;
    } else {
      if (frac >= 1e6) {
        tsSec += Math.floor(frac / 1e6);
        frac %= 1e6;
      }
      tsNsec = frac * 1000;
    }
    const record = new PacketRecord(
      this.recordsRead++,
      this.pcapLinkType,
      0,
      0,
      tsSec,
      tsNsec,
      capturedLength,
      dv.getUint32(p + 12, le),
      this.buf,
      p + 16,
      this.base + p,
      undefined,
      undefined,
      true,
    );
    this.pos = p + total;
    return record;
  }

  // ---------------------------------------------------------------- pcapng

  private stepPcapng(): StepResult {
    const dv = this.dv;
    for (;;) {
      const p = this.pos;
      const avail = this.end - p;
      const at = this.base + p;
      if (avail < 12) {
        if (!this.eof) return this.need(12);
        if (avail === 0) return null;
        this.fail(at, `truncated block header: 12 bytes needed, input ends after ${avail}`, 'truncated', 'block');
      }
      let type = dv.getUint32(p, this.le);
      if (type === BT_SHB) {
        // The byte-order magic decides how to read this and every later block of the section.
        const bom = dv.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else this.fail(at, `section header byte-order magic is ${hex4(this.buf, p + 8, 4)}, expected 1a2b3c4d in either byte order`, 'malformed', 'block');
      } else if (this.sectionIndex < 0) {
        this.fail(at, `first block has type 0x${type.toString(16)}, expected a section header block`, 'malformed', 'block');
      }
      const le = this.le;
      const len = dv.getUint32(p + 4, le);
      if (len % 4 !== 0) this.fail(at, `total length ${len} is not a multiple of 4`, 'malformed', 'block');
      if (len < 12) this.fail(at, `total length ${len} is less than 12`, 'malformed', 'block');
      if (len > this.maxBlockBytes)
        this.fail(at, `total length ${len} exceeds the reader's limit of ${this.maxBlockBytes} bytes`, 'limit', 'block');
      if (avail < len) {
        if (!this.eof) return this.need(len);
        this.fail(at, `truncated: header says ${len} bytes, input ends after ${avail}`, 'truncated', 'block');
      }
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len)
        this.fail(at, `trailing total length ${trailer} does not match leading total length ${len}`, 'malformed', 'block');
      type = dv.getUint32(p, le);
      switch (type) {
        case BT_EPB:
        case BT_OPB:
        case BT_SPB: {
          if (this.priming) return PRIMED;
          const rec = this.packetBlock(type, p, len);
          this.pos = p + len;
          return rec;
        }
        case BT_SHB:
          this.sectionHeader(p, len);
          break;
        case BT_IDB:
          this.interfaceDescription(p, len);
          break;
        case BT_NRB:
          this.nameResolution(p, len);
          break;
        case BT_ISB:
          this.interfaceStatistics(p, len);
          break;
        default:
          this.otherBlock(type, p, len);
      }
      this.pos = p + len;
    }
  }

  private packetBlock(type: number, p: number, len: number): CaptureRecord {
    const dv = this.dv;
    const le = this.le;
    const at = this.base + p;
    let interfaceId: number;
    let capturedLength: number;
    let originalLength: number;
    let dataStart: number;
    let tsHigh = 0;
    let tsLow = 0;
    if (type === BT_SPB) {
      // Simple Packet Block (§4.4): interface 0, no timestamp; captured = min(orig, snaplen, room).
      if (len < 16) this.fail(at, `simple packet block total length ${len} is less than 16`, 'malformed', 'block');
      interfaceId = 0;
      originalLength = dv.getUint32(p + 8, le);
      dataStart = p + 12;
      capturedLength = Math.min(originalLength, len - 16);
      const snap = this.ifaces[0]?.info.snaplen ?? 0;
      if (snap > 0 && capturedLength > snap) capturedLength = snap;
    } else {
      if (len < 32)
        this.fail(at, `${type === BT_EPB ? 'enhanced' : 'obsolete'} packet block total length ${len} is less than 32`, 'malformed', 'block');
      if (type === BT_EPB) {
        interfaceId = dv.getUint32(p + 8, le);
      } else {
        // Obsolete Packet Block (appendix A): 16-bit interface id, 16-bit drop count.
        interfaceId = dv.getUint16(p + 8, le);
      }
      tsHigh = dv.getUint32(p + 12, le);
      tsLow = dv.getUint32(p + 16, le);
      capturedLength = dv.getUint32(p + 20, le);
      originalLength = dv.getUint32(p + 24, le);
      dataStart = p + 28;
      if (28 + capturedLength + 4 > len)
        this.fail(at, `captured length ${capturedLength} does not fit in a block of ${len} bytes`, 'malformed', 'block');
    }
    const iface = this.ifaces[interfaceId];
    if (!iface)
      this.fail(at, `interface id ${interfaceId} is not defined (section ${this.sectionIndex} has ${this.ifaces.length} interfaces)`, 'malformed', 'block');
    let tsSec = 0;
    let tsNsec = 0;
    if (type !== BT_SPB) {
      const out = this.tsOut;
      iface.ts.split(tsHigh, tsLow, out);
      tsSec = out[0]! + iface.info.tsOffsetSec;
      tsNsec = out[1]!;
    }
    let comments: string[] | undefined;
    let flags: number | undefined;
    if (type !== BT_SPB) {
      const optStart = dataStart + ((capturedLength + 3) & ~3);
      const optEnd = p + len - 4;
      if (optEnd > optStart) {
        const opts = this.options(optStart, optEnd, at);
        for (const o of opts) {
          if (o.code === 1) (comments ??= []).push(this.string(o));
          else if (o.code === 2 && o.length >= 4) flags = dv.getUint32(o.start, le);
        }
      }
    }
    return new PacketRecord(
      this.recordsRead++,
      iface.info.linkType,
      interfaceId,
      this.sectionIndex,
      tsSec,
      tsNsec,
      capturedLength,
      originalLength,
      this.buf,
      dataStart,
      at,
      comments,
      flags,
      type !== BT_SPB,
    );
  }

  /** Walks the options area [start, end) (§3.5); each value is padded to 32 bits. */
  private options(start: number, end: number, blockAt: number): OptionRef[] {
    const dv = this.dv;
    const le = this.le;
    const out: OptionRef[] = [];
    let q = start;
    while (q + 4 <= end) {
      const code = dv.getUint16(q, le);
      const length = dv.getUint16(q + 2, le);
      if (code === 0) break; // opt_endofopt
      if (q + 4 + length > end)
        this.fail(
          this.base + q,
          `option ${code} length ${length} overruns the block that starts at byte ${blockAt}`,
          'malformed',
          'option',
        );
      out.push({ code, start: q + 4, length });
      q += 4 + ((length + 3) & ~3);
    }
    return out;
  }

  private string(o: OptionRef): string {
    let n = o.length;
    // Some writers include a terminating NUL; it is not part of the string.
    while (n > 0 && this.buf[o.start + n - 1] === 0) n--;
    return utf8.decode(this.buf.subarray(o.start, o.start + n));
  }

  private u64(at: number): number {
    const hi = this.dv.getUint32(at + (this.le ? 4 : 0), this.le);
    const lo = this.dv.getUint32(at + (this.le ? 0 : 4), this.le);
    return hi * 4294967296 + lo;
  }

  private i64(at: number): number {
    const hi = this.dv.getInt32(at + (this.le ? 4 : 0), this.le);
    const lo = this.dv.getUint32(at + (this.le ? 0 : 4), this.le);
    return hi * 4294967296 + lo;
  }

  private sectionHeader(p: number, len: number): void {
    const at = this.base + p;
    if (len < 28) this.fail(at, `section header block total length ${len} is less than 28`, 'malformed', 'block');
    const dv = this.dv;
    const versionMajor = dv.getUint16(p + 12, this.le);
    const versionMinor = dv.getUint16(p + 14, this.le);
    if (versionMajor !== 1)
      this.fail(at, `unsupported pcapng version ${versionMajor}.${versionMinor} (expected 1.0)`, 'unsupported', 'block');
    const sl = this.i64(p + 16);
    this.sectionIndex++;
    this.byteOrder = this.le ? 'little' : 'big';
    const section: CaptureSection = {
      index: this.sectionIndex,
      byteOrder: this.byteOrder,
      versionMajor,
      versionMinor,
      sectionLength: sl < 0 ? -1 : sl,
      comments: [],
      fileOffset: at,
    };
    for (const o of this.options(p + 24, p + len - 4, at)) {
      if (o.code === 1) section.comments.push(this.string(o));
      else if (o.code === 2) section.hardware = this.string(o);
      else if (o.code === 3) section.os = this.string(o);
      else if (o.code === 4) section.userAppl = this.string(o);
    }
    this.section = section;
    // Interface ids are per section (§4.1).
    this.ifaces = [];
    this.interfaceInfos = [];
  }

  private interfaceDescription(p: number, len: number): void {
    const at = this.base + p;
    if (len < 20) this.fail(at, `interface description block total length ${len} is less than 20`, 'malformed', 'block');
    if (this.ifaces.length >= MAX_INTERFACES_PER_SECTION)
      this.fail(at, `more than ${MAX_INTERFACES_PER_SECTION} interfaces in one section`, 'limit', 'block');
    const dv = this.dv;
    const le = this.le;
    const info: CaptureInterface = {
      id: this.ifaces.length,
      sectionIndex: this.sectionIndex,
      linkType: dv.getUint16(p + 8, le),
      snaplen: dv.getUint32(p + 12, le),
      tsResolution: { base: 10, exponent: 6 },
      tsOffsetSec: 0,
      comments: [],
      fileOffset: at,
    };
    for (const o of this.options(p + 16, p + len - 4, at)) {
      switch (o.code) {
        case 1:
          info.comments.push(this.string(o));
          break;
        case 2:
          info.name = this.string(o);
          break;
        case 3:
          info.description = this.string(o);
          break;
        case 8:
          if (o.length >= 8) info.speed = this.u64(o.start);
          break;
        case 9: {
          // if_tsresol (§4.2): MSB clear = 10^-n, set = 2^-n.
          if (o.length < 1) break;
          const v = this.buf[o.start]!;
          const res: TimestampResolution = v & 0x80 ? { base: 2, exponent: v & 0x7f } : { base: 10, exponent: v };
          if ((res.base === 10 && res.exponent > 18) || (res.base === 2 && res.exponent > 63))
            this.fail(this.base + o.start - 4, `if_tsresol ${v} is out of range`, 'unsupported', 'option');
          info.tsResolution = res;
          break;
        }
        case 11:
          // if_filter: first byte is the filter type (0 = libpcap string).
          if (o.length >= 1 && this.buf[o.start] === 0) info.filter = this.string({ code: 11, start: o.start + 1, length: o.length - 1 });
          break;
        case 12:
          info.os = this.string(o);
          break;
        case 13:
          if (o.length >= 1) info.fcsLength = this.buf[o.start]!;
          break;
        case 14:
          if (o.length >= 8) info.tsOffsetSec = this.i64(o.start);
          break;
        case 15:
          info.hardware = this.string(o);
          break;
      }
    }
    this.ifaces.push({ info, ts: timestampConverter(info.tsResolution) });
    this.interfaceInfos.push(info);
  }

  private nameResolution(p: number, len: number): void {
    const dv = this.dv;
    const le = this.le;
    const at = this.base + p;
    const end = p + len - 4;
    let q = p + 8;
    // Records (§4.5): type, value length, value padded to 32 bits; nrb_record_end (0) ends them.
    while (q + 4 <= end) {
      const rtype = dv.getUint16(q, le);
      const rlen = dv.getUint16(q + 2, le);
      if (rtype === 0) {
        q += 4;
        break;
      }
      if (q + 4 + rlen > end)
        this.fail(this.base + q, `name resolution record length ${rlen} overruns the block that starts at byte ${at}`, 'malformed', 'record');
      const addrLen = rtype === 1 ? 4 : rtype === 2 ? 16 : 0;
      if (addrLen > 0 && rlen > addrLen) {
        const address = formatAddress(this.buf, q + 4, addrLen);
        const names = utf8
          .decode(this.buf.subarray(q + 4 + addrLen, q + 4 + rlen))
          .split('\0')
          .filter((s) => s.length > 0);
        const known = this.names.get(address);
        if (known) {
          for (const n of names) if (!known.includes(n)) known.push(n);
        } else this.names.set(address, names);
        this.opts.onName?.(address, names);
      }
      q += 4 + ((rlen + 3) & ~3);
    }
    // Options after the records are parsed only to validate them.
    if (q < end) this.options(q, end, at);
  }

  private interfaceStatistics(p: number, len: number): void {
    const at = this.base + p;
    if (len < 24) this.fail(at, `interface statistics block total length ${len} is less than 24`, 'malformed', 'block');
    const dv = this.dv;
    const id = dv.getUint32(p + 8, this.le);
    const iface = this.ifaces[id];
    if (!iface)
      this.fail(at, `interface id ${id} is not defined (section ${this.sectionIndex} has ${this.ifaces.length} interfaces)`, 'malformed', 'block');
    iface.ts.split(dv.getUint32(p + 12, this.le), dv.getUint32(p + 16, this.le), this.tsOut);
    const stats: InterfaceStatistics = {
      fileOffset: at,
      tsSec: this.tsOut[0]! + iface.info.tsOffsetSec,
      tsNsec: this.tsOut[1]!,
      comments: [],
    };
    for (const o of this.options(p + 20, p + len - 4, at)) {
      if (o.code === 1) stats.comments.push(this.string(o));
      else if (o.length >= 8) {
        const v = this.u64(o.start);
        if (o.code === 4) stats.ifRecv = v;
        else if (o.code === 5) stats.ifDrop = v;
        else if (o.code === 6) stats.filterAccept = v;
        else if (o.code === 7) stats.osDrop = v;
        else if (o.code === 8) stats.usrDeliv = v;
      }
    }
    iface.info.statistics = stats;
  }

  private otherBlock(type: number, p: number, len: number): void {
    const cb = this.opts.onOtherBlock;
    if (!cb) return;
    const isCustom = type === BT_CUSTOM_COPY || type === BT_CUSTOM_NOCOPY;
    if (isCustom && len < 16) return; // too short to hold a PEN: skipped like any unknown block
    cb({
      type,
      fileOffset: this.base + p,
      ...(isCustom ? { pen: this.dv.getUint32(p + 8, this.le) } : {}),
      body: this.buf.subarray(p + (isCustom ? 12 : 8), p + len - 4),
      byteOrder: this.le ? 'little' : 'big',
      sectionIndex: this.sectionIndex,
    });
  }
}
