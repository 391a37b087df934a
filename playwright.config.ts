import { defineConfig } from '@playwright/test';

import { CHROMIUM_ARGS as baseArgs, CHROMIUM_PATH as chromiumPath } from './e2e/chromium.ts';
const port = Number(process.env.E2E_PORT ?? 4173);
const staticPort = Number(process.env.E2E_STATIC_PORT ?? 4174);

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    acceptDownloads: true,
    trace: 'retain-on-failure',
  },
  // `npm test` builds first; the preview server sends COOP/COEP like the dev server.
  webServer: [
    {
      command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
      url: `http://127.0.0.1:${port}`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      // A plain static host that sends no COOP/COEP: the service worker must provide isolation.
      command: `python3 -m http.server ${staticPort} --bind 127.0.0.1 --directory dist`,
      url: `http://127.0.0.1:${staticPort}`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
  projects: [
    {
      name: 'chromium',
      testIgnore: /webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath: chromiumPath, args: baseArgs } },
    },
    {
      name: 'webgpu-swiftshader',
      testMatch: /webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath: chromiumPath, args: [...baseArgs, '--enable-unsafe-webgpu'] } },
    },
  ],
});
