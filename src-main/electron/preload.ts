/**
 * The sandboxed preload: exposes, through contextBridge, one method per request of the contract
 * and `on(event, cb)` returning an unsubscribe function. Nothing else reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventNames, requestNames, type EventName } from '@shared/ipc/contract';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, type IpcReply } from './channels';

const api: Record<string, unknown> = {};
for (const name of requestNames) {
  api[name] = async (params: unknown) => {
    const reply = (await ipcRenderer.invoke(IPC_REQUEST_CHANNEL, name, params)) as IpcReply;
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.result;
  };
}
api.on = (event: EventName, callback: (payload: unknown) => void) => {
  if (!eventNames.includes(event)) throw new Error(`unknown event ${JSON.stringify(event)}; known: ${eventNames.join(', ')}`);
  const listener = (_e: IpcRendererEvent, name: string, payload: unknown) => {
    if (name === event) callback(payload);
  };
  ipcRenderer.on(IPC_EVENT_CHANNEL, listener);
  return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, listener);
};

contextBridge.exposeInMainWorld('tcplab', Object.freeze(api));
