import { onBeforeUnmount, ref, shallowRef, watch } from 'vue';
import type { SessionSeries } from '@shared/model/series';
import { useSessionsStore } from '../stores/sessions';
import { useConversationsStore } from '../stores/conversations';

/**
 * `session.series` of the conversation chosen in the shared conversations store (the same one the
 * Ladder shows), re-queried at most once a second while a live session grows.
 */
export function useConversationSeries() {
  const sessions = useSessionsStore();
  const conversations = useConversationsStore();
  const series = shallowRef<SessionSeries | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let serial = 0;

  async function load(): Promise<void> {
    const api = sessions.api();
    const sid = sessions.selectedId;
    const stream = conversations.stream;
    const mine = ++serial;
    if (!api || sid === null || stream === null) {
      series.value = null;
      return;
    }
    loading.value = true;
    try {
      const s = await api['session.series']({ sessionId: sid, stream });
      if (mine === serial) {
        series.value = s;
        error.value = null;
      }
    } catch (err) {
      if (mine === serial) error.value = (err as Error).message;
    } finally {
      if (mine === serial) loading.value = false;
    }
  }

  if (conversations.list.length === 0) void conversations.refresh();
  watch(() => [sessions.selectedId, conversations.stream], () => void load(), { immediate: true });
  watch(
    () => sessions.revision,
    () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void load();
      }, 1000);
    },
  );
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
  });

  return { series, error, loading, reload: load };
}
