/**
 * The Electron shell: one window, locked down (context isolation, sandbox, no Node integration,
 * a strict CSP, no navigation, no new windows, no remote content), over the same core as
 * `tcplab serve`. Everything the page may do goes through the validated contract.
 */
import { app, BrowserWindow, ipcMain, session, shell as electronShell } from 'electron';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createCore } from '../transport/core';
import { toRpcError } from '../transport/dispatcher';
import { contentSecurityPolicy } from '../transport/csp';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, type IpcReply } from './channels';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const preloadPath = join(here, '../preload/index.cjs');

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'tcplab',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app and no new windows; external links go to the system browser.
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void electronShell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadFile(rendererIndex);
  return win;
}

async function main(): Promise<void> {
  await app.whenReady();
  // The CSP as a response header for every page load (file:// included), plus no permissions.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] },
    });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // No remote content at all: only our own files and devtools.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const allowed = details.url.startsWith('file://') || details.url.startsWith('devtools://') || details.url.startsWith('data:') || details.url.startsWith('blob:');
    callback({ cancel: !allowed });
  });

  const core = createCore('electron');
  const file = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => /\.(pcap|pcapng|cap)$/i.test(a));
  await core.openInitial(file ? { kind: 'file', path: file } : { kind: 'demo' });

  const win = createWindow();
  // Event frames come from the session worker already encoded; the preload decodes them.
  const unsubscribe = core.subscribe({
    send: (bytes) => {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, bytes);
    },
    isCongested: () => false,
  });

  ipcMain.handle(IPC_REQUEST_CHANNEL, async (event, method: unknown, params: unknown): Promise<IpcReply> => {
    // Only our own window's top frame may call in.
    if (event.sender !== win.webContents || !event.senderFrame?.url.startsWith('file://')) {
      return { ok: false, error: { code: 'EAUTH', message: 'requests are accepted only from the tcplab window' } };
    }
    try {
      return { ok: true, result: await core.dispatch(method, params) };
    } catch (err) {
      return { ok: false, error: toRpcError(err) };
    }
  });

  win.on('closed', () => {
    unsubscribe();
    void core.close();
  });
  app.on('window-all-closed', () => app.quit());
}

void main();
