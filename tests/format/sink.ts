import { Writable } from 'node:stream';

/** A Writable that keeps everything written to it, for capturing a command's stdout/stderr. */
export class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    done();
  }
}
