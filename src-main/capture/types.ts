/**
 * Value types shared by the capture-file readers and writers.
 */

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) tcplab decodes. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

export type CaptureFormat = 'pcap' | 'pcapng';
export type ByteOrder = 'little' | 'big';

/**
 * One captured frame. `data` (and `buffer`) are VIEWS into the reader's reusable buffer: they
 * stay valid only until the next record is read from the same reader. Keep a record longer with
 * `copyRecord`.
 */
export interface CaptureRecord {
  /** 0-based number of this packet record in the file (tshark's frame.number is index + 1). */
  index: number;
  linkType: number;
  /** pcapng interface id within its section; 0 for pcap. */
  interfaceId: number;
  /** 0-based pcapng section number; 0 for pcap. */
  sectionIndex: number;
  /** Timestamp: whole seconds since 1970-01-01 UTC (if_tsoffset already added). */
  tsSec: number;
  /** Timestamp: nanoseconds within the second, 0..999 999 999 (finer resolutions truncated). */
  tsNsec: number;
  /** Bytes present in `data` (may be less than originalLength after a snap-length cut). */
  capturedLength: number;
  /** Length of the frame on the wire. */
  originalLength: number;
  /**
   * The captured bytes: `buffer.subarray(dataOffset, dataOffset + capturedLength)`, created on
   * first access (creating a typed-array view costs more than parsing the record, so code that
   * only needs lengths or a few bytes can use `buffer` and `dataOffset` directly).
   */
  readonly data: Uint8Array;
  /** The buffer that holds the captured bytes at [dataOffset, dataOffset + capturedLength). */
  buffer: Uint8Array;
  dataOffset: number;
  /** Byte offset of the record header (pcap) or the block (pcapng) in the file. */
  fileOffset: number;
  /** opt_comment values of the packet block (pcapng only). */
  comments: string[] | undefined;
  /** epb_flags (pcapng EPB) when present. */
  flags: number | undefined;
  /** pcapng SPB has no timestamp: false there (tsSec/tsNsec are then 0), true elsewhere. */
  hasTimestamp: boolean;
}

/** The reader's record object: `data` is a lazily created view. */
export class PacketRecord implements CaptureRecord {
  private view: Uint8Array | undefined = undefined;
  constructor(
    public index: number,
    public linkType: number,
    public interfaceId: number,
    public sectionIndex: number,
    public tsSec: number,
    public tsNsec: number,
    public capturedLength: number,
    public originalLength: number,
    public buffer: Uint8Array,
    public dataOffset: number,
    public fileOffset: number,
    public comments: string[] | undefined,
    public flags: number | undefined,
    public hasTimestamp: boolean,
  ) {}

  get data(): Uint8Array {
    return (this.view ??= new Uint8Array(
      this.buffer.buffer,
      this.buffer.byteOffset + this.dataOffset,
      this.capturedLength,
    ));
  }
}

/** A record to write. A reader's CaptureRecord can be passed as is. */
export interface WritableRecord {
  data: Uint8Array;
  tsSec: number;
  tsNsec: number;
  /** Defaults to data.length. */
  originalLength?: number;
  /** pcapng only; defaults to 0. */
  interfaceId?: number;
  /** pcapng only: opt_comment strings attached to the EPB. */
  comments?: string[] | undefined;
  /** pcapng only: epb_flags. */
  flags?: number | undefined;
}

/** Timestamp resolution of an interface: `base` ** -`exponent` seconds per unit. */
export interface TimestampResolution {
  base: 10 | 2;
  exponent: number;
}

export interface InterfaceStatistics {
  fileOffset: number;
  tsSec: number;
  tsNsec: number;
  /** isb_ifrecv, isb_ifdrop, isb_filteraccept, isb_osdrop, isb_usrdeliv where present. */
  ifRecv?: number;
  ifDrop?: number;
  filterAccept?: number;
  osDrop?: number;
  usrDeliv?: number;
  comments: string[];
}

/** A pcapng Interface Description Block, or the one implicit interface of a pcap file. */
export interface CaptureInterface {
  id: number;
  sectionIndex: number;
  linkType: number;
  /** 0 = no limit. */
  snaplen: number;
  tsResolution: TimestampResolution;
  /** if_tsoffset: seconds added to every timestamp of this interface. */
  tsOffsetSec: number;
  name?: string;
  description?: string;
  filter?: string;
  os?: string;
  hardware?: string;
  fcsLength?: number;
  speed?: number;
  comments: string[];
  /** The latest Interface Statistics Block seen for this interface. */
  statistics?: InterfaceStatistics;
  fileOffset: number;
}

/** A pcapng Section Header Block. */
export interface CaptureSection {
  index: number;
  byteOrder: ByteOrder;
  versionMajor: number;
  versionMinor: number;
  /** Declared section length, or -1 when unspecified. Not trusted for parsing. */
  sectionLength: number;
  hardware?: string;
  os?: string;
  userAppl?: string;
  comments: string[];
  fileOffset: number;
}

/** The pcap file header. */
export interface PcapHeader {
  byteOrder: ByteOrder;
  resolution: 'us' | 'ns';
  versionMajor: number;
  versionMinor: number;
  thiszone: number;
  sigfigs: number;
  snaplen: number;
  linkType: number;
  /** FCS length in bytes announced in the link-type field's upper bits (0 = unknown). */
  fcsLength: number;
}

/** A pcapng block the reader does not interpret itself (custom and unknown blocks). */
export interface OtherBlock {
  type: number;
  fileOffset: number;
  /** For custom blocks (0x00000BAD / 0x40000BAD): the Private Enterprise Number. */
  pen?: number;
  /** The block body after the PEN (custom) or after type+length (unknown); a view. */
  body: Uint8Array;
  byteOrder: ByteOrder;
  sectionIndex: number;
}

/** Options common to every reader. */
export interface CaptureReaderOptions {
  /** Size of the reusable read buffer (default 4 MiB). */
  chunkBytes?: number;
  /** Largest pcap record or pcapng block accepted (default 256 MiB); larger is a 'limit' error. */
  maxBlockBytes?: number;
  /**
   * Called for custom blocks and blocks of unknown type (they are skipped either way).
   * `body` is a view valid only during the call.
   */
  onOtherBlock?: (block: OtherBlock) => void;
  /** Called for every name resolution entry (pcapng NRB) as it is read. */
  onName?: (address: string, names: string[]) => void;
}

/** Copies a record so that it outlives the reader's buffer. */
export function copyRecord(r: CaptureRecord): CaptureRecord {
  const bytes = r.buffer.slice(r.dataOffset, r.dataOffset + r.capturedLength);
  return new PacketRecord(
    r.index,
    r.linkType,
    r.interfaceId,
    r.sectionIndex,
    r.tsSec,
    r.tsNsec,
    r.capturedLength,
    r.originalLength,
    bytes,
    0,
    r.fileOffset,
    r.comments ? [...r.comments] : undefined,
    r.flags,
    r.hasTimestamp,
  );
}

/** Timestamp as exact nanoseconds since the epoch. */
export function timestampNs(r: { tsSec: number; tsNsec: number }): bigint {
  return BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec);
}

/** Timestamp as float milliseconds since the epoch (sub-µs precision lost). */
export function timestampMs(r: { tsSec: number; tsNsec: number }): number {
  return r.tsSec * 1000 + r.tsNsec / 1e6;
}

/** Seconds.nanoseconds as tshark prints frame.time_epoch, e.g. '1700000000.123456000'. */
export function formatEpoch(r: { tsSec: number; tsNsec: number }): string {
  return `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`;
}
