import { describe, expect, it } from 'vitest';
import { CodecError, decodeMessage, encodeMessage } from '@shared/ipc/codec';
import { decodeFrameColumns, encodeFrameColumns, FrameColumnsError } from '@shared/ipc/frame-columns';
import { FrameSummarizer } from '@shared/format/frame-summary';
import type { FrameSummary } from '@shared/model/frames';
import { CaptureReader } from '../../src-main/capture';
import { toFrame } from '../../src-main/session/sources/file';
import { findDemoCapture } from '../../src-main/session/sources/demo';

function summary(no: number, over: Partial<FrameSummary> = {}): FrameSummary {
  return {
    no,
    t: no * 0.001,
    tsUs: 1_700_000_000_000_000 + no * 1000,
    src: '192.0.2.1:40000',
    dst: '192.0.2.2:80',
    protocol: 'TCP',
    length: 60 + no,
    info: `Flags [.], ack ${no}, win 512, length 0`,
    stream: -1,
    flags: [],
    ...over,
  };
}

/** Summaries of a real capture, as a session makes them. */
function captureSummaries(path: string): FrameSummary[] {
  const reader = CaptureReader.open(path);
  const summarizer = new FrameSummarizer();
  const out: FrameSummary[] = [];
  let first: number | undefined;
  for (let r = reader.next(); r !== null; r = reader.next()) {
    const frame = toFrame(r);
    first ??= frame.tsUs;
    out.push(summarizer.summarize(out.length + 1, frame, first));
  }
  reader.close();
  return out;
}

describe('frame summaries as columns', () => {
  it('round-trip exactly: numbers, repeated strings, Info lines, flags, non-ASCII text', () => {
    const frames = [
      summary(1, { flags: ['syn'], info: 'Flags [S], seq 1000, win 64240, length 0' }),
      summary(2, { src: '192.0.2.2:80', dst: '192.0.2.1:40000', flags: ['syn', 'retransmission'], stream: 7 }),
      summary(3, { protocol: 'ARP', src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', info: '', length: 42 }),
      summary(4, { info: 'héllo → wörld 😀', t: 1 / 3, tsUs: 2 ** 52 + 1, stream: 2_000_000_000 }),
      summary(4_000_000_000, { flags: ['truncated'], t: -0.5 }),
    ];
    const block = encodeFrameColumns(frames);
    expect(block).not.toBeNull();
    expect(decodeFrameColumns(block!)).toEqual(frames);
  });

  it('round-trip the summaries of a real capture through the message codec', () => {
    const frames = captureSummaries(findDemoCapture());
    expect(frames.length).toBeGreaterThan(5);
    const message = { type: 'event', event: 'session.batch', payload: { sessionId: 3, frames, probes: [], dropped: 2 } };
    const encoded = encodeMessage(message);
    // Columns, not one JSON object per frame: the JSON header stays small whatever the batch holds.
    const headerLength = new DataView(encoded.buffer).getUint32(4, true);
    expect(headerLength).toBeLessThan(200);
    expect(decodeMessage(encoded)).toEqual(message);
  });

  it('decode a block that sits at an unaligned offset (a pooled Node buffer)', () => {
    const frames = [summary(1), summary(2, { flags: ['fin'] })];
    const block = encodeFrameColumns(frames)!;
    const shifted = new Uint8Array(block.length + 3);
    shifted.set(block, 3);
    expect(decodeFrameColumns(shifted.subarray(3))).toEqual(frames);
  });

  it('leave arrays that are not exactly frame summaries to JSON, unchanged', () => {
    expect(encodeFrameColumns([summary(1), { ...summary(2), extra: true }])).toBeNull();
    expect(encodeFrameColumns([summary(1), summary(2, { no: 1.5 })])).toBeNull();
    expect(encodeFrameColumns([summary(1), summary(2, { stream: 2 ** 40 })])).toBeNull();
    const odd = [summary(1), { ...summary(2), extra: { deep: [1, 2] } }];
    expect(decodeMessage(encodeMessage({ rows: odd }))).toEqual({ rows: odd });
  });

  it('reject a damaged block with an error that says what is wrong', () => {
    const block = encodeFrameColumns([summary(1, { flags: ['syn'] }), summary(2)])!;
    expect(() => decodeFrameColumns(block.subarray(0, 16))).toThrow(/shorter than its 32-byte header/);
    expect(() => decodeFrameColumns(block.subarray(0, block.length - 1))).toThrow(/needs \d+ bytes, block has \d+/);
    const badMagic = block.slice();
    badMagic[0] = 0;
    expect(() => decodeFrameColumns(badMagic)).toThrow(/bad magic .* at byte 0/);
    const badVersion = block.slice();
    badVersion[4] = 9;
    expect(() => decodeFrameColumns(badVersion)).toThrow(/unsupported version 9 at byte 4/);
    // Row 1's src index points past the string table.
    const badRef = block.slice();
    const words = new Uint32Array(badRef.buffer, 0, badRef.length >> 2);
    const count = words[2]!;
    const srcColumn = (32 + 2 * count * 8 + 3 * 8 * Math.ceil((count * 4) / 8)) / 4;
    words[srcColumn + 1] = 99;
    expect(() => decodeFrameColumns(badRef)).toThrow(new FrameColumnsError('frame columns: row 1 src refers to string 99, the table has 4'));
    // Info lengths that do not add up to the text.
    const badInfo = block.slice();
    const infoLenColumn = srcColumn + 3 * (Math.ceil((count * 4) / 8) * 2);
    new Uint32Array(badInfo.buffer, 0, badInfo.length >> 2)[infoLenColumn] = 1;
    expect(() => decodeFrameColumns(badInfo)).toThrow(/Info lengths sum to \d+ chars, the text has \d+/);
  });

  it('surface a damaged columnar batch as a CodecError naming the attachment', () => {
    const encoded = encodeMessage({ type: 'event', event: 'session.batch', payload: { sessionId: 1, frames: [summary(1), summary(2)], probes: [], dropped: 0 } });
    const headerLength = new DataView(encoded.buffer).getUint32(4, true);
    const damaged = encoded.slice();
    damaged[(8 + headerLength + 7) & ~7] ^= 0xff; // the block's magic
    expect(() => decodeMessage(damaged)).toThrow(CodecError);
    expect(() => decodeMessage(damaged)).toThrow(/attachment 0: frame columns: bad magic/);
  });
});
