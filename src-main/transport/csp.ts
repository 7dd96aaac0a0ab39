/**
 * The renderer's Content-Security-Policy, the same in both shells: only our own scripts and
 * styles, no eval, no inline script, no plugins, no framing, no remote content. Exported data
 * (PNG/SVG) is made from blob: and data: URLs.
 */
export function contentSecurityPolicy(opts: { connectSrc?: string[] } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${(opts.connectSrc ?? []).join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
