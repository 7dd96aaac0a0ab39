/**
 * The one error type of the wire layer (design principle 7: errors are specific).
 *
 * `kind` keeps the two ways a frame can be bad apart (Wireshark's tvbuff does the same with its
 * captured vs reported length):
 * - `truncated`: the captured bytes end before the structure does (a snap-length cut, or a buffer
 *   handed to a standalone parser that is shorter than the header says);
 * - `malformed`: the bytes themselves say something impossible (IHL < 5, a TCP option whose length
 *   runs past the header, an IP total length longer than the frame on the wire …).
 *
 * `offset` is the byte offset in the buffer that was handed to the parser (for `decodePacket`, the
 * offset in the frame), so a UI can point at the byte.
 */
export type WireErrorKind = 'truncated' | 'malformed';

// Engines that capture stack traces (V8) read this on construction.
const ErrorCtor = Error as unknown as { stackTraceLimit?: number };

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly kind: WireErrorKind;
  readonly layer: string;
  readonly field: string;
  readonly offset: number;
  readonly expected: string;
  readonly found: string;
  constructor(kind: WireErrorKind, layer: string, field: string, offset: number, expected: string, found: string) {
    // A WireError describes bad bytes, not a bug: the stack trace says nothing useful, and
    // capturing it made an error cost ~20 us (a fuzz run or a damaged capture makes millions).
    const limit = ErrorCtor.stackTraceLimit;
    ErrorCtor.stackTraceLimit = 0;
    super(`${layer}: ${field} at byte ${offset}: expected ${expected}, found ${found}`);
    ErrorCtor.stackTraceLimit = limit;
    this.kind = kind;
    this.layer = layer;
    this.field = field;
    this.offset = offset;
    this.expected = expected;
    this.found = found;
  }
}

/** The captured bytes end before `needed` bytes starting at `offset` (so `available` were there). */
export function truncatedError(layer: string, field: string, offset: number, needed: number, available: number): WireError {
  return new WireError('truncated', layer, field, offset, `${needed} bytes`, `${available < 0 ? 0 : available} captured`);
}

export function malformedError(layer: string, field: string, offset: number, expected: string, found: string | number): WireError {
  return new WireError('malformed', layer, field, offset, expected, String(found));
}

/**
 * Fewer than `needed` bytes are left for a structure at `offset`. If the frame on the wire had
 * enough bytes (`wireAvailable >= needed`) the capture was cut: truncated. Otherwise the frame
 * itself is too short for what the layer below announced: malformed.
 */
export function shortError(
  layer: string,
  field: string,
  offset: number,
  needed: number,
  capturedAvailable: number,
  wireAvailable: number,
): WireError {
  if (wireAvailable >= needed) return truncatedError(layer, field, offset, needed, capturedAvailable);
  return new WireError('malformed', layer, field, offset, `>= ${needed} bytes`, `${wireAvailable < 0 ? 0 : wireAvailable} on the wire`);
}
