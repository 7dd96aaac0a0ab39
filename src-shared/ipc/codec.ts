/**
 * Binary framing for the WebSocket transport and the session worker's events: batches travel as
 * binary frames. Layout: magic 'TL' (2 bytes), version (1), reserved (1), header length (u32 LE),
 * the header as UTF-8 JSON, then the attachments back to back (each 8-byte aligned). Byte arrays
 * anywhere in the value travel as attachments ({"$bin": index} in the JSON), never as base64 or
 * number lists. Arrays of frame summaries (a `session.batch`, a `session.frames` page) travel as one
 * columnar attachment ({"$frames": index}; src-shared/ipc/frame-columns.ts), not as JSON objects.
 */
import { decodeFrameColumns, encodeFrameColumns, FrameColumnsError, looksLikeFrameSummary } from './frame-columns';

const MAGIC0 = 0x54; // 'T'
const MAGIC1 = 0x4c; // 'L'
/** 2: frame-summary arrays as columns. */
const VERSION = 2;

interface Attachment {
  $bin: number;
  length: number;
}

interface FramesAttachment {
  $frames: number;
  length: number;
}

export class CodecError extends Error {
  override name = 'CodecError';
}

export function encodeMessage(value: unknown): Uint8Array {
  const attachments: Uint8Array[] = [];
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) {
      attachments.push(v);
      return { $bin: attachments.length - 1, length: v.length } satisfies Attachment;
    }
    if (Array.isArray(v) && v.length > 0 && looksLikeFrameSummary(v[0])) {
      const block = encodeFrameColumns(v);
      if (block) {
        attachments.push(block);
        return { $frames: attachments.length - 1, length: block.length } satisfies FramesAttachment;
      }
    }
    return v;
  });
  const header = new TextEncoder().encode(json);
  let size = 8 + header.length;
  const offsets: number[] = [];
  for (const a of attachments) {
    size = align8(size);
    offsets.push(size);
    size += a.length;
  }
  const out = new Uint8Array(size);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = VERSION;
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  attachments.forEach((a, i) => out.set(a, offsets[i]!));
  return out;
}

export function decodeMessage(bytes: Uint8Array): unknown {
  if (bytes.length < 8 || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) {
    throw new CodecError('not a tcplab message: bad magic');
  }
  if (bytes[2] !== VERSION) throw new CodecError(`unsupported message version ${bytes[2]}, expected ${VERSION}`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + headerLength > bytes.length) {
    throw new CodecError(`message header says ${headerLength} bytes, only ${bytes.length - 8} present`);
  }
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  let cursor = 8 + headerLength;
  let attachmentCount = 0;
  const nextAttachment = (index: unknown, length: unknown): Uint8Array => {
    if (index !== attachmentCount) throw new CodecError(`attachment ${String(index)} out of order, expected ${attachmentCount}`);
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new CodecError(`attachment ${attachmentCount}: length ${JSON.stringify(length)} is not a byte count`);
    }
    cursor = align8(cursor);
    if (cursor + length > bytes.length) throw new CodecError(`attachment ${attachmentCount} runs past the message end (${cursor + length} > ${bytes.length} bytes)`);
    const view = bytes.subarray(cursor, cursor + length);
    cursor += length;
    attachmentCount++;
    return view;
  };
  const parsed: unknown = JSON.parse(json, (_key, v: unknown) => {
    if (v && typeof v === 'object' && 'length' in v) {
      if ('$bin' in v) {
        const att = v as Attachment;
        // A copy: the value may outlive the message buffer (and be transferred on its own).
        return nextAttachment(att.$bin, att.length).slice();
      }
      if ('$frames' in v) {
        const att = v as FramesAttachment;
        const index = attachmentCount;
        try {
          return decodeFrameColumns(nextAttachment(att.$frames, att.length));
        } catch (err) {
          if (err instanceof FrameColumnsError) throw new CodecError(`attachment ${index}: ${err.message}`);
          throw err;
        }
      }
    }
    return v;
  });
  return parsed;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
