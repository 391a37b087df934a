/** Headless Debian Chromium with the same flags as playwright.config.ts (Playwright cannot download browsers here). */
import { chromium, type Browser } from '@playwright/test';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium.ts';

export { CHROMIUM_PATH };
export const BASE_ARGS = CHROMIUM_ARGS;

export async function launch(extraArgs: string[] = [], opts: { gpu?: boolean } = {}): Promise<Browser> {
  // --gpu: keep the GPU process and expose WebGPU (for machines with a real adapter)
  const base = opts.gpu ? [...BASE_ARGS.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu', '--enable-features=Vulkan'] : BASE_ARGS;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...base, ...extraArgs], headless: true });
}

/** What WebGPU adapter the page sees: null (none), or its description and whether it is software. */
export async function probeGpu(browser: Browser, url: string): Promise<{ description: string; software: boolean } | null> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    return await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: unknown; isFallbackAdapter?: boolean } | null> } }).gpu;
      const a = gpu ? await gpu.requestAdapter().catch(() => null) : null;
      if (!a) return null;
      const info = (a.info ?? {}) as Record<string, unknown>;
      const description = ['vendor', 'architecture', 'description'].map((k) => String(info[k] ?? '')).filter(Boolean).join(' ') || 'unknown';
      const software = Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|software/i.test(description);
      return { description, software };
    });
  } finally {
    await page.close();
  }
}
