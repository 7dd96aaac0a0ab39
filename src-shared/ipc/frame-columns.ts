/**
 * Frame summaries on the wire as columns instead of one JSON object per frame (issue 9 §5: 100k
 * frames/s to the renderer). Numbers travel in typed arrays; src, dst, protocol and flags, which
 * repeat, are indices into a string table sent once per block; the Info lines, which rarely repeat,
 * travel as one UTF-8 run with a length per frame. Encoding costs no object per frame, and decoding
 * is a few native calls plus the FrameSummary objects the renderer keeps anyway.
 *
 * Block layout (little-endian; every section starts 8-byte aligned, zero padding between):
 *   header  8 × u32: magic 'TLFC', version, count, strings, stringBytes, infoBytes, flagRefs, 0
 *   t        f64[count]     seconds since the session's first frame
 *   tsUs     f64[count]
 *   no       u32[count]
 *   length   u32[count]
 *   stream   i32[count]
 *   src      u32[count]     string-table index
 *   dst      u32[count]     string-table index
 *   protocol u32[count]     string-table index
 *   infoLen  u32[count]     UTF-16 code units of each Info line
 *   flagCnt  u8[count]      flags of each frame
 *   flagRefs u32[flagRefs]  string-table indices of every frame's flags, in order
 *   strLen   u32[strings]   UTF-16 code units of each table entry
 *   strUtf8  u8[stringBytes] the table entries back to back
 *   infoUtf8 u8[infoBytes]  the Info lines back to back
 * Lengths are UTF-16 code units because the decoder slices the one decoded string, never bytes.
 * Strings round-trip exactly unless they hold unpaired surrogates (UTF-8 turns each into U+FFFD).
 */
import type { FrameSummary } from '../model/frames';

export class FrameColumnsError extends Error {
  override name = 'FrameColumnsError';
}

const MAGIC = 0x4346_4c54; // 'TLFC' read as a little-endian u32
const VERSION = 1;
const HEADER_BYTES = 32;
/** Typed arrays use the platform's byte order; the block is little-endian (x86-64, arm64). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const SUMMARY_KEYS = 10; // no, t, tsUs, src, dst, protocol, length, info, stream, flags

/** True when `v` has FrameSummary's fields: worth trying the columnar encoding. */
export function looksLikeFrameSummary(v: unknown): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as FrameSummary).no === 'number' &&
    typeof (v as FrameSummary).info === 'string' &&
    Array.isArray((v as FrameSummary).flags)
  );
}

// Scratch space reused from one block to the next: the encoder allocates nothing per frame.
let scratchIndex = new Uint32Array(4 * 1024);
let scratchFlags = new Uint32Array(1024);
const scratchInfo: string[] = [];
const utf8 = new TextEncoder();

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}

function isInt32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

interface Layout {
  t: number;
  tsUs: number;
  no: number;
  length: number;
  stream: number;
  src: number;
  dst: number;
  protocol: number;
  infoLen: number;
  flagCnt: number;
  flagRefs: number;
  strLen: number;
  strUtf8: number;
  infoUtf8: number;
  end: number;
}

function layout(count: number, strings: number, stringBytes: number, infoBytes: number, flagRefs: number): Layout {
  let at = HEADER_BYTES;
  const take = (bytes: number): number => {
    const start = at;
    at = align8(at + bytes);
    return start;
  };
  const l = {
    t: take(count * 8),
    tsUs: take(count * 8),
    no: take(count * 4),
    length: take(count * 4),
    stream: take(count * 4),
    src: take(count * 4),
    dst: take(count * 4),
    protocol: take(count * 4),
    infoLen: take(count * 4),
    flagCnt: take(count),
    flagRefs: take(flagRefs * 4),
    strLen: take(strings * 4),
    strUtf8: take(stringBytes),
    infoUtf8: 0,
    end: 0,
  };
  l.infoUtf8 = at;
  l.end = at + infoBytes;
  return l;
}

/**
 * Encodes frame summaries as one columnar block, or returns null when an element is not exactly a
 * FrameSummary (a missing or extra field, a number out of its column's range): the caller then
 * sends the array as JSON, so nothing is ever changed on the way.
 */
