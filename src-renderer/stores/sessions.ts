import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { FrameSummary, SessionInfo, SessionStatus } from '@shared/model/frames';
import type { ProbeEvent } from '@shared/model/probe';
import type { AppInfo, SourceSpec, TcplabApi } from '@shared/ipc/contract';
import { getApi, onBackendClosed } from '../api';

interface SessionData {
  info: SessionInfo;
  rate: number;
  /** Long arrays live in shallow refs and are appended in place (design principle 8). */
  frames: FrameSummary[];
  probes: ProbeEvent[];
  /** Drops reported by the batches this window received. */
  droppedSeen: number;
}

/**
 * Sessions and their streamed data. Batches arrive every 16–50 ms; they are appended in place and
 * the shallow ref is triggered once per animation frame, so the table redraws at most 60 times a
 * second however fast frames arrive.
 */
export const useSessionsStore = defineStore('sessions', () => {
  const sessions = shallowRef(new Map<number, SessionData>());
  const selectedId = ref<number | null>(null);
  /** Which shell carries the app: Electron saves through the native dialog, the browser downloads. */
  const shell = ref<AppInfo['shell'] | null>(null);
  const error = ref<string | null>(null);
  /** The backend went away after a working session (`tcplab serve` stopped): why, as the close frame said. */
  const backendClosed = ref<string | null>(null);
  /** Bumped once per animation frame when data arrived; views read it to redraw. */
  const revision = ref(0);
  let api: TcplabApi | null = null;
  let redrawQueued = false;

  const scheduleRedraw = () => {
    if (redrawQueued) return;
    redrawQueued = true;
    requestAnimationFrame(() => {
      redrawQueued = false;
      revision.value++;
      triggerRef(sessions);
    });
  };

  function ensure(info: SessionInfo): SessionData {
    let data = sessions.value.get(info.id);
    if (!data) {
      data = { info, rate: 0, frames: [], probes: [], droppedSeen: 0 };
      sessions.value.set(info.id, data);
    }
    return data;
  }

  async function connect(): Promise<void> {
    onBackendClosed((reason) => (backendClosed.value = reason));
    try {
      api = await getApi();
    } catch (err) {
      error.value = (err as Error).message;
      return;
    }
    api.on('session.batch', (batch) => {
      const data = sessions.value.get(batch.sessionId);
      if (!data) return;
      for (const f of batch.frames) data.frames.push(f);
      for (const p of batch.probes) data.probes.push(p);
      data.droppedSeen += batch.dropped;
      scheduleRedraw();
    });
    api.on('session.status', (status: SessionStatus) => {
      const data = ensure(status);
      data.info = status;
      data.rate = status.rate;
      scheduleRedraw();
    });
    const [info, list] = await Promise.all([api['app.info']({}), api['session.list']({})]);
    for (const s of list) ensure(s);
    // Frames produced before this window subscribed are fetched once; later ones stream in batches.
    await Promise.all(list.map((s) => backfill(s.id)));
    selectedId.value = info.initialSessionId ?? list[0]?.id ?? null;
    shell.value = info.shell;
    revision.value++;
    triggerRef(sessions);
  }

  async function backfill(id: number): Promise<void> {
    const data = sessions.value.get(id);
    if (!api || !data) return;
    const missingBefore: FrameSummary[] = [];
    for (let from = 1; ; from += 50_000) {
      const page = await api['session.frames']({ sessionId: id, from, count: 50_000 });
      missingBefore.push(...page);
      if (page.length < 50_000) break;
    }
    // Batches may have arrived meanwhile: keep every frame once, in order.
    const seen = new Set(data.frames.map((f) => f.no));
    data.frames = [...missingBefore.filter((f) => !seen.has(f.no)), ...data.frames].sort((a, b) => a.no - b.no);
  }

  /** Opens a source as a new session and selects it. */
  async function open(source: SourceSpec): Promise<void> {
    if (!api) return;
    const info = await api['session.open']({ source });
    ensure(info);
    selectedId.value = info.id;
    triggerRef(sessions);
  }

  const openDemo = () => open({ kind: 'demo' });

  /** Shows a session that main opened on another request's behalf (an upload). */
  function adopt(info: SessionInfo): void {
    ensure(info);
    selectedId.value = info.id;
    triggerRef(sessions);
  }

  async function pause(id: number): Promise<void> {
    if (api) ensure(await api['session.pause']({ sessionId: id })).info.state = 'paused';
    triggerRef(sessions);
  }

  async function resume(id: number): Promise<void> {
    if (api) ensure(await api['session.resume']({ sessionId: id })).info.state = 'running';
    triggerRef(sessions);
  }

  /** Closes a session (also how a long file read is cancelled). */
  async function close(id: number): Promise<void> {
    if (!api) return;
    await api['session.close']({ sessionId: id });
    sessions.value.delete(id);
    if (selectedId.value === id) selectedId.value = sessions.value.keys().next().value ?? null;
    triggerRef(sessions);
  }

  const selected = computed(() => (selectedId.value === null ? null : (sessions.value.get(selectedId.value) ?? null)));
  const list = computed(() => [...sessions.value.values()].map((s) => s.info));

  return { sessions, revision, selectedId, shell, selected, list, error, backendClosed, connect, open, openDemo, adopt, close, pause, resume, api: () => api };
});
