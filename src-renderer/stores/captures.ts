import { defineStore } from 'pinia';
import { ref } from 'vue';
import { UPLOAD_CHUNK_BYTES } from '@shared/ipc/contract';
import { useSessionsStore } from './sessions';

const RECENT_KEY = 'tcplab.recentFiles';
const MAX_RECENT = 8;

function loadRecent(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/**
 * Opening captures: by path (remembered as recent files), or by sending the file's bytes from the
 * page (drag and drop, the file picker) in chunks, with upload progress and cancel.
 */
export const useCapturesStore = defineStore('captures', () => {
  const sessions = useSessionsStore();
  const recent = ref<string[]>(loadRecent());
  const upload = ref<{ name: string; sent: number; total: number } | null>(null);
  const error = ref<string | null>(null);
  let cancelRequested = false;

  function remember(path: string): void {
    recent.value = [path, ...recent.value.filter((p) => p !== path)].slice(0, MAX_RECENT);
    localStorage.setItem(RECENT_KEY, JSON.stringify(recent.value));
  }

  async function openPath(path: string): Promise<void> {
    error.value = null;
    try {
      await sessions.open({ kind: 'file', path });
      remember(path);
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function uploadFile(file: File): Promise<void> {
    const api = sessions.api();
    if (!api) return;
    error.value = null;
    cancelRequested = false;
    upload.value = { name: file.name, sent: 0, total: file.size };
    let uploadId: number | null = null;
    try {
      uploadId = (await api['upload.begin']({ name: file.name, size: file.size })).uploadId;
      for (let offset = 0; offset < file.size; offset += UPLOAD_CHUNK_BYTES) {
        if (cancelRequested) {
          await api['upload.cancel']({ uploadId });
          return;
        }
        const bytes = new Uint8Array(await file.slice(offset, offset + UPLOAD_CHUNK_BYTES).arrayBuffer());
        await api['upload.chunk']({ uploadId, offset, bytes });
        upload.value = { name: file.name, sent: offset + bytes.length, total: file.size };
      }
      const info = await api['upload.finish']({ uploadId });
      sessions.adopt(info);
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      upload.value = null;
    }
  }

  function cancelUpload(): void {
    cancelRequested = true;
  }

  return { recent, upload, error, openPath, uploadFile, cancelUpload };
});
