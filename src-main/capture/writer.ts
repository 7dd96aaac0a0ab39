/**
 * pcap and pcapng writers.
 *
 * Files are never left half-written: a file writer writes `<out>.partial` and renames it to
 * `<out>` on close(); abort() (or a failed write) removes the partial file. Records are encoded
 * into one reusable buffer (1 MiB by default) that is flushed to the sink when full, on flush()
 * and on close().
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { BT_CUSTOM_COPY, BT_CUSTOM_NOCOPY, BT_EPB, BT_IDB, BT_ISB, BT_SHB, BYTE_ORDER_MAGIC } from './decoder';
import { CaptureFileError } from './errors';
import { toUnits } from './timestamp';
import type { ByteOrder, WritableRecord } from './types';

/** Where a writer's bytes go. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  /** Finishes successfully (e.g. renames the partial file into place). */
  close(): void;
  /** Gives up: nothing of the output may remain. */
  abort(): void;
}

/**
 * Writes `<path>.partial` and renames it to `path` on close(); abort() deletes it. A crash
 * leaves at most a `.partial` file, never a truncated `path`.
 */
export class AtomicFileSink implements ByteSink {
  readonly partialPath: string;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.partialPath = `${path}.partial`;
    try {
      this.fd = openSync(this.partialPath, 'w');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
      throw new CaptureFileError('capture', 0, `cannot create ${this.partialPath}: ${code}`, 'io', 'file', { cause });
    }
  }

  write(chunk: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`write after close of ${this.path}`);
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.partialPath, this.path);
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // ignore: we are removing the file anyway
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.partialPath);
    } catch {
      // already gone
    }
  }
}

