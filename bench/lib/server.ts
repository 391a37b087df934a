/**
 * A small static server for the benchmark: the production build at `/`, extra folders mounted under
 * prefixes (benchmark bundles, the lever lab, ORT-web's dist), with the same cross-origin isolation
 * headers as `vite preview` (COOP/COEP/CORP) so ORT-web can use threads.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.map': 'application/json',
  '.md': 'text/plain; charset=utf-8',
};

export interface Mounts {
  /** URL prefix ("/" or "/bench-models/") -> folder. Longest prefix wins. */
  [prefix: string]: string;
}

export async function serve(mounts: Mounts, port = 0): Promise<{ server: Server; origin: string; close: () => Promise<void> }> {
  const entries = Object.entries(mounts)
    .map(([p, d]) => [p.endsWith('/') ? p : `${p}/`, resolve(d)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-cache');
    const url = new URL(req.url ?? '/', 'http://x');
    let path = decodeURIComponent(url.pathname);
    const m = entries.find(([p]) => path.startsWith(p) || `${path}/` === p);
    if (!m) return void res.writeHead(404).end('not found');
    const [prefix, root] = m;
    let file = normalize(join(root, path.slice(prefix.length)));
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      // SPA fallback for the app only (like vite preview)
      if (prefix === '/' && !extname(path)) file = join(root, 'index.html');
      else return void res.writeHead(404).end('not found');
    }
    const st = statSync(file);
    const lastModified = st.mtime.toUTCString();
    if (req.headers['if-modified-since'] === lastModified) return void res.writeHead(304).end();
    res.writeHead(200, {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      'Last-Modified': lastModified,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
    path = '';
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const addr = server.address();
  const origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    server,
    origin,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
