/**
 * Debian's Chromium and the launch flags that work on these machines (Playwright cannot download its
 * own browsers here). Shared by playwright.config.ts and the benchmark (bench/lib/browser.ts).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
