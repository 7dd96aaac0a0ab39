import { ref } from 'vue';
import type { RequestParams, TcplabApi } from '@shared/ipc/contract';
import { useSessionsStore } from '../stores/sessions';

/** What `export.render` takes, without the session (the selected one). */
export type ExportParams = Omit<RequestParams<'export.render'>, 'sessionId'>;

/** Hands bytes to the browser as a download (Blob + object URL; the CSP allows blob:). */
export function downloadBytes(bytes: Uint8Array | string, mime: string, fileName: string): void {
  const part = typeof bytes === 'string' ? bytes : (bytes as Uint8Array<ArrayBuffer>);
  const url = URL.createObjectURL(new Blob([part], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Every way out of the UI goes through here (docs/export.md):
 * - `exportFile`: main renders the export (`export.render`, the same code as `tcplab export`);
 * - `saveBytes`: bytes the renderer made itself (a chart image);
 * - `saveSession`: the session as pcapng with tcplab's state embedded.
 * In Electron each asks the native save dialog (`dialog.save`, in main) for the path and writes
 * there (`file.write` / `session.save`, only to that path); in the browser shell the bytes download.
 */
export function useExportDownload() {
  const sessions = useSessionsStore();
  const error = ref<string | null>(null);
  const busy = ref(false);
  /** The file name (browser) or path (Electron) of the last thing saved. */
  const saved = ref<string | null>(null);

  async function run(work: (api: TcplabApi, sessionId: number) => Promise<string | null>): Promise<void> {
    const api = sessions.api();
    const id = sessions.selectedId;
    if (!api || id === null) return;
    error.value = null;
    busy.value = true;
    try {
      const where = await work(api, id);
      if (where !== null) saved.value = where;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      busy.value = false;
    }
  }

  /** Electron: asks for a path; null when the user cancelled. */
  async function choosePath(api: TcplabApi, fileName: string): Promise<string | null> {
    return (await api['dialog.save']({ suggestedName: fileName })).path;
  }

  async function deliver(api: TcplabApi, bytes: Uint8Array, mime: string, fileName: string): Promise<string | null> {
    if (sessions.shell !== 'electron') {
      downloadBytes(bytes, mime, fileName);
      return fileName;
    }
    const path = await choosePath(api, fileName);
    if (path === null) return null;
    await api['file.write']({ path, bytes });
    return path;
  }

  function exportFile(params: ExportParams, baseName: string): Promise<void> {
    return run(async (api, sessionId) => {
      const res = await api['export.render']({ ...params, sessionId });
      return deliver(api, res.bytes, res.mime, `${baseName}.${res.extension}`);
    });
  }

  function saveBytes(make: () => Promise<Uint8Array> | Uint8Array, mime: string, fileName: string): Promise<void> {
    return run(async (api) => deliver(api, await make(), mime, fileName));
  }

  function saveSession(baseName: string): Promise<void> {
    return run(async (api, sessionId) => {
      const fileName = `${baseName}.pcapng`;
      if (sessions.shell === 'electron') {
        const path = await choosePath(api, fileName);
        if (path === null) return null;
        return (await api['session.save']({ sessionId, path })).path;
      }
      // The browser shell: the same bytes session.save writes, as a download.
      const res = await api['export.render']({ sessionId, format: 'pcapng', withState: true });
      downloadBytes(res.bytes, res.mime, fileName);
      return fileName;
    });
  }

  return { exportFile, saveBytes, saveSession, error, busy, saved };
}
