/**
 * The Electron shell: one window, locked down (context isolation, sandbox, no Node integration,
 * a strict CSP, no navigation, no new windows, no remote content), over the same core as
 * `tcplab serve`. Everything the page may do goes through the validated contract.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell as electronShell } from 'electron';
import { fileURLToPath } from 'node:url';
import { extname, join } from 'node:path';
import { RpcError, requestSchemas, type RequestParams, type RequestResult } from '@shared/ipc/contract';
import { SchemaError } from '@shared/ipc/schema';
import { createCore } from '../transport/core';
import { toRpcError } from '../transport/dispatcher';
import { contentSecurityPolicy } from '../transport/csp';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL, type IpcReply } from './channels';
import { SaveGrants } from './save-grants';

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

const grants = new SaveGrants();

function validate<K extends 'dialog.save' | 'file.write' | 'session.save'>(name: K, params: unknown): RequestParams<K> {
  try {
    return requestSchemas[name].parse(params ?? {}, '') as RequestParams<K>;
  } catch (err) {
    if (err instanceof SchemaError) throw new RpcError('EINVAL', `${name}: ${err.message}`);
    throw err;
  }
}

async function showSaveDialog(win: BrowserWindow, params: RequestParams<'dialog.save'>): Promise<RequestResult<'dialog.save'>> {
  const ext = extname(params.suggestedName).slice(1);
  const result = await dialog.showSaveDialog(win, {
    defaultPath: join(app.getPath('documents'), params.suggestedName),
    filters: ext ? [{ name: ext.toUpperCase(), extensions: [ext] }] : [],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (result.canceled || !result.filePath) return { path: null };
  grants.grant(result.filePath);
  return { path: result.filePath };
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
      // The native dialog and the writes it grants live here, in the main process (not the worker).
      if (method === 'dialog.save') return { ok: true, result: await showSaveDialog(win, validate('dialog.save', params)) };
      if (method === 'file.write') return { ok: true, result: grants.write(validate('file.write', params)) };
      if (method === 'session.save') grants.take('session.save', validate('session.save', params).path);
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
