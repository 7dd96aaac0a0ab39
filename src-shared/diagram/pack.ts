/**
 * LadderData with its segments packed into columns of one byte array, for the IPC: a 100k-segment
 * ladder as JSON objects is ~1.3M values the receiving JSON.parse (and the codec's reviver) must
 * visit; as columns it is one binary attachment (50 bytes per segment) and a few small arrays.
 *
 * Layout of `columns` (n = segment count, little-endian as typed arrays are on every platform
 * tcplab runs on): Float64 tx[n], rx[n] (NaN = null), frame[n] (−1 = null); Uint32 seq[n], ack[n],
 * win[n], len[n], af[n], flags[n]; Uint8 dir[n], seen[n].
 */
import type { LadderData, LadderOptionsDto, LadderSegmentDto, PackedLadderData, SegmentSeen } from '../model/conversation';

const SEEN: SegmentSeen[] = ['both', 'one-sided', 'lost'];

export function packLadder(data: LadderData): PackedLadderData {
  const n = data.segments.length;
  const bytes = new Uint8Array(n * 50);
  const f64 = new Float64Array(bytes.buffer, 0, n * 3);
  const u32 = new Uint32Array(bytes.buffer, n * 24, n * 6);
  const u8 = new Uint8Array(bytes.buffer, n * 48, n * 2);
  const opts: [number, LadderOptionsDto][] = [];
  for (let i = 0; i < n; i++) {
    const s = data.segments[i]!;
    f64[i] = s.tx;
    f64[n + i] = s.rx ?? NaN;
    f64[2 * n + i] = s.frame ?? -1;
    u32[i] = s.seq;
    u32[n + i] = s.ack;
    u32[2 * n + i] = s.win;
    u32[3 * n + i] = s.len;
    u32[4 * n + i] = s.af;
    u32[5 * n + i] = s.flags;
    u8[i] = s.dir;
    u8[n + i] = SEEN.indexOf(s.seen);
    if (s.opts) opts.push([i, s.opts]);
  }
  const { segments: _omitted, ...rest } = data;
  return { ...rest, segmentCount: n, columns: bytes, options: opts };
}

export function unpackLadder(p: PackedLadderData): LadderData {
  const n = p.segmentCount;
  if (p.columns.length !== n * 50) throw new Error(`packed ladder: ${p.columns.length} bytes of columns for ${n} segments, expected ${n * 50}`);
  // A copy: the attachment may sit at any offset of the message, typed views need alignment.
  const bytes = p.columns.slice();
  const f64 = new Float64Array(bytes.buffer, 0, n * 3);
  const u32 = new Uint32Array(bytes.buffer, n * 24, n * 6);
  const u8 = new Uint8Array(bytes.buffer, n * 48, n * 2);
  const segments: LadderSegmentDto[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const rx = f64[n + i]!;
    const frame = f64[2 * n + i]!;
    segments[i] = {
      frame: frame < 0 ? null : frame,
      dir: u8[i] as 0 | 1,
      tx: f64[i]!,
      rx: Number.isNaN(rx) ? null : rx,
      seen: SEEN[u8[n + i]!] ?? 'one-sided',
      seq: u32[i]!,
      ack: u32[n + i]!,
      flags: u32[5 * n + i]!,
      win: u32[2 * n + i]!,
      len: u32[3 * n + i]!,
      af: u32[4 * n + i]!,
    };
  }
  for (const [i, o] of p.options) if (segments[i]) segments[i]!.opts = o;
  const { segmentCount: _n, columns: _c, options: _o, ...rest } = p;
  return { ...rest, segments };
}
