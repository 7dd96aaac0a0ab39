import { ref } from 'vue';
import type { RequestParams } from '@shared/ipc/contract';
import { useSessionsStore } from '../stores/sessions';

/**
 * Asks main for an export (`export.render`: the bytes of an SVG, PNG, PDF, CSV, JSON, pcap …) and
 * hands it to the user as a download (Blob + object URL; the CSP allows blob:).
 */
export function useExportDownload() {
  const sessions = useSessionsStore();
  const error = ref<string | null>(null);
  const busy = ref(false);

  async function download(params: Omit<RequestParams<'export.render'>, 'sessionId'>, baseName: string): Promise<void> {
    const api = sessions.api();
    const id = sessions.selectedId;
    if (!api || id === null) return;
    error.value = null;
    busy.value = true;
    try {
      const res = await api['export.render']({ ...params, sessionId: id });
      const url = URL.createObjectURL(new Blob([res.bytes as Uint8Array<ArrayBuffer>], { type: res.mime }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${baseName}.${res.extension}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      busy.value = false;
    }
  }
  return { download, error, busy };
}
