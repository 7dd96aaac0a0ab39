import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src-main/capture/reader';
import { writeSyntheticCapture } from '../../src-main/capture/synthetic';
import { segmentFromDecoded, segmentFromFrame } from '../../src-shared/analysis/input';
import { decodePacket } from '../../src-shared/wire/decode';
import { bulk, Trace } from './support/craft';

/** The fast view-based path must give exactly what decodePacket + segmentFromDecoded give. */
const dir = mkdtempSync(join(tmpdir(), 'tcplab-analysis-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bothPaths(file: string): { fast: number; total: number } {
  const r = CaptureReader.open(file);
  let fast = 0;
  let total = 0;
  for (let x = r.next(); x !== null; x = r.next()) {
    total++;
    const viaViews = segmentFromFrame(x.linkType, x.data, x.originalLength, x.index + 1, x.tsSec, x.tsNsec, x.fileOffset);
    const viaDecode = segmentFromDecoded(decodePacket(x.linkType, x.data, x.originalLength), x.index + 1, x.tsSec, x.tsNsec, x.fileOffset);
    if (viaViews !== undefined) {
      fast++;
      expect(viaViews, `frame ${x.index + 1}`).toEqual(viaDecode);
    }
  }
  r.close();
  return { fast, total };
}

describe('segmentFromFrame', () => {
  it('equals the full decode on synthetic Ethernet traffic (TCP with options, UDP)', () => {
    const file = join(dir, 'synthetic.pcap');
    writeSyntheticCapture(file, { format: 'pcap', frames: 5000, seed: 3 });
    const { fast, total } = bothPaths(file);
    expect(total).toBe(5000);
    expect(fast).toBe(total); // every frame takes the fast path here
  });

  it('equals the full decode on raw-IP frames with SACK, window scale and MSS options', () => {
    const t = new Trace().handshake().add(...bulk(10, 4), {
      t: 11,
      from: 'b',
      flags: 'A',
      seq: 1,
      ack: 1449,
      win: 500,
      sack: [[2897, 5793]],
    });
    const { fast, total } = bothPaths(t.writePcap(join(dir, 'raw.pcap')));
    expect(fast).toBe(total);
  });

  it('indexes each conversation by frame number and file offset', async () => {
    const { analyzeCaptureFile } = await import('../../src-main/cli/commands/analysis-file');
    const file = join(dir, 'synthetic.pcap');
    const { analyzer } = analyzeCaptureFile(file);
    const idx = analyzer.conversationIndex(3);
    expect(idx.frames.length).toBe(analyzer.conversations[3]!.rows.length);
    // Read one indexed frame back by its offset: a pcap record header, then the frame.
    const { openSync, readSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'r');
    const head = Buffer.alloc(16 + 128);
    readSync(fd, head, 0, head.length, idx.fileOffsets[5]!);
    closeSync(fd);
    const frameBytes = new Uint8Array(head.buffer, head.byteOffset + 16, 128);
    const seg = segmentFromFrame(1, frameBytes, head.readUInt32LE(12), idx.frames[5]!, 0, 0);
    const s = analyzer.store;
    expect(seg?.seq).toBe(s.seqRaw[idx.rows[5]!]);
    expect(() => analyzer.conversationIndex(99)).toThrow(/no tcp.stream 99/);
  });

  it('leaves frames it does not handle to the full decode (undefined)', () => {
    const short = new Uint8Array(30); // Ethernet + a cut IPv4 header
    short[12] = 0x08;
    short[14] = 0x45;
    expect(segmentFromFrame(1, short, 30, 1, 0, 0)).toBeUndefined();
    expect(segmentFromFrame(113, new Uint8Array(64), 64, 1, 0, 0)).toBeUndefined(); // Linux SLL
  });
});
