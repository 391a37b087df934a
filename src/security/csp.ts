/**
 * The app's Content Security Policy, in one place for the three ways it is delivered: a <meta> tag
 * in the built index.html, the preview server's header, and the service worker (which adds it to
 * every page it serves, so a static host without headers still enforces it).
 *
 * `connect-src` lists this origin plus the intranet origins a deployment names at build time in
 * VITE_MODEL_ORIGINS (comma-separated) for `?model=` bundles; any other origin is refused by the
 * browser, and the app says why before it even tries (see `isAllowedModelUrl`).
 */

export function parseOrigins(list: string | undefined): string[] {
  return (list ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => new URL(s).origin);
}

export function buildCsp(modelOrigins: readonly string[], opts: { forMeta?: boolean } = {}): string {
  const directives = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self'${modelOrigins.map((o) => ` ${o}`).join('')}`,
    "img-src 'self' blob: data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ];
  // frame-ancestors is only honoured in a header; in a <meta> tag browsers ignore it with a warning.
  if (!opts.forMeta) directives.push("frame-ancestors 'none'");
  return directives.join('; ');
}

export function isAllowedModelUrl(url: string, selfOrigin: string, allowed: readonly string[]): boolean {
  const origin = new URL(url, selfOrigin).origin;
  return origin === selfOrigin || allowed.includes(origin);
}

export function refusedModelUrlMessage(url: string, selfOrigin: string, allowed: readonly string[]): string {
  const origin = new URL(url, selfOrigin).origin;
  const list = [selfOrigin, ...allowed].join(', ');
  return `Models can only be loaded from ${list}. ${origin} is not allowed: ask whoever builds this app to add it to VITE_MODEL_ORIGINS.`;
}
