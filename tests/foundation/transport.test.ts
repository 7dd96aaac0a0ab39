import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '@shared/ipc/codec';
import { createCore, type Core } from '../../src-main/transport/core';
import { startBrowserShell, type BrowserShell } from '../../src-main/transport/http-server';
import { cachedSyntheticCapture } from '../../src-main/capture/synthetic';
import type { FrameSummary } from '@shared/model/frames';
import { FrameSummarizer } from '@shared/format/frame-summary';
import { CaptureReader } from '../../src-main/capture';
import { toFrame } from '../../src-main/session/sources/file';

let core: Core;
let shell: BrowserShell;
let rendererDir: string;

beforeAll(async () => {
  rendererDir = mkdtempSync(join(tmpdir(), 'tcplab-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>tcplab</title>');
  core = createCore('browser');
  await core.openInitial({ kind: 'demo' });
  shell = await startBrowserShell({ host: '127.0.0.1', port: 0, rendererDir, core });
});
afterAll(async () => {
  await shell.close();
  await core.close();
  rmSync(rendererDir, { recursive: true, force: true });
});

function wsUrl(token: string | null): string {
  const u = new URL(shell.url);
  return `ws://${u.host}/ws${token === null ? '' : `?token=${token}`}`;
}

/** Opens a socket and collects decoded server messages. */
async function connect(token: string | null): Promise<{ ws: WebSocket; messages: unknown[]; next: (pred: (m: never) => boolean) => Promise<unknown> }> {
  const ws = new WebSocket(wsUrl(token));
  const messages: unknown[] = [];
  const waiters: { pred: (m: never) => boolean; resolve: (m: unknown) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data));
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m as never)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    next: (pred) =>
      new Promise((resolve) => {
        const found = messages.find((m) => pred(m as never));
        if (found) resolve(found);
        else waiters.push({ pred, resolve });
      }),
  };
}

function refusal(token: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(token));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => resolve({ status: 101, body: 'opened' }));
    ws.on('error', () => undefined);
  });
}

