/**
 * The tcplab custom blocks of a saved session (kinds 3–5, PEN 32473): constants, shapes and the
 * collector a reader feeds with its `onOtherBlock`. The layout is described in saved.ts and
 * docs/export.md.
 */
import { decodeTcplabBlock } from '../capture';
import type { ProbeEvent } from '@shared/model/probe';
import type { LabParams } from '../labs/types';

export const TCPLAB_KIND_SESSION = 3;
export const TCPLAB_KIND_PROBES = 4;
export const TCPLAB_KIND_LAB_FRAMES = 5;
export const SAVED_SESSION_VERSION = 1;
export const PROBES_PER_BLOCK = 5_000;
export const LAB_FRAMES_PER_BLOCK = 5_000;

export interface SavedSessionMeta {
  version: number;
  label: string;
  kind: string;
  frameCount: number;
  probeCount: number;
  lab?: { name: string; params: LabParams; durationMs: number; captureHost: string; frameCount: number };
}

/** One lab frame in a saved session (short keys: a long run has many). */
export interface StoredLabFrame {
  t: number;
  h: string;
  i: string;
  d: 'tx' | 'rx';
  e: number;
  c?: number;
  /** Capture host's frame: its 0-based packet index in the file. */
  s?: number;
  /** Other host's frame: its bytes, base64. */
  b?: string;
  o?: number;
}

/** What FileSource collected from a saved session's custom blocks. */
export interface SavedSessionState {
  meta: SavedSessionMeta;
  probes: ProbeEvent[];
  labFrames: StoredLabFrame[];
}

/**
 * Collects a saved session's custom blocks while a reader reads the file. Pass `onBlock` as the
 * reader's `onOtherBlock`; `state()` afterwards is null for an ordinary capture.
 */
export class SavedSessionCollector {
  private meta: SavedSessionMeta | undefined;
  private readonly probes: ProbeEvent[] = [];
  private readonly labFrames: StoredLabFrame[] = [];

  readonly onBlock = (block: Parameters<typeof decodeTcplabBlock>[0]): void => {
    const b = decodeTcplabBlock(block);
    if (!b) return;
    if (b.kind === TCPLAB_KIND_SESSION) {
      const m = b.value as SavedSessionMeta;
      if (m && typeof m === 'object' && m.version === SAVED_SESSION_VERSION) this.meta = m;
    } else if (b.kind === TCPLAB_KIND_PROBES && Array.isArray(b.value)) {
      for (const e of b.value as ProbeEvent[]) this.probes.push(e);
    } else if (b.kind === TCPLAB_KIND_LAB_FRAMES && Array.isArray(b.value)) {
      for (const f of b.value as StoredLabFrame[]) this.labFrames.push(f);
    }
  };

  state(): SavedSessionState | null {
    if (!this.meta) return null;
    return { meta: this.meta, probes: this.probes, labFrames: this.labFrames };
  }
}
