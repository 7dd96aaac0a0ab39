import type { TcplabApi } from '@shared/ipc/contract';
import { connectWebSocketApi } from './ws-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser shell. */
    tcplab?: TcplabApi;
  }
}

let apiPromise: Promise<TcplabApi> | undefined;
const closedListeners = new Set<(reason: string) => void>();

/** Called when the browser shell's connection to `tcplab serve` ends after it had worked. */
export function onBackendClosed(cb: (reason: string) => void): () => void {
  closedListeners.add(cb);
  return () => closedListeners.delete(cb);
}

/** The only way the renderer talks to main: the preload's object in Electron, WebSocket otherwise. */
export function getApi(): Promise<TcplabApi> {
  if (!apiPromise) {
    if (window.tcplab) {
      apiPromise = Promise.resolve(window.tcplab);
    } else {
      const token = new URLSearchParams(location.search).get('token');
      if (!token) {
        apiPromise = Promise.reject(new Error('missing token: open the URL that `tcplab serve` printed'));
      } else {
        const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
        apiPromise = connectWebSocketApi(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`, (reason) => {
          for (const cb of closedListeners) cb(reason);
        });
      }
    }
  }
  return apiPromise;
}
