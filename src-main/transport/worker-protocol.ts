/**
 * Messages between the main thread and the session worker. The worker owns every session (sources,
 * decoding, analysis, labs, the stack); the main thread only relays. Events leave the worker already
 * encoded as the contract's binary frames (src-shared/ipc/codec.ts), so relaying one costs the main
 * thread a buffer hand-over, whatever the batch holds.
 */
import type { RpcErrorShape, SourceSpec } from '@shared/ipc/contract';

export type ToWorker =
  | { type: 'request'; id: number; method: unknown; params: unknown }
  | { type: 'open-initial'; id: number; spec: SourceSpec }
  | { type: 'subscribe'; subId: number }
  | { type: 'unsubscribe'; subId: number }
  | { type: 'congestion'; subId: number; congested: boolean }
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: RpcErrorShape }
  | { type: 'event'; subId: number; bytes: Uint8Array }
  | { type: 'ready' }
  | { type: 'closed' };

export interface SessionWorkerData {
  shell: 'electron' | 'browser';
  version: string;
}