export function encodeFrameColumns(frames: readonly unknown[]): Uint8Array | null {
  if (!LITTLE_ENDIAN) return null;
  const count = frames.length;
  if (scratchIndex.length < count * 3) scratchIndex = new Uint32Array(Math.max(count * 3, scratchIndex.length * 2));
  const table = new Map<string, number>();
  const strings: string[] = [];
  const intern = (s: string): number => {
    let i = table.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      table.set(s, i);
    }
    return i;
  };
  let flagRefs = 0;
  scratchInfo.length = 0;
  for (let i = 0; i < count; i++) {
    const f = frames[i] as FrameSummary;
    if (typeof f !== 'object' || f === null) return null;
    let keys = 0;
    for (const _ in f) keys++;
    if (keys !== SUMMARY_KEYS) return null;
    const { src, dst, protocol, info, flags } = f;
    if (
      !isUint32(f.no) ||
      typeof f.t !== 'number' ||
      typeof f.tsUs !== 'number' ||
      !isUint32(f.length) ||
      !isInt32(f.stream) ||
      typeof src !== 'string' ||
      typeof dst !== 'string' ||
      typeof protocol !== 'string' ||
      typeof info !== 'string' ||
      !Array.isArray(flags) ||
      flags.length > 255
    ) {
      return null;
    }
    scratchIndex[i * 3] = intern(src);
    scratchIndex[i * 3 + 1] = intern(dst);
    scratchIndex[i * 3 + 2] = intern(protocol);
    scratchInfo.push(info);
    for (const flag of flags) {
      if (typeof flag !== 'string') return null;
      if (flagRefs === scratchFlags.length) {
        const grown = new Uint32Array(scratchFlags.length * 2);
        grown.set(scratchFlags);
        scratchFlags = grown;
      }
      scratchFlags[flagRefs++] = intern(flag);
    }
  }
  const infoUtf8 = utf8.encode(scratchInfo.join(''));
  scratchInfo.length = 0;
  const strUtf8 = utf8.encode(strings.join(''));
  const l = layout(count, strings.length, strUtf8.length, infoUtf8.length, flagRefs);
  const out = new Uint8Array(l.end);
  const buf = out.buffer;
  new Uint32Array(buf, 0, 8).set([MAGIC, VERSION, count, strings.length, strUtf8.length, infoUtf8.length, flagRefs, 0]);
  const t = new Float64Array(buf, l.t, count);
  const tsUs = new Float64Array(buf, l.tsUs, count);
  const no = new Uint32Array(buf, l.no, count);
  const length = new Uint32Array(buf, l.length, count);
  const stream = new Int32Array(buf, l.stream, count);
  const src = new Uint32Array(buf, l.src, count);
  const dst = new Uint32Array(buf, l.dst, count);
  const protocol = new Uint32Array(buf, l.protocol, count);
  const infoLen = new Uint32Array(buf, l.infoLen, count);
  const flagCnt = new Uint8Array(buf, l.flagCnt, count);
  for (let i = 0; i < count; i++) {
    const f = frames[i] as FrameSummary;
    t[i] = f.t;
    tsUs[i] = f.tsUs;
    no[i] = f.no;
    length[i] = f.length;
    stream[i] = f.stream;
    src[i] = scratchIndex[i * 3]!;
    dst[i] = scratchIndex[i * 3 + 1]!;
    protocol[i] = scratchIndex[i * 3 + 2]!;
    infoLen[i] = f.info.length;
    flagCnt[i] = f.flags.length;
  }
  new Uint32Array(buf, l.flagRefs, flagRefs).set(scratchFlags.subarray(0, flagRefs));
  const strLen = new Uint32Array(buf, l.strLen, strings.length);
  for (let i = 0; i < strings.length; i++) strLen[i] = strings[i]!.length;
  out.set(strUtf8, l.strUtf8);
  out.set(infoUtf8, l.infoUtf8);
  return out;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new FrameColumnsError(`frame columns: ${what} is not valid UTF-8`);
  }
}