/** Collects the output in memory; `bytes()` returns it after close(). */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private length = 0;
  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
    this.length += chunk.length;
  }
  close(): void {}
  abort(): void {
    this.chunks = [];
    this.length = 0;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();
const DEFAULT_BUFFER_BYTES = 1 << 20;

abstract class BufferedWriter {
  protected buf: Uint8Array;
  protected dv: DataView;
  protected pos = 0;
  protected readonly le: boolean;
  private closed = false;
  protected readonly tsUnits = new Uint32Array(2);
  recordsWritten = 0;
  bytesWritten = 0;

  constructor(
    protected readonly sink: ByteSink,
    byteOrder: ByteOrder,
    bufferBytes: number,
  ) {
    this.le = byteOrder === 'little';
    this.buf = new Uint8Array(Math.max(4096, bufferBytes));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes at this.pos. */
  protected reserve(n: number): void {
    if (this.closed) throw new Error('capture writer is closed');
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.dv = new DataView(this.buf.buffer);
    }
  }

  /** Writes buffered bytes to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    try {
      this.sink.write(this.buf.subarray(0, this.pos));
    } catch (e) {
      this.abort();
      throw e;
    }
    this.bytesWritten += this.pos;
    this.pos = 0;
  }

  /** Flushes and finishes the output (renames `<out>.partial` to `<out>` for files). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close();
  }

  /** Discards the output (removes `<out>.partial` for files). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.pos = 0;
    this.sink.abort();
  }

  protected u16(v: number): void {
    this.dv.setUint16(this.pos, v, this.le);
    this.pos += 2;
  }
  protected u32(v: number): void {
    this.dv.setUint32(this.pos, v, this.le);
    this.pos += 4;
  }
  protected bytes(b: Uint8Array, padTo4 = false): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    if (padTo4) {
      const pad = (4 - (b.length & 3)) & 3;
      for (let i = 0; i < pad; i++) this.buf[this.pos++] = 0;
    }
  }
}

// ------------------------------------------------------------------------------------ pcap

export interface PcapWriterOptions {
  linkType: number;
  /** Written in the header; longer frames are cut to it (captured < original). Default 262144. */
  snaplen?: number;
  /** 'us' writes magic a1b2c3d4, 'ns' writes a1b23c4d. Default 'us' (what tcpdump writes). */
  resolution?: 'us' | 'ns';
  byteOrder?: ByteOrder;
  bufferBytes?: number;
}

export class PcapWriter extends BufferedWriter {
  private readonly snaplen: number;
  private readonly ns: boolean;

  constructor(sink: ByteSink, opts: PcapWriterOptions) {
    super(sink, opts.byteOrder ?? 'little', opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.snaplen = opts.snaplen ?? 262144;
    this.ns = opts.resolution === 'ns';
    // File header (pcap draft §4).
    this.reserve(24);
    this.u32(this.ns ? 0xa1b23c4d : 0xa1b2c3d4);
    this.u16(2);
    this.u16(4);
    this.u32(0);
    this.u32(0);
    this.u32(this.snaplen);
    this.u32(opts.linkType);
  }

  /** Creates `<path>.partial`, renamed to `path` on close(). */
  static create(path: string, opts: PcapWriterOptions): PcapWriter {
    return new PcapWriter(new AtomicFileSink(path), opts);
  }

  write(rec: WritableRecord): void {
    const data = rec.data;
    const cap = this.snaplen > 0 && data.length > this.snaplen ? this.snaplen : data.length;
    this.reserve(16 + cap);
    const dv = this.dv;
    const le = this.le;
    const p = this.pos;
    dv.setUint32(p, rec.tsSec, le);
    dv.setUint32(p + 4, this.ns ? rec.tsNsec : Math.floor(rec.tsNsec / 1000), le);
    dv.setUint32(p + 8, cap, le);
    dv.setUint32(p + 12, rec.originalLength ?? data.length, le);
    this.buf.set(cap === data.length ? data : data.subarray(0, cap), p + 16);
    this.pos = p + 16 + cap;
    this.recordsWritten++;
  }
}

// ------------------------------------------------------------------------------------ pcapng

export interface PcapngInterfaceOptions {
  linkType: number;
  /** if_snaplen; 0 = unlimited. Default 262144. Longer frames are cut to it. */
  snaplen?: number;
  name?: string;
  description?: string;
  /** if_tsresol: 6 (µs) or 9 (ns, default) decimal digits. */
  tsResolution?: 'us' | 'ns';
  os?: string;
  hardware?: string;
  filter?: string;
  comments?: string[];
}

export interface PcapngWriterOptions {
  byteOrder?: ByteOrder;
  /** shb_userappl; default 'tcplab'. */
  userAppl?: string;
  hardware?: string;
  os?: string;
  /** opt_comment values of the Section Header Block. */
  comments?: string[];
  /** Interfaces to describe right after the SHB (more can be added later with addInterface). */
  interfaces?: PcapngInterfaceOptions[];
  bufferBytes?: number;
}

/** tcplab's Private Enterprise Number in custom blocks: 32473, the example PEN of RFC 5612. */
export const TCPLAB_PEN = 32473;
/** Version of the tcplab custom block payload layout (see docs/capture-files.md). */
export const TCPLAB_BLOCK_VERSION = 1;
export const TCPLAB_ENCODING_JSON = 1;
export const TCPLAB_ENCODING_BINARY = 2;
/** Kinds of tcplab custom blocks. */
export const TCPLAB_KIND_STACK_STATE = 1;
export const TCPLAB_KIND_NOTE = 2;

interface EncodedOption {
  code: number;
  value: Uint8Array;
}

function optionsLength(opts: EncodedOption[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  return n;
}

function stringOptions(code: number, values: readonly string[] | undefined, into: EncodedOption[]): void {
  if (!values) return;
  for (const v of values) {
    const value = utf8.encode(v);
    if (value.length > 0xffff) throw new RangeError(`pcapng option ${code} is ${value.length} bytes, more than 65535`);
    into.push({ code, value });
  }
}

export class PcapngWriter extends BufferedWriter {
  private readonly ifaces: { snaplen: number; exponent: number }[] = [];

  constructor(sink: ByteSink, opts: PcapngWriterOptions = {}) {
    super(sink, opts.byteOrder ?? 'little', opts.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    // Section Header Block (pcapng draft §4.1).
    const shbOpts: EncodedOption[] = [];
    stringOptions(1, opts.comments, shbOpts);
    if (opts.hardware) stringOptions(2, [opts.hardware], shbOpts);
    if (opts.os) stringOptions(3, [opts.os], shbOpts);
    stringOptions(4, [opts.userAppl ?? 'tcplab'], shbOpts);
    const len = 28 + optionsLength(shbOpts);
    this.reserve(len);
    this.u32(BT_SHB);
    this.u32(len);
    this.u32(BYTE_ORDER_MAGIC);
    this.u16(1);
    this.u16(0);
    this.u32(0xffffffff); // section length -1: not specified (we stream)
    this.u32(0xffffffff);
    this.writeOptions(shbOpts);
    this.u32(len);
    for (const i of opts.interfaces ?? []) this.addInterface(i);
  }

  /** Creates `<path>.partial`, renamed to `path` on close(). */
  static create(path: string, opts: PcapngWriterOptions = {}): PcapngWriter {
    return new PcapngWriter(new AtomicFileSink(path), opts);
  }

  /** Writes an Interface Description Block (§4.2) and returns the new interface id. */
  addInterface(opts: PcapngInterfaceOptions): number {
    const snaplen = opts.snaplen ?? 262144;
    const exponent = opts.tsResolution === 'us' ? 6 : 9;
    const o: EncodedOption[] = [];
    stringOptions(1, opts.comments, o);
    if (opts.name) stringOptions(2, [opts.name], o);
    if (opts.description) stringOptions(3, [opts.description], o);
    // if_tsresol is written even for the default 6 so readers never have to guess.
    o.push({ code: 9, value: Uint8Array.of(exponent) });
    if (opts.filter !== undefined) {
      const f = utf8.encode(opts.filter);
      const v = new Uint8Array(1 + f.length);
      v.set(f, 1);
      o.push({ code: 11, value: v });
    }
    if (opts.os) stringOptions(12, [opts.os], o);
    if (opts.hardware) stringOptions(15, [opts.hardware], o);
    const len = 20 + optionsLength(o);
    this.reserve(len);
    this.u32(BT_IDB);
    this.u32(len);
    this.u16(opts.linkType);
    this.u16(0);
    this.u32(snaplen);
    this.writeOptions(o);
    this.u32(len);
    this.ifaces.push({ snaplen, exponent });
    return this.ifaces.length - 1;
  }

  /** Writes an Enhanced Packet Block (§4.3) with optional comments and flags. */
  write(rec: WritableRecord): void {
    const id = rec.interfaceId ?? 0;
    const iface = this.ifaces[id];
    if (!iface) throw new RangeError(`pcapng writer: interface ${id} was not added (have ${this.ifaces.length})`);
    const data = rec.data;
    const cap = iface.snaplen > 0 && data.length > iface.snaplen ? iface.snaplen : data.length;
    const padded = (cap + 3) & ~3;
    let opts: EncodedOption[] | undefined;
    if (rec.comments?.length || rec.flags !== undefined) {
      opts = [];
      stringOptions(1, rec.comments, opts);
      if (rec.flags !== undefined) {
        const v = new Uint8Array(4);
        new DataView(v.buffer).setUint32(0, rec.flags, this.le);
        opts.push({ code: 2, value: v });
      }
    }
    const len = 32 + padded + (opts ? optionsLength(opts) : 0);
    this.reserve(len);
    toUnits(rec.tsSec, rec.tsNsec, iface.exponent, this.tsUnits);
    const dv = this.dv;
    const le = this.le;
    const p = this.pos;
    dv.setUint32(p, BT_EPB, le);
    dv.setUint32(p + 4, len, le);
    dv.setUint32(p + 8, id, le);
    dv.setUint32(p + 12, this.tsUnits[0]!, le);
    dv.setUint32(p + 16, this.tsUnits[1]!, le);
    dv.setUint32(p + 20, cap, le);
    dv.setUint32(p + 24, rec.originalLength ?? data.length, le);
    this.buf.set(cap === data.length ? data : data.subarray(0, cap), p + 28);
    for (let i = p + 28 + cap; i < p + 28 + padded; i++) this.buf[i] = 0;
    this.pos = p + 28 + padded;
    if (opts) this.writeOptions(opts);
    this.u32(len);
    this.recordsWritten++;
  }

  /**
   * Writes a pcapng Custom Block (§4.8): type 0x00000BAD when `copiable` (default; editors
   * may copy it to derived files) or 0x40000BAD, with `pen` and raw `data` (padded to 32 bits).
   * Readers that do not know the PEN skip the block.
   */
  writeCustomBlock(pen: number, data: Uint8Array, opts: { copiable?: boolean } = {}): void {
    const len = 16 + ((data.length + 3) & ~3);
    this.reserve(len);
    this.u32(opts.copiable === false ? BT_CUSTOM_NOCOPY : BT_CUSTOM_COPY);
    this.u32(len);
    this.u32(pen);
    this.bytes(data, true);
    this.u32(len);
  }

  /**
   * Writes a tcplab custom block (PEN 32473) holding `value` as JSON, e.g. a stack state
   * snapshot (kind TCPLAB_KIND_STACK_STATE). Layout in docs/capture-files.md.
   */
  writeTcplabBlock(kind: number, value: unknown, opts: { copiable?: boolean } = {}): void {
    this.writeCustomBlock(TCPLAB_PEN, encodeTcplabPayload(kind, value, this.le), opts);
  }

  /** Writes an Interface Statistics Block (§4.6) for interface `id`. */
  writeInterfaceStatistics(
    id: number,
    stats: { tsSec: number; tsNsec: number; ifRecv?: number; ifDrop?: number; osDrop?: number; comments?: string[] },
  ): void {
    const iface = this.ifaces[id];
    if (!iface) throw new RangeError(`pcapng writer: interface ${id} was not added`);
    const o: EncodedOption[] = [];
    stringOptions(1, stats.comments, o);
    const u64 = (code: number, v: number | undefined): void => {
      if (v === undefined) return;
      const b = new Uint8Array(8);
      const d = new DataView(b.buffer);
      const hi = Math.floor(v / 4294967296);
      const lo = v >>> 0;
      d.setUint32(this.le ? 4 : 0, hi, this.le);
      d.setUint32(this.le ? 0 : 4, lo, this.le);
      o.push({ code, value: b });
    };
    u64(4, stats.ifRecv);
    u64(5, stats.ifDrop);
    u64(7, stats.osDrop);
    const len = 24 + optionsLength(o);
    this.reserve(len);
    toUnits(stats.tsSec, stats.tsNsec, iface.exponent, this.tsUnits);
    this.u32(BT_ISB);
    this.u32(len);
    this.u32(id);
    this.u32(this.tsUnits[0]!);
    this.u32(this.tsUnits[1]!);
    this.writeOptions(o);
    this.u32(len);
  }

  private writeOptions(opts: EncodedOption[]): void {
    if (opts.length === 0) return;
    for (const o of opts) {
      this.u16(o.code);
      this.u16(o.value.length);
      this.bytes(o.value, true);
    }
    this.u32(0); // opt_endofopt
  }
}

// ------------------------------------------------------------------------------------ tcplab custom block payload

/**
 * The tcplab custom block payload (after the PEN), in the section's byte order:
 *   u8 version (1) · u8 encoding (1 = JSON UTF-8, 2 = binary) · u16 kind · u32 length N ·
 *   N bytes · zero padding to 32 bits (the padding belongs to the block).
 */
export function encodeTcplabPayload(kind: number, value: unknown, littleEndian = true): Uint8Array {
  const body = value instanceof Uint8Array ? value : utf8.encode(JSON.stringify(value));
  const out = new Uint8Array(8 + body.length);
  const dv = new DataView(out.buffer);
  out[0] = TCPLAB_BLOCK_VERSION;
  out[1] = value instanceof Uint8Array ? TCPLAB_ENCODING_BINARY : TCPLAB_ENCODING_JSON;
  dv.setUint16(2, kind, littleEndian);
  dv.setUint32(4, body.length, littleEndian);
  out.set(body, 8);
  return out;
}

export interface TcplabBlock {
  version: number;
  kind: number;
  /** Parsed JSON (encoding 1) or the raw bytes (encoding 2, a copy). */
  value: unknown;
}

/**
 * Decodes a custom block delivered by a reader's onOtherBlock: null when it is not a tcplab
 * block (other PEN or type); throws CaptureFileError when it claims to be one but is damaged.
 */
export function decodeTcplabBlock(block: {
  type: number;
  pen?: number;
  body: Uint8Array;
  byteOrder: ByteOrder;
  fileOffset: number;
}): TcplabBlock | null {
  if ((block.type !== BT_CUSTOM_COPY && block.type !== BT_CUSTOM_NOCOPY) || block.pen !== TCPLAB_PEN) return null;
  const b = block.body;
  const fail = (reason: string): never => {
    throw new CaptureFileError('pcapng', block.fileOffset, `tcplab custom block: ${reason}`, 'malformed', 'block');
  };
  if (b.length < 8) fail(`payload is ${b.length} bytes, header needs 8`);
  const version = b[0]!;
  if (version !== TCPLAB_BLOCK_VERSION) fail(`unsupported version ${version} (expected ${TCPLAB_BLOCK_VERSION})`);
  const le = block.byteOrder === 'little';
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const kind = dv.getUint16(2, le);
  const n = dv.getUint32(4, le);
  if (8 + n > b.length) fail(`payload length ${n} exceeds the ${b.length - 8} bytes in the block`);
  const body = b.subarray(8, 8 + n);
  if (b[1] === TCPLAB_ENCODING_BINARY) return { version, kind, value: body.slice() };
  if (b[1] !== TCPLAB_ENCODING_JSON) fail(`unknown encoding ${b[1]}`);
  try {
    return { version, kind, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) };
  } catch (e) {
    return fail(`payload is not valid UTF-8 JSON (${(e as Error).message})`);
  }
}

// ------------------------------------------------------------------------------------ whole-file helpers

/** Encodes records as a pcap file in memory. */
export function encodePcap(records: Iterable<WritableRecord>, opts: PcapWriterOptions): Uint8Array {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, opts);
  for (const r of records) w.write(r);
  w.close();
  return sink.bytes();
}

/** Encodes records as a pcapng file in memory (one interface per `opts.interfaces` entry). */
export function encodePcapng(records: Iterable<WritableRecord>, opts: PcapngWriterOptions): Uint8Array {
  const sink = new MemorySink();
  const w = new PcapngWriter(sink, opts);
  for (const r of records) w.write(r);
  w.close();
  return sink.bytes();
}

/** Writes records to a pcap file atomically (via `<path>.partial`). */
export function writePcapFile(path: string, records: Iterable<WritableRecord>, opts: PcapWriterOptions): void {
  const w = PcapWriter.create(path, opts);
  try {
    for (const r of records) w.write(r);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
}

/** Writes records to a pcapng file atomically (via `<path>.partial`). */
export function writePcapngFile(path: string, records: Iterable<WritableRecord>, opts: PcapngWriterOptions): void {
  const w = PcapngWriter.create(path, opts);
  try {
    for (const r of records) w.write(r);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
}
