import { Worker } from 'node:worker_threads';
import type { AppInfo, SourceSpec } from '@shared/ipc/contract';
import { RpcError } from '@shared/ipc/contract';
import { version } from '../version';
import type { FromWorker, SessionWorkerData, ToWorker } from './worker-protocol';

/** Where a subscriber's events go: already-encoded binary frames of the contract. */
export interface BinaryEventSink {
  send(bytes: Uint8Array): void;
  /** True while the transport's own buffer is full; the worker then holds batches back. */
  isCongested(): boolean;
}

export interface Core {
  /** Validates and runs one request of the contract (in the session worker). */
  dispatch(method: unknown, params: unknown): Promise<unknown>;
  subscribe(sink: BinaryEventSink): () => void;
  /** Opens the session the UI shows first (a file, a lab; otherwise the demo). */
  openInitial(spec: SourceSpec): Promise<number>;
  close(): Promise<void>;
}

/** How often the main thread tells the worker which subscribers are congested. */
const CONGESTION_POLL_MS = 25;

function startWorker(data: SessionWorkerData): Worker {
  if (import.meta.url.endsWith('.ts')) {
    // From source (tsx, Vitest) the worker is TypeScript: a small bootstrap registers tsx's loader
    // in the worker, then imports it. Built, it is the sibling entry out/main/session-worker.js.
    const entry = new URL('./session-worker.ts', import.meta.url).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(bootstrap, { eval: true, workerData: data });
  }
  return new Worker(new URL('./session-worker.js', import.meta.url), { workerData: data });
}

/**
 * One core for both shells: the sessions run in a worker thread behind the one contract; this
 * main-thread side forwards requests and relays the worker's pre-encoded event frames.
 */
export function createCore(shell: AppInfo['shell']): Core {
  const worker = startWorker({ shell, version });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const sinks = new Map<number, { sink: BinaryEventSink; congested: boolean }>();
  let nextId = 1;
  let closed = false;
  let failure: Error | null = null;

  const post = (m: ToWorker) => worker.postMessage(m);
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'response') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new RpcError(m.error.code, m.error.message, m.error.fix));
    } else if (m.type === 'event') {
      sinks.get(m.subId)?.sink.send(m.bytes);
    }
  });
  worker.on('error', (err) => {
    failure = err;
    for (const p of pending.values()) p.reject(new RpcError('EINTERNAL', `session worker failed: ${err.message}`));
    pending.clear();
  });
  worker.on('exit', () => {
    closed = true;
  });

  const poll = setInterval(() => {
    for (const [subId, entry] of sinks) {
      const now = entry.sink.isCongested();
      if (now !== entry.congested) {
        entry.congested = now;
        post({ type: 'congestion', subId, congested: now });
      }
    }
  }, CONGESTION_POLL_MS);
  poll.unref();

  const call = (make: (id: number) => ToWorker): Promise<unknown> => {
    if (failure) return Promise.reject(new RpcError('EINTERNAL', `session worker failed: ${(failure as Error).message}`));
    if (closed) return Promise.reject(new RpcError('EINTERNAL', 'the session worker has stopped'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      post(make(id));
    });
  };

  return {
    dispatch: (method, params) => call((id) => ({ type: 'request', id, method, params })),
    openInitial: (spec) => call((id) => ({ type: 'open-initial', id, spec })) as Promise<number>,
    subscribe(sink) {
      const subId = nextId++;
      sinks.set(subId, { sink, congested: false });
      post({ type: 'subscribe', subId });
      return () => {
        if (!sinks.delete(subId)) return;
        if (!closed) post({ type: 'unsubscribe', subId });
      };
    },
    async close() {
      clearInterval(poll);
      if (closed) return;
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      post({ type: 'shutdown' });
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