/** Decodes a block made by encodeFrameColumns; a damaged block throws FrameColumnsError naming what is wrong. */
export function decodeFrameColumns(block: Uint8Array): FrameSummary[] {
  if (!LITTLE_ENDIAN) throw new FrameColumnsError('frame columns: this decoder needs a little-endian platform');
  if (block.length < HEADER_BYTES) throw new FrameColumnsError(`frame columns: block of ${block.length} bytes is shorter than its ${HEADER_BYTES}-byte header`);
  // Typed-array views need 8-byte alignment; a block inside a pooled buffer may not have it.
  if (block.byteOffset % 8 !== 0) block = block.slice();
  const buf = block.buffer;
  const base = block.byteOffset;
  const [magic, version, count, strings, stringBytes, infoBytes, flagRefs] = new Uint32Array(buf, base, 8) as unknown as number[];
  if (magic !== MAGIC) throw new FrameColumnsError(`frame columns: bad magic 0x${magic!.toString(16)} at byte 0, expected 0x${MAGIC.toString(16)}`);
  if (version !== VERSION) throw new FrameColumnsError(`frame columns: unsupported version ${version} at byte 4, expected ${VERSION}`);
  const l = layout(count!, strings!, stringBytes!, infoBytes!, flagRefs!);
  if (l.end !== block.length) {
    throw new FrameColumnsError(`frame columns: header (count ${count}, ${strings} strings, ${flagRefs} flags, ${infoBytes} info bytes) needs ${l.end} bytes, block has ${block.length}`);
  }
  const n = count!;
  const t = new Float64Array(buf, base + l.t, n);
  const tsUs = new Float64Array(buf, base + l.tsUs, n);
  const no = new Uint32Array(buf, base + l.no, n);
  const length = new Uint32Array(buf, base + l.length, n);
  const stream = new Int32Array(buf, base + l.stream, n);
  const src = new Uint32Array(buf, base + l.src, n);
  const dst = new Uint32Array(buf, base + l.dst, n);
  const protocol = new Uint32Array(buf, base + l.protocol, n);
  const infoLen = new Uint32Array(buf, base + l.infoLen, n);
  const flagCnt = new Uint8Array(buf, base + l.flagCnt, n);
  const refs = new Uint32Array(buf, base + l.flagRefs, flagRefs!);
  const strLen = new Uint32Array(buf, base + l.strLen, strings!);

  const tableText = decodeUtf8(block.subarray(l.strUtf8, l.strUtf8 + stringBytes!), 'the string table');
  const table: string[] = new Array<string>(strings!);
  let at = 0;
  for (let i = 0; i < strings!; i++) {
    const end = at + strLen[i]!;
    if (end > tableText.length) throw new FrameColumnsError(`frame columns: string ${i} ends at char ${end}, the table has ${tableText.length}`);
    table[i] = tableText.substring(at, end);
    at = end;
  }
  if (at !== tableText.length) throw new FrameColumnsError(`frame columns: string lengths sum to ${at} chars, the table has ${tableText.length}`);

  const infoText = decodeUtf8(block.subarray(l.infoUtf8, l.infoUtf8 + infoBytes!), 'the Info text');
  const stringAt = (i: number, column: string, row: number): string => {
    const s = table[i];
    if (s === undefined) throw new FrameColumnsError(`frame columns: row ${row} ${column} refers to string ${i}, the table has ${strings}`);
    return s;
  };
  const out: FrameSummary[] = new Array<FrameSummary>(n);
  let infoAt = 0;
  let refAt = 0;
  for (let i = 0; i < n; i++) {
    const infoEnd = infoAt + infoLen[i]!;
    if (infoEnd > infoText.length) throw new FrameColumnsError(`frame columns: row ${i} Info ends at char ${infoEnd}, the text has ${infoText.length}`);
    const k = flagCnt[i]!;
    if (refAt + k > flagRefs!) throw new FrameColumnsError(`frame columns: row ${i} has ${k} flags past the ${flagRefs} flag references`);
    const flags: string[] = [];
    for (let j = 0; j < k; j++) flags.push(stringAt(refs[refAt++]!, 'flag', i));
    out[i] = {
      no: no[i]!,
      t: t[i]!,
      tsUs: tsUs[i]!,
      src: stringAt(src[i]!, 'src', i),
      dst: stringAt(dst[i]!, 'dst', i),
      protocol: stringAt(protocol[i]!, 'protocol', i),
      length: length[i]!,
      info: infoText.substring(infoAt, infoEnd),
      stream: stream[i]!,
      flags,
    };
    infoAt = infoEnd;
  }
  if (infoAt !== infoText.length) throw new FrameColumnsError(`frame columns: Info lengths sum to ${infoAt} chars, the text has ${infoText.length}`);
  if (refAt !== flagRefs) throw new FrameColumnsError(`frame columns: rows use ${refAt} flag references, the header says ${flagRefs}`);
  return out;
}
