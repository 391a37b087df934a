/** COOP/COEP on a response, as a static host that cannot set headers would need them. */
export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Adds COOP/COEP (and, for pages, the CSP — including frame-ancestors, which a <meta> cannot carry). */
export function withIsolationHeaders(response: Response, csp?: string): Response {
  // Opaque and redirect responses cannot be rebuilt; they are not ours to isolate anyway.
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  if (csp && (headers.get('content-type') ?? '').includes('text/html')) headers.set('Content-Security-Policy', csp);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
