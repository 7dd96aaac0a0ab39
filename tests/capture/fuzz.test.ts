import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { SeededRandom } from '../../src-shared/sim/random';
import {
  AsyncCaptureReader,
  CaptureFileError,
  CaptureReader,
  decodeTcplabBlock,
  encodePcap,
  MemorySink,
  PcapngWriter,
  type CaptureRecord,
} from '../../src-main/capture/index';
import { block, Bytes, concat, frame, idb, opb, shb, spb } from './helpers';

/** Seed files covering every format variant and block kind the readers know. */
function seeds(): Uint8Array[] {
  const recs = Array.from({ length: 5 }, (_, i) => ({ data: frame(30 + i * 17, i), tsSec: 1700000000 + i, tsNsec: i * 333, comments: i === 1 ? ['x'] : undefined }));
  const out: Uint8Array[] = [];
  for (const byteOrder of ['little', 'big'] as const) {
    for (const resolution of ['us', 'ns'] as const) out.push(encodePcap(recs, { linkType: 1, byteOrder, resolution, snaplen: 100 }));
    const sink = new MemorySink();
    const w = new PcapngWriter(sink, { byteOrder, comments: ['s'], interfaces: [{ linkType: 1, name: 'a', snaplen: 64 }, { linkType: 101, tsResolution: 'us' }] });
    w.writeTcplabBlock(1, { cwnd: 1 });
    recs.forEach((r, i) => w.write({ ...r, interfaceId: i % 2, flags: i === 3 ? 1 : undefined }));
    w.writeInterfaceStatistics(0, { tsSec: 1, tsNsec: 0, ifRecv: 5 });
    w.close();
    out.push(
      concat(
        sink.bytes(),
        shb(byteOrder),
        idb(byteOrder, 1, 16, [{ code: 9, value: Uint8Array.of(0x80 | 10) }, { code: 14, value: new Bytes(byteOrder).u64(0, 5).bytes() }]),
        spb(byteOrder, 40, frame(40)),
        opb(byteOrder, 0, 1, 0, 1024, frame(9)),
        block(byteOrder, 4, new Bytes(byteOrder).u16(1).u16(6).raw([192, 0, 2, 9, 97, 0]).pad4().u16(0).u16(0).bytes()),
        block(byteOrder, 0x77, frame(8)),
      ),
    );
  }
  return out;
}

function mutate(src: Uint8Array, rnd: SeededRandom): Uint8Array {
  let b: Uint8Array = src.slice();
  const n = 1 + rnd.int(4);
  for (let k = 0; k < n; k++) {
    const op = rnd.int(7);
    const at = rnd.int(Math.max(1, b.length));
    switch (op) {
      case 0: // flip bits
        b[at] = (b[at] ?? 0) ^ (1 << rnd.int(8));
        break;
      case 1: // random byte
        b[at] = rnd.int(256);
        break;
      case 2: {
        // an interesting 32-bit value (lengths, magics) at an aligned offset
        const values = [0, 1, 7, 8, 12, 0xffffffff, 0x7fffffff, 0x10000000, 0x0a0d0d0a, 0x1a2b3c4d, 65536, 28];
        const v = values[rnd.int(values.length)]!;
        const p = at & ~3;
        if (p + 4 <= b.length) new DataView(b.buffer).setUint32(p, v, rnd.int(2) === 0);
        break;
      }
      case 3: // truncate
        b = b.slice(0, at);
        break;
      case 4: {
        // delete a range
        const len = 1 + rnd.int(16);
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + len)));
        break;
      }
      case 5: {
        // insert random bytes
        const ins = Uint8Array.from({ length: 1 + rnd.int(12) }, () => rnd.int(256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      default: {
        // duplicate a range
        const len = 1 + rnd.int(64);
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
      }
    }
  }
  return b;
}

function check(r: CaptureRecord, last: number): void {
  expect(r.data.length).toBe(r.capturedLength);
  expect(r.dataOffset + r.capturedLength).toBeLessThanOrEqual(r.buffer.length);
  expect(r.fileOffset).toBeGreaterThan(last);
  expect(r.tsNsec).toBeGreaterThanOrEqual(0);
  expect(r.tsNsec).toBeLessThan(1e9);
}

describe('fuzz: mutated capture files', () => {
  it('5000+ mutated files end in success or records-then-CaptureFileError, never another exception', async () => {
    const rnd = new SeededRandom(0xcafe);
    const bases = seeds();
    let errors = 0;
    let records = 0;
    const kinds = new Map<string, number>();
    const total = 5200;
    for (let i = 0; i < total; i++) {
      const bytes = mutate(bases[i % bases.length]!, rnd);
      const opts = {
        maxBlockBytes: 1 << 20,
        onOtherBlock: (b: Parameters<typeof decodeTcplabBlock>[0]) => {
          try {
            decodeTcplabBlock(b);
          } catch (e) {
            if (!(e instanceof CaptureFileError)) throw e;
          }
        },
      };
      let last = -1;
      try {
        if (i % 10 === 0) {
          // The streaming path: small chunks through the async reader.
          const chunks: Uint8Array[] = [];
          for (let p = 0; p < bytes.length; p += 13) chunks.push(bytes.subarray(p, p + 13));
          const reader = await AsyncCaptureReader.open(Readable.from(chunks), opts);
          for await (const r of reader) {
            check(r, last);
            last = r.fileOffset;
            records++;
          }
        } else {
          for (const r of CaptureReader.fromBytes(bytes, opts)) {
            check(r, last);
            last = r.fileOffset;
            records++;
          }
        }
      } catch (e) {
        if (!(e instanceof CaptureFileError)) throw new Error(`file ${i}: unexpected ${(e as Error)?.stack ?? e}`);
        expect(e.offset).toBeGreaterThan(last);
        expect(e.offset).toBeLessThanOrEqual(bytes.length);
        errors++;
        kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      }
    }
    // The mutations must reach both outcomes and several kinds of damage.
    expect(errors).toBeGreaterThan(total / 4);
    expect(errors).toBeLessThan(total);
    expect(records).toBeGreaterThan(total);
    expect(kinds.get('truncated')).toBeGreaterThan(0);
    expect(kinds.get('malformed')).toBeGreaterThan(0);
  }, 120_000);
});
