/**
 * The sandboxed preload: exposes, through contextBridge, one method per request of the contract
 * and `on(event, cb)` returning an unsubscribe function. Nothing else reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventNames, requestNames, type EventName } from '@shared/ipc/contract';
import { decodeMessage } from '@shared/ipc/codec';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, type IpcReply } from './channels';

const api: Record<string, unknown> = {};
for (const name of requestNames) {
  api[name] = async (params: unknown) => {
    const reply = (await ipcRenderer.invoke(IPC_REQUEST_CHANNEL, name, params)) as IpcReply;
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result;
  };
}
// Events arrive as the contract's binary frames (encoded in the session worker); each is decoded
// once here and handed to the callbacks registered for its name.
const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
ipcRenderer.on(IPC_EVENT_CHANNEL, (_e: IpcRendererEvent, bytes: Uint8Array) => {
  const message = decodeMessage(bytes) as { event: EventName; payload: unknown };
  for (const cb of listeners.get(message.event) ?? []) cb(message.payload);
});
api.on = (event: EventName, callback: (payload: unknown) => void) => {
  if (!eventNames.includes(event)) throw new Error(`unknown event ${JSON.stringify(event)}; known: ${eventNames.join(', ')}`);
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(callback);
  return () => set.delete(callback);
};

contextBridge.exposeInMainWorld('tcplab', Object.freeze(api));
