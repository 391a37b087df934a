// Builds the embedding-map harness (map.html) into dist-harness/ for e2e/map.spec.ts: the real
// component, core and UMAP worker, bundled like the app, served under the app's CSP by the spec.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  plugins: [react()],
  worker: { format: 'es' },
  logLevel: 'warn',
  build: { outDir: fileURLToPath(new URL('../../dist-harness', import.meta.url)), emptyOutDir: true, target: 'es2022', rollupOptions: { input: { map: fileURLToPath(new URL('map.html', import.meta.url)) } } },
});
