import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionRegistry } from '../../src-main/session/registry';
import { createSource } from '../../src-main/session/sources';
import { findDemoCapture } from '../../src-main/session/sources/demo';
import { createDispatcher } from '../../src-main/transport/dispatcher';
import { UPLOAD_CHUNK_BYTES } from '@shared/ipc/contract';
import type { SessionInfo } from '@shared/model/frames';

let registry: SessionRegistry | undefined;
afterEach(() => registry?.dispose());

function setup() {
  registry = new SessionRegistry({ createSource });
  const dispatch = createDispatcher({ registry, version: 'test', shell: 'browser', initialSessionId: () => null });
  return { registry, dispatch };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
}

const uploadDirs = () => (existsSync(join(tmpdir(), 'tcplab-uploads')) ? readdirSync(join(tmpdir(), 'tcplab-uploads')) : []);

describe('uploads', () => {
  it('turn chunks into a file session that reports progress to the end', async () => {
    const { registry, dispatch } = setup();
    const bytes = new Uint8Array(readFileSync(findDemoCapture()));
    const { uploadId } = (await dispatch('upload.begin', { name: 'my capture.pcapng', size: bytes.length })) as { uploadId: number };
    const half = Math.floor(bytes.length / 2);
    await dispatch('upload.chunk', { uploadId, offset: 0, bytes: bytes.subarray(0, half) });
    await dispatch('upload.chunk', { uploadId, offset: half, bytes: bytes.subarray(half) });
    const info = (await dispatch('upload.finish', { uploadId })) as SessionInfo;
    expect(info.label).toBe('my capture.pcapng');
    await until(() => registry.get(info.id).state === 'done');
    const listed = registry.list().find((s) => s.id === info.id)!;
    expect(listed.frameCount).toBe(18);
    expect(listed.progress).toEqual({ done: bytes.length, total: bytes.length });
    const before = uploadDirs().length;
    registry.close(info.id);
    // Closing the session removes its temporary file.
    expect(uploadDirs().length).toBe(before - 1);
  });

  it('refuse chunks out of order, beyond the announced size, or too large', async () => {
    const { dispatch } = setup();
    const { uploadId } = (await dispatch('upload.begin', { name: 'x.pcap', size: 10 })) as { uploadId: number };
    await expect(dispatch('upload.chunk', { uploadId, offset: 4, bytes: new Uint8Array(4) })).rejects.toThrow(
      'chunk at offset 4, expected 0 (chunks must arrive in order)',
    );
    await expect(dispatch('upload.chunk', { uploadId, offset: 0, bytes: new Uint8Array(11) })).rejects.toThrow('would exceed the announced size 10');
    await expect(dispatch('upload.chunk', { uploadId, offset: 0, bytes: new Uint8Array(UPLOAD_CHUNK_BYTES + 1) })).rejects.toThrow(
      /bytes: expected bytes \(at most 524288\), found bytes\(524289\)/,
    );
    await expect(dispatch('upload.finish', { uploadId })).rejects.toThrow('received 0 of 10 bytes');
  });

  it('cancel removes the partial file', async () => {
    const { dispatch } = setup();
    const before = uploadDirs().length;
    const { uploadId } = (await dispatch('upload.begin', { name: '../../etc/passwd', size: 100 })) as { uploadId: number };
    expect(uploadDirs().length).toBe(before + 1);
    await dispatch('upload.chunk', { uploadId, offset: 0, bytes: new Uint8Array(50) });
    await dispatch('upload.cancel', { uploadId });
    expect(uploadDirs().length).toBe(before);
  });

  it('a damaged upload yields its valid frames, then an error naming the byte offset', async () => {
    const { registry, dispatch } = setup();
    const bytes = new Uint8Array(readFileSync(findDemoCapture()));
    const cut = bytes.subarray(0, bytes.length - 30);
    const { uploadId } = (await dispatch('upload.begin', { name: 'cut.pcapng', size: cut.length })) as { uploadId: number };
    await dispatch('upload.chunk', { uploadId, offset: 0, bytes: cut });
    const info = (await dispatch('upload.finish', { uploadId })) as SessionInfo;
    await until(() => registry.get(info.id).state === 'error');
    const session = registry.get(info.id);
    expect(session.frames.length).toBe(17);
    expect(session.error).toMatch(/byte \d+/);
  });
});
