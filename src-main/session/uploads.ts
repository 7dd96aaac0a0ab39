import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcError } from '@shared/ipc/contract';
import { FileSource } from './sources/file';

interface Upload {
  name: string;
  size: number;
  received: number;
  fd: number;
  dir: string;
  path: string;
}

/** Uploads held at once; more are refused until one finishes or is cancelled. */
const MAX_OPEN_UPLOADS = 8;

/**
 * Captures that arrive from the renderer in chunks (drag and drop, the file picker) are written to
 * a private temporary file, then read like any file: streamed, with progress, in constant memory.
 * The file is removed when its session closes (or the upload is cancelled).
 */
export class UploadStore {
  private readonly uploads = new Map<number, Upload>();
  private nextId = 1;
  private readonly root = join(tmpdir(), 'tcplab-uploads');

  begin(name: string, size: number): number {
    if (this.uploads.size >= MAX_OPEN_UPLOADS) {
      throw new RpcError('EINVAL', `too many uploads in progress (${MAX_OPEN_UPLOADS}); finish or cancel one first`);
    }
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const dir = mkdtempSync(join(this.root, 'u-'));
    // Only the base name, stripped of anything a path could use.
    const safe = name.replace(/[^\w.+-]/g, '_').slice(0, 100) || 'capture';
    const path = join(dir, safe);
    const fd = openSync(path, 'wx', 0o600);
    const id = this.nextId++;
    this.uploads.set(id, { name, size, received: 0, fd, dir, path });
    return id;
  }

  chunk(id: number, offset: number, bytes: Uint8Array): number {
    const u = this.get(id);
    if (offset !== u.received) {
      throw new RpcError('EINVAL', `upload ${id}: chunk at offset ${offset}, expected ${u.received} (chunks must arrive in order)`);
    }
    if (u.received + bytes.length > u.size) {
      throw new RpcError('EINVAL', `upload ${id}: ${u.received + bytes.length} bytes would exceed the announced size ${u.size}`);
    }
    writeSync(u.fd, bytes);
    u.received += bytes.length;
    return u.received;
  }

  /** Completes the upload and returns a file source over it that removes the file when stopped. */
  finish(id: number): FileSource {
    const u = this.get(id);
    closeSync(u.fd);
    this.uploads.delete(id);
    if (u.received !== u.size) {
      rmSync(u.dir, { recursive: true, force: true });
      throw new RpcError('EINVAL', `upload ${id}: received ${u.received} of ${u.size} bytes`);
    }
    return new FileSource(u.path, { label: u.name, onStop: () => rmSync(u.dir, { recursive: true, force: true }) });
  }

  cancel(id: number): void {
    const u = this.get(id);
    closeSync(u.fd);
    rmSync(u.dir, { recursive: true, force: true });
    this.uploads.delete(id);
  }

  dispose(): void {
    for (const id of [...this.uploads.keys()]) this.cancel(id);
  }

  private get(id: number): Upload {
    const u = this.uploads.get(id);
    if (!u) throw new RpcError('EINVAL', `no upload ${id} in progress`);
    return u;
  }
}
