/**
 * Recognises the first line of an HTTP/1.x request or response (RFC 9112 §3 and §4) in a TCP
 * payload, for one-line summaries. tcpdump prints it for ports 80 and 8080 ("HTTP: GET / HTTP/1.1").
 */
import { tcpPorts } from './registry';
import type { DecodedPacket } from './decode';

export const HTTP_PORTS = [80, 8080] as const;

/** Request methods tcpdump's HTTP printer knows (print-http.c), plus PATCH. */
export const HTTP_METHODS: readonly string[] = [
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'LABEL',
  'MERGE', 'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS',
  'CHECKIN', 'PROPFIND', 'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH',
  'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL',
  'BASELINE-CONTROL', 'PATCH',
];
const METHOD_SET = new Set(HTTP_METHODS);

export type HttpLine =
  | { kind: 'request'; method: string; target: string; version: string; /** The line without CRLF. */ line: string; complete: boolean }
  | { kind: 'response'; version: string; status: number; reason: string; line: string; complete: boolean };

/** A request line longer than this is not looked at (summaries only; RFC 9112 §3 suggests 8000). */
export const HTTP_MAX_LINE = 8192;

function ascii(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]!);
  return out;
}

/**
 * The first line in [off, end) if it looks like an HTTP request or status line; `complete` is
 * false when the captured bytes end before its CRLF. Returns undefined for anything else.
 */
export function recognizeHttp(b: Uint8Array, off = 0, end = b.length): HttpLine | undefined {
  const limit = Math.min(end, off + HTTP_MAX_LINE);
  // Quick reject: first byte must be an upper-case letter (method or "HTTP/").
  const c0 = b[off];
  if (c0 === undefined || off >= end || c0 < 0x41 || c0 > 0x5a) return undefined;
  let eol = off;
  while (eol < limit && b[eol] !== 0x0a) {
    const c = b[eol]!;
    if (c < 0x20 && c !== 0x0d && c !== 0x09) return undefined; // control characters: not text
    if (c > 0x7e) return undefined;
    eol++;
  }
  const complete = eol < limit;
  let lineEnd = eol;
  if (complete && lineEnd > off && b[lineEnd - 1] === 0x0d) lineEnd--;
  const line = ascii(b, off, lineEnd);
  const parts = line.split(' ');
  if (line.startsWith('HTTP/')) {
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
    if (!m) return complete ? undefined : { kind: 'response', version: parts[0]!, status: 0, reason: '', line, complete };
    return { kind: 'response', version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', line, complete };
  }
  if (!METHOD_SET.has(parts[0]!)) return undefined;
  if (!complete) return { kind: 'request', method: parts[0]!, target: parts[1] ?? '', version: parts[2] ?? '', line, complete };
  if (parts.length !== 3 || !/^HTTP\/\d\.\d$/.test(parts[2]!)) return undefined;
  return { kind: 'request', method: parts[0]!, target: parts[1]!, version: parts[2]!, line, complete };
}

function decodeHttpLayer(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number): void {
  const h = recognizeHttp(b, off, capEnd);
  if (h) pkt.http = h;
}

for (const port of HTTP_PORTS) tcpPorts.register(port, decodeHttpLayer);
