import { defineStore } from 'pinia';
import { ref } from 'vue';

/**
 * The one shared cursor of all views (issue 8 §6). Kept deliberately small:
 *
 * - `time`: seconds since the session's first frame (the same clock as FrameSummary.t), or null
 *   when nothing is selected ("show the end").
 * - `frame`: the selected frame number (1-based, FrameSummary.no), or null.
 * - `origin`: which view moved it last ('ladder', 'stateMachine', 'packets', 'playback' …), so a
 *   view can ignore its own echo (e.g. not scroll itself when it set the cursor).
 * - `serial`: bumped on every move, so watchers fire even when the same frame is chosen again.
 *
 * Views read it and call `setCursor`; playback (play/pause/step/speed) can be built on top by
 * moving `time` on a timer and `frame` to the last frame at or before it. Sessions own their
 * times, so `reset()` is called when the selected session changes.
 */
export const useTimelineStore = defineStore('timeline', () => {
  const time = ref<number | null>(null);
  const frame = ref<number | null>(null);
  const origin = ref('');
  const serial = ref(0);

  function setCursor(cursor: { time: number | null; frame?: number | null; origin: string }): void {
    time.value = cursor.time;
    frame.value = cursor.frame ?? null;
    origin.value = cursor.origin;
    serial.value++;
  }

  function reset(): void {
    setCursor({ time: null, frame: null, origin: 'reset' });
  }

  return { time, frame, origin, serial, setCursor, reset };
});