describe('the WebSocket transport', () => {
  it('refuses a connection without the token, or with a wrong one, with a clear 401', async () => {
    expect(await refusal(null)).toEqual({ status: 401, body: 'tcplab: missing token: open the URL that `tcplab serve` printed\n' });
    expect(await refusal('0'.repeat(48))).toEqual({ status: 401, body: 'tcplab: wrong token: open the URL that `tcplab serve` printed\n' });
  });

  it('answers requests with the token and streams the demo frames as binary batches', async () => {
    const { ws, next } = await connect(shell.token);
    ws.send(encodeMessage({ type: 'request', id: 1, method: 'app.info', params: {} }));
    const info = (await next((m: { id?: number }) => m.id === 1)) as { result: { name: string; shell: string; initialSessionId: number } };
    expect(info.result).toMatchObject({ name: 'tcplab', shell: 'browser', initialSessionId: 1 });
    ws.send(encodeMessage({ type: 'request', id: 2, method: 'session.frames', params: { sessionId: 1, from: 1, count: 100 } }));
    // The demo is read asynchronously; ask until all 18 frames are there.
    let frames: { no: number; protocol: string }[] = [];
    for (let id = 2; frames.length < 18 && id < 200; id++) {
      if (id > 2) ws.send(encodeMessage({ type: 'request', id, method: 'session.frames', params: { sessionId: 1, from: 1, count: 100 } }));
      frames = ((await next((m: { id?: number }) => m.id === id)) as { result: typeof frames }).result;
      if (frames.length < 18) await new Promise((r) => setTimeout(r, 20));
    }
    expect(frames.map((f) => f.no)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(frames[2]!.protocol).toBe('TCP');
    ws.close();
  });

  it('streams every frame of a session opened after subscribing, in columnar batches equal to the session.frames pages', async () => {
    const { path } = cachedSyntheticCapture('pcap', 5_000);
    const { ws, messages, next } = await connect(shell.token);
    ws.send(encodeMessage({ type: 'request', id: 1, method: 'app.info', params: {} }));
    await next((m: { id?: number }) => m.id === 1);
    ws.send(encodeMessage({ type: 'request', id: 2, method: 'session.open', params: { source: { kind: 'file', path } } }));
    const opened = (await next((m: { id?: number }) => m.id === 2)) as { result: { id: number } };
    const sessionId = opened.result.id;
    type Batch = { type: 'event'; event: 'session.batch'; payload: { sessionId: number; frames: FrameSummary[]; dropped: number } };
    const isBatch = (m: unknown): m is Batch => (m as Batch).type === 'event' && (m as Batch).event === 'session.batch' && (m as Batch).payload.sessionId === sessionId;
    const streamed = (): FrameSummary[] => messages.filter(isBatch).flatMap((m) => m.payload.frames);
    for (let i = 0; i < 500 && streamed().length < 5_000; i++) await new Promise((r) => setTimeout(r, 20));
    const frames = streamed();
    expect(messages.filter(isBatch).reduce((n, m) => n + m.payload.dropped, 0)).toBe(0);
    expect(frames.map((f) => f.no)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
    ws.send(encodeMessage({ type: 'request', id: 3, method: 'session.frames', params: { sessionId, from: 1, count: 5_000 } }));
    const page = (await next((m: { id?: number }) => m.id === 3)) as { result: FrameSummary[] };
    expect(page.result).toEqual(frames);
    // And equal to the summaries made here, in this thread, without any transport.
    const reader = CaptureReader.open(path);
    const summarizer = new FrameSummarizer();
    const local: FrameSummary[] = [];
    let firstTsUs: number | undefined;
    for (let r = reader.next(); r !== null; r = reader.next()) {
      const frame = toFrame(r);
      firstTsUs ??= frame.tsUs;
      local.push(summarizer.summarize(local.length + 1, frame, firstTsUs));
    }
    reader.close();
    expect(frames).toEqual(local);
    expect(frames.some((f) => f.protocol === 'TCP' && f.info.startsWith('Flags ['))).toBe(true);
    ws.close();
  });

  it('rejects an unknown request and invalid parameters with specific errors', async () => {
    const { ws, next } = await connect(shell.token);
    ws.send(encodeMessage({ type: 'request', id: 7, method: 'fs.readFile', params: { path: '/etc/passwd' } }));
    const unknown = (await next((m: { id?: number }) => m.id === 7)) as { error: { code: string; message: string } };
    expect(unknown.error.code).toBe('ENOMETHOD');
    expect(unknown.error.message).toContain('unknown request "fs.readFile"');
    ws.send(encodeMessage({ type: 'request', id: 8, method: 'session.frames', params: { sessionId: 'one', from: 1, count: 1 } }));
    const invalid = (await next((m: { id?: number }) => m.id === 8)) as { error: { code: string; message: string } };
    expect(invalid.error).toEqual({ code: 'EINVAL', message: 'session.frames: sessionId: expected integer in [1, 1000000], found string "one"' });
    ws.send(encodeMessage({ type: 'request', id: 9, method: 'session.close', params: { sessionId: 999 } }));
    const missing = (await next((m: { id?: number }) => m.id === 9)) as { error: { code: string } };
    expect(missing.error.code).toBe('ENOSESSION');
    ws.close();
  });

  it('rejects text frames and undecodable messages without closing the connection', async () => {
    const { ws, next } = await connect(shell.token);
    ws.send('{"type":"request","id":1,"method":"app.info","params":{}}');
    const text = (await next((m: { type?: string }) => m.type === 'error')) as { error: { code: string; message: string } };
    expect(text.error.code).toBe('EFORMAT');
    expect(text.error.message).toContain('text frames are not accepted');
    ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
    ws.send(encodeMessage({ type: 'request', id: 3, method: 'app.info', params: {} }));
    const after = (await next((m: { id?: number }) => m.id === 3)) as { result: { name: string } };
    expect(after.result.name).toBe('tcplab');
    ws.close();
  });

  it('serves the page with a strict Content-Security-Policy and refuses paths outside it', async () => {
    const page = await fetch(shell.url);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const origin = new URL(shell.url).origin;
    // An encoded slash survives URL normalisation and would climb out of the renderer folder.
    const escape = await fetch(`${origin}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(escape.status).toBe(403);
    expect(await escape.text()).not.toContain('root:');
  });

  it('close() ends open WebSocket connections too (Going Away), so `tcplab serve` stops with a tab open', async () => {
    const own = await startBrowserShell({ host: '127.0.0.1', port: 0, rendererDir, core });
    const token = new URL(own.url).searchParams.get('token')!;
    const ws = new WebSocket(`ws://${new URL(own.url).host}/ws?token=${token}`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    // An upgraded socket is no longer the HTTP server's: without ending it, close() never resolved
    // (this test then fails by its timeout).
    await own.close();
    expect(await closed).toBe(1001);
  }, 10_000);

  it('binds to loopback only', async () => {
    await expect(
      startBrowserShell({ host: '0.0.0.0', port: 0, rendererDir, core }),
    ).rejects.toThrow('binds to loopback only');
  });
});
