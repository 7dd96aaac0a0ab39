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

/** Bytes [s, e) as Latin-1 text in one call (e - s <= HTTP_MAX_LINE, far below argument limits). */
function ascii(b: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/** True when the bytes at p are "HTTP/d.d" (RFC 9112 §2.3). */
function isVersionAt(b: Uint8Array, p: number, end: number): boolean {
  if (end - p < 8) return false;
  for (let i = 0; i < 5; i++) if (b[p + i] !== HTTP_SLASH[i]) return false;
  return isDigit(b[p + 5]!) && b[p + 6] === 0x2e && isDigit(b[p + 7]!);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * The first line in [off, end) if it looks like an HTTP request or status line; `complete` is
 * false when the captured bytes end before its CRLF. Returns undefined for anything else.
 * Rejects on bytes before building any string, so binary payloads cost a few comparisons.
 */
export function recognizeHttp(b: Uint8Array, off = 0, end = b.length): HttpLine | undefined {
  if (end > b.length) end = b.length;
  if (off >= end) return undefined;
  const c0 = b[off]!;
  if (c0 < 0x41 || c0 > 0x5a) return undefined; // a method or "HTTP/" starts with A-Z
  // The first token: upper-case letters, '-', '_' or '/', '.', digits for "HTTP/1.1".
  let sp = off;
  while (sp < end && sp - off <= 17 && b[sp] !== 0x20) sp++;
  if (sp - off > 17) return undefined;
  const isResponse = isVersionAt(b, off, end) && (sp === off + 8 || sp === end);
  if (!isResponse) {
    for (let i = off; i < sp; i++) {
      const c = b[i]!;
      if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return undefined;
    }
    if (sp === end) return undefined; // only a bare token: not enough to call it HTTP
  }
  const limit = Math.min(end, off + HTTP_MAX_LINE);
  let eol = sp;
  while (eol < limit && b[eol] !== 0x0a) {
    const c = b[eol]!;
    if ((c < 0x20 && c !== 0x0d && c !== 0x09) || c > 0x7e) return undefined; // not a text line
    eol++;
  }
  const complete = eol < limit;
  let lineEnd = eol;
  if (complete && lineEnd > off && b[lineEnd - 1] === 0x0d) lineEnd--;
  const line = ascii(b, off, lineEnd);
  if (isResponse) {
    // "HTTP/1.1 200 OK": a three-digit status, then an optional reason.
    const s = off + 9;
    const okStatus = lineEnd - s >= 3 && isDigit(b[s]!) && isDigit(b[s + 1]!) && isDigit(b[s + 2]!) && (lineEnd === s + 3 || b[s + 3] === 0x20);
    const version = line.slice(0, 8);
    if (!okStatus) return complete ? undefined : { kind: 'response', version, status: 0, reason: '', line, complete };
    return { kind: 'response', version, status: (b[s]! - 48) * 100 + (b[s + 1]! - 48) * 10 + (b[s + 2]! - 48), reason: line.slice(Math.min(s + 4, lineEnd) - off), line, complete };
  }
  const method = line.slice(0, sp - off);
  if (!METHOD_SET.has(method)) return undefined;
  const sp2 = line.indexOf(' ', sp - off + 1);
  const target = sp2 < 0 ? line.slice(sp - off + 1) : line.slice(sp - off + 1, sp2);
  const version = sp2 < 0 ? '' : line.slice(sp2 + 1);
  if (!complete) return { kind: 'request', method, target, version, line, complete };
  if (sp2 < 0 || version.length !== 8 || !isVersionAt(b, off + sp2 + 1, lineEnd)) return undefined;
  return { kind: 'request', method, target, version, line, complete };
}

function decodeHttpLayer(pkt: DecodedPacket, b: Uint8Array, off: number, capEnd: number): void {
  const h = recognizeHttp(b, off, capEnd);
  if (h) pkt.http = h;
}

for (const port of HTTP_PORTS) tcpPorts.register(port, decodeHttpLayer);
