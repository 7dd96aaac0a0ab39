/**
 * Capture files: pcap and pcapng readers and writers. See docs/capture-files.md.
 */
export * from './types';
export { CaptureFileError, type CaptureErrorKind } from './errors';
export {
  detectCaptureFormat,
  type DetectedFormat,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_BLOCK_BYTES,
  MAX_INTERFACES_PER_SECTION,
} from './decoder';
export {
  CaptureReader,
  AsyncCaptureReader,
  readCapture,
  readCaptureSync,
  type CaptureMetadata,
  type CaptureContents,
} from './reader';
