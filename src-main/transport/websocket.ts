import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '@shared/ipc/codec';
import type { Core } from './core';
import { toRpcError } from './dispatcher';

/** Messages on the wire, both directions binary (src-shared/ipc/codec.ts). */
export type ClientMessage = { type: 'request'; id: number; method: string; params: unknown };
export type ServerMessage =
  | { type: 'response'; id: number; result: unknown }
  | { type: 'response'; id: number; error: { code: string; message: string } }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'error'; error: { code: string; message: string } };

/** Above this many bytes waiting in a socket, the registry holds batches back (backpressure). */
const CONGESTED_BYTES = 8 * 1024 * 1024;
/** A request message larger than this is refused (no request needs more). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface WebSocketTransportOptions {
  server: Server;
  token: string;
  core: Core;
  /** Origins allowed to connect (the page we serve); others are refused. */
  allowedOrigins: () => string[];
}

/**
 * The contract over WebSocket for the browser shell: the same dispatcher as Electron's IPC.
 * The upgrade is refused unless the URL carries this run's token, so a page or user without it
 * cannot drive the backend.
 */
export function attachWebSocketTransport(opts: WebSocketTransportOptions): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  opts.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = checkUpgrade(req, opts);
    if (refusal) {
      const body = `tcplab: ${refusal}\n`;
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, opts));
  });
  return wss;
}

function checkUpgrade(req: IncomingMessage, opts: WebSocketTransportOptions): string | null {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/ws') return `no WebSocket endpoint at ${url.pathname}`;
  const token = url.searchParams.get('token');
  if (!token) return 'missing token: open the URL that `tcplab serve` printed';
  if (!timingSafeEqualString(token, opts.token)) return 'wrong token: open the URL that `tcplab serve` printed';
  const origin = req.headers.origin;
  if (origin && !opts.allowedOrigins().includes(origin)) return `origin ${origin} is not allowed`;
  return null;
}

function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function send(ws: WebSocket, message: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message), { binary: true });
}

function serveConnection(ws: WebSocket, opts: WebSocketTransportOptions): void {
  // Events arrive from the session worker already encoded; they are relayed as they are.
  const unsubscribe = opts.core.subscribe({
    send: (bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    isCongested: () => ws.bufferedAmount > CONGESTED_BYTES,
  });
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
  ws.on('message', (data, isBinary) => {
    let message: ClientMessage;
    try {
      if (!isBinary) throw new Error('text frames are not accepted; the contract travels as binary frames');
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      message = parseClientMessage(decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    } catch (err) {
      send(ws, { type: 'error', error: { code: 'EFORMAT', message: `invalid message: ${(err as Error).message}` } });
      return;
    }
    opts.core.dispatch(message.method, message.params).then(
      (result) => send(ws, { type: 'response', id: message.id, result }),
      (err: unknown) => send(ws, { type: 'response', id: message.id, error: toRpcError(err) }),
    );
  });
}

function parseClientMessage(value: unknown): ClientMessage {
  if (typeof value !== 'object' || value === null) throw new Error('expected an object');
  const m = value as Record<string, unknown>;
  if (m.type !== 'request') throw new Error(`type: expected "request", found ${JSON.stringify(m.type)}`);
  if (typeof m.id !== 'number' || !Number.isInteger(m.id)) throw new Error('id: expected an integer');
  if (typeof m.method !== 'string') throw new Error('method: expected a string');
  return { type: 'request', id: m.id, method: m.method, params: m.params };
}
