/**
 * Columnar storage of per-segment results: one typed array per field, grown by doubling, so a
 * 1M-frame capture costs about 110 bytes per segment and no object per segment. Row i is the
 * i-th TCP segment analysed; `conversationRows` lists each conversation's rows, so one
 * conversation's segments (and their file offsets) are available without re-reading the file.
 */
import type { SegmentRecord } from './types';

function grow<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array | Int8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class SegmentStore {
  length = 0;
  private cap: number;
  frame: Uint32Array;
  stream: Uint32Array;
  direction: Uint8Array;
  timeNs: Float64Array;
  fileOffset: Float64Array;
  seq: Uint32Array;
  seqRaw: Uint32Array;
  ack: Uint32Array;
  ackRaw: Uint32Array;
  nxtseq: Uint32Array;
  len: Uint32Array;
  flags: Uint16Array;
  windowRaw: Uint16Array;
  windowSize: Uint32Array;
  scaleFactor: Int32Array;
  analysisFlags: Uint32Array;
  dupAckNum: Uint32Array;
  dupAckFrame: Uint32Array;
  acksFrame: Uint32Array;
  ackRttNs: Float64Array;
  initialRttNs: Float64Array;
  bytesInFlight: Uint32Array;
  pushBytesSent: Uint32Array;
  sackBytesInFlight: Float64Array;
  completeness: Uint8Array;
  timeRelativeNs: Float64Array;
  timeDeltaNs: Float64Array;
  stateA: Uint8Array;
  stateB: Uint8Array;
  ruleA: Uint8Array;
  ruleB: Uint8Array;

  constructor(initial = 1024) {
    const n = (this.cap = Math.max(16, initial));
    this.frame = new Uint32Array(n);
    this.stream = new Uint32Array(n);
    this.direction = new Uint8Array(n);
    this.timeNs = new Float64Array(n);
    this.fileOffset = new Float64Array(n);
    this.seq = new Uint32Array(n);
    this.seqRaw = new Uint32Array(n);
    this.ack = new Uint32Array(n);
    this.ackRaw = new Uint32Array(n);
    this.nxtseq = new Uint32Array(n);
    this.len = new Uint32Array(n);
    this.flags = new Uint16Array(n);
    this.windowRaw = new Uint16Array(n);
    this.windowSize = new Uint32Array(n);
    this.scaleFactor = new Int32Array(n);
    this.analysisFlags = new Uint32Array(n);
    this.dupAckNum = new Uint32Array(n);
    this.dupAckFrame = new Uint32Array(n);
    this.acksFrame = new Uint32Array(n);
    this.ackRttNs = new Float64Array(n);
    this.initialRttNs = new Float64Array(n);
    this.bytesInFlight = new Uint32Array(n);
    this.pushBytesSent = new Uint32Array(n);
    this.sackBytesInFlight = new Float64Array(n);
    this.completeness = new Uint8Array(n);
    this.timeRelativeNs = new Float64Array(n);
    this.timeDeltaNs = new Float64Array(n);
    this.stateA = new Uint8Array(n);
    this.stateB = new Uint8Array(n);
    this.ruleA = new Uint8Array(n);
    this.ruleB = new Uint8Array(n);
  }

  /** Reserves one row and returns its index. */
  allocate(): number {
    if (this.length === this.cap) {
      const n = (this.cap *= 2);
      this.frame = grow(this.frame, n);
      this.stream = grow(this.stream, n);
      this.direction = grow(this.direction, n);
      this.timeNs = grow(this.timeNs, n);
      this.fileOffset = grow(this.fileOffset, n);
      this.seq = grow(this.seq, n);
      this.seqRaw = grow(this.seqRaw, n);
      this.ack = grow(this.ack, n);
      this.ackRaw = grow(this.ackRaw, n);
      this.nxtseq = grow(this.nxtseq, n);
      this.len = grow(this.len, n);
      this.flags = grow(this.flags, n);
      this.windowRaw = grow(this.windowRaw, n);
      this.windowSize = grow(this.windowSize, n);
      this.scaleFactor = grow(this.scaleFactor, n);
      this.analysisFlags = grow(this.analysisFlags, n);
      this.dupAckNum = grow(this.dupAckNum, n);
      this.dupAckFrame = grow(this.dupAckFrame, n);
      this.acksFrame = grow(this.acksFrame, n);
      this.ackRttNs = grow(this.ackRttNs, n);
      this.initialRttNs = grow(this.initialRttNs, n);
      this.bytesInFlight = grow(this.bytesInFlight, n);
      this.pushBytesSent = grow(this.pushBytesSent, n);
      this.sackBytesInFlight = grow(this.sackBytesInFlight, n);
      this.completeness = grow(this.completeness, n);
      this.timeRelativeNs = grow(this.timeRelativeNs, n);
      this.timeDeltaNs = grow(this.timeDeltaNs, n);
      this.stateA = grow(this.stateA, n);
      this.stateB = grow(this.stateB, n);
      this.ruleA = grow(this.ruleA, n);
      this.ruleB = grow(this.ruleB, n);
    }
    return this.length++;
  }

  /** One row as a plain object (for JSON output, tests and the detail pane). */
  get(i: number): SegmentRecord {
    return {
      frame: this.frame[i]!,
      stream: this.stream[i]!,
      direction: this.direction[i] as 0 | 1,
      timeNs: this.timeNs[i]!,
      fileOffset: this.fileOffset[i]!,
      seq: this.seq[i]!,
      seqRaw: this.seqRaw[i]!,
      ack: this.ack[i]!,
      ackRaw: this.ackRaw[i]!,
      nxtseq: this.nxtseq[i]!,
      len: this.len[i]!,
      flags: this.flags[i]!,
      windowRaw: this.windowRaw[i]!,
      windowSize: this.windowSize[i]!,
      scaleFactor: this.scaleFactor[i]!,
      analysisFlags: this.analysisFlags[i]!,
      dupAckNum: this.dupAckNum[i]!,
      dupAckFrame: this.dupAckFrame[i]!,
      acksFrame: this.acksFrame[i]!,
      ackRttNs: this.ackRttNs[i]!,
      initialRttNs: this.initialRttNs[i]!,
      bytesInFlight: this.bytesInFlight[i]!,
      pushBytesSent: this.pushBytesSent[i]!,
      sackBytesInFlight: this.sackBytesInFlight[i]!,
      completeness: this.completeness[i]!,
      timeRelativeNs: this.timeRelativeNs[i]!,
      timeDeltaNs: this.timeDeltaNs[i]!,
      stateA: this.stateA[i]!,
      stateB: this.stateB[i]!,
      ruleA: this.ruleA[i]!,
      ruleB: this.ruleB[i]!,
    };
  }

  /** Bytes one row takes across all columns. */
  bytesPerRow(): number {
    let n = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) n += (v as Uint8Array).BYTES_PER_ELEMENT;
    return n;
  }

  /** Bytes held by the columns (allocated capacity). */
  byteSize(): number {
    let n = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) n += v.byteLength;
    return n;
  }
}

/** A growable list of row indices (one per conversation). */
export class RowList {
  rows = new Uint32Array(8);
  length = 0;
  push(i: number): void {
    if (this.length === this.rows.length) this.rows = grow(this.rows, this.rows.length * 2);
    this.rows[this.length++] = i;
  }
  toArray(): Uint32Array {
    return this.rows.subarray(0, this.length);
  }
}
