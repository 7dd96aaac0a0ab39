/**
 * Reads a pcap/pcapng file with the capture readers, decodes each frame once with `wire`, and
 * feeds the TCP segments to the analysis. Shared by `tcplab analyze`, `tcplab conversations`,
 * the analysis tests and the benchmark.
 */
import { statSync } from 'node:fs';
import { CaptureReader } from '../../capture/reader';
import { decodePacket } from '@shared/wire/decode';
import { TcpAnalyzer } from '@shared/analysis/analyzer';
import { segmentFromDecoded, segmentFromFrame } from '@shared/analysis/input';

export interface FileAnalysis {
  analyzer: TcpAnalyzer;
  /** Frames read (TCP or not). */
  frames: number;
  /** Frames that were not analysable TCP segments. */
  skipped: number;
}

export function analyzeCaptureFile(path: string, opts: { maxFrames?: number } = {}): FileAnalysis {
  const reader = CaptureReader.open(path);
  // Start the columns at one row per 1500 bytes of file (a full-size frame): exact for bulk
  // transfers, and smaller frames grow the store by doubling.
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    // stdin or a special file: grow as needed
  }
  const analyzer = new TcpAnalyzer({ initialRows: Math.min(Math.max(4096, Math.ceil(size / 1500)), 1 << 24) });
  let frames = 0;
  let skipped = 0;
  try {
    for (let r = reader.next(); r !== null; r = reader.next()) {
      frames++;
      // Wire's views for the clean common case; the full decode for anything else.
      let seg = segmentFromFrame(r.linkType, r.data, r.originalLength, r.index + 1, r.tsSec, r.tsNsec, r.fileOffset);
      if (seg === undefined) {
        const pkt = decodePacket(r.linkType, r.data, r.originalLength);
        seg = segmentFromDecoded(pkt, r.index + 1, r.tsSec, r.tsNsec, r.fileOffset);
      }
      if (seg === null) skipped++;
      else analyzer.pushRow(seg);
      if (opts.maxFrames !== undefined && frames >= opts.maxFrames) break;
    }
  } finally {
    reader.close();
  }
  return { analyzer, frames, skipped };
}
