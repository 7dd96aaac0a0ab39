import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../../src-shared/sim/random';
import {
  AsyncCaptureReader,
  CaptureFileError,
  CaptureReader,
  encodePcap,
  encodePcapng,
  PcapngWriter,
  PcapWriter,
  readCaptureSync,
} from '../../src-main/capture/index';
import { block, Bytes, concat, epb, frame, idb, shb, u8 } from './helpers';

const recs = Array.from({ length: 6 }, (_, i) => ({
  data: frame(20 + i * 13, i),
  tsSec: 1700000000 + i,
  tsNsec: i,
  comments: i === 2 ? ['c'] : undefined,
}));

/** Offsets where a record or block ends (valid cut points) of a little-endian file. */
function boundaries(bytes: Uint8Array, format: 'pcap' | 'pcapng'): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  let p = format === 'pcap' ? 24 : 0;
  if (format === 'pcap') out.push(24);
  while (p < bytes.length) {
    p += format === 'pcap' ? 16 + dv.getUint32(p + 8, true) : dv.getUint32(p + 4, true);
    out.push(p);
  }
  return out;
}

describe('truncated files yield every complete record, then a truncation error', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: cut at every byte offset`, () => {
      const bytes = format === 'pcap' ? encodePcap(recs, { linkType: 1 }) : encodePcapng(recs, { interfaces: [{ linkType: 1 }] });
      const full = readCaptureSync(bytes);
      expect(full.error).toBeUndefined();
      expect(full.records).toHaveLength(6);
      const ends = full.records.map((r) => (format === 'pcap' ? r.fileOffset + 16 + r.capturedLength : r.fileOffset + 32 + ((r.capturedLength + 3) & ~3) + (r.comments ? 12 : 0)));
      const cuts = new Set(boundaries(bytes, format));
      for (let k = 0; k < bytes.length; k++) {
        const c = readCaptureSync(bytes.subarray(0, k));
        const complete = ends.filter((e) => e <= k).length;
        expect(c.records.length, `cut at ${k}`).toBe(complete);
        for (let i = 0; i < complete; i++) expect(c.records[i]!.data).toEqual(full.records[i]!.data);
        if (cuts.has(k)) {
          expect(c.error, `cut at ${k} is a boundary`).toBeUndefined();
        } else {
          expect(c.error, `cut at ${k}`).toBeInstanceOf(CaptureFileError);
          expect(c.error!.kind).toBe('truncated');
          expect(c.error!.offset).toBeLessThanOrEqual(k);
        }
      }
    });
  }

  it('async file reader (with read-ahead) agrees with the in-memory reader on cut files', async () => {
    const rnd = new SeededRandom(7);
    const many = Array.from({ length: 400 }, (_, i) => ({ data: frame(60 + rnd.int(1455), i), tsSec: i, tsNsec: 0 }));
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-cut-'));
    try {
      for (const format of ['pcap', 'pcapng'] as const) {
        const bytes = format === 'pcap' ? encodePcap(many, { linkType: 1 }) : encodePcapng(many, { interfaces: [{ linkType: 1 }] });
        for (let k = 0; k < 25; k++) {
          const cut = k === 0 ? bytes.length : 24 + rnd.int(bytes.length - 24);
          const part = bytes.subarray(0, cut);
          const expected = readCaptureSync(part);
          const path = join(dir, `cut.${format}`);
          writeFileSync(path, part);
          const got: number[] = [];
          let error: unknown;
          try {
            await (await AsyncCaptureReader.open(path, { chunkBytes: 65536 })).forEach((r) => {
              got.push(r.fileOffset, r.capturedLength, r.data[r.capturedLength - 1]!);
            });
          } catch (e) {
            error = e;
          }
          expect(got).toEqual(expected.records.flatMap((r) => [r.fileOffset, r.capturedLength, r.data[r.capturedLength - 1]!]));
          expect((error as Error | undefined)?.message).toBe(expected.error?.message);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the offset and both lengths', () => {
    const bytes = encodePcap([{ data: frame(1514), tsSec: 1, tsNsec: 0 }], { linkType: 1 });
    const c = readCaptureSync(bytes.subarray(0, 24 + 16 + 200));
    expect(c.error?.message).toBe('pcap: record at byte 24: truncated: header says 1514 captured bytes, input ends after 200');
    const ng = encodePcapng([{ data: frame(1514), tsSec: 1, tsNsec: 0 }], { interfaces: [{ linkType: 1 }] });
    const e = readCaptureSync(ng.subarray(0, ng.length - 100)).error!;
    expect(e.message).toMatch(/^pcapng: block at byte \d+: truncated: header says 1548 bytes, input ends after 1448$/);
    expect(readCaptureSync(bytes.subarray(0, 30)).error?.message).toBe(
      'pcap: record at byte 24: truncated record header: 16 bytes needed, input ends after 6',
    );
  });
});

describe('malformed files', () => {
  const pcapHeader = (snaplen: number) => new Bytes('little').u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(1);
  const good = (order: 'little' | 'big' = 'little') => concat(shb(order), idb(order, 1, 0), epb(order, 0, 0, 1, frame(10)));

  const cases: [string, Uint8Array, string, string][] = [
    ['empty input', new Uint8Array(0), 'truncated', 'capture: file header at byte 0: empty input, no capture file header'],
    ['three bytes', u8('d4 c3 b2'), 'truncated', 'capture: file header at byte 0: input is 3 bytes, too short for a capture file header'],
    ['unknown magic', u8('47 45 54 20 2f 20 48 54'), 'malformed', 'capture: file header at byte 0: not a pcap or pcapng file: first bytes are 47 45 54 20'],
    ['gzip', u8('1f 8b 08 00 00 00 00 00'), 'unsupported', 'capture: file header at byte 0: input is gzip-compressed; decompress it first'],
    ['modified pcap', u8('34 cd b2 a1 02 00 04 00'), 'unsupported', 'capture: file header at byte 0: modified pcap (magic a1b2cd34) is not supported'],
    ['short pcap header', u8('d4 c3 b2 a1 02 00 04 00'), 'truncated', 'pcap: file header at byte 0: file header needs 24 bytes, input ends after 8'],
    ['pcap version 1', concat(new Bytes('little').u32(0xa1b2c3d4).u16(1).u16(0).u32(0).u32(0).u32(0).u32(1).bytes()), 'unsupported', 'pcap: file header at byte 0: unsupported pcap version 1.0 (expected 2.4)'],
    [
      'captured length over snaplen',
      concat(pcapHeader(65535).u32(0).u32(0).u32(70000).u32(70000).bytes(), new Uint8Array(70000)),
      'malformed',
      'pcap: record at byte 24: captured length 70000 exceeds snaplen 65535',
    ],
    [
      'block length not a multiple of 4',
      concat(shb('little'), new Bytes('little').u32(6).u32(7).u32(0).u32(0).bytes()),
      'malformed',
      'pcapng: block at byte 28: total length 7 is not a multiple of 4',
    ],
    ['block length below 12', concat(shb('little'), new Bytes('little').u32(6).u32(8).u32(0).bytes()), 'malformed', 'pcapng: block at byte 28: total length 8 is less than 12'],
    [
      'trailer mismatch',
      concat(shb('little'), new Bytes('little').u32(0x99).u32(16).u32(0).u32(20).bytes()),
      'malformed',
      'pcapng: block at byte 28: trailing total length 20 does not match leading total length 16',
    ],
    [
      'bad byte-order magic',
      new Bytes('little').u32(0x0a0d0d0a).u32(28).u32(0x11223344).u16(1).u16(0).u32(0).u32(0).u32(28).bytes(),
      'malformed',
      'pcapng: block at byte 0: section header byte-order magic is 44 33 22 11, expected 1a2b3c4d in either byte order',
    ],
    [
      'pcapng version 2',
      new Bytes('big').u32(0x0a0d0d0a).u32(28).u32(0x1a2b3c4d).u16(2).u16(0).u32(0).u32(0).u32(28).bytes(),
      'unsupported',
      'pcapng: block at byte 0: unsupported pcapng version 2.0 (expected 1.0)',
    ],
    [
      'undefined interface',
      concat(good(), epb('little', 3, 0, 1, frame(4))),
      'malformed',
      'pcapng: block at byte 92: interface id 3 is not defined (section 0 has 1 interfaces)',
    ],
    [
      'captured length larger than the block',
      concat(shb('big'), idb('big', 1, 0), block('big', 6, new Bytes('big').u32(0).u32(0).u32(0).u32(500).u32(500).raw(frame(8)).bytes())),
      'malformed',
      'pcapng: block at byte 48: captured length 500 does not fit in a block of 40 bytes',
    ],
    [
      'option overrunning its block',
      concat(shb('little'), block('little', 1, new Bytes('little').u16(1).u16(0).u32(0).u16(2).u16(200).raw([65, 66, 67, 68]).bytes())),
      'malformed',
      'pcapng: option at byte 44: option 2 length 200 overruns the block that starts at byte 28',
    ],
    ['zero byte-order magic', concat(u8('0a 0d 0d 0a'), new Uint8Array(8)), 'malformed', 'pcapng: block at byte 0: section header byte-order magic is 00 00 00 00, expected 1a2b3c4d in either byte order'],
  ];

  for (const [name, bytes, kind, message] of cases) {
    it(name, () => {
      const c = readCaptureSync(bytes);
      expect(c.error).toBeInstanceOf(CaptureFileError);
      expect(c.error!.kind).toBe(kind);
      expect(c.error!.message).toBe(message);
    });
  }

  it('delivers the records before the damage and repeats the error afterwards', () => {
    const bytes = concat(good('big'), epb('big', 0, 0, 2, frame(12)), new Bytes('big').u32(6).u32(13).u32(0).bytes());
    const reader = CaptureReader.fromBytes(bytes);
    expect(reader.next()?.capturedLength).toBe(10);
    expect(reader.next()?.capturedLength).toBe(12);
    expect(() => reader.next()).toThrow('pcapng: block at byte 136: total length 13 is not a multiple of 4');
    expect(() => reader.next()).toThrow(CaptureFileError);
  });

  it('refuses blocks above maxBlockBytes without buffering them', () => {
    const bytes = encodePcapng([{ data: frame(5000), tsSec: 0, tsNsec: 0 }], { interfaces: [{ linkType: 1 }] });
    const c = readCaptureSync(bytes, { maxBlockBytes: 4096 });
    expect(c.error?.kind).toBe('limit');
    expect(c.error?.message).toMatch(/^pcapng: block at byte \d+: total length 5032 exceeds the reader's limit of 4096 bytes$/);
    const p = encodePcap([{ data: frame(5000), tsSec: 0, tsNsec: 0 }], { linkType: 1, snaplen: 0 });
    expect(readCaptureSync(p, { maxBlockBytes: 4096 }).error?.message).toBe(
      "pcap: record at byte 24: captured length 5000 exceeds the reader's limit of 4096 bytes",
    );
  });

  it('reports a missing file as an io error', () => {
    const c = readCaptureSync('/nonexistent/tcplab/x.pcap');
    expect(c.error?.kind).toBe('io');
    expect(c.error?.message).toBe('capture: file at byte 0: cannot open /nonexistent/tcplab/x.pcap: ENOENT');
  });
});

describe('writers never leave a half-written file', () => {
  it('writes <out>.partial and renames it on close', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-w-'));
    try {
      for (const kind of ['pcap', 'pcapng'] as const) {
        const out = join(dir, `x.${kind}`);
        const w = kind === 'pcap' ? PcapWriter.create(out, { linkType: 1, bufferBytes: 4096 }) : PcapngWriter.create(out, { interfaces: [{ linkType: 1 }], bufferBytes: 4096 });
        for (let i = 0; i < 20; i++) w.write({ data: frame(1000, i), tsSec: i, tsNsec: 0 });
        expect(existsSync(out)).toBe(false);
        expect(existsSync(`${out}.partial`)).toBe(true);
        w.close();
        expect(existsSync(`${out}.partial`)).toBe(false);
        const c = readCaptureSync(readFileSync(out));
        expect(c.error).toBeUndefined();
        expect(c.records).toHaveLength(20);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes the partial file on abort and refuses writes after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-w-'));
    try {
      const out = join(dir, 'y.pcapng');
      const w = PcapngWriter.create(out, { interfaces: [{ linkType: 1 }] });
      w.write({ data: frame(100), tsSec: 1, tsNsec: 0 });
      w.flush();
      expect(existsSync(`${out}.partial`)).toBe(true);
      w.abort();
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.partial`)).toBe(false);
      expect(() => w.write({ data: frame(1), tsSec: 1, tsNsec: 0 })).toThrow('capture writer is closed');
      expect(() => w.write({ data: frame(1), tsSec: 1, tsNsec: 0, interfaceId: 4 })).toThrow('interface 4 was not added');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with an io error when the directory does not exist', () => {
    expect(() => PcapWriter.create('/nonexistent/tcplab/out.pcap', { linkType: 1 })).toThrow(
      'capture: file at byte 0: cannot create /nonexistent/tcplab/out.pcap.partial: ENOENT',
    );
  });
});
