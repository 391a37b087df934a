/// <reference lib="webworker" />
/**
 * The app's service worker (vite-plugin-pwa, injectManifest). It
 *  - precaches the app shell and the one ORT wasm build, so the app reloads and works offline;
 *  - adds COOP/COEP to every response it serves (the Workbox `handlerWillRespond` recipe), so the page
 *    and its workers are cross-origin isolated (SharedArrayBuffer → multi-threaded WASM) even on a
 *    static host that sets no headers;
 *  - adds the strict Content-Security-Policy header to the pages it serves (static hosts send none);
 *  - waits for the page to say "update" (registerType 'prompt'): never reloads a review by itself.
 * Model files are not precached: the inference worker keeps verified copies in Cache Storage.
 */
import { clientsClaim, type WorkboxPlugin } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { buildCsp, parseOrigins } from '../security/csp.ts';
import { withIsolationHeaders } from './isolation.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

const csp = buildCsp(parseOrigins(import.meta.env.VITE_MODEL_ORIGINS as string | undefined));
const isolate: WorkboxPlugin = {
  handlerWillRespond: async ({ response }) => withIsolationHeaders(response, csp),
};

addPlugins([isolate]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
// Everything else (model manifests and files) goes to the network untouched: same-origin
// subresources need no headers under COEP, and the inference worker keeps verified offline copies.

// Take control of the page on the very first visit so it can become isolated with one reload.
clientsClaim();

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
