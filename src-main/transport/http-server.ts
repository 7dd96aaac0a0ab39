import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Core } from './core';
import { attachWebSocketTransport } from './websocket';
import { contentSecurityPolicy } from './csp';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

export interface BrowserShellOptions {
  host: string;
  port: number;
  rendererDir: string;
  core: Core;
  /** Fixed token (tests); normally a random one per run. */
  token?: string;
}

export interface BrowserShell {
  server: Server;
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Hosts the browser shell may bind to: loopback only, never a routable address. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The browser shell: serves the built renderer and carries the contract over WebSocket on
 * loopback, guarded by a random per-run token that travels in the page URL.
 */
export async function startBrowserShell(opts: BrowserShellOptions): Promise<BrowserShell> {
  if (!isLoopbackHost(opts.host)) {
    throw new Error(`refusing to serve on ${opts.host}: tcplab serve binds to loopback only (127.0.0.1, ::1, localhost)`);
  }
  const token = opts.token ?? randomBytes(24).toString('hex');
  const root = resolve(opts.rendererDir);
  let origin = '';

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      let pathname = decodeURIComponent(url.pathname);
      if (pathname === '/') pathname = '/index.html';
      const file = normalize(join(root, pathname));
      if (!file.startsWith(root + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
        const body = await readFile(file);
        res.writeHead(200, {
          'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': contentSecurityPolicy({ connectSrc: [origin.replace(/^http/, 'ws')] }),
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`);
      }
    })();
  });

  const wss = attachWebSocketTransport({
    server,
    token,
    core: opts.core,
    allowedOrigins: () => [origin, origin.replace('127.0.0.1', 'localhost')],
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${hostForUrl}:${address.port}`;
  return {
    server,
    token,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((r) => {
        // Upgraded WebSocket connections are no longer the HTTP server's, so server.close() would
        // wait for every open tab: say Going Away (RFC 6455 §7.4.1) and drop any that does not
        // answer the close handshake at once.
        for (const ws of wss.clients) {
          ws.close(1001, 'tcplab serve is stopping');
          setTimeout(() => ws.terminate(), 500).unref();
        }
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
