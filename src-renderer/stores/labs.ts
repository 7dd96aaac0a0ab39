import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LabInfo, SourceSpec } from '@shared/ipc/contract';
import { useSessionsStore } from './sessions';

export type CongestionName = 'reno' | 'newreno' | 'cubic' | 'vegas';

export interface LabRunParams {
  cc?: CongestionName;
  loss?: number;
  delayMs?: number;
  rateMbps?: number;
  seed?: number;
}

/** The labs main offers, and running one as a new session (each run is its own session, to compare). */
export const useLabsStore = defineStore('labs', () => {
  const labs = ref<LabInfo[]>([]);
  const error = ref<string | null>(null);
  const sessions = useSessionsStore();

  async function load(): Promise<void> {
    const api = sessions.api();
    if (!api) return;
    try {
      labs.value = await api['lab.list']({});
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function run(name: string, params: LabRunParams): Promise<void> {
    const spec: SourceSpec = { kind: 'lab', name, params };
    error.value = null;
    try {
      await sessions.open(spec);
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  return { labs, error, load, run };
});
