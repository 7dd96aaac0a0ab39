import { decodeMessage, encodeMessage } from '@shared/ipc/codec';
import {
  eventNames,
  requestNames,
  type EventName,
  type EventPayloads,
  type RpcErrorShape,
  type TcplabApi,
} from '@shared/ipc/contract';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * The contract over WebSocket (browser shell): the same API object the Electron preload exposes.
 * The token comes from the page URL that `tcplab serve` printed.
 */
export function connectWebSocketApi(url: string, onClosed?: (reason: string) => void): Promise<TcplabApi> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;

  ws.addEventListener('message', (ev: MessageEvent) => {
    if (!(ev.data instanceof ArrayBuffer)) return;
    const msg = decodeMessage(new Uint8Array(ev.data)) as
      | { type: 'response'; id: number; result?: unknown; error?: RpcErrorShape }
      | { type: 'event'; event: EventName; payload: unknown }
      | { type: 'error'; error: { code: string; message: string } };
    if (msg.type === 'response') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), msg.error));
      else p.resolve(msg.result);
    } else if (msg.type === 'event') {
      for (const cb of listeners.get(msg.event) ?? []) cb(msg.payload);
    } else {
      console.error(`tcplab backend: ${msg.error.message}`);
    }
  });
  let opened = false;
  ws.addEventListener('close', (ev: CloseEvent) => {
    for (const p of pending.values()) p.reject(new Error('connection to the tcplab backend closed'));
    pending.clear();
    // After a working session (not a refused upgrade): `tcplab serve` stopped (1001 Going Away) or the connection broke.
    if (opened) onClosed?.(ev.reason || `code ${ev.code}`);
  });

  const api: Record<string, unknown> = {};
  for (const name of requestNames) {
    api[name] = (params: unknown) =>
      new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) {
          reject(new Error('not connected to the tcplab backend'));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        ws.send(encodeMessage({ type: 'request', id, method: name, params }));
      });
  }
  api.on = <E extends EventName>(event: E, cb: (payload: EventPayloads[E]) => void) => {
    if (!eventNames.includes(event)) throw new Error(`unknown event ${event}`);
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(cb as (p: unknown) => void);
    return () => set.delete(cb as (p: unknown) => void);
  };

  return new Promise((resolve, reject) => {
    ws.addEventListener(
      'open',
      () => {
        opened = true;
        resolve(api as TcplabApi);
      },
      { once: true },
    );
    ws.addEventListener('error', () => reject(new Error('cannot reach the tcplab backend (is `tcplab serve` running, and is the token in the URL right?)')), { once: true });
  });
}
