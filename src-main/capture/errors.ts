/**
 * The one error type of the capture-file readers and writers.
 *
 * A reader that meets damaged input has already delivered every valid record before it; the
 * error then says where the damage starts (`offset`, a byte offset from the start of the file
 * or stream) and what is wrong (`reason`). `kind` separates the three situations a caller may
 * want to treat differently:
 *  - 'truncated': the file ends inside a header or record (e.g. a capture still being written,
 *    or a download cut short);
 *  - 'malformed': the bytes say something impossible (bad magic, bad lengths, undefined interface);
 *  - 'limit': a block is larger than the reader's safety cap (`maxBlockBytes`);
 *  - 'unsupported': a valid but unsupported variant (e.g. a modified-pcap magic, pcapng 2.0);
 *  - 'io': the operating system failed a read or write (the cause is in `cause`).
 */
export type CaptureErrorKind = 'truncated' | 'malformed' | 'limit' | 'unsupported' | 'io';

export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';

  constructor(
    /** 'pcap', 'pcapng', or 'capture' before the format is known. */
    readonly format: 'pcap' | 'pcapng' | 'capture',
    /** Byte offset in the file where the damaged header, record or block starts. */
    readonly offset: number,
    /** What is wrong, e.g. 'total length 7 is not a multiple of 4'. */
    readonly reason: string,
    readonly kind: CaptureErrorKind = 'malformed',
    /** What was at the offset: 'record', 'block', 'file header', 'option'… (for the message). */
    readonly what: string = 'record',
    options?: { cause?: unknown },
  ) {
    super(`${format}: ${what} at byte ${offset}: ${reason}`, options);
  }
}
