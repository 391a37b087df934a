import { defineConfig, loadEnv, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { buildCsp, parseOrigins } from './src/security/csp.ts';

/**
 * Cross-origin isolation (COOP same-origin + COEP require-corp) makes SharedArrayBuffer available,
 * which onnxruntime-web needs for multi-threaded WASM. Dev and preview servers send the headers; a
 * plain static host gets them from the service worker instead (see the offline/PWA docs).
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function crossOriginIsolation(): Plugin {
  return {
    name: 'cross-origin-isolation',
    configureServer(server) {
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        next();
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use((_req, res, next) => {
        for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
        next();
      });
    },
  };
}

/**
 * Strict CSP for the built app: a <meta> tag in index.html (works on any host) and the full header
 * on the preview server. Not in dev: Vite's dev server injects inline scripts for hot reload.
 */
function contentSecurityPolicy(modelOrigins: string[]): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: buildCsp(modelOrigins, { forMeta: true }) }, injectTo: 'head-prepend' }],
    },
    configurePreviewServer(server) {
      server.middlewares.use((_req, res, next) => {
        res.setHeader('Content-Security-Policy', buildCsp(modelOrigins));
        next();
      });
    },
  };
}

export default defineConfig(({ mode }) => {
  const modelOrigins = parseOrigins(loadEnv(mode, process.cwd(), 'VITE_').VITE_MODEL_ORIGINS);
  return {
  plugins: [
    react(),
    crossOriginIsolation(),
    contentSecurityPolicy(modelOrigins),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'DinoBloom Web',
        short_name: 'DinoBloom',
        description: 'Classify blood and bone-marrow cell crops in the browser; nothing is uploaded.',
        theme_color: '#6b2d5c',
        background_color: '#fbfafb',
        display: 'standalone',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // The ORT wasm build is ~28 MB; it must be precached for offline use.
        maximumFileSizeToCacheInBytes: 40 * 1024 * 1024,
        // The in-browser checkpoint converter's ONNX templates (~140 KB) and verification crops
        // (~130 KB) are precached, so a conversion works offline.
        globPatterns: ['**/*.{js,css,html,svg,png,wasm,webmanifest}', 'checkpoint-templates/*.tpl', 'convert-check/*.{jpg,json}'],
        // Model bundles are stored on first use (with progress + sha256), not precached; the reference
        // set (3 MB of PBC crops) is downloaded only when a lab trains a head on it.
        globIgnores: ['models/**', 'reference-set/**', '**/*.map'],
      },
      devOptions: { enabled: false },
    }),
  ],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  // ORT-web locates its .wasm with `new URL(..., import.meta.url)`; pre-bundling would break that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', sourcemap: true },
  };
});
