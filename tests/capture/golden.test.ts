import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AsyncCaptureReader,
  CaptureReader,
  copyRecord,
  decodeTcplabBlock,
  detectCaptureFormat,
  encodePcap,
  encodePcapng,
  formatEpoch,
  MemorySink,
  PcapngWriter,
  readCaptureSync,
  TCPLAB_KIND_STACK_STATE,
  TCPLAB_PEN,
  timestampMs,
  timestampNs,
  type CaptureRecord,
  type OtherBlock,
} from '../../src-main/capture/index';
import { block, Bytes, concat, epb, frame, idb, opb, shb, spb, u8, type Order } from './helpers';

describe('pcap golden bytes', () => {
  it('reads a big-endian microsecond pcap written byte by byte', () => {
    const file = u8(`
      a1 b2 c3 d4  00 02 00 04  00 00 00 00  00 00 00 00  00 00 ff ff  00 00 00 01
      65 53 f1 00  00 01 e2 40  00 00 00 04  00 00 00 3c  de ad be ef
      65 53 f1 01  00 00 00 07  00 00 00 02  00 00 00 02  ca fe`);
    const c = readCaptureSync(file);
    expect(c.error).toBeUndefined();
    expect(c.format).toBe('pcap');
    expect(c.byteOrder).toBe('big');
    expect(c.pcapHeader).toMatchObject({ resolution: 'us', snaplen: 65535, linkType: 1, versionMajor: 2, versionMinor: 4 });
    expect(c.records.map((r) => [r.index, formatEpoch(r), r.capturedLength, r.originalLength, r.fileOffset])).toEqual([
      [0, '1700000000.123456000', 4, 60, 24],
      [1, '1700000001.000007000', 2, 2, 44],
    ]);
    expect([...c.records[0]!.data]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect([...c.records[1]!.data]).toEqual([0xca, 0xfe]);
  });

  it('reads a little-endian nanosecond pcap written byte by byte', () => {
    const file = u8(`
      4d 3c b2 a1  02 00 04 00  00 00 00 00  00 00 00 00  00 00 04 00  65 00 00 00
      00 f1 53 65  15 cd 5b 07  03 00 00 00  05 00 00 00  45 00 14`);
    const c = readCaptureSync(file);
    expect(c.error).toBeUndefined();
    expect(c.pcapHeader).toMatchObject({ resolution: 'ns', byteOrder: 'little', snaplen: 262144, linkType: 101 });
    expect(c.records).toHaveLength(1);
    expect(formatEpoch(c.records[0]!)).toBe('1700000000.123456789');
    expect(timestampNs(c.records[0]!)).toBe(1700000000123456789n);
    expect(timestampMs(c.records[0]!)).toBeCloseTo(1700000000123.4568, 3);
    expect(c.records[0]!.linkType).toBe(101);
    expect([...c.records[0]!.data]).toEqual([0x45, 0x00, 0x14]);
  });

  it('detects every magic and rejects others', () => {
    expect(detectCaptureFormat(u8('d4 c3 b2 a1'))).toEqual({ format: 'pcap', byteOrder: 'little', resolution: 'us' });
    expect(detectCaptureFormat(u8('a1 b2 c3 d4'))).toEqual({ format: 'pcap', byteOrder: 'big', resolution: 'us' });
    expect(detectCaptureFormat(u8('4d 3c b2 a1'))).toEqual({ format: 'pcap', byteOrder: 'little', resolution: 'ns' });
    expect(detectCaptureFormat(u8('a1 b2 3c 4d'))).toEqual({ format: 'pcap', byteOrder: 'big', resolution: 'ns' });
    expect(detectCaptureFormat(u8('0a 0d 0d 0a'))).toEqual({ format: 'pcapng' });
    expect(detectCaptureFormat(u8('1f 8b 08 00'))).toBeNull();
  });

  for (const byteOrder of ['little', 'big'] as const) {
    for (const resolution of ['us', 'ns'] as const) {
      it(`round-trips the pcap writer (${byteOrder}-endian, ${resolution})`, () => {
        const recs = [
          { data: frame(60, 1), tsSec: 1700000000, tsNsec: 999_999_999 },
          { data: frame(1514, 2), tsSec: 1700000001, tsNsec: 1_000 },
          { data: frame(100, 3), tsSec: 4294967295, tsNsec: 5, originalLength: 3000 },
        ];
        const bytes = encodePcap(recs, { linkType: 1, byteOrder, resolution, snaplen: 1000 });
        const c = readCaptureSync(bytes);
        expect(c.error).toBeUndefined();
        expect(c.byteOrder).toBe(byteOrder);
        expect(c.pcapHeader!.resolution).toBe(resolution);
        const cut = (ns: number) => (resolution === 'us' ? Math.floor(ns / 1000) * 1000 : ns);
        expect(c.records.map((r) => [r.tsSec, r.tsNsec, r.capturedLength, r.originalLength])).toEqual([
          [1700000000, cut(999_999_999), 60, 60],
          [1700000001, 1000, 1000, 1514], // cut to snaplen 1000
          [4294967295, cut(5), 100, 3000],
        ]);
        expect(c.records[1]!.data).toEqual(frame(1514, 2).subarray(0, 1000));
      });
    }
  }
});

describe('pcapng golden bytes', () => {
  it('reads a big-endian pcapng written byte by byte (SHB, IDB with if_tsresol, EPB with comment)', () => {
    const file = u8(`
      0a 0d 0d 0a  00 00 00 1c  1a 2b 3c 4d  00 01 00 00  ff ff ff ff  ff ff ff ff  00 00 00 1c
      00 00 00 01  00 00 00 20  00 01 00 00  00 00 ff ff  00 09 00 01  09 00 00 00  00 00 00 00  00 00 00 20
      00 00 00 06  00 00 00 30  00 00 00 00  00 00 00 00  00 00 00 2a  00 00 00 03  00 00 00 3c
      aa bb cc 00  00 01 00 02  68 69 00 00  00 00 00 00  00 00 00 30`);
    const c = readCaptureSync(file);
    expect(c.error).toBeUndefined();
    expect(c.format).toBe('pcapng');
    expect(c.byteOrder).toBe('big');
    expect(c.interfaces[0]).toMatchObject({ linkType: 1, snaplen: 65535, tsResolution: { base: 10, exponent: 9 } });
    expect(c.records).toHaveLength(1);
    const r = c.records[0]!;
    expect([r.tsSec, r.tsNsec, r.capturedLength, r.originalLength, r.fileOffset]).toEqual([0, 42, 3, 60, 60]);
    expect([...r.data]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(r.comments).toEqual(['hi']);
  });

  for (const order of ['little', 'big'] as Order[]) {
    it(`reads every block kind and option (${order}-endian)`, () => {
      const others: OtherBlock[] = [];
      const names: [string, string[]][] = [];
      const nrb = block(
        order,
        4,
        new Bytes(order)
          .u16(1).u16(4 + 13).raw([192, 0, 2, 1]).raw(new TextEncoder().encode('host-a\0alias\0')).pad4()
          .u16(2).u16(16 + 7).raw([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]).raw(new TextEncoder().encode('six.ex\0')).pad4()
          .u16(0).u16(0)
          .bytes(),
      );
      const isb = block(
        order,
        5,
        concat(
          new Bytes(order).u32(1).u32(0).u32(1000).bytes(),
          new Bytes(order).u16(4).u16(8).u64(0, 77).u16(5).u16(8).u64(1, 2).u16(1).u16(5).raw(new TextEncoder().encode('stats')).pad4().u16(0).u16(0).bytes(),
        ),
      );
      const custom = block(order, 0x00000bad, new Bytes(order).u32(12345).raw([1, 2, 3, 4, 5]).bytes());
      const unknown = block(order, 0x12345678, new Uint8Array([9, 9, 9, 9]));
      const file = concat(
        shb(order, [
          { code: 1, value: 'section one' },
          { code: 2, value: 'hw' },
          { code: 3, value: 'Linux' },
          { code: 4, value: 'handmade' },
        ]),
        // Interface 0: milliseconds, tsoffset +100 s, named, snaplen 8.
        idb(order, 1, 8, [
          { code: 2, value: 'eth0' },
          { code: 9, value: Uint8Array.of(3) },
          { code: 14, value: new Bytes(order).u64(0, 100).bytes() },
          { code: 1, value: 'iface comment' },
        ]),
        // Interface 1: 2^-20 s units, raw IP.
        idb(order, 101, 0, [{ code: 9, value: Uint8Array.of(0x80 | 20) }, { code: 3, value: 'second' }]),
        nrb,
        unknown,
        epb(order, 0, 0, 1_500, frame(4, 1), 4, [{ code: 1, value: 'first' }, { code: 1, value: 'ünï' }, { code: 2, value: new Bytes(order).u32(1).bytes() }]),
        custom,
        spb(order, 20, frame(20, 2)), // cut to if_snaplen 8
        opb(order, 1, 3, 0, 3 << 20, frame(5, 3)), // 3 s in 2^-20 units
        isb,
        // A second section: interfaces restart.
        shb(order === 'little' ? 'big' : 'little', [{ code: 1, value: 'section two' }]),
        idb(order === 'little' ? 'big' : 'little', 113, 0, [{ code: 9, value: Uint8Array.of(6) }]),
        epb(order === 'little' ? 'big' : 'little', 0, 395, 3_000_000_000 >>> 0, frame(6, 4)),
      );
      const reader = CaptureReader.fromBytes(file, {
        onOtherBlock: (b) => others.push({ ...b, body: b.body.slice() }),
        onName: (a, n) => names.push([a, n]),
      });
      expect(reader.format).toBe('pcapng');
      expect(reader.section).toMatchObject({ index: 0, byteOrder: order, hardware: 'hw', os: 'Linux', userAppl: 'handmade', comments: ['section one'] });
      expect(reader.interfaces.map((i) => [i.name, i.linkType, i.snaplen, i.tsResolution, i.tsOffsetSec, i.description])).toEqual([
        ['eth0', 1, 8, { base: 10, exponent: 3 }, 100, undefined],
        [undefined, 101, 0, { base: 2, exponent: 20 }, 0, 'second'],
      ]);
      const recs: CaptureRecord[] = [];
      for (const r of reader) {
        recs.push(copyRecord(r));
        if (r.sectionIndex === 0) expect(reader.interfaces[1]!.statistics).toBeUndefined();
      }
      expect(recs.map((r) => [r.sectionIndex, r.interfaceId, r.linkType, formatEpoch(r), r.capturedLength, r.originalLength, r.hasTimestamp])).toEqual([
        [0, 0, 1, '101.500000000', 4, 4, true],
        [0, 0, 1, '0.000000000', 8, 20, false],
        [0, 1, 101, '3.000000000', 5, 5, true],
        [1, 0, 113, `${Math.floor((395 * 4294967296 + 3_000_000_000) / 1e6)}.${String(((395 * 4294967296 + 3_000_000_000) % 1e6) * 1000).padStart(9, '0')}`, 6, 6, true],
      ]);
      expect(recs[0]!.comments).toEqual(['first', 'ünï']);
      expect(recs[0]!.flags).toBe(1);
      expect(recs[1]!.data).toEqual(frame(20, 2).subarray(0, 8));
      expect(others.map((o) => [o.type, o.pen, [...o.body]])).toEqual([
        [0x12345678, undefined, [9, 9, 9, 9]],
        [0x00000bad, 12345, [1, 2, 3, 4, 5, 0, 0, 0]],
      ]);
      expect(names).toEqual([
        ['192.0.2.1', ['host-a', 'alias']],
        ['2001:db8:0:0:0:0:0:1', ['six.ex']],
      ]);
      expect(reader.names.get('192.0.2.1')).toEqual(['host-a', 'alias']);
      // After the second SHB: the new section's byte order, comments and interfaces.
      expect(reader.section).toMatchObject({ index: 1, comments: ['section two'], byteOrder: order === 'little' ? 'big' : 'little' });
      expect(reader.interfaces).toHaveLength(1);
    });
  }

  it('keeps the latest interface statistics', () => {
    const order: Order = 'little';
    const isb = (recv: number) =>
      block(order, 5, concat(new Bytes(order).u32(0).u32(0).u32(0).bytes(), new Bytes(order).u16(4).u16(8).u64(0, recv).u16(0).u16(0).bytes()));
    const file = concat(shb(order), idb(order, 1, 0), isb(5), isb(9));
    const c = readCaptureSync(file);
    expect(c.error).toBeUndefined();
    expect(c.interfaces[0]!.statistics?.ifRecv).toBe(9);
  });

  for (const byteOrder of ['little', 'big'] as const) {
    for (const tsResolution of ['us', 'ns'] as const) {
      it(`round-trips the pcapng writer (${byteOrder}-endian, ${tsResolution}) with comments and a tcplab block`, () => {
        const sink = new MemorySink();
        const w = new PcapngWriter(sink, {
          byteOrder,
          comments: ['made by a test'],
          interfaces: [{ linkType: 1, name: 'tap0', tsResolution, snaplen: 0 }],
        });
        const second = w.addInterface({ linkType: 101, tsResolution, snaplen: 64, description: 'raw' });
        w.writeTcplabBlock(TCPLAB_KIND_STACK_STATE, { cwnd: 14600, state: 'ESTABLISHED' });
        w.write({ data: frame(1514, 1), tsSec: 1700000000, tsNsec: 123_456_789, comments: ['retransmission', 'ü'] });
        w.write({ data: frame(200, 2), tsSec: 1700000001, tsNsec: 1, interfaceId: second, flags: 2 });
        w.writeTcplabBlock(2, { note: 'non-copiable' }, { copiable: false });
        w.write({ data: frame(61, 3), tsSec: 0, tsNsec: 999_999_999, originalLength: 1000 });
        w.writeInterfaceStatistics(0, { tsSec: 1700000002, tsNsec: 0, ifRecv: 3, ifDrop: 0 });
        w.close();
        const tcplab: unknown[] = [];
        const c = CaptureReader.fromBytes(sink.bytes(), {
          onOtherBlock: (b) => {
            const t = decodeTcplabBlock(b);
            if (t) tcplab.push(t);
          },
        });
        expect(c.section?.comments).toEqual(['made by a test']);
        expect(c.section?.userAppl).toBe('tcplab');
        const recs = [...c].map(copyRecord);
        const cut = (ns: number) => (tsResolution === 'us' ? Math.floor(ns / 1000) * 1000 : ns);
        expect(recs.map((r) => [r.interfaceId, r.tsSec, r.tsNsec, r.capturedLength, r.originalLength, r.comments, r.flags])).toEqual([
          [0, 1700000000, cut(123_456_789), 1514, 1514, ['retransmission', 'ü'], undefined],
          [1, 1700000001, cut(1), 64, 200, undefined, 2],
          [0, 0, cut(999_999_999), 61, 1000, undefined, undefined],
        ]);
        expect(recs[0]!.data).toEqual(frame(1514, 1));
        expect(recs[1]!.data).toEqual(frame(200, 2).subarray(0, 64));
        expect(tcplab).toEqual([
          { version: 1, kind: TCPLAB_KIND_STACK_STATE, value: { cwnd: 14600, state: 'ESTABLISHED' } },
          { version: 1, kind: 2, value: { note: 'non-copiable' } },
        ]);
        expect(c.interfaces[0]!.statistics).toMatchObject({ ifRecv: 3, ifDrop: 0, tsSec: 1700000002 });
      });
    }
  }

  it('ignores custom blocks of other enterprises in decodeTcplabBlock', () => {
    expect(decodeTcplabBlock({ type: 0xbad, pen: 1, body: new Uint8Array(8), byteOrder: 'little', fileOffset: 0 })).toBeNull();
    expect(decodeTcplabBlock({ type: 0x12, pen: TCPLAB_PEN, body: new Uint8Array(8), byteOrder: 'little', fileOffset: 0 })).toBeNull();
    expect(() => decodeTcplabBlock({ type: 0xbad, pen: TCPLAB_PEN, body: new Uint8Array([9, 1, 0, 0, 0, 0, 0, 0]), byteOrder: 'little', fileOffset: 40 })).toThrow(
      'pcapng: block at byte 40: tcplab custom block: unsupported version 9 (expected 1)',
    );
  });
});

describe('streaming', () => {
  const recs = Array.from({ length: 300 }, (_, i) => ({ data: frame(60 + ((i * 97) % 1455), i), tsSec: 1700000000 + i, tsNsec: i * 1000 }));
  const summary = (r: CaptureRecord) => [r.index, r.tsSec, r.tsNsec, r.capturedLength, r.fileOffset, r.data[0], r.data[r.capturedLength - 1]];

  for (const format of ['pcap', 'pcapng'] as const) {
    const bytes = format === 'pcap' ? encodePcap(recs, { linkType: 1 }) : encodePcapng(recs, { interfaces: [{ linkType: 1 }] });
    const expected = readCaptureSync(bytes).records.map(summary);

    it(`${format}: the async reader over a Readable in 7-byte chunks equals the in-memory reader`, async () => {
      expect(expected).toHaveLength(300);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
      const reader = await AsyncCaptureReader.open(Readable.from(chunks));
      expect(reader.format).toBe(format);
      expect(reader.linkType).toBe(1);
      const got: unknown[] = [];
      for await (const r of reader) got.push(summary(r));
      expect(got).toEqual(expected);
    });

    it(`${format}: sync (fd) and async (path, forEach) readers over a file with a small buffer`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tcplab-cap-'));
      try {
        const path = join(dir, `f.${format}`);
        writeFileSync(path, bytes);
        const fd = openSync(path, 'r');
        const sync: unknown[] = [];
        for (const r of CaptureReader.fromFd(fd, { chunkBytes: 1 })) sync.push(summary(r)); // views: summarise at once
        closeSync(fd);
        expect(sync).toEqual(expected);
        const got: unknown[] = [];
        await (await AsyncCaptureReader.open(path, { chunkBytes: 1 })).forEach((r) => {
          got.push(summary(r));
        });
        expect(got).toEqual(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('grows the buffer for a block larger than it and stays correct after', async () => {
    const big = [{ data: frame(200_000, 1), tsSec: 1, tsNsec: 0 }, { data: frame(70, 2), tsSec: 2, tsNsec: 0 }];
    const bytes = encodePcapng(big, { interfaces: [{ linkType: 1, snaplen: 0 }] });
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 4096) chunks.push(bytes.subarray(i, i + 4096));
    const got: Uint8Array[] = [];
    for await (const r of await AsyncCaptureReader.open(Readable.from(chunks), { chunkBytes: 65536 })) got.push(r.data.slice());
    expect(got.map((g) => g.length)).toEqual([200_000, 70]);
    // Buffer.equals: vitest's deep equality is slow on 200 kB arrays.
    expect(Buffer.from(got[0]!).equals(frame(200_000, 1))).toBe(true);
    expect(Buffer.from(got[1]!).equals(frame(70, 2))).toBe(true);
  });

  it('grows the buffer when reading a file (sync and async) with a block larger than the buffer', async () => {
    const big = [{ data: frame(70, 0), tsSec: 1, tsNsec: 0 }, { data: frame(300_000, 1), tsSec: 2, tsNsec: 0 }, { data: frame(70, 2), tsSec: 3, tsNsec: 0 }];
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-cap-'));
    try {
      for (const format of ['pcap', 'pcapng'] as const) {
        const path = join(dir, `big.${format}`);
        writeFileSync(path, format === 'pcap' ? encodePcap(big, { linkType: 1, snaplen: 0 }) : encodePcapng(big, { interfaces: [{ linkType: 1, snaplen: 0 }] }));
        const lengths: number[] = [];
        for (const r of CaptureReader.open(path, { chunkBytes: 65536 })) {
          lengths.push(r.capturedLength);
          expect(Buffer.from(r.data).equals(frame(r.capturedLength, r.tsSec - 1))).toBe(true);
        }
        await (await AsyncCaptureReader.open(path, { chunkBytes: 65536 })).forEach((r) => {
          lengths.push(r.capturedLength);
          expect(Buffer.from(r.data).equals(frame(r.capturedLength, r.tsSec - 1))).toBe(true);
        });
        expect(lengths).toEqual([70, 300_000, 70, 70, 300_000, 70]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
