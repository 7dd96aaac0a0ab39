import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { ConversationInfo, LadderData } from '@shared/model/conversation';
import { unpackLadder } from '@shared/diagram/pack';
import { useSessionsStore } from './sessions';
import { useTimelineStore } from './timeline';

/**
 * TCP conversations of the selected session (from main's passive analysis, `conversation.list`)
 * and the ladder data of the chosen one (`conversation.ladder`), shared by the Ladder and State
 * machine views. Live sessions are re-queried at most twice a second while frames arrive.
 */
export const useConversationsStore = defineStore('conversations', () => {
  const sessions = useSessionsStore();
  const timeline = useTimelineStore();
  const list = shallowRef<ConversationInfo[]>([]);
  const stream = ref<number | null>(null);
  const ladder = shallowRef<LadderData | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let loadedFor: { session: number; frames: number } | null = null;
  let pending: ReturnType<typeof setTimeout> | null = null;

  async function refresh(): Promise<void> {
    const api = sessions.api();
    const sid = sessions.selectedId;
    if (!api || sid === null) {
      list.value = [];
      ladder.value = null;
      return;
    }
    const frames = sessions.selected?.frames.length ?? 0;
    if (loadedFor && loadedFor.session === sid && loadedFor.frames === frames) return;
    loadedFor = { session: sid, frames };
    loading.value = true;
    try {
      const convs = await api['conversation.list']({ sessionId: sid });
      if (sessions.selectedId !== sid) return;
      list.value = convs;
      // Default: the conversation with the most segments (the one worth drawing).
      if (stream.value === null || !convs.some((c) => c.stream === stream.value)) {
        let best: ConversationInfo | null = null;
        for (const c of convs) if (!best || c.segments > best.segments) best = c;
        stream.value = best ? best.stream : null;
      }
      await loadLadder();
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function loadLadder(): Promise<void> {
    const api = sessions.api();
    const sid = sessions.selectedId;
    if (!api || sid === null || stream.value === null) {
      ladder.value = null;
      return;
    }
    const data = unpackLadder(await api['conversation.ladder']({ sessionId: sid, stream: stream.value }));
    if (sessions.selectedId === sid && data.stream === stream.value) ladder.value = data;
  }

  async function choose(s: number): Promise<void> {
    if (s === stream.value) return;
    stream.value = s;
    timeline.reset();
    try {
      await loadLadder();
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  watch(
    () => sessions.selectedId,
    () => {
      stream.value = null;
      ladder.value = null;
      list.value = [];
      loadedFor = null;
      timeline.reset();
      void refresh();
    },
  );
  // Frames keep arriving for live sources: re-query, throttled.
  watch(
    () => sessions.revision,
    () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        void refresh();
      }, 500);
    },
  );

  return { list, stream, ladder, loading, error, refresh, choose };
});
