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
export {
  PcapWriter,
  PcapngWriter,
  AtomicFileSink,
  MemorySink,
  type ByteSink,
  type PcapWriterOptions,
  type PcapngWriterOptions,
  type PcapngInterfaceOptions,
  TCPLAB_PEN,
  TCPLAB_BLOCK_VERSION,
  TCPLAB_ENCODING_JSON,
  TCPLAB_ENCODING_BINARY,
  TCPLAB_KIND_STACK_STATE,
  TCPLAB_KIND_NOTE,
  encodeTcplabPayload,
  decodeTcplabBlock,
  type TcplabBlock,
  encodePcap,
  encodePcapng,
  writePcapFile,
  writePcapngFile,
} from './writer';
export {
  syntheticFrames,
  writeSyntheticCapture,
  cachedSyntheticCapture,
  type SyntheticOptions,
  type SyntheticCaptureInfo,
} from './synthetic';
