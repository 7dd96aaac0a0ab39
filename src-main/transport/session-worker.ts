/**
 * The session worker (a Node worker thread): capture, decoding, analysis, labs and the stack run
 * here, off the main thread, so the window or the WebSocket server never waits on them.
 * Built as its own entry (out/main/session-worker.js); run from source through tsx.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeMessage } from '@shared/ipc/codec';
import { SessionRegistry } from '../session/registry';
import { createSource } from '../session/sources';
import { createDispatcher, toRpcError } from './dispatcher';
import type { FromWorker, SessionWorkerData, ToWorker } from './worker-protocol';

if (!parentPort) throw new Error('session-worker must run in a worker thread');
const port = parentPort;
const data = workerData as SessionWorkerData;

const registry = new SessionRegistry({ createSource });
let initialSessionId: number | null = null;
const dispatch = createDispatcher({ registry, version: data.version, shell: data.shell, initialSessionId: () => initialSessionId });
const subscriptions = new Map<number, { congested: boolean; unsubscribe: () => void }>();

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'request':
      dispatch(message.method, message.params).then(
        (result) => post({ type: 'response', id: message.id, ok: true, result }),
        (err: unknown) => post({ type: 'response', id: message.id, ok: false, error: toRpcError(err) }),
      );
      break;
    case 'open-initial':
      registry.open(message.spec).then(
        (info) => {
          initialSessionId = info.id;
          post({ type: 'response', id: message.id, ok: true, result: info.id });
        },
        (err: unknown) => post({ type: 'response', id: message.id, ok: false, error: toRpcError(err) }),
      );
      break;
    case 'subscribe': {
      const sub = { congested: false, unsubscribe: () => {} };
      sub.unsubscribe = registry.subscribe({
        emit: (event, payload) => {
          const bytes = encodeMessage({ type: 'event', event, payload });
          post({ type: 'event', subId: message.subId, bytes }, [bytes.buffer as ArrayBuffer]);
        },
        isCongested: () => sub.congested,
      });
      subscriptions.set(message.subId, sub);
      break;
    }
    case 'unsubscribe':
      subscriptions.get(message.subId)?.unsubscribe();
      subscriptions.delete(message.subId);
      break;
    case 'congestion': {
      const sub = subscriptions.get(message.subId);
      if (sub) sub.congested = message.congested;
      break;
    }
    case 'shutdown':
      registry.dispose();
      post({ type: 'closed' });
      port.close();
      break;
  }
});

post({ type: 'ready' });
